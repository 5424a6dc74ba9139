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
    mockIPC((cmd) => (cmd === "list_servers" ? servers : null), { shouldMockEvents: true });
    const user = userEvent.setup();
    renderWithProviders(<Page />);

    const table = await screen.findByTestId("servers-table");
    const ids = () => within(table).getAllByRole("row").slice(1).map((r) => r.getAttribute("data-row-id"));
    expect(ids()).toEqual(["srv_1"]);
    await user.click(screen.getByLabelText(/Show deleted/));
    expect(ids()).toEqual(expect.arrayContaining(["srv_1", "srv_2"]));

    await events.serverChanged.emit({ server: server("rebooting", { id: "srv_1", label: "web-01" }) });
    await waitFor(() => expect(table.querySelector('[data-row-id="srv_1"] [data-testid="server-status"]')).toHaveAttribute("data-status", "rebooting"));
  });
});
