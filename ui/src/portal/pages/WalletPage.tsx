import { Link } from "react-router";
import type { Column } from "@/lib/table";
import { Receipt, Wallet as WalletIcon } from "lucide-react";
import { PortalError } from "../api/client";
import { PageHeader } from "@/components/page-header";
import { QueryError } from "@/components/query-state";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { Skeleton, TableSkeleton } from "@/components/ui/skeleton";
import { WalletStateBadge, entryKindLabel } from "@/components/wallet-state";
import { useWallet, useWalletTransactions } from "../api/queries";
import type { WalletTransaction } from "../api/types";
import { useBrand, useDocumentTitle, useTenant } from "../branding";
import { MoneyText, WalletStateNotice, When } from "../components/bits";
import { MoreButton } from "./DocumentsPages";

function transactionColumns(tenant: string): Column<WalletTransaction>[] {
  return [
    {
      id: "memo",
      header: "What",
      cell: ({ row }) =>
        row.original.document ? (
          <Link to={`/${tenant}/documents/${encodeURIComponent(row.original.document)}`} className="hover:underline">
            {row.original.memo}
          </Link>
        ) : (
          row.original.memo
        ),
      // Memos can be long: let them wrap rather than push the amounts off the screen.
      meta: { primary: true, className: "whitespace-normal min-w-[12rem]" },
    },
    { id: "kind", header: "Kind", cell: ({ row }) => entryKindLabel(row.original.kind) },
    { id: "at", header: "Date", cell: ({ row }) => <span className="text-muted-foreground"><When iso={row.original.at} /></span> },
    { id: "amount", header: "Amount", meta: { align: "right" }, cell: ({ row }) => <MoneyText m={row.original.amount} className="font-medium" /> },
  ];
}

export function WalletPage() {
  useDocumentTitle("Wallet");
  const tenant = useTenant();
  const brand = useBrand();
  const w = useWallet();
  const t = useWalletTransactions();
  const items = t.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader title="Wallet" description={`Your prepaid balance with ${brand.name}: usage is taken from it hour by hour`} />
      <div className="grid gap-5">
        {w.isError && PortalError.from(w.error).code === "not_found" ? (
          <EmptyState icon={<WalletIcon />} title="No wallet yet" description={`Your wallet appears here once ${brand.name} opens it.`} />
        ) : w.isError ? (
          <QueryError error={w.error} retry={() => w.refetch()} what="wallet" home={{ to: `/${tenant}/`, label: "Go to the dashboard" }} />
        ) : !w.data ? (
          <Skeleton className="h-40 rounded-lg" />
        ) : (
          <Card data-testid="wallet-card">
            <CardContent className="grid gap-5 pt-5">
              <div className="flex flex-wrap items-end gap-x-10 gap-y-4">
                <div>
                  <p className="text-sm text-muted-foreground">Balance</p>
                  <MoneyText m={w.data.balance} className="text-3xl font-semibold tracking-tight" testId="wallet-balance" />
                </div>
                <div className="grid gap-1">
                  <p className="text-sm text-muted-foreground">State</p>
                  <WalletStateBadge state={w.data.state} />
                </div>
                <div>
                  <p className="text-sm text-muted-foreground">Low-balance warning at</p>
                  <MoneyText m={w.data.lowBalanceThreshold} signed={false} className="tabular-nums" />
                </div>
                <div>
                  <p className="text-sm text-muted-foreground">As of</p>
                  <When iso={w.data.asOf} />
                </div>
              </div>
              <WalletStateNotice wallet={w.data} brand={brand} />
            </CardContent>
          </Card>
        )}
        <Card>
          <CardHeader>
            <CardTitle>Transactions</CardTitle>
          </CardHeader>
          <CardContent>
            {t.isError && !t.data ? (
              <QueryError error={t.error} retry={() => t.refetch()} what="list" home={{ to: `/${tenant}/`, label: "Go to the dashboard" }} />
            ) : !t.data ? (
              <TableSkeleton rows={4} columns={4} />
            ) : items.length === 0 ? (
              <EmptyState icon={<Receipt />} title="No transactions yet" description="Payments, usage and credits appear here." className="border-0" />
            ) : (
              <div className="grid gap-4">
                <DataTable testId="wallet-transactions" data={items} columns={transactionColumns(tenant)} getRowId={(x) => x.id} search={false} stackOnPhone />
                <MoreButton q={t} noun="transactions" />
              </div>
            )}
          </CardContent>
        </Card>
      </div>
    </>
  );
}
