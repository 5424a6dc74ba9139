import { describe, expect, it } from "vitest";
import { accentColours, contrast, parseHex } from "./accent";
import { passwordProblem, passwordRules, passwordStrength } from "./password";
import { canSee } from "./roles";
import { describeUserAgent } from "./user-agent";
import { safeNext } from "../layout/PortalShell";
import { formatPeriod, walletStateText } from "../components/bits";
import { desktopOfflineText, holdText } from "../components/power";
import { branding, wallet, eur } from "../test-utils";

describe("password rules (API.md: 12–200 characters, not one character, not the email)", () => {
  it("ticks off each rule", () => {
    const ok = (pw: string, email?: string) => Object.fromEntries(passwordRules(pw, email).map((r) => [r.id, r.ok]));
    expect(ok("", "ada@example.com")).toEqual({ length: false, varied: false, notEmail: false });
    expect(ok("aaaaaaaaaaaa", "ada@example.com")).toEqual({ length: true, varied: false, notEmail: true });
    // Without the email (a reset link), that rule is not ticked either way.
    expect(ok("aaaaaaaaaaaa")).toEqual({ length: true, varied: false, notEmail: null });
    expect(ok("Ada@Example.com", "ada@example.com")).toEqual({ length: true, varied: true, notEmail: false });
    expect(ok("correct horse battery", "ada@example.com")).toEqual({ length: true, varied: true, notEmail: true });
    expect(ok("x".repeat(100) + "y".repeat(101))).toMatchObject({ length: false });
  });

  it("counts characters, not UTF-16 units", () => {
    expect(passwordRules("🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🗝")[0].ok).toBe(true);
    expect(passwordRules("🔑🔑🔑🔑🔑🗝")[0].ok).toBe(false);
  });

  it("says what to fix first", () => {
    expect(passwordProblem("short")).toBe("Use at least 12 characters (5 so far)");
    expect(passwordProblem("zzzzzzzzzzzzzz")).toBe("Use more than one character");
    expect(passwordProblem("ada@example.com", "ADA@example.com")).toBe("Use something other than your email address");
    expect(passwordProblem("a long enough passphrase")).toBeUndefined();
  });

  it("rates strength by length first", () => {
    expect(passwordStrength("").score).toBe(0);
    expect(passwordStrength("abcdefgh").label).toBe("Too short");
    expect(passwordStrength("abcdefghijkl").label).toBe("Weak");
    expect(passwordStrength("correct horse battery staple").label).toBe("Good");
    expect(passwordStrength("Correct horse battery staple 9").label).toBe("Strong");
    expect(passwordStrength("abababababababababababab").score).toBeLessThanOrEqual(1);
  });
});

describe("accent colour", () => {
  it("ignores anything but #rrggbb (it is the reseller's text)", () => {
    expect(parseHex("red")).toBeNull();
    expect(accentColours("#12345", "light")).toBeNull();
    expect(accentColours("#0f766e; background: url(x)", "light")).toBeNull();
  });

  it("keeps a readable accent as it is and picks the text colour on it", () => {
    expect(accentColours("#0f766e", "light")).toEqual({ primary: "#0f766e", primaryForeground: "#ffffff", ring: "#0f766e" });
    expect(accentColours("#fde047", "dark")?.primaryForeground).toBe("#111827");
  });

  it("lightens an accent that would vanish on the dark theme, and darkens one that would on the light", () => {
    const dark = accentColours("#1e1b4b", "dark")!;
    expect(contrast(parseHex(dark.primary)!, [24, 26, 33])).toBeGreaterThanOrEqual(4.5);
    const light = accentColours("#fef08a", "light")!;
    expect(contrast(parseHex(light.primary)!, [249, 250, 251])).toBeGreaterThanOrEqual(4.5);
    // A teal that reads on white but not quite on the dark background is lightened there only.
    expect(accentColours("#0f766e", "light")!.primary).toBe("#0f766e");
    expect(accentColours("#0f766e", "dark")!.primary).not.toBe("#0f766e");
  });
});

describe("roles (API.md)", () => {
  it("admin sees all, member servers only, billing documents and wallet only", () => {
    expect([canSee("admin", "servers"), canSee("admin", "billing")]).toEqual([true, true]);
    expect([canSee("member", "servers"), canSee("member", "billing")]).toEqual([true, false]);
    expect([canSee("billing", "servers"), canSee("billing", "billing")]).toEqual([false, true]);
  });
});

describe("where to go after signing in", () => {
  it("only a path of the same tenant", () => {
    expect(safeNext("/acme/servers/srv_1?x=1", "acme")).toBe("/acme/servers/srv_1?x=1");
    expect(safeNext(null, "acme")).toBe("/acme/");
    expect(safeNext("https://evil.test/acme/", "acme")).toBe("/acme/");
    expect(safeNext("//evil.test/acme/", "acme")).toBe("/acme/");
    expect(safeNext("/other/servers", "acme")).toBe("/acme/");
    expect(safeNext("/acme/\\evil.test", "acme")).toBe("/acme/");
  });
});

describe("words", () => {
  it("names user agents", () => {
    expect(describeUserAgent("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")).toBe("Firefox on Linux");
    expect(describeUserAgent("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")).toBe("Safari on iOS");
    expect(describeUserAgent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0")).toBe("Edge on Windows");
    expect(describeUserAgent(null)).toBe("Unknown device");
  });

  it("names periods", () => {
    expect(formatPeriod({ start: "2026-02-01", end: "2026-02-28" })).toMatch(/February 2026/);
    expect(formatPeriod({ start: "2026-02-01", end: "2026-03-01" })).toMatch(/February 2026/);
    expect(formatPeriod("2026-02")).toMatch(/February 2026/);
    expect(formatPeriod({ start: "2026-02-10", end: "2026-02-20" })).toMatch(/10.*–.*20/);
  });

  it("explains every wallet state in plain words, with the reseller to contact", () => {
    const t = (state: Parameters<typeof wallet>[0]) => walletStateText(wallet(state), branding);
    expect(t({ state: "good" }).body).toMatch(/above €10\.00/);
    expect(t({ state: "low" }).body).toMatch(/Top up soon .*Acme Cloud \(help@acme\.test\)/);
    expect(t({ state: "grace", balance: eur("-120") }).title).toBe("Your wallet has run out of money");
    expect(t({ state: "suspended", terminatesAt: "2026-04-01T00:00:00Z" }).body).toMatch(/powered off.*deleted on/);
    expect(t({ state: "terminated" }).tone).toBe("error");
  });
});

describe("the reseller's desktop away, in words", () => {
  it("says how long a request is held, in minutes or whole hours", () => {
    expect(holdText(1)).toBe("1 minute");
    expect(holdText(60)).toBe("60 minutes");
    expect(holdText(90)).toBe("90 minutes");
    expect(holdText(120)).toBe("2 hours");
    expect(holdText(1440)).toBe("24 hours");
    expect(holdText(150)).toBe("150 minutes");
  });

  it("never suggests a request runs while the desktop is away", () => {
    expect(desktopOfflineText({ online: false, holdMinutes: 180 }, branding)).toBe(
      "Acme Cloud's system is offline right now. A request waits up to 3 hours for it and runs when it is back — nothing runs before that.",
    );
    expect(desktopOfflineText({ online: false, holdMinutes: 0 }, branding)).toBe(
      "Acme Cloud's system is offline right now, so actions are not accepted. Try again later.",
    );
  });
});
