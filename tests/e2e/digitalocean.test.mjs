// The real ContainerStacks desktop app on DigitalOcean — the stateful fake
// DigitalOcean (crates/cs-fakes, bin `fake-digitalocean`), started here on
// loopback — under Xvfb over WebDriver. A reseller adds a DigitalOcean
// account in Settings → Providers (a read-only token first: refused with the
// reason), builds a plan on its catalogue, creates a server and watches it
// boot, reboots it, sees the Network tab say where reverse DNS comes from
// (no broken rDNS form) and the lifecycle tab offer only what DigitalOcean
// has, shuts it down and resizes it, boots it and deletes it; then a second
// server deleted in "DigitalOcean's own console" (the fake's API) is noticed.
//
// The token goes to the OS keyring: the app runs inside a private D-Bus
// session with an unlocked gnome-keyring and its own keyring folder. Run
// through `cargo xtask e2e`, which builds the app and the fakes;
// CS_APP_BINARY names the app, and fake-digitalocean is taken beside it (or
// from CS_FAKE_DIGITALOCEAN).

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
const fakeBin = process.env.CS_FAKE_DIGITALOCEAN ?? (app ? path.join(path.dirname(app), "fake-digitalocean") : "");
const shots = path.join(here, "screenshots");
let dataDir;
let keyringHome;
let driver;
let fake;
let s;

