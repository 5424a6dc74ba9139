import * as React from "react";
import { Link } from "react-router";
import { Check, Copy, Mail, RefreshCw } from "lucide-react";
import type { PaymentDetail } from "@/bindings";
import { ApiError } from "@/api/client";
import { Button } from "@/components/ui/button";
import { DialogFooter } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Checkbox, Input, Label } from "@/components/ui/input";
import { useToast } from "@/components/ui/toast";
import { checkAmount } from "@/features/billing/WalletCard";
import { formatMoneyDto } from "@/lib/money";
import { focusFirstError, useApiForm } from "@/lib/use-api-form";
import { useCheckPayment, useCreatePaymentLink, useSendPaymentLink } from "./api";

const FIELDS = ["amount", "sendEmail"] as const;

/** Staff asks for a top-up: amount in the reseller's currency, optionally emailed to the customer. */
export function PaymentLinkForm({
  organizationId,
  currency,
  contactEmail,
  onCreated,
  onCancel,
}: {
  organizationId: string;
  currency: string;
  contactEmail?: string | null;
  onCreated: (d: PaymentDetail) => void;
  onCancel: () => void;
}) {
  const [amount, setAmount] = React.useState("");
  const [sendEmail, setSendEmail] = React.useState(false);
  const form = useApiForm(FIELDS);
  const create = useCreatePaymentLink();
  const toast = useToast();
  const formRef = React.useRef<HTMLFormElement>(null);
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (create.isPending) return;
    const err = checkAmount(amount, currency, { allowNegative: false });
    if (err) {
      form.setErrors({ amount: err });
      focusFirstError(formRef.current);
      return;
    }
    create.mutate(
      { organizationId, amount: amount.trim(), sendEmail },
      {
        onSuccess: (d) => {
          toast.success("Payment link created", `${formatMoneyDto(d.payment.amount)}${sendEmail ? ", emailed to the customer" : ""}`);
          onCreated(d);
        },
        onError: (error) => {
          form.fail(error, ApiError.from(error).code === "unavailable" ? "PayPal is not reachable" : "Could not create the link");
          focusFirstError(formRef.current);
        },
      },
    );
  };
  return (
    <form ref={formRef} onSubmit={submit} noValidate className="grid gap-4" aria-label="Create payment link">
      <Field name="amount" label={`Amount (${currency})`} error={form.errors.amount} hint="The customer pays this with PayPal; the wallet is credited when the payment completes">
        {(p) => (
          <Input
            {...p}
            inputMode="decimal"
            value={amount}
            onChange={(e) => {
              setAmount(e.target.value);
              form.clear("amount");
            }}
            placeholder="50.00"
            className="tabular-nums"
            data-autofocus
          />
        )}
      </Field>
      <div className="flex items-center gap-2">
        <Checkbox id="payment-send-email" name="sendEmail" checked={sendEmail} onChange={(e) => setSendEmail(e.target.checked)} disabled={!contactEmail} />
        <Label htmlFor="payment-send-email" className="font-normal">
          {contactEmail ? <>Also send the link by email to {contactEmail}</> : "The customer has no contact email: copy the link instead"}
        </Label>
      </div>
      <DialogFooter>
        <Button variant="outline" onClick={onCancel}>Cancel</Button>
        <Button type="submit" disabled={create.isPending}>{create.isPending ? "Asking PayPal…" : "Create link"}</Button>
      </DialogFooter>
    </form>
  );
}

/** The link the customer pays at, with Copy, Send by email and Check now. */
export function PaymentLinkBox({ detail }: { detail: PaymentDetail }) {
  const p = detail.payment;
  const [copied, setCopied] = React.useState(false);
  const send = useSendPaymentLink();
  const check = useCheckPayment();
  const toast = useToast();
  const copy = async () => {
    if (!p.approveUrl) return;
    try {
      await navigator.clipboard.writeText(p.approveUrl);
      setCopied(true);
      window.setTimeout(() => setCopied(false), 2000);
    } catch {
      toast.error("Could not copy", "Select the link and copy it by hand");
    }
  };
  const open = p.status === "created";
  return (
    <div className="grid gap-3" data-testid="payment-link-box">
      {p.approveUrl && open ? (
        <div className="grid gap-1.5">
          <Label htmlFor={`link-${p.id}`}>Payment link</Label>
          <div className="flex gap-2">
            <Input id={`link-${p.id}`} readOnly value={p.approveUrl} data-testid="payment-link-url" className="font-mono text-xs" onFocus={(e) => e.currentTarget.select()} />
            <Button variant="outline" onClick={copy} aria-label="Copy link">{copied ? <Check /> : <Copy />} {copied ? "Copied" : "Copy link"}</Button>
          </div>
        </div>
      ) : open ? (
        <p className="text-sm text-muted-foreground">PayPal has not made the order yet{p.failure ? `: ${p.failure}` : ""}.</p>
      ) : null}
      <div className="flex flex-wrap gap-2">
        {open && (
          <Button
            variant="outline"
            disabled={!p.approveUrl || !detail.contactEmail || send.isPending}
            title={detail.contactEmail ? undefined : "The customer has no contact email"}
            onClick={() =>
              send.mutate(p.id, {
                onSuccess: () => toast.success("Link queued by email", `To ${detail.contactEmail}`),
                onError: (e) => toast.error("Could not send the link", ApiError.from(e).message),
              })
            }
          >
            <Mail /> Send by email
          </Button>
        )}
        <Button
          variant="outline"
          disabled={check.isPending}
          onClick={() =>
            check.mutate(p.id, {
              onSuccess: (d) => toast.success("Checked with PayPal", d.payment.status === "completed" ? "The payment is complete" : "No change yet"),
              onError: (e) => toast.error("Could not check with PayPal", ApiError.from(e).message),
            })
          }
        >
          <RefreshCw className={check.isPending ? "animate-spin" : undefined} /> Check now
        </Button>
        <Button variant="ghost" asChild>
          <Link to={`/payments/${p.id}`}>Open payment</Link>
        </Button>
      </div>
    </div>
  );
}
