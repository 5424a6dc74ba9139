// Email end to end in the real desktop app under Xvfb: Settings → Email with
// the password in a real keyring (a private D-Bus session with gnome-keyring,
// never the developer's), a test mail that arrives at a real SMTP server on
// loopback (the fake-smtp bin of cs-fakes, started here), the welcome mail of a
// new customer, the template editor's live preview, the Outbox, and a relay
// that goes down and comes back: the queued mail then arrives exactly once.
//
// Needs `cargo build -p containerstacks -p cs-fakes --bin fake-smtp` (cargo xtask e2e does it).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Session, freePort, sleep, startDriverWithKeyring } from "./webdriver.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const app = process.env.CS_APP_BINARY;
const shots = path.join(here, "screenshots");
const USER = "relay-user";
const PASSWORD = "relay-password";
let tmp;
let driver;
let s;
let sink;
let smtpPort;
const children = [];

async function startSink(dir) {
  const bin = path.join(path.dirname(app), "fake-smtp");
  assert.ok(existsSync(bin), `${bin} is missing: cargo build -p cs-fakes --bin fake-smtp`);
  const child = spawn(bin, ["--port", String(smtpPort), "--dir", dir, "--user", USER, "--password", PASSWORD], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  await new Promise((resolve, reject) => {
    child.on("error", reject);
    child.stdout.on("data", (d) => String(d).includes("listening on") && resolve());
  });
  return { stop: () => new Promise((r) => { child.on("exit", r); child.kill("SIGTERM"); }) };
}

async function received() {
  const dir = path.join(tmp, "mail");
  const files = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith(".json")).sort();
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(path.join(dir, f), "utf8"))));
}

async function arrival(what, pred, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const hit = (await received()).filter(pred);
    if (hit.length) return hit;
    await sleep(250);
  }
  throw new Error(`no mail arrived at the SMTP sink for ${what} within ${timeout} ms`);
}

before(async () => {
  assert.ok(app && existsSync(app), `CS_APP_BINARY must name the built app (got ${app}); run \`cargo xtask e2e\``);
  tmp = await mkdtemp(path.join(os.tmpdir(), "cs-e2e-mail-"));
  smtpPort = await freePort();
  sink = await startSink(path.join(tmp, "mail"));
  await mkdir(path.join(tmp, "xdg"));
  // One-second retries so the relay-down scenario takes seconds, not minutes.
  driver = await startDriverWithKeyring({ XDG_DATA_HOME: path.join(tmp, "xdg"), CS_DATA_DIR: path.join(tmp, "data"), CS_MAIL_RETRY_MS: "1000" });
});

