// The app updates itself: the older .deb is installed and started; it reads
// the update manifest from a server on loopback, is refused an unsigned
// manifest, a tampered package and a truncated one (each time it keeps
// running as it was), then downloads the good package, checks its
// signature, installs it with dpkg (through sudo, as the updater does) and
// restarts into the new version, with the reseller's data as it was.
//
// The two packages are built by `cargo xtask update-test` (debug builds
// signed with the development key, allowed to fetch over plain http from
// loopback). It installs packages system-wide, so it runs as root, and
// removes them after.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Session, startDriver, sleep } from "../e2e/webdriver.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const shots = path.join(here, "..", "e2e", "screenshots");
const OLD = process.env.CS_UPDATE_OLD;
const NEW = process.env.CS_UPDATE_NEW;
const OLD_VERSION = process.env.CS_UPDATE_OLD_VERSION;
const NEW_VERSION = process.env.CS_UPDATE_NEW_VERSION;
/** The new package's signature by a key the app does not trust. */
const STRANGER_SIG = process.env.CS_UPDATE_STRANGER_SIG;
const INSTALLED = "/usr/bin/containerstacks";
const PACKAGE = "container-stacks";

let dataDir;
let driver;
let s;
let server;
let port;
/** What the server hands out: "good", "unsigned", "stranger" (signed by another key), "tampered" or "truncated". */
let mode = "good";
const served = [];

function debIn(dir) {
  const name = execFileSync("sh", ["-c", `ls "${dir}" | grep '\\.deb$'`], { encoding: "utf8" }).trim();
  return path.join(dir, name);
}

function installedVersion() {
  try {
    return execFileSync("dpkg-query", ["-W", "-f=${Version}", PACKAGE], { encoding: "utf8" }).trim();
  } catch {
    return null;
  }
}

/** The processes running the installed app. */
function appPids() {
  const pids = [];
  for (const p of execFileSync("ls", ["/proc"], { encoding: "utf8" }).split("\n")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readlinkSync(`/proc/${p}/exe`).startsWith(INSTALLED)) pids.push(Number(p));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

function killApps() {
  for (const pid of appPids()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** The version each start of the app logged, in order (the log is JSON lines). */
async function startedVersions() {
  const versions = [];
  for (const line of (await logText()).split("\n")) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line);
      if (entry.fields?.message === "the window is up") versions.push(entry.fields.version);
    } catch {
      // a line being written
    }
  }
  return versions;
}

async function logText() {
  const dir = path.join(dataDir, "logs");
  let text = "";
  for (const f of existsSync(dir) ? await readdir(dir) : []) text += await readFile(path.join(dir, f), "utf8");
  return text;
}

before(async () => {
  assert.ok(OLD && NEW && OLD_VERSION && NEW_VERSION && STRANGER_SIG, "run through `cargo xtask update-test`: it builds the two packages");
  assert.equal(process.getuid(), 0, "the update test installs packages with dpkg: run it as root");
  const present = installedVersion();
  if (present && present !== OLD_VERSION && present !== NEW_VERSION) {
    throw new Error(`ContainerStacks ${present} is installed on this machine; the update test installs its own packages: remove it first (dpkg -r ${PACKAGE})`);
  }
  execFileSync("dpkg", ["-i", debIn(OLD)], { stdio: "inherit" });
  assert.equal(installedVersion(), OLD_VERSION);

  const manifest = JSON.parse(readFileSync(path.join(NEW, "latest.json"), "utf8"));
  const deb = readFileSync(debIn(NEW));
  const tampered = Buffer.from(deb);
  tampered[tampered.length - 100] ^= 0xff;
  server = createServer((req, res) => {
    served.push(`${mode} ${req.url}`);
    if (req.url === "/latest.json") {
      const platform = { ...manifest.platforms["linux-x86_64-deb"], url: `http://127.0.0.1:${port}/package.deb` };
      if (mode === "unsigned") delete platform.signature;
      if (mode === "stranger") platform.signature = readFileSync(STRANGER_SIG, "utf8").trim();
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ ...manifest, platforms: { "linux-x86_64-deb": platform, "linux-x86_64": platform } }));
    } else if (req.url === "/package.deb") {
      const body = mode === "tampered" ? tampered : mode === "truncated" ? deb.subarray(0, Math.floor(deb.length / 2)) : deb;
      res.setHeader("content-type", "application/vnd.debian.binary-package");
      res.setHeader("content-length", String(body.length));
      res.end(body);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  port = server.address().port;

  dataDir = await mkdtemp(path.join(os.tmpdir(), "cs-update-"));
  driver = await startDriver({ CS_DATA_DIR: dataDir });
});

