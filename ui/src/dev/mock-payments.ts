// DEV/PREVIEW ONLY. The PayPal half of the mock backend (see mock.ts): PayPal
// settings, payment links, payments that complete when "Check now" is pressed
// after a few seconds (as if the customer paid), refunds.
import type * as T from "@/bindings";

type Ctx = {
  orgs: T.OrganizationDto[];
  currency: string;
  fail: (code: string, message: string, fields?: [string, string][]) => never;
  ago: (min: number) => string;
};

const m = (minor: bigint, currency: string): T.MoneyDto => {
  const s = minor.toString().padStart(3, "0");
  return { minor: minor.toString(), currency, amount: `${s.slice(0, -2)}.${s.slice(-2)}` };
};
const toMinor = (s: string): bigint => {
  const [i, f = ""] = s.trim().split(".");
  return BigInt(i + f.padEnd(2, "0").slice(0, 2));
};
const ppId = () => Array.from({ length: 17 }, () => "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"[Math.floor(Math.random() * 33)]).join("");

type Rec = { p: T.PaymentDto; refunds: T.PaymentRefundDto[]; history: T.PaymentEventDto[]; contactEmail: string | null; created: number };
let state: null | { settings: T.PayPalSettingsDto; payments: Rec[] } = null;

function init(c: Ctx) {
  if (state) return state;
  const empty = new URLSearchParams(location.search).get("mock") === "empty";
  const settings: T.PayPalSettingsDto = empty
    ? { configured: false, clientId: "", hasSecret: false, environment: "sandbox", baseUrl: null, webhookId: null, effectiveBaseUrl: "https://api-m.sandbox.paypal.com" }
    : { configured: true, clientId: "AZk3-demo-client-id", hasSecret: true, environment: "sandbox", baseUrl: null, webhookId: "1JE4291016473214C", effectiveBaseUrl: "https://api-m.sandbox.paypal.com" };
  const payments: Rec[] = [];
  if (!empty) {
    const rows: [number, string, string, string][] = [[0, "120.00", "completed", "0.00"], [1, "25.00", "created", "0.00"], [2, "60.00", "partially_refunded", "20.00"], [0, "15.00", "failed", "0.00"]];
    rows.forEach(([oi, amount, status, refunded], i) => {
      const o = c.orgs[oi % Math.max(1, c.orgs.length)];
      if (!o) return;
      const orderId = ppId();
      const done = status === "completed" || status === "partially_refunded";
      const minor = toMinor(amount);
      const ref = toMinor(refunded);
      payments.push({
        p: {
          id: `pay_${i}`, organizationId: o.id, organizationName: o.name, status, amount: m(minor, c.currency), captured: done ? m(minor, c.currency) : null,
          refunded: m(ref, c.currency), refundable: m(done ? minor - ref : 0n, c.currency), orderId, captureId: done ? ppId() : null,
          approveUrl: `https://www.sandbox.paypal.com/checkoutnow?token=${orderId}`, receiptId: null, failure: status === "failed" ? "PayPal voided the order: make a new link" : null,
          environment: "sandbox", createdAt: c.ago(60 * 24 * (i + 1)), updatedAt: c.ago(60 * 24 * i), completedAt: done ? c.ago(60 * 24 * i + 30) : null,
        },
        refunds: ref > 0n ? [{ id: `ref_${i}`, amount: m(ref, c.currency), reason: "Server cancelled", status: "completed", paypalRefundId: ppId(), creditNoteId: null, failure: null, createdAt: c.ago(60 * 5), completedAt: c.ago(60 * 5) }] : [],
        history: [{ at: c.ago(60 * 24 * (i + 1)), kind: "created", detail: `Payment link for ${amount} created by staff:owner` }],
        contactEmail: o.contactEmail,
        created: Date.now() - 86_400_000,
      });
    });
  }
  state = { settings, payments };
  return state;
}

function detail(r: Rec): T.PaymentDetail {
  return { payment: r.p, refunds: r.refunds, history: r.history, contactEmail: r.contactEmail };
}

function find(s: NonNullable<typeof state>, id: string, c: Ctx): Rec {
  return s.payments.find((r) => r.p.id === id) ?? c.fail("not_found", `There is no payment ${id}: refresh the payments list`);
}

