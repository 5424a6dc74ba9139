// Documents for accountants in the real app (Xvfb + WebDriver): branding with
// a logo upload and the live PDF preview (pdf.js under the app's CSP), a
// receipt and an invoice with their PDFs shown in the app, "Download PDF"
// saved to the Downloads folder (never over a file of the same name), the UBL
// e-invoice refused while Peppol data is missing (Branding and the customer
// list what is missing), then, once a user filled it in, written for a
// credit note issued afterwards, and "Export period…" to a
// typed folder: first refused because an invoice has no usage behind it in the
// ledger (the page names the invoice and the difference), then, once the ledger
// holds that usage, written, with the reconciliation shown and the ZIP checked
// with unzip.
//
// CS_APP_BINARY names the built app; run through `cargo xtask e2e`.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile, readFile, readdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";

import { ELEMENT, Session, startDriver, sleep } from "./webdriver.mjs";
import { issueLastMonthsInvoice, sql, storeIn } from "./store.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const app = process.env.CS_APP_BINARY;
const shots = path.join(here, "screenshots");
let tmp;
let dataDir;
let downloads;
let exportDir;
let driver;
let s;

/** A PNG written by hand (zlib from Node): a crimson bar and a dark block on white. */
function logoPng(w, h) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + w * 3);
    for (let x = 0; x < w; x++) {
      const [r, g, b] = x < w * 0.3 ? [0xc0, 0x1f, 0x5a] : x > w * 0.4 && y > h * 0.25 && y < h * 0.75 ? [0x22, 0x22, 0x33] : [0xff, 0xff, 0xff];
      row.set([r, g, b], 1 + x * 3);
    }
    rows.push(row);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", zlib.deflateSync(Buffer.concat(rows))), chunk("IEND", Buffer.alloc(0))]);
}

before(async () => {
  assert.ok(app && existsSync(app), `CS_APP_BINARY must name the built app (got ${app}); run \`cargo xtask e2e\``);
  tmp = await mkdtemp(path.join(os.tmpdir(), "cs-e2e-docs-"));
  dataDir = path.join(tmp, "data");
  downloads = path.join(tmp, "Downloads");
  exportDir = path.join(tmp, "for the accountant");
  await mkdir(downloads, { recursive: true });
  await mkdir(exportDir, { recursive: true });
  // The app's Downloads folder, through the XDG user-dirs file it reads.
  const config = path.join(tmp, "config");
  await mkdir(config, { recursive: true });
  await writeFile(path.join(config, "user-dirs.dirs"), `XDG_DOWNLOAD_DIR="${downloads}"\n`);
  await writeFile(path.join(tmp, "logo.png"), logoPng(360, 120));
  await writeFile(path.join(tmp, "not-a-logo.png"), "GIF89a this is not a PNG");
  driver = await startDriver({ CS_DATA_DIR: dataDir, CS_SANDBOX_STEP_MS: "500", XDG_CONFIG_HOME: config });
});

after(async () => {
  await s?.quit();
  driver?.stop();
  if (tmp && !process.env.CS_E2E_KEEP) await rm(tmp, { recursive: true, force: true });
});

async function open() {
  s = await Session.start(driver.url, app, shots);
  await s.find('a[href="#/dashboard"]', { timeout: 30_000 });
}

/** Sends a file path to an <input type=file>, as a user choosing the file. */
async function chooseFile(css, file) {
  const [el] = await s.findAll(css);
  assert.ok(el, `no ${css}`);
  const res = await fetch(`${s.base}/element/${el}/value`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text: file }) });
  assert.ok(res.ok, `sending the file failed: ${await res.text()}`);
}

/** Waits for a pdf.js pane to finish, failing on its error state, and checks it drew something. */
async function pdfShown(testId) {
  const el = await s.waitFor(async () => {
    const [e] = await s.findAll(`[data-testid="${testId}"]`);
    if (!e) return null;
    const state = await s.attr(e, "data-state");
    if (state === "error") throw new Error(`the PDF pane failed: ${await s.text(e)}`);
    return state === "ready" ? e : null;
  }, { timeout: 30_000, what: `the PDF in ${testId}` });
  // A blank canvas would mean pdf.js ran but drew nothing: count non-white pixels.
  const inked = await s.exec(
    `const c = arguments[0].querySelector('canvas'); const x = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
     let n = 0; for (let i = 0; i < x.length; i += 4) if (x[i + 3] > 0 && (x[i] < 200 || x[i + 1] < 200 || x[i + 2] < 200)) n++; return n;`,
    { [ELEMENT]: el },
  );
  assert.ok(inked > 1000, `the PDF page is drawn (${inked} inked pixels)`);
  return el;
}

