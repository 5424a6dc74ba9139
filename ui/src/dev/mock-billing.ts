// DEV/PREVIEW ONLY. The billing half of the mock backend (see mock.ts): wallets
// with ledgers, documents, a billing overview and billing settings.
import type * as T from "@/bindings";

type Ctx = {
  orgs: T.OrganizationDto[];
  currency: string;
  fail: (code: string, message: string, fields?: [string, string][]) => never;
  ago: (min: number) => string;
};

const m = (minor: bigint, currency: string): T.MoneyDto => {
  const neg = minor < 0n;
  const s = (neg ? -minor : minor).toString().padStart(3, "0");
  return { minor: minor.toString(), currency, amount: `${neg ? "-" : ""}${s.slice(0, -2)}.${s.slice(-2)}` };
};
const toMinor = (s: string): bigint => {
  const [i, f = ""] = s.trim().split(".");
  const neg = i.startsWith("-");
  const v = BigInt((neg ? i.slice(1) : i) + f.padEnd(2, "0").slice(0, 2));
  return neg ? -v : v;
};

let state: null | {
  wallets: Map<string, { balance: bigint; state: string; since: string | null; entries: T.WalletEntryDto[] }>;
  docs: T.DocumentDetail[];
  refs: Set<string>;
  keys: Set<string>;
  settings: T.BillingSettingsDto;
  lastRun: T.BillingRunDto | null;
  seq: Record<string, number>;
} = null;

function init(c: Ctx) {
  if (state) return state;
  const wallets = new Map();
  const docs: T.DocumentDetail[] = [];
  const seq: Record<string, number> = { invoice: 0, receipt: 0, credit_note: 0 };
  const balances = [["842.10", "good"], ["4.35", "good"], ["-18.40", "grace"], ["-61.20", "suspended"], ["120.00", "good"], ["0.00", "terminated"]];
  c.orgs.forEach((o, i) => {
    const [bal, st] = balances[i % balances.length];
    const entries: T.WalletEntryDto[] = [];
    const paid = toMinor(bal) + 18000n;
    entries.push({ txnId: `txn_${i}_1`, at: c.ago(60 * 24 * 40), kind: "payment", memo: "Bank transfer TRX-" + (4100 + i), amount: m(paid, c.currency), documentId: null });
    for (let d = 0; d < 3; d++) {
      entries.push({ txnId: `txn_${i}_u${d}`, at: c.ago(60 * 24 * (30 - d * 10)), kind: "usage", memo: `Hourly usage, ${240} h`, amount: m(-6000n, c.currency), documentId: null });
    }
    wallets.set(o.id, { balance: toMinor(bal), state: st, since: st === "good" ? null : c.ago(60 * (i + 5)), entries });
    seq.invoice++;
    const id = `doc_inv_${i}`;
    const lines: T.DocumentLineDto[] = [
      { description: "web-01 · Starter 2 GB", hours: "672", rate: { amount: "0.0275", micros: "27500", currency: c.currency }, amount: m(1848n, c.currency), capped: false, taxName: "VAT" },
      { description: "db-01 · Performance 8 GB", hours: "720", rate: { amount: "0.125", micros: "125000", currency: c.currency }, amount: m(8000n, c.currency), capped: true, taxName: "VAT" },
    ];
    const sub = 9848n;
    const tax = 2068n;
    docs.push({
      summary: {
        id, kind: "invoice", number: `INV-2026-${String(seq.invoice).padStart(4, "0")}`, organizationId: o.id, organizationName: o.name, period: "2026-02",
        subtotal: m(sub, c.currency), tax: m(tax, c.currency), total: m(sub + tax, c.currency), issuedAt: c.ago(60 * 24 * 3), creditsDocumentId: null, voidedBy: null,
      },
      customerName: o.name, customerCountry: o.country, customerTaxId: o.taxId, taxNote: null,
      reference: null, reason: null, lines, taxTotals: [{ name: "VAT", ratePercent: "21", net: m(sub, c.currency), tax: m(tax, c.currency) }],
    });
  });
  state = {
    wallets, docs, refs: new Set(), keys: new Set(), seq,
    settings: {
      sellerCountry: "NL", lowBalanceThreshold: "10.00", suspendAt: "0.00", graceHours: 72, terminateAfterDays: 30, terminationWarningDays: [7, 3, 1],
      invoiceNumberFormat: "INV-{yyyy}-{seq:4}", receiptNumberFormat: "RCT-{yyyy}-{seq:4}", creditNoteNumberFormat: "CN-{yyyy}-{seq:4}", autoInvoice: true,
      taxRates: [{ country: "NL", region: "", name: "BTW", ratePercent: "21" }, { country: "DE", region: "", name: "MwSt", ratePercent: "19" }],
    },
    lastRun: { at: c.ago(12), through: c.ago(60), hoursBilled: "1", invoicesIssued: 0, decisions: 1, error: null },
  };
  return state;
}