/** fake-digitalocean on a free port; resolves with its API URL and demo token. */
function startFake() {
  return new Promise((resolve, reject) => {
    const child = spawn(fakeBin, ["--step-ms", "1500"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    const timer = setTimeout(() => reject(new Error(`fake-digitalocean printed no URL and token: ${out}`)), 20_000);
    child.on("error", (e) => reject(new Error(`fake-digitalocean could not start (cargo build -p cs-fakes --bin fake-digitalocean): ${e.message}`)));
    child.stdout.on("data", (d) => {
      out += d;
      const url = out.match(/fake DigitalOcean API: (\S+)/);
      const tok = out.match(/demo token: (\S+)/);
      if (url && tok) {
        clearTimeout(timer);
        resolve({ child, url: url[1], token: tok[1] });
      }
    });
  });
}

/** DigitalOcean's own API as the reseller's console would use it. */
async function digitalocean(method, p, body) {
  const res = await fetch(`${fake.url}${p}`, { method, headers: { authorization: `Bearer ${fake.token}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  assert.ok(res.ok, `${method} ${p}: ${res.status} ${await res.clone().text()}`);
  return res.status === 204 ? null : res.json();
}

/** A token made in the fake's "control panel" with `scopes`. */
async function makeToken(scopes) {
  const res = await fetch(`${fake.url.replace(/\/v2$/, "")}/__control/tokens`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ scopes }) });
  assert.ok(res.ok);
  return (await res.json()).token;
}

before(async () => {
  assert.ok(app && existsSync(app), `CS_APP_BINARY must name the built app (got ${app}); run \`cargo xtask e2e\``);
  assert.ok(existsSync(fakeBin), `fake-digitalocean not found at ${fakeBin}: build it with \`cargo build -p cs-fakes --bin fake-digitalocean\` (cargo xtask e2e does)`);
  dataDir = await mkdtemp(path.join(os.tmpdir(), "cs-e2e-do-"));
  keyringHome = await mkdtemp(path.join(os.tmpdir(), "cs-e2e-keyring-"));
  fake = await startFake();
  driver = await startDriverWithKeyring({ CS_DATA_DIR: dataDir, XDG_DATA_HOME: keyringHome });
});

after(async () => {
  await s?.screenshot("digitalocean-99-last").catch(() => {});
  await s?.quit();
  driver?.stop();
  fake?.child.kill("SIGTERM");
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

/** A screenshot in the dark theme with `css` scrolled to the top; the light theme is back afterwards. */
async function darkScreenshot(name, css) {
  await jsClick('[data-testid="theme-toggle"]');
  assert.equal(await s.exec("return document.documentElement.classList.contains('dark')"), true);
  await s.exec(`document.querySelector(arguments[0]).scrollIntoView({ block: 'start' })`, css);
  await new Promise((r) => setTimeout(r, 400));
  await s.screenshot(name);
  await jsClick('[data-testid="theme-toggle"]');
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

async function optionValue(name, text) {
  return s.waitFor(
    () => s.exec(`const o = [...document.querySelectorAll('select[name="${name}"] option')].find(o => o.textContent.includes(arguments[0])); return o ? o.value : null`, text),
    { what: `an option "${text}" in ${name}`, timeout: 15_000 },
  );
}

async function newServer(label) {
  await s.go("#/servers");
  await press("New server");
  await s.pick("organizationId", "Kestrel");
  await s.select("planId", await optionValue("planId", "DO Basic"));
  await s.select("region", "fra1");
  await s.select("image", "debian-12-x64");
  await s.type('input[name="label"]', label);
  await s.type('input[name="rootPassword"]', "Correct-Horse-9!");
  await press("Create server");
}

test("a reseller runs a server on DigitalOcean from adding the account to deleting it, and the app notices a deletion in DigitalOcean's console", async () => {
  s = await Session.start(driver.url, app, shots);
  await s.find('a[href="#/dashboard"]', { timeout: 30_000 });

  // --- Settings → Providers: a read-only token is refused with the reason, then a full one.
  await s.go("#/settings");
  await s.find('[data-provider="digitalocean"]');
  await jsClick('[data-testid="digitalocean-advanced"]');
  await s.type('[data-provider="digitalocean"] input[name="baseUrl"]', fake.url);
  await s.type('[data-provider="digitalocean"] input[name="token"]', await makeToken(["read"]));
  await press("Connect DigitalOcean");
  const tokenError = await s.find('[data-provider="digitalocean"] [data-field-error="token"]', { timeout: 20_000 });
  assert.match(await s.text(tokenError), /read-only.*Full Access/);
  await s.exec(`document.querySelector('[data-provider="digitalocean"]').scrollIntoView({ block: 'start' })`);
  await s.screenshot("digitalocean-01-read-only-token");
  await s.type('[data-provider="digitalocean"] input[name="label"]', "DO resale");
  await s.type('[data-provider="digitalocean"] input[name="token"]', fake.token);
  await press("Connect DigitalOcean");
  const account = '[data-testid="digitalocean-account"][data-account-label="DO resale"]';
  await s.find(account, { timeout: 20_000 });
  assert.equal(await s.text(await s.find(`${account} [data-testid="digitalocean-status"]`)), "Active");
  assert.equal(await s.text(await s.find(`${account} [data-testid="droplet-limit"]`)), "25");
  assert.match(await s.text(await s.find(`${account} [data-testid="digitalocean-email"]`)), /reseller@example\.com/);
  await s.find(`${account} [data-testid="digitalocean-catalogue-refreshed"]`, { text: "8 regions", timeout: 20_000 });
  assert.match(await s.text(await s.find('[data-testid="digitalocean-notes"]')), /no StackScripts/);
  await s.exec(`document.querySelector('[data-provider="digitalocean"]').scrollIntoView({ block: 'start' })`);
  await new Promise((r) => setTimeout(r, 400));
  await s.screenshot("digitalocean-02-connected");
  await darkScreenshot("digitalocean-02-connected-dark", '[data-provider="digitalocean"]');

  // --- A customer and two plans on DigitalOcean's catalogue.
  await s.go("#/customers");
  await press("New customer");
  await s.type('input[name="name"]', "Kestrel Robotics Inc.");
  await s.type('input[name="contactName"]', "Dana Brooks");
  await s.type('input[name="contactEmail"]', "ops@kestrel.example");
  await s.select("country", "US");
  await press("Create customer");
  await s.find('[data-testid="customers-table"] tr[data-row-id]', { text: "Kestrel" });

  for (const [name, size, monthly, hourly] of [["DO Basic", "s-1vcpu-1gb", "9.00", "0.0134"], ["DO Bigger", "s-2vcpu-2gb", "24.00", "0.0357"]]) {
    await s.go("#/plans");
    await press("New plan");
    await s.select("provider", "digitalocean");
    await s.waitFor(async () => (await s.exec(`return document.querySelectorAll('select[name="providerType"] option').length`)) > 1, { what: "DigitalOcean's sizes", timeout: 20_000 });
    if (name === "DO Basic") {
      // A size sold in some regions only: the others cannot be ticked, and say why.
      await s.select("providerType", "g-2vcpu-8gb");
      await s.find('[data-testid="region-note-sgp1"]', { text: "this type is not sold here" });
      assert.equal(await s.exec(`return document.querySelector('input[name="regions"][value="sgp1"]').disabled`), true);
      assert.equal(await s.exec(`return document.querySelector('input[name="regions"][value="fra1"]').disabled`), false);
      await s.exec(`document.querySelector('input[name="regions"][value="sgp1"]').scrollIntoView({ block: 'center' })`);
      await new Promise((r) => setTimeout(r, 300));
      await s.screenshot("digitalocean-03-plan-form-regional-size");
    }
    await s.select("providerType", size);
    await s.type('input[name="name"]', name);
    await jsClick('input[name="regions"][value="fra1"]');
    await s.type('input[name="monthlyPrice"]', monthly);
    await s.type('input[name="hourlyPrice"]', hourly);
    if (name === "DO Basic") {
      assert.match(await s.text(await s.find('[data-testid="provider-catalogue-notes"]')), /no StackScripts/);
      await s.screenshot("digitalocean-03-plan-form");
    }
    await press("Create plan");
    await s.find('[data-testid="plans-table"] tr[data-row-id]', { text: name });
  }

  // --- A server: provisioning → running, a reboot.
  await newServer("kestrel-do-1");
  await statusIs("running", 40_000);
  assert.equal(await s.text(await s.find('[data-testid="server-account"]')), "DO resale");
  await press("Reboot");
  await statusIs("rebooting", 10_000).catch(() => {}); // 1.5 s at the fake: seen unless a poll straddles it
  await statusIs("running");
  const serverUrl = await s.exec("return location.hash");
  const droplets = (await digitalocean("GET", "/droplets")).droplets;
  const droplet = droplets.find((d) => d.name === "kestrel-do-1");
  assert.ok(droplet, "the Droplet exists at DigitalOcean");

  // --- Network: reverse DNS comes from the name; no per-server transfer. No broken tab.
  await openTab("network");
  await s.find('[data-testid="transfer-pooled"]', { timeout: 15_000 });
  assert.match(await s.text(await s.find('[data-testid="rdns-value"]')), /the server's name/);
  assert.equal((await s.findAll('[data-testid="edit-rdns"]')).length, 0);
  await s.exec(`document.querySelector('[data-testid="server-tabs"]').scrollIntoView({ block: 'start' })`);
  await new Promise((r) => setTimeout(r, 400));
  await s.screenshot("digitalocean-04-network-tab");

  // --- Lifecycle: only what DigitalOcean has; a resize needs the server off.
  await openTab("manage");
  await s.find('[data-testid="resize-when-off"]');
  assert.equal(await s.exec(`return [...document.querySelectorAll('h3')].some(h => /Rescue mode|Reset root password/.test(h.textContent))`), false);
  // Only the chosen tab looks chosen (once its transition is over).
  await new Promise((r) => setTimeout(r, 400));
  assert.deepEqual(await s.exec(`return [...document.querySelectorAll('[data-testid="server-tabs"] [role="tab"]')].filter((t) => getComputedStyle(t).boxShadow !== "none").map((t) => t.dataset.testid)`), ["tab-manage"]);
  await s.screenshot("digitalocean-05-manage-tab");
  await darkScreenshot("digitalocean-05-manage-tab-dark", '[data-testid="server-tabs"]');
  await press("Shut down");
  await statusIs("offline", 30_000);
  await openTab("manage");
  await s.select("planId", await optionValue("planId", "DO Bigger"));
  await press("Resize");
  await s.waitFor(async () => (await digitalocean("GET", `/droplets/${droplet.id}`)).droplet.size_slug === "s-2vcpu-2gb", { what: "the Droplet resized at DigitalOcean", timeout: 30_000 });
  await s.find("dd, span, p", { text: "DO Bigger", timeout: 15_000 });
  await statusIs("offline", 30_000);
  await press("Boot");
  await statusIs("running", 40_000);

  // --- Disk: space used, not I/O.
  await openTab("disk");
  await s.find('[data-testid="server-tabs"] [role="tabpanel"]', { text: "Disk space used", timeout: 15_000 }).catch(() => s.find('[data-testid="server-tabs"] [role="tabpanel"]', { text: "monitoring agent" }));
  await s.screenshot("digitalocean-06-server");
  await darkScreenshot("digitalocean-06-server-dark", "main");

  // --- Delete it from the app.
  await s.go(serverUrl);
  await press("Delete");
  await s.find("dialog[open]", { text: "kestrel-do-1" });
  await press("Delete server");
  await statusIs("deleted", 30_000);
  assert.equal((await digitalocean("GET", "/droplets")).droplets.filter((d) => d.name === "kestrel-do-1").length, 0);

  // --- A second server, deleted in DigitalOcean's own console: the app notices.
  await newServer("kestrel-do-2");
  await statusIs("running", 40_000);
  const second = (await digitalocean("GET", "/droplets")).droplets.find((d) => d.name === "kestrel-do-2");
  await digitalocean("DELETE", `/droplets/${second.id}`);
  await statusIs("deleted", 60_000);
  await s.find("li, tr, div", { text: "deleted outside the app", timeout: 10_000 }).catch(async () => {
    await s.go("#/activity");
    await s.find('[data-testid="activity-table"]', { text: "kestrel-do-2" });
  });
  await s.screenshot("digitalocean-07-deleted-in-console");
});
