import { describe, expect, it } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import type { PortalPairInput, PortalStatusDto } from "@/bindings";
import { portalKeys } from "./api";
import { PortalCard, PortalSection, pairInputErrors } from "./PortalCard";

const unpaired: PortalStatusDto = {
  paired: false, url: null, tenant: null, tenantName: null, customerUrl: null, connected: false, stopped: false,
  waiting: 12, lastPushAt: null, lagSeconds: null, lastError: null, pairedAt: null, intentHoldMinutes: 60,
};

const paired: PortalStatusDto = {
  ...unpaired, paired: true, url: "https://portal.example.com", tenant: "acme", tenantName: "Acme Cloud",
  customerUrl: "https://portal.example.com/acme/", connected: true, waiting: 0, pairedAt: "2025-01-06T09:00:00Z",
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

  it("shows how long customers' requests wait while this desktop is offline, also for a value that is no choice", () => {
    const { unmount } = renderWithProviders(<PortalCard status={paired} />);
    const select = screen.getByLabelText<HTMLSelectElement>("While this desktop is offline");
    expect(screen.getByText(/can boot, reboot and shut down their servers on the portal/)).toBeTruthy();
    expect(select.value).toBe("60");
    expect(select.selectedOptions[0].textContent).toBe("Hold for 1 hour");
    expect([...select.options].map((o) => o.textContent)).toEqual(["Refuse requests", "Hold for 15 minutes", "Hold for 1 hour", "Hold for 4 hours", "Hold for 1 day"]);
    expect(screen.getByTestId("portal-customer-requests").textContent).toContain("Requests wait up to 1 hour at the portal");
    expect(screen.getByRole("button", { name: "Save" })).toBeDisabled();
    unmount();

    renderWithProviders(<PortalCard status={{ ...paired, intentHoldMinutes: 90 }} />);
    const odd = screen.getByLabelText<HTMLSelectElement>("While this desktop is offline");
    expect(odd.value).toBe("90");
    expect(odd.selectedOptions[0].textContent).toBe("Hold for 90 minutes");
  });

  it("asks nothing about customers' requests before pairing", () => {
    renderWithProviders(<PortalCard status={unpaired} />);
    expect(screen.queryByTestId("portal-customer-requests")).toBeNull();
  });

  it("refuses customers' requests while offline: sends 0 and shows the saved state", async () => {
    let current = paired;
    const sent: number[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "get_portal_status") return current;
      if (cmd === "set_portal_intent_hold") {
        const { minutes } = args as { minutes: number };
        sent.push(minutes);
        current = { ...current, intentHoldMinutes: minutes };
        return current;
      }
    });
    const user = userEvent.setup();
    const { queryClient } = renderWithProviders(<PortalSection />);
    const select = await screen.findByLabelText<HTMLSelectElement>("While this desktop is offline");
    expect(select.value).toBe("60");
    await user.selectOptions(select, "Refuse requests");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(sent).toEqual([0]));
    expect(await screen.findByRole("status")).toHaveTextContent("Customers' requests setting saved");
    expect(queryClient.getQueryData<PortalStatusDto>(portalKeys.status)?.intentHoldMinutes).toBe(0);
    expect(screen.getByLabelText<HTMLSelectElement>("While this desktop is offline").value).toBe("0");
    expect(screen.getByTestId("portal-customer-requests").textContent).toContain("turns requests away while this desktop is offline");
    expect(screen.getByRole("button", { name: "Save" })).toBeDisabled();
  });

  it("shows the backend's refusal beside the setting", async () => {
    mockIPC((cmd) => {
      if (cmd === "set_portal_intent_hold") {
        throw {
          code: "validation", message: "Some fields need attention",
          fields: [{ field: "intentHoldMinutes", message: "Hold requests for at most a week (10080 minutes), or 0 to refuse them while this desktop is offline" }],
        };
      }
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(<PortalCard status={paired} />);
    const select = screen.getByLabelText<HTMLSelectElement>("While this desktop is offline");
    await user.selectOptions(select, "Hold for 1 day");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(container.querySelector('[data-field-error="intentHoldMinutes"]')).toHaveTextContent("at most a week (10080 minutes)"));
    expect(select).toHaveAttribute("aria-invalid", "true");
    expect(select.value).toBe("1440");
  });
});
