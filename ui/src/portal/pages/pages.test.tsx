import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { setSessionCsrf } from "../api/client";
import type { ServerStatus } from "../api/types";
import { FakeEventSource, type Handler, branding, doc, eur, mockApi, renderPortal, server, serverAction, serverDetail, session, wallet } from "../test-utils";

const signedOut = { status: 401, body: { code: "signed_out", message: "Sign in again" } };

beforeEach(() => {
  setSessionCsrf(null);
  FakeEventSource.instances = [];
  vi.stubGlobal("EventSource", FakeEventSource);
});
afterEach(() => vi.unstubAllGlobals());

describe("signing in", () => {
  it("shows a wrong password next to the form and keeps the email", async () => {
    const user = userEvent.setup();
    mockApi({
      "GET /api/v1/t/acme/branding": { body: branding },
      "GET /api/v1/session": signedOut,
      "POST /api/v1/t/acme/sign-in": { status: 401, body: { code: "invalid_credentials", message: "The email or the password is wrong" } },
    });
    renderPortal("/acme/sign-in");
    expect(await screen.findByTestId("brand-name")).toHaveTextContent("Acme Cloud");
    await user.type(await screen.findByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "not the password");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByTestId("form-error")).toHaveTextContent("The email or the password is wrong");
    expect(screen.getByLabelText("Email")).toHaveValue("ada@example.com");
    expect(screen.getByLabelText("Password")).toHaveValue("");
  });

  it("checks the fields before asking the server", async () => {
    const user = userEvent.setup();
    const { calls } = mockApi({ "GET /api/v1/t/acme/branding": { body: branding }, "GET /api/v1/session": signedOut });
    renderPortal("/acme/sign-in");
    await user.click(await screen.findByRole("button", { name: "Sign in" }));
    expect(document.querySelector('[data-field-error="email"]')).toHaveTextContent("Enter the email address");
    expect(document.querySelector('[data-field-error="password"]')).toHaveTextContent("Enter your password");
    expect(calls.filter((c) => c.method === "POST")).toEqual([]);
  });

  it("goes on to the code step, takes a recovery code instead, and lands where it was going", async () => {
    const user = userEvent.setup();
    let stage: "second_factor" | "signed_in" | null = null;
    const { calls } = mockApi({
      "GET /api/v1/t/acme/branding": { body: branding },
      "GET /api/v1/session": () => (stage ? { body: session({}, stage) } : signedOut),
      "POST /api/v1/t/acme/sign-in": () => {
        stage = "second_factor";
        return { body: session({}, "second_factor") };
      },
      "POST /api/v1/sign-in/second-factor": ({ body }) => {
        if (body.recoveryCode !== "abcd-efgh") return { status: 401, body: { code: "invalid_code", message: "This code is wrong or was used" } };
        stage = "signed_in";
        return { body: session({}, "signed_in") };
      },
      "GET /api/v1/servers": { body: [server()] },
    });
    renderPortal("/acme/sign-in?next=%2Facme%2Fservers");
    await user.type(await screen.findByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "correct horse battery");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByRole("heading", { name: "Two-factor authentication" })).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Use a recovery code" }));
    await user.type(screen.getByLabelText("Recovery code"), "wrong-code");
    await user.click(screen.getByRole("button", { name: "Verify" }));
    expect(await screen.findByText("This code is wrong or was used")).toHaveAttribute("data-field-error", "recoveryCode");

    await user.type(screen.getByLabelText("Recovery code"), "abcd-efgh");
    await user.click(screen.getByRole("button", { name: "Verify" }));
    expect(await screen.findByRole("heading", { name: "Servers" })).toBeInTheDocument();
    expect(calls.find((c) => c.path === "/api/v1/sign-in/second-factor" && c.body.recoveryCode === "abcd-efgh")?.headers["X-CSRF-Token"]).toBe("csrf-session");
  });

  it("refuses a code that is not six digits without asking the server", async () => {
    const user = userEvent.setup();
    // At the second factor the session does not say whose account it is.
    const { account: _a, organization: _o, ...halfway } = session({}, "second_factor");
    const { calls } = mockApi({
      "GET /api/v1/t/acme/branding": { body: branding },
      "GET /api/v1/session": { body: halfway },
    });
    renderPortal("/acme/sign-in/verify");
    await user.type(await screen.findByLabelText("Code"), "12345");
    await user.click(screen.getByRole("button", { name: "Verify" }));
    expect(document.querySelector('[data-field-error="code"]')).toHaveTextContent("6 digits");
    expect(calls.some((c) => c.path === "/api/v1/sign-in/second-factor")).toBe(false);
  });

  it("sends a signed-out visitor of a page to sign-in, with the way back", async () => {
    mockApi({ "GET /api/v1/t/acme/branding": { body: branding }, "GET /api/v1/session": signedOut });
    renderPortal("/acme/wallet");
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeInTheDocument();
  });

  it("says so when the tenant does not exist", async () => {
    mockApi({});
    renderPortal("/nobody/sign-in");
    expect(await screen.findByText("There is no customer portal here")).toBeInTheDocument();
  });
});

