import * as React from "react";
import { Link, useParams } from "react-router";
import { ArrowLeft, Undo2 } from "lucide-react";
import { usePayment, useSyncWalletOn } from "./api";
import { PageHeader } from "@/components/page-header";
import { QueryError } from "@/components/query-state";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Skeleton } from "@/components/ui/skeleton";
import { formatDateTime } from "@/lib/format";
import { formatMoneyDto } from "@/lib/money";
import { PaymentLinkBox } from "./PaymentLinkForm";
import { RefundForm } from "./RefundForm";
import { PaymentStatusBadge } from "./status";

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid grid-cols-[10rem_1fr] gap-2 py-1.5 text-sm">
      <dt className="text-muted-foreground">{label}</dt>
      <dd className="min-w-0 break-words">{children}</dd>
    </div>
  );
}

const REFUND_TONES: Record<string, "green" | "amber" | "red"> = { completed: "green", pending: "amber", failed: "red" };

export function PaymentDetailPage() {
  const { id = "" } = useParams();
  const q = usePayment(id);
  const [refunding, setRefunding] = React.useState(false);
  useSyncWalletOn(q.data ? `${q.data.payment.status}:${q.data.payment.refunded.minor}` : undefined);
  const back = (
    <Link to="/payments" className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground">
      <ArrowLeft className="size-3.5" /> Payments
    </Link>
  );
  if (q.isError) return <><PageHeader title="Payment" back={back} /><QueryError what="payment" error={q.error} retry={() => q.refetch()} /></>;
  if (!q.data) return <><PageHeader title={<Skeleton className="h-8 w-64" />} back={back} /><Skeleton className="h-96" /></>;
  const d = q.data;
  const p = d.payment;
  const canRefund = (p.status === "completed" || p.status === "partially_refunded") && p.refundable.minor !== "0";
  return (
    <>
      <PageHeader
        back={back}
        title={<span className="flex flex-wrap items-center gap-3">PayPal payment of {formatMoneyDto(p.amount)} <PaymentStatusBadge status={p.status} /></span>}
        description={<>From <Link to={`/customers/${p.organizationId}`} className="hover:underline">{p.organizationName}</Link>, created {formatDateTime(p.createdAt)}</>}
        actions={
          canRefund ? (
            <Button variant="outline" onClick={() => setRefunding(true)}><Undo2 /> Refund</Button>
          ) : undefined
        }
      />
      <div className="grid gap-5 lg:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
        <Card>
          <CardHeader><CardTitle>Payment</CardTitle></CardHeader>
          <CardContent className="grid gap-4">
            <dl className="divide-y" data-testid="payment-summary">
              <Row label="Amount"><span className="tabular-nums">{formatMoneyDto(p.amount)}</span></Row>
              <Row label="Captured"><span className="tabular-nums" data-testid="payment-captured">{p.captured ? formatMoneyDto(p.captured) : "—"}</span></Row>
              <Row label="Refunded"><span className="tabular-nums" data-testid="payment-refunded">{formatMoneyDto(p.refunded)}</span></Row>
              <Row label="PayPal order"><span className="font-mono text-xs">{p.orderId ?? "—"}</span></Row>
              <Row label="PayPal capture"><span className="font-mono text-xs" data-testid="payment-capture-id">{p.captureId ?? "—"}</span></Row>
              <Row label="Environment">{p.environment}</Row>
              <Row label="Receipt">
                {p.receiptId ? <Link to={`/invoices/${p.receiptId}`} className="text-primary hover:underline" data-testid="payment-receipt">View receipt</Link> : "—"}
              </Row>
              <Row label="Completed">{p.completedAt ? formatDateTime(p.completedAt) : "—"}</Row>
              {p.failure && <Row label="Problem"><span className="text-destructive">{p.failure}</span></Row>}
            </dl>
            <PaymentLinkBox detail={d} />
          </CardContent>
        </Card>
        <div className="grid content-start gap-5">
          <Card>
            <CardHeader><CardTitle>Refunds</CardTitle></CardHeader>
            <CardContent>
              {d.refunds.length === 0 ? (
                <p className="py-2 text-sm text-muted-foreground">No refunds</p>
              ) : (
                <ul className="divide-y" data-testid="payment-refunds">
                  {d.refunds.map((r) => (
                    <li key={r.id} className="flex flex-wrap items-center justify-between gap-2 py-2 text-sm" data-refund-status={r.status}>
                      <div className="grid">
                        <span className="font-medium tabular-nums">{formatMoneyDto(r.amount)} <span className="font-normal text-muted-foreground">· {r.reason}</span></span>
                        <span className="text-xs text-muted-foreground">{formatDateTime(r.createdAt)}{r.paypalRefundId ? ` · ${r.paypalRefundId}` : ""}</span>
                        {r.failure && <span className="text-xs text-destructive">{r.failure}</span>}
                      </div>
                      <div className="flex items-center gap-2">
                        {r.creditNoteId && <Link to={`/invoices/${r.creditNoteId}`} className="text-primary hover:underline" data-testid="refund-credit-note">Credit note</Link>}
                        <Badge tone={REFUND_TONES[r.status] ?? "grey"}>{r.status}</Badge>
                      </div>
                    </li>
                  ))}
                </ul>
              )}
            </CardContent>
          </Card>
          <Card>
            <CardHeader><CardTitle>History</CardTitle></CardHeader>
            <CardContent>
              {d.history.length === 0 ? (
                <p className="py-2 text-sm text-muted-foreground">Nothing yet</p>
              ) : (
                <ol className="grid gap-2" data-testid="payment-history">
                  {d.history.map((h, i) => (
                    <li key={i} className="grid gap-0.5 border-l-2 border-border pl-3 text-sm">
                      <span className="text-xs text-muted-foreground">{formatDateTime(h.at)}</span>
                      <span>{h.detail}</span>
                    </li>
                  ))}
                </ol>
              )}
            </CardContent>
          </Card>
        </div>
      </div>
      <Dialog open={refunding} onOpenChange={setRefunding}>
        <DialogContent>
          <DialogHeader>
            <DialogTitle>Refund payment</DialogTitle>
            <DialogDescription>PayPal sends the money back to {p.organizationName}; the wallet is debited and a credit note issued.</DialogDescription>
          </DialogHeader>
          {refunding && <RefundForm detail={d} onDone={() => setRefunding(false)} onCancel={() => setRefunding(false)} />}
        </DialogContent>
      </Dialog>
    </>
  );
}
