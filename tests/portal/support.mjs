// What the portal's browser tests need besides the browser: the real
// containerstacks-portal and the SMTP sink as child processes, a stand-in
// for the desktop that pairs and pushes records over the sync API, mail
// reading, TOTP codes, a small PNG for the logo, and screenshots of a page
// in both themes at desktop and phone width.
//
// Every child stays in this process's process group (so `cargo xtask
// portal-e2e` can end the group whole) and is also killed by pid when the
// tests end or this process exits.

import { spawn, execFileSync } from "node:child_process";
import { createHmac, createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import zlib from "node:zlib";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

// ---------------------------------------------------------------- processes

const children = new Set();

process.on("exit", () => {
  for (const c of children) {
    try {
      c.kill("SIGKILL");
    } catch {
      /* already gone */
    }
  }
});

/** Starts `bin` and resolves once a line of its stdout satisfies `ready` (with that line's value). */
export function start(bin, args, { ready, env = {}, name = path.basename(bin), timeoutMs = 60_000 }) {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`cargo xtask portal-e2e\`, which builds it`);
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  children.add(child);
  const lines = [];
  const stderr = [];
  child.stderr.on("data", (d) => {
    stderr.push(String(d));
    if (process.env.CS_E2E_VERBOSE) process.stderr.write(`[${name}] ${d}`);
  });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => {
    children.delete(child);
    resolve({ code, signal });
  }));
  const value = new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error(`${name} did not get ready within ${timeoutMs} ms:\n${stderr.join("")}`)), timeoutMs);
    child.stdout.on("data", (d) => {
      buf += String(d);
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        lines.push(line);
        const v = ready(line, lines);
        if (v !== undefined && v !== false) {
          clearTimeout(timer);
          resolve(v);
        }
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${stderr.join("")}`));
    });
  });
  return {
    child,
    value,
    lines,
    stderr,
    /** SIGTERM, then SIGKILL after 5 s; resolves when it is gone. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

export function binaries() {
  const portal = process.env.CS_PORTAL_BINARY;
  if (!portal) throw new Error("CS_PORTAL_BINARY must name the built containerstacks-portal: run `cargo xtask portal-e2e`");
  return { portal, smtp: process.env.CS_FAKE_SMTP_BINARY ?? path.join(path.dirname(portal), "fake-smtp") };
}

export const SMTP_USER = "relay-user";
export const SMTP_PASSWORD = "relay-password";

export async function startSmtp(bin, dir) {
  const port = await freePort();
  const p = start(bin, ["--port", String(port), "--dir", dir, "--user", SMTP_USER, "--password", SMTP_PASSWORD], {
    name: "fake-smtp",
    ready: (line) => line.includes("listening on"),
  });
  await p.value;
  return { ...p, port, dir };
}

/** The portal on a free port, its public URL that address; resolves with its pairing code too. */
export async function startPortal(bin, { data, smtp, passwordFile, port: fixedPort }) {
  const port = fixedPort ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const args = ["--data", data, "--listen", `127.0.0.1:${port}`, "--public-url", url];
  if (smtp) {
    args.push(
      "--smtp-host", "127.0.0.1",
      "--smtp-port", String(smtp.port),
      "--smtp-security", "none",
      "--smtp-user", SMTP_USER,
      "--smtp-password-file", passwordFile,
      "--mail-from", "portal@acme.example",
    );
  }
  let code = null;
  const p = start(bin, args, {
    name: "containerstacks-portal",
    env: { RUST_LOG: process.env.RUST_LOG ?? "info" },
    ready: (line) => {
      if (!line.startsWith("{")) return undefined;
      const j = JSON.parse(line);
      if (j.pairingCode) code = j.pairingCode;
      return j.listening ? j : undefined;
    },
  });
  const info = await p.value;
  return { ...p, url, code, info };
}

// ------------------------------------------------------------- the desktop

/**
 * Plays the desktop: pairs with the portal's code, then pushes records in
 * sequence order, each push complete for its range (cs_sync::protocol).
 */
export class Desktop {
  constructor(url) {
    this.url = url;
    this.stream = randomUUID();
    this.seq = 0;
    this.held = 0;
    this.token = null;
    this.tenant = null;
  }

  async pair(code) {
    const r = await fetch(`${this.url}/sync/v1/pair`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code, desktop_name: "Acme Cloud (e2e)", desktop_version: "0.1.0" }),
    });
    const body = await r.json();
    if (!r.ok) throw new Error(`pairing failed (${r.status}): ${JSON.stringify(body)}`);
    this.token = body.token;
    this.tenant = body.tenant;
    return body;
  }

  /** Pushes `records` ({kind, id, org?, body}) as the next sequence numbers. */
  async push(records) {
    const after = this.held;
    const envelopes = records.map((r) => ({
      seq: ++this.seq,
      at: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      kind: r.kind,
      v: 1,
      id: r.id,
      ...(r.org ? { org: r.org } : {}),
      body: r.body,
    }));
    const r = await fetch(`${this.url}/sync/v1/push`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.token}` },
      body: JSON.stringify({ protocol: 1, stream: this.stream, after, last: this.seq, records: envelopes }),
    });
    const body = await r.json();
    if (!r.ok) throw new Error(`push refused (${r.status}): ${JSON.stringify(body)}`);
    if (body.held_through !== this.seq) throw new Error(`the portal holds ${body.held_through}, not ${this.seq}`);
    this.held = body.held_through;
    return body;
  }
}

