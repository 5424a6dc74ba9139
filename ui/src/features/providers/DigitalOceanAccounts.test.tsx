import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import type { DigitalOceanAccountDto } from "@/bindings";
import { checkDigitalOceanForm, DigitalOceanProvider, statusText } from "./DigitalOceanAccounts";

const catalogue = { provider: "digitalocean", refreshedAt: "2026-01-31T10:00:00.000Z", attemptedAt: "2026-01-31T10:00:00.000Z", lastError: null, regions: 8, types: 8, images: 7, stackscripts: 0 };
const team: DigitalOceanAccountDto = {
  id: "acc-do1", label: "Reseller team", connected: true, email: "ops@northwind.example", team: "Reseller team", status: "active", statusNote: null, dropletLimit: 25,
  baseUrl: "http://127.0.0.1:4020/v2", apiRootWarning: "Custom API root: this account talks to http://127.0.0.1:4020/v2, not to DigitalOcean (https://api.digitalocean.com/v2), and its token is sent there.",
  connectedAt: "2026-01-31T10:00:00.000Z", tokenCheckedAt: "2026-01-31T10:00:00.000Z", servers: 1, catalogue,
  notes: ["DigitalOcean has no StackScripts: configure servers with cloud-init user data"],
};

/** The row renders as an <li> of the Providers list. */
const list = () => <ul><DigitalOceanProvider /></ul>;

describe("checkDigitalOceanForm", () => {
  it("needs a token without spaces, an https (or local http) base URL and a short label", () => {
    expect(checkDigitalOceanForm("", "")).toEqual({ token: expect.stringContaining("personal access token") });
    expect(checkDigitalOceanForm("dop_v1 abc", "")).toEqual({ token: expect.stringContaining("no spaces") });
    expect(checkDigitalOceanForm("dop_v1_abc", "http://api.example.com/v2")).toEqual({ baseUrl: expect.stringContaining("fake DigitalOcean") });
    expect(checkDigitalOceanForm("dop_v1_abc", "http://localhost.evil.example/v2")).toEqual({ baseUrl: expect.any(String) });
    expect(checkDigitalOceanForm("dop_v1_abc", "http://127.0.0.1:4020/v2")).toEqual({});
    expect(checkDigitalOceanForm(" dop_v1_abc ", "https://api.digitalocean.com/v2")).toEqual({});
    expect(checkDigitalOceanForm("dop_v1_abc", "", "x".repeat(65))).toEqual({ label: expect.stringContaining("64") });
  });
});

describe("statusText", () => {
  it("says the account's status with DigitalOcean's note", () => {
    expect(statusText(team)).toBe("Active");
    expect(statusText({ status: "warning", statusNote: "Your card expires soon" })).toBe("Warning: Your card expires soon");
    expect(statusText({ status: null, statusNote: null })).toBe("Unknown");
  });
});

describe("DigitalOceanProvider", () => {
  it("with no account: checks the form before calling the backend, then shows why a read-only token is refused next to the token", async () => {
    const sent: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "digitalocean_accounts") return [];
      if (cmd === "add_digitalocean_account") {
        sent.push((args as { input: unknown }).input);
        throw { code: "validation", message: "read-only", fields: [{ field: "token", message: "The DigitalOcean token is read-only: ContainerStacks creates and manages Droplets, so create a token with Full Access" }] };
      }
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(list());
    expect(await screen.findByText(/No DigitalOcean account yet/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Connect DigitalOcean" }));
    expect(container.querySelector('[data-field-error="token"]')).toHaveTextContent("personal access token");
    expect(sent).toEqual([]);

    await user.click(screen.getByTestId("digitalocean-advanced"));
    await user.type(container.querySelector('input[name="baseUrl"]')!, "http://api.example.com/v2");
    await user.type(container.querySelector('input[name="token"]')!, "dop_v1_readonly");
    await user.click(screen.getByRole("button", { name: "Connect DigitalOcean" }));
    expect(container.querySelector('[data-field-error="baseUrl"]')).toHaveTextContent("https://");
    expect(sent).toEqual([]);

    await user.clear(container.querySelector('input[name="baseUrl"]')!);
    await user.type(container.querySelector('input[name="baseUrl"]')!, "http://127.0.0.1:4020/v2");
    await user.type(container.querySelector('input[name="label"]')!, "Team");
    await user.click(screen.getByRole("button", { name: "Connect DigitalOcean" }));
    await waitFor(() => expect(container.querySelector('[data-field-error="token"]')).toHaveTextContent("read-only"));
    expect(sent).toEqual([{ token: "dop_v1_readonly", label: "Team", baseUrl: "http://127.0.0.1:4020/v2" }]);
    expect(container.querySelector('input[name="token"]')).toHaveValue("dop_v1_readonly");
  });

  it("lists an account with its status, Droplet limit, catalogue and what DigitalOcean does otherwise, and adds another", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === "digitalocean_accounts") return [team];
      if (cmd === "refresh_account_catalogue") return catalogue;
      if (cmd === "add_digitalocean_account") return { ...team, id: "acc-do2", label: "Second" };
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(list());
    const row = await screen.findByTestId("digitalocean-account");
    expect(row).toHaveAttribute("data-account-label", "Reseller team");
    expect(within(row).getByTestId("digitalocean-email")).toHaveTextContent("ops@northwind.example");
    expect(within(row).getByTestId("digitalocean-status")).toHaveTextContent("Active");
    expect(within(row).getByTestId("droplet-limit")).toHaveTextContent("25");
    expect(within(row).getByTestId("digitalocean-catalogue-refreshed")).toHaveTextContent("8 regions, 8 sizes, 7 images");
    expect(screen.getByTestId("digitalocean-api-root-warning")).toHaveTextContent("not to DigitalOcean");
    expect(screen.getByTestId("digitalocean-notes")).toHaveTextContent("no StackScripts");

    await user.click(within(row).getByTestId("refresh-digitalocean-catalogue"));
    await waitFor(() => expect(calls).toContain("refresh_account_catalogue"));

    await user.click(screen.getByTestId("add-digitalocean-account"));
    await user.type(container.querySelector('input[name="token"]')!, "dop_v1_second");
    await user.click(screen.getByRole("button", { name: "Connect DigitalOcean" }));
    await waitFor(() => expect(calls).toContain("add_digitalocean_account"));
    await waitFor(() => expect(screen.queryByTestId("add-digitalocean-account-form")).not.toBeInTheDocument());
  });
});