async function toastText(re, role = "status") {
  return s.waitFor(async () => {
    for (const el of await s.findAll(`[role="${role}"]`)) {
      const t = await s.text(el);
      if (re.test(t)) return t;
    }
    return null;
  }, { what: `a toast matching ${re}` });
}

test("branding with a logo is previewed and printed, documents are previewed and downloaded as PDF and UBL, and a period is exported", async () => {
  await open();

  // --- A customer to bill.
  await s.go("#/customers");
  await s.clickButton("New customer");
  await s.type('input[name="name"]', "Αθηνά Παπαδοπούλου");
  await s.type('input[name="contactName"]', "Zoë Ødegård");
  await s.type('input[name="contactEmail"]', "athena@example.gr");
  await s.select("country", "GR");
  await s.clickButton("Create customer");
  await s.find('[data-testid="customers-table"] tr[data-row-id]', { text: "Αθηνά" });

  // --- Branding: bad input first, then a logo and the live preview.
  await s.go("#/settings");
  await s.find('[data-testid="branding-settings"]');
  await s.exec("document.querySelector('[data-testid=\"branding-settings\"]').scrollIntoView()");
  await s.type('input[name="legalName"]', "Nordlys Cloud AS");
  // WebDriver types a line break as the Enter key (U+E007).
  await s.type('textarea[name="addressLines"]', "Akersgata 1\uE007Postboks 7");
  await s.type('input[name="postalCode"]', "0158");
  await s.type('input[name="city"]', "Oslo");
  await s.select("country", "NO");
  await s.type('input[name="taxId"]', "NO995525828MVA");
  await s.type('input[name="email"]', "billing@nordlys.example");
  await s.type('input[name="phone"]', "+47 22 33 44 55");
  await s.type('[data-testid="branding-settings"] input[name="website"]', "www.nordlys.example");
  await s.type('input[name="accent"]', "crimson");
  await s.type('textarea[name="paymentInstructions"]', "Top up your wallet by bank transfer to IBAN NO93 8601 1117 947.");
  await s.type('input[name="footerNote"]', "Thank you for hosting with Nordlys.");
  await s.clickButton("Save branding");
  const accentErr = await s.find('[data-field-error="accent"]');
  assert.match(await s.text(accentErr), /#rrggbb/);
  await chooseFile('input[name="logo"]', path.join(tmp, "not-a-logo.png"));
  const logoErr = await s.find('[data-field-error="logo"]');
  assert.match(await s.text(logoErr), /not a PNG or JPEG/);
  await s.screenshot("docs-01-branding-errors");
  await s.type('input[name="accent"]', "#C01F5A");
  await chooseFile('input[name="logo"]', path.join(tmp, "logo.png"));
  await s.find('[data-testid="logo-preview"] img', { timeout: 15_000 });
  // The preview follows the form after a short pause: wait for the one with the logo.
  await sleep(1200);
  await s.waitFor(async () => !(await s.findAll('[data-testid="branding-preview"][data-busy]')).length, { timeout: 20_000, what: "the preview to refresh" });
  const preview = await pdfShown("pdf-preview");
  await s.exec("arguments[0].scrollIntoView()", { [ELEMENT]: preview });
  await sleep(300);
  await s.screenshot("docs-02-branding-preview");
  await s.clickButton("Save branding");
  await toastText(/Branding saved/);
  // Saved without a Peppol identifier: the card says e-invoices cannot be made yet.
  const sellerGaps = await s.text(await s.find('[data-testid="branding-e-invoice-gaps"]'));
  assert.match(sellerGaps, /E-invoices \(UBL\) cannot be produced until:/);
  assert.match(sellerGaps, /the seller has no Peppol participant identifier/);
  await s.exec("document.querySelectorAll('button[aria-label=\"Dismiss\"]').forEach((b) => b.click())");
  await s.exec("document.querySelector('[data-testid=\"branding-e-invoice-gaps\"]').scrollIntoView({ block: 'start' })");
  await sleep(300);
  await s.screenshot("docs-02b-branding-e-invoice-gaps");

  // --- A payment makes a receipt issued with this branding.
  await s.go("#/customers");
  await s.click('[data-testid="customers-table"] a', { text: "Αθηνά" });
  await s.find('[data-testid="wallet-card"]');
  assert.match(await s.text(await s.find('[data-testid="customer-e-invoice-gaps"]')), /Αθηνά Παπαδοπούλου has no Peppol participant identifier/);
  await s.clickButton("Record payment");
  await s.type('dialog[open] input[name="amount"]', "25.00");
  await s.select("method", "bank_transfer");
  await s.type('dialog[open] input[name="reference"]', "BANK-2026-0042");
  await s.click('dialog[open] button[type="submit"]');
  await s.waitFor(async () => /25\.00/.test(await s.text(await s.find('[data-testid="wallet-balance"]'))), { what: "the wallet balance after the payment" });

  // An invoice issued last month, as the month-end billing run would have made
  // it (the engine only invoices months that are over, which a test cannot wait
  // for): written with the sqlite3 tool while the app is closed.
  await s.quit();
  s = undefined;
  const dbFile = storeIn(dataDir);
  const year = new Date().getUTCFullYear();
  const org = sql(dbFile, "SELECT id FROM organizations LIMIT 1");
  issueLastMonthsInvoice(dbFile, {
    id: "e2e-invoice",
    org,
    customerName: "Αθηνά Παπαδοπούλου",
    country: "GR",
    number: `INV-${year}-E2E001`,
    line: "Server web-1 (Starter 2 GB, eu-west)",
  });
  assert.equal(sql(dbFile, "SELECT legal_name FROM document_sellers WHERE document_id = 'e2e-invoice'"), "Nordlys Cloud AS", "the issued invoice keeps the branding in force");
  await open();

  // --- The receipt: its PDF in the app, then downloaded.
  await s.go("#/invoices");
  await s.click('[data-testid="documents-table"] tr[data-row-id] a', { text: "RCT-" }).catch(async () => s.click('[data-testid="documents-table"] tr[data-row-id]', { text: "RCT-" }));
  await pdfShown("document-pdf");
  await sleep(300);
  await s.screenshot("docs-03-receipt-pdf");
  assert.equal((await s.findAll("button")).length > 0, true);
  const buttons = await s.exec("return [...document.querySelectorAll('button')].map(b => b.innerText.trim())");
  assert.ok(!buttons.includes("Download e-invoice (UBL)"), "a receipt offers no e-invoice");
  await s.clickButton("Download PDF");
  const savedPdf = (await toastText(/Saved to .*\.pdf/)).match(/Saved to (\S+\.pdf)/)[1];
  assert.equal(path.dirname(savedPdf), downloads);
  const receiptText = execFileSync("pdftotext", ["-layout", savedPdf, "-"], { encoding: "utf8" });
  assert.ok(receiptText.includes("Akersgata 1") && receiptText.includes("Postboks 7") && receiptText.includes("0158 Oslo"), "the address keeps its lines");
  for (const needle of ["Nordlys Cloud AS", "NO995525828MVA", "www.nordlys.example", "Αθηνά Παπαδοπούλου", "Thank you for hosting with Nordlys."]) {
    assert.ok(receiptText.includes(needle), `${needle} is printed on the receipt`);
  }
  execFileSync("pdftoppm", ["-png", "-r", "60", savedPdf, path.join(shots, "docs-receipt-page")]);

  // --- The invoice: PDF and UBL.
  await s.go("#/invoices");
  await s.click('[data-testid="documents-table"] tr[data-row-id] a', { text: "E2E001" }).catch(async () => s.click('[data-testid="documents-table"] tr[data-row-id]', { text: "E2E001" }));
  await pdfShown("document-pdf");
  // Issued before seller and customer had a Peppol identifier: no e-invoice, and the error says what is missing.
  await s.clickButton("Download e-invoice (UBL)");
  const refused = await toastText(/Could not save the e-invoice/, "alert");
  assert.match(refused, new RegExp(`INV-${year}-E2E001 cannot be a valid Peppol e-invoice`));
  assert.match(refused, /the seller has no Peppol participant identifier/);
  assert.match(refused, /Αθηνά Παπαδοπούλου has no Peppol participant identifier/);
  await s.screenshot("docs-04a-ubl-refused");
  assert.ok(!(await readdir(downloads)).some((f) => f.endsWith(".xml")), "no e-invoice was written");
  await s.exec("document.querySelectorAll('button[aria-label=\"Dismiss\"]').forEach((b) => b.click())");
  // A file of the invoice's name in Downloads is kept: the PDF takes a free name.
  await writeFile(path.join(downloads, `INV-${year}-E2E001.pdf`), "my own notes");
  await s.clickButton("Download PDF");
  const invoicePdf = (await toastText(/Saved to .*E2E001-2\.pdf/)).match(/Saved to (\S+\.pdf)/)[1];
  assert.equal(await readFile(path.join(downloads, `INV-${year}-E2E001.pdf`), "utf8"), "my own notes", "an existing file is never overwritten");
  const invoiceText = execFileSync("pdftotext", ["-layout", invoicePdf, "-"], { encoding: "utf8" });
  assert.ok(invoiceText.includes("Top up your wallet by bank transfer"), "the invoice carries the payment instructions");
  execFileSync("pdftoppm", ["-png", "-r", "60", invoicePdf, path.join(shots, "docs-invoice-page")]);
  await s.screenshot("docs-04-invoice-pdf");

  // --- The Peppol data, filled in as a user would: Branding, then the customer.
  await s.go("#/settings");
  await s.find('[data-testid="branding-settings"]');
  await s.type('input[name="peppolId"]', "0192:995525827");
  await s.type('input[name="registrationId"]', "995525828");
  await s.type('input[name="bankIban"]', "NO93 8601 1117 947");
  await s.type('input[name="bankBic"]', "DNBANOKKXXX");
  await s.clickButton("Save branding");
  // A wrong check digit is refused next to the field.
  assert.match(await s.text(await s.find('[data-field-error="peppolId"]')), /995525827/);
  await s.type('input[name="peppolId"]', "0192:995525828");
  await s.clickButton("Save branding");
  await toastText(/Branding saved/);
  await s.waitFor(async () => (await s.findAll('[data-testid="branding-e-invoice-gaps"]')).length === 0, { what: "the e-invoice warning to go away" });
  await s.exec("document.querySelectorAll('button[aria-label=\"Dismiss\"]').forEach((b) => b.click())");
  await s.exec("document.querySelector('[data-testid=\"branding-e-invoice\"]').scrollIntoView({ block: 'center' })");
  await sleep(300);
  await s.screenshot("docs-04b-branding-peppol");

  await s.go("#/customers");
  await s.click('[data-testid="customers-table"] a', { text: "Αθηνά" });
  await s.find('[data-testid="customer-e-invoice-gaps"]');
  await s.clickButton("Edit");
  await s.type('dialog[open] textarea[name="addressLines"]', "Ermou 10");
  await s.type('dialog[open] input[name="postalCode"]', "105 63");
  await s.type('dialog[open] input[name="city"]', "Αθήνα");
  await s.type('dialog[open] input[name="peppolId"]', "0088:5790000435968");
  await s.screenshot("docs-04c-customer-form");
  await s.clickButton("Save customer");
  await toastText(/Customer saved/);
  await s.waitFor(async () => /0088:5790000435968/.test(await s.text(await s.find('[data-testid="customer-peppol-id"]'))), { what: "the customer's Peppol id" });
  await s.waitFor(async () => (await s.findAll('[data-testid="customer-e-invoice-gaps"]')).length === 0, { what: "the customer's e-invoice warning to go away" });
  await s.exec("document.querySelectorAll('button[aria-label=\"Dismiss\"]').forEach((b) => b.click())");
  await sleep(300);
  await s.screenshot("docs-04d-customer-peppol");

  // The invoice keeps what it was issued with; voiding it issues a credit note
  // with the data now in force, and that one is an e-invoice.
  await s.go("#/invoices");
  await s.click('[data-testid="documents-table"] tr[data-row-id] a', { text: "E2E001" }).catch(async () => s.click('[data-testid="documents-table"] tr[data-row-id]', { text: "E2E001" }));
  await pdfShown("document-pdf");
  await s.clickButton("Void by credit note");
  await s.type('input[name="reason"]', "Billed before the e-invoice data was complete");
  await s.click('[role="alertdialog"] button[type="submit"], dialog[open] button[type="submit"]');
  const creditNote = (await toastText(/Credit note \S+ issued/)).match(/Credit note (\S+) issued/)[1];
  await s.go("#/invoices");
  await s.click('[data-testid="documents-table"] tr[data-row-id] a', { text: creditNote }).catch(async () => s.click('[data-testid="documents-table"] tr[data-row-id]', { text: creditNote }));
  await pdfShown("document-pdf");
  await s.clickButton("Download e-invoice (UBL)");
  const savedXml = (await toastText(/Saved to .*\.xml/)).match(/Saved to (\S+\.xml)/)[1];
  assert.equal(savedXml, path.join(downloads, `${creditNote.replace(/[^A-Za-z0-9-]/g, "_")}.xml`));
  const xml = await readFile(savedXml, "utf8");
  assert.match(xml, /urn:fdc:peppol\.eu:2017:poacc:billing:3\.0/);
  assert.match(xml, /<cbc:EndpointID schemeID="0192">995525828<\/cbc:EndpointID>/);
  assert.match(xml, /<cbc:EndpointID schemeID="0088">5790000435968<\/cbc:EndpointID>/);
  assert.match(xml, /Nordlys Cloud AS/);
  assert.match(xml, /Αθηνά Παπαδοπούλου/);
  assert.match(xml, /Ermou 10/);
  // Downloading again never replaces the first file.
  await s.exec("document.querySelectorAll('button[aria-label=\"Dismiss\"]').forEach((b) => b.click())");
  await s.clickButton("Download e-invoice (UBL)");
  const again = (await toastText(/Saved to .*-2\.xml/)).match(/Saved to (\S+\.xml)/)[1];
  assert.equal(await readFile(again, "utf8"), xml);

  // --- Export period…: last month and this month, to a typed folder.
  await s.go("#/invoices");
  await s.click('[data-testid="export-period"]');
  await s.find('[data-testid="export-form"]');
  const now = new Date();
  const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const month = lastMonth.getUTCFullYear() * 12 + lastMonth.getUTCMonth();
  const first = `${lastMonth.getUTCFullYear()}-${String(lastMonth.getUTCMonth() + 1).padStart(2, "0")}-01`;
  const today = now.toISOString().slice(0, 10);
  await fillExportForm(first, today, exportDir);
  await s.waitFor(async () => /3 documents and 2 ledger transactions in this period/.test(await s.text(await s.find('[data-testid="export-count"]'))), { what: "the document count of the period" });
  await s.screenshot("docs-05-export-form");

  // The invoice written by hand has no usage in the ledger: the export is
  // refused, names the invoice and the difference, and writes nothing.
  await s.clickButton("Export");
  const mismatch = await s.find('[data-testid="export-mismatch"]', { timeout: 60_000 });
  const mismatchText = await s.text(mismatch);
  const currency = sql(dbFile, "SELECT coalesce((SELECT value FROM settings WHERE key = 'billing.currency'), 'USD')");
  assert.match(mismatchText, /The documents do not match the ledger/);
  assert.match(mismatchText, new RegExp(`Αθηνά Παπαδοπούλου: invoice INV-${year}-E2E001 bills 16\\.74 ${currency} but the ledger charged the wallet 0\\.00 ${currency}`));
  assert.match(mismatchText, new RegExp(`difference -16\\.74 ${currency}`));
  // Toasts of the downloads above would cover the card in the screenshot.
  await s.exec("document.querySelectorAll('button[aria-label=\"Dismiss\"]').forEach((b) => b.click())");
  await s.exec("arguments[0].scrollIntoView()", { [ELEMENT]: mismatch });
  await sleep(300);
  await s.screenshot("docs-06-export-mismatch");
  assert.deepEqual(await readdir(exportDir), [], "nothing was written");

  // The month's usage as the billing run books it (wallet → revenue, on the
  // invoiced month), written while the app is closed.
  await s.quit();
  s = undefined;
  const usageAt = new Date(Date.UTC(lastMonth.getUTCFullYear(), lastMonth.getUTCMonth(), 1)).toISOString();
  sql(
    dbFile,
    `BEGIN;
     INSERT OR IGNORE INTO ledger_accounts (kind, organization_id, currency) VALUES ('wallet', '${org}', '${currency}'), ('revenue', '', '${currency}');
     INSERT INTO ledger_txns (idem_key, kind, organization_id, currency, fingerprint, at, month, memo, actor)
       VALUES ('usage:${org}:${currency}:${usageAt.slice(0, 10)}', 'usage', '${org}', '${currency}', 'usage:${org}:${currency}:${usageAt.slice(0, 10)}', '${usageAt}', ${month}, 'Usage ${usageAt.slice(0, 10)}', 'system:billing');
     INSERT INTO ledger_entries (txn_id, account_id, amount_micros) VALUES
       (last_insert_rowid(), (SELECT id FROM ledger_accounts WHERE kind = 'wallet' AND organization_id = '${org}' AND currency = '${currency}'), -16740000);
     INSERT INTO ledger_entries (txn_id, account_id, amount_micros) VALUES
       ((SELECT id FROM ledger_txns WHERE kind = 'usage' AND organization_id = '${org}'), (SELECT id FROM ledger_accounts WHERE kind = 'revenue' AND organization_id = '' AND currency = '${currency}'), 16740000);
     COMMIT;`,
  );
  await open();
  await s.go("#/invoices");
  await s.click('[data-testid="export-period"]');
  await s.find('[data-testid="export-form"]');
  await fillExportForm(first, today, exportDir);
  await s.waitFor(async () => /3 documents and 3 ledger transactions in this period/.test(await s.text(await s.find('[data-testid="export-count"]'))), { what: "the period with the usage booked" });
  await s.clickButton("Export");
  const result = await s.find('[data-testid="export-result"]', { timeout: 60_000 });
  const resultText = await s.text(result);
  assert.match(resultText, /balances to zero/);
  assert.match(resultText, /3 PDFs, 1 e-invoices/);
  assert.match(resultText, /1 invoice or credit note has no e-invoice: seller or customer data is missing/);
  assert.match(resultText, new RegExp(`Journal matches the ledger: 3 transactions, 0\\.00 ${currency} difference`));
  assert.match(resultText, /3 documents of 1 customer checked against it/);
  await s.exec("arguments[0].scrollIntoView()", { [ELEMENT]: result });
  await sleep(300);
  await s.screenshot("docs-07-export-done");
  const zipPath = await s.text(await s.find('[data-testid="export-path"]'));
  assert.equal(path.dirname(zipPath), exportDir);
  execFileSync("unzip", ["-t", zipPath], { encoding: "utf8" });
  const listing = execFileSync("unzip", ["-l", zipPath], { encoding: "utf8" });
  assert.match(listing, /pdf\/RCT-.*\.pdf/);
  assert.match(listing, new RegExp(`pdf/INV-${year}-E2E001\\.pdf`));
  assert.match(listing, new RegExp(`ubl/${creditNote}\\.xml`));
  assert.doesNotMatch(listing, new RegExp(`ubl/INV-${year}-E2E001\\.xml`));
  assert.match(execFileSync("unzip", ["-p", zipPath, "ubl_not_written.txt"], { encoding: "utf8" }), /INV-[0-9]+-E2E001 cannot be a valid Peppol e-invoice/);
  assert.match(listing, /journal\.csv/);
  assert.match(listing, /reconciliation\.csv/);
  const journal = execFileSync("unzip", ["-p", zipPath, "journal.csv"], { encoding: "utf8" });
  assert.match(journal, new RegExp(`usage,Αθηνά Παπαδοπούλου,INV-${year}-E2E001,2300 Customer wallets,Usage [0-9-]+,16\\.74,,${currency}`), journal);
  assert.match(journal, /payment,Αθηνά Παπαδοπούλου,RCT-[^,]+,2300 Customer wallets,[^\n]*,,25\.00,/, journal);
  const reconciliation = execFileSync("unzip", ["-p", zipPath, "reconciliation.csv"], { encoding: "utf8" });
  assert.match(reconciliation, new RegExp(`Αθηνά Παπαδοπούλου,${org},${currency},invoices,1,16\\.74,1,16\\.74,0\\.00,`), reconciliation);
  assert.match(reconciliation, new RegExp(`Αθηνά Παπαδοπούλου,${org},${currency},receipts,1,25\\.00,1,25\\.00,0\\.00,`), reconciliation);

  // The same name again: refused, nothing overwritten, a free name offered.
  await s.clickButton("Export");
  const exists = await s.find('[data-field-error="fileName"]');
  assert.match(await s.text(exists), /already exists/);
  await s.screenshot("docs-08-export-exists");
  await s.clickButton("Use a free name");
  await s.waitFor(async () => /-2\.zip$/.test(await s.exec('return document.querySelector(\'input[name="fileName"]\').value')), { what: "a free file name" });
  assert.deepEqual((await readdir(exportDir)).filter((f) => f.endsWith(".part")), [], "no partial file is left");
});

/** Export period form: custom dates (set as React sees typed input) and the folder. */
async function fillExportForm(from, to, folder) {
  await s.select("preset", "custom");
  await s.exec(
    `const set = (n, v) => { const el = document.querySelector('input[name="' + n + '"]'); const proto = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value'); proto.set.call(el, v); el.dispatchEvent(new Event('input', { bubbles: true })); el.dispatchEvent(new Event('change', { bubbles: true })); };
     set('from', arguments[0]); set('to', arguments[1]);`,
    from,
    to,
  );
  await s.type('input[name="folder"]', folder);
}