after(async () => {
  await s?.quit();
  driver?.stop();
  for (const c of children) c.kill("SIGTERM");
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function rowWith(table, text, timeout = 10_000) {
  return s.find(`[data-testid="${table}"] tr[data-row-id]`, { text, timeout });
}

test("email: settings with the keyring, a test mail, the welcome mail, templates, the outbox, and a relay that is down for a while", async () => {
  s = await Session.start(driver.url, app, shots);
  await s.find('a[href="#/dashboard"]', { timeout: 30_000 });

  // Nothing set up: the Outbox says so and points to Settings.
  await s.go("#/outbox");
  await s.find('[data-testid="email-not-configured"]', { text: "Email is not set up — mail waits in the outbox" });
  await s.screenshot("mail-01-outbox-not-set-up");

  // --- Settings → Email: bad input first, then a wrong password.
  await s.go("#/settings");
  await s.find('[data-testid="email-settings"]');
  await s.type('input[name="host"]', "mail.example.com");
  await s.type('input[name="port"]', String(smtpPort));
  await s.select("security", "none");
  await s.type('input[name="username"]', USER);
  await s.type('input[name="password"]', "wrong-password");
  await s.type('input[name="fromName"]', "Acme Cloud");
  await s.type('input[name="fromAddress"]', "billing@acme.example");
  await s.clickButton("Save email settings");
  await s.find('[data-field-error="security"]', { text: "only allowed for a relay on this computer" });
  await s.type('input[name="host"]', "127.0.0.1");
  await s.clickButton("Save email settings");
  await s.find('[data-testid="email-status"][data-configured="true"]');
  await s.type('input[name="testTo"]', "owner@acme.example");
  await pressButton("Send test mail");
  await s.find('[data-field-error="password"]', { text: "The relay refused the login: check the user name and password" });
  await s.find('[data-testid="test-mail-error"]', { text: "The relay refused the login" });
  await s.screenshot("mail-02-wrong-password");

  await s.type('input[name="password"]', PASSWORD);
  await s.clickButton("Save email settings");
  await s.find('[role="status"]', { text: "Email settings saved" });
  await pressButton("Send test mail");
  const result = await s.find('[data-testid="test-mail-result"]', { text: "250" });
  const test = await arrival("the test mail", (m) => m.rcpt_to.includes("owner@acme.example"));
  assert.equal(test.length, 1);
  assert.match(test[0].data, /text\/plain/);
  assert.match(test[0].data, /text\/html/);
  assert.equal(test[0].authenticated_as, USER);
  assert.ok((await s.text(result)).includes(test[0].queue_id), "the relay's answer is shown");
  await s.screenshot("mail-03-test-mail-sent");

  // --- A new customer gets the welcome mail.
  await createCustomer("Ødegård Hosting AS", "zoe@odegard.example");
  const welcome = await arrival("the welcome mail", (m) => m.rcpt_to.includes("zoe@odegard.example"));
  assert.match(welcome[0].data, /Subject: Welcome to/);

  // --- Templates: a bad edit shows its line and column; a good one updates the preview.
  await s.go("#/outbox");
  await rowWith("outbox-table", "zoe@odegard.example");
  await s.click('a[href="#/email-templates"]');
  await s.find('[data-testid="template-editor"][data-kind="welcome"]');
  await s.find('[data-testid="preview-html"]');
  await s.type('textarea[name="html"]', "<p>Hello {{ customer_name }},</p>\n<p>{{ portal_url </p>");
  await s.find('[data-field-error="html"]', { text: ", column " });
  await s.screenshot("mail-04-template-error");
  await s.type('textarea[name="html"]', "<h2>Welcome aboard, {{ customer_name }}!</h2><p>Your servers are one click away.</p>");
  await s.waitFor(async () => {
    const el = (await s.findAll('[data-testid="preview-html"]'))[0];
    return el && (await s.attr(el, "srcdoc"))?.includes("Welcome aboard, Zoë Ødegård!");
  }, { what: "the preview to show the edited template" });
  await s.clickButton("Save template");
  await s.find('[role="status"]', { text: "template saved" });
  await s.screenshot("mail-05-template-preview");

  // --- The Outbox lists what was sent, and a mail opens in a sandboxed frame.
  await s.go("#/outbox");
  await s.click('button[data-filter="sent"]');
  await rowWith("outbox-table", "zoe@odegard.example");
  await s.find('[data-testid="outbox-table"] [data-testid="mail-state"][data-state="sent"]');
  await s.exec("[...document.querySelectorAll('[data-testid=outbox-table] tr[data-row-id]')].find((r) => r.innerText.includes(arguments[0])).click()", "zoe@odegard.example");
  const frame = await s.find('[data-testid="mail-html"]');
  assert.equal(await s.attr(frame, "sandbox"), "");
  assert.match(await s.attr(frame, "srcdoc"), /Hello Zoë Ødegård,/);
  await sleep(1000);
  await s.screenshot("mail-06-outbox-message");
  await s.exec("document.querySelector('dialog[open]')?.close()");

  // --- The relay goes down: the next mail waits and is retried; back up, it arrives once.
  await sink.stop();
  await createCustomer("Nordic Nodes AB", "ops@nordic.example");
  await s.go("#/outbox");
  await s.click('button[data-filter="pending"]');
  const waiting = await rowWith("outbox-table", "ops@nordic.example", 20_000);
  await s.waitFor(async () => (await s.text(waiting)).includes("could not talk to the SMTP relay"), { timeout: 20_000, what: "the relay's error on the queued mail" });
  await s.screenshot("mail-07-relay-down-retrying");
  assert.equal((await received()).filter((m) => m.rcpt_to.includes("ops@nordic.example")).length, 0);
  sink = await startSink(path.join(tmp, "mail"));
  await arrival("the mail queued while the relay was down", (m) => m.rcpt_to.includes("ops@nordic.example"));
  await s.click('button[data-filter="sent"]');
  await rowWith("outbox-table", "ops@nordic.example", 20_000);
  await sleep(3000);
  const all = await received();
  assert.equal(all.filter((m) => m.rcpt_to.includes("ops@nordic.example")).length, 1, "sent exactly once");
  assert.equal(all.filter((m) => m.rcpt_to.includes("zoe@odegard.example")).length, 1, "the welcome mail was not sent again");
  await s.screenshot("mail-08-outbox-sent");
});

/** Clicks a button by its label from the page (a toast may cover it for WebDriver). */
async function pressButton(label) {
  await s.waitFor(() => s.exec("const b = [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === arguments[0] && !b.disabled); if (b) { b.scrollIntoView(); b.click(); return true; } return false;", label), { what: `an enabled button "${label}"` });
}

async function createCustomer(name, email) {
  await s.go("#/customers");
  await s.clickButton("New customer");
  await s.type('input[name="name"]', name);
  await s.type('input[name="contactName"]', "Zoë Ødegård");
  await s.type('input[name="contactEmail"]', email);
  await s.select("country", "NO");
  await s.clickButton("Create customer");
  await rowWith("customers-table", name);
}
