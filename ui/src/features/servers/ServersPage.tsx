import * as React from "react";
import { Link, useNavigate } from "react-router";
import { Plus, Server } from "lucide-react";
import type { ServerDto, ServerListInput } from "@/api/client";
import { usePlans, useServerPages } from "@/api/queries";
import { PageHeader } from "@/components/page-header";
import { QueryError } from "@/components/query-state";
import { StatusBadge } from "@/components/status-badge";
import { Button } from "@/components/ui/button";
import { DataTable } from "@/components/ui/data-table";
import { PagedTable } from "@/components/ui/paged-table";
import { EmptyState } from "@/components/ui/empty-state";
import { Checkbox } from "@/components/ui/input";
import { TableSkeleton } from "@/components/ui/skeleton";
import { formatCount, formatDate } from "@/lib/format";
import { formatMoneyDto } from "@/lib/money";
import { STATUS_ORDER, isLive, statusInfo } from "@/lib/status";
import { decimalSort, type Column } from "@/lib/table";
import { useListParams } from "@/lib/list-params";

function columns(hideCustomer: boolean): Column<ServerDto>[] {
  const cols: (Column<ServerDto> | false)[] = [
    {
      accessorKey: "label",
      header: "Server",
      meta: { searchText: (s) => `${s.label} ${s.ipv4 ?? ""} ${s.ipv6 ?? ""} ${s.image}` },
      cell: ({ row }) => (
        <div className="leading-tight">
          <Link to={`/servers/${row.original.id}`} className="font-medium hover:underline">
            {row.original.label}
          </Link>
          <div className="mt-0.5 font-mono text-[11px] text-muted-foreground">{row.original.ipv4 ?? "no address yet"}</div>
        </div>
      ),
    },
    {
      accessorKey: "status",
      header: "Status",
      sortingFn: (a, b) => STATUS_ORDER.indexOf(a.original.status) - STATUS_ORDER.indexOf(b.original.status),
      meta: { searchText: (s) => `${s.status} ${statusInfo(s.status).label}` },
      cell: ({ row }) => <StatusBadge status={row.original.status} />,
    },
    !hideCustomer && {
      accessorKey: "organizationName",
      header: "Customer",
      cell: ({ row }) => (
        <Link to={`/customers/${row.original.organizationId}`} title={row.original.organizationName} className="block max-w-[14rem] truncate hover:underline">
          {row.original.organizationName}
        </Link>
      ),
    },
    { accessorKey: "planName", header: "Plan", cell: ({ getValue }) => <span className="block max-w-[10rem] truncate" title={getValue()}>{getValue()}</span> },
    { accessorKey: "region", header: "Region", cell: ({ getValue }) => <span className="font-mono text-xs">{getValue()}</span> },
    {
      id: "monthly",
      accessorFn: (s) => s.monthly.amount,
      sortingFn: decimalSort,
      header: "Price / mo",
      meta: { align: "right", searchText: (s) => formatMoneyDto(s.monthly) },
      cell: ({ row }) => formatMoneyDto(row.original.monthly),
    },
    {
      accessorKey: "createdAt",
      header: "Created",
      meta: { align: "right", searchText: (s) => formatDate(s.createdAt) },
      cell: ({ getValue }) => <span className="whitespace-nowrap text-muted-foreground">{formatDate(getValue())}</span>,
    },
  ];
  return cols.filter((c): c is Column<ServerDto> => Boolean(c));
}

/** The servers table, on the Servers screen and on a customer's page. */
export function ServerTable({ servers, hideCustomer = false, emptyText }: { servers: ServerDto[]; hideCustomer?: boolean; emptyText?: string }) {
  const [showDeleted, setShowDeleted] = React.useState(false);
  const navigate = useNavigate();
  const cols = React.useMemo(() => columns(hideCustomer), [hideCustomer]);
  const deletedCount = servers.filter((s) => !isLive(s)).length;
  const visible = React.useMemo(() => (showDeleted ? servers : servers.filter(isLive)), [servers, showDeleted]);
  return (
    <DataTable
      testId="servers-table"
      data={visible}
      columns={cols}
      getRowId={(s) => s.id}
      searchPlaceholder="Search servers…"
      initialSorting={[{ id: "createdAt", desc: true }]}
      onRowClick={(s) => navigate(`/servers/${s.id}`)}
      rowClassName={(s) => (isLive(s) ? undefined : "text-muted-foreground")}
      noMatches={servers.length === 0 || visible.length === 0 ? (emptyText ?? "No servers") : undefined}
      toolbar={
        <label className="inline-flex cursor-pointer items-center gap-2 text-sm text-muted-foreground select-none">
          <Checkbox name="showDeleted" checked={showDeleted} onChange={(e) => setShowDeleted(e.target.checked)} data-testid="show-deleted" />
          Show deleted{deletedCount ? ` (${formatCount(deletedCount)})` : ""}
        </label>
      }
    />
  );
}

