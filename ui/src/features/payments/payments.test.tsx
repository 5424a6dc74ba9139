import { PaymentsPage } from "./PaymentsPage";
import { describe, expect, it } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { renderWithProviders } from "@/test/render";
import type { PaymentDetail, PaymentLinkInput, PayPalSettingsDto, PayPalSettingsInput, RefundInput } from "@/bindings";
import { PayPalSettingsCard, paypalSettingsInput } from "./PayPalSettingsCard";
import { PaymentLinkForm } from "./PaymentLinkForm";
import { RefundForm, checkRefund } from "./RefundForm";

const unset: PayPalSettingsDto = { configured: false, clientId: "", hasSecret: false, environment: "sandbox", baseUrl: null, webhookId: null, effectiveBaseUrl: "https://api-m.sandbox.paypal.com", currency: "USD", currencySupported: true, currencyNote: null };
const money = (amount: string) => ({ amount, currency: "USD", minor: amount.replace(".", "").replace(/^0+(?=\d)/, "") });

const detail: PaymentDetail = {
  payment: {
    id: "pay-1", organizationId: "org-1", organizationName: "Acme", status: "completed", amount: money("50.00"), captured: money("50.00"), refunded: money("30.00"),
    refundable: money("20.00"), orderId: "5O190127TN364715T", captureId: "3C679366HH908993F", approveUrl: "http://127.0.0.1:9/checkoutnow?token=5O190127TN364715T",
    receiptId: "r-1", failure: null, environment: "sandbox", createdAt: "2026-01-31T10:30:00Z", updatedAt: "2026-01-31T10:30:00Z", completedAt: "2026-01-31T10:31:00Z",
  },
  refunds: [],
  history: [],
  contactEmail: "ops@acme.example",
};

describe("PayPal settings", () => {
  it("checks the form: an empty secret is only fine when one is stored", () => {
    const base = { clientId: "AbC-1", secret: "", environment: "sandbox", baseUrl: "", webhookId: "" };
    expect(paypalSettingsInput(base, false).errors).toEqual({ secret: "Paste the secret of your PayPal REST app" });
    const kept = paypalSettingsInput(base, true);
    expect(kept.errors).toEqual({});
    expect(kept.input.secret).toBeNull();
    expect(paypalSettingsInput({ ...base, secret: "s", baseUrl: "not a url", webhookId: "a-b" }, false).errors).toEqual({
      baseUrl: "Write a URL like https://api-m.sandbox.paypal.com, or leave it empty",
      webhookId: "A webhook id is letters and digits, e.g. 1JE4291016473214C",
    });
    expect(paypalSettingsInput({ ...base, secret: "s", baseUrl: " http://127.0.0.1:8080 " }, false).input.baseUrl).toBe("http://127.0.0.1:8080");
  });

  it("saves, then shows the connection test's refusal and its success", async () => {
    const sent: PayPalSettingsInput[] = [];
    let tests = 0;
    mockIPC((cmd, args) => {
      if (cmd === "save_paypal_settings") {
        const input = (args as { input: PayPalSettingsInput }).input;
        sent.push(input);
        return { ...unset, configured: true, hasSecret: true, clientId: input.clientId, baseUrl: input.baseUrl };
      }
      if (cmd === "test_paypal_connection") {
        tests += 1;
        if (tests === 1) throw { code: "validation", message: "PayPal (sandbox) refused this client id and secret: check both", fields: [{ field: "secret", message: "refused" }] };
        return { message: "Connected: PayPal (sandbox) accepted the client id and secret", baseUrl: "http://127.0.0.1:9" };
      }
    });
    const user = userEvent.setup();
    const { container, unmount } = renderWithProviders(<PayPalSettingsCard settings={unset} />);
    expect(screen.getByRole("button", { name: /Test connection/ })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: /Save PayPal settings/ }));
    expect(container.querySelector('[data-field-error="clientId"]')).toHaveTextContent("client id");
    expect(sent).toHaveLength(0);
    await user.type(container.querySelector('input[name="clientId"]')!, "AcsFakeClientId0001");
    await user.type(container.querySelector('input[name="secret"]')!, "EcsFakeClientSecret0001");
    await user.click(screen.getByRole("button", { name: /Advanced/ }));
    await user.type(container.querySelector('input[name="baseUrl"]')!, "http://127.0.0.1:9");
    await user.click(screen.getByRole("button", { name: /Save PayPal settings/ }));
    await waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]).toEqual({ clientId: "AcsFakeClientId0001", secret: "EcsFakeClientSecret0001", environment: "sandbox", baseUrl: "http://127.0.0.1:9", webhookId: null });
    await waitFor(() => expect(container.querySelector('input[name="secret"]')).toHaveValue(""));

    unmount();
    renderWithProviders(<PayPalSettingsCard settings={{ ...unset, configured: true, hasSecret: true, clientId: "AcsFakeClientId0001" }} />);
    await user.click(screen.getByRole("button", { name: /Test connection/ }));
    expect(await screen.findByTestId("paypal-test-result")).toHaveTextContent("refused this client id and secret");
    await user.click(screen.getByRole("button", { name: /Test connection/ }));
    await waitFor(() => expect(screen.getByTestId("paypal-test-result")).toHaveAttribute("data-ok", "true"));
    expect(screen.getByTestId("paypal-test-result")).toHaveTextContent("Connected");
  });
});

