// A small W3C WebDriver client for the desktop end-to-end tests: just the
// endpoints we use, over Node's fetch, so the tests need no npm package.
// tauri-driver forwards these calls to WebKitWebDriver, which drives the real
// ContainerStacks window.

import { spawn } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

async function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => { s.end(); resolve(true); });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const SESSION_BUS_CONFIG = fileURLToPath(new URL("./session-bus.conf", import.meta.url));

/**
 * Starts tauri-driver (which starts WebKitWebDriver, which starts the app)
 * with `env` for the app, inside a private D-Bus session that activates no
 * services (session-bus.conf): no desktop portal, accessibility bus or
 * autolaunched session bus is started for the app, so nothing outlives the
 * test. With `keyring`, an unlocked gnome-keyring runs on that bus: the
 * app's OS keyring for tests that store secrets. Pass `XDG_DATA_HOME` (a
 * temporary folder) in `env` then, so a developer's own keyring is never
 * touched. Everything runs in one process group; `stop()` ends it whole.
 */
export async function startDriver(env, { keyring = false } = {}) {
  const port = await freePort();
  const nativePort = await freePort();
  const script = `set -e
${keyring ? `eval "$(printf 'containerstacks-e2e' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL` : ""}
exec tauri-driver --port ${port} --native-port ${nativePort} --native-driver /usr/bin/WebKitWebDriver`;
  const child = spawn("dbus-run-session", [`--config-file=${SESSION_BUS_CONFIG}`, "--", "sh", "-c", script], {
    // WebKitWebDriver's screenshots hang without compositing, which the app
    // turns off where there is no GPU, as here (src-tauri/webview.rs): the
    // tests keep it on. The desktop benchmark measures the app as it is.
    env: { ...process.env, NO_AT_BRIDGE: "1", GTK_A11Y: "none", CS_COMPOSITING: "on", ...env },
    stdio: ["ignore", "inherit", "inherit"],
    detached: true,
  });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  child.on("error", (e) => {
    throw new Error(`dbus-run-session could not start tauri-driver (apt-get install dbus gnome-keyring; cargo install tauri-driver --locked): ${e.message}`);
  });
  // tauri-driver listens at once and starts WebKitWebDriver beside it; a
  // session asked for before WebKitWebDriver listens fails ("tcp connect
  // error"), which happened on a loaded machine.
  await waitForPort(port, 20_000);
  await waitForPort(nativePort, 20_000);
  const signal = (sig) => { try { process.kill(-child.pid, sig); } catch { /* already gone */ } };
  return {
    url: `http://127.0.0.1:${port}`,
    /** Ends the driver, the app and the D-Bus session; resolves when they are gone. */
    stop: async () => {
      signal("SIGTERM");
      const timer = setTimeout(() => signal("SIGKILL"), 3_000);
      await exited;
      clearTimeout(timer);
      signal("SIGKILL"); // whatever of the group is still there
    },
  };
}

/** startDriver with an unlocked gnome-keyring on the test's D-Bus session. */
export async function startDriverWithKeyring(env) {
  return startDriver(env, { keyring: true });
}

async function call(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    const v = json.value || {};
    const err = new Error(`${method} ${url}: ${v.error || res.status}: ${v.message || JSON.stringify(json)}`);
    err.webdriver = v.error;
    throw err;
  }
  return json.value;
}

export class Session {
  constructor(base, id, shotDir) {
    this.base = `${base}/session/${id}`;
    this.shotDir = shotDir;
  }

