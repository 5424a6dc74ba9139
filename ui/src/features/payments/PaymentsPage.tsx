import * as React from "react";
import { Link, useNavigate } from "react-router";
import { Wallet } from "lucide-react";
import type { PaymentFilterInput } from "@/bindings";
import { CustomerPicker } from "@/features/customers/CustomerPicker";
import { PageHeader } from "@/components/page-header";
import { QueryError } from "@/components/query-state";
import { EmptyState } from "@/components/ui/empty-state";
import { Label, Select } from "@/components/ui/input";
import { TableSkeleton } from "@/components/ui/skeleton";
import { PagedTable } from "@/components/ui/paged-table";
import { useListParams } from "@/lib/list-params";
import { usePaymentPages, usePayPalSettings } from "./api";
import { paymentColumns } from "./PaymentsTable";
import { PAYMENT_STATUSES, paymentStatusLabel } from "./status";

export function PaymentsPage() {
  const p = useListParams(["created"] as const, { sort: "created", desc: true });
  const filter: PaymentFilterInput = { status: p.get("status") || null, organizationId: p.get("organizationId") || null };
  const q = usePaymentPages(filter);
  const settings = usePayPalSettings();
  const navigate = useNavigate();
  const setFilter = (k: "status") => (e: React.ChangeEvent<HTMLSelectElement>) => p.update({ [k]: e.target.value || null });
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
            <CustomerPicker id="pay-customer" name="organizationId" value={filter.organizationId ?? ""} onChange={(id) => p.update({ organizationId: id || null })} clearLabel="All customers" className="w-64" />
          </div>
        </div>
        {q.isPending ? (
          <TableSkeleton columns={7} />
        ) : q.isError ? (
          <QueryError what="payments" error={q.error} retry={() => q.refetch()} />
        ) : q.data.pages[0]?.total === 0 && !filtered ? (
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
          <PagedTable
            testId="payments-table"
            query={q}
            columns={paymentColumns}
            sortable={[]}
            sort={{ id: "createdAt", desc: true }}
            onSort={() => {}}
            getRowId={(x) => x.id}
            noMatches={filtered ? "No payments match these filters" : "No payments"}
            onRowClick={(x) => navigate(`/payments/${x.id}`)}
          />
        )}
      </div>
    </>
  );
}
