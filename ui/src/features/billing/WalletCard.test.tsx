import { describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import { eur, wallet } from "@/test/fixtures";
import { AdjustmentForm, PaymentForm, WalletCard } from "./WalletCard";

const detail = (balance = eur("-12.30", "-1230"), state = "grace") => ({
  wallet: wallet({ balance, state }),
  documents: [],
});
const entries = {
  rows: [{ txnId: "t1", at: "2026-03-01T10:00:00Z", kind: "usage", memo: "web-01, 24 h", amount: eur("-12.30", "-1230"), documentId: null }],
  next: null,
  prev: null,
  total: 1,
};

describe("PaymentForm", () => {
  it("checks the amount and the reference before calling the backend", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => void calls.push(cmd));
    const user = userEvent.setup();
    const { container } = renderWithProviders(<PaymentForm organizationId="org_1" currency="EUR" onDone={() => {}} onCancel={() => {}} />);
    await user.type(container.querySelector('input[name="amount"]')!, "12,5");
    await user.click(screen.getByRole("button", { name: "Record payment" }));
    expect(container.querySelector('[data-field-error="amount"]')).toHaveTextContent("50.00");
    expect(container.querySelector('[data-field-error="reference"]')).toHaveTextContent("required");
    expect(container.querySelector('input[name="amount"]')).toHaveAttribute("aria-invalid", "true");
    expect(calls).toEqual([]);
  });

  it("shows the backend's field errors next to their inputs", async () => {
    mockIPC((cmd) => {
      if (cmd === "record_payment") {
        throw { code: "validation", message: "Some fields need attention", fields: [{ field: "reference", message: "TRX-1 was already recorded for another customer" }] };
      }
    });
    const user = userEvent.setup();
    const onDone = vi.fn();
    const { container } = renderWithProviders(<PaymentForm organizationId="org_1" currency="EUR" onDone={onDone} onCancel={() => {}} />);
    await user.type(container.querySelector('input[name="amount"]')!, "50.00");
    await user.type(container.querySelector('input[name="reference"]')!, "TRX-1");
    await user.click(screen.getByRole("button", { name: "Record payment" }));
    await waitFor(() => expect(container.querySelector('[data-field-error="reference"]')).toHaveTextContent("already recorded"));
    expect(onDone).not.toHaveBeenCalled();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("sends the payment with the DTO's field names", async () => {
    let sent: unknown;
    mockIPC((cmd, args) => {
      if (cmd === "record_payment") {
        sent = (args as { input: unknown }).input;
        return detail(eur("37.70", "3770"), "good");
      }
    });
    const user = userEvent.setup();
    const onDone = vi.fn();
    const { container } = renderWithProviders(<PaymentForm organizationId="org_1" currency="EUR" onDone={onDone} onCancel={() => {}} />);
    await user.type(container.querySelector('input[name="amount"]')!, "50.00");
    await user.selectOptions(container.querySelector('select[name="method"]')!, "cash");
    await user.type(container.querySelector('input[name="reference"]')!, "R-7");
    await user.click(screen.getByRole("button", { name: "Record payment" }));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    expect(sent).toEqual({ organizationId: "org_1", amount: "50.00", method: "cash", reference: "R-7", note: null });
  });
});

describe("AdjustmentForm", () => {
  it("accepts a negative amount and sends the key made when the form opened", async () => {
    const sent: { key: string; amount: string }[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "record_adjustment") {
        sent.push((args as { input: { key: string; amount: string } }).input);
        return detail();
      }
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(<AdjustmentForm organizationId="org_1" currency="EUR" onDone={() => {}} onCancel={() => {}} />);
    await user.type(container.querySelector('input[name="amount"]')!, "-5.00");
    await user.type(container.querySelector('input[name="reason"]')!, "Correction");
    await user.click(screen.getByRole("button", { name: "Save adjustment" }));
    await waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0].amount).toBe("-5.00");
    expect(sent[0].key).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("WalletCard", () => {
  it("shows a negative balance in red, the state and the ledger", async () => {
    const pages: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "get_wallet") return detail();
      if (cmd === "list_wallet_entries") {
        pages.push((args as { input: unknown }).input);
        return entries;
      }
    });
    const { container } = renderWithProviders(<WalletCard organizationId="org_1" />);
    const balance = await screen.findByTestId("wallet-balance");
    expect(balance).toHaveTextContent("12.30");
    expect(balance).toHaveClass("text-destructive");
    expect(screen.getByTestId("wallet-state")).toHaveAttribute("data-state", "grace");
    await waitFor(() => expect(container.querySelector('[data-testid="wallet-entries-table"] [data-row-id="t1"]')).toHaveTextContent("web-01, 24 h"));
    expect(pages[0]).toMatchObject({ organizationId: "org_1", after: null, before: null, limit: 50 });
  });
});
