// PayPal top-ups in the real desktop app under Xvfb, against the fake PayPal
// (the `fake-paypal` bin of cs-fakes, started here on a loopback port):
// Settings → Payments with a wrong and then the right secret, Test connection,
// a payment link for a customer, the payer's "click" on the approval URL
// (a GET from this test), the poller capturing and crediting the wallet,
// then a partial refund with its credit note.
//
// The PayPal secret goes to the OS keyring, so the app runs in a private
// D-Bus session with gnome-keyring-daemon (as `cargo xtask test` does for the
// keyring test). Needs `cargo build -p cs-fakes --bin fake-paypal` (done by
// `cargo xtask e2e`).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";

import { Session, sleep, startDriverWithKeyring } from "./webdriver.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const app = process.env.CS_APP_BINARY;
const shots = path.join(here, "screenshots");
let dataDir;
let keyringHome;
let driver;
let fake;
let paypal;
let s;

/** Starts the fake PayPal and reads the JSON line it prints. */
async function startFakePayPal() {
  const bin = path.join(path.dirname(app), "fake-paypal");
  assert.ok(existsSync(bin), `${bin} is missing: run \`cargo build -p cs-fakes --bin fake-paypal\` (cargo xtask e2e does)`);
  const child = spawn(bin, [], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    rl.once("line", resolve);
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`fake-paypal exited with ${code}`)));
  });
  return { child, info: JSON.parse(line) };
}


before(async () => {
  assert.ok(app && existsSync(app), `CS_APP_BINARY must name the built app (got ${app}); run \`cargo xtask e2e\``);
  dataDir = await mkdtemp(path.join(os.tmpdir(), "cs-e2e-pay-"));
  keyringHome = await mkdtemp(path.join(os.tmpdir(), "cs-e2e-keyring-"));
  fake = await startFakePayPal();
  paypal = fake.info;
  driver = await startDriverWithKeyring({ CS_DATA_DIR: dataDir, XDG_DATA_HOME: keyringHome });
});

after(async () => {
  await s?.quit();
  driver?.stop();
  fake?.child.kill("SIGTERM");
  for (const d of [dataDir, keyringHome]) if (d) await rm(d, { recursive: true, force: true });
});

async function balanceIs(amount, timeout = 20_000) {
  await s.waitFor(async () => (await s.text(await s.find('[data-testid="wallet-balance"]'))).includes(amount), { timeout, what: `the wallet balance ${amount}` });
}

