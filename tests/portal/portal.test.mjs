// The customer portal end to end: the real containerstacks-portal (with its
// embedded web UI) on SQLite, the SMTP sink for its mail, this test playing
// the desktop over the sync API, and a customer in headless Chromium (Debian's
// package, driven by playwright-core). The tests run in order and share one
// portal and one browser; each step says what a customer would check.
//
// Run with `cargo xtask portal-e2e` (it builds the UI, the portal and the SMTP
// sink first). Screenshots of every screen, in both themes at desktop and
// phone width, land in tests/portal/screenshots/.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

import {
  Desktop, binaries, documentBody, freshCode, linkIn, logoPng, mailText, pdfText, readMails, sha256Hex, shootAll,
  SMTP_PASSWORD, startPortal, startSmtp, totp, waitForMail,
} from "./support.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const SHOTS = path.join(here, "screenshots");
const CHROMIUM = process.env.CS_CHROMIUM ?? "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

const ORG = "0193a0c0-0000-7000-8000-0000000000a1";
const EMAIL = "ada@example.com";
const PASSWORD = "difference engine no 2";
const NEW_PASSWORD = "analytical engine mark 1";

let tmp;
let smtp;
let portal;
let desktop;
let browser;
let context;
let page;
let base; // http://127.0.0.1:PORT/{tenant}
let secret;
let usedStep = 0;
let recoveryCodes = [];
let oldRecoveryCodes = [];
let shot = 0;

const shootName = (name) => `${String(++shot).padStart(2, "0")}-${name}`;

// The steps build on each other: after a failure the rest are skipped (with
// a screenshot of the page that failed) rather than each waiting out its timeouts.
let failed = null;
function step(name, fn) {
  test(name, async (t) => {
    if (failed) return t.skip(`skipped: the step "${failed}" failed`);
    try {
      await fn(t);
    } catch (e) {
      failed = name;
      await page?.screenshot({ path: path.join(SHOTS, "FAILED.png"), fullPage: true }).catch(() => {});
      throw e;
    }
  });
}
const screens = (name) => shootAll(page, SHOTS, shootName(name));

/**
 * The power steps' screenshots, in both themes at desktop width and at a
 * phone's 390 px: `card` the power card alone, `page` the whole page, `view`
 * what is in view (a modal dialog: a full-page capture of a scrolled page
 * draws its backdrop over the viewport's part only). The page is left as it
 * was found.
 */
async function shootPower(name, what = "card") {
  const file = shootName(name);
  const before = page.viewportSize();
  for (const [width, height, size] of [[1280, 860, "desktop"], [390, 844, "phone"]]) {
    for (const theme of ["light", "dark"]) {
      await page.emulateMedia({ colorScheme: theme });
      await page.setViewportSize({ width, height });
      await page.waitForTimeout(150);
      const shot = { path: path.join(SHOTS, `${file}-${size}-${theme}.png`), animations: "disabled" };
      if (what === "card") await page.getByTestId("power-card").screenshot(shot);
      else if (what === "view") await page.screenshot(shot);
      else {
        // From the top: a full-page capture of a scrolled page draws the sticky header where the view was.
        const y = await page.evaluate(() => window.scrollY);
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ ...shot, fullPage: true });
        await page.evaluate((top) => window.scrollTo(0, top), y);
      }
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
  if (before) await page.setViewportSize(before);
}

const mailTo = (address, pred = () => true) => (m) => m.rcpt_to.includes(address) && pred(mailText(m.data));

async function mailsTo(address, what, pred, skip = 0) {
  return waitForMail(path.join(tmp, "mail"), what, mailTo(address, pred), { skip });
}

const logo = logoPng();
const logoId = sha256Hex(logo);

function server(id, label, status, extra = {}) {
  return {
    kind: "server", id, org: ORG,
    body: {
      label, plan: "plan-std", plan_name: "Standard 2 GB", region: "Frankfurt, DE", image: "Debian 12", status,
      ipv4: status === "running" ? "203.0.113.10" : null, ipv6: status === "running" ? "2001:db8::10" : null,
      created_at: "2026-02-01T09:30:00Z", deleted_at: null, ...extra,
    },
  };
}

const INVOICE = "INV-2026-000042";

