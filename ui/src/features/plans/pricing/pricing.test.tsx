import { afterEach, describe, expect, it } from "vitest";
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { Route, Routes } from "react-router";
import { events } from "@/api/client";
import { renderWithProviders } from "@/test/render";
import type { PlanPricingDto, ServerAddonDto, UnitPriceDto } from "./api";
import { CatchUpBanner, CatchUpProgress, setCatchUpProgress } from "./catch-up";
import { PlanPricingPage, pendingLabel } from "./PlanPricingPage";
import { ServerAddonsCard } from "./ServerAddonsCard";

const unit = (hourly: string, monthly: string): UnitPriceDto => ({
  hourly: { micros: "0", currency: "USD", amount: hourly },
  monthly: { minor: "0", currency: "USD", amount: monthly },
});

const pricing = (pendingServers = 0): PlanPricingDto => ({
  planId: "plan_1",
  planName: "Starter",
  provider: "sandbox",
  providerType: "sb-small",
  currency: "USD",
  providerNote: null,
  items: [
    {
      item: "server", label: "Server", providerPriced: true,
      regions: [
        { region: "eu-west", providerPrice: unit("0.018", "12.00"), ruleScope: "default", rule: { mode: "markup", markupPercent: "25", price: null }, customerPrice: unit("0.0225", "15.00"), problem: null },
        { region: "ap-south", providerPrice: unit("0.0216", "14.40"), ruleScope: "region", rule: { mode: "markup", markupPercent: "50", price: null }, customerPrice: unit("0.0324", "21.60"), problem: null },
      ],
    },
    { item: "backups", label: "Backups", providerPriced: true, regions: [{ region: "eu-west", providerPrice: unit("0.0036", "2.40"), ruleScope: "none", rule: null, customerPrice: null, problem: "plan Starter has no backups price" }] },
    { item: "ipv4", label: "Extra IPv4", providerPriced: false, regions: [{ region: "eu-west", providerPrice: null, ruleScope: "none", rule: null, customerPrice: null, problem: "no price" }] },
  ],
  versions: [
    { id: "2", item: "server", region: "ap-south", rule: { mode: "markup", markupPercent: "50", price: null }, effectiveFrom: "2026-03-01T10:00:00Z", createdAt: "2026-03-01T10:00:00Z", createdBy: "staff:owner", status: "active" },
    { id: "1", item: "server", region: null, rule: { mode: "markup", markupPercent: "25", price: null }, effectiveFrom: "2026-03-01T09:00:00Z", createdAt: "2026-03-01T09:00:00Z", createdBy: "staff:owner", status: "active" },
  ],
  pending: pendingServers
    ? { servers: pendingServers, changes: [{ serverId: "srv_1", serverLabel: "web-1", organizationName: "Acme", planId: "plan_1", planName: "Starter", item: "server", billed: unit("0.0225", "15.00"), current: unit("0.027", "18.00"), from: "2026-03-01T11:00:00Z" }] }
    : { servers: 0, changes: [] },
});

function renderPage() {
  return renderWithProviders(
    <Routes><Route path="/plans/:id/pricing" element={<PlanPricingPage />} /></Routes>,
    { route: "/plans/plan_1/pricing" },
  );
}

