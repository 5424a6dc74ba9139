import { describe, expect, it } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import type { NotificationSettingsDto } from "@/bindings";
import { NotificationsCard } from "./NotificationsCard";

const allOn: NotificationSettingsDto = { serverFailed: true, customerSuspended: true, paymentReceived: true, mailRelayDown: true, backupFailed: true };

describe("NotificationsCard", () => {
  it("shows each situation switched on and saves a switch turned off", async () => {
    const sent: NotificationSettingsDto[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "update_notification_settings") {
        const input = (args as { input: NotificationSettingsDto }).input;
        sent.push(input);
        return input;
      }
    });
    const user = userEvent.setup();
    renderWithProviders(<NotificationsCard settings={allOn} />);
    for (const name of ["A server failed", "A customer was suspended", "A payment was received", "The mail relay is down", "A backup failed"]) {
      expect(screen.getByRole("checkbox", { name })).toBeChecked();
    }
    await user.click(screen.getByRole("checkbox", { name: "A payment was received" }));
    await waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]).toEqual({ ...allOn, paymentReceived: false });
    expect(await screen.findByRole("status")).toHaveTextContent("Notifications off: a payment was received");
  });

  it("says so when the change could not be saved", async () => {
    mockIPC((cmd) => {
      if (cmd === "update_notification_settings") throw { code: "internal", message: "The database is busy: try again", fields: [] };
    });
    const user = userEvent.setup();
    renderWithProviders(<NotificationsCard settings={allOn} />);
    await user.click(screen.getByRole("checkbox", { name: "A backup failed" }));
    expect(await screen.findByText("Could not save the notification settings")).toBeTruthy();
  });
});