function everything() {
  return [
    { kind: "logo", id: logoId, body: { png: logo.toString("base64") } },
    { kind: "branding", id: "branding", body: { name: "Acme Cloud", accent: "#0f766e", logo: logoId, email: "help@acme.example", website: "https://acme.example", currency: "EUR" } },
    { kind: "organization", id: ORG, org: ORG, body: { name: "Analytical Engines Ltd", country: "GB", tax_id: null, created_at: "2026-01-05T10:00:00Z" } },
    { kind: "contact", id: "u-ada", org: ORG, body: { name: "Ada Lovelace", email: EMAIL, role: "admin" } },
    { kind: "plan", id: "plan-std", body: { name: "Standard 2 GB", active: true, regions: [{ region: "Frankfurt, DE", monthly_minor: 1900, hourly_micros: 27500 }] } },
    server("srv-web", "web-01", "running"),
    server("srv-db", "db-primary", "provisioning", { plan_name: "Dedicated 8 GB", image: "Ubuntu 24.04 LTS", created_at: "2026-03-01T08:00:00Z" }),
    {
      kind: "wallet", id: ORG, org: ORG,
      body: { currency: "EUR", balance_minor: 84250, low_balance_threshold_minor: 1000, state: "good", state_since: null, terminates_at: null, as_of: "2026-03-01T10:00:00Z" },
    },
    { kind: "wallet_transaction", id: "t-pay", org: ORG, body: { at: "2026-02-14T12:00:00Z", kind: "payment", memo: "PayPal top-up", currency: "EUR", amount_minor: 100000, document: "d-rct" } },
    { kind: "wallet_transaction", id: "t-use", org: ORG, body: { at: "2026-03-01T00:00:00Z", kind: "usage", memo: "Usage on 28 February: web-01", currency: "EUR", amount_minor: -3660, document: null } },
    {
      kind: "document", id: "d-inv", org: ORG,
      body: documentBody({
        number: INVOICE, issue: "2026-03-01", period: { start: "2026-02-01", end: "2026-02-28" }, orgName: "Analytical Engines Ltd", logo: logoId,
        lines: [{ description: "web-01 (Standard 2 GB)", hours_milli: 672000, unit_rate_micro: 27500, amount_minor: 1848 }],
      }),
    },
    {
      kind: "document", id: "d-rct", org: ORG,
      body: documentBody({ kind: "receipt", number: "RCT-2026-000007", issue: "2026-02-14", paid: true, orgName: "Analytical Engines Ltd", lines: [{ description: "Top-up by PayPal", hours_milli: 0, unit_rate_micro: 0, amount_minor: 100000 }], taxBp: 0 }),
    },
    { kind: "invitation", id: "inv-1", org: ORG, body: { contact: "u-ada", invited_by: "Grace Hopper of Acme Cloud", invited_at: new Date().toISOString().replace(/\.\d+Z$/, "Z") } },
  ];
}

/** Fills a labelled input (React sees every keystroke). */
async function fill(label, value) {
  await page.getByLabel(label, { exact: true }).fill(value);
}

async function expectPath(re) {
  await page.waitForURL((u) => re.test(u.pathname), { timeout: 15_000 });
}

/** Signs in with the password and, when asked, the second step. */
async function signIn(password, second) {
  await page.goto(`${base}/sign-in`);
  await fill("Email", EMAIL);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  if (!second) return;
  await page.getByRole("heading", { name: "Two-factor authentication" }).waitFor();
  await second();
}

async function signOut() {
  await page.getByTestId("sign-out").click();
  await page.getByText("You have signed out.").waitFor();
}

before(async () => {
  const bins = binaries();
  tmp = await mkdtemp(path.join(os.tmpdir(), "cs-portal-e2e-"));
  smtp = await startSmtp(bins.smtp, path.join(tmp, "mail"));
  const passwordFile = path.join(tmp, "smtp-password");
  await writeFile(passwordFile, SMTP_PASSWORD, { mode: 0o600 });
  portal = await startPortal(bins.portal, { data: path.join(tmp, "portal"), smtp, passwordFile });
  assert.ok(portal.code, `the portal printed no pairing code: ${portal.lines.join("\n")}`);
  desktop = new Desktop(portal.url);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: "light", acceptDownloads: true, locale: "en-GB", timezoneId: "UTC" });
  page = await context.newPage();
  page.on("pageerror", (e) => console.error("page error:", e));
});