describe("PlanPricingPage", () => {
  it("shows the provider price, the rule and the customer price per region, and the history", async () => {
    mockIPC((cmd) => { if (cmd === "plan_pricing") return pricing(); });
    const { container } = renderPage();
    const table = await screen.findByTestId("price-table-server");
    const sg = table.querySelector('[data-region="ap-south"]')!;
    expect(sg).toHaveTextContent("$14.40/mo");
    expect(within(sg as HTMLElement).getByTestId("rule")).toHaveTextContent("+50 % markup");
    expect(within(sg as HTMLElement).getByTestId("customer-price")).toHaveTextContent("$21.60/mo");
    expect(screen.getByTestId("price-table-backups")).toHaveTextContent("no backups price");
    expect(container.querySelectorAll('[data-testid="price-versions"] tbody tr')).toHaveLength(2);
    expect(screen.getByTestId("pending-price-changes")).toHaveAttribute("data-count", "0");
  });

  it("validates the form before sending and previews the markup per region", async () => {
    const sent: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "plan_pricing") return pricing();
      if (cmd === "add_price_version") { sent.push(args); return pricing(); }
    });
    const user = userEvent.setup();
    renderPage();
    await user.click(await screen.findByTestId("new-price-version"));
    const dialog = await screen.findByRole("form", { name: "New price version" });
    const markup = within(dialog).getByLabelText("Markup (%)");
    await user.type(markup, "1001");
    await user.click(within(dialog).getByRole("button", { name: "Save price version" }));
    expect(dialog.querySelector('[data-field-error="markupPercent"]')).toHaveTextContent("between -99.99 % and 1000 %");
    expect(sent).toHaveLength(0);
    await user.clear(markup);
    await user.type(markup, "50");
    expect(dialog.querySelector('[data-testid="price-preview"] [data-region="ap-south"]')).toHaveTextContent("$21.60/mo");
    await user.selectOptions(within(dialog).getByLabelText("Takes effect"), "later");
    await user.click(within(dialog).getByRole("button", { name: "Save price version" }));
    expect(dialog.querySelector('[data-field-error="effectiveAt"]')).toHaveTextContent("Choose when");
    await user.selectOptions(within(dialog).getByLabelText("Takes effect"), "now");
    await user.click(within(dialog).getByRole("button", { name: "Save price version" }));
    await waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]).toMatchObject({ planId: "plan_1", input: { item: "server", region: null, mode: "markup", markupPercent: "50", effectiveFrom: null } });
  });

  it("refuses a fixed price of zero and shows the backend's field errors", async () => {
    mockIPC((cmd) => {
      if (cmd === "plan_pricing") return pricing();
      if (cmd === "add_price_version") throw { code: "validation", message: "Check the form", fields: [{ field: "hourlyPrice", message: "Hourly price: too many decimals" }] };
    });
    const user = userEvent.setup();
    renderPage();
    await user.click(await screen.findByTestId("new-price-version"));
    const dialog = await screen.findByRole("form", { name: "New price version" });
    await user.selectOptions(within(dialog).getByLabelText("Pricing"), "fixed");
    await user.type(within(dialog).getByLabelText("Per hour (USD)"), "0");
    await user.type(within(dialog).getByLabelText("Monthly cap (USD)"), "0.00");
    await user.click(within(dialog).getByRole("button", { name: "Save price version" }));
    expect(dialog.querySelector('[data-field-error="hourlyPrice"]')).toHaveTextContent("more than zero");
    expect(dialog.querySelector('[data-field-error="monthlyPrice"]')).toHaveTextContent("more than zero");
    await user.clear(within(dialog).getByLabelText("Per hour (USD)"));
    await user.type(within(dialog).getByLabelText("Per hour (USD)"), "0.03");
    await user.clear(within(dialog).getByLabelText("Monthly cap (USD)"));
    await user.type(within(dialog).getByLabelText("Monthly cap (USD)"), "20.00");
    await user.click(within(dialog).getByRole("button", { name: "Save price version" }));
    await waitFor(() => expect(dialog.querySelector('[data-field-error="hourlyPrice"]')).toHaveTextContent("too many decimals"));
  });

  it("shows pending changes and applies them after confirming", async () => {
    let pending = 1;
    const calls: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "plan_pricing") return pricing(pending);
      if (cmd === "apply_price_changes") { calls.push(args); pending = 0; return { servers: 1, changes: 1, from: "2026-03-01T11:00:00Z" }; }
    });
    const user = userEvent.setup();
    renderPage();
    const card = await screen.findByTestId("pending-price-changes");
    expect(card).toHaveTextContent("1 server has a pending change");
    expect(card).toHaveTextContent("web-1");
    await user.click(screen.getByTestId("apply-price-changes"));
    await user.click(screen.getByTestId("confirm-apply-price-changes"));
    await waitFor(() => expect(screen.getByTestId("pending-price-changes")).toHaveAttribute("data-count", "0"));
    expect(calls).toEqual([{ planId: "plan_1" }]);
    expect(pendingLabel(3)).toBe("3 servers have a pending change");
  });

  it("shows an error with a retry when the prices cannot be loaded, and a missing plan as such", async () => {
    let calls = 0;
    mockIPC((cmd) => {
      if (cmd === "plan_pricing") {
        calls += 1;
        if (calls === 1) throw { code: "internal", message: "The database is locked", fields: [] };
        return pricing();
      }
    });
    const user = userEvent.setup();
    renderPage();
    expect(await screen.findByText("The database is locked")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByTestId("price-table-server")).toBeInTheDocument();
  });

  it("says so when the plan does not exist", async () => {
    mockIPC((cmd) => { if (cmd === "plan_pricing") throw { code: "not_found", message: "There is no plan with id x: refresh the list", fields: [] }; });
    renderPage();
    expect(await screen.findByText("This plan does not exist")).toBeInTheDocument();
  });
});

