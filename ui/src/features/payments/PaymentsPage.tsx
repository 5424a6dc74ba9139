import * as React from "react";
import { Link, useSearchParams } from "react-router";
import { Wallet } from "lucide-react";
import type { PaymentFilterInput } from "@/bindings";
import { useOrganizations } from "@/api/queries";
import { PageHeader } from "@/components/page-header";
import { QueryError } from "@/components/query-state";
import { EmptyState } from "@/components/ui/empty-state";
import { Label, Select } from "@/components/ui/input";
import { TableSkeleton } from "@/components/ui/skeleton";
import { usePayments, usePayPalSettings } from "./api";
import { PaymentsTable } from "./PaymentsTable";
import { PAYMENT_STATUSES, paymentStatusLabel } from "./status";

export function PaymentsPage() {
  const [params, setParams] = useSearchParams();
  const filter: PaymentFilterInput = { status: params.get("status") || null, organizationId: params.get("organizationId") || null };
  const q = usePayments(filter);
  const orgs = useOrganizations();
  const settings = usePayPalSettings();
  const setFilter = (k: keyof PaymentFilterInput) => (e: React.ChangeEvent<HTMLSelectElement>) => {
    const next = new URLSearchParams(params);
    if (e.target.value) next.set(k, e.target.value);
    else next.delete(k);
    setParams(next, { replace: true });
  };
  const filtered = Boolean(filter.status || filter.organizationId);
  return (
    <>
      <PageHeader title="Payments" description="PayPal top-ups: links sent, payments received, refunds" />
      <div className="grid gap-4">
        <div className="flex flex-wrap items-end gap-3" data-testid="payments-filters">
          <div className="grid gap-1.5">
            <Label htmlFor="pay-status">Status</Label>
            <Select id="pay-status" name="status" value={filter.status ?? ""} onChange={setFilter("status")} className="w-44">
              <option value="">All statuses</option>
              {PAYMENT_STATUSES.map((s) => <option key={s} value={s}>{paymentStatusLabel(s)}</option>)}
            </Select>
          </div>
          <div className="grid gap-1.5">
            <Label htmlFor="pay-customer">Customer</Label>
            <Select id="pay-customer" name="organizationId" value={filter.organizationId ?? ""} onChange={setFilter("organizationId")} className="w-56">
              <option value="">All customers</option>
              {(orgs.data ?? []).slice().sort((a, b) => a.name.localeCompare(b.name)).map((o) => <option key={o.id} value={o.id}>{o.name}</option>)}
            </Select>
          </div>
        </div>
        {q.isPending ? (
          <TableSkeleton columns={7} />
        ) : q.isError ? (
          <QueryError what="payments" error={q.error} retry={() => q.refetch()} />
        ) : q.data.length === 0 && !filtered ? (
          <EmptyState
            icon={<Wallet />}
            title="No payments yet"
            description={
              settings.data?.configured ? (
                "Create a payment link from a customer's page: it appears here, and the wallet is credited when the customer pays."
              ) : (
                <>Set up PayPal in <Link to="/settings" className="underline underline-offset-4">Settings → Payments</Link>, then create payment links from a customer's page.</>
              )
            }
          />
        ) : (
          <PaymentsTable data={q.data} noMatches={filtered ? "No payments match these filters" : undefined} />
        )}
      </div>
    </>
  );
}