describe("the invitation", () => {
  const invitation = { tenant: "acme", tenantName: "Acme Cloud", email: "ada@example.com", name: "Ada Lovelace", organization: "Analytical Engines Ltd", expiresAt: "2026-03-08T10:00:00Z" };

  it("ticks off the password rules, checks the two match, and signs in", async () => {
    const user = userEvent.setup();
    let accepted = false;
    const { calls } = mockApi({
      "GET /api/v1/t/acme/branding": { body: branding },
      "GET /api/v1/invitations/tok123": { body: invitation },
      "GET /api/v1/session": () => (accepted ? { body: session({ twoFactor: false }) } : signedOut),
      "POST /api/v1/invitations/accept": () => {
        accepted = true;
        return { body: session({ twoFactor: false }) };
      },
      "GET /api/v1/dashboard": { body: { servers: { total: 0, running: 0, stopped: 0, other: 0 }, wallet: wallet(), recentDocuments: [] } },
    });
    renderPortal("/acme/accept-invitation#tok123");
    expect(await screen.findByRole("heading", { name: "Welcome, Ada Lovelace" })).toBeInTheDocument();
    expect(screen.getByLabelText("Email")).toHaveValue("ada@example.com");

    const pw = screen.getByLabelText("Password");
    await user.type(pw, "ada@example.com");
    expect(document.querySelector('[data-rule="notEmail"]')).toHaveAttribute("data-ok", "false");
    expect(document.querySelector('[data-rule="length"]')).toHaveAttribute("data-ok", "true");
    await user.clear(pw);
    await user.type(pw, "difference engine no 2");
    expect(document.querySelector('[data-rule="notEmail"]')).toHaveAttribute("data-ok", "true");
    await user.type(screen.getByLabelText("Password again"), "difference engine no 3");
    await user.click(screen.getByRole("button", { name: "Set password and sign in" }));
    expect(document.querySelector('[data-field-error="confirm"]')).toHaveTextContent("The two passwords differ");
    expect(calls.some((c) => c.method === "POST")).toBe(false);

    await user.clear(screen.getByLabelText("Password again"));
    await user.type(screen.getByLabelText("Password again"), "difference engine no 2");
    await user.click(screen.getByRole("button", { name: "Set password and sign in" }));
    expect(await screen.findByText("Your account is ready")).toBeInTheDocument();
    expect(screen.getByTestId("two-factor-suggestion")).toBeInTheDocument();
    expect(calls.find((c) => c.path === "/api/v1/invitations/accept")?.body).toEqual({ token: "tok123", password: "difference engine no 2" });
  });

  it("explains a used or expired invitation", async () => {
    mockApi({
      "GET /api/v1/t/acme/branding": { body: branding },
      "GET /api/v1/invitations/old": { status: 410, body: { code: "expired", message: "This invitation has expired" } },
    });
    renderPortal("/acme/accept-invitation/old");
    expect(await screen.findByTestId("invitation-error")).toHaveTextContent("already used or has expired");
    expect(screen.getByRole("link", { name: "Go to sign-in" })).toHaveAttribute("href", "/acme/sign-in");
  });

  it("shows the server's field message beside the password", async () => {
    const user = userEvent.setup();
    mockApi({
      "GET /api/v1/t/acme/branding": { body: branding },
      "GET /api/v1/invitations/tok": { body: invitation },
      "POST /api/v1/invitations/accept": { status: 400, body: { code: "invalid", message: "Choose another password", fields: { password: "This password is too common" } } },
    });
    renderPortal("/acme/accept-invitation?token=tok");
    await user.type(await screen.findByLabelText("Password"), "password1234");
    await user.type(screen.getByLabelText("Password again"), "password1234");
    await user.click(screen.getByRole("button", { name: "Set password and sign in" }));
    expect(await screen.findByText("This password is too common")).toHaveAttribute("data-field-error", "password");
  });
});

describe("password reset", () => {
  it("answers the same whatever the address", async () => {
    const user = userEvent.setup();
    const { calls } = mockApi({ "GET /api/v1/t/acme/branding": { body: branding }, "POST /api/v1/t/acme/password-reset": { status: 202 } });
    renderPortal("/acme/forgot-password");
    await user.type(await screen.findByLabelText("Email"), "someone@example.com");
    await user.click(screen.getByRole("button", { name: "Send the link" }));
    expect(await screen.findByTestId("reset-sent")).toHaveTextContent("If an account uses someone@example.com");
    expect(calls.at(-1)?.body).toEqual({ email: "someone@example.com" });
  });

  it("sets the new password from the link and sends the user to sign in", async () => {
    const user = userEvent.setup();
    const { calls } = mockApi({
      "GET /api/v1/t/acme/branding": { body: branding },
      "POST /api/v1/password-reset/confirm": { status: 204 },
      "GET /api/v1/session": signedOut,
    });
    renderPortal("/acme/reset-password#r-tok");
    await user.type(await screen.findByLabelText("New password"), "a brand new passphrase");
    await user.type(screen.getByLabelText("New password again"), "a brand new passphrase");
    await user.click(screen.getByRole("button", { name: "Save the new password" }));
    expect(await screen.findByText("Your password is changed. Sign in with the new one.")).toBeInTheDocument();
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ token: "r-tok", password: "a brand new passphrase" });
  });

  it("offers a new link when the old one expired", async () => {
    const user = userEvent.setup();
    mockApi({
      "GET /api/v1/t/acme/branding": { body: branding },
      "POST /api/v1/password-reset/confirm": { status: 410, body: { code: "expired", message: "This link has expired" } },
    });
    renderPortal("/acme/reset-password/r-old");
    await user.type(await screen.findByLabelText("New password"), "a brand new passphrase");
    await user.type(screen.getByLabelText("New password again"), "a brand new passphrase");
    await user.click(screen.getByRole("button", { name: "Save the new password" }));
    expect(await screen.findByTestId("reset-expired")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Send a new link" })).toHaveAttribute("href", "/acme/forgot-password");
  });
});

