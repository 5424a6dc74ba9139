import * as React from "react";
import { Link } from "react-router";
import { Plus, SlidersHorizontal } from "lucide-react";
import type { AdjustmentInput, PaymentInput, WalletDetail, WalletEntryDto } from "@/api/client";
import { useRecordAdjustment, useRecordPayment, useWallet, useWalletEntries } from "@/api/queries";
import { QueryError } from "@/components/query-state";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { PagedTable } from "@/components/ui/paged-table";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input, Select } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import { formatDateTime } from "@/lib/format";
import { currencyDigits, formatMoney, formatMoneyDto } from "@/lib/money";
import type { Column } from "@/lib/table";
import { focusFirstError, useApiForm } from "@/lib/use-api-form";
import { SignedMoney, WalletStateBadge, entryKindLabel } from "@/components/wallet-state";

const entryColumns: Column<WalletEntryDto>[] = [
  {
    accessorKey: "at",
    header: "Date",
    cell: ({ getValue }) => <span className="whitespace-nowrap text-muted-foreground">{formatDateTime(getValue())}</span>,
  },
  { accessorKey: "kind", header: "Kind", cell: ({ getValue }) => entryKindLabel(getValue()) },
  {
    accessorKey: "memo",
    header: "Memo",
    cell: ({ row }) =>
      row.original.documentId ? (
        <Link to={`/invoices/${row.original.documentId}`} className="block max-w-[24rem] truncate hover:underline" title={row.original.memo}>{row.original.memo}</Link>
      ) : (
        <span className="block max-w-[24rem] truncate" title={row.original.memo}>{row.original.memo}</span>
      ),
  },
  {
    id: "amount",
    accessorFn: (e) => e.amount.amount,
    header: "Amount",
    meta: { align: "right" },
    cell: ({ row }) => <SignedMoney m={row.original.amount} />,
  },
];

/** A customer's prepaid wallet: balance, state, ledger, and the forms that credit or debit it. */
export function WalletCard({ organizationId }: { organizationId: string }) {
  const q = useWallet(organizationId);
  const [dialog, setDialog] = React.useState<null | "payment" | "adjustment">(null);
  return (
    <Card data-testid="wallet-card">
      <CardHeader className="flex-row flex-wrap items-center justify-between gap-2">
        <CardTitle>Wallet</CardTitle>
        <div className="flex gap-2">
          <Button variant="outline" size="sm" onClick={() => setDialog("adjustment")} disabled={!q.data}><SlidersHorizontal /> Adjust balance</Button>
          <Button size="sm" onClick={() => setDialog("payment")} disabled={!q.data}><Plus /> Record payment</Button>
        </div>
      </CardHeader>
      <CardContent className="grid gap-4">
        {q.isError ? (
          <QueryError what="wallet" error={q.error} retry={() => q.refetch()} />
        ) : !q.data ? (
          <Skeleton className="h-24" />
        ) : (
          <>
            <div className="flex flex-wrap items-end gap-x-8 gap-y-2">
              <div>
                <p className="text-sm text-muted-foreground">Balance</p>
                <SignedMoney m={q.data.wallet.balance} className="text-2xl font-semibold tracking-tight" testId="wallet-balance" />
              </div>
              <div className="grid gap-1">
                <p className="text-sm text-muted-foreground">State</p>
                <WalletStateBadge state={q.data.wallet.state} />
              </div>
              <div>
                <p className="text-sm text-muted-foreground">Low-balance warning at</p>
                <p className="tabular-nums">{formatMoneyDto(q.data.wallet.lowBalanceThreshold)}</p>
              </div>
              {q.data.wallet.stateSince && (
                <div>
                  <p className="text-sm text-muted-foreground">Since</p>
                  <p>{formatDateTime(q.data.wallet.stateSince)}</p>
                </div>
              )}
            </div>
            <WalletEntries organizationId={organizationId} />
          </>
        )}
      </CardContent>
      {q.data && (
        <>
          <Dialog open={dialog === "payment"} onOpenChange={(o) => setDialog(o ? "payment" : null)}>
            <DialogContent>
              <DialogHeader>
                <DialogTitle>Record payment</DialogTitle>
                <DialogDescription>Money {q.data.wallet.organizationName} paid you. It credits the wallet and issues a receipt.</DialogDescription>
              </DialogHeader>
              {dialog === "payment" && <PaymentForm organizationId={organizationId} currency={q.data.wallet.balance.currency} onDone={() => setDialog(null)} onCancel={() => setDialog(null)} />}
            </DialogContent>
          </Dialog>
          <Dialog open={dialog === "adjustment"} onOpenChange={(o) => setDialog(o ? "adjustment" : null)}>
            <DialogContent>
              <DialogHeader>
                <DialogTitle>Adjust balance</DialogTitle>
                <DialogDescription>A correction or goodwill credit. A negative amount debits the wallet.</DialogDescription>
              </DialogHeader>
              {dialog === "adjustment" && <AdjustmentForm organizationId={organizationId} currency={q.data.wallet.balance.currency} onDone={() => setDialog(null)} onCancel={() => setDialog(null)} />}
            </DialogContent>
          </Dialog>
        </>
      )}
    </Card>
  );
}

