import { describe, expect, it } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import { billingOverview } from "@/test/fixtures";
import { BillingPage } from "./BillingPage";

describe("BillingPage", () => {
  it("shows the cards, the upcoming suspensions, the last run and the failed runs", async () => {
    mockIPC((cmd) => {
      if (cmd === "billing_overview") return billingOverview;
    });
    const { container } = renderWithProviders(<BillingPage />);
    expect(await screen.findByTestId("stat-billing-revenue")).toHaveTextContent("1,234.56");
    expect(screen.getByTestId("stat-wallets-total")).toHaveTextContent("987.00");
    expect(screen.getByTestId("stat-customers-low")).toHaveTextContent("3");
    expect(screen.getByTestId("stat-customers-grace")).toHaveTextContent("1");
    expect(screen.getByTestId("stat-customers-suspended")).toHaveTextContent("2");
    const row = container.querySelector('[data-testid="suspensions-table"] [data-row-id="org_2"]');
    expect(row).toHaveTextContent("Globex");
    expect(row?.querySelector('[data-negative="true"]')).toHaveTextContent("12.30");
    expect(row?.querySelector('[data-testid="wallet-state"]')).toHaveAttribute("data-state", "grace");
    expect(screen.getByTestId("billing-last-run")).toHaveTextContent("24");
    expect(screen.getByTestId("billing-failed-runs")).toHaveTextContent("Provider unreachable");
  });

  it("runs billing on demand and reports the result", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === "billing_overview") return billingOverview;
      if (cmd === "run_billing_now") return { at: "2026-03-01T11:00:00Z", through: "2026-03-01T10:00:00Z", hoursBilled: "1", invoicesIssued: 0, decisions: 0, error: null };
    });
    const user = userEvent.setup();
    renderWithProviders(<BillingPage />);
    await screen.findByTestId("stat-billing-revenue");
    await user.click(screen.getByRole("button", { name: "Run billing now" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Billing run finished");
    await waitFor(() => expect(calls.filter((c) => c === "billing_overview").length).toBe(2));
  });
});