after(async () => {
  await browser?.close();
  await portal?.stop();
  await smtp?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

step("the desktop pairs and pushes a customer, and the invitation mail goes out", async () => {
  // A portal built before its UI serves a page that says so: fail here with that, not later on a missing button.
  const page0 = await (await fetch(`${portal.url}/`)).text();
  assert.match(page0, /\/assets\/portal-[\w-]+\.js/, `the portal binary does not embed the web UI (ui/dist-portal): build the UI, then the portal\n${page0.slice(0, 300)}`);
  const paired = await desktop.pair(portal.code);
  base = `${portal.url}/${paired.tenant}`;
  await desktop.push(everything());
  const mail = await mailsTo(EMAIL, "the invitation", (text) => text.includes("/accept-invitation"));
  assert.match(mailText(mail.data), /Acme Cloud/);
  const link = linkIn(mail, base, "/accept-invitation");
  assert.ok(link.includes("#"), `the token travels after # (never to a server log): ${link}`);
  globalThis.invitationLink = link;
});

step("the customer accepts the invitation and chooses a password", async () => {
  await page.goto(globalThis.invitationLink);
  await page.getByRole("heading", { name: "Welcome, Ada Lovelace" }).waitFor();
  assert.equal(await page.getByTestId("brand-logo").getAttribute("alt"), "Acme Cloud");
  assert.equal(await page.getByLabel("Email", { exact: true }).inputValue(), EMAIL);
  await screens("accept-invitation");

  // The rules show while typing; a password that breaks one is refused before it is sent.
  await fill("Password", EMAIL);
  assert.equal(await page.locator('[data-rule="notEmail"]').getAttribute("data-ok"), "false");
  await fill("Password again", EMAIL);
  await page.getByRole("button", { name: "Set password and sign in" }).click();
  await page.locator('[data-field-error="password"]').getByText("other than your email").waitFor();

  await fill("Password", PASSWORD);
  await fill("Password again", PASSWORD);
  await page.getByRole("button", { name: "Set password and sign in" }).click();
  await page.getByText("Your account is ready").waitFor();
  await expectPath(/^\/[^/]+\/$/);

  // The link works once.
  const again = await context.newPage();
  await again.goto(globalThis.invitationLink);
  await again.getByTestId("invitation-error").waitFor();
  await again.close();
});

step("the dashboard shows servers by state, the wallet and recent documents", async () => {
  assert.equal(await page.getByTestId("servers-total").textContent(), "2");
  assert.equal(await page.getByTestId("servers-running").textContent(), "1");
  assert.equal(await page.getByTestId("wallet-balance").textContent(), "€842.50");
  await page.getByTestId("dashboard-documents").getByText(INVOICE).waitFor();
  await page.getByTestId("two-factor-suggestion").waitFor();
  await screens("dashboard");
});

step("a server's status changes live when the desktop pushes it", async () => {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Servers" }).click();
  await page.getByTestId("servers-table").getByText("db-primary").waitFor();
  await screens("servers");

  await page.getByRole("link", { name: "db-primary" }).click();
  const status = page.getByTestId("server-status");
  await status.and(page.locator('[data-status="provisioning"]')).waitFor();
  await screens("server-provisioning");

  // No reload: the push reaches the page through the event stream.
  await desktop.push([server("srv-db", "db-primary", "running", { plan_name: "Dedicated 8 GB", image: "Ubuntu 24.04 LTS", created_at: "2026-03-01T08:00:00Z" })]);
  await status.and(page.locator('[data-status="running"]')).waitFor({ timeout: 10_000 });
  assert.equal(await page.getByTestId("server-ipv4").textContent(), "203.0.113.10");
  await screens("server");
});

/** The desktop's side of an intent: `GET /sync/v1/intents?wait=0` with the sync token. */
async function fetchIntents() {
  const r = await fetch(`${portal.url}/sync/v1/intents?wait=0`, { headers: { Authorization: `Bearer ${desktop.token}` } });
  const body = await r.json();
  assert.equal(r.status, 200, JSON.stringify(body));
  return body.intents;
}

/** The desktop's answer to intent `id` (an `intent_result` record, cs_sync::record::IntentResultV1). */
function intentResult(id, outcome, reason = null) {
  return { kind: "intent_result", id, org: ORG, body: { outcome, reason, decided_at: new Date().toISOString().replace(/\.\d+Z$/, "Z") } };
}

/** The one intent waiting at the portal: a power action by Ada on `server`, as the desktop reads it. */
async function theIntent(server, action) {
  const intents = await fetchIntents();
  assert.equal(intents.length, 1, `one intent waits: ${JSON.stringify(intents)}`);
  const [i] = intents;
  assert.equal(i.kind, "power");
  assert.equal(i.v, 1);
  assert.equal(i.org, ORG);
  assert.equal(i.by, "u-ada", "the intent names the contact who asked (the contact record's id)");
  assert.deepEqual(i.body, { server, action });
  assert.match(i.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.ok(Math.abs(Date.parse(i.at) - Date.now()) < 60_000, `the intent was asked just now: ${i.at}`);
  return i;
}

/** A server record while it reboots: it keeps its addresses (the `server` helper gives them only to running servers). */
const rebooting = (id, label) => server(id, label, "rebooting", { ipv4: "203.0.113.10", ipv6: "2001:db8::10" });

/** When the test, as the desktop, last called the sync API (the portal counts it online for 90 s after). */
let lastSyncCall = 0;

const webStatus = () => page.getByTestId("server-status");
const statusIs = (status, timeout = 10_000) => webStatus().and(page.locator(`[data-status="${status}"]`)).waitFor({ timeout });

step("power: a reboot is a request the desktop carries out, and the page shows it live", async () => {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Servers" }).click();
  await page.getByRole("link", { name: "web-01" }).click();
  await statusIs("running");
  const card = page.getByTestId("power-card");
  await card.getByTestId("server-actions-empty").waitFor();
  assert.equal(await card.getByTestId("desktop-offline").count(), 0, "the desktop pushed moments ago: it is online");
  // Running: reboot and shut down are offered, boot is not.
  assert.equal(await page.getByTestId("power-boot").isDisabled(), true);
  assert.equal(await page.getByTestId("power-shutdown").isEnabled(), true);
  await shootPower("power-running");

  // Reboot asks first, naming the server.
  await page.getByTestId("power-reboot").click();
  const dialog = page.getByRole("alertdialog");
  await dialog.getByText("Reboot web-01?").waitFor();
  await dialog.getByText("Acme Cloud's system carries it out in a moment").waitFor();
  await shootPower("power-reboot-confirm", "view");
  await dialog.getByTestId("power-confirm").click();
  await dialog.waitFor({ state: "detached" });

  // Requested, not done: the card says it waits for the provider; nothing is clickable meanwhile.
  const waiting = card.getByTestId("action-waiting");
  await waiting.waitFor();
  assert.equal(await waiting.getAttribute("data-action"), "reboot");
  assert.match(await waiting.textContent(), /^Reboot requested — waiting for Acme Cloud to carry it out/);
  const row = card.getByTestId("server-action").first();
  assert.equal(await row.getAttribute("data-state"), "requested");
  assert.match(await row.textContent(), /Reboot.*Requested.*Ada Lovelace/);
  for (const a of ["boot", "reboot", "shutdown"]) assert.equal(await page.getByTestId(`power-${a}`).isDisabled(), true, `${a} waits for the request`);
  await statusIs("running");
  await shootPower("power-reboot-waiting");

  // The desktop fetches it: exactly what was asked, by whom, of which server.
  const intent = await theIntent("srv-web", "reboot");
  // Handed out again until the answer arrives (the desktop applies each id once).
  assert.deepEqual((await fetchIntents()).map((i) => i.id), [intent.id]);

  // It answers with the result and the server's new state; the page follows without a reload.
  await desktop.push([intentResult(intent.id, "applied"), rebooting("srv-web", "web-01")]);
  lastSyncCall = Date.now();
  await statusIs("rebooting");
  assert.equal(await webStatus().textContent(), "Rebooting");
  assert.equal(await page.getByTestId("server-ipv4").textContent(), "203.0.113.10");
  await card.getByTestId("action-state").first().and(page.locator('[data-state="applied"]')).waitFor({ timeout: 10_000 });
  assert.equal(await card.getByTestId("action-state").first().textContent(), "Carried out");
  await waiting.waitFor({ state: "detached" });
  assert.equal(await card.getByTestId("action-refused").count(), 0);
  // Rebooting: no power action until it settles, and the card says why.
  await card.getByTestId("power-busy").waitFor();
  assert.deepEqual(await fetchIntents(), [], "an answered intent is not handed out again");
  await shootPower("power-reboot-applied");
  await shootPower("power-reboot-applied-page", "page");

  // Back up: running again, the buttons return.
  await desktop.push([server("srv-web", "web-01", "running")]);
  lastSyncCall = Date.now();
  await statusIs("running");
  await page.getByTestId("power-shutdown").and(page.locator(":enabled")).waitFor();
});

step("power: a refused shutdown shows the provider's reason, as text", async () => {
  const card = page.getByTestId("power-card");
  await page.getByTestId("power-shutdown").click();
  const dialog = page.getByRole("alertdialog");
  await dialog.getByText("Shut down web-01?").waitFor();
  await dialog.getByTestId("power-confirm").click();
  await card.getByTestId("action-waiting").and(page.locator('[data-action="shutdown"]')).waitFor();

  const intent = await theIntent("srv-web", "shutdown");
  // A reason with markup in it: the customer sees these characters, never bold text.
  const reason = "<b>web-1</b> is locked by your provider";
  await desktop.push([intentResult(intent.id, "refused", reason)]);
  lastSyncCall = Date.now();

  const refused = card.getByTestId("action-refused");
  await refused.waitFor({ timeout: 10_000 });
  assert.match(await refused.textContent(), /Acme Cloud refused the shutdown/);
  await refused.getByText(reason, { exact: true }).waitFor();
  assert.equal(await card.getByTestId("action-reason").first().textContent(), reason);
  assert.equal(await card.locator("b").count(), 0, "the reason's markup is not rendered as HTML");
  assert.equal(await card.getByTestId("action-state").first().getAttribute("data-state"), "refused");
  assert.equal(await card.getByTestId("action-state").first().textContent(), "Refused");
  assert.deepEqual(
    await card.getByTestId("server-action").evaluateAll((rows) => rows.map((r) => r.dataset.state)),
    ["refused", "applied"],
    "newest first: the refused shutdown, then the reboot",
  );
  // Nothing changed: still running, and the buttons are back.
  await statusIs("running");
  await page.getByTestId("power-reboot").and(page.locator(":enabled")).waitFor();
  await shootPower("power-shutdown-refused");
});

step("power: while the desktop is offline a request waits, and runs when it is back", async (t) => {
  // The portal counts the desktop offline 90 s after its last call to the
  // sync API, on its real clock: the test waits that out (the binary takes no fake clock).
  const quiet = lastSyncCall + 92_000 - Date.now();
  t.diagnostic(`waiting ${Math.ceil(quiet / 1000)} s for the portal to count the desktop offline`);
  if (quiet > 0) await page.waitForTimeout(quiet);

  // A customer opening the page now is told, before asking, what happens to a request.
  await page.reload();
  const card = page.getByTestId("power-card");
  const offline = card.getByTestId("desktop-offline");
  await offline.waitFor();
  assert.equal(await offline.getAttribute("data-hold"), "60", "no policy pushed: the portal's default hold of 60 minutes");
  assert.equal(
    await offline.textContent(),
    "Acme Cloud's system is offline right now. A request waits up to 60 minutes for it and runs when it is back — nothing runs before that.",
  );
  await statusIs("running");
  await shootPower("power-desktop-offline");

  await page.getByTestId("power-reboot").click();
  const dialog = page.getByRole("alertdialog");
  await dialog.getByText("Acme Cloud's system is offline right now: the request waits up to 60 minutes for it, and nothing happens before that.").waitFor();
  await shootPower("power-reboot-confirm-offline", "view");
  await dialog.getByTestId("power-confirm").click();
  await card.getByTestId("action-waiting").and(page.locator('[data-action="reboot"]')).waitFor();
  await offline.waitFor();
  await shootPower("power-reboot-waiting-offline");

  // The desktop is back: it finds the request waiting, carries it out, and the page says so.
  const intent = await theIntent("srv-web", "reboot");
  await desktop.push([intentResult(intent.id, "applied"), rebooting("srv-web", "web-01")]);
  await statusIs("rebooting");
  await card.getByTestId("action-state").first().and(page.locator('[data-state="applied"]')).waitFor({ timeout: 10_000 });
  await offline.waitFor({ state: "detached" });
  await desktop.push([server("srv-web", "web-01", "running")]);
  await statusIs("running");
});

step("documents: the invoice's PDF is a PDF with its number, and its UBL names it too", async () => {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Documents" }).click();
  await page.getByTestId("documents-table").getByText(INVOICE).waitFor();
  await screens("documents");

  await page.getByTestId("documents-table").getByRole("link", { name: INVOICE, exact: true }).click();
  await page.getByTestId("document-title").getByText(INVOICE).waitFor();
  assert.equal(await page.getByTestId("document-total").textContent(), "€21.99");
  await screens("document");

  const [pdf] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-pdf").click()]);
  assert.equal(pdf.suggestedFilename(), `${INVOICE}.pdf`);
  const pdfFile = path.join(tmp, "invoice.pdf");
  await pdf.saveAs(pdfFile);
  assert.equal((await readFile(pdfFile)).subarray(0, 5).toString("latin1"), "%PDF-");
  assert.match(pdfText(pdfFile), new RegExp(INVOICE));

  const [ubl] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-ubl").click()]);
  const ublFile = path.join(tmp, "invoice.xml");
  await ubl.saveAs(ublFile);
  const xml = await readFile(ublFile, "utf8");
  assert.match(xml, /^<\?xml/);
  assert.match(xml, new RegExp(`<cbc:ID>${INVOICE}</cbc:ID>`));
});

step("the wallet: balance, state in words, transactions", async () => {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Wallet" }).click();
  assert.equal(await page.getByTestId("wallet-balance").textContent(), "€842.50");
  assert.equal(await page.getByTestId("wallet-state").getAttribute("data-state"), "good");
  await page.getByTestId("wallet-transactions").getByText("PayPal top-up").waitFor();
  await page.getByTestId("wallet-transactions").getByText("-€36.60").waitFor();
  await screens("wallet");

  // The desktop's dunning moves the wallet to grace: the page says what that means, live.
  await desktop.push([{
    kind: "wallet", id: ORG, org: ORG,
    body: { currency: "EUR", balance_minor: -1250, low_balance_threshold_minor: 1000, state: "grace", state_since: "2026-03-02T10:00:00Z", terminates_at: null, as_of: "2026-03-02T10:00:00Z" },
  }]);
  await page.locator('[data-testid="wallet-notice"][data-state="grace"]').waitFor({ timeout: 10_000 });
  assert.equal(await page.getByTestId("wallet-balance").getAttribute("data-negative"), "true");
  await screens("wallet-grace");
});

step("two-factor: set up with the QR code's secret, recovery codes shown once", async () => {
  await page.goto(`${base}/account`);
  await page.getByTestId("account-email").getByText(EMAIL).waitFor();
  await screens("account");
  await page.getByRole("link", { name: "Two-factor" }).click();
  await page.getByTestId("two-factor-state").getByText("off").waitFor();
  await screens("two-factor-off");

  await page.getByTestId("two-factor-start").click();
  const qr = page.getByTestId("two-factor-qr");
  await qr.waitFor();
  // The QR image is the server's SVG and loaded under the CSP.
  assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), "the QR code loaded");
  secret = await page.getByTestId("two-factor-secret").getAttribute("data-secret");
  assert.match(secret, /^[A-Z2-7]+=*$/);
  await screens("two-factor-setup");

  // A wrong code is refused beside the field.
  const wrong = String((Number(totp(secret)) + 1) % 1_000_000).padStart(6, "0");
  await fill("Code", wrong);
  await page.getByRole("button", { name: "Turn on" }).click();
  await page.locator('[data-field-error="code"]').waitFor();

  const { code, step } = await freshCode(secret, 0);
  await fill("Code", code);
  await page.getByRole("button", { name: "Turn on" }).click();
  await page.getByTestId("recovery-codes").waitFor();
  usedStep = step;
  recoveryCodes = await page.getByTestId("recovery-code").allTextContents();
  assert.equal(recoveryCodes.length, 10);
  await screens("recovery-codes");
  await page.getByTestId("recovery-codes-done").click();
  await page.getByTestId("two-factor-state").getByText("on").waitFor();
  await screens("two-factor-on");

  // New codes replace the old ones (checked at sign-in below).
  const card = page.getByTestId("recovery-codes-card");
  await card.getByLabel("Your password").fill(PASSWORD);
  await card.getByRole("button", { name: "New recovery codes" }).click();
  await page.getByTestId("recovery-codes").waitFor();
  oldRecoveryCodes = recoveryCodes;
  recoveryCodes = await page.getByTestId("recovery-code").allTextContents();
  assert.equal(recoveryCodes.length, 10);
  assert.ok(!recoveryCodes.includes(oldRecoveryCodes[0]));
  await page.getByTestId("recovery-codes-done").click();
  await page.getByTestId("two-factor-state").getByText("on").waitFor();
});

step("sign out, then in again with the password and a code from the app", async () => {
  await signOut();
  await screens("sign-in");
  await signIn(PASSWORD, async () => {
    await screens("two-factor-code");
    // A code already used (the step that turned 2FA on) is refused: replay protection.
    await fill("Code", totp(secret, usedStep));
    await page.getByRole("button", { name: "Verify" }).click();
    await page.locator('[data-field-error="code"]').waitFor();
    const { code, step } = await freshCode(secret, usedStep);
    usedStep = step;
    await fill("Code", code);
    await page.getByRole("button", { name: "Verify" }).click();
  });
  await page.getByTestId("dashboard-servers").waitFor();
});

step("a wrong password is refused next to the form", async () => {
  await signOut();
  await fill("Email", EMAIL);
  await page.getByLabel("Password", { exact: true }).fill("not the password at all");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("form-error").waitFor();
  await screens("sign-in-wrong-password");
});

step("a recovery code signs in once; the replaced ones do not", async () => {
  await signIn(PASSWORD, async () => {
    await page.getByRole("button", { name: "Use a recovery code" }).click();
    await fill("Recovery code", oldRecoveryCodes[5]);
    await page.getByRole("button", { name: "Verify" }).click();
    await page.locator('[data-field-error="recoveryCode"]').waitFor();
    await fill("Recovery code", recoveryCodes[0]);
    await screens("two-factor-recovery");
    await page.getByRole("button", { name: "Verify" }).click();
  });
  await page.getByTestId("dashboard-servers").waitFor();

  await signOut();
  await signIn(PASSWORD, async () => {
    await page.getByRole("button", { name: "Use a recovery code" }).click();
    await fill("Recovery code", recoveryCodes[0]);
    await page.getByRole("button", { name: "Verify" }).click();
    await page.locator('[data-field-error="recoveryCode"]').waitFor();
    await fill("Recovery code", recoveryCodes[1]);
    await page.getByRole("button", { name: "Verify" }).click();
  });
  await page.getByTestId("dashboard-servers").waitFor();
});

/** Signs in from another "device": Node's fetch with its own cookie jar. */
async function otherDevice(code) {
  const jar = new Map();
  const call = async (method, p, body, csrf) => {
    const headers = { "User-Agent": "cs-e2e-other-device", Accept: "application/json", Cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") };
    if (method !== "GET") Object.assign(headers, { "Content-Type": "application/json", "X-CSRF-Token": csrf, Origin: portal.url });
    const r = await fetch(portal.url + p, { method, headers, body: body && JSON.stringify(body) });
    for (const c of r.headers.getSetCookie()) {
      const kv = c.split(";")[0];
      const i = kv.indexOf("=");
      jar.set(kv.slice(0, i).trim(), kv.slice(i + 1));
    }
    return r;
  };
  const branding = await call("GET", `/api/v1/t/${desktop.tenant}/branding`);
  assert.equal(branding.status, 200);
  const signedIn = await call("POST", `/api/v1/t/${desktop.tenant}/sign-in`, { email: EMAIL, password: PASSWORD }, jar.get("cs_csrf"));
  assert.equal(signedIn.status, 200, await signedIn.clone().text());
  const s = await signedIn.json();
  const done = await call("POST", "/api/v1/sign-in/second-factor", { recoveryCode: code }, s.csrfToken);
  assert.equal(done.status, 200, await done.clone().text());
  return { session: () => call("GET", "/api/v1/session") };
}

step("sessions: another device shows in the list and is signed out from here", async () => {
  const other = await otherDevice(recoveryCodes[2]);
  assert.equal((await other.session()).status, 200);

  await page.goto(`${base}/account/sessions`);
  const row = page.locator("[data-session-id]", { hasText: "cs-e2e-other-device" });
  await row.waitFor();
  await page.locator('[data-session-id][data-current="true"]').waitFor();
  await screens("sessions");
  await row.getByTestId("revoke-session").click();
  await row.waitFor({ state: "detached" });
  const after = await other.session();
  assert.equal(after.status, 401);
  assert.equal((await after.json()).code, "signed_out");
});

step("a forgotten password is reset from the mail's link, and every session ends", async () => {
  await signOut();
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await page.getByRole("heading", { name: "Forgot your password?" }).waitFor();
  await screens("forgot-password");
  const isReset = (text) => text.includes("/reset-password");
  const earlier = readMails(path.join(tmp, "mail")).filter(mailTo(EMAIL, isReset)).length;
  await fill("Email", EMAIL);
  await page.getByRole("button", { name: "Send the link" }).click();
  await page.getByTestId("reset-sent").waitFor();
  await screens("reset-sent");

  const mail = await mailsTo(EMAIL, "the password reset", isReset, earlier);
  const link = linkIn(mail, base, "/reset-password");
  await page.goto(link);
  await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
  await screens("reset-password");
  await fill("New password", NEW_PASSWORD);
  await fill("New password again", NEW_PASSWORD);
  await page.getByRole("button", { name: "Save the new password" }).click();
  await page.getByText("Your password is changed. Sign in with the new one.").waitFor();

  // The old password no longer works; the new one does (with a recovery code for the second step).
  await fill("Email", EMAIL);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("form-error").waitFor();
  await signIn(NEW_PASSWORD, async () => {
    await page.getByRole("button", { name: "Use a recovery code" }).click();
    await fill("Recovery code", recoveryCodes[3]);
    await page.getByRole("button", { name: "Verify" }).click();
  });
  await page.getByTestId("dashboard-servers").waitFor();

  // The link works once.
  await page.goto(link);
  await fill("New password", "yet another passphrase");
  await fill("New password again", "yet another passphrase");
  await page.getByRole("button", { name: "Save the new password" }).click();
  await page.getByTestId("reset-expired").waitFor();
  await screens("reset-expired");
});

step("a new email address counts once the link mailed to it is opened", async () => {
  const NEW_EMAIL = "ada.lovelace@example.com";
  await page.goto(`${base}/account`);
  await fill("New email address", NEW_EMAIL);
  await fill("Your password", NEW_PASSWORD);
  await page.getByRole("button", { name: "Change email" }).click();
  await page.getByTestId("email-change-sent").waitFor();
  await screens("email-change-sent");
  // The old address is told; the new one gets the link.
  await mailsTo(EMAIL, "the notice to the old address", (text) => text.includes(NEW_EMAIL));
  const mail = await mailsTo(NEW_EMAIL, "the confirmation link", (text) => text.includes("/confirm-email"));
  assert.equal(await page.getByTestId("account-email").textContent(), EMAIL);

  await page.goto(linkIn(mail, base, "/confirm-email"));
  await page.getByRole("heading", { name: "Confirm your new email address" }).waitFor();
  await screens("confirm-email");
  await page.getByRole("button", { name: "Confirm the new address" }).click();
  await page.getByTestId("email-confirmed").waitFor();
  await screens("email-confirmed");
  await page.goto(`${base}/account`);
  await page.getByTestId("account-email").getByText(NEW_EMAIL).waitFor();
});

step("the phone menu opens and leads to every page; unknown pages and tenants say so", async () => {
  await page.goto(`${base}/`);
  await page.getByTestId("dashboard-servers").waitFor();
  await page.setViewportSize({ width: 360, height: 780 });
  await page.getByTestId("menu-toggle").click();
  const menu = page.locator("#phone-nav");
  await menu.waitFor();
  await shootAll(page, SHOTS, shootName("phone-menu"), { only: "phone" });
  await menu.getByRole("link", { name: "Wallet" }).click();
  await page.getByTestId("wallet-balance").waitFor();
  await page.setViewportSize({ width: 1280, height: 860 });

  await page.goto(`${base}/no-such-page`);
  await page.getByText("This page does not exist").waitFor();
  await screens("not-found");
  await page.goto(`${portal.url}/nobody-here/sign-in`);
  await page.getByText("There is no customer portal here").waitFor();
  await screens("unknown-tenant");
});

step("the pages obey the portal's CSP: no violation was reported", async () => {
  const violations = [];
  const p = await context.newPage();
  p.on("console", (m) => /Content Security Policy|Refused to/.test(m.text()) && violations.push(m.text()));
  for (const route of ["/", "/servers", "/documents", "/wallet", "/account/security", "/account/sessions"]) {
    await p.goto(`${base}${route}`);
    await p.locator("main").waitFor();
    await p.waitForTimeout(500);
  }
  await p.close();
  assert.deepEqual(violations, []);
});
