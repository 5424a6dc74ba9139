// The real ContainerStacks desktop app on two Linode accounts — two stateful
// fake Linodes (crates/cs-fakes, bin `fake-linode`, different users and
// tokens), started here on loopback — under Xvfb over WebDriver. A reseller
// connects the first account in Settings → Providers (a wrong token first),
// adds a second one whose token expires in 5 days (the warning banner shows)
// and replaces its token, refreshes the catalogue, builds a plan on it,
// creates a server on the first account and watches it boot, reboots it,
// takes a snapshot, sets reverse DNS (Linode's forward-DNS refusal first),
// creates a firewall from the Firewall tab (a field error first), looks at
// the graphs, deletes it; creates a server on the second account (it lands at
// the second fake only); then a server deleted in "Linode's own console" (the
// fake's API) is noticed by the app.
//
// The token goes to the OS keyring: the app runs inside a private D-Bus
// session with an unlocked gnome-keyring and its own keyring folder, so a
// developer's keyring is never touched. Run through `cargo xtask e2e`, which
// builds the app and fake-linode; CS_APP_BINARY names the app, and
// fake-linode is taken beside it (or from CS_FAKE_LINODE).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Session, startDriverWithKeyring } from "./webdriver.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const app = process.env.CS_APP_BINARY;
const fakeBin = process.env.CS_FAKE_LINODE ?? (app ? path.join(path.dirname(app), "fake-linode") : "");
const shots = path.join(here, "screenshots");
let dataDir;
let keyringHome;
let driver;
let fake;
let fakeB; // the second account's Linode, user "bob"
let api; // the fake's API root, ending in /v4
let token;
let s;