function signedInApi(role: "admin" | "member" | "billing", extra: Record<string, Handler> = {}) {
  return mockApi({
    "GET /api/v1/t/acme/branding": { body: branding },
    "GET /api/v1/session": { body: session({ role }) },
    "GET /api/v1/dashboard": {
      body: {
        servers: { total: 3, running: 2, stopped: 1, other: 0 },
        wallet: role === "member" ? undefined : wallet({ state: "low", balance: eur("850") }),
        recentDocuments: role === "member" ? [] : [doc()],
      },
    },
    ...extra,
  });
}

describe("signed in", () => {
  it("the dashboard of an admin: servers, wallet with its state in words, recent documents", async () => {
    signedInApi("admin");
    renderPortal("/acme/");
    expect(await screen.findByTestId("servers-total")).toHaveTextContent("3");
    expect(screen.getByTestId("wallet-balance")).toHaveTextContent("€8.50");
    expect(screen.getByTestId("wallet-notice")).toHaveTextContent("Your balance is low");
    expect(within(screen.getByTestId("dashboard-documents")).getByText("INV-2026-000042")).toBeInTheDocument();
    const nav = screen.getAllByRole("navigation", { name: "Main" })[0];
    expect(within(nav).getAllByRole("link").map((a) => a.textContent)).toEqual(["Dashboard", "Servers", "Documents", "Wallet"]);
  });

  it("a member sees servers, not money", async () => {
    signedInApi("member");
    renderPortal("/acme/");
    expect(await screen.findByTestId("dashboard-servers")).toBeInTheDocument();
    expect(screen.queryByTestId("dashboard-wallet")).toBeNull();
    expect(screen.queryByTestId("dashboard-documents")).toBeNull();
    const nav = screen.getAllByRole("navigation", { name: "Main" })[0];
    expect(within(nav).getAllByRole("link").map((a) => a.textContent)).toEqual(["Dashboard", "Servers"]);
  });

  it("a billing contact sees money, not servers", async () => {
    signedInApi("billing");
    renderPortal("/acme/");
    expect(await screen.findByTestId("dashboard-wallet")).toBeInTheDocument();
    expect(screen.queryByTestId("dashboard-servers")).toBeNull();
    const nav = screen.getAllByRole("navigation", { name: "Main" })[0];
    expect(within(nav).getAllByRole("link").map((a) => a.textContent)).toEqual(["Dashboard", "Documents", "Wallet"]);
  });

  it("a server's status changes when the event stream says servers changed", async () => {
    let status = "provisioning";
    signedInApi("admin", { "GET /api/v1/servers/srv_1": () => ({ body: serverDetail({ status: status as ServerStatus, ipv4: null }) }) });
    renderPortal("/acme/servers/srv_1");
    expect(await screen.findByTestId("server-status")).toHaveAttribute("data-status", "provisioning");
    expect(screen.getByText("Not assigned yet", { selector: "span" })).toBeInTheDocument();
    await waitFor(() => expect(FakeEventSource.instances.length).toBe(1));
    expect(FakeEventSource.instances[0].url).toBe("/api/v1/events");

    status = "running";
    FakeEventSource.instances[0].emit("change", { what: "server" });
    await waitFor(() => expect(screen.getByTestId("server-status")).toHaveAttribute("data-status", "running"));
  });

  it("a server of someone else (404) reads as one that does not exist", async () => {
    signedInApi("admin", { "GET /api/v1/servers/other": { status: 404, body: { code: "not_found", message: "No such server" } } });
    renderPortal("/acme/servers/other");
    expect(await screen.findByText("This server does not exist")).toBeInTheDocument();
  });

  it("documents load page by page, with PDF links", async () => {
    const user = userEvent.setup();
    const { calls } = signedInApi("admin", {
      "GET /api/v1/documents": { body: { items: [doc()], next: "cursor-1" } },
      "GET /api/v1/documents?before=cursor-1": { body: { items: [doc({ id: "doc_0", number: "RCT-2026-000007", kind: "receipt", status: "paid" })] } },
    });
    renderPortal("/acme/documents");
    expect(await screen.findByText("INV-2026-000042")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Download INV-2026-000042 as PDF" })).toHaveAttribute("href", "/api/v1/documents/doc_1/pdf");
    await user.click(screen.getByTestId("load-more"));
    expect(await screen.findByText("RCT-2026-000007")).toBeInTheDocument();
    expect(screen.queryByTestId("load-more")).toBeNull();
    expect(calls.some((c) => c.path === "/api/v1/documents?before=cursor-1")).toBe(true);
  });

  it("a wallet the desktop has not pushed yet is not an error", async () => {
    signedInApi("billing", {
      "GET /api/v1/wallet": { status: 404, body: { code: "not_found", message: "no wallet" } },
      "GET /api/v1/wallet/transactions": { body: { items: [] } },
    });
    renderPortal("/acme/wallet");
    expect(await screen.findByText("No wallet yet")).toBeInTheDocument();
    expect(await screen.findByText("No transactions yet")).toBeInTheDocument();
  });

  it("the wallet explains a suspension and lists transactions", async () => {
    signedInApi("admin", {
      "GET /api/v1/wallet": { body: wallet({ state: "suspended", balance: eur("-2500"), terminatesAt: "2026-04-01T00:00:00Z" }) },
      "GET /api/v1/wallet/transactions": {
        body: { items: [{ id: "t1", at: "2026-03-01T00:00:00Z", kind: "usage", memo: "Usage 1 March", amount: eur("-310"), document: null }] },
      },
    });
    renderPortal("/acme/wallet");
    expect(await screen.findByTestId("wallet-notice")).toHaveTextContent("Your servers are suspended");
    expect(screen.getByTestId("wallet-balance")).toHaveAttribute("data-negative", "true");
    expect(await screen.findByText("Usage 1 March")).toBeInTheDocument();
    expect(screen.getByText("-€3.10")).toBeInTheDocument();
  });

  it("signing out lands on sign-in, which says so", async () => {
    const user = userEvent.setup();
    let out = false;
    const { calls } = signedInApi("admin", {
      "GET /api/v1/session": () => (out ? signedOut : { body: session() }),
      "POST /api/v1/sign-out": () => {
        out = true;
        return { status: 204 };
      },
    });
    renderPortal("/acme/");
    await user.click(await screen.findByTestId("sign-out"));
    expect(await screen.findByText("You have signed out.")).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Sign in" })).toBeInTheDocument();
    expect(calls.find((c) => c.path === "/api/v1/sign-out")?.headers["X-CSRF-Token"]).toBe("csrf-session");
  });

  it("an expired session sends every page back to sign-in", async () => {
    let expired = false;
    signedInApi("admin", {
      "GET /api/v1/session": () => (expired ? signedOut : { body: session() }),
      "GET /api/v1/wallet": () => (expired ? signedOut : { body: wallet() }),
      "GET /api/v1/wallet/transactions": () => (expired ? signedOut : { body: { items: [] } }),
    });
    const { queryClient } = renderPortal("/acme/wallet");
    expect(await screen.findByTestId("wallet-balance")).toBeInTheDocument();
    expired = true;
    await queryClient.invalidateQueries({ queryKey: ["wallet"] });
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeInTheDocument();
  });
});

describe("a server's power actions", () => {
  const power = () => within(screen.getByTestId("power-card"));
  const button = (name: string) => power().getByRole("button", { name });

  it.each([
    ["running", { Boot: false, Reboot: true, "Shut down": true }],
    ["offline", { Boot: true, Reboot: false, "Shut down": false }],
    ["rebooting", { Boot: false, Reboot: false, "Shut down": false }],
  ] as const)("a %s server offers what its state allows", async (status, enabled) => {
    signedInApi("member", { "GET /api/v1/servers/srv_1": { body: serverDetail({ status }) } });
    renderPortal("/acme/servers/srv_1");
    await screen.findByTestId("power-card");
    for (const [name, on] of Object.entries(enabled)) {
      if (on) expect(button(name)).toBeEnabled();
      else expect(button(name)).toBeDisabled();
    }
    expect(screen.getByTestId("server-actions-empty")).toHaveTextContent("No actions yet.");
  });

  it.each(["provisioning", "deleting", "deleted", "suspended", "failed"] as const)("a %s server has no power buttons", async (status) => {
    signedInApi("admin", { "GET /api/v1/servers/srv_1": { body: serverDetail({ status }) } });
    renderPortal("/acme/servers/srv_1");
    await screen.findByTestId("power-card");
    expect(power().queryAllByRole("button")).toEqual([]);
    if (status === "deleting") expect(power().getByTestId("server-deleting")).toHaveTextContent("This server is being deleted");
    else expect(power().getByTestId("power-unavailable")).toBeInTheDocument();
    if (status === "suspended") {
      expect(power().getByTestId("power-unavailable")).toHaveTextContent("This server is suspended: top up your wallet or contact Acme Cloud");
    }
  });

  it("a reboot is asked for after a confirmation, then waits for the reseller's desktop, then the live status takes over", async () => {
    const user = userEvent.setup();
    let detail = serverDetail();
    const { calls } = signedInApi("member", {
      "GET /api/v1/servers/srv_1": () => ({ body: detail }),
      "POST /api/v1/servers/srv_1/actions": ({ body }) => {
        const act = serverAction({ id: "act_9", action: body.action, state: "requested", requestedBy: "Ada Lovelace" });
        detail = { ...detail, actions: [act] };
        return { status: 202, body: act };
      },
    });
    renderPortal("/acme/servers/srv_1");
    await screen.findByTestId("power-card");

    // "Cancel" sends nothing.
    await user.click(button("Reboot"));
    expect(screen.getByRole("alertdialog")).toHaveTextContent("Reboot web-01?");
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(calls.some((c) => c.method === "POST")).toBe(false);

    await user.click(button("Reboot"));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Reboot" }));
    const waiting = await screen.findByTestId("action-waiting");
    expect(waiting).toHaveTextContent("Reboot requested — waiting for Acme Cloud to carry it out");
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.path).toBe("/api/v1/servers/srv_1/actions");
    expect(post.body).toEqual({ action: "reboot" });
    expect(post.headers["X-CSRF-Token"]).toBe("csrf-session");
    for (const name of ["Boot", "Reboot", "Shut down"]) expect(button(name)).toBeDisabled();
    const row = within(screen.getByTestId("server-actions")).getByTestId("server-action");
    expect(row).toHaveAttribute("data-state", "requested");
    expect(row).toHaveTextContent("Reboot");
    expect(row).toHaveTextContent("Ada Lovelace");
    expect(within(row).getByTestId("action-state")).toHaveTextContent("Requested");
    // Nothing claims the server rebooted: its status is still the desktop's last word.
    expect(screen.getByTestId("server-status")).toHaveAttribute("data-status", "running");

    // The desktop carries it out; its push arrives through the event stream.
    await waitFor(() => expect(FakeEventSource.instances.length).toBe(1));
    detail = { ...detail, status: "rebooting", actions: [{ ...detail.actions[0], state: "applied", decidedAt: "2026-03-02T08:00:30Z" }] };
    FakeEventSource.instances[0].emit("change", { what: "server" });
    await waitFor(() => expect(screen.getByTestId("server-status")).toHaveAttribute("data-status", "rebooting"));
    expect(screen.queryByTestId("action-waiting")).toBeNull();
    expect(within(screen.getByTestId("server-action")).getByTestId("action-state")).toHaveTextContent("Carried out");
  });

  it("a shutdown asks first, naming the server", async () => {
    const user = userEvent.setup();
    const { calls } = signedInApi("admin", {
      "GET /api/v1/servers/srv_1": { body: serverDetail({ label: "web-1" }) },
      "POST /api/v1/servers/srv_1/actions": { status: 202, body: serverAction({ action: "shutdown" }) },
    });
    renderPortal("/acme/servers/srv_1");
    await user.click(await screen.findByRole("button", { name: "Shut down" }));
    expect(screen.getByRole("heading", { name: "Shut down web-1?" })).toBeInTheDocument();
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Shut down" }));
    await waitFor(() => expect(calls.find((c) => c.method === "POST")?.body).toEqual({ action: "shutdown" }));
  });

  it("a boot needs no confirmation", async () => {
    const user = userEvent.setup();
    let detail = serverDetail({ status: "offline" });
    const { calls } = signedInApi("admin", {
      "GET /api/v1/servers/srv_1": () => ({ body: detail }),
      "POST /api/v1/servers/srv_1/actions": () => {
        detail = { ...detail, actions: [serverAction({ action: "boot" })] };
        return { status: 202, body: detail.actions[0] };
      },
    });
    renderPortal("/acme/servers/srv_1");
    await user.click(await screen.findByRole("button", { name: "Boot" }));
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(await screen.findByTestId("action-waiting")).toHaveTextContent("Boot requested — waiting for Acme Cloud to carry it out");
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ action: "boot" });
  });

  it("a refusal's reason shows as text, never as HTML", async () => {
    const reason = "Not now <script>alert(1)</script> <b>maintenance</b>";
    signedInApi("admin", {
      "GET /api/v1/servers/srv_1": {
        body: serverDetail({
          actions: [
            serverAction({ id: "a3", action: "shutdown", state: "refused", reason, decidedAt: "2026-03-02T09:00:00Z" }),
            serverAction({ id: "a2", action: "boot", state: "expired", requestedBy: "Charles Babbage" }),
            serverAction({ id: "a1", action: "reboot", state: "applied" }),
          ],
        }),
      },
    });
    renderPortal("/acme/servers/srv_1");
    const rows = await screen.findAllByTestId("server-action");
    expect(rows.map((r) => r.getAttribute("data-state"))).toEqual(["refused", "expired", "applied"]);
    expect(within(rows[0]).getByTestId("action-reason").textContent).toBe(reason);
    expect(within(rows[0]).getByTestId("action-state")).toHaveTextContent("Refused");
    expect(within(rows[1]).getByTestId("action-state")).toHaveTextContent("Expired");
    expect(rows[1]).toHaveTextContent("Not carried out: the system was offline.");
    expect(rows[1]).toHaveTextContent("Charles Babbage");
    // The newest action was refused: the card says so above its buttons too, with the reason as text.
    expect(screen.getByTestId("action-refused")).toHaveTextContent("Acme Cloud refused the shutdown");
    expect(screen.getByTestId("action-refused")).toHaveTextContent(reason);
    expect(document.querySelector("script")).toBeNull();
    expect(document.querySelector("[data-testid='power-card'] b")).toBeNull();
    // A refusal does not block the next request.
    expect(button("Reboot")).toBeEnabled();
  });

  it("with the reseller's desktop offline and requests held, says a request waits", async () => {
    signedInApi("admin", { "GET /api/v1/servers/srv_1": { body: serverDetail({ desktop: { online: false, holdMinutes: 45, lastSeenAt: "2026-03-02T07:00:00Z" } }) } });
    renderPortal("/acme/servers/srv_1");
    expect(await screen.findByTestId("desktop-offline")).toHaveTextContent(
      "Acme Cloud's system is offline right now. A request waits up to 45 minutes for it and runs when it is back — nothing runs before that.",
    );
    expect(button("Reboot")).toBeEnabled();
    expect(button("Shut down")).toBeEnabled();
  });

  it("with the reseller's desktop offline and no requests held, the buttons are off", async () => {
    signedInApi("admin", { "GET /api/v1/servers/srv_1": { body: serverDetail({ status: "offline", desktop: { online: false, holdMinutes: 0 } }) } });
    renderPortal("/acme/servers/srv_1");
    expect(await screen.findByTestId("desktop-offline")).toHaveTextContent(
      "Acme Cloud's system is offline right now, so actions are not accepted. Try again later.",
    );
    for (const name of ["Boot", "Reboot", "Shut down"]) expect(button(name)).toBeDisabled();
  });

  it.each([
    [{ status: 409, body: { code: "conflict", message: "Another action of this server still waits" } }, "Another action of this server still waits"],
    [{ status: 409, body: { code: "desktop_offline", message: "Acme Cloud's system is offline: try again later" } }, "Acme Cloud's system is offline: try again later"],
    [{ status: 429, body: { code: "rate_limited", message: "Too many requests" }, headers: { "Retry-After": "600" } }, "Too many requests (try again in 10 minutes)"],
  ])("a refused request (%#) shows its message in the card", async (answer, message) => {
    const user = userEvent.setup();
    signedInApi("admin", {
      "GET /api/v1/servers/srv_1": { body: serverDetail({ status: "offline" }) },
      "POST /api/v1/servers/srv_1/actions": answer,
    });
    renderPortal("/acme/servers/srv_1");
    await user.click(await screen.findByRole("button", { name: "Boot" }));
    expect(await power().findByTestId("power-error")).toHaveTextContent(message);
    expect(screen.queryByTestId("action-waiting")).toBeNull();
    expect(screen.getByTestId("server-actions-empty")).toBeInTheDocument();
  });
});

