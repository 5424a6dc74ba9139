import { Link } from "react-router";
import { Tabs, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { Activity } from "lucide-react";
import type { ActivityDto, ActivityKindFilter } from "@/api/client";
import { useActivityPages } from "@/api/queries";
import { PageHeader } from "@/components/page-header";
import { QueryError } from "@/components/query-state";
import { Badge } from "@/components/ui/badge";
import { PagedTable } from "@/components/ui/paged-table";
import { EmptyState } from "@/components/ui/empty-state";
import { TableSkeleton } from "@/components/ui/skeleton";
import { formatDateTime, formatRelative } from "@/lib/format";
import { subjectHref } from "./ActivityList";
import { actorText, parseActor } from "@/lib/actor";
import { useListParams } from "@/lib/list-params";
import type { Column } from "@/lib/table";

export const activityColumns: Column<ActivityDto>[] = [
  {
    id: "at",
    // Sequence numbers order entries exactly, even within one second.
    accessorFn: (a) => a.seq.padStart(20, "0"),
    header: "When",
    meta: { searchText: (a) => formatDateTime(a.at), className: "w-44" },
    cell: ({ row }) => (
      <time dateTime={row.original.at} title={formatRelative(row.original.at)} className="whitespace-nowrap text-muted-foreground tabular-nums">
        {formatDateTime(row.original.at)}
      </time>
    ),
  },
  {
    accessorKey: "actor",
    header: "Who",
    meta: { className: "w-36", searchText: (a) => actorText(a.actor) },
    cell: ({ row }) => {
      const a = parseActor(row.original.actor);
      return (
        <span className="inline-flex items-baseline gap-1.5">
          {a.name}
          {a.kind && <span className="text-xs text-muted-foreground">{a.kind}</span>}
        </span>
      );
    },
  },
  {
    accessorKey: "action",
    header: "Action",
    meta: { className: "w-44" },
    cell: ({ getValue }) => <Badge tone="blue" className="font-mono text-[11px]">{getValue()}</Badge>,
  },
  {
    accessorKey: "summary",
    header: "What",
    // Rows are one line high (the table is virtualized): a long sentence is cut, and whole in its tooltip.
    meta: { searchText: (a) => `${a.summary} ${a.subjectKind} ${a.subjectId ?? ""}`, className: "w-full max-w-0 truncate" },
    cell: ({ row }) => {
      const href = subjectHref(row.original);
      return href ? (
        <Link to={href} className="hover:underline" title={row.original.summary}>{row.original.summary}</Link>
      ) : (
        <span title={row.original.summary}>{row.original.summary}</span>
      );
    },
  },
];

const KINDS: { value: ActivityKindFilter; label: string }[] = [
  { value: "all", label: "All" },
  { value: "server", label: "Servers" },
  { value: "organization", label: "Customers" },
  { value: "plan", label: "Plans" },
  { value: "other", label: "Other" },
];

function kindOf(raw: string | null): ActivityKindFilter {
  return KINDS.find((k) => k.value === raw)?.value ?? "all";
}

export function ActivityPage() {
  // Newest first, always; the kind is in the URL (?kind=).
  const p = useListParams(["at"] as const, { sort: "at", desc: true });
  const kind = kindOf(p.get("kind"));
  const q = useActivityPages(kind);
  const empty = q.data?.pages[0]?.total === 0 && kind === "all";
  return (
    <>
      <PageHeader title="Activity" description="Every change made in the app, by whom and when — updated live" />
      {q.isPending ? (
        <TableSkeleton columns={4} rows={8} />
      ) : q.isError ? (
        <QueryError error={q.error} retry={() => q.refetch()} />
      ) : empty ? (
        <EmptyState icon={<Activity />} title="No activity yet" description="Changes to customers, plans, servers and settings are recorded here." />
      ) : (
        <PagedTable
          testId="activity-table"
          query={q}
          columns={activityColumns}
          sortable={[]}
          sort={{ id: "at", desc: true }}
          onSort={() => {}}
          getRowId={(a) => a.seq}
          noMatches="Nothing of this kind yet"
          toolbar={
            <Tabs value={kind} onValueChange={(v) => p.update({ kind: v === "all" ? null : v })}>
              <TabsList aria-label="What changed">
                {KINDS.map((k) => (
                  <TabsTrigger key={k.value} value={k.value}>{k.label}</TabsTrigger>
                ))}
              </TabsList>
            </Tabs>
          }
        />
      )}
    </>
  );
}