describe("ServerAddonsCard", () => {
  const addons = (backups: boolean): ServerAddonDto[] => [
    { item: "backups", label: "Backups", enabled: backups, billedFrom: backups ? "2026-03-01T11:00:00Z" : null, price: unit("0.0072", "4.80"), problem: null, atProvider: true, note: "Switching backups on or off also enables or cancels them at the provider." },
    { item: "ipv4", label: "Extra IPv4", enabled: false, billedFrom: null, price: null, problem: "plan Starter has no ipv4 price", atProvider: false, note: "Billing only: add the address at the provider yourself." },
  ];

  it("switches an add-on and disables one without a price", async () => {
    let on = false;
    const calls: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "server_addons") return addons(on);
      if (cmd === "set_server_addon") { calls.push(args); on = (args as { enabled: boolean }).enabled; return addons(on); }
    });
    const user = userEvent.setup();
    renderWithProviders(<ServerAddonsCard serverId="srv_1" gone={false} />);
    const toggle = await screen.findByTestId("addon-toggle-backups");
    expect(screen.getByTestId("addon-toggle-ipv4")).toBeDisabled();
    expect(screen.getByTestId("server-addons")).toHaveTextContent("Billing only");
    await user.click(toggle);
    await waitFor(() => expect(screen.getByTestId("addon-state-backups")).toHaveTextContent("On"));
    expect(calls).toEqual([{ serverId: "srv_1", item: "backups", enabled: true }]);
    expect(screen.getByTestId("addon-toggle-backups")).toHaveTextContent("Switch off");
  });
});

describe("catch-up progress", () => {
  afterEach(() => act(() => setCatchUpProgress(null)));

  it("shows the banner from the backend's progress events until the catch-up is done", async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    renderWithProviders(<CatchUpBanner />, { route: "/servers" });
    await new Promise((r) => setTimeout(r, 10));
    expect(screen.queryByTestId("billing-catch-up")).toBeNull();
    await act(() => events.billingProgress.emit({ progress: { hoursDone: 120, hoursTotal: 216, through: "2026-02-05T12:00:00Z", done: false } }));
    expect(await screen.findByTestId("billing-catch-up")).toHaveTextContent("Catching up billing: 120 / 216 hours");
    await act(() => events.billingProgress.emit({ progress: { hoursDone: 216, hoursTotal: 216, through: "2026-02-09T12:00:00Z", done: true } }));
    await waitFor(() => expect(screen.getByTestId("billing-catch-up")).toHaveTextContent("Billing caught up: 216 missed hours billed"));
    expect(screen.getByTestId("billing-catch-up")).toHaveAttribute("data-done", "true");
  });

  it("leaves the Billing overview to show it in its own place", () => {
    mockIPC(() => null, { shouldMockEvents: true });
    act(() => setCatchUpProgress({ hoursDone: 24, hoursTotal: 48, through: "2026-02-05T12:00:00Z", done: false }));
    renderWithProviders(<><CatchUpBanner /><CatchUpProgress /></>, { route: "/billing" });
    expect(screen.getAllByTestId("billing-catch-up")).toHaveLength(1);
  });
});
