// `cargo xtask bench desktop`, the measuring half: run under Xvfb by the
// xtask (which builds both binaries and generates the large store), it starts
// the floor (a hello-world Tauri app, xtask/floor-app) and ContainerStacks on
// an empty and on a large store, each the same way, and prints the figures
// against the goals of issue 16 as text and as one JSON line.
//
// Definitions (the same for the floor and the app):
// - first paint: from the WebDriver new-session request (which starts the
//   process) to the page's first contentful paint, as the Paint Timing API
//   reports it (performance.timeOrigin + the entry's startTime), both as wall
//   clock; where the webview has no paint entries, the first animation frame
//   after the page's load event is used instead (said in the output).
// - PSS: the sum of Pss in /proc/<pid>/smaps_rollup over the app's process
//   and every descendant (WebKitWebProcess, WebKitNetworkProcess, …), read
//   SETTLE_MS after the first paint.
// - list and search: timestamps taken inside the page (performance.now()),
//   so WebDriver's latency does not count: from the click on the sidebar link
//   (a capturing click listener) to the animation frame after the first
//   table row of the new screen is in the DOM (a MutationObserver); for a
//   search, from the input event that sets the whole query at once to the
//   frame after the rows on screen all match it (checked each frame). The
//   page reads within that time are printed too (the UI's User Timing
//   entries "page <list>"), so a slow list says whether the backend was slow.
// - each of the three is started CS_BENCH_STARTS times (3), in turns; first
//   paint and PSS are medians, PSS is also given per process.
//
// Environment: CS_BENCH_APP, CS_BENCH_FLOOR (binaries), CS_BENCH_DEB (the
// app's package, optional: its size is printed), CS_BENCH_EMPTY_DIR,
// CS_BENCH_LARGE_DIR (data folders: CS_DATA_DIR of the app).

import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Session, startDriver, sleep } from "../../tests/e2e/webdriver.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const SETTLE_MS = Number(process.env.CS_BENCH_SETTLE_MS || 10_000);
// How long a list or a search may take before it counts as not shown.
const LIST_TIMEOUT_MS = Number(process.env.CS_BENCH_LIST_TIMEOUT_MS || 180_000);
const app = process.env.CS_BENCH_APP;
const floor = process.env.CS_BENCH_FLOOR;
const emptyDir = process.env.CS_BENCH_EMPTY_DIR;
const largeDir = process.env.CS_BENCH_LARGE_DIR;
for (const [k, v] of Object.entries({ app, floor, emptyDir, largeDir })) {
  if (!v) throw new Error(`${k} is not set: run through \`cargo xtask bench desktop\``);
}

// Stable selectors of the list screens (ui/src/components/ui/data-table.tsx
// and the sidebar in ui/src/components/app-shell.tsx).
const LISTS = [
  { name: "Customers", href: "#/customers", query: "Summit" },
  { name: "Servers", href: "#/servers", query: "db-0001" },
  { name: "Documents", href: "#/invoices", query: "Summit" },
];
const ROW = "tbody tr[data-row-id]";
const SEARCH = 'input[aria-label="Search table"]';

/** Every process whose ancestors include `pid`, and `pid`. */
function tree(pid) {
  const parent = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parent.set(Number(d), ppid);
    } catch { /* gone */ }
  }
  const out = [pid];
  for (const [p] of parent) {
    for (let q = parent.get(p); q && q > 1; q = parent.get(q)) {
      if (q === pid) { out.push(p); break; }
    }
  }
  return out;
}

function pssKb(pid) {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function comm(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "?";
  }
}

/** The newest process running `binary`. */
function findPid(binary) {
  const want = path.resolve(binary);
  let best = null;
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const exe = path.resolve(argv0(d));
      if (exe === want && (best === null || Number(d) > best)) best = Number(d);
    } catch { /* not ours or gone */ }
  }
  return best;
}

function argv0(pid) {
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0];
}

async function firstPaint(s, t0) {
  const deadline = Date.now() + 120_000;
  // WebKit may add its paint entry a moment after the frame: the fallback
  // counts only when none came within FALLBACK_GRACE_MS of it.
  const FALLBACK_GRACE_MS = 3_000;
  let fallbackSince = null;
  while (Date.now() < deadline) {
    const v = await s.exec(`
      const p = performance.getEntriesByType("paint").find((e) => e.name === "first-contentful-paint")
        || performance.getEntriesByType("paint")[0];
      if (p) return { at: performance.timeOrigin + p.startTime, how: p.name };
      if (document.readyState !== "complete") return null;
      if (!window.__benchFrame) {
        window.__benchFrame = -1;
        requestAnimationFrame(() => { window.__benchFrame = performance.timeOrigin + performance.now(); });
      }
      return window.__benchFrame > 0 ? { at: window.__benchFrame, how: "fallback" } : null;
    `).catch(() => null);
    if (v && v.how !== "fallback") return { ms: v.at - t0, how: v.how };
    if (v) {
      fallbackSince ??= Date.now();
      if (Date.now() - fallbackSince >= FALLBACK_GRACE_MS) return { ms: v.at - t0, how: "first frame after load (no paint entries)" };
    }
    await sleep(20);
  }
  throw new Error("no first paint within 120 s");
}

