import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import type { LinodeAccountDto } from "@/bindings";
import { apiRootAllowed, checkLinodeForm, expiryText, ProvidersCard } from "./ProvidersCard";

const catalogue = { provider: "linode", refreshedAt: "2026-01-31T10:00:00.000Z", attemptedAt: "2026-01-31T10:00:00.000Z", lastError: null, regions: 6, types: 5, images: 4, stackscripts: 2 };
const eu: LinodeAccountDto = {
  id: "acc-1", label: "EU resale", connected: true, username: "northwind", email: "ops@northwind.example", restricted: false, scopes: ["linodes:read_write", "events:read_only"],
  baseUrl: "http://127.0.0.1:4010/v4", connectedAt: "2026-01-31T10:00:00.000Z",
  tokenExpiry: null, tokenExpiryKnown: true, tokenExpiryNote: null, tokenCheckedAt: "2026-01-31T10:00:00.000Z", tokenExpired: false, tokenWarning: null, servers: 2, catalogue,
  apiRootWarning: "Custom API root: this account talks to http://127.0.0.1:4010/v4, not to Linode (https://api.linode.com/v4), and its token is sent there.",
};
const us: LinodeAccountDto = {
  ...eu, id: "acc-2", label: "US resale", username: "northwind-us", servers: 0, baseUrl: null, apiRootWarning: null,
  tokenExpiry: "2026-02-05T10:00:00.000Z", tokenWarning: "The token of “US resale” expires in 5 days (2026-02-05): create a new token in Linode Cloud Manager (My Profile → API Tokens) and paste it with Replace token before then.",
};

describe("checkLinodeForm", () => {
  it("needs a token without spaces, an https (or local http) base URL and a short label", () => {
    expect(checkLinodeForm("", "")).toEqual({ token: expect.stringContaining("personal access token") });
    expect(checkLinodeForm("abc def", "")).toEqual({ token: expect.stringContaining("no spaces") });
    expect(checkLinodeForm("abc", "http://api.example.com")).toEqual({ baseUrl: expect.stringContaining("https://") });
    expect(checkLinodeForm("abc", "http://127.0.0.1:4010/v4")).toEqual({});
    expect(checkLinodeForm(" abc ", "https://api.linode.com/v4")).toEqual({});
    expect(checkLinodeForm("abc", "", "x".repeat(65))).toEqual({ label: expect.stringContaining("64") });
  });
});

describe("apiRootAllowed", () => {
  it("parses the URL: plain http only to this computer, never a look-alike host", () => {
    for (const ok of ["https://api.linode.com/v4", "http://localhost:8080/v4", "http://127.0.0.1:4010/v4", "http://[::1]:9000/v4"]) expect(apiRootAllowed(ok)).toBe(true);
    for (const bad of ["http://localhost@evil.example/v4", "http://localhost.evil.example/v4", "http://127.0.0.1.evil.example/v4", "http://evil.example/v4", "https://u:p@api.example/v4", "ftp://localhost/v4", "localhost:8080"]) expect(apiRootAllowed(bad)).toBe(false);
  });
});

describe("expiryText", () => {
  it("says never, the date, expired, or why it is unknown", () => {
    expect(expiryText(eu)).toBe("Never expires");
    expect(expiryText(us)).toBe("Expires on 2026-02-05");
    expect(expiryText({ ...us, tokenExpired: true })).toBe("Expired on 2026-02-05");
    expect(expiryText({ ...eu, tokenExpiryKnown: false, tokenExpiryNote: "add account:read_only" })).toBe("add account:read_only");
  });
});