function walletDto(c: Ctx, orgId: string): T.WalletDto {
  const s = init(c);
  const w = s.wallets.get(orgId) ?? { balance: 0n, state: "good", since: null, entries: [] };
  if (!s.wallets.has(orgId)) s.wallets.set(orgId, w);
  const o = c.orgs.find((x) => x.id === orgId);
  if (!o) c.fail("not_found", "No such customer");
  return { organizationId: orgId, organizationName: o.name, balance: m(w.balance, c.currency), lowBalanceThreshold: m(toMinor(s.settings.lowBalanceThreshold), c.currency), state: w.state, stateSince: w.since };
}

function detail(c: Ctx, orgId: string): T.WalletDetail {
  const s = init(c);
  const wallet = walletDto(c, orgId);
  const entries = [...s.wallets.get(orgId)!.entries].sort((a, b) => b.at.localeCompare(a.at));
  return { wallet, entries, documents: s.docs.filter((d) => d.summary.organizationId === orgId).map((d) => d.summary) };
}

function credit(c: Ctx, orgId: string, minor: bigint, kind: string, memo: string, documentId: string | null) {
  const w = init(c).wallets.get(orgId)!;
  w.balance += minor;
  w.entries.push({ txnId: `txn_${Math.random().toString(36).slice(2, 9)}`, at: new Date().toISOString(), kind, memo, amount: m(minor, c.currency), documentId });
  if (w.balance > 0n && (w.state === "grace" || w.state === "suspended")) {
    w.state = "good";
    w.since = null;
  }
}

const AMOUNT = /^-?\d{1,9}(\.\d{1,2})?$/;