const SERVER_SORTS = ["created", "label", "status", "region"] as const;
type ServerSort = (typeof SERVER_SORTS)[number];
/** Table column id → the backend's sort key. */
const SORT_OF_COLUMN: Record<string, ServerSort> = { createdAt: "created", label: "label", status: "status", region: "region" };
const COLUMN_OF_SORT: Record<ServerSort, string> = { created: "createdAt", label: "label", status: "status", region: "region" };

export function ServersPage() {
  const p = useListParams(SERVER_SORTS, { sort: "created", desc: true });
  const showDeleted = p.get("deleted") === "1";
  // A plan's servers: the Plans screen links here with ?plan=<id>.
  const planId = p.get("plan");
  const plans = usePlans();
  const plan = planId ? plans.data?.find((x) => x.id === planId) : undefined;
  const input: ServerListInput = {
    sort: p.sort,
    desc: p.desc,
    search: p.q || null,
    state: showDeleted ? "all" : "live",
    planId,
  };
  const q = useServerPages(input);
  const navigate = useNavigate();
  const cols = React.useMemo(() => columns(false), []);
  // A button (not a link) so the opener reads the same as "New customer" and "New plan".
  const opener = (
    <Button onClick={() => navigate("/servers/new")}>
      <Plus /> New server
    </Button>
  );
  const empty = q.isSuccess && q.data.pages[0]?.total === 0 && !p.q && !showDeleted && !planId;
  return (
    <>
      <PageHeader title="Servers" description="Every server you run for your customers, live" actions={opener} />
      {q.isPending ? (
        <TableSkeleton columns={8} />
      ) : q.isError ? (
        <QueryError error={q.error} retry={() => q.refetch()} />
      ) : empty ? (
        <EmptyState
          icon={<Server />}
          title="No servers yet"
          description="Create a server for one of your customers from one of your plans."
          action={opener}
        />
      ) : (
        <PagedTable
          testId="servers-table"
          query={q}
          columns={cols}
          sortable={Object.keys(SORT_OF_COLUMN)}
          sort={{ id: COLUMN_OF_SORT[p.sort], desc: p.desc }}
          onSort={(s) => p.update({ sort: SORT_OF_COLUMN[s.id] ?? null, desc: s.desc ? "1" : "0" })}
          getRowId={(s) => s.id}
          search={p.q}
          onSearch={(text) => p.update({ q: text }, { replace: true })}
          searchPlaceholder="Search servers…"
          searchHint="The start of a label or an IPv4 address"
          onRowClick={(s) => navigate(`/servers/${s.id}`)}
          rowClassName={(s) => (isLive(s) ? undefined : "text-muted-foreground")}
          noMatches={p.q ? "No server's label or address starts with that" : "No servers"}
          toolbar={
            <>
              <label className="inline-flex cursor-pointer items-center gap-2 text-sm text-muted-foreground select-none">
                <Checkbox name="showDeleted" checked={showDeleted} onChange={(e) => p.update({ deleted: e.target.checked ? "1" : null })} data-testid="show-deleted" />
                Show deleted
              </label>
              {planId && (
                <span className="inline-flex items-center gap-1.5 rounded-md border bg-muted/50 px-2 py-1 text-xs" data-testid="plan-filter">
                  Plan: {plan?.name ?? "…"}
                  <button type="button" className="rounded px-1 text-muted-foreground hover:bg-accent hover:text-foreground" aria-label="Show every plan's servers" onClick={() => p.update({ plan: null })}>
                    ×
                  </button>
                </span>
              )}
            </>
          }
        />
      )}
    </>
  );
}
