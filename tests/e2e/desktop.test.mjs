// The real ContainerStacks desktop app under Xvfb, driven over WebDriver
// (tauri-driver + WebKitWebDriver): a reseller's first session on a fresh
// machine, then a restart that must find everything still there.
//
// Run through `cargo xtask e2e` (or `cargo xtask test`), which builds the UI
// and the app and starts Xvfb. CS_APP_BINARY names the built binary.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Session, startDriver, watchNotifications } from "./webdriver.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const app = process.env.CS_APP_BINARY;
const shots = path.join(here, "screenshots");
let dataDir;
let driver;
let s;

before(async () => {
  assert.ok(app && existsSync(app), `CS_APP_BINARY must name the built app (got ${app}); run \`cargo xtask e2e\``);
  dataDir = await mkdtemp(path.join(os.tmpdir(), "cs-e2e-"));
  // The app inherits this environment through tauri-driver and WebKitWebDriver:
  // its own data folder, and one-second Sandbox steps so the test sees each state.
  driver = await startDriver({ CS_DATA_DIR: dataDir, CS_SANDBOX_STEP_MS: "1500" });
});

after(async () => {
  await s?.quit();
  driver?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function open() {
  s = await Session.start(driver.url, app, shots);
  await s.find('a[href="#/dashboard"]', { timeout: 30_000 });
}

async function rowWith(table, text) {
  return s.find(`[data-testid="${table}"] tr[data-row-id]`, { text });
}

async function statusIs(status, timeout = 20_000) {
  await s.find(`[data-testid="server-status"][data-status="${status}"]`, { timeout });
}

test("a reseller creates a customer, a plan and a server, drives it through its life, and finds everything after a restart", async () => {
  await open();
  await s.screenshot("01-dashboard-empty");

  // --- Customers, with bad input first.
  await s.go("#/customers");
  await s.find("h1", { text: "Customers" });
  await s.screenshot("02-customers-empty");
  await s.clickButton("New customer");
  await s.clickButton("Create customer");
  await s.find('[data-field-error="name"]');
  await s.type('input[name="name"]', "Ødegård Hosting AS");
  await s.type('input[name="contactName"]', "Zoë Ødegård");
  await s.type('input[name="contactEmail"]', "not-an-email");
  await s.select("country", "NO");
  await s.clickButton("Create customer");
  await s.find('[data-field-error="contactEmail"]');
  await s.screenshot("03-customer-form-errors");
  await s.type('input[name="contactEmail"]', "zoe@odegard.example");
  await s.clickButton("Create customer");
  await rowWith("customers-table", "Ødegård Hosting AS");

  // A duplicate name is refused by the backend, next to the field, and not stored.
  await s.clickButton("New customer");
  await s.type('input[name="name"]', "ødegård hosting as");
  await s.type('input[name="contactName"]', "Someone Else");
  await s.type('input[name="contactEmail"]', "else@example.com");
  await s.select("country", "DE");
  await s.clickButton("Create customer");
  const dup = await s.find('[data-field-error="name"]');
  assert.match(await s.text(dup), /already exists/);
  await s.exec("document.querySelector('dialog[open]')?.close()");
  await s.go("#/customers");
  assert.equal((await s.findAll('[data-testid="customers-table"] tr[data-row-id]')).length, 1);
  await s.screenshot("04-customers");

  // --- A plan on the Sandbox catalogue; an absurd price is refused first.
  await s.go("#/plans");
  await s.clickButton("New plan");
  await s.select("provider", "sandbox");
  await s.select("providerType", "sb-small");
  await s.type('input[name="name"]', "Starter 2 GB");
  await s.click('input[name="regions"][value="eu-west"]');
  await s.type('input[name="monthlyPrice"]', "1500000");
  await s.type('input[name="hourlyPrice"]', "0.0225");
  await s.clickButton("Create plan");
  const price = await s.find('[data-field-error="monthlyPrice"]');
  assert.match(await s.text(price), /extra zero|above/);
  await s.screenshot("05-plan-form-error");
  await s.type('input[name="monthlyPrice"]', "15.00");
  await s.clickButton("Create plan");
  const planRow = await rowWith("plans-table", "Starter 2 GB");
  // Our price is shown next to the provider's own (12.00 in eu-west).
  const planText = await s.text(planRow);
  assert.match(planText, /15\.00/);
  assert.match(planText, /12\.00/);
  await s.screenshot("06-plans");

  // --- A server from the plan, watched live from provisioning to running.
  await s.go("#/servers");
  await s.clickButton("New server");
  // The customer is searched for (the picker asks the paged customers command).
  await s.click('input[name="organizationId-search"]');
  await s.find('[data-testid="organizationId-options"] [role="option"]', { text: "zoe@odegard.example" });
  await s.screenshot("07-customer-picker");
  await s.pick("organizationId", "Ødegård");
  await s.select("planId", await s.exec(`return [...document.querySelectorAll('select[name="planId"] option')].find(o => o.textContent.includes('Starter')).value`));
  await s.select("region", "eu-west");
  await s.select("image", "sandbox/debian12");
  await s.type('input[name="label"]', "web-1");
  await s.type('input[name="rootPassword"]', "Correct-Horse-9!");
  await s.screenshot("07-new-server");
  await s.clickButton("Create server");
  await statusIs("provisioning", 10_000).catch(() => statusIs("booting", 5_000));
  await s.screenshot("08-server-provisioning");
  await statusIs("running");
  await s.screenshot("09-server-running");

  await s.clickButton("Reboot");
  await statusIs("rebooting", 5_000);
  await statusIs("running");
  await s.clickButton("Shut down");
  await statusIs("offline");
  await s.clickButton("Boot");
  await statusIs("running");

  await s.clickButton("Delete");
  await s.find("dialog[open]", { text: "web-1" });
  await s.screenshot("10-delete-confirm");
  await s.clickButton("Delete server");
  await statusIs("deleted", 20_000);

  // --- The activity log tells the story.
  await s.go("#/activity");
  for (const line of ["Created customer Ødegård Hosting AS", "Created plan Starter 2 GB", "Created server web-1", "Rebooting server web-1", "Shutting down server web-1", "Booting server web-1", "Deleting server web-1", "Server web-1 was deleted"]) {
    await rowWith("activity-table", line);
  }
  await s.screenshot("11-activity");
  // --- Money: a bank transfer into the customer's wallet, with its receipt,
  // and a desktop notification that it came in.
  const pid = Number((await readFile(path.join(dataDir, "containerstacks.db.lock"), "utf8")).trim());
  const notifications = await watchNotifications(pid);
  await s.go("#/customers");
  await s.click('[data-testid="customers-table"] a', { text: "Ødegård Hosting AS" });
  await s.find('[data-testid="wallet-card"]');
  await s.clickButton("Record payment");
  await s.type('dialog[open] input[name="amount"]', "25.00");
  await s.select("method", "bank_transfer");
  await s.type('dialog[open] input[name="reference"]', "BANK-2026-0001");
  await s.click('dialog[open] button[type="submit"]');
  await s.waitFor(async () => /2[45]\.\d\d/.test(await s.text(await s.find('[data-testid="wallet-balance"]'))), { what: "the wallet balance after the payment" });
  await s.screenshot("12-customer-wallet");
  const shown = await s.waitFor(async () => notifications.seen().find((n) => n.title === "Payment received"), { what: "the payment's desktop notification" });
  notifications.stop();
  assert.match(shown.body, /Ødegård Hosting AS/, JSON.stringify(shown));
  assert.match(shown.body, /25[.,]00/, JSON.stringify(shown));
  await s.go("#/invoices");
  await rowWith("documents-table", "RCT-");
  await s.screenshot("13-documents");
  await s.go("#/billing");
  await s.find('[data-testid="stat-wallets-total"]');
  await s.screenshot("14-billing");

  await s.go("#/dashboard");
  await s.screenshot("15-dashboard");
  await s.go("#/settings");
  await s.screenshot("16-settings");

  // --- Close the app and open it again: everything is still there.
  await s.quit();
  s = undefined;
  await open();
  await s.go("#/customers");
  await rowWith("customers-table", "Ødegård Hosting AS");
  await s.go("#/plans");
  await rowWith("plans-table", "Starter 2 GB");
  await s.go("#/activity");
  await rowWith("activity-table", "Created server web-1");
  await s.go("#/invoices");
  await rowWith("documents-table", "RCT-");
  await s.screenshot("17-after-restart");
});
