import * as React from "react";
import { Link } from "react-router";
import { Tabs, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { Activity } from "lucide-react";
import type { ActivityDto } from "@/api/client";
import { ACTIVITY_PAGE, useActivity } from "@/api/queries";
import { PageHeader } from "@/components/page-header";
import { QueryError } from "@/components/query-state";
import { Badge } from "@/components/ui/badge";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { TableSkeleton } from "@/components/ui/skeleton";
import { formatDateTime, formatRelative } from "@/lib/format";
import { subjectHref } from "./ActivityList";
import { actorText, parseActor } from "@/lib/actor";
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
    meta: { searchText: (a) => `${a.summary} ${a.subjectKind} ${a.subjectId ?? ""}`, className: "whitespace-normal min-w-64" },
    cell: ({ row }) => {
      const href = subjectHref(row.original);
      return href ? <Link to={href} className="hover:underline">{row.original.summary}</Link> : row.original.summary;
    },
  },
];

const KINDS = [
  { value: "all", label: "All" },
  { value: "server", label: "Servers" },
  { value: "organization", label: "Customers" },
  { value: "plan", label: "Plans" },
  { value: "other", label: "Other" },
] as const;

function matchesKind(a: ActivityDto, kind: string): boolean {
  if (kind === "all") return true;
  if (kind === "other") return !["server", "organization", "plan"].includes(a.subjectKind);
  return a.subjectKind === kind;
}

export function ActivityPage() {
  const q = useActivity(ACTIVITY_PAGE, null);
  const [kind, setKind] = React.useState<string>("all");
  const rows = React.useMemo(() => (q.data ?? []).filter((a) => matchesKind(a, kind)), [q.data, kind]);
  return (
    <>
      <PageHeader title="Activity" description="Every change made in the app, by whom and when — updated live" />
      {q.isPending ? (
        <TableSkeleton columns={4} rows={8} />
      ) : q.isError ? (
        <QueryError error={q.error} retry={() => q.refetch()} />
      ) : q.data.length === 0 ? (
        <EmptyState icon={<Activity />} title="No activity yet" description="Changes to customers, plans, servers and settings are recorded here." />
      ) : (
        <DataTable
          testId="activity-table"
          data={rows}
          columns={activityColumns}
          getRowId={(a) => a.seq}
          searchPlaceholder="Search activity…"
          initialSorting={[{ id: "at", desc: true }]}
          noMatches={rows.length === 0 ? "Nothing of this kind yet" : undefined}
          toolbar={
            <Tabs value={kind} onValueChange={setKind}>
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