/** fake-linode on a free port; resolves with its API URL and demo token. */
function startFake(username = "reseller") {
  return new Promise((resolve, reject) => {
    const child = spawn(fakeBin, ["--step-ms", "1500", "--username", username], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    const timer = setTimeout(() => reject(new Error(`fake-linode printed no URL and token: ${out}`)), 20_000);
    child.on("error", (e) => reject(new Error(`fake-linode could not start (cargo build -p cs-fakes --bin fake-linode): ${e.message}`)));
    child.stdout.on("data", (d) => {
      out += d;
      const url = out.match(/fake Linode API: (\S+)/);
      const tok = out.match(/demo token: (\S+)/);
      if (url && tok) {
        clearTimeout(timer);
        resolve({ child, url: url[1], token: tok[1] });
      }
    });
  });
}


/** Linode's own API as the reseller's console would use it (the first account, or `on`). */
async function linode(method, p, body, on = { url: api, token }) {
  const res = await fetch(`${on.url}${p}`, { method, headers: { authorization: `Bearer ${on.token}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  assert.ok(res.ok, `${method} ${p}: ${res.status} ${await res.clone().text()}`);
  return res.json();
}

/** A token of `username` made in that fake's "Cloud Manager", expiring in `days` (never when undefined). */
async function makeToken(f, username, days) {
  const res = await fetch(`${f.url.replace(/\/v4$/, "")}/__control/tokens`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ scopes: ["*"], username, expires_in_days: days }) });
  assert.ok(res.ok);
  return (await res.json()).token;
}

before(async () => {
  assert.ok(app && existsSync(app), `CS_APP_BINARY must name the built app (got ${app}); run \`cargo xtask e2e\``);
  assert.ok(existsSync(fakeBin), `fake-linode not found at ${fakeBin}: build it with \`cargo build -p cs-fakes --bin fake-linode\` (cargo xtask e2e does)`);
  dataDir = await mkdtemp(path.join(os.tmpdir(), "cs-e2e-linode-"));
  keyringHome = await mkdtemp(path.join(os.tmpdir(), "cs-e2e-keyring-"));
  fake = await startFake();
  fakeB = await startFake("bob");
  api = fake.url;
  token = fake.token;
  driver = await startDriverWithKeyring({ CS_DATA_DIR: dataDir, XDG_DATA_HOME: keyringHome });
});

after(async () => {
  await s?.screenshot("linode-99-last").catch(() => {});
  await s?.quit();
  driver?.stop();
  fake?.child.kill("SIGTERM");
  fakeB?.child.kill("SIGTERM");
  for (const d of [dataDir, keyringHome]) if (d) await rm(d, { recursive: true, force: true });
});

/** Clicks an enabled button by its text from the page itself: a toast over it cannot intercept. */
async function press(text, timeout = 15_000) {
  await s.waitFor(
    () => s.exec(`const b = [...document.querySelectorAll('button')].filter(b => b.textContent.trim() === arguments[0] && !b.disabled).pop(); if (!b) return false; b.scrollIntoView({ block: 'center' }); b.click(); return true;`, text),
    { what: `an enabled button "${text}"`, timeout },
  );
}

async function jsClick(css, timeout = 15_000) {
  await s.find(css, { timeout });
  await s.exec(`const e = document.querySelector(arguments[0]); e.scrollIntoView({ block: 'center' }); e.click();`, css);
}

/** Radix tabs switch on mousedown, not click. */
async function openTab(name) {
  const css = `[data-testid="tab-${name}"]`;
  await s.find(css, { timeout: 15_000 });
  await s.exec(`const e = document.querySelector(arguments[0]); e.scrollIntoView({ block: 'center' }); e.dispatchEvent(new MouseEvent('mousedown', { bubbles: true, button: 0 })); e.click();`, css);
  await s.find(`${css}[data-state="active"]`);
}

async function statusIs(status, timeout = 30_000) {
  await s.find(`[data-testid="server-status"][data-status="${status}"]`, { timeout });
}

/** The value of the option of select `name` whose text contains `text`, once the list has it. */
async function optionValue(name, text) {
  return s.waitFor(
    () => s.exec(`const o = [...document.querySelectorAll('select[name="${name}"] option')].find(o => o.textContent.includes(arguments[0])); return o ? o.value : null`, text),
    { what: `an option "${text}" in ${name}`, timeout: 15_000 },
  );
}

async function newServer(label, account = "EU resale") {
  await s.go("#/servers");
  await press("New server");
  await s.pick("organizationId", "Kestrel");
  await s.select("planId", await optionValue("planId", "Linode Nano"));
  // Two accounts: the form asks which.
  await s.find('select[name="accountId"]');
  await s.select("accountId", await optionValue("accountId", account));
  await s.select("region", "eu-central");
  await s.select("image", "linode/debian12");
  await s.type('input[name="label"]', label);
  await s.type('input[name="rootPassword"]', "Correct-Horse-9!");
  await press("Create server");
}

test("a reseller runs a server on Linode from connecting the account to deleting it, and the app notices a deletion in Linode's console", async () => {
  s = await Session.start(driver.url, app, shots);
  await s.find('a[href="#/dashboard"]', { timeout: 30_000 });

  // --- Settings → Providers: a wrong token is refused with a message, then the real one.
  await s.go("#/settings");
  await s.find('[data-provider="linode"]');
  await jsClick('[data-testid="linode-advanced"]');
  await s.type('input[name="baseUrl"]', api);
  await s.type('input[name="token"]', "not-a-real-token");
  await press("Connect Linode");
  const tokenError = await s.find('[data-field-error="token"]', { timeout: 20_000 });
  assert.match(await s.text(tokenError), /token/i);
  await s.screenshot("linode-01-wrong-token");
  await s.type('input[name="label"]', "EU resale");
  await s.type('input[name="token"]', token);
  await press("Connect Linode");
  await s.find('[data-testid="linode-account"][data-account-label="EU resale"]', { timeout: 20_000 });
  assert.match(await s.text(await s.find('[data-testid="linode-scopes"]')), /all scopes/);
  assert.equal(await s.text(await s.find('[data-testid="token-expiry"]')), "Never expires");

  // --- A second account (user bob at the second fake), its token expiring in
  // 5 days: the banner says what to do; Replace token keeps the account.
  const expiring = await makeToken(fakeB, "bob", 5);
  await jsClick('[data-testid="add-linode-account"]');
  await jsClick('[data-testid="linode-advanced"]');
  await s.type('input[name="baseUrl"]', fakeB.url);
  await s.type('input[name="token"]', expiring);
  await press("Connect Linode");
  const bob = '[data-testid="linode-account"][data-account-label="bob"]';
  await s.find(bob, { timeout: 20_000 });
  const banner = await s.find('[data-testid="token-warning"]', { timeout: 10_000 });
  assert.match(await s.text(banner), /“bob” expires in 5 days .*Replace token/);
  assert.match(await s.text(await s.find(`${bob} [data-testid="token-expiry"]`)), /^Expires on \d{4}-\d{2}-\d{2}$/);
  assert.equal((await s.findAll('[data-testid="linode-account"]')).length, 2);
  await s.exec(`document.querySelector('[data-testid="token-warning"]').scrollIntoView({ block: 'start' })`);
  await new Promise((r) => setTimeout(r, 400));
  await s.screenshot("linode-02-two-accounts");
  await jsClick('[data-testid="theme-toggle"]');
  await s.exec(`document.querySelector('[data-testid="token-warning"]').scrollIntoView({ block: 'start' })`);
  await new Promise((r) => setTimeout(r, 400));
  await s.screenshot("linode-02-two-accounts-dark");
  await jsClick('[data-testid="theme-toggle"]');
  await jsClick(`${bob} [data-testid="replace-token"]`);
  await s.type(`${bob} input[name="newToken"]`, fakeB.token);
  await press("Save new token");
  await s.waitFor(async () => (await s.findAll('[data-testid="token-warning"]')).length === 0, { what: "the expiry warning to go", timeout: 15_000 });
  assert.equal(await s.text(await s.find(`${bob} [data-testid="token-expiry"]`)), "Never expires");
  await press("Refresh catalogue");
  await s.find('[data-testid="catalogue-refreshed"]', { text: "6 regions, 5 types" , timeout: 20_000 });
  await s.screenshot("linode-02-connected");

  // --- A customer and a plan on Linode's catalogue (a region-specific price shows).
  await s.go("#/customers");
  await press("New customer");
  await s.type('input[name="name"]', "Kestrel Robotics Inc.");
  await s.type('input[name="contactName"]', "Dana Brooks");
  await s.type('input[name="contactEmail"]', "ops@kestrel.example");
  await s.select("country", "US");
  await press("Create customer");
  await s.find('[data-testid="customers-table"] tr[data-row-id]', { text: "Kestrel" });

  await s.go("#/plans");
  await press("New plan");
  await s.select("provider", "linode");
  await s.waitFor(async () => (await s.exec(`return document.querySelectorAll('select[name="providerType"] option').length`)) > 1, { what: "Linode's types", timeout: 20_000 });
  await s.select("providerType", "g6-nanode-1");
  await s.type('input[name="name"]', "Linode Nano");
  await jsClick('input[name="regions"][value="eu-central"]');
  await jsClick('input[name="regions"][value="br-gru"]');
  await s.type('input[name="monthlyPrice"]', "9.00");
  await s.type('input[name="hourlyPrice"]', "0.0135");
  await s.screenshot("linode-03-plan-form");
  await press("Create plan");
  const planRow = await s.find('[data-testid="plans-table"] tr[data-row-id]', { text: "Linode Nano" });
  assert.match(await s.text(planRow), /9\.00/);

  // --- A server: provisioning → booting → running, then a reboot.
  await newServer("kestrel-web-1");
  await statusIs("provisioning", 15_000).catch(() => statusIs("booting", 5_000));
  await s.screenshot("linode-04-provisioning");
  await statusIs("booting", 10_000).catch(() => {}); // 1.5 s at the fake: seen unless a poll straddles it
  await statusIs("running");
  await press("Reboot");
  await statusIs("rebooting", 10_000);
  await statusIs("running");
  const serverUrl = await s.exec("return location.hash");

  // --- Backups: enabling needs a backups price (none yet); enabled in Linode's
  // console instead, then a snapshot from the app.
  await openTab("backups");
  await press("Enable backups");
  await s.find('[role="alert"]', { text: "billed", timeout: 10_000 });
  const instances = await linode("GET", "/linode/instances");
  const inst = instances.data.find((i) => i.label === "kestrel-web-1");
  assert.ok(inst, "the server exists at Linode");
  await linode("POST", `/linode/instances/${inst.id}/backups/enable`, {});
  await s.go("#/servers");
  await s.go(serverUrl);
  await openTab("backups");
  await s.type('input[name="label"]', "before-upgrade");
  await press("Take snapshot");
  await s.find('[data-testid="backups-table"] tr[data-row-id]', { text: "before-upgrade", timeout: 15_000 });
  await s.screenshot("linode-05-snapshot");

  // --- Reverse DNS: Linode wants the forward record first, and the app says so.
  await openTab("network");
  const ipv4 = inst.ipv4[0];
  await jsClick(`[data-address="${ipv4}"] [data-testid="edit-rdns"]`);
  await s.type('input[name="rdns"]', "mail.kestrel.example");
  await press("Save reverse DNS");
  const rdnsError = await s.find('[data-field-error="rdns"]', { timeout: 10_000 });
  assert.equal(await s.text(rdnsError), `Set the A record for mail.kestrel.example to ${ipv4} first, then try again`);
  await s.screenshot("linode-06-rdns-forward-dns");
  const control = api.replace(/\/v4$/, "");
  const dns = await fetch(`${control}/__control/dns`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "mail.kestrel.example", address: ipv4 }) });
  assert.ok(dns.ok);
  await press("Save reverse DNS");
  await s.find(`[data-address="${ipv4}"] [data-testid="rdns-value"]`, { text: "mail.kestrel.example", timeout: 10_000 });
  await s.screenshot("linode-07-rdns-set");

  // --- A new firewall from the Firewall tab: a bad port list is refused next
  // to the field; fixed, it is created at the first account and attached.
  await openTab("firewall");
  await jsClick('[data-testid="new-firewall"]');
  await s.type('dialog[open] input[name="label"]', "kestrel-web");
  await s.type('dialog[open] input[name="inbound.0.ports"]', "22-");
  await press("Create firewall");
  const portsError = await s.find('[data-field-error="inbound.0.ports"]', { timeout: 10_000 });
  assert.match(await s.text(portsError), /not a port list/);
  await s.screenshot("linode-08-firewall-form");
  await s.type('dialog[open] input[name="inbound.0.ports"]', "22,80,443");
  await press("Create firewall");
  await s.find("[data-firewall]", { text: "kestrel-web", timeout: 15_000 });
  const fws = (await linode("GET", "/networking/firewalls")).data;
  assert.ok(fws.some((f) => f.label === "kestrel-web"), "the firewall exists at the first account");
  await s.screenshot("linode-08-firewall-attached");

  // --- Graphs: CPU and network on the page, disk I/O in its tab.
  await openTab("disk");
  await s.find('[data-testid="disk-graph"] svg', { timeout: 15_000 });
  await s.find('[aria-label="CPU usage in percent"]');
  await s.screenshot("linode-08-graphs");

  // --- Delete it from the app.
  await press("Delete");
  await s.find("dialog[open]", { text: "kestrel-web-1" });
  await press("Delete server");
  await statusIs("deleted", 30_000);
  assert.equal((await linode("GET", "/linode/instances")).data.filter((i) => i.label === "kestrel-web-1").length, 0);

  // --- A server on the second account lands at the second Linode only.
  await newServer("kestrel-us-1", "bob");
  await statusIs("running", 40_000);
  assert.equal(await s.text(await s.find('[data-testid="server-account"]')), "bob");
  const onB = { url: fakeB.url, token: fakeB.token };
  assert.ok((await linode("GET", "/linode/instances", undefined, onB)).data.some((i) => i.label === "kestrel-us-1"));
  assert.ok(!(await linode("GET", "/linode/instances")).data.some((i) => i.label === "kestrel-us-1"));
  await s.screenshot("linode-10-server-on-second-account");

  // --- A second server, deleted in Linode's own console: the app notices.
  await newServer("kestrel-web-2");
  await statusIs("running", 40_000);
  const second = (await linode("GET", "/linode/instances")).data.find((i) => i.label === "kestrel-web-2");
  await linode("DELETE", `/linode/instances/${second.id}`);
  await statusIs("deleted", 40_000);
  await s.find("li, tr, div", { text: "not from this app", timeout: 10_000 }).catch(async () => {
    await s.go("#/activity");
    await s.find('[data-testid="activity-table"]', { text: "kestrel-web-2" });
  });
  await s.screenshot("linode-09-deleted-in-console");
});