/** Starts `binary` with `env`, measures first paint and PSS; `then` runs on the session. */
async function measure(label, binary, env, then) {
  // As a user starts it: the harness's compositing for screenshots is not wanted here.
  const driver = await startDriver({ ...env, CS_LOG: "info", CS_COMPOSITING: "" });
  let s;
  try {
    const t0 = Date.now();
    s = await Session.start(driver.url, binary, path.join(here, "screenshots"));
    const paint = await firstPaint(s, t0);
    await sleep(SETTLE_MS);
    const pid = findPid(binary);
    const pids = pid ? tree(pid) : [];
    const kb = pids.map((p) => [p, pssKb(p)]);
    const each = kb.map(([p, k]) => ({ name: comm(p), mb: +(k / 1024).toFixed(1) }));
    const pss = kb.reduce((sum, [, k]) => sum + k, 0);
    const result = { label, firstPaintMs: Math.round(paint.ms), paintHow: paint.how, pssMb: +(pss / 1024).toFixed(1), processes: pids.length, each };
    if (then) result.lists = await then(s);
    return result;
  } finally {
    await s?.quit();
    await driver.stop();
  }
}

/** Click → first row of the new screen, then search → first matching row, in page time. */
async function lists(s) {
  const out = [];
  for (const l of LISTS) {
    await s.exec(`
      window.__bench = {};
      performance.clearMeasures();
      const old = new Set(document.querySelectorAll(${JSON.stringify(ROW)}));
      document.addEventListener("click", (e) => {
        if (e.target.closest('a[href=${JSON.stringify(l.href)}]')) window.__bench.click = performance.now();
      }, { capture: true, once: true });
      const obs = new MutationObserver(() => {
        const b = window.__bench;
        if (!b.click || b.row) return;
        const r = [...document.querySelectorAll(${JSON.stringify(ROW)})].find((x) => !old.has(x));
        if (r) { b.row = -1; obs.disconnect(); requestAnimationFrame(() => { b.row = performance.now(); }); }
      });
      obs.observe(document.body, { childList: true, subtree: true });
    `);
    await s.click(`a[href="${l.href}"]`);
    const open = await waitPage(s, "click", LIST_TIMEOUT_MS).catch((e) => ({ error: e.message }));
    if (open.error) { out.push({ list: l.name, openMs: null, searchMs: null, error: open.error }); continue; }
    // The search: the whole query set at once, as a paste would.
    await s.find(SEARCH, { timeout: 60_000 });
    const openCalls = await calls(s, "click");
    await s.exec(`
      window.__bench = {};
      performance.clearMeasures();
      const q = ${JSON.stringify(l.query.toLowerCase())};
      const input = document.querySelector(${JSON.stringify(SEARCH)});
      // Shown when every row on screen matches, checked each frame: the first
      // row alone may have matched before the search (then no mutation comes).
      const tick = () => {
        const b = window.__bench;
        if (b.row) return;
        const rows = [...document.querySelectorAll(${JSON.stringify(ROW)})];
        if (rows.length > 0 && rows.every((r) => r.innerText.toLowerCase().includes(q))) {
          b.row = -1;
          requestAnimationFrame(() => { b.row = performance.now(); });
        } else requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
      window.__bench.input = performance.now();
      set.call(input, ${JSON.stringify(l.query)});
      input.dispatchEvent(new Event("input", { bubbles: true }));
    `);
    const search = await waitPage(s, "input", LIST_TIMEOUT_MS).catch((e) => ({ error: e.message }));
    const searchCalls = await calls(s, "input");
    out.push({ list: l.name, openMs: open.ms ?? null, searchMs: search.ms ?? null, openCalls, searchCalls, error: open.error || search.error });
    // Clear the search so the next screen starts as a user finds it.
    await s.exec(`const i = document.querySelector(${JSON.stringify(SEARCH)}); if (i) { Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set.call(i, ""); i.dispatchEvent(new Event("input", { bubbles: true })); }`).catch(() => {});
  }
  return out;
}

/**
 * The page reads since `start` (click or input): the UI marks each with a
 * User Timing entry "page <list>" (ui/src/api/paged.ts), from the command's
 * call to its answer. [name, called at, answered in] in ms.
 */