// ------------------------------------------------------------------ records

/** A small PNG (an accent-coloured block with a white bar), made here so no binary file is checked in. */
export function logoPng(w = 96, h = 32, [r, g, b] = [15, 118, 110]) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const bar = y > h / 2 - 3 && y < h / 2 + 3 && x > 8 && x < w - 8;
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = bar ? 255 : r;
      raw[o + 1] = bar ? 255 : g;
      raw[o + 2] = bar ? 255 : b;
    }
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

export const sha256Hex = (buf) => createHash("sha256").update(buf).digest("hex");

const address = { lines: ["Hauptstraße 1"], postal_code: "10115", city: "Berlin", region: null, country: "DE" };

/** A complete DocumentV1 body (crates/cs-sync/src/record.rs), as the desktop pushes it. */
export function documentBody({ kind = "invoice", number, issue, period = null, lines = [], paid = false, orgName, logo = null, taxBp = 1900 }) {
  const net = lines.reduce((s, l) => s + l.amount_minor, 0);
  const tax = Math.round((net * taxBp) / 10000);
  const gross = net + tax;
  return {
    kind,
    number,
    issue_date: issue,
    due_date: kind === "invoice" ? issue : null,
    period,
    currency: "EUR",
    seller: {
      name: "Acme Cloud GmbH",
      address,
      tax_id: "DE136695976",
      registration_id: null,
      email: "billing@acme.example",
      phone: "+49 30 1234567",
      website: "https://acme.example",
      footer_note: null,
      endpoint: { scheme: "9930", id: "DE136695976" },
      logo,
      accent: "#0f766e",
      // What a German invoice to a German customer needs to be a valid e-invoice.
      bank_account: { iban: "DE89 3704 0044 0532 0130 00", bic: null, holder: "Acme Cloud GmbH" },
    },
    buyer: { organization: orgName, contact: "Ada Lovelace", address, tax_id: null, endpoint: { scheme: "0088", id: "5790000435968" }, reference: "e2e" },
    lines: lines.map((l) => ({ period, capped: false, tax_category: "standard", tax_rate_bp: taxBp, ...l })),
    tax_breakdown: net ? [{ category: "standard", rate_bp: taxBp, taxable_minor: net, tax_minor: tax }] : [],
    totals: { net_minor: net, tax_minor: tax, gross_minor: gross, paid_minor: paid ? gross : 0, due_minor: paid ? 0 : gross },
    reverse_charge: false,
    reverse_charge_wording: null,
    payment_status: paid ? { status: "paid", on: issue, method: "wallet" } : { status: "unpaid" },
    notes: [],
    payment_instructions: null,
    corrects: null,
    voided_by: null,
  };
}

// --------------------------------------------------------------------- mail