/** The wallet's transactions, newest first, read a page at a time as the table scrolls. */
function WalletEntries({ organizationId }: { organizationId: string }) {
  const q = useWalletEntries(organizationId);
  if (q.isPending) return <Skeleton className="h-24" />;
  if (q.isError) return <QueryError what="wallet transactions" error={q.error} retry={() => q.refetch()} />;
  if (q.data.pages[0]?.total === 0) return <p className="py-4 text-center text-sm text-muted-foreground">No payments or charges yet</p>;
  return (
    <PagedTable
      testId="wallet-entries-table"
      query={q}
      columns={entryColumns}
      sortable={[]}
      sort={{ id: "at", desc: true }}
      onSort={() => {}}
      getRowId={(e) => e.txnId}
    />
  );
}

/** A money amount typed by the user: digits with up to the currency's decimals, "." as separator; optionally signed. */
export function checkAmount(raw: string, currency: string, { allowNegative }: { allowNegative: boolean }): string | null {
  const s = raw.trim();
  const digits = currencyDigits(currency);
  const re = new RegExp(`^${allowNegative ? "-?" : ""}\\d{1,9}${digits > 0 ? `(\\.\\d{1,${digits}})?` : ""}$`);
  if (!s) return "Amount is required";
  if (!re.test(s)) {
    const example = digits > 0 ? "50." + "0".repeat(digits) : "50";
    return allowNegative ? `Enter an amount like ${example} or -${example}` : `Enter a positive amount like ${example}`;
  }
  if (/^-?0*(\.0*)?$/.test(s)) return "Amount must not be zero";
  return null;
}

const PAYMENT_FIELDS = ["amount", "method", "reference", "note"] as const;
const METHODS = [
  { value: "bank_transfer", label: "Bank transfer" },
  { value: "cash", label: "Cash" },
  { value: "other", label: "Other" },
] as const;

