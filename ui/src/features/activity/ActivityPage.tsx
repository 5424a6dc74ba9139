import { Link } from "react-router";
import type { ColumnDef } from "@tanstack/react-table";
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

export const activityColumns: ColumnDef<ActivityDto, any>[] = [
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

export function ActivityPage() {
  const q = useActivity(ACTIVITY_PAGE, null);
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
        <DataTable testId="activity-table" data={q.data} columns={activityColumns} getRowId={(a) => a.seq} searchPlaceholder="Search activity…" initialSorting={[{ id: "at", desc: true }]} />
      )}
    </>
  );
}