export function readMails(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), "utf8")));
}

/** The first mail matching `pred` after the `skip` earlier matches, waiting for it. */
export async function waitForMail(dir, what, pred, { skip = 0, timeoutMs = 30_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const hit = readMails(dir).filter(pred);
    if (hit.length > skip) return hit[skip];
    await sleep(200);
  }
  throw new Error(`no mail arrived at the SMTP sink for ${what} within ${timeoutMs} ms (it holds ${readMails(dir).length})`);
}

function decodePart(headers, body) {
  const enc = /content-transfer-encoding:\s*([\w-]+)/i.exec(headers)?.[1]?.toLowerCase();
  if (enc === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (enc === "quoted-printable") {
    const bytes = body
      .replace(/=\r?\n/g, "")
      .replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, "latin1").toString("utf8");
  }
  return body;
}

/** The decoded text of every part of a raw message (the bodies of a multipart, or the one body). */
export function mailText(raw) {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const body = rest.join("\n\n");
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(raw)?.[1];
  if (!boundary) return decodePart(head, body);
  return raw
    .split(`--${boundary}`)
    .slice(1)
    .map((part) => {
      const [h, ...b] = part.replace(/^\r?\n/, "").split(/\r?\n\r?\n/);
      return decodePart(h, b.join("\n\n"));
    })
    .join("\n");
}

/** The first link into the portal at `path` (e.g. "/accept-invitation#") in a mail. */
export function linkIn(mail, base, pathPart) {
  const text = mailText(mail.data);
  const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = new RegExp(`${esc(base)}[^\\s"'<>]*${esc(pathPart)}[^\\s"'<>]*`).exec(text);
  if (!m) throw new Error(`no link with ${pathPart} in the mail to ${mail.rcpt_to}:\n${text.slice(0, 2000)}`);
  return m[0].replace(/&amp;/g, "&");
}

// --------------------------------------------------------------------- TOTP

export function base32Decode(s) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of s.replace(/[\s=]/g, "").toUpperCase()) {
    const i = alphabet.indexOf(ch);
    if (i < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 with SHA-1, 30 s steps, 6 digits (what authenticator apps compute). */
export function totp(secret, step = Math.floor(Date.now() / 30_000)) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const h = createHmac("sha1", base32Decode(secret)).update(counter).digest();
  const o = h[h.length - 1] & 15;
  const n = ((h[o] & 127) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, "0");
}

/** A code of a step later than `usedStep` (the portal refuses a step used before), waiting for one if needed. */
export async function freshCode(secret, usedStep) {
  let step = Math.floor(Date.now() / 30_000);
  while (step <= usedStep) {
    await sleep(500);
    step = Math.floor(Date.now() / 30_000);
  }
  return { code: totp(secret, step), step };
}

// -------------------------------------------------------------- screenshots

export const VARIANTS = [
  { theme: "light", width: 1280, height: 860, name: "desktop" },
  { theme: "dark", width: 1280, height: 860, name: "desktop" },
  { theme: "light", width: 360, height: 780, name: "phone" },
  { theme: "dark", width: 360, height: 780, name: "phone" },
];

/**
 * Screenshots of what `page` shows now, in both themes (the system setting,
 * which the portal follows until the user picks one) at desktop and phone
 * width; the page is left as it was found.
 */
export async function shootAll(page, dir, name, { only } = {}) {
  await mkdir(dir, { recursive: true });
  const before = page.viewportSize();
  for (const v of VARIANTS.filter((v) => !only || v.name === only)) {
    await page.emulateMedia({ colorScheme: v.theme });
    await page.setViewportSize({ width: v.width, height: v.height });
    await page.waitForTimeout(150);
    await page.screenshot({ path: path.join(dir, `${name}-${v.name}-${v.theme}.png`), fullPage: true, animations: "disabled" });
  }
  await page.emulateMedia({ colorScheme: "light" });
  if (before) await page.setViewportSize(before);
}

/** The text pdftotext (poppler-utils) finds in a PDF file. */
export function pdfText(file) {
  return execFileSync("pdftotext", ["-layout", file, "-"], { encoding: "utf8" });
}