describe("PayPal and the reseller's currency", () => {
  it("says plainly when PayPal does not take the currency", () => {
    const note = "PayPal does not support RON, the currency you bill in, so customers cannot pay by PayPal: record their bank transfers and cash payments on the customer's wallet instead";
    renderWithProviders(<PayPalSettingsCard settings={{ ...unset, currency: "RON", currencySupported: false, currencyNote: note }} />);
    expect(screen.getByRole("alert")).toHaveTextContent("PayPal does not support RON");
  });

  it("shows nothing for a supported currency", () => {
    renderWithProviders(<PayPalSettingsCard settings={unset} />);
    expect(screen.queryByTestId("paypal-currency-note")).toBeNull();
  });
});

describe("Payment link form", () => {
  it("refuses a bad amount locally and sends the link request", async () => {
    const sent: PaymentLinkInput[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "create_payment_link") {
        sent.push((args as { input: PaymentLinkInput }).input);
        return { ...detail, payment: { ...detail.payment, status: "created" } };
      }
    });
    const created: PaymentDetail[] = [];
    const user = userEvent.setup();
    const { container } = renderWithProviders(<PaymentLinkForm organizationId="org-1" currency="USD" contactEmail="ops@acme.example" onCreated={(d) => created.push(d)} onCancel={() => {}} />);
    await user.type(container.querySelector('input[name="amount"]')!, "12.345");
    await user.click(screen.getByRole("button", { name: "Create link" }));
    expect(container.querySelector('[data-field-error="amount"]')).toHaveTextContent("positive amount");
    expect(sent).toHaveLength(0);
    await user.clear(container.querySelector('input[name="amount"]')!);
    await user.type(container.querySelector('input[name="amount"]')!, "25.00");
    await user.click(screen.getByLabelText(/send the link by email to ops@acme.example/));
    await user.click(screen.getByRole("button", { name: "Create link" }));
    await waitFor(() => expect(created).toHaveLength(1));
    expect(sent).toEqual([{ organizationId: "org-1", amount: "25.00", sendEmail: true }]);
  });

  it("shows the backend's amount error beside the field", async () => {
    mockIPC((cmd) => {
      if (cmd === "create_payment_link") throw { code: "validation", message: "A payment link is for at most 10,000 USD", fields: [{ field: "amount", message: "A payment link is for at most 10,000 USD: split larger top-ups" }] };
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(<PaymentLinkForm organizationId="org-1" currency="USD" contactEmail={null} onCreated={() => {}} onCancel={() => {}} />);
    expect(container.querySelector('input[name="sendEmail"]')).toBeDisabled();
    await user.type(container.querySelector('input[name="amount"]')!, "20000");
    await user.click(screen.getByRole("button", { name: "Create link" }));
    await waitFor(() => expect(container.querySelector('[data-field-error="amount"]')).toHaveTextContent("split larger top-ups"));
  });
});

describe("Refund form", () => {
  it("refuses more than what is left before asking PayPal", () => {
    expect(checkRefund("25.00", "x", money("20.00"))).toEqual({ amount: expect.stringContaining("At most") });
    expect(checkRefund("20.00", "", money("20.00"))).toEqual({ reason: "Say why: it is printed on the credit note" });
    expect(checkRefund("", "everything", money("20.00"))).toEqual({});
    expect(checkRefund("0", "x", money("20.00")).amount).toBeTruthy();
  });

  it("sends an empty amount as a full refund and shows PayPal's refusal", async () => {
    const sent: RefundInput[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "refund_payment") {
        sent.push((args as { input: RefundInput }).input);
        throw { code: "validation", message: "PayPal refused the refund", fields: [{ field: "amount", message: "PayPal refused the refund of $20.00: it is more than what is left on the capture" }] };
      }
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(<RefundForm detail={detail} onDone={() => {}} onCancel={() => {}} />);
    await user.type(container.querySelector('input[name="reason"]')!, "Closing the account");
    await user.click(screen.getByRole("button", { name: "Refund with PayPal" }));
    await waitFor(() => expect(container.querySelector('[data-field-error="amount"]')).toHaveTextContent("more than what is left"));
    expect(sent).toEqual([{ paymentId: "pay-1", amount: null, reason: "Closing the account" }]);
  });
});

describe("PaymentsPage", () => {
  it("lists a page of payments and sends the status filter to the backend", async () => {
    const inputs: Record<string, unknown>[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "get_paypal_settings") return null;
      if (cmd === "list_payments") {
        inputs.push((args as { filter: Record<string, unknown> }).filter);
        return { rows: [{ ...detail.payment, status: "completed" }], next: null, prev: null, total: 1 };
      }
      return null;
    });
    const user = userEvent.setup();
    const { container } = renderWithProviders(<PaymentsPage />);
    await waitFor(() => expect(container.querySelector(`[data-testid="payments-table"] [data-row-id="${detail.payment.id}"]`)).not.toBeNull());
    expect(inputs[0]).toMatchObject({ status: null, organizationId: null, after: null, limit: 50 });
    await user.selectOptions(container.querySelector('select[name="status"]')!, "refunded");
    await waitFor(() => expect(inputs.at(-1)).toMatchObject({ status: "refunded" }));
  });
});