describe("deleting a server", () => {
  const card = () => within(screen.getByTestId("delete-card"));
  const dialog = () => within(screen.getByRole("alertdialog"));
  const open = async (user: ReturnType<typeof userEvent.setup>) => {
    await user.click(await screen.findByRole("button", { name: "Delete server…" }));
    expect(screen.getByRole("heading", { name: "Delete web-1?" })).toBeInTheDocument();
  };

  it("asks for the server's name typed exactly, sends it, and the request then waits for the reseller's desktop", async () => {
    const user = userEvent.setup();
    let detail = serverDetail({ label: "web-1" });
    const { calls } = signedInApi("member", {
      "GET /api/v1/servers/srv_1": () => ({ body: detail }),
      "POST /api/v1/servers/srv_1/delete": ({ body }) => {
        const act = serverAction({ id: "act_del", action: "delete", state: "requested", requestedBy: "Ada Lovelace" });
        if (body.label === "web-1") detail = { ...detail, actions: [act] };
        return { status: 202, body: act };
      },
    });
    renderPortal("/acme/servers/srv_1");
    expect(await screen.findByTestId("delete-card")).toHaveTextContent(
      "The server and all its data are deleted for good, and billing for it stops once it is gone.",
    );
    await open(user);
    const input = dialog().getByLabelText("Type web-1 to confirm");
    const del = dialog().getByRole("button", { name: "Delete" });
    expect(del).toBeDisabled();
    for (const wrong of ["web-", "Web-1", "web-1 ", " web-1", "web-12"]) {
      await user.clear(input);
      await user.type(input, wrong);
      expect(del).toBeDisabled();
    }
    // Enter with a wrong name sends nothing either.
    await user.type(input, "{Enter}");
    expect(calls.some((c) => c.method === "POST")).toBe(false);

    await user.clear(input);
    await user.type(input, "web-1");
    expect(del).toBeEnabled();
    await user.click(del);

    await waitFor(() => expect(screen.queryByRole("alertdialog")).toBeNull());
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.path).toBe("/api/v1/servers/srv_1/delete");
    expect(post.body).toEqual({ label: "web-1" });
    expect(post.headers["X-CSRF-Token"]).toBe("csrf-session");
    expect(post.headers["Content-Type"]).toBe("application/json");

    const waiting = await screen.findByTestId("action-waiting");
    expect(waiting).toHaveTextContent("Delete requested — waiting for Acme Cloud to carry it out");
    expect(waiting).toHaveAttribute("data-action", "delete");
    const row = within(screen.getByTestId("server-actions")).getByTestId("server-action");
    expect(row).toHaveTextContent("Delete");
    expect(within(row).getByTestId("action-state")).toHaveTextContent("Requested");
    // Nothing claims the server is gone; while the request waits, nothing else can be asked for.
    expect(screen.getByTestId("server-status")).toHaveAttribute("data-status", "running");
    expect(card().getByRole("button", { name: "Delete server…" })).toBeDisabled();
    expect(card().getByTestId("delete-blocked")).toHaveTextContent("The deletion you asked for is waiting for Acme Cloud to carry it out.");
    expect(within(screen.getByTestId("power-card")).getByRole("button", { name: "Reboot" })).toBeDisabled();
  });

  it("shows the portal's refusal of the name under the input", async () => {
    const user = userEvent.setup();
    signedInApi("admin", {
      "GET /api/v1/servers/srv_1": { body: serverDetail({ label: "web-1" }) },
      "POST /api/v1/servers/srv_1/delete": {
        status: 400,
        body: { code: "invalid", message: "check the fields", fields: { label: "type the server's name, web-1, to confirm" } },
      },
    });
    renderPortal("/acme/servers/srv_1");
    await open(user);
    const input = dialog().getByLabelText("Type web-1 to confirm");
    await user.type(input, "web-1");
    await user.click(dialog().getByRole("button", { name: "Delete" }));
    const error = await dialog().findByText("Type the server's name, web-1, to confirm");
    expect(error).toHaveAttribute("data-field-error", "label");
    expect(input).toHaveAttribute("aria-invalid", "true");
    expect(input.getAttribute("aria-describedby")).toContain(error.id);
    expect(dialog().queryByTestId("delete-error")).toBeNull();
    expect(screen.getByRole("alertdialog")).toBeInTheDocument();
  });

  it.each([
    [{ status: 409, body: { code: "conflict", message: "Another action of this server still waits" } }, "Another action of this server still waits"],
    [{ status: 409, body: { code: "desktop_offline", message: "Acme Cloud's system is offline: try again later" } }, "Acme Cloud's system is offline: try again later"],
    [{ status: 429, body: { code: "rate_limited", message: "Too many requests" }, headers: { "Retry-After": "600" } }, "Too many requests (try again in 10 minutes)"],
  ])("a refused request (%#) shows its message in the dialog", async (answer, message) => {
    const user = userEvent.setup();
    signedInApi("admin", {
      "GET /api/v1/servers/srv_1": { body: serverDetail({ label: "web-1" }) },
      "POST /api/v1/servers/srv_1/delete": answer,
    });
    renderPortal("/acme/servers/srv_1");
    await open(user);
    await user.type(dialog().getByLabelText("Type web-1 to confirm"), "web-1");
    await user.click(dialog().getByRole("button", { name: "Delete" }));
    expect(await dialog().findByTestId("delete-error")).toHaveTextContent(message);
    expect(screen.queryByTestId("action-waiting")).toBeNull();
  });

  it("with the desktop offline and requests held, the dialog says the request waits", async () => {
    const user = userEvent.setup();
    signedInApi("admin", { "GET /api/v1/servers/srv_1": { body: serverDetail({ label: "web-1", desktop: { online: false, holdMinutes: 45 } }) } });
    renderPortal("/acme/servers/srv_1");
    await open(user);
    expect(screen.getByRole("alertdialog")).toHaveTextContent("Acme Cloud's system is offline right now: the request waits up to 45 minutes for it");
  });

  it.each([
    ["another request waits", serverDetail({ actions: [serverAction({ action: "reboot", state: "requested" })] }), "Another request of this server is waiting"],
    ["the desktop is offline and holds no requests", serverDetail({ desktop: { online: false, holdMinutes: 0 } }), "Acme Cloud's system is offline right now"],
  ])("is disabled while %s", async (_, detail, why) => {
    signedInApi("admin", { "GET /api/v1/servers/srv_1": { body: detail } });
    renderPortal("/acme/servers/srv_1");
    expect(await screen.findByRole("button", { name: "Delete server…" })).toBeDisabled();
    expect(card().getByTestId("delete-blocked")).toHaveTextContent(why);
  });

  it.each([
    ["a deleting server", serverDetail({ status: "deleting" })],
    ["a server whose delete was carried out", serverDetail({ status: "running", actions: [serverAction({ action: "delete", state: "applied" })] })],
  ])("is not offered for %s, and the page says it is being deleted", async (_, detail) => {
    signedInApi("admin", { "GET /api/v1/servers/srv_1": { body: detail } });
    renderPortal("/acme/servers/srv_1");
    expect(await screen.findByTestId("server-deleting")).toHaveTextContent("This server is being deleted");
    expect(screen.getByTestId("server-deleting")).toHaveTextContent("Billing for it stops once it is gone");
    expect(screen.queryByTestId("delete-card")).toBeNull();
    expect(screen.queryByRole("button", { name: "Delete server…" })).toBeNull();
    expect(within(screen.getByTestId("power-card")).queryAllByRole("button")).toEqual([]);
  });

  it("is not offered for a deleted server", async () => {
    signedInApi("admin", { "GET /api/v1/servers/srv_1": { body: serverDetail({ status: "deleted" }) } });
    renderPortal("/acme/servers/srv_1");
    expect(await screen.findByTestId("power-unavailable")).toHaveTextContent("This server was deleted.");
    expect(screen.queryByTestId("delete-card")).toBeNull();
  });

  it("a refused or expired delete reads as a deletion", async () => {
    let newest = serverAction({ id: "d2", action: "delete", state: "refused", reason: "Ask us first" });
    signedInApi("admin", {
      "GET /api/v1/servers/srv_1": () => ({ body: serverDetail({ actions: [newest, serverAction({ id: "d1", action: "delete", state: "expired" })] }) }),
    });
    const { queryClient } = renderPortal("/acme/servers/srv_1");
    expect(await screen.findByTestId("action-refused")).toHaveTextContent("Acme Cloud refused the deletion");
    expect(screen.getByTestId("action-refused")).toHaveTextContent("Ask us first");
    const rows = screen.getAllByTestId("server-action");
    expect(rows.map((r) => r.querySelector(".font-medium")?.textContent)).toEqual(["Delete", "Delete"]);
    // A refused delete leaves the server as it was: it can be asked for again.
    expect(screen.getByRole("button", { name: "Delete server…" })).toBeEnabled();

    newest = serverAction({ id: "d3", action: "delete", state: "expired" });
    await queryClient.invalidateQueries({ queryKey: ["servers"] });
    expect(await screen.findByTestId("action-expired")).toHaveTextContent(
      "The last deletion request was not carried out: Acme Cloud's system stayed offline, so nothing was done.",
    );
  });
});