export function handlePayments(cmd: string, args: Record<string, any>, c: Ctx): unknown {
  const s = init(c);
  const now = () => new Date().toISOString();
  switch (cmd) {
    case "get_paypal_settings":
      return s.settings;
    case "save_paypal_settings": {
      const i = args.input as T.PayPalSettingsInput;
      if (!i.clientId.trim()) c.fail("validation", "Paste the client id", [["clientId", "Paste the client id of your PayPal REST app"]]);
      if (!i.secret && !s.settings.hasSecret) c.fail("validation", "Paste the secret", [["secret", "Paste the secret of your PayPal REST app"]]);
      s.settings = { configured: true, clientId: i.clientId.trim(), hasSecret: true, environment: i.environment, baseUrl: i.baseUrl, webhookId: i.webhookId, effectiveBaseUrl: i.baseUrl ?? (i.environment === "live" ? "https://api-m.paypal.com" : "https://api-m.sandbox.paypal.com") };
      return s.settings;
    }
    case "test_paypal_connection":
      if (!s.settings.configured) c.fail("unavailable", "PayPal is not set up: add the REST app's client id and secret in Settings → Payments");
      if (s.settings.clientId.includes("wrong")) c.fail("validation", "PayPal (sandbox) refused this client id and secret: check both, and that sandbox/live matches the app they come from", [["secret", "refused"]]);
      return { message: `Connected: PayPal (${s.settings.environment}) accepted the client id and secret`, baseUrl: s.settings.effectiveBaseUrl };
    case "list_payments": {
      const f = args.filter as T.PaymentFilterInput;
      return s.payments.filter((r) => (!f.status || r.p.status === f.status) && (!f.organizationId || r.p.organizationId === f.organizationId)).map((r) => r.p);
    }
    case "get_payment":
      return detail(find(s, args.id, c));
    case "create_payment_link": {
      const i = args.input as T.PaymentLinkInput;
      if (!s.settings.configured) c.fail("unavailable", "PayPal is not set up: add the REST app's client id and secret in Settings → Payments");
      if (!/^\d{1,7}(\.\d{1,2})?$/.test(i.amount.trim()) || toMinor(i.amount) <= 0n) c.fail("validation", "Amount", [["amount", "A top-up must be more than zero"]]);
      const o = c.orgs.find((x) => x.id === i.organizationId) ?? c.fail("not_found", "There is no such customer");
      const orderId = ppId();
      const r: Rec = {
        p: {
          id: `pay_${Date.now()}`, organizationId: o.id, organizationName: o.name, status: "created", amount: m(toMinor(i.amount), c.currency), captured: null, refunded: m(0n, c.currency),
          refundable: m(0n, c.currency), orderId, captureId: null, approveUrl: `https://www.sandbox.paypal.com/checkoutnow?token=${orderId}`, receiptId: null, failure: null,
          environment: s.settings.environment, createdAt: now(), updatedAt: now(), completedAt: null,
        },
        refunds: [],
        history: [{ at: now(), kind: "created", detail: `Payment link for ${i.amount} created by staff:owner` }, { at: now(), kind: "order_created", detail: `PayPal order ${orderId} created; waiting for the customer to approve it` }],
        contactEmail: o.contactEmail,
        created: Date.now(),
      };
      if (i.sendEmail) r.history.push({ at: now(), kind: "emailed", detail: `Link emailed to ${o.contactEmail}` });
      s.payments.unshift(r);
      return detail(r);
    }
    case "send_payment_link": {
      const r = find(s, args.id, c);
      r.history.push({ at: now(), kind: "emailed", detail: `Link emailed to ${r.contactEmail}` });
      return detail(r);
    }
    case "check_payment": {
      const r = find(s, args.id, c);
      if (r.p.status === "created" && Date.now() - r.created > 5000) {
        r.p = { ...r.p, status: "completed", captured: r.p.amount, refundable: r.p.amount, captureId: ppId(), completedAt: now(), updatedAt: now() };
        r.history.push({ at: now(), kind: "completed", detail: `Captured ${r.p.amount.amount} (seen by a check); wallet credited` });
      }
      return detail(r);
    }
    case "refund_payment": {
      const i = args.input as T.RefundInput;
      const r = find(s, i.paymentId, c);
      if (!i.reason.trim()) c.fail("validation", "Reason", [["reason", "Say why the money goes back: it is printed on the credit note"]]);
      const left = BigInt(r.p.refundable.minor);
      const amt = i.amount ? toMinor(i.amount) : left;
      if (amt > left) c.fail("validation", "Too much", [["amount", `At most ${r.p.refundable.amount} can be refunded`]]);
      const refunded = BigInt(r.p.refunded.minor) + amt;
      r.refunds.push({ id: `ref_${Date.now()}`, amount: m(amt, c.currency), reason: i.reason.trim(), status: "completed", paypalRefundId: ppId(), creditNoteId: null, failure: null, createdAt: now(), completedAt: now() });
      r.p = { ...r.p, refunded: m(refunded, c.currency), refundable: m(left - amt, c.currency), status: left - amt === 0n ? "refunded" : "partially_refunded", updatedAt: now() };
      r.history.push({ at: now(), kind: "refunded", detail: `Refunded ${m(amt, c.currency).amount}` });
      return detail(r);
    }
    default:
      return undefined;
  }
}
