import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { events } from "@/api/client";
import { useLiveUpdates } from "@/api/live";
import { renderWithProviders } from "@/test/render";
import { server } from "@/test/fixtures";
import { ServersPage } from "./ServersPage";

function Page() {
  useLiveUpdates();
  return <ServersPage />;
}

describe("ServersPage", () => {
  it("hides deleted servers until asked, and follows status changes live", async () => {
    const servers = [
      server("running", { id: "srv_1", label: "web-01" }),
      server("deleted", { id: "srv_2", label: "old-01", deletedAt: "2026-01-02T00:00:00Z" }),
    ];
    const inputs: { state?: string }[] = [];
    mockIPC(
      (cmd, args) => {
        if (cmd !== "list_servers") return null;
        const input = (args as { input: { state?: string } }).input;
        inputs.push(input);
        const rows = input.state === "all" ? servers : servers.filter((s) => !s.deletedAt);
        return { rows, next: null, prev: null, total: rows.length };
      },
      { shouldMockEvents: true },
    );
    const user = userEvent.setup();
    renderWithProviders(<Page />);

    const table = await screen.findByTestId("servers-table");
    const ids = () => within(screen.getByTestId("servers-table")).getAllByRole("row").slice(1).map((r) => r.getAttribute("data-row-id"));
    expect(ids()).toEqual(["srv_1"]);
    expect(table).toBeInTheDocument();
    await user.click(screen.getByLabelText(/Show deleted/));
    await waitFor(() => expect(ids()).toEqual(expect.arrayContaining(["srv_1", "srv_2"])));

    const reads = inputs.length;
    await events.serverChanged.emit({ server: server("rebooting", { id: "srv_1", label: "web-01" }) });
    await waitFor(() => expect(screen.getByTestId("servers-table").querySelector('[data-row-id="srv_1"] [data-testid="server-status"]')).toHaveAttribute("data-status", "rebooting"));
    // Patched in place: the list was not read again.
    expect(inputs.length).toBe(reads);
  });

  it("shows one plan's servers when opened from the Plans screen, until the filter is cleared", async () => {
    const inputs: { planId?: string | null }[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "list_plans") return [{ id: "plan_1", name: "Starter" }];
      if (cmd !== "list_servers") return null;
      const input = (args as { input: { planId?: string | null } }).input;
      inputs.push(input);
      const rows = [server("running", { id: "srv_1", label: "web-01" })];
      return { rows, next: null, prev: null, total: rows.length };
    });
    const user = userEvent.setup();
    renderWithProviders(<ServersPage />, { route: "/servers?plan=plan_1" });
    await waitFor(() => expect(inputs[0]).toMatchObject({ planId: "plan_1" }));
    expect(await screen.findByTestId("plan-filter")).toHaveTextContent("Plan: Starter");
    await user.click(screen.getByRole("button", { name: "Show every plan's servers" }));
    await waitFor(() => expect(inputs.at(-1)).toMatchObject({ planId: null }));
    expect(screen.queryByTestId("plan-filter")).toBeNull();
  });
});