/** Handles a billing command, or returns `undefined` when `cmd` is not one. */
export function handleBilling(cmd: string, args: Record<string, any>, c: Ctx): unknown {
  const s = init(c);
  switch (cmd) {
    case "billing_overview": {
      const ws = c.orgs.map((o) => walletDto(c, o.id));
      const low = toMinor(s.settings.lowBalanceThreshold);
      return {
        revenueThisMonth: m(s.docs.filter((d) => d.summary.kind === "invoice" && !d.summary.voidedBy).reduce((a, d) => a + BigInt(d.summary.total.minor), 0n), c.currency),
        walletsTotal: m(ws.reduce((a, w) => a + BigInt(w.balance.minor), 0n), c.currency),
        customersLow: ws.filter((w) => w.state === "good" && BigInt(w.balance.minor) < low).length,
        customersInGrace: ws.filter((w) => w.state === "grace").length,
        customersSuspended: ws.filter((w) => w.state === "suspended").length,
        upcomingSuspensions: ws.filter((w) => w.state === "grace").map((w) => ({ wallet: w, suspendAt: new Date(new Date(w.stateSince!).getTime() + s.settings.graceHours * 3600_000).toISOString() })),
        lastRun: s.lastRun,
        failedRuns: c.orgs.length ? [{ at: c.ago(60 * 26), through: c.ago(60 * 27), hoursBilled: "0", invoicesIssued: 0, decisions: 0, error: "Linode: 503 Service Unavailable while suspending kestrel-api-01; will retry next hour" }] : [],
      } satisfies T.BillingOverview;
    }
    case "run_billing_now":
      s.lastRun = { at: new Date().toISOString(), through: new Date(Date.now() - 3600_000).toISOString(), hoursBilled: "1", invoicesIssued: 0, decisions: 0, error: null };
      return s.lastRun;
    case "list_wallets":
      return c.orgs.map((o) => walletDto(c, o.id));
    case "get_wallet":
      return detail(c, args.organizationId);
    case "record_payment": {
      const input = args.input as T.PaymentInput;
      const f: [string, string][] = [];
      if (!AMOUNT.test(input.amount) || input.amount.startsWith("-") || toMinor(input.amount) === 0n) f.push(["amount", "Enter a positive amount like 50.00"]);
      if (!input.reference.trim()) f.push(["reference", "Reference is required"]);
      if (f.length) c.fail("validation", "Some fields need attention", f);
      if (s.refs.has(input.reference.trim())) return detail(c, input.organizationId);
      s.refs.add(input.reference.trim());
      const org = c.orgs.find((o) => o.id === input.organizationId)!;
      s.seq.receipt++;
      const id = `doc_rct_${s.seq.receipt}`;
      const amt = toMinor(input.amount);
      s.docs.push({
        summary: { id, kind: "receipt", number: `RCT-2026-${String(s.seq.receipt).padStart(4, "0")}`, organizationId: org.id, organizationName: org.name, period: null, subtotal: m(amt, c.currency), tax: m(0n, c.currency), total: m(amt, c.currency), issuedAt: new Date().toISOString(), creditsDocumentId: null, voidedBy: null },
        customerName: org.name, customerCountry: org.country, customerTaxId: org.taxId, taxNote: null, reference: input.reference, reason: null,
        lines: [{ description: `Payment by ${input.method.replace("_", " ")}`, hours: null, rate: null, amount: m(amt, c.currency), capped: false, taxName: "" }], taxTotals: [],
      });
      credit(c, org.id, amt, "payment", `Payment ${input.reference}${input.note ? ` · ${input.note}` : ""}`, id);
      return detail(c, org.id);
    }
    case "record_adjustment": {
      const input = args.input as T.AdjustmentInput;
      const f: [string, string][] = [];
      if (!AMOUNT.test(input.amount) || toMinor(input.amount) === 0n) f.push(["amount", "Enter an amount like 10.00 or -10.00"]);
      if (!input.reason.trim()) f.push(["reason", "Reason is required"]);
      if (f.length) c.fail("validation", "Some fields need attention", f);
      if (!s.keys.has(input.key)) {
        s.keys.add(input.key);
        credit(c, input.organizationId, toMinor(input.amount), "adjustment", input.reason, null);
      }
      return detail(c, input.organizationId);
    }
    case "list_documents": {
      const f = args.filter as T.DocumentFilterInput;
      return s.docs
        .map((d) => d.summary)
        .filter((d) => (!f.organizationId || d.organizationId === f.organizationId) && (!f.kind || d.kind === f.kind) && (!f.period || d.period === f.period || (d.issuedAt ?? "").startsWith(f.period)));
    }
    case "get_document": {
      const d = s.docs.find((x) => x.summary.id === args.id);
      if (!d) c.fail("not_found", "No such document");
      return d;
    }
    case "void_invoice": {
      const d = s.docs.find((x) => x.summary.id === args.id);
      if (!d) c.fail("not_found", "No such document");
      if (d.summary.voidedBy) c.fail("conflict", "This invoice is already voided");
      if (!String(args.reason ?? "").trim()) c.fail("validation", "Some fields need attention", [["reason", "Reason is required"]]);
      s.seq.credit_note++;
      const id = `doc_cn_${s.seq.credit_note}`;
      const neg = (x: T.MoneyDto) => m(-BigInt(x.minor), c.currency);
      const cn: T.DocumentDetail = {
        ...structuredClone(d),
        summary: { ...d.summary, id, kind: "credit_note", number: `CN-2026-${String(s.seq.credit_note).padStart(4, "0")}`, subtotal: neg(d.summary.subtotal), tax: neg(d.summary.tax), total: neg(d.summary.total), issuedAt: new Date().toISOString(), creditsDocumentId: d.summary.id, voidedBy: null },
        reason: args.reason,
        lines: d.lines.map((l) => ({ ...l, amount: neg(l.amount) })),
        taxTotals: d.taxTotals.map((t) => ({ ...t, net: neg(t.net), tax: neg(t.tax) })),
      };
      s.docs.push(cn);
      d.summary.voidedBy = id;
      credit(c, d.summary.organizationId, BigInt(d.summary.total.minor), "credit_note", `Credit note ${cn.summary.number}`, id);
      return cn.summary;
    }
    case "save_document_pdf": {
      const d = s.docs.find((x) => x.summary.id === args.id);
      if (!d) c.fail("not_found", "No such document");
      return { path: `/home/demo/Downloads/${d.summary.number ?? d.summary.id}.pdf` };
    }
    case "get_billing_settings":
      return s.settings;
    case "update_billing_settings": {
      const input = args.input as T.BillingSettingsDto;
      const f: [string, string][] = [];
      input.taxRates.forEach((r, i) => {
        if (!/^\d{1,2}(\.\d+)?$/.test(r.ratePercent)) f.push([`taxRates.${i}.ratePercent`, "Rate must be a percent below 100"]);
      });
      if (f.length) c.fail("validation", "Some fields need attention", f);
      s.settings = input;
      return s.settings;
    }
    default:
      return undefined;
  }
}
