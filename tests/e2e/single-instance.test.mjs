// Opening the app a second time: the second start hands over to the running
// window (src-tauri/single_instance.rs: a lock and a socket in the data
// folder) and exits, instead of failing on the
// database lock; the first window is still the one, with what the reseller
// had on screen. Its size and place are written to the data folder
// (tauri-plugin-window-state) when the app closes.
//
// Run through `cargo xtask e2e` or directly:
// CS_APP_BINARY=…/containerstacks xvfb-run … node --test tests/e2e/single-instance.test.mjs

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
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
  dataDir = await mkdtemp(path.join(os.tmpdir(), "cs-e2e-single-"));
  driver = await startDriver({ CS_DATA_DIR: dataDir });
});

after(async () => {
  await s?.quit();
  await driver?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The environment of the running app (its D-Bus session is the test's private one). */
async function environOf(pid) {
  const raw = await readFile(`/proc/${pid}/environ`, "utf8");
  return Object.fromEntries(raw.split("\0").filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
}

/** Starts the app again as a person would (same desktop session, same data folder); resolves with its exit. */
function startAgain(env) {
  return new Promise((resolve, reject) => {
    const child = spawn(app, [], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the second start did not exit within 20 s; it printed:\n${output}`));
    }, 20_000);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

test("a second start focuses the running window instead of failing on the lock", async () => {
  s = await Session.start(driver.url, app, shots);
  await s.find('a[href="#/dashboard"]', { timeout: 30_000 });
  await s.go("#/settings");
  await s.find("h1", { text: "Settings" });
  // A mark in this very page: a new window or a reload would lose it.
  await s.exec("window.__firstWindow = 'still here'");

  const pid = Number((await readFile(path.join(dataDir, "containerstacks.db.lock"), "utf8")).trim());
  assert.ok(pid > 0, "the running app wrote its pid into the lock file");
  const env = await environOf(pid);
  assert.ok(env.DBUS_SESSION_BUS_ADDRESS, "the app runs on a D-Bus session");

  const second = await startAgain({ ...env, CS_DATA_DIR: dataDir });
  assert.equal(second.code, 0, `the second start handed over and exited cleanly; it printed:\n${second.output}`);
  assert.doesNotMatch(second.output, /in use by another ContainerStacks process/, "it never reached the database lock");

  // The first window is the one still there, as it was, and it heard the second start.
  assert.equal(await s.exec("return window.__firstWindow"), "still here");
  await s.find("h1", { text: "Settings" });
  const log = await s.waitFor(async () => {
    const dir = path.join(dataDir, "logs");
    for (const f of await readdir(dir)) {
      const text = await readFile(path.join(dir, f), "utf8");
      if (text.includes("the app was started again")) return text;
    }
    return null;
  }, { timeout: 10_000, what: "the running app to log the second start" });
  assert.ok(log);
  // The running app still owns the database, and the page still answers commands.
  assert.equal(Number((await readFile(path.join(dataDir, "containerstacks.db.lock"), "utf8")).trim()), pid);
  await s.go("#/customers");
  await s.find("h1", { text: "Customers" });
  await s.screenshot("single-instance-after-second-start");
});
