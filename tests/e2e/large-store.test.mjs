// An established reseller's size: the app opened on a store of 10,000
// customers, 30,000 running Sandbox servers and 100,000+ documents (written
// by `cargo xtask gen-store`, which `cargo xtask e2e` runs first and names in
// CS_LARGE_STORE). Every list shows its first page with the total, searches,
// sorts, and the servers list scrolls to its very end, where the last server
// opens. What is asserted is what is on screen, not how long it took.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { ELEMENT, Session, sleep, startDriver } from "./webdriver.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const app = process.env.CS_APP_BINARY;
const store = process.env.CS_LARGE_STORE;
const shots = path.join(here, "screenshots");
let dataDir;
let driver;
let s;

before(async () => {
  assert.ok(app && existsSync(app), `CS_APP_BINARY must name the built app (got ${app}); run \`cargo xtask e2e\``);
  assert.ok(store && existsSync(store), `CS_LARGE_STORE must name a store written by \`cargo xtask gen-store\` (got ${store}); run \`cargo xtask e2e\``);
  dataDir = await mkdtemp(path.join(os.tmpdir(), "cs-e2e-large-"));
  await copyFile(store, path.join(dataDir, "containerstacks.db"));
  driver = await startDriver({ CS_DATA_DIR: dataDir });
});

after(async () => {
  await s?.quit();
  await driver?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The number in "12,345 rows" above a table. */
async function total(table) {
  const text = await s.text(await s.find(`[data-testid="${table}-total"]`));
  return Number(text.replace(/[^\d]/g, ""));
}

/** The texts of the rows on screen. */
async function rowTexts(table) {
  return s.exec(`return [...document.querySelectorAll('[data-testid="${table}"] tbody tr[data-row-id]')].map((r) => r.innerText)`);
}

async function firstRows(table, what) {
  return s.waitFor(async () => {
    const rows = await rowTexts(table);
    return rows.length > 0 ? rows : null;
  }, { timeout: 60_000, what });
}

async function search(table, query) {
  await s.type('input[aria-label="Search table"]', query);
  return s.waitFor(async () => {
    const rows = await rowTexts(table);
    return rows.length > 0 && rows.every((r) => r.toLowerCase().includes(query.toLowerCase())) ? rows : null;
  }, { timeout: 60_000, what: `rows of ${table} matching "${query}"` });
}

test("every list of a large store pages, searches and sorts, and the servers list scrolls to its last server", async () => {
  s = await Session.start(driver.url, app, shots);
  await s.find('a[href="#/dashboard"]', { timeout: 60_000 });
  // The dashboard's figures, grouped for the reader.
  const customersStat = await s.find('[data-testid="stat-customers"]', { timeout: 60_000 });
  assert.match(await s.text(customersStat), /10,000/);
  assert.match(await s.text(await s.find('[data-testid="stat-live-servers"]')), /30,000/);
  await s.screenshot("large-01-dashboard");

  // Customers: the first page and the total, a search, a sort.
  await s.go("#/customers");
  await firstRows("customers-table", "the first page of customers");
  assert.equal(await total("customers-table"), 10_000);
  const found = await search("customers-table", "Summit");
  assert.ok(found.length > 0);
  assert.ok((await total("customers-table")) < 10_000, "the total is the search's");
  await s.screenshot("large-02-customers-search");
  await s.erase('input[aria-label="Search table"]');
  await s.waitFor(async () => (await total("customers-table")) === 10_000, { timeout: 60_000, what: "the whole list back" });
  const byNameUp = await firstRows("customers-table", "customers");
  // Sorted by name ascending at first; the header turns it around.
  await s.click('[data-testid="customers-table"] thead button', { text: "Name" });
  await s.waitFor(async () => /sort=/.test(await s.exec("return location.hash")), { what: "the sort in the URL" });
  const resorted = await s.waitFor(async () => {
    const rows = await rowTexts("customers-table");
    return rows.length && rows[0] !== byNameUp[0] ? rows : null;
  }, { timeout: 60_000, what: "the customers in the other order" });
  assert.notEqual(resorted[0], byNameUp[0]);

  // Servers: the total, a search, then scrolled to the end; the last one opens.
  await s.go("#/servers");
  await firstRows("servers-table", "the first page of servers");
  assert.equal(await total("servers-table"), 30_000);
  const dbs = await search("servers-table", "db-0001");
  assert.ok(dbs.length > 0);
  await s.erase('input[aria-label="Search table"]');
  await s.waitFor(async () => (await total("servers-table")) === 30_000, { timeout: 60_000, what: "all servers back" });
  // Sorted by name, ascending: the last row is the greatest label.
  await s.exec("location.hash = '#/servers?sort=label&desc=0'");
  await s.waitFor(async () => (await rowTexts("servers-table"))[0]?.startsWith("app-"), { timeout: 60_000, what: "servers sorted by name" });
  const lastIndex = await s.waitFor(async () => {
    const index = await s.exec(`
      const box = document.querySelector('[data-testid="servers-table"]').closest('[data-virtual-scroll]');
      box.scrollTop = box.scrollHeight;
      const rows = [...box.querySelectorAll('tbody tr[data-row-id]')];
      return rows.length ? Number(rows[rows.length - 1].getAttribute('aria-rowindex')) : 0;`);
    // aria-rowindex counts the header row: the last of 30,000 is 30,001.
    return index === 30_001 ? index : null;
  // The list grows a page (100 rows) at a time as it is scrolled: 300 pages.
  }, { timeout: 600_000, interval: 100, what: "the last server row after scrolling to the end" });
  assert.equal(lastIndex, 30_001);
  await sleep(300);
  await s.screenshot("large-03-servers-end");
  const last = await s.exec(`
    const rows = [...document.querySelectorAll('[data-testid="servers-table"] tbody tr[data-row-id]')];
    const row = rows[rows.length - 1];
    return { id: row.getAttribute('data-row-id'), label: row.querySelector('td').innerText.split('\\n')[0] };`);
  assert.match(last.label, /^web-\d{6}$/, `the last label in name order: ${last.label}`);
  const lastRow = (await s.findAll(`[data-testid="servers-table"] tr[data-row-id="${last.id}"]`))[0];
  await s.exec("arguments[0].querySelector('td').click()", { [ELEMENT]: lastRow });
  await s.find("h1", { text: last.label, timeout: 30_000 });
  await s.screenshot("large-04-last-server");

  // Documents and the activity log: each shows its first page and total (the
  // generated store has no PayPal payments: the Payments list is empty there).
  await s.go("#/invoices");
  await firstRows("documents-table", "the first page of documents");
  assert.ok((await total("documents-table")) >= 100_000, "100,000 documents or more");
  await search("documents-table", "Summit");
  await s.screenshot("large-05-documents-search");
  for (const [hash, table] of [["#/activity", "activity-table"]]) {
    await s.go(hash);
    await firstRows(table, `the first page of ${table}`);
    assert.ok((await total(table)) > 100, `${table} holds the store's rows`);
  }
  await s.screenshot("large-06-activity");
});
