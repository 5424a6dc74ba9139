import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PortalError, portalApi, setSessionCsrf } from "./client";
import { mockApi, session } from "../test-utils";

beforeEach(() => {
  setSessionCsrf(null);
  document.cookie = "cs_csrf=cookie-token; path=/";
});
afterEach(() => {
  vi.unstubAllGlobals();
  document.cookie = "cs_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/";
});

describe("the portal's API client", () => {
  it("sends the cs_csrf cookie's value before sign-in, then the session's token", async () => {
    const { calls } = mockApi({
      "POST /api/v1/t/acme/sign-in": { body: session() },
      "POST /api/v1/sign-out": { status: 204 },
      "GET /api/v1/servers": { body: [] },
    });
    await portalApi.signIn("acme", "ada@example.com", "correct horse battery");
    expect(calls[0].headers["X-CSRF-Token"]).toBe("cookie-token");
    expect(calls[0].headers["Content-Type"]).toBe("application/json");
    expect(calls[0].body).toEqual({ email: "ada@example.com", password: "correct horse battery" });

    await portalApi.servers();
    expect(calls[1].headers["X-CSRF-Token"]).toBeUndefined(); // GETs change nothing

    await portalApi.signOut();
    expect(calls[2].headers["X-CSRF-Token"]).toBe("csrf-session");

    // After signing out, the cookie's value again.
    await portalApi.requestPasswordReset("acme", "ada@example.com").catch(() => {});
    expect(calls[3].headers["X-CSRF-Token"]).toBe("cookie-token");
  });

  it("sends cookies with every request (same origin)", async () => {
    const { fetchMock } = mockApi({ "GET /api/v1/wallet": { body: {} } });
    await portalApi.wallet();
    expect(fetchMock.mock.calls[0][1]).toMatchObject({ credentials: "same-origin", method: "GET" });
  });

  it("turns a refusal into a PortalError with its code, message and fields", async () => {
    mockApi({
      "POST /api/v1/account/password": {
        status: 400,
        body: { code: "invalid", message: "The new password is too short", fields: { newPassword: "Use at least 12 characters" } },
      },
    });
    const e = await portalApi.changePassword("old", "short").catch((x) => x);
    expect(e).toBeInstanceOf(PortalError);
    expect(e).toMatchObject({ code: "invalid", status: 400, message: "The new password is too short", fields: { newPassword: "Use at least 12 characters" } });
  });

  it("reads Retry-After on a rate limit", async () => {
    mockApi({
      "POST /api/v1/t/acme/sign-in": { status: 429, body: { code: "rate_limited", message: "Too many attempts" }, headers: { "Retry-After": "120" } },
    });
    const e = await portalApi.signIn("acme", "a@b.c", "x").catch((x) => x);
    expect(e).toMatchObject({ code: "rate_limited", retryAfterSeconds: 120 });
  });

  it("says the portal is unreachable when the network fails, and unavailable on a 502 page", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => { throw new TypeError("Failed to fetch"); }));
    await expect(portalApi.dashboard()).rejects.toMatchObject({ code: "unavailable", message: expect.stringMatching(/Cannot reach the portal/) });
    vi.stubGlobal("fetch", vi.fn(async () => new Response("<html>Bad gateway</html>", { status: 502 })));
    await expect(portalApi.dashboard()).rejects.toMatchObject({ code: "unavailable", status: 502 });
  });

  it("answers null for the session when signed out, and forgets the session's CSRF token", async () => {
    const { calls } = mockApi({
      "GET /api/v1/session": { status: 401, body: { code: "signed_out", message: "Sign in again" } },
      "POST /api/v1/t/acme/password-reset": { status: 202 },
    });
    setSessionCsrf("stale");
    expect(await portalApi.session()).toBeNull();
    await portalApi.requestPasswordReset("acme", "ada@example.com");
    expect(calls[1].headers["X-CSRF-Token"]).toBe("cookie-token");
  });

  it("reads a server action's 202 answer, and keeps the desktop_offline code", async () => {
    const action = { id: "act_1", action: "reboot", state: "requested", requestedAt: "2026-03-02T08:00:00Z", requestedBy: "Ada Lovelace" };
    let offline = false;
    const { calls } = mockApi({
      "POST /api/v1/servers/srv_1/actions": () =>
        offline ? { status: 409, body: { code: "desktop_offline", message: "the system is offline" } } : { status: 202, body: action },
    });
    setSessionCsrf("csrf-session");
    expect(await portalApi.requestServerAction("srv_1", "reboot")).toEqual(action);
    expect(calls[0]).toMatchObject({ method: "POST", body: { action: "reboot" }, headers: { "X-CSRF-Token": "csrf-session", "Content-Type": "application/json" } });
    offline = true;
    await expect(portalApi.requestServerAction("srv_1", "boot")).rejects.toMatchObject({ code: "desktop_offline", status: 409 });
  });

  it("asks for a delete with the typed label, and reads its 202 answer", async () => {
    const action = { id: "act_2", action: "delete", state: "requested", requestedAt: "2026-03-02T08:00:00Z", requestedBy: "Ada Lovelace" };
    const { calls } = mockApi({ "POST /api/v1/servers/srv%2F1/delete": { status: 202, body: action } });
    setSessionCsrf("csrf-session");
    expect(await portalApi.requestServerDelete("srv/1", "web-1")).toEqual(action);
    expect(calls[0]).toMatchObject({
      method: "POST",
      path: "/api/v1/servers/srv%2F1/delete",
      body: { label: "web-1" },
      headers: { "X-CSRF-Token": "csrf-session", "Content-Type": "application/json" },
    });
  });

  it("escapes ids and cursors in paths", async () => {
    const { calls } = mockApi({});
    await portalApi.server("a/b?c").catch(() => {});
    await portalApi.documents("2026-03-01T00:00:00Z|doc 1").catch(() => {});
    expect(calls.map((c) => c.path)).toEqual(["/api/v1/servers/a%2Fb%3Fc", "/api/v1/documents?before=2026-03-01T00%3A00%3A00Z%7Cdoc%201"]);
  });
});
