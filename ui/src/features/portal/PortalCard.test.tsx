import { describe, expect, it } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import type { PortalPairInput, PortalStatusDto } from "@/bindings";
import { PortalCard, pairInputErrors } from "./PortalCard";

const unpaired: PortalStatusDto = {
  paired: false, url: null, tenant: null, tenantName: null, customerUrl: null, connected: false, stopped: false,
  waiting: 12, lastPushAt: null, lagSeconds: null, lastError: null, pairedAt: null,
};

describe("PortalCard", () => {
  it("checks the pairing form, shows the portal's refusal on the code, and sends what was typed", async () => {
    const sent: PortalPairInput[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "pair_portal") {
        sent.push((args as { input: PortalPairInput }).input);
        throw { code: "validation", message: "Some fields need attention", fields: [{ field: "code", message: "This pairing code is unknown, used or expired: ask the portal's operator for a new one" }] };
      }
    });
    const user = userEvent.setup();
    renderWithProviders(<PortalCard status={unpaired} />);
    await user.click(screen.getByRole("button", { name: "Pair" }));
    expect(await screen.findByText(/Enter the portal's address/)).toBeTruthy();
    expect(sent).toHaveLength(0);
    await user.type(screen.getByLabelText("Portal address"), " https://portal.example.com ");
    await user.type(screen.getByLabelText("Pairing code"), "ABCD-EFGH");
    await user.click(screen.getByRole("button", { name: "Pair" }));
    await waitFor(() => expect(sent).toEqual([{ url: "https://portal.example.com", code: "ABCD-EFGH" }]));
    expect(await screen.findByText(/unknown, used or expired/)).toBeTruthy();
  });

  it("shows a stopped sync in words with a way to resume", () => {
    renderWithProviders(
      <PortalCard
        status={{
          ...unpaired, paired: true, url: "https://portal.example.com", tenant: "acme", tenantName: "Acme Cloud",
          customerUrl: "https://portal.example.com/acme/", stopped: true, waiting: 3, lagSeconds: 125,
          lastError: "The portal no longer accepts this desktop's token: pair again in Settings → Portal",
        }}
      />,
    );
    expect(screen.getByText("Stopped")).toBeTruthy();
    expect(screen.getByRole("alert").textContent).toContain("pair again");
    expect(screen.getByTestId("portal-waiting").textContent).toBe("3 records (oldest 2 min)");
    expect(screen.getByRole("button", { name: /Resume sync/ })).toBeTruthy();
  });

  it("refuses an empty form before asking anyone", () => {
    expect(pairInputErrors("", "")).toEqual({ url: expect.any(String), code: expect.any(String) });
    expect(pairInputErrors("portal.example.com", "x").url).toMatch(/https:\/\//);
    expect(pairInputErrors("http://127.0.0.1:8080", "x")).toEqual({});
  });
});
