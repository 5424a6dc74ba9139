import * as React from "react";
import { Link } from "react-router";
import { Link2 } from "lucide-react";
import type { PaymentDetail } from "@/bindings";
import { QueryError } from "@/components/query-state";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Skeleton } from "@/components/ui/skeleton";
import { useAppInfo } from "@/api/queries";
import { usePayments, usePayPalSettings, useSyncWalletOn } from "./api";
import { PaymentLinkBox, PaymentLinkForm } from "./PaymentLinkForm";
import { PaymentsTable } from "./PaymentsTable";

/** On a customer's page: their PayPal payments and "Create payment link". */
export function PaymentsCard({ organizationId, organizationName, contactEmail }: { organizationId: string; organizationName: string; contactEmail?: string | null }) {
  const q = usePayments({ organizationId, status: null });
  const settings = usePayPalSettings();
  const info = useAppInfo();
  useSyncWalletOn(q.data?.rows.map((p) => `${p.id}:${p.status}:${p.refunded.minor}`).join(","));
  const [open, setOpen] = React.useState(false);
  const [created, setCreated] = React.useState<PaymentDetail | null>(null);
  const configured = settings.data?.configured ?? false;
  const supported = settings.data?.currencySupported ?? true;
  const currency = info.data?.currency ?? "USD";
  const close = () => {
    setOpen(false);
    setCreated(null);
  };
  return (
    <Card data-testid="payments-card">
      <CardHeader className="flex-row flex-wrap items-center justify-between gap-2">
        <CardTitle>PayPal payments</CardTitle>
        <Button size="sm" onClick={() => setOpen(true)} disabled={!configured || !supported} title={!supported ? settings.data?.currencyNote ?? undefined : configured ? undefined : "Set up PayPal in Settings → Payments first"}>
          <Link2 /> Create payment link
        </Button>
      </CardHeader>
      <CardContent className="grid gap-3">
        {settings.data && !supported && (
          <p className="text-sm text-muted-foreground" data-testid="paypal-currency-note">{settings.data.currencyNote}</p>
        )}
        {settings.data && supported && !configured && (
          <p className="text-sm text-muted-foreground">
            PayPal is not set up. <Link to="/settings" className="underline underline-offset-4">Add your PayPal REST app in Settings</Link> to send top-up links.
          </p>
        )}
        {q.isError ? (
          <QueryError what="payments" error={q.error} retry={() => q.refetch()} />
        ) : !q.data ? (
          <Skeleton className="h-16" />
        ) : q.data.rows.length === 0 ? (
          <p className="py-3 text-center text-sm text-muted-foreground">No PayPal payments yet</p>
        ) : (
          <PaymentsTable data={q.data.rows} hideCustomer />
        )}
      </CardContent>
      <Dialog open={open} onOpenChange={(o) => (o ? setOpen(true) : close())}>
        <DialogContent>
          <DialogHeader>
            <DialogTitle>{created ? "Payment link ready" : "Create payment link"}</DialogTitle>
            <DialogDescription>
              {created
                ? `Send this link to ${organizationName}. The wallet is credited once PayPal completes the payment.`
                : `A PayPal top-up for ${organizationName}, in ${currency}.`}
            </DialogDescription>
          </DialogHeader>
          {open && !created && <PaymentLinkForm organizationId={organizationId} currency={currency} contactEmail={contactEmail} onCreated={setCreated} onCancel={close} />}
          {created && <PaymentLinkBox detail={created} />}
        </DialogContent>
      </Dialog>
    </Card>
  );
}