  static async start(driverUrl, application, shotDir) {
    const value = await call("POST", `${driverUrl}/session`, {
      capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application } } },
    });
    return new Session(driverUrl, value.sessionId, shotDir);
  }

  async quit() {
    await call("DELETE", this.base).catch(() => {});
  }

  async exec(script, ...args) {
    return call("POST", `${this.base}/execute/sync`, { script, args });
  }

  async findAll(css) {
    const els = await call("POST", `${this.base}/elements`, { using: "css selector", value: css });
    return els.map((e) => e[ELEMENT]);
  }

  /** Waits until `css` matches a displayed element and returns the first. */
  async find(css, { timeout = 10_000, text } = {}) {
    return this.waitFor(async () => {
      for (const el of await this.findAll(css)) {
        if (!(await this.displayed(el))) continue;
        if (text === undefined || (await this.text(el)).includes(text)) return el;
      }
      return null;
    }, { timeout, what: `${css}${text ? ` containing ${JSON.stringify(text)}` : ""}` });
  }

  async displayed(el) {
    // Visible = laid out with a size and not hidden by CSS; computed in the
    // page, which is what WebDriver's own "displayed" atom approximates.
    try {
      return await this.exec(
        "const e = arguments[0]; const r = e.getBoundingClientRect(); const st = getComputedStyle(e); return r.width > 0 && r.height > 0 && st.visibility !== 'hidden' && st.display !== 'none';",
        { [ELEMENT]: el },
      );
    } catch (e) {
      if (/stale/.test(e.message)) return false;
      throw e;
    }
  }

  /** The element's rendered text (WebKitWebDriver's text endpoint returns
   * nothing for some React-rendered nodes, so ask the page). */
  async text(el) {
    return this.exec("return arguments[0].innerText", { [ELEMENT]: el });
  }

  async attr(el, name) {
    return call("GET", `${this.base}/element/${el}/attribute/${name}`);
  }

  async click(css, opts) {
    const el = typeof css === "string" ? await this.find(css, opts) : css;
    await call("POST", `${this.base}/element/${el}/click`, {});
    return el;
  }

  /** Clicks the displayed button whose text is exactly `label`. */
  async clickButton(label, { timeout = 10_000 } = {}) {
    const el = await this.waitFor(async () => {
      for (const b of await this.findAll("button")) {
        if ((await this.displayed(b)) && (await this.text(b)).trim() === label) {
          const disabled = await this.exec("return arguments[0].disabled", { [ELEMENT]: b });
          if (!disabled) return b;
        }
      }
      return null;
    }, { timeout, what: `an enabled button "${label}"` });
    // Centre it first: WebDriver scrolls a target only to the edge of the
    // view, where a toast or a sticky bar may cover it.
    await this.exec("arguments[0].scrollIntoView({ block: 'center', inline: 'nearest' })", { [ELEMENT]: el });
    try {
      await call("POST", `${this.base}/element/${el}/click`, {});
    } catch (e) {
      if (!String(e.message).includes("intercepted")) throw e;
      // Toasts stack up bottom right over whatever is there; a user closes
      // them and clicks again, and so do we (once).
      await this.exec("document.querySelectorAll('[role=status] button[aria-label=Dismiss], [role=alert] button[aria-label=Dismiss]').forEach((b) => b.click())");
      await new Promise((r) => setTimeout(r, 300));
      try {
        await call("POST", `${this.base}/element/${el}/click`, {});
      } catch (again) {
        await this.screenshot(`click-failed-${label.replace(/\W+/g, "-")}-${Date.now()}`).catch(() => {});
        throw again;
      }
    }
  }

  async type(css, value) {
    const el = await this.find(css);
    await call("POST", `${this.base}/element/${el}/clear`, {});
    if (value !== "") await call("POST", `${this.base}/element/${el}/value`, { text: value });
  }

  /** Sends keys to the element without clearing it first ("\uE003" is Backspace). */
  async keys(css, text) {
    const el = await this.find(css);
    await call("POST", `${this.base}/element/${el}/value`, { text });
  }

  /** Empties a text field as a user would, key by key (WebDriver's clear fires no input event, so React would not hear it). */
  async erase(css) {
    const el = await this.find(css);
    const length = await this.exec("arguments[0].focus(); arguments[0].setSelectionRange(arguments[0].value.length, arguments[0].value.length); return arguments[0].value.length", { [ELEMENT]: el });
    if (length > 0) await call("POST", `${this.base}/element/${el}/value`, { text: "\uE003".repeat(length) });
  }

  /** Chooses an option of a native <select> by its value, as a user would. */
  async select(name, value) {
    const sel = `select[name="${name}"]`;
    // Options have no layout box of their own, so they are clicked directly
    // (WebDriver's element click on an <option> selects it, as a user would).
    const option = await this.waitFor(async () => (await this.findAll(`${sel} option[value="${value}"]`))[0] || null, { what: `option ${value} in ${sel}` });
    await call("POST", `${this.base}/element/${option}/click`, {});
    const chosen = await this.exec(`return document.querySelector(arguments[0]).value`, sel);
    if (chosen !== value) throw new Error(`${sel} shows ${chosen}, expected ${value}`);
  }

  /**
   * Chooses in a search box with a list (the customer picker), as a user
   * would: types `text` into `<name>-search`, waits for an option containing
   * `match` (default: `text`), clicks it, and checks the field's value.
   * Returns the chosen id.
   */
  async pick(name, text, match = text) {
    const box = `input[name="${name}-search"]`;
    await this.click(box);
    await this.keys(box, text);
    // The list is read again as the typing settles, so an option found a
    // moment ago may be gone: find and click again until the choice holds.
    let value = null;
    await this.waitFor(async () => {
      try {
        if (!(await this.exec(`return Boolean(document.querySelector('[data-testid="${name}-options"]'))`))) await this.click(box);
        const option = await this.find(`[data-testid="${name}-options"] [role="option"]`, { text: match, timeout: 2_000 });
        value = await this.attr(option, "data-value");
        // The option reacts to mousedown (before the box's blur), which a WebDriver click sends.
        await call("POST", `${this.base}/element/${option}/click`, {});
        return (await this.exec(`return document.querySelector(arguments[0]).value`, `input[name="${name}"]`)) === value;
      } catch {
        return false;
      }
    }, { what: `${name} set to ${match}`, timeout: 20_000 });
    return value;
  }

  async waitFor(fn, { timeout = 10_000, interval = 150, what = "condition" } = {}) {
    const deadline = Date.now() + timeout;
    let last;
    while (Date.now() < deadline) {
      try {
        const v = await fn();
        if (v) return v;
      } catch (e) {
        last = e;
      }
      await sleep(interval);
    }
    await this.screenshot(`timeout-${Date.now()}`).catch(() => {});
    throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? `: ${last.message}` : ""}`);
  }

  async go(hash) {
    await this.click(`a[href="${hash}"]`);
  }

  async screenshot(name) {
    const b64 = await call("GET", `${this.base}/screenshot`);
    await mkdir(this.shotDir, { recursive: true });
    const file = path.join(this.shotDir, `${name}.png`);
    await writeFile(file, Buffer.from(b64, "base64"));
    return file;
  }
}

/**
 * The desktop notifications an app process sends, as they cross its D-Bus
 * session (org.freedesktop.Notifications.Notify, seen with dbus-monitor; the
 * test's private bus allows eavesdropping). Nothing serves the name on that
 * bus, so nothing pops up; what counts is that the app asked for it, with
 * this title and body. `seen()` lists `{ title, body }` so far; `stop()` ends
 * the monitor.
 */
export async function watchNotifications(pid) {
  const environ = await readFile(`/proc/${pid}/environ`, "utf8");
  const address = environ.split("\0").find((kv) => kv.startsWith("DBUS_SESSION_BUS_ADDRESS="))?.slice("DBUS_SESSION_BUS_ADDRESS=".length);
  if (!address) throw new Error(`the app (pid ${pid}) has no D-Bus session`);
  const monitor = spawn("dbus-monitor", ["--address", address, "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"], { stdio: ["ignore", "pipe", "inherit"] });
  const seen = [];
  let strings = null;
  let rest = "";
  monitor.stdout.on("data", (chunk) => {
    rest += chunk;
    const lines = rest.split("\n");
    rest = lines.pop();
    for (const line of lines) {
      if (/^method call .*member=Notify/.test(line)) {
        strings = [];
      } else if (strings) {
        const m = line.match(/^\s+string "(.*)"$/);
        if (m) strings.push(m[1]);
        // app name, icon, title, body: then the actions array
        if (strings.length === 4 || /^\s+array/.test(line)) {
          if (strings.length >= 4) seen.push({ title: strings[2], body: strings[3] });
          strings = null;
        }
      }
    }
  });
  // dbus-monitor prints its own subscription first: wait until it is on the bus.
  await sleep(500);
  return {
    seen: () => [...seen],
    stop: () => monitor.kill("SIGTERM"),
  };
}
