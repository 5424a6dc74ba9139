// The new-server form's account picker (only with several Linode accounts)
// and the Firewall tab's "New firewall" form.
import { describe, expect, it } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import type { LinodeAccountDto, PlanDto } from "@/bindings";
import { renderWithProviders } from "@/test/render";
import { server } from "@/test/fixtures";
import { catalogueSource, NewServerPage } from "./NewServerPage";
import { firewallLabelError, firewallRuleErrors, ServerTabs } from "./ServerTabs";

const usd = (amount: string, minor: string) => ({ amount, minor, currency: "USD" });
const plan: PlanDto = {
  id: "plan_l", name: "Linode Nano", provider: "linode", providerType: "g6-nanode-1", providerTypeLabel: "Nanode 1 GB", regions: ["eu-central"],
  monthly: usd("7.00", "700"), hourly: { amount: "0.0105", micros: "10500", currency: "USD" } as PlanDto["hourly"], providerPrices: [], active: true, liveServers: 0, createdAt: "2026-01-01T00:00:00Z",
};
const catalogue = { provider: "linode", refreshedAt: null, attemptedAt: null, lastError: null, regions: 6, types: 5, images: 4, stackscripts: 2 };
const account = (id: string, label: string): LinodeAccountDto => ({
  id, label, connected: true, username: label.toLowerCase(), email: null, restricted: false, scopes: ["*"], baseUrl: null, connectedAt: null,
  tokenExpiry: null, tokenExpiryKnown: true, tokenExpiryNote: null, tokenCheckedAt: null, tokenExpired: false, tokenWarning: null, servers: 0, catalogue, apiRootWarning: null,
});
const catalogueWith = (images: string[]) => ({ provider: "linode", regions: [{ id: "eu-central", label: "Frankfurt", country: "de", available: true }], types: [], images: images.map((id) => ({ id, label: id, vendor: "Debian", cloudInit: true })), stackscripts: [], refreshedAt: null });

describe("catalogueSource", () => {
  it("reads one Linode account's catalogue once chosen", () => {
    expect(catalogueSource(undefined, null)).toBeNull();
    expect(catalogueSource("sandbox", "acc-1")).toBe("sandbox");
    expect(catalogueSource("linode", null)).toBe("linode");
    expect(catalogueSource("linode", "acc-2")).toBe("linode:acc-2");
  });
});

describe("firewallRuleErrors", () => {
  it("takes every protocol Linode takes, with ports only for TCP and UDP", () => {
    for (const [protocol, ports] of [["TCP", "22"], ["udp", "53"], ["ICMP", ""], ["IPENCAP", ""], ["ALL", ""], ["0", ""], ["50", ""], ["255", ""], ["6", "443"], ["17", "53"]]) {
      expect(firewallRuleErrors(protocol, ports), `${protocol} ${ports}`).toEqual({});
    }
    for (const p of ["256", "-1", "GRE", "", "5.0"]) expect(firewallRuleErrors(p, "").protocol, p).toMatch(/0 to 255/);
    for (const p of ["ALL", "IPENCAP", "50", "ICMP"]) expect(firewallRuleErrors(p, "22").ports, p).toMatch(/only TCP and UDP/);
  });
});

describe("firewallLabelError", () => {
  it("follows Linode's label rule", () => {
    expect(firewallLabelError("ab")).toMatch(/3 to 32/);
    expect(firewallLabelError("web servers")).toMatch(/letters, digits/);
    expect(firewallLabelError("-web")).toMatch(/Start and end/);
    expect(firewallLabelError("web-only")).toBeNull();
  });
});

function renderNewServer(accounts: LinodeAccountDto[], calls: [string, unknown][]) {
  mockIPC((cmd, args) => {
    calls.push([cmd, args]);
    if (cmd === "list_organizations_page") return { rows: [], next: null, prev: null, total: 0 };
    if (cmd === "list_plans") return [plan];
    if (cmd === "linode_accounts") return accounts;
    if (cmd === "catalogue") return catalogueWith([(args as { provider: string }).provider === "linode:acc-2" ? "linode/ubuntu24.04" : "linode/debian12"]);
    if (cmd === "provider_firewalls") return [];
  });
  return renderWithProviders(<NewServerPage />, { route: "/servers/new" });
}