async function calls(s, start) {
  return s.exec(`
    const b = window.__bench;
    return performance.getEntriesByType("measure")
      .filter((e) => e.name.startsWith("page ") && e.startTime >= b[${JSON.stringify(start)}])
      .map((e) => [e.name, Math.round(e.startTime - b[${JSON.stringify(start)}]), Math.round(e.duration)]);
  `);
}

async function waitPage(s, start, timeout) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const b = await s.exec("return window.__bench");
    if (b && b.row > 0) return { ms: Math.round(b.row - b[start]) };
    await sleep(25);
  }
  throw new Error(`no row after ${timeout / 1000} s`);
}

function size(file) {
  return +(statSync(file).size / 1_048_576).toFixed(1);
}

// Each binary is started once first and that start thrown away, so that
// neither is measured with a cold disk cache (WebKit's libraries, the
// binary) and the other with a warm one: the first start of the sitting was
// seconds slower, whichever it was.
const warmDir = mkdtempSync(path.join(os.tmpdir(), "cs-bench-warm-"));
await measure("warm-up floor", floor, {});
await measure("warm-up app", app, { CS_DATA_DIR: warmDir });
rmSync(warmDir, { recursive: true, force: true });

// Each is started STARTS times, in turns (floor, empty, large, floor, …) so
// that a slower stretch of the machine falls on all three alike; a figure is
// the median of its starts, and the lists are measured on the last start.
const STARTS = Math.max(1, Number(process.env.CS_BENCH_STARTS || 3));
const configs = [
  ["floor", floor, {}],
  ["app, empty store", app, { CS_DATA_DIR: emptyDir }],
  ["app, large store", app, { CS_DATA_DIR: largeDir }],
];
const runs = configs.map(() => []);
for (let i = 0; i < STARTS; i++) {
  for (const [k, [label, binary, env]] of configs.entries()) {
    const last = i === STARTS - 1 && k === configs.length - 1;
    runs[k].push(await measure(label, binary, env, last ? lists : undefined));
  }
}
/** The start in the middle by `key`. */
const middle = (rs, key) => [...rs].sort((a, b) => key(a) - key(b))[Math.floor(rs.length / 2)];
const results = runs.map((rs) => ({
  ...middle(rs, (r) => r.pssMb),
  firstPaintMs: middle(rs, (r) => r.firstPaintMs).firstPaintMs,
  firstPaintAll: rs.map((r) => r.firstPaintMs),
  pssAll: rs.map((r) => r.pssMb),
  lists: rs.at(-1).lists,
}));
const [f, , large] = results;
const sizes = { appMb: size(app), floorMb: size(floor), debMb: process.env.CS_BENCH_DEB ? size(process.env.CS_BENCH_DEB) : null };

const ok = (b) => (b ? "ok  " : "MISS");
console.log("\nContainerStacks desktop benchmark (issue 16)");
console.log(`binaries (stripped release): app ${sizes.appMb} MiB, floor ${sizes.floorMb} MiB   ${ok(sizes.appMb <= 20)} goal app ≤ 20 MiB${sizes.debMb ? `   the app's .deb ${sizes.debMb} MiB` : ""}`);
for (const r of results) {
  console.log(`${r.label.padEnd(18)} first paint ${String(r.firstPaintMs).padStart(6)} ms (${r.paintHow}; starts ${r.firstPaintAll.join(", ")})   PSS ${String(r.pssMb).padStart(6)} MiB over ${r.processes} processes (${r.each.map((e) => `${e.name} ${e.mb}`).join(", ")}; starts ${r.pssAll.join(", ")})`);
}
console.log(`${ok(large.firstPaintMs <= 1.5 * f.firstPaintMs)} first paint, large store: ${large.firstPaintMs} ms, goal ≤ 1.5 × floor = ${Math.round(1.5 * f.firstPaintMs)} ms`);
console.log(`${ok(large.pssMb <= f.pssMb + 60)} PSS, large store: ${large.pssMb} MiB, goal ≤ floor + 60 = ${(f.pssMb + 60).toFixed(1)} MiB`);
for (const l of large.lists || []) {
  console.log(`${ok(l.openMs !== null && l.openMs <= 300)} ${l.list.padEnd(10)} click → first page ${l.openMs ?? "—"} ms   ${ok(l.searchMs !== null && l.searchMs <= 300)} search "${LISTS.find((x) => x.name === l.list).query}" → first page ${l.searchMs ?? "—"} ms (goal ≤ 300 ms)${l.error ? `   (${l.error})` : ""}`);
  const said = (c) => (c?.length ? c.map(([name, at, ms]) => `${name} at ${at} ms, answered in ${ms} ms`).join("; ") : "none");
  console.log(`       page reads: open: ${said(l.openCalls)}; search: ${said(l.searchCalls)}`);
}
console.log(`JSON ${JSON.stringify({ sizes, results })}`);