after(async () => {
  await s?.quit();
  await driver?.stop();
  killApps();
  server?.close();
  if (installedVersion()) execFileSync("dpkg", ["-r", PACKAGE], { stdio: "inherit" });
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function openAbout() {
  await s.go("#/settings");
  await s.find("h1", { text: "Settings" });
  const about = await s.find('[data-testid="about"]', { timeout: 15_000 });
  await s.exec("arguments[0].scrollIntoView({ block: 'start' })", { "element-6066-11e4-a52e-4f735466cecf": about });
}

async function checkAndFind() {
  await s.clickButton("Check for updates", { timeout: 15_000 });
  await s.find('[data-testid="update-available"]', { text: `Version ${NEW_VERSION} is available`, timeout: 20_000 });
}

test("the app refuses bad updates and installs the signed one, restarting into it with the data intact", async () => {
  s = await Session.start(driver.url, INSTALLED, shots);
  await s.find('a[href="#/dashboard"]', { timeout: 30_000 });

  // Data to find again after the update.
  await s.go("#/settings");
  await s.find("h1", { text: "Settings" });
  await s.type('input[name="resellerName"]', "Update Test Hosting");
  await s.clickButton("Save settings");
  await s.find("[role=status]", { text: "Settings saved" });
  await openAbout();
  assert.equal((await s.text(await s.find('[data-testid="app-version"]'))).trim(), OLD_VERSION);

  // Our mirror.
  await s.type('input[name="endpoint"]', `http://127.0.0.1:${port}/latest.json`);
  await s.clickButton("Save");
  await s.find("[role=status]", { text: "Update settings saved" });

  // An update without a signature is never offered.
  mode = "unsigned";
  await s.clickButton("Check for updates");
  const unsigned = await s.find('[data-testid="update-error"]', { timeout: 20_000 });
  assert.match(await s.text(unsigned), /not signed/);

  // A package signed by someone else, one changed after it was signed, and
  // one cut short: refused, and nothing installed.
  for (const bad of ["stranger", "tampered", "truncated"]) {
    mode = bad;
    await checkAndFind();
    const notes = await s.text(await s.find('[data-testid="release-notes"]'));
    assert.match(notes, /<b>not HTML<\/b>/, "release notes are shown as text");
    await s.clickButton(`Download and install ${NEW_VERSION}`);
    const refused = await s.find('[data-testid="update-error"]', { text: `Version ${NEW_VERSION} was not installed`, timeout: 60_000 });
    assert.match(await s.text(refused), /does not carry ContainerStacks' signature/, `${bad}: ${await s.text(refused)}`);
    if (bad === "tampered") await s.screenshot("update-refused-tampered");
    assert.equal(installedVersion(), OLD_VERSION, `${bad}: the installed package is still the old one`);
    assert.equal((await s.text(await s.find('[data-testid="app-version"]'))).trim(), OLD_VERSION, `${bad}: the running version keeps working`);
  }
  for (const bad of ["stranger", "tampered", "truncated"]) assert.ok(served.includes(`${bad} /package.deb`), `${bad}: ${served.join(", ")}`);

  // The good one: downloaded, checked, installed, and the app restarts into it.
  mode = "good";
  await checkAndFind();
  await s.screenshot("update-available");
  const before = appPids();
  assert.equal(before.length, 1, `one app runs: ${before}`);
  await s.clickButton(`Download and install ${NEW_VERSION}`);
  await s.waitFor(async () => installedVersion() === NEW_VERSION, { timeout: 120_000, what: `dpkg to show ${NEW_VERSION} installed` });
  const restarted = await s.waitFor(async () => {
    const now = appPids().filter((p) => !before.includes(p));
    return now.length === 1 && (await startedVersions()).includes(NEW_VERSION) ? now[0] : null;
  }, { timeout: 60_000, what: "the app to restart into the new version" });
  await s.waitFor(async () => !before.some((p) => existsSync(`/proc/${p}`)), { timeout: 20_000, what: "the old version to exit" });
  assert.deepEqual(await startedVersions(), [OLD_VERSION, NEW_VERSION], "the old version started once, then the new one");

  // Open the new version as the reseller would and look: version, data.
  process.kill(restarted, "SIGTERM");
  await s.waitFor(async () => !existsSync(`/proc/${restarted}`), { timeout: 20_000, what: "the restarted app to close" });
  await s.quit();
  await driver.stop();
  driver = await startDriver({ CS_DATA_DIR: dataDir });
  s = await Session.start(driver.url, INSTALLED, shots);
  await s.find('a[href="#/dashboard"]', { timeout: 30_000 });
  await openAbout();
  assert.equal((await s.text(await s.find('[data-testid="app-version"]'))).trim(), NEW_VERSION);
  await s.find('[data-testid="way-back"]');
  await sleep(300);
  await s.screenshot("update-about-after");
  const endpoint = await s.exec('return document.querySelector("input[name=endpoint]").value');
  assert.equal(endpoint, `http://127.0.0.1:${port}/latest.json`, "the settings made before the update are there");
  assert.equal(await s.exec('return document.querySelector("input[name=resellerName]").value'), "Update Test Hosting");
});
