// The customer portal from the reseller's desk to the customer's browser:
// the real desktop app under Xvfb (its keyring a private gnome-keyring) pairs
// in Settings → Customer portal with the real containerstacks-portal on an
// embedded SQLite file, whose mail goes to a real SMTP sink on loopback. The
// reseller creates a customer and a server and clicks "Invite to portal"; the
// customer opens the mailed link in headless Chromium, sets a password and
// sees the server and its live state, pushed by the desktop. Along the way the
// customer turns on two-factor sign-in, downloads an invoice's PDF and reads
// it, reboots their server from the portal (a request the desktop carries
// out), and watches a payment the reseller records reach their wallet.
//
// Needs `cargo build -p containerstacks -p cs-fakes --bins -p cs-portal --bins`
// and `npm run build:portal` in ui/ (cargo xtask e2e does it).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

import { ELEMENT, Session, sleep, startDriverWithKeyring } from "./webdriver.mjs";
import { issueLastMonthsInvoice, sql, storeIn } from "./store.mjs";
import { SMTP_PASSWORD, freshCode, linkIn, pdfText, startPortal, startSmtp, waitForMail } from "../portal/support.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const app = process.env.CS_APP_BINARY;
const shots = path.join(here, "screenshots");
const CHROMIUM = process.env.CS_CHROMIUM ?? "/usr/bin/chromium";
const EMAIL = "ingrid@fjord.example";
const PASSWORD = "a fjord in winter light";

let tmp;
let driver;
let s;
let smtp;
let portal;
let browser;

before(async () => {
  assert.ok(app && existsSync(app), `CS_APP_BINARY must name the built app (got ${app}); run \`cargo xtask e2e\``);
  const bin = (name) => path.join(path.dirname(app), name);
  tmp = await mkdtemp(path.join(os.tmpdir(), "cs-e2e-portal-"));
  smtp = await startSmtp(bin("fake-smtp"), path.join(tmp, "mail"));
  const passwordFile = path.join(tmp, "smtp-password");
  await writeFile(passwordFile, SMTP_PASSWORD, { mode: 0o600 });
  portal = await startPortal(bin("containerstacks-portal"), { data: path.join(tmp, "portal"), smtp, passwordFile });
  assert.ok(portal.code, "the portal printed a pairing code");
  await mkdir(path.join(tmp, "xdg"));
  driver = await startDriverWithKeyring({ XDG_DATA_HOME: path.join(tmp, "xdg"), CS_DATA_DIR: path.join(tmp, "data") });
});