describe("ProvidersCard", () => {
  it("with no account: checks the form before calling the backend, then shows the scope to add next to the token", async () => {
    const sent: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "linode_accounts") return [];
      if (cmd === "add_linode_account") {
        sent.push((args as { input: unknown }).input);
        throw { code: "validation", message: "missing scope", fields: [{ field: "token", message: "This token cannot do everything ContainerStacks needs: add the scope firewall:read_write" }] };
      }
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(<ProvidersCard />);
    expect(await screen.findByText(/No Linode account yet/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Connect Linode" }));
    expect(container.querySelector('[data-field-error="token"]')).toHaveTextContent("personal access token");
    expect(sent).toEqual([]);

    await user.click(screen.getByTestId("linode-advanced"));
    await user.type(container.querySelector('input[name="baseUrl"]')!, "ftp://nowhere");
    await user.type(container.querySelector('input[name="token"]')!, "tok-123");
    await user.click(screen.getByRole("button", { name: "Connect Linode" }));
    expect(container.querySelector('[data-field-error="baseUrl"]')).toHaveTextContent("https://");
    expect(sent).toEqual([]);

    await user.clear(container.querySelector('input[name="baseUrl"]')!);
    await user.type(container.querySelector('input[name="baseUrl"]')!, "http://127.0.0.1:4010/v4");
    await user.type(container.querySelector('input[name="label"]')!, "EU resale");
    await user.click(screen.getByRole("button", { name: "Connect Linode" }));
    await waitFor(() => expect(container.querySelector('[data-field-error="token"]')).toHaveTextContent("firewall:read_write"));
    expect(sent).toEqual([{ token: "tok-123", label: "EU resale", baseUrl: "http://127.0.0.1:4010/v4" }]);
  });

  it("lists two accounts with their expiry, warns about the one running out, tests, refreshes and adds another", async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === "linode_accounts") return [eu, us];
      if (cmd === "refresh_account_catalogue") return catalogue;
      if (cmd === "test_linode_account") return eu;
    });
    const user = userEvent.setup();
    renderWithProviders(<ProvidersCard />);
    const cards = await screen.findAllByTestId("linode-account");
    expect(cards.map((c) => c.getAttribute("data-account-label"))).toEqual(["EU resale", "US resale"]);
    expect(screen.getByTestId("linode-connected")).toHaveTextContent("2 accounts");
    expect(within(cards[0]).getByTestId("token-expiry")).toHaveTextContent("Never expires");
    expect(within(cards[1]).getByTestId("token-expiry")).toHaveTextContent("Expires on 2026-02-05");
    expect(within(cards[0]).getByTestId("linode-scopes")).toHaveTextContent("linodes:read_write");
    expect(within(cards[0]).getByTestId("linode-account-servers")).toHaveTextContent("2 servers");
    const warnings = screen.getAllByTestId("token-warning");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toHaveTextContent("US resale");
    expect(warnings[0]).toHaveTextContent("Replace token");
    // The account on another API root says so, for as long as it exists.
    const roots = screen.getAllByTestId("api-root-warning");
    expect(roots).toHaveLength(1);
    expect(roots[0]).toHaveTextContent("EU resale");
    expect(roots[0]).toHaveTextContent("Custom API root");
    expect(within(cards[0]).getByText("Custom API root")).toBeInTheDocument();

    await user.click(within(cards[1]).getByTestId("refresh-catalogue"));
    await waitFor(() => expect(calls).toContainEqual(["refresh_account_catalogue", { accountId: "acc-2" }]));
    await user.click(within(cards[0]).getByTestId("test-linode-account"));
    await waitFor(() => expect(calls).toContainEqual(["test_linode_account", { id: "acc-1" }]));

    expect(screen.queryByRole("form", { name: "Connect Linode" })).not.toBeInTheDocument();
    await user.click(screen.getByTestId("add-linode-account"));
    expect(screen.getByRole("form", { name: "Connect Linode" })).toBeInTheDocument();
  });

  it("replaces a token, with the backend's refusal shown next to the field", async () => {
    const sent: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "linode_accounts") return [us];
      if (cmd === "replace_linode_token") {
        sent.push(args);
        if ((args as { token: string }).token === "tok-other") throw { code: "validation", message: "other user", fields: [{ field: "token", message: "This token belongs to Linode user mallory" }] };
        return { ...us, tokenExpiry: null, tokenWarning: null };
      }
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(<ProvidersCard />);
    await user.click(await screen.findByTestId("replace-token"));
    await user.click(screen.getByRole("button", { name: "Save new token" }));
    expect(container.querySelector('[data-field-error="newToken"]')).toHaveTextContent("Paste the new token");
    expect(sent).toEqual([]);
    await user.type(container.querySelector('input[name="newToken"]')!, "tok-other");
    await user.click(screen.getByRole("button", { name: "Save new token" }));
    await waitFor(() => expect(container.querySelector('[data-field-error="newToken"]')).toHaveTextContent("mallory"));
    await user.clear(container.querySelector('input[name="newToken"]')!);
    await user.type(container.querySelector('input[name="newToken"]')!, "tok-bob");
    await user.click(screen.getByRole("button", { name: "Save new token" }));
    await waitFor(() => expect(sent).toContainEqual({ id: "acc-2", token: "tok-bob" }));
    await waitFor(() => expect(screen.queryByRole("button", { name: "Save new token" })).not.toBeInTheDocument());
  });

  it("removes an account after a confirmation; a refusal (servers left) is shown", async () => {
    const calls: string[] = [];
    let list = [eu, { ...us, servers: 0 }];
    mockIPC((cmd, args) => {
      calls.push(cmd);
      if (cmd === "linode_accounts") return list;
      if (cmd === "remove_linode_account") {
        if ((args as { id: string }).id === "acc-1") throw { code: "conflict", message: "Account “EU resale” still has 2 servers on it: delete them first", fields: [] };
        list = [eu];
        return list;
      }
    });
    const user = userEvent.setup();
    renderWithProviders(<ProvidersCard />);
    const cards = await screen.findAllByTestId("linode-account");
    await user.click(within(cards[0]).getByTestId("remove-linode-account"));
    expect(screen.getByRole("alertdialog")).toHaveTextContent("2 servers live on this account");
    await user.click(screen.getByRole("button", { name: "Remove account" }));
    expect(await screen.findByText(/still has 2 servers/)).toBeInTheDocument();

    await user.click(within(cards[1]).getByTestId("remove-linode-account"));
    expect(calls.filter((c) => c === "remove_linode_account")).toHaveLength(1);
    await user.click(screen.getByRole("button", { name: "Remove account" }));
    await waitFor(() => expect(screen.getAllByTestId("linode-account")).toHaveLength(1));
  });
});