describe("NewServerPage with Linode accounts", () => {
  it("asks which account when there are several, and reads that account's catalogue", async () => {
    const calls: [string, unknown][] = [];
    const user = userEvent.setup();
    const { container } = renderNewServer([account("acc-1", "EU"), account("acc-2", "US")], calls);
    const planSelect = await waitFor(() => document.querySelector<HTMLSelectElement>('select[name="planId"]')!);
    await waitFor(() => expect(screen.getByRole("option", { name: /Linode Nano/ })).toBeInTheDocument());
    await user.selectOptions(planSelect, "plan_l");
    const accountSelect = await waitFor(() => { const el = document.querySelector<HTMLSelectElement>('select[name="accountId"]'); if (!el) throw new Error("no account picker"); return el; });
    await user.click(screen.getByRole("button", { name: "Create server" }));
    expect(container.querySelector('[data-field-error="accountId"]')).toHaveTextContent("Choose the Linode account");
    expect(calls.some(([c]) => c === "create_server")).toBe(false);
    await user.selectOptions(accountSelect, "acc-2");
    await waitFor(() => expect(calls).toContainEqual(["catalogue", { provider: "linode:acc-2" }]));
    await waitFor(() => expect(screen.getByRole("option", { name: "linode/ubuntu24.04" })).toBeInTheDocument());
  });

  it("does not ask with a single account", async () => {
    const calls: [string, unknown][] = [];
    const user = userEvent.setup();
    renderNewServer([account("acc-1", "EU")], calls);
    const planSelect = await waitFor(() => document.querySelector<HTMLSelectElement>('select[name="planId"]')!);
    await waitFor(() => expect(screen.getByRole("option", { name: /Linode Nano/ })).toBeInTheDocument());
    await user.selectOptions(planSelect, "plan_l");
    await waitFor(() => expect(calls).toContainEqual(["catalogue", { provider: "linode" }]));
    expect(document.querySelector('select[name="accountId"]')).toBeNull();
  });
});

describe("Firewall tab: New firewall", () => {
  it("checks the label, shows Linode's field errors next to the rule, then creates and attaches", async () => {
    const sent: unknown[] = [];
    const linodeServer = server("running", { provider: "linode", providerId: "1001" });
    mockIPC((cmd, args) => {
      if (cmd === "server_backups") return { enabled: false, backups: [] };
      if (cmd === "server_firewalls") return { attached: [], available: [], canDetach: true };
      if (cmd === "create_server_firewall") {
        const input = (args as { input: { label: string; attach: boolean } }).input;
        sent.push(input);
        if (sent.length === 1) throw { code: "validation", message: "bad ports", fields: [{ field: "inbound.0.ports", message: "\"22-\" is not a port list: use e.g. 22, 80,443 or 1024-65535 (1–65535)" }] };
        return { attached: [{ id: "9", label: input.label, rules: { inboundPolicy: "DROP", outboundPolicy: "ACCEPT", inbound: [], outbound: [] }, instanceCount: 1 }], available: [], canDetach: true };
      }
    });
    const user = userEvent.setup();
    renderWithProviders(<ServerTabs server={linodeServer} />);
    await user.click(await screen.findByTestId("tab-firewall"));
    await user.click(await screen.findByTestId("new-firewall"));
    const dialog = await screen.findByRole("dialog");
    expect(dialog).toHaveTextContent("New firewall");
    await user.click(screen.getByRole("button", { name: "Create firewall" }));
    expect(document.querySelector('[data-field-error="label"]')).toHaveTextContent("3 to 32");
    expect(sent).toEqual([]);

    await user.type(document.querySelector('input[name="label"]')!, "web-only");
    const ports = document.querySelector<HTMLInputElement>('input[name="inbound.0.ports"]')!;
    await user.clear(ports);
    await user.type(ports, "22-");
    await user.click(screen.getByRole("button", { name: "Create firewall" }));
    await waitFor(() => expect(document.querySelector('[data-field-error="inbound.0.ports"]')).toHaveTextContent("not a port list"));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ label: "web-only", attach: true });

    await user.clear(ports);
    await user.type(ports, "22");
    await user.click(screen.getByRole("button", { name: "Create firewall" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(sent).toHaveLength(2);
  });
});
