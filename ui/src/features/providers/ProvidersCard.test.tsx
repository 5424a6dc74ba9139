import { describe, expect, it } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import type { LinodeAccountDto } from "@/bindings";
import { checkLinodeForm, ProvidersCard } from "./ProvidersCard";

const catalogue = { provider: "linode", refreshedAt: null, attemptedAt: null, lastError: null, regions: 0, types: 0, images: 0, stackscripts: 0 };
const disconnected: LinodeAccountDto = { connected: false, username: null, email: null, restricted: false, scopes: [], baseUrl: null, connectedAt: null, catalogue };
const connected: LinodeAccountDto = {
  connected: true, username: "northwind", email: "ops@northwind.example", restricted: false, scopes: ["linodes:read_write", "events:read_only"], baseUrl: "http://127.0.0.1:4010/v4",
  connectedAt: "2026-01-31T10:00:00.000Z", catalogue: { ...catalogue, refreshedAt: "2026-01-31T10:00:00.000Z", attemptedAt: "2026-01-31T10:00:00.000Z", regions: 6, types: 5, images: 4, stackscripts: 2 },
};

describe("checkLinodeForm", () => {
  it("needs a token without spaces and an https (or local http) base URL", () => {
    expect(checkLinodeForm("", "")).toEqual({ token: expect.stringContaining("personal access token") });
    expect(checkLinodeForm("abc def", "")).toEqual({ token: expect.stringContaining("no spaces") });
    expect(checkLinodeForm("abc", "http://api.example.com")).toEqual({ baseUrl: expect.stringContaining("https://") });
    expect(checkLinodeForm("abc", "http://127.0.0.1:4010/v4")).toEqual({});
    expect(checkLinodeForm(" abc ", "https://api.linode.com/v4")).toEqual({});
  });
});

describe("ProvidersCard", () => {
  it("checks the form before calling the backend, then shows the scope to add", async () => {
    const sent: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "linode_account") return disconnected;
      if (cmd === "connect_linode") {
        sent.push(args);
        throw { code: "validation", message: "missing scope", fields: [{ field: "token", message: "This token cannot do everything ContainerStacks needs: add the scope firewall:read_write" }] };
      }
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(<ProvidersCard />);
    await user.click(await screen.findByRole("button", { name: "Connect Linode" }));
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
    await user.click(screen.getByRole("button", { name: "Connect Linode" }));
    await waitFor(() => expect(container.querySelector('[data-field-error="token"]')).toHaveTextContent("firewall:read_write"));
    expect(sent).toEqual([{ token: "tok-123", baseUrl: "http://127.0.0.1:4010/v4" }]);
  });

  it("shows the account, its scopes and the catalogue, refreshes it and disconnects after a confirmation", async () => {
    const calls: string[] = [];
    let account = connected;
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === "linode_account") return account;
      if (cmd === "refresh_catalogue") return connected.catalogue;
      if (cmd === "disconnect_linode") {
        account = disconnected;
        return { kind: "linode", name: "Linode", connected: false, detail: "Not connected" };
      }
    });
    const user = userEvent.setup();
    renderWithProviders(<ProvidersCard />);
    expect(await screen.findByTestId("linode-username")).toHaveTextContent("northwind");
    expect(screen.getByTestId("linode-scopes")).toHaveTextContent("linodes:read_write");
    expect(screen.getByTestId("linode-base-url")).toHaveTextContent("127.0.0.1:4010");
    expect(screen.getByTestId("catalogue-refreshed")).toHaveTextContent("6 regions, 5 types, 4 images, 2 StackScripts");
    await user.click(screen.getByTestId("refresh-catalogue"));
    await waitFor(() => expect(calls).toContain("refresh_catalogue"));

    await user.click(screen.getByTestId("disconnect-linode"));
    expect(calls).not.toContain("disconnect_linode");
    await user.click(screen.getByRole("button", { name: "Disconnect Linode" }));
    await waitFor(() => expect(calls).toContain("disconnect_linode"));
    expect(await screen.findByRole("button", { name: "Connect Linode" })).toBeInTheDocument();
  });
});
