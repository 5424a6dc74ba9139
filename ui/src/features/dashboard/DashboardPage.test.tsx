import { describe, expect, it } from "vitest";
import { screen } from "@testing-library/react";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import { DashboardPage } from "./DashboardPage";

describe("DashboardPage", () => {
  it("groups the digits of an established reseller's counts", async () => {
    mockIPC((cmd) => {
      if (cmd === "dashboard")
        return {
          organizations: 10000,
          plans: 12,
          liveServers: 30000,
          serversByStatus: [{ status: "running", count: 29500 }, { status: "offline", count: 500 }],
          monthlyRevenue: { minor: "45000000", currency: "USD", amount: "450000.00" },
          recentActivity: [],
        };
    });
    renderWithProviders(<DashboardPage />);
    expect(await screen.findByTestId("stat-customers")).toHaveTextContent("10,000");
    expect(screen.getByTestId("stat-plans")).toHaveTextContent("12");
    expect(screen.getByTestId("stat-live-servers")).toHaveTextContent("30,000");
    expect(screen.getByTestId("servers-by-status")).toHaveTextContent("29,500");
  });
});
