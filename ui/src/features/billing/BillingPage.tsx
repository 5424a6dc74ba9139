import { Link } from "react-router";
import { AlertTriangle, CircleAlert, Clock, PauseCircle, Play, Wallet, TrendingUp } from "lucide-react";
import type { ReactNode } from "react";
import type { BillingRunDto, UpcomingSuspension } from "@/api/client";
import { useBillingOverview, useRunBillingNow } from "@/api/queries";
import { ApiError } from "@/api/client";
import { PageHeader } from "@/components/page-header";
import { CatchUpProgress } from "@/features/plans/pricing/catch-up";
import { QueryError } from "@/components/query-state";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { Skeleton } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import { formatCount, formatDateTime, formatRelative } from "@/lib/format";
import { formatMoneyDto } from "@/lib/money";
import { decimalSort, type Column } from "@/lib/table";
import { SignedMoney, WalletStateBadge } from "@/components/wallet-state";

function Stat({ label, value, icon: Icon, testId, tone }: { label: string; value: ReactNode; icon: typeof Wallet; testId: string; tone?: "warn" | "bad" }) {
  return (
    <Card className="h-full">
      <CardContent className="flex items-start justify-between gap-3 pt-4">
        <div className="min-w-0">
          <p className="text-sm text-muted-foreground">{label}</p>
          <p
            className={`mt-1.5 truncate font-semibold tracking-tight tabular-nums ${typeof value === "string" && value.length > 9 ? "text-xl leading-8" : "text-2xl"}`}
            title={typeof value === "string" ? value : undefined}
            data-testid={testId}
          >
            {value}
          </p>
        </div>
        <div
          className={
            tone === "bad"
              ? "flex size-9 shrink-0 items-center justify-center rounded-md bg-red-500/10 text-red-600"
              : tone === "warn"
                ? "flex size-9 shrink-0 items-center justify-center rounded-md bg-amber-500/10 text-amber-600"
                : "flex size-9 shrink-0 items-center justify-center rounded-md bg-primary/10 text-primary"
          }
        >
          <Icon className="size-4" aria-hidden="true" />
        </div>
      </CardContent>
    </Card>
  );
}

const suspensionColumns: Column<UpcomingSuspension>[] = [
  {
    id: "customer",
    accessorFn: (u) => u.wallet.organizationName,
    header: "Customer",
    cell: ({ row }) => (
      <Link to={`/customers/${row.original.wallet.organizationId}`} className="font-medium hover:underline">
        {row.original.wallet.organizationName}
      </Link>
    ),
  },
  {
    id: "balance",
    accessorFn: (u) => u.wallet.balance.amount,
    header: "Balance",
    sortingFn: decimalSort,
    meta: { align: "right", searchText: (u) => formatMoneyDto(u.wallet.balance) },
    cell: ({ row }) => <SignedMoney m={row.original.wallet.balance} />,
  },
  { id: "state", accessorFn: (u) => u.wallet.state, header: "State", cell: ({ row }) => <WalletStateBadge state={row.original.wallet.state} /> },
  {
    accessorKey: "suspendAt",
    header: "Suspends",
    meta: { align: "right", searchText: (u) => formatDateTime(u.suspendAt) },
    cell: ({ getValue }) => (
      <span className="whitespace-nowrap" title={formatDateTime(getValue())}>
        {formatDateTime(getValue())} <span className="text-muted-foreground">({formatRelative(getValue())})</span>
      </span>
    ),
  },
];

function RunSummary({ run }: { run: BillingRunDto }) {
  return (
    <dl className="grid gap-x-8 gap-y-2 text-sm sm:grid-cols-2 lg:grid-cols-3" data-testid="billing-last-run">
      <div className="grid grid-cols-[8rem_1fr] gap-2"><dt className="text-muted-foreground">Ran</dt><dd>{formatDateTime(run.at)}</dd></div>
      <div className="grid grid-cols-[8rem_1fr] gap-2"><dt className="text-muted-foreground">Billed through</dt><dd>{formatDateTime(run.through)}</dd></div>
      <div className="grid grid-cols-[8rem_1fr] gap-2"><dt className="text-muted-foreground">Hours billed</dt><dd className="tabular-nums">{run.hoursBilled}</dd></div>
      <div className="grid grid-cols-[8rem_1fr] gap-2"><dt className="text-muted-foreground">Invoices issued</dt><dd className="tabular-nums">{run.invoicesIssued}</dd></div>
      <div className="grid grid-cols-[8rem_1fr] gap-2"><dt className="text-muted-foreground">Decisions</dt><dd className="tabular-nums">{run.decisions}</dd></div>
      {run.error && (
        <div className="grid grid-cols-[8rem_1fr] gap-2 sm:col-span-2 lg:col-span-3"><dt className="text-muted-foreground">Error</dt><dd className="text-destructive">{run.error}</dd></div>
      )}
    </dl>
  );
}

