import { describe, expect, it } from "vitest";
import { screen } from "@testing-library/react";
import { Route, Routes } from "react-router";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import { server } from "@/test/fixtures";
import { ServerDetailPage } from "./ServerDetailPage";

function renderServer(status: string) {
  mockIPC((cmd) => {
    if (cmd === "get_server") return { server: server(status), activity: [] };
    if (cmd === "server_stats") return { cpuPercent: [], networkInBitsPerS: [], networkOutBitsPerS: [], transferUsedGb: "0", transferQuotaGb: 1000 };
  });
  return renderWithProviders(
    <Routes>
      <Route path="/servers/:id" element={<ServerDetailPage />} />
    </Routes>,
    { route: "/servers/srv_1" },
  );
}

describe("ServerDetailPage power actions", () => {
  it("allows reboot and shut down when running", async () => {
    renderServer("running");
    expect(await screen.findByTestId("server-status")).toHaveAttribute("data-status", "running");
    expect(screen.getByRole("button", { name: "Reboot" })).toBeEnabled();
    expect(screen.getByRole("button", { name: "Shut down" })).toBeEnabled();
    expect(screen.getByRole("button", { name: "Boot" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Delete" })).toBeEnabled();
  });

  it("allows only boot (and delete) when offline", async () => {
    renderServer("offline");
    await screen.findByTestId("server-status");
    expect(screen.getByRole("button", { name: "Boot" })).toBeEnabled();
    expect(screen.getByRole("button", { name: "Reboot" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Shut down" })).toBeDisabled();
  });

  it("allows nothing but delete while the provider is busy", async () => {
    renderServer("rebooting");
    await screen.findByTestId("server-status");
    for (const name of ["Boot", "Reboot", "Shut down"]) expect(screen.getByRole("button", { name })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Delete" })).toBeEnabled();
  });
});
