// The two apps in ui/ share src/components and src/lib, and nothing else:
// the desktop bundle (src/main.tsx) must not reach the portal's code, and the
// portal (src/portal/main.tsx) must not reach the desktop's backend client,
// its screens or Tauri. Followed through every import, so a shared component
// that starts importing a desktop module fails here, not in a bundle.
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const IMPORT_RE = /(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)|import\s+["']([^"']+)["']/g;

function resolveLocal(from: string, spec: string): string | null {
  let base: string;
  if (spec.startsWith("@/")) base = join(SRC, spec.slice(2));
  else if (spec.startsWith(".")) base = resolve(dirname(from), spec);
  else return null;
  for (const c of [base, `${base}.ts`, `${base}.tsx`, join(base, "index.ts"), join(base, "index.tsx")]) {
    if (existsSync(c) && statSync(c).isFile()) return c;
  }
  return null;
}

/** Every file and package reachable from `entry`. */
function reach(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const f = todo.pop()!;
    if (files.has(f)) continue;
    files.add(f);
    if (!/\.tsx?$/.test(f)) continue;
    const text = readFileSync(f, "utf8");
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2] ?? m[3];
      const local = resolveLocal(f, spec);
      if (local) todo.push(local);
      else if (!spec.startsWith(".") && !spec.startsWith("@/")) packages.add(spec);
    }
  }
  return { files, packages };
}

const rel = (f: string) => relative(SRC, f).split("\\").join("/");

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

describe("the portal and the desktop share components, not code paths", () => {
  it("the desktop app does not reach the portal", () => {
    const { files } = reach(join(SRC, "main.tsx"));
    const portal = [...files].map(rel).filter((f) => f.startsWith("portal/"));
    expect(portal).toEqual([]);
    expect(files.size).toBeGreaterThan(20);
  });

  it("the portal does not reach the desktop's client, screens or Tauri", () => {
    const { files, packages } = reach(join(SRC, "portal", "main.tsx"));
    const desktop = [...files].map(rel).filter((f) => /^(api|features|dev)\//.test(f) || f === "bindings.ts" || f === "App.tsx");
    expect(desktop).toEqual([]);
    expect([...packages].filter((p) => p.startsWith("@tauri-apps"))).toEqual([]);
    // It does use the shared kit.
    expect([...files].map(rel)).toEqual(expect.arrayContaining(["components/ui/button.tsx", "components/ui/data-table.tsx", "lib/money.ts"]));
  });

  it("no HTML is built from strings anywhere in the UI", () => {
    const offenders = walk(SRC)
      .filter((f) => /\.tsx?$/.test(f) && !f.endsWith(".test.ts") && !f.endsWith(".test.tsx"))
      .filter((f) => /dangerouslySetInnerHTML|\.innerHTML\s*=|insertAdjacentHTML|document\.write/.test(readFileSync(f, "utf8")))
      .map(rel);
    expect(offenders).toEqual([]);
  });
});