export function PaymentForm({ organizationId, currency, onDone, onCancel }: { organizationId: string; currency: string; onDone: (d: WalletDetail) => void; onCancel: () => void }) {
  const [v, setV] = React.useState({ amount: "", method: "bank_transfer", reference: "", note: "" });
  const form = useApiForm(PAYMENT_FIELDS);
  const pay = useRecordPayment();
  const toast = useToast();
  const formRef = React.useRef<HTMLFormElement>(null);
  const set = (k: keyof typeof v) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => {
    setV((x) => ({ ...x, [k]: e.target.value }));
    form.clear(k);
  };
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (pay.isPending) return;
    const input: PaymentInput = {
      organizationId,
      amount: v.amount.trim(),
      method: v.method,
      reference: v.reference.trim(),
      note: v.note.trim() ? v.note.trim() : null,
    };
    const local: Record<string, string> = {};
    const amountError = checkAmount(input.amount, currency, { allowNegative: false });
    if (amountError) local.amount = amountError;
    if (!input.reference) local.reference = "Reference is required: the bank reference or receipt number";
    if (Object.keys(local).length) {
      form.setErrors(local);
      focusFirstError(formRef.current);
      return;
    }
    pay.mutate(input, {
      onSuccess: (d) => {
        toast.success("Payment recorded", `${formatMoney(input.amount, currency)} from ${d.wallet.organizationName}`);
        onDone(d);
      },
      onError: (err) => {
        form.fail(err, "Could not record the payment");
        focusFirstError(formRef.current);
      },
    });
  };
  return (
    <form ref={formRef} onSubmit={submit} noValidate className="grid gap-4" aria-label="Record payment">
      <div className="grid gap-4 sm:grid-cols-2">
        <Field name="amount" label={`Amount (${currency})`} error={form.errors.amount}>
          {(p) => <Input {...p} inputMode="decimal" value={v.amount} onChange={set("amount")} placeholder="50.00" className="tabular-nums" data-autofocus />}
        </Field>
        <Field name="method" label="Method" error={form.errors.method}>
          {(p) => (
            <Select {...p} value={v.method} onChange={set("method")}>
              {METHODS.map((m) => <option key={m.value} value={m.value}>{m.label}</option>)}
            </Select>
          )}
        </Field>
      </div>
      <Field name="reference" label="Reference" error={form.errors.reference} hint="Bank reference or receipt number; the same reference is recorded once">
        {(p) => <Input {...p} value={v.reference} onChange={set("reference")} placeholder="TRX-2026-0042" />}
      </Field>
      <Field name="note" label={<>Note <span className="font-normal text-muted-foreground">(optional)</span></>} error={form.errors.note}>
        {(p) => <Input {...p} value={v.note} onChange={set("note")} />}
      </Field>
      <DialogFooter>
        <Button variant="outline" onClick={onCancel}>Cancel</Button>
        <Button type="submit" disabled={pay.isPending}>Record payment</Button>
      </DialogFooter>
    </form>
  );
}

const ADJUSTMENT_FIELDS = ["amount", "reason"] as const;

export function AdjustmentForm({ organizationId, currency, onDone, onCancel }: { organizationId: string; currency: string; onDone: (d: WalletDetail) => void; onCancel: () => void }) {
  const [v, setV] = React.useState({ amount: "", reason: "" });
  // One key per opening of the form: a double click, or a retry after a lost answer, records once.
  const [key] = React.useState(() => crypto.randomUUID());
  const form = useApiForm(ADJUSTMENT_FIELDS);
  const adjust = useRecordAdjustment();
  const toast = useToast();
  const formRef = React.useRef<HTMLFormElement>(null);
  const set = (k: keyof typeof v) => (e: React.ChangeEvent<HTMLInputElement>) => {
    setV((x) => ({ ...x, [k]: e.target.value }));
    form.clear(k);
  };
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (adjust.isPending) return;
    const input: AdjustmentInput = { organizationId, amount: v.amount.trim(), reason: v.reason.trim(), key };
    const local: Record<string, string> = {};
    const amountError = checkAmount(input.amount, currency, { allowNegative: true });
    if (amountError) local.amount = amountError;
    if (!input.reason) local.reason = "Reason is required: it appears in the ledger";
    if (Object.keys(local).length) {
      form.setErrors(local);
      focusFirstError(formRef.current);
      return;
    }
    adjust.mutate(input, {
      onSuccess: (d) => {
        toast.success("Adjustment saved", `${formatMoney(input.amount, currency)} for ${d.wallet.organizationName}`);
        onDone(d);
      },
      onError: (err) => {
        form.fail(err, "Could not save the adjustment");
        focusFirstError(formRef.current);
      },
    });
  };
  return (
    <form ref={formRef} onSubmit={submit} noValidate className="grid gap-4" aria-label="Adjust balance">
      <Field name="amount" label={`Amount (${currency})`} error={form.errors.amount} hint="Negative to debit, e.g. -5.00">
        {(p) => <Input {...p} inputMode="decimal" value={v.amount} onChange={set("amount")} placeholder="10.00" className="tabular-nums" data-autofocus />}
      </Field>
      <Field name="reason" label="Reason" error={form.errors.reason}>
        {(p) => <Input {...p} value={v.reason} onChange={set("reason")} placeholder="Goodwill credit for the outage on 3 March" />}
      </Field>
      <DialogFooter>
        <Button variant="outline" onClick={onCancel}>Cancel</Button>
        <Button type="submit" disabled={adjust.isPending}>Save adjustment</Button>
      </DialogFooter>
    </form>
  );
}