describe("the account", () => {
  it("sets up two-factor: QR from the server, the key, a code, then recovery codes once", async () => {
    const user = userEvent.setup();
    let on = false;
    const { calls } = signedInApi("admin", {
      "GET /api/v1/session": () => ({ body: session({ twoFactor: on }) }),
      "POST /api/v1/account/two-factor/setup": { body: { secret: "JBSWY3DPEHPK3PXPJBSWY3DP", otpauthUri: "otpauth://totp/x" } },
      "POST /api/v1/account/two-factor/enable": ({ body }) => {
        if (body.code !== "123456") return { status: 401, body: { code: "invalid_code", message: "This code is wrong" } };
        on = true;
        return { body: { recoveryCodes: Array.from({ length: 10 }, (_, i) => `code-${i}`) } };
      },
    });
    renderPortal("/acme/account/security");
    expect(await screen.findByTestId("two-factor-state")).toHaveTextContent("off");
    await user.click(screen.getByTestId("two-factor-start"));
    expect(await screen.findByTestId("two-factor-qr")).toHaveAttribute("src", expect.stringMatching(/^\/api\/v1\/account\/two-factor\/qr\.svg\?v=/));
    expect(screen.getByTestId("two-factor-secret")).toHaveTextContent("JBSW Y3DP EHPK 3PXP JBSW Y3DP");

    await user.type(screen.getByLabelText("Code"), "000000");
    await user.click(screen.getByRole("button", { name: "Turn on" }));
    expect(await screen.findByText("This code is wrong")).toHaveAttribute("data-field-error", "code");

    await user.type(screen.getByLabelText("Code"), "123456");
    await user.click(screen.getByRole("button", { name: "Turn on" }));
    expect(await screen.findAllByTestId("recovery-code")).toHaveLength(10);
    await user.click(screen.getByTestId("recovery-codes-done"));
    expect(await screen.findByTestId("two-factor-state")).toHaveTextContent("on");
    expect(screen.queryByTestId("recovery-code")).toBeNull();
    expect(calls.filter((c) => c.method === "POST").every((c) => c.headers["X-CSRF-Token"] === "csrf-session")).toBe(true);
  });

  it("new recovery codes need the password, and are shown once", async () => {
    const user = userEvent.setup();
    const { calls } = signedInApi("admin", {
      "POST /api/v1/account/recovery-codes": ({ body }) =>
        body.password === "the right password"
          ? { body: { recoveryCodes: Array.from({ length: 10 }, (_, i) => `NEW${i}-AAAA-BBBB-CCCC`) } }
          : { status: 400, body: { code: "invalid", message: "the password is wrong", fields: { password: "the password is wrong" } } },
    });
    renderPortal("/acme/account/security");
    const card = await screen.findByTestId("recovery-codes-card");
    await user.click(within(card).getByRole("button", { name: "New recovery codes" }));
    expect(card.querySelector('[data-field-error="password"]')).toHaveTextContent("Enter your password");
    await user.type(within(card).getByLabelText("Your password"), "wrong one");
    await user.click(within(card).getByRole("button", { name: "New recovery codes" }));
    expect(await within(card).findByText("The password is wrong")).toHaveAttribute("data-field-error", "password");
    await user.clear(within(card).getByLabelText("Your password"));
    await user.type(within(card).getByLabelText("Your password"), "the right password");
    await user.click(within(card).getByRole("button", { name: "New recovery codes" }));
    expect(await screen.findAllByTestId("recovery-code")).toHaveLength(10);
    expect(screen.getByText("NEW0-AAAA-BBBB-CCCC")).toBeInTheDocument();
    expect(calls.filter((c) => c.path === "/api/v1/account/recovery-codes")).toHaveLength(2);
  });

  it("turning two-factor off asks for the password and a current code", async () => {
    const user = userEvent.setup();
    let on = true;
    const { calls } = signedInApi("admin", {
      "GET /api/v1/session": () => ({ body: session({ twoFactor: on }) }),
      "POST /api/v1/account/two-factor/disable": ({ body }) => {
        if (body.code !== "654321") return { status: 401, body: { code: "invalid_code", message: "the code is wrong or was used" } };
        on = false;
        return { status: 204 };
      },
    });
    renderPortal("/acme/account/security");
    await user.click(await screen.findByTestId("two-factor-disable-open"));
    await user.type(screen.getByLabelText("Password"), "my password is long");
    await user.type(screen.getByLabelText("Code from your app"), "123456");
    await user.click(screen.getByRole("button", { name: "Turn off two-factor" }));
    expect(await screen.findByText("The code is wrong or was used")).toHaveAttribute("data-field-error", "code");
    await user.type(screen.getByLabelText("Code from your app"), "654321");
    await user.click(screen.getByRole("button", { name: "Turn off two-factor" }));
    expect(await screen.findByTestId("two-factor-state")).toHaveTextContent("off");
    expect(calls.filter((c) => c.path === "/api/v1/account/two-factor/disable").at(-1)?.body).toEqual({ password: "my password is long", code: "654321" });
  });

  it("lists sessions and signs another one out", async () => {
    const user = userEvent.setup();
    let list = [
      { id: "s1", createdAt: "2026-03-01T08:00:00Z", lastSeenAt: "2026-03-01T10:00:00Z", ip: "192.0.2.1", userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", current: true },
      { id: "s2", createdAt: "2026-02-20T08:00:00Z", lastSeenAt: "2026-02-21T10:00:00Z", ip: "198.51.100.7", userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1", current: false },
    ];
    const { calls } = signedInApi("admin", {
      "GET /api/v1/sessions": () => ({ body: list }),
      "DELETE /api/v1/sessions/s2": () => {
        list = list.filter((s) => s.id !== "s2");
        return { status: 204 };
      },
    });
    renderPortal("/acme/account/sessions");
    const other = await screen.findByText("Safari on iOS");
    expect(screen.getByText("This device")).toBeInTheDocument();
    await user.click(within(other.closest("li")!).getByRole("button", { name: "Sign out" }));
    await waitFor(() => expect(screen.queryByText("Safari on iOS")).toBeNull());
    expect(calls.find((c) => c.method === "DELETE")?.headers["X-CSRF-Token"]).toBe("csrf-session");
  });

  it("a wrong current password shows beside that field", async () => {
    const user = userEvent.setup();
    signedInApi("admin", {
      "POST /api/v1/account/password": { status: 401, body: { code: "invalid_credentials", message: "The current password is wrong" } },
    });
    renderPortal("/acme/account");
    await user.type(await screen.findByLabelText("Current password"), "nope nope nope");
    await user.type(screen.getByLabelText("New password"), "a brand new passphrase");
    await user.type(screen.getByLabelText("New password again"), "a brand new passphrase");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText("The current password is wrong")).toHaveAttribute("data-field-error", "currentPassword");
  });
});