test("staff sets up PayPal, sends a payment link, the customer pays, the wallet is credited once, and a partial refund makes a credit note", async () => {
  s = await Session.start(driver.url, app, shots);
  await s.find('a[href="#/dashboard"]', { timeout: 30_000 });

  // --- Payments list before anything: empty state pointing at Settings.
  await s.go("#/payments");
  await s.find("h1", { text: "Payments" });
  await s.find("h3", { text: "No payments yet" });
  await s.screenshot("pay-01-payments-empty");

  // --- Settings → Payments: a wrong secret first.
  await s.go("#/settings");
  await s.find('[data-testid="paypal-settings"]');
  await s.type('input[name="clientId"]', paypal.clientId);
  await s.type('input[name="secret"]', "WrongSecret123");
  await s.clickButton("Advanced: API base URL, webhook id");
  await s.type('input[name="baseUrl"]', paypal.baseUrl);
  await s.type('input[name="webhookId"]', paypal.webhookId);
  await s.clickButton("Save PayPal settings");
  await s.find('[role="status"]', { text: "PayPal settings saved" });
  await s.clickButton("Test connection");
  await s.find('[data-testid="paypal-test-result"][data-ok="false"]', { text: "refused this client id and secret", timeout: 20_000 });
  await s.screenshot("pay-02-settings-wrong-secret");
  // The stored secret is not shown back, and never typed into the page.
  assert.equal(await s.exec('return document.querySelector("input[name=secret]").value'), "");

  await s.type('input[name="secret"]', paypal.clientSecret);
  await s.clickButton("Save PayPal settings");
  await s.waitFor(async () => (await s.exec('return document.querySelector("input[name=secret]").value')) === "", { what: "the secret field cleared after saving" });
  await s.clickButton("Test connection");
  await s.find('[data-testid="paypal-test-result"][data-ok="true"]', { text: "Connected", timeout: 20_000 });
  await s.screenshot("pay-03-settings-connected");

  // --- A customer.
  await s.go("#/customers");
  await s.clickButton("New customer");
  await s.type('input[name="name"]', "Kestrel Apps Ltd");
  await s.type('input[name="contactName"]', "Kim Kestrel");
  await s.type('input[name="contactEmail"]', "kim@kestrel.example");
  await s.select("country", "GB");
  await s.clickButton("Create customer");
  await s.click('[data-testid="customers-table"] a', { text: "Kestrel Apps Ltd" });
  await s.find('[data-testid="payments-card"]');

  // --- A payment link: a bad amount first, then 50.00.
  await s.clickButton("Create payment link");
  await s.type('input[name="amount"]', "-3");
  await s.clickButton("Create link");
  await s.find('[data-field-error="amount"]');
  await s.type('input[name="amount"]', "50.00");
  await s.clickButton("Create link");
  const urlInput = await s.find('[data-testid="payment-link-url"]', { timeout: 20_000 });
  const approveUrl = await s.exec("return arguments[0].value", { "element-6066-11e4-a52e-4f735466cecf": urlInput });
  assert.ok(approveUrl.startsWith(paypal.baseUrl), approveUrl);
  await s.screenshot("pay-04-payment-link");

  // --- The customer pays: the approval page of (fake) PayPal.
  const resp = await fetch(approveUrl);
  assert.equal(resp.status, 200, await resp.text());

  // The poller captures and credits; the payment page follows on its own.
  await s.click('a[href^="#/payments/"]', { text: "Open payment" });
  await s.find('[data-testid="payment-status"][data-status="completed"]', { timeout: 30_000 });
  await s.find('[data-testid="payment-receipt"]');
  const captureId = await s.text(await s.find('[data-testid="payment-capture-id"]'));
  assert.match(captureId, /^[A-Z0-9]{17}$/);
  await s.screenshot("pay-05-payment-completed");

  await s.click('a[href^="#/customers/"]', { text: "Kestrel Apps Ltd" });
  await balanceIs("50.00");
  await sleep(6000); // another poller round: still credited once
  await s.go("#/payments");
  await s.click('[data-testid="payments-table"] a[href^="#/payments/"]');
  await s.find('[data-testid="payment-status"][data-status="completed"]');

  // --- A refund of more than was paid is refused; 20.00 goes through.
  await s.clickButton("Refund");
  await s.type('input[name="amount"]', "80.00");
  await s.type('input[name="reason"]', "Server cancelled");
  await s.clickButton("Refund with PayPal");
  await s.find('[data-field-error="amount"]', { text: "At most" });
  await s.screenshot("pay-06-refund-too-much");
  await s.type('input[name="amount"]', "20.00");
  await s.clickButton("Refund with PayPal");
  await s.find('[data-testid="payment-status"][data-status="partially_refunded"]', { timeout: 20_000 });
  await s.find('[data-testid="payment-refunded"]', { text: "20.00" });
  await s.screenshot("pay-07-partially-refunded");

  await s.click('[data-testid="refund-credit-note"]');
  await s.clickButton("Summary");
  await s.find('[data-testid="document-preview"][data-kind="credit_note"]');
  await s.screenshot("pay-08-credit-note");

  await s.go("#/customers");
  await s.click('[data-testid="customers-table"] a', { text: "Kestrel Apps Ltd" });
  await balanceIs("30.00");
  await s.screenshot("pay-09-customer-after-refund");

  await s.go("#/payments");
  await s.find('[data-testid="payments-table"] tr[data-row-id]', { text: "Kestrel Apps Ltd" });
  await s.screenshot("pay-10-payments-list");
});
