import * as React from "react";
import { BadgeDollarSign, Pencil, Plus, Tags } from "lucide-react";
import { Link } from "react-router";
import type { PlanDto } from "@/api/client";
import { usePlans } from "@/api/queries";
import { PageHeader } from "@/components/page-header";
import { QueryError } from "@/components/query-state";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { TableSkeleton } from "@/components/ui/skeleton";
import { formatMoney, formatMoneyDto, margin, parseDecimal, compareDecimal } from "@/lib/money";
import { decimalSort, type Column } from "@/lib/table";
import { cn } from "@/lib/utils";
import { formatCount } from "@/lib/format";
import { PlanDialog } from "./PlanForm";

/** One line per region of the plan: the provider's price there and our margin over it. */
function regionLines(p: PlanDto) {
  return p.regions.map((region) => {
    const pp = p.providerPrices.find((x) => x.region === region);
    const m = pp && pp.monthly.currency === p.monthly.currency ? margin(p.monthly.amount, pp.monthly.amount) : null;
    return { region, provider: pp?.monthly ?? null, margin: m };
  });
}

function lowestMargin(p: PlanDto): string {
  const ms = regionLines(p).map((l) => l.margin?.amount).filter((x): x is string => Boolean(x));
  if (!ms.length) return "";
  return ms.reduce((a, b) => (compareDecimal(parseDecimal(a)!, parseDecimal(b)!) <= 0 ? a : b));
}

function StackedCell({ children }: { children: React.ReactNode }) {
  return <div className="grid gap-1 py-2">{children}</div>;
}

export function PlansPage() {
  const q = usePlans();
  const [editing, setEditing] = React.useState<PlanDto | null>(null);
  const [creating, setCreating] = React.useState(false);

  const columns = React.useMemo<Column<PlanDto>[]>(
    () => [
      {
        accessorKey: "name",
        header: "Plan",
        cell: ({ row }) => (
          <div className="min-w-0">
            <div className="flex max-w-[16rem] items-center gap-2 font-medium">
              <span className="truncate" title={row.original.name}>{row.original.name}</span>
              {!row.original.active && <Badge tone="grey">Inactive</Badge>}
            </div>
            <div className="text-xs text-muted-foreground"><span className="capitalize">{row.original.provider}</span> · {row.original.providerTypeLabel ?? row.original.providerType}</div>
          </div>
        ),
        meta: { searchText: (p) => `${p.name} ${p.provider} ${p.providerTypeLabel ?? ""} ${p.providerType}` },
      },
      {
        id: "regions",
        accessorFn: (p) => p.regions.join(", "),
        header: "Region",
        cell: ({ row }) => <StackedCell>{row.original.regions.map((r) => <span key={r} className="font-mono text-xs leading-5">{r}</span>)}</StackedCell>,
      },
      {
        id: "price",
        accessorFn: (p) => p.monthly.amount,
        sortingFn: decimalSort,
        header: "Our price",
        meta: { align: "right", searchText: (p) => formatMoneyDto(p.monthly) },
        cell: ({ row }) => (
          <div>
            <div className="font-medium">{formatMoneyDto(row.original.monthly)}</div>
            <div className="text-xs text-muted-foreground">{formatMoneyDto(row.original.hourly)}/h</div>
          </div>
        ),
      },
      {
        id: "providerPrice",
        accessorFn: (p) => p.providerPrices[0]?.monthly.amount ?? "",
        sortingFn: decimalSort,
        header: "Provider price",
        meta: { align: "right" },
        cell: ({ row }) => (
          <StackedCell>
            {regionLines(row.original).map((l) => (
              <span key={l.region} className="text-xs leading-5">{l.provider ? formatMoneyDto(l.provider) : "—"}</span>
            ))}
          </StackedCell>
        ),
      },
      {
        id: "margin",
        accessorFn: lowestMargin,
        sortingFn: decimalSort,
        header: "Margin",
        meta: { align: "right" },
        cell: ({ row }) => (
          <StackedCell>
            {regionLines(row.original).map((l) => (
              <span key={l.region} className={cn("text-xs leading-5 font-medium", l.margin?.negative ? "text-destructive" : "text-emerald-700 dark:text-emerald-400")}>
                {l.margin ? `${formatMoney(l.margin.amount, row.original.monthly.currency)}${l.margin.percent ? ` · ${l.margin.percent} %` : ""}` : "—"}
              </span>
            ))}
          </StackedCell>
        ),
      },
      {
        accessorKey: "liveServers",
        header: "Servers",
        meta: { align: "right" },
        cell: ({ row }) => (
          <Link to={`/servers?plan=${encodeURIComponent(row.original.id)}`} className="hover:underline" data-testid="plan-servers" title={`The servers on ${row.original.name}`}>
            {formatCount(row.original.liveServers)}
          </Link>
        ),
      },
      {
        id: "actions",
        header: () => <span className="sr-only">Actions</span>,
        enableSorting: false,
        meta: { align: "right" },
        cell: ({ row }) => (
          <div className="flex justify-end gap-2">
            <Button asChild variant="outline" size="sm">
              <Link to={`/plans/${row.original.id}/pricing`} aria-label={`Prices of ${row.original.name}`} data-testid="plan-prices"><BadgeDollarSign /> Prices</Link>
            </Button>
            <Button variant="outline" size="sm" onClick={() => setEditing(row.original)} aria-label={`Edit ${row.original.name}`}>
              <Pencil /> Edit
            </Button>
          </div>
        ),
      },
    ],
    [],
  );

  return (
    <>
      <PageHeader
        title="Plans"
        description="What you sell, at your price, next to what the provider charges you"
        actions={<Button onClick={() => setCreating(true)}><Plus /> New plan</Button>}
      />
      {q.isPending ? (
        <TableSkeleton columns={7} />
      ) : q.isError ? (
        <QueryError error={q.error} retry={() => q.refetch()} />
      ) : q.data.length === 0 ? (
        <EmptyState
          icon={<Tags />}
          title="No plans yet"
          description="Create a plan from a provider's instance type, choose its regions and set your price."
          action={<Button onClick={() => setCreating(true)}><Plus /> New plan</Button>}
        />
      ) : (
        <DataTable testId="plans-table" data={q.data} columns={columns} getRowId={(p) => p.id} searchPlaceholder="Search plans…" initialSorting={[{ id: "price", desc: false }]} />
      )}
      <PlanDialog open={creating} onOpenChange={setCreating} />
      <PlanDialog open={editing !== null} onOpenChange={(o) => !o && setEditing(null)} plan={editing ?? undefined} />
    </>
  );
}