after(async () => {
  await browser?.close().catch(() => {});
  await s?.quit();
  driver?.stop();
  await portal?.stop();
  await smtp?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function showCard() {
  await s.exec("document.querySelector('[data-testid=portal-settings]').scrollIntoView({ block: 'center' })");
  await sleep(300);
}

/** Opens the customer `name` from the Customers list, once the list shows it. */
async function openCustomer(name) {
  await s.go("#/customers");
  const row = await s.find('[data-testid="customers-table"] tr[data-row-id]', { text: name });
  // A click from the page: a toast may cover the row for WebDriver.
  await s.exec("arguments[0].click()", { [ELEMENT]: row });
}

/** Clicks a button by its label from the page (a toast may cover it for WebDriver). */
async function pressButton(label) {
  await s.waitFor(() => s.exec("const b = [...document.querySelectorAll('button')].find((b) => b.textContent.trim().endsWith(arguments[0]) && !b.disabled); if (b) { b.scrollIntoView(); b.click(); return true; } return false;", label), { what: `an enabled button "${label}"` });
}

test("the reseller pairs with the portal and invites a customer, who signs in and sees their organization and server, kept up to date, also while the desktop is closed", async () => {
  s = await Session.start(driver.url, app, shots);
  await s.find('a[href="#/dashboard"]', { timeout: 30_000 });

  // A customer with a server, before the portal exists: the pairing sends it all.
  await s.go("#/customers");
  await s.clickButton("New customer");
  await s.type('input[name="name"]', "Fjord Hosting AS");
  await s.type('input[name="contactName"]', "Ingrid Fjeld");
  await s.type('input[name="contactEmail"]', EMAIL);
  await s.select("country", "NO");
  await s.clickButton("Create customer");
  await s.find('[data-testid="customers-table"] tr[data-row-id]', { text: "Fjord Hosting AS" });

  // The store as a reseller upgrading from a version before the portal has
  // it: an invoice issued last month, as the month-end billing run would have
  // made it (the engine only invoices months that are over, which a test
  // cannot wait for), and no portal outbox yet. Written with the sqlite3 tool
  // while the app is closed; on its next start the app fills the outbox from
  // the store, and the pairing below carries it all to the portal.
  await s.quit();
  const dbFile = storeIn(path.join(tmp, "data"));
  const invoice = `INV-${new Date().getUTCFullYear()}-FJ0001`;
  issueLastMonthsInvoice(dbFile, {
    id: "e2e-fjord-invoice",
    org: sql(dbFile, "SELECT id FROM organizations LIMIT 1"),
    customerName: "Fjord Hosting AS",
    country: "NO",
    number: invoice,
    line: "Server fjord-old-1 (Starter 2 GB, eu-west)",
    after: "DELETE FROM portal_outbox;",
  });
  s = await Session.start(driver.url, app, shots);
  await s.find('a[href="#/dashboard"]', { timeout: 30_000 });

  // --- Settings → Customer portal: a wrong code is refused on its field, the right one pairs.
  await s.go("#/settings");
  await s.find('[data-testid="portal-settings"]');
  await s.exec("document.querySelector('[data-testid=portal-settings]').scrollIntoView()");
  await s.type('input[name="url"]', portal.url);
  await s.type('input[name="code"]', "WRONG-CODE");
  await pressButton("Pair");
  await s.find('[data-field-error="code"]', { timeout: 15_000 });
  await showCard();
  await s.screenshot("portal-01-wrong-code");
  await s.type('input[name="code"]', portal.code);
  await pressButton("Pair");
  await s.find('[data-testid="portal-customer-url"]', { text: portal.url, timeout: 15_000 });
  await s.find('[data-testid="portal-waiting"]', { text: "the portal is up to date", timeout: 20_000 });
  await s.find('[data-testid="portal-settings"]', { text: "Connected" });
  const customerUrl = (await s.text(await s.find('[data-testid="portal-customer-url"]'))).trim();
  await showCard();
  await s.screenshot("portal-02-paired");

  // --- Invite to portal on the customer's page: the portal mails the contact.
  await openCustomer("Fjord Hosting AS");
  await pressButton("Invite to portal");
  await s.find('[role="status"]', { text: "Invitation on its way" });
  await s.screenshot("portal-03-invited");
  const mail = await waitForMail(path.join(tmp, "mail"), "the invitation", (m) => m.rcpt_to.includes(EMAIL), { timeoutMs: 30_000 });
  const link = linkIn(mail, portal.url, "/accept-invitation");

  // --- The customer, in a browser: accept, set a password, see the (empty) servers.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: "en-GB", timezoneId: "UTC" })).newPage();
  await page.goto(link);
  await page.getByRole("heading", { name: "Welcome, Ingrid Fjeld" }).waitFor();
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Password again").fill(PASSWORD);
  await page.getByRole("button", { name: "Set password and sign in" }).click();
  await page.getByText("Your account is ready").waitFor();
  assert.ok(page.url().startsWith(customerUrl.replace(/\/$/, "")), `${page.url()} is under ${customerUrl}`);

  await page.getByText("Fjord Hosting AS").first().waitFor();
  await page.screenshot({ path: path.join(shots, "portal-04-customer-dashboard.png"), fullPage: true });

  // --- Two-factor sign-in, set up with the secret behind the QR code.
  await page.goto(`${customerUrl}account/security`);
  await page.getByTestId("two-factor-start").click();
  await page.getByTestId("two-factor-qr").waitFor();
  const secret = await page.getByTestId("two-factor-secret").getAttribute("data-secret");
  let { code, step: usedStep } = await freshCode(secret, 0);
  await page.getByLabel("Code", { exact: true }).fill(code);
  await page.getByRole("button", { name: "Turn on" }).click();
  assert.equal((await page.getByTestId("recovery-code").allTextContents()).length, 10, "ten recovery codes are shown once");
  await page.getByTestId("recovery-codes-done").click();
  await page.getByTestId("two-factor-state").getByText("on").waitFor();

  // --- Last month's invoice, made on the desktop: its PDF, rendered by the portal, reads right.
  await page.goto(`${customerUrl}documents`);
  await page.getByTestId("documents-table").getByRole("link", { name: invoice, exact: true }).click();
  await page.getByTestId("document-title").getByText(invoice).waitFor();
  await page.screenshot({ path: path.join(shots, "portal-04b-customer-invoice.png"), fullPage: true });
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-pdf").click()]);
  assert.equal(download.suggestedFilename(), `${invoice}.pdf`);
  const pdfFile = path.join(tmp, "invoice.pdf");
  await download.saveAs(pdfFile);
  assert.equal((await readFile(pdfFile)).subarray(0, 5).toString("latin1"), "%PDF-");
  const text = pdfText(pdfFile);
  for (const expected of [invoice, "Fjord Hosting AS", "Server fjord-old-1 (Starter 2 GB, eu-west)", "16.74"]) {
    assert.ok(text.includes(expected), `the invoice PDF shows "${expected}":\n${text}`);
  }

  // --- The reseller renames the customer: the portal follows within seconds.
  await openCustomer("Fjord Hosting AS");
  await pressButton("Edit");
  await s.type('input[name="name"]', "Fjord Hosting ASA");
  await pressButton("Save customer");
  const deadline = Date.now() + 20_000;
  for (;;) {
    await page.reload();
    if (await page.getByText("Fjord Hosting ASA").count()) break;
    assert.ok(Date.now() < deadline, "the portal shows the new name within 20 s");
    await sleep(1000);
  }
  await page.screenshot({ path: path.join(shots, "portal-05-customer-renamed.png"), fullPage: true });

  // --- A server created on the desktop: the customer watches it boot, live.
  await s.go("#/plans");
  await s.clickButton("New plan");
  await s.select("provider", "sandbox");
  await s.select("providerType", "sb-small");
  await s.type('input[name="name"]', "Starter 2 GB");
  await s.click('input[name="regions"][value="eu-west"]');
  await s.type('input[name="monthlyPrice"]', "15.00");
  await s.type('input[name="hourlyPrice"]', "0.0225");
  await s.clickButton("Create plan");
  await s.find('[data-testid="plans-table"] tr[data-row-id]', { text: "Starter 2 GB" });
  await s.go("#/servers");
  await s.clickButton("New server");
  const option = (name, text) => s.exec(`return [...document.querySelectorAll('select[name="${name}"] option')].find(o => o.textContent.includes('${text}'))?.value ?? null`);
  await s.pick("organizationId", "Fjord");
  await s.waitFor(async () => await option("planId", "Starter"), { what: "the plan in the server form" });
  await s.select("planId", await option("planId", "Starter"));
  await s.select("region", "eu-west");
  await s.select("image", "sandbox/debian12");
  await s.type('input[name="label"]', "fjord-web-1");
  await s.type('input[name="rootPassword"]', "Correct-Horse-9!");
  await s.clickButton("Create server");
  await page.goto(`${customerUrl}servers`);
  await page.getByTestId("servers-table").getByText("fjord-web-1").waitFor({ timeout: 20_000 });
  await page.getByRole("link", { name: "fjord-web-1" }).click();
  const status = page.getByTestId("server-status");
  await status.and(page.locator('[data-status="running"]')).waitFor({ timeout: 60_000 });
  await page.screenshot({ path: path.join(shots, "portal-05b-customer-server-running.png"), fullPage: true });

  // --- The customer reboots the server from the portal: a request the desktop
  // fetches (its worker long-polls the portal), checks and carries out; both
  // sides show it, live. Every status each page shows is noted as it comes,
  // so a reboot quicker than a poll is not missed.
  const serverId = new URL(page.url()).pathname.split("/").pop();
  await s.exec("location.hash = arguments[0]", `#/servers/${serverId}`);
  await s.find('[data-testid="server-status"][data-status="running"]', { timeout: 20_000 });
  const recordStatuses = `
    window.__statuses = [];
    const note = () => {
      const st = document.querySelector('[data-testid="server-status"]')?.getAttribute("data-status");
      if (st && window.__statuses[window.__statuses.length - 1] !== st) window.__statuses.push(st);
    };
    note();
    window.__statusTimer = setInterval(note, 50);`;
  await s.exec(recordStatuses);
  await page.evaluate(recordStatuses);
  const card = page.getByTestId("power-card");
  assert.equal(await card.getByTestId("desktop-offline").count(), 0, "the desktop is online: it asks the portal for requests all the time");
  await page.getByTestId("power-reboot").click();
  const dialog = page.getByRole("alertdialog");
  await dialog.getByText("Reboot fjord-web-1?").waitFor();
  await page.screenshot({ path: path.join(shots, "portal-05b2-customer-reboot-confirm.png"), animations: "disabled" });
  await dialog.getByTestId("power-confirm").click();
  const newest = card.getByTestId("action-state").first();
  await newest.and(page.locator('[data-state="applied"]')).waitFor({ timeout: 30_000 });
  assert.equal(await newest.textContent(), "Carried out");
  assert.equal(await card.getByTestId("action-waiting").count(), 0);
  assert.match(await card.getByTestId("server-action").first().textContent(), /Reboot.*Carried out.*Ingrid Fjeld/);
  await page.screenshot({ path: path.join(shots, "portal-05b3-customer-reboot-carried-out.png"), fullPage: true });

  // The desktop's server page: its activity names who asked, and the server reboots and runs again.
  const asked = await s.find("li", { text: "Ingrid Fjeld asked on the portal to reboot fjord-web-1", timeout: 30_000 });
  assert.match(await s.text(asked), /Ingrid Fjeld/);
  await s.find('[data-testid="server-status"][data-status="running"]', { timeout: 30_000 });
  // The portal page follows the desktop's pushes, without a reload.
  await page.getByTestId("server-status").and(page.locator('[data-status="running"]')).waitFor({ timeout: 30_000 });
  const desktopSaw = await s.exec("clearInterval(window.__statusTimer); return window.__statuses");
  const customerSaw = await page.evaluate("clearInterval(window.__statusTimer), window.__statuses");
  assert.deepEqual(desktopSaw, ["running", "rebooting", "running"], "the desktop's server page showed the reboot");
  assert.deepEqual(customerSaw, ["running", "rebooting", "running"], "the portal's server page showed the reboot live");
  // The activity card is below the fold: show the entry in the screenshot.
  await s.exec("[...document.querySelectorAll('li')].find((li) => li.innerText.includes(arguments[0]))?.scrollIntoView({ block: 'center' })", "asked on the portal to reboot fjord-web-1");
  await sleep(300);
  await s.screenshot("portal-05b4-desktop-server-rebooted-for-customer");
  await page.screenshot({ path: path.join(shots, "portal-05b5-customer-server-running-again.png"), fullPage: true });

  // --- The reseller records a bank transfer: the customer's wallet shows it, with its receipt.
  await openCustomer("Fjord Hosting ASA");
  await pressButton("Record payment");
  await s.type('dialog[open] input[name="amount"]', "25.00");
  await s.select("method", "bank_transfer");
  await s.type('dialog[open] input[name="reference"]', "FJORD-0042");
  await s.click('dialog[open] button[type="submit"]');
  await s.waitFor(async () => /25\.00/.test(await s.text(await s.find('[data-testid="wallet-balance"]'))), { what: "the wallet balance after the payment" });
  await page.goto(`${customerUrl}wallet`);
  const paid = Date.now() + 20_000;
  for (;;) {
    if (/25\.00/.test((await page.getByTestId("wallet-balance").textContent({ timeout: 10_000 })) ?? "")) break;
    assert.ok(Date.now() < paid, "the payment reaches the customer's wallet within 20 s");
    await sleep(1000);
    await page.reload();
  }
  await page.screenshot({ path: path.join(shots, "portal-05c-customer-wallet.png"), fullPage: true });
  await page.goto(`${customerUrl}documents`);
  await page.getByTestId("documents-table").getByText(/^RCT-/).first().waitFor({ timeout: 20_000 });

  // --- The portal goes down: the desktop says so and keeps the change; back up, it arrives.
  await portal.stop();
  await openCustomer("Fjord Hosting ASA");
  await pressButton("Edit");
  await s.type('input[name="name"]', "Fjord Cloud ASA");
  await pressButton("Save customer");
  await s.go("#/settings");
  await s.find('[data-testid="portal-error"]', { text: "cannot be reached", timeout: 30_000 });
  await s.find('[data-testid="portal-waiting"]', { text: "1 record" });
  await showCard();
  await s.screenshot("portal-06-portal-down");
  const port = Number(new URL(portal.url).port);
  portal = await startPortal(path.join(path.dirname(app), "containerstacks-portal"), { data: path.join(tmp, "portal"), smtp, passwordFile: path.join(tmp, "smtp-password"), port });
  await pressButton("Sync now");
  await s.find('[data-testid="portal-waiting"]', { text: "the portal is up to date", timeout: 30_000 });
  const back = Date.now() + 20_000;
  for (;;) {
    await page.reload();
    if (await page.getByText("Fjord Cloud ASA").count()) break;
    assert.ok(Date.now() < back, "the change made while the portal was down arrives after it restarts");
    await sleep(1000);
  }

  // --- The desktop is closed: the customer still signs in and sees the last state.
  await s.quit();
  s = null;
  driver.stop();
  driver = null;
  await page.goto(`${customerUrl}`);
  await page.getByTestId("sign-out").click();
  await page.getByText("You have signed out.").waitFor();
  await page.goto(`${customerUrl}sign-in`);
  await page.getByLabel("Email", { exact: true }).fill(EMAIL);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  // Two-factor is on: the password alone is not enough.
  ({ code, step: usedStep } = await freshCode(secret, usedStep));
  await page.getByLabel("Code", { exact: true }).fill(code);
  await page.getByRole("button", { name: "Verify" }).click();
  await page.getByText("Fjord Cloud ASA").first().waitFor();
  await page.goto(`${customerUrl}servers`);
  await page.getByTestId("servers-table").getByText("fjord-web-1").waitFor();
});
