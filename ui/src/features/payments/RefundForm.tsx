import * as React from "react";
import type { PaymentDetail } from "@/bindings";
import { Button } from "@/components/ui/button";
import { DialogFooter } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { useToast } from "@/components/ui/toast";
import { checkAmount } from "@/features/billing/WalletCard";
import { compareDecimal, formatMoneyDto, parseDecimal } from "@/lib/money";
import { focusFirstError, useApiForm } from "@/lib/use-api-form";
import { useRefundPayment } from "./api";

const FIELDS = ["amount", "reason"] as const;

/** Client-side checks of a refund: an amount (empty = everything left) not above what is left, and a reason. */
export function checkRefund(amount: string, reason: string, refundable: { amount: string; currency: string }): Record<string, string> {
  const e: Record<string, string> = {};
  const a = amount.trim();
  if (a) {
    const err = checkAmount(a, refundable.currency, { allowNegative: false });
    if (err) e.amount = err;
    else if (compareDecimal(parseDecimal(a)!, parseDecimal(refundable.amount)!) > 0) e.amount = `At most ${formatMoneyDto(refundable)} can be refunded`;
  }
  if (!reason.trim()) e.reason = "Say why: it is printed on the credit note";
  return e;
}

export function RefundForm({ detail, onDone, onCancel }: { detail: PaymentDetail; onDone: () => void; onCancel: () => void }) {
  const p = detail.payment;
  const [v, setV] = React.useState({ amount: "", reason: "" });
  const form = useApiForm(FIELDS);
  const refund = useRefundPayment();
  const toast = useToast();
  const formRef = React.useRef<HTMLFormElement>(null);
  const set = (k: keyof typeof v) => (e: React.ChangeEvent<HTMLInputElement>) => {
    setV((x) => ({ ...x, [k]: e.target.value }));
    form.clear(k);
  };
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (refund.isPending) return;
    const errors = checkRefund(v.amount, v.reason, p.refundable);
    if (Object.keys(errors).length) {
      form.setErrors(errors);
      focusFirstError(formRef.current);
      return;
    }
    refund.mutate(
      { paymentId: p.id, amount: v.amount.trim() || null, reason: v.reason.trim() },
      {
        onSuccess: (d) => {
          const last = d.refunds[d.refunds.length - 1];
          toast.success(last?.status === "completed" ? "Refunded" : "Refund asked of PayPal", last ? `${formatMoneyDto(last.amount)}; a credit note was issued` : undefined);
          onDone();
        },
        onError: (err) => {
          form.fail(err, "Could not refund");
          focusFirstError(formRef.current);
        },
      },
    );
  };
  return (
    <form ref={formRef} onSubmit={submit} noValidate className="grid gap-4" aria-label="Refund payment">
      <Field name="amount" label={`Amount (${p.refundable.currency})`} error={form.errors.amount} hint={`Empty refunds everything left: ${formatMoneyDto(p.refundable)}`}>
        {(props) => <Input {...props} inputMode="decimal" value={v.amount} onChange={set("amount")} placeholder={p.refundable.amount} className="tabular-nums" data-autofocus />}
      </Field>
      <Field name="reason" label="Reason" error={form.errors.reason}>
        {(props) => <Input {...props} value={v.reason} onChange={set("reason")} placeholder="Server cancelled in its first week" />}
      </Field>
      <DialogFooter>
        <Button variant="outline" onClick={onCancel}>Cancel</Button>
        <Button type="submit" variant="destructive" disabled={refund.isPending}>{refund.isPending ? "Refunding…" : "Refund with PayPal"}</Button>
      </DialogFooter>
    </form>
  );
}