export function BillingPage() {
  const q = useBillingOverview();
  const run = useRunBillingNow();
  const toast = useToast();
  const runNow = () =>
    run.mutate(undefined, {
      onSuccess: (r) =>
        r.error
          ? toast.error("Billing run failed", r.error)
          : toast.success("Billing run finished", `${r.hoursBilled} hours billed, ${r.invoicesIssued} invoices issued`),
      onError: (e) => toast.error("Could not run billing", ApiError.from(e).message),
    });
  return (
    <>
      <PageHeader
        title="Billing"
        description="Prepaid wallets, hourly usage and the customers who need attention"
        actions={
          <Button onClick={runNow} disabled={run.isPending} data-testid="run-billing-now">
            <Play /> {run.isPending ? "Running…" : "Run billing now"}
          </Button>
        }
      />
      {q.isError ? (
        <QueryError error={q.error} retry={() => q.refetch()} />
      ) : (
        <div className="grid gap-5">
          <CatchUpProgress />
          <div className="grid grid-cols-2 gap-4 lg:grid-cols-5">
            {q.data ? (
              <>
                <Stat label="Revenue this month" value={formatMoneyDto(q.data.revenueThisMonth)} icon={TrendingUp} testId="stat-billing-revenue" />
                <Stat label="Total in wallets" value={formatMoneyDto(q.data.walletsTotal)} icon={Wallet} testId="stat-wallets-total" />
                <Stat label="Low balance" value={formatCount(q.data.customersLow)} icon={AlertTriangle} testId="stat-customers-low" tone={q.data.customersLow ? "warn" : undefined} />
                <Stat label="In grace" value={formatCount(q.data.customersInGrace)} icon={Clock} testId="stat-customers-grace" tone={q.data.customersInGrace ? "warn" : undefined} />
                <Stat label="Suspended" value={formatCount(q.data.customersSuspended)} icon={PauseCircle} testId="stat-customers-suspended" tone={q.data.customersSuspended ? "bad" : undefined} />
              </>
            ) : (
              Array.from({ length: 5 }, (_, i) => <Skeleton key={i} className="h-[92px] rounded-lg" />)
            )}
          </div>
          <section aria-labelledby="upcoming-suspensions">
            <h2 id="upcoming-suspensions" className="mb-3 text-sm font-semibold">Upcoming suspensions</h2>
            {!q.data ? (
              <Skeleton className="h-32" />
            ) : q.data.upcomingSuspensions.length === 0 ? (
              <p className="rounded-lg border bg-card px-4 py-6 text-center text-sm text-muted-foreground">No customer is in grace: nobody will be suspended</p>
            ) : (
              <DataTable
                testId="suspensions-table"
                data={q.data.upcomingSuspensions}
                columns={suspensionColumns}
                getRowId={(u) => u.wallet.organizationId}
                searchPlaceholder="Search customers…"
                initialSorting={[{ id: "suspendAt", desc: false }]}
              />
            )}
          </section>
          <Card>
            <CardHeader><CardTitle>Last billing run</CardTitle></CardHeader>
            <CardContent>
              {!q.data ? <Skeleton className="h-16" /> : q.data.lastRun ? <RunSummary run={q.data.lastRun} /> : <p className="text-sm text-muted-foreground">Billing has not run yet</p>}
            </CardContent>
          </Card>
          {q.data && q.data.failedRuns.length > 0 && (
            <Card>
              <CardHeader><CardTitle className="flex items-center gap-2 text-destructive"><CircleAlert className="size-4" /> Failed runs</CardTitle></CardHeader>
              <CardContent>
                <ul className="grid gap-2 text-sm" data-testid="billing-failed-runs">
                  {q.data.failedRuns.map((r) => (
                    <li key={r.at} className="grid gap-1 rounded-md border border-destructive/30 bg-destructive/5 px-3 py-2 sm:grid-cols-[12rem_1fr]">
                      <span className="text-muted-foreground">{formatDateTime(r.at)}</span>
                      <span className="text-destructive">{r.error ?? "Unknown error"}</span>
                    </li>
                  ))}
                </ul>
              </CardContent>
            </Card>
          )}
        </div>
      )}
    </>
  );
}
