import { describe, expect, it } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import type { BillingSettingsDto } from "@/bindings";
import { BillingSettingsCard } from "./BillingSettingsCard";

const settings: BillingSettingsDto = {
  sellerCountry: "NL", lowBalanceThreshold: "10.00", suspendAt: "0.00", graceHours: 72, terminateAfterDays: 30,
  terminationWarningDays: [7, 3, 1], invoiceNumberFormat: "INV-{yyyy}-{seq:4}", receiptNumberFormat: "RCT-{yyyy}-{seq:4}",
  creditNoteNumberFormat: "CN-{yyyy}-{seq:4}", autoInvoice: true, taxRates: [{ country: "NL", region: "", name: "BTW", ratePercent: "21" }],
};

describe("BillingSettingsCard", () => {
  it("adds a tax rate row, shows the backend's row errors, and sends the DTO", async () => {
    const sent: BillingSettingsDto[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "update_billing_settings") {
        const input = (args as { input: BillingSettingsDto }).input;
        sent.push(input);
        if (sent.length === 1) throw { code: "validation", message: "Some fields need attention", fields: [{ field: "taxRates.1.ratePercent", message: "Rate must be below 100%" }] };
        return input;
      }
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(<BillingSettingsCard settings={settings} />);
    await user.click(screen.getByRole("button", { name: "Add tax rate" }));
    await user.selectOptions(container.querySelector('select[name="taxRates.1.country"]')!, "DE");
    await user.clear(container.querySelector('input[name="taxRates.1.name"]')!);
    await user.type(container.querySelector('input[name="taxRates.1.name"]')!, "MwSt");
    await user.type(container.querySelector('input[name="taxRates.1.ratePercent"]')!, "99");
    await user.clear(container.querySelector('input[name="terminationWarningDays"]')!);
    await user.type(container.querySelector('input[name="terminationWarningDays"]')!, "5, 1");
    await user.click(screen.getByRole("button", { name: "Save billing settings" }));
    await waitFor(() => expect(container.querySelector('[data-field-error="taxRates.1.ratePercent"]')).toHaveTextContent("below 100%"));
    expect(sent[0].taxRates[1]).toEqual({ country: "DE", region: "", name: "MwSt", ratePercent: "99" });
    expect(sent[0].terminationWarningDays).toEqual([5, 1]);
    expect(sent[0].graceHours).toBe(72);

    await user.click(screen.getByRole("button", { name: "Remove tax rate 2" }));
    await user.click(screen.getByRole("button", { name: "Save billing settings" }));
    await waitFor(() => expect(sent).toHaveLength(2));
    expect(sent[1].taxRates).toHaveLength(1);
    expect(await screen.findByRole("status")).toHaveTextContent("Billing settings saved");
  });

  it("checks the form before calling the backend", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => void calls.push(cmd));
    const user = userEvent.setup();
    const { container } = renderWithProviders(<BillingSettingsCard settings={settings} />);
    await user.clear(container.querySelector('input[name="graceHours"]')!);
    await user.type(container.querySelector('input[name="graceHours"]')!, "1.5");
    await user.clear(container.querySelector('input[name="lowBalanceThreshold"]')!);
    await user.type(container.querySelector('input[name="lowBalanceThreshold"]')!, "-1.00");
    await user.click(screen.getByRole("button", { name: "Save billing settings" }));
    expect(container.querySelector('[data-field-error="graceHours"]')).toHaveTextContent("whole hours");
    expect(container.querySelector('[data-field-error="lowBalanceThreshold"]')).toHaveTextContent("before the suspension limit");
    expect(calls).toEqual([]);
  });

  it("bounds the dunning settings like the backend (issue 11: a grace period of years)", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => void calls.push(cmd));
    const user = userEvent.setup();
    const { container } = renderWithProviders(<BillingSettingsCard settings={settings} />);
    for (const [name, value] of [["graceHours", "100000"], ["terminateAfterDays", "0"], ["terminationWarningDays", "7, 400"]]) {
      await user.clear(container.querySelector(`input[name="${name}"]`)!);
      await user.type(container.querySelector(`input[name="${name}"]`)!, value);
    }
    await user.click(screen.getByRole("button", { name: "Save billing settings" }));
    expect(container.querySelector('[data-field-error="graceHours"]')).toHaveTextContent("at most 8784 hours");
    expect(container.querySelector('[data-field-error="terminateAfterDays"]')).toHaveTextContent("Between 1 and 366");
    expect(container.querySelector('[data-field-error="terminationWarningDays"]')).toHaveTextContent("each 1 to 366");
    expect(calls).toEqual([]);
  });
});
