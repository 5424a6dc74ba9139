// Prices and add-ons in the real desktop app: a markup per region on a plan
// with the resulting customer price, a new price version that a running server
// only gets once "Apply to running servers" is clicked, and an add-on switched
// on and off from the server's page.
//
// Run like the other e2e files (`cargo xtask e2e`); CS_APP_BINARY names the
// built app. Only the built-in Sandbox provider is used: no keyring needed.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Session, startDriver } from "./webdriver.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const app = process.env.CS_APP_BINARY;
const shots = path.join(here, "screenshots");
let dataDir;
let driver;
let s;

before(async () => {
  assert.ok(app && existsSync(app), `CS_APP_BINARY must name the built app (got ${app}); run \`cargo xtask e2e\``);
  dataDir = await mkdtemp(path.join(os.tmpdir(), "cs-e2e-pricing-"));
  driver = await startDriver({ CS_DATA_DIR: dataDir, CS_SANDBOX_STEP_MS: "800" });
});

after(async () => {
  await s?.quit();
  driver?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function rowWith(table, text) {
  return s.find(`[data-testid="${table}"] tr[data-row-id]`, { text });
}

async function cell(item, region, testid) {
  return s.text(await s.find(`[data-testid="price-table-${item}"] tr[data-region="${region}"] [data-testid="${testid}"]`));
}

/** The add-ons card sits low on the server page: bring the button into view first. */
async function toggleBackups() {
  await s.exec(`document.querySelector('[data-testid="addon-toggle-backups"]').scrollIntoView({ block: "center" })`);
  await s.click('[data-testid="addon-toggle-backups"]');
}

/** Opens the new-price dialog for `item`, fills a markup and saves it. */
async function addMarkup(item, region, percent) {
  await s.click(`[data-testid="add-price-${item}"]`);
  await s.find('dialog[open] form[aria-label="New price version"]');
  await s.select("region", region);
  await s.select("mode", "markup");
  await s.type('dialog[open] input[name="markupPercent"]', percent);
  await s.clickButton("Save price version");
  await s.waitFor(async () => (await s.findAll("dialog[open]")).length === 0, { what: "the price dialog to close" });
}

test("a reseller prices a plan per region, applies a new price to a running server, and switches an add-on", async () => {
  s = await Session.start(driver.url, app, shots);
  await s.find('a[href="#/dashboard"]', { timeout: 30_000 });

  // A customer and a plan sold in London and Singapore.
  await s.go("#/customers");
  await s.clickButton("New customer");
  await s.type('input[name="name"]', "Acme Hosting");
  await s.type('input[name="contactName"]', "Ada Acme");
  await s.type('input[name="contactEmail"]', "ada@acme.example");
  await s.select("country", "DE");
  await s.clickButton("Create customer");
  await rowWith("customers-table", "Acme Hosting");

  await s.go("#/plans");
  await s.clickButton("New plan");
  await s.select("provider", "sandbox");
  await s.select("providerType", "sb-small");
  await s.type('input[name="name"]', "Business 2 GB");
  await s.click('input[name="regions"][value="eu-west"]');
  await s.click('input[name="regions"][value="ap-south"]');
  await s.type('input[name="monthlyPrice"]', "15.00");
  await s.type('input[name="hourlyPrice"]', "0.0225");
  await s.clickButton("Create plan");
  await rowWith("plans-table", "Business 2 GB");

  // --- The price table: the provider's price per region (Singapore is 20 % dearer).
  await s.click('[data-testid="plans-table"] [data-testid="plan-prices"]');
  await s.find('[data-testid="price-table-server"]');
  assert.match(await s.text(await s.find('[data-testid="price-table-server"] tr[data-region="ap-south"]')), /14\.40/);
  assert.match(await cell("server", "eu-west", "customer-price"), /15\.00/, "no rule yet: the plan's own price");

  // A markup above the allowed range is refused beside its field.
  await s.click('[data-testid="add-price-server"]');
  await s.type('dialog[open] input[name="markupPercent"]', "2000");
  await s.clickButton("Save price version");
  assert.match(await s.text(await s.find('[data-field-error="markupPercent"]')), /between/);
  await s.screenshot("pricing-01-markup-error");
  await s.clickButton("Cancel");

  // +25 % everywhere, +50 % in Singapore: 15.00 in London, 21.60 in Singapore.
  await addMarkup("server", "", "25");
  await addMarkup("server", "ap-south", "50");
  await s.waitFor(async () => /21\.60/.test(await cell("server", "ap-south", "customer-price")), { what: "the Singapore price" });
  assert.match(await cell("server", "eu-west", "customer-price"), /15\.00/);
  assert.match(await cell("server", "ap-south", "rule"), /\+50 % markup/);
  assert.equal((await s.findAll('[data-testid="price-versions"] tbody tr')).length, 2);
  await s.screenshot("pricing-02-price-table");

  // --- A server in London at today's price.
  await s.go("#/servers");
  await s.clickButton("New server");
  await s.waitFor(() => s.exec(`return [...document.querySelectorAll('select[name="planId"] option')].some((o) => o.textContent.includes('Business'))`), { what: "Business in the planId select box" });
  await s.pick("organizationId", "Acme");
  await s.select("planId", await s.exec(`return [...document.querySelectorAll('select[name="planId"] option')].find(o => o.textContent.includes('Business')).value`));
  await s.select("region", "eu-west");
  await s.select("image", "sandbox/debian12");
  await s.type('input[name="label"]', "shop-1");
  await s.type('input[name="rootPassword"]', "Correct-Horse-9!");
  await s.clickButton("Create server");
  await s.find('[data-testid="server-status"][data-status="running"]', { timeout: 30_000 });
  const serverUrl = await s.exec("return location.hash");

  // --- A new version (+40 %): new servers get it, the running one waits.
  await s.go("#/plans");
  await s.click('[data-testid="plans-table"] [data-testid="plan-prices"]');
  await s.find('[data-testid="pending-price-changes"][data-count="0"]');
  await addMarkup("server", "", "40");
  await s.waitFor(async () => /16\.80/.test(await cell("server", "eu-west", "customer-price")), { what: "the new London price" });
  const pending = await s.find('[data-testid="pending-price-changes"][data-count="1"]');
  const pendingText = await s.text(pending);
  assert.match(pendingText, /1 server has a pending change/);
  assert.match(pendingText, /shop-1/);
  assert.match(pendingText, /15\.00/);
  assert.match(pendingText, /16\.80/);
  assert.equal(await s.exec(`return document.querySelector('[data-testid="price-versions"] tbody tr[data-status="superseded"]') !== null`), true);
  await s.screenshot("pricing-03-pending-change");
  await s.click('[data-testid="apply-price-changes"]');
  await s.click('[data-testid="confirm-apply-price-changes"]');
  await s.find('[data-testid="pending-price-changes"][data-count="0"]');
  await s.screenshot("pricing-04-applied");

  // The change is in the activity log.
  await s.go("#/activity");
  await rowWith("activity-table", "Applied new prices to 1 running server(s) of plan Business 2 GB");

  // --- Backups for the plan (+100 % over the provider's), then on the server.
  await s.go("#/plans");
  await s.click('[data-testid="plans-table"] [data-testid="plan-prices"]');
  await addMarkup("backups", "", "100");
  await s.waitFor(async () => /4\.80/.test(await cell("backups", "eu-west", "customer-price")), { what: "the backups price" });

  await s.exec("location.hash = arguments[0]", serverUrl);
  await s.find("h1", { text: "shop-1" });
  await s.find('[data-testid="server-addons"] li[data-item="backups"][data-enabled="false"]');
  assert.match(await s.text(await s.find('[data-testid="server-addons"] li[data-item="ipv4"]')), /Billing only/);
  await toggleBackups();
  await s.find('[data-testid="server-addons"] li[data-item="backups"][data-enabled="true"]');
  assert.match(await s.text(await s.find('[data-testid="server-addons"] li[data-item="backups"]')), /4\.80/);
  await s.screenshot("pricing-05-addon-on");
  await toggleBackups();
  await s.find('[data-testid="server-addons"] li[data-item="backups"][data-enabled="false"]');
});
