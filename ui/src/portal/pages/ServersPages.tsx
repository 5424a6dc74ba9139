import { Link, useNavigate, useParams } from "react-router";
import type { Column } from "@/lib/table";
import { ArrowLeft, Radio, Server as ServerIcon } from "lucide-react";
import { PageHeader } from "@/components/page-header";
import { QueryError } from "@/components/query-state";
import { StatusBadge } from "@/components/status-badge";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { Skeleton, TableSkeleton } from "@/components/ui/skeleton";
import { formatDateTime } from "@/lib/format";
import { statusInfo } from "@/lib/status";
import { useServer, useServers } from "../api/queries";
import type { Server } from "../api/types";
import { useBrand, useDocumentTitle, useTenant } from "../branding";
import { CopyButton, When } from "../components/bits";
import { DeleteServerCard } from "../components/delete-server";
import { PowerCard } from "../components/power";

function serverColumns(tenant: string): Column<Server>[] {
  return [
    {
      accessorKey: "label",
      header: "Server",
      meta: { primary: true },
      cell: ({ row }) => (
        <Link to={`/${tenant}/servers/${encodeURIComponent(row.original.id)}`} className="font-medium hover:underline">
          {row.original.label}
        </Link>
      ),
    },
    {
      accessorKey: "status",
      header: "Status",
      meta: { searchText: (s) => statusInfo(s.status).label },
      cell: ({ row }) => <StatusBadge status={row.original.status} />,
    },
    { accessorKey: "plan", header: "Plan" },
    { accessorKey: "region", header: "Region" },
    {
      id: "ipv4",
      accessorFn: (s) => s.ipv4 ?? "",
      header: "IPv4",
      cell: ({ row }) => (row.original.ipv4 ? <span className="font-mono text-xs">{row.original.ipv4}</span> : <span className="text-muted-foreground">—</span>),
    },
    {
      accessorKey: "createdAt",
      header: "Created",
      meta: { searchText: (s) => formatDateTime(s.createdAt) },
      cell: ({ row }) => <span className="text-muted-foreground"><When iso={row.original.createdAt} dateOnly /></span>,
    },
  ];
}

export function ServersPage() {
  useDocumentTitle("Servers");
  const tenant = useTenant();
  const brand = useBrand();
  const navigate = useNavigate();
  const q = useServers();
  return (
    <>
      <PageHeader title="Servers" description={<LiveNote />} />
      {q.isError ? (
        <QueryError error={q.error} retry={() => q.refetch()} what="list" home={{ to: `/${tenant}/`, label: "Go to the dashboard" }} />
      ) : !q.data ? (
        <TableSkeleton rows={4} columns={6} />
      ) : q.data.length === 0 ? (
        <EmptyState
          icon={<ServerIcon />}
          title="No servers yet"
          description={`When ${brand.name} sets up a server for you, it appears here with its status and addresses.`}
        />
      ) : (
        <DataTable
          testId="servers-table"
          data={q.data}
          columns={serverColumns(tenant)}
          getRowId={(s) => s.id}
          searchPlaceholder="Search servers…"
          initialSorting={[{ id: "label", desc: false }]}
          onRowClick={(s) => navigate(`/${tenant}/servers/${encodeURIComponent(s.id)}`)}
          stackOnPhone
        />
      )}
    </>
  );
}

function LiveNote() {
  return (
    <span className="inline-flex items-center gap-1.5">
      <Radio className="size-3.5 text-emerald-600 dark:text-emerald-400" aria-hidden="true" />
      Statuses update by themselves as they change.
    </span>
  );
}

export function ServerPage() {
  const { id = "" } = useParams();
  const tenant = useTenant();
  const q = useServer(id);
  useDocumentTitle(q.data?.label ?? "Server");
  const back = (
    <Link to={`/${tenant}/servers`} className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground">
      <ArrowLeft className="size-4" aria-hidden="true" /> Servers
    </Link>
  );
  if (q.isError) {
    return (
      <>
        <div className="mb-4">{back}</div>
        <QueryError error={q.error} retry={() => q.refetch()} what="server" home={{ to: `/${tenant}/servers`, label: "See your servers" }} />
      </>
    );
  }
  if (!q.data) {
    return (
      <>
        <div className="mb-4">{back}</div>
        <Skeleton className="mb-6 h-8 w-56" />
        <Skeleton className="h-72 rounded-lg" />
      </>
    );
  }
  const s = q.data;
  return (
    <>
      <PageHeader
        back={back}
        title={
          <span className="flex flex-wrap items-center gap-3">
            <span className="truncate" data-testid="server-label">{s.label}</span>
            <StatusBadge status={s.status} />
          </span>
        }
        description={<LiveNote />}
      />
      <div className="grid gap-5">
        <Card>
          <CardHeader>
            <CardTitle>Details</CardTitle>
          </CardHeader>
          <CardContent>
            <dl className="grid gap-x-8 gap-y-4 sm:grid-cols-2" data-testid="server-details">
              <Detail label="Status">{statusInfo(s.status).label}</Detail>
              <Detail label="Plan">{s.plan}</Detail>
              <Detail label="Region">{s.region}</Detail>
              <Detail label="Image">{s.image}</Detail>
              <Detail label="IPv4 address">
                {s.ipv4 ? <Address value={s.ipv4} testId="server-ipv4" /> : <span className="text-muted-foreground">Not assigned yet</span>}
              </Detail>
              <Detail label="IPv6 address">
                {s.ipv6 ? <Address value={s.ipv6} testId="server-ipv6" /> : <span className="text-muted-foreground">Not assigned yet</span>}
              </Detail>
              <Detail label="Created">
                <When iso={s.createdAt} />
              </Detail>
            </dl>
          </CardContent>
        </Card>
        <PowerCard server={s} />
        <DeleteServerCard server={s} />
      </div>
    </>
  );
}

function Detail({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium text-muted-foreground">{label}</dt>
      <dd className="mt-1 text-sm break-words">{children}</dd>
    </div>
  );
}

function Address({ value, testId }: { value: string; testId: string }) {
  return (
    <span className="inline-flex max-w-full items-center gap-1">
      <span className="font-mono text-xs break-all" data-testid={testId}>{value}</span>
      <CopyButton text={value} size="icon" label={`Copy ${value}`} />
    </span>
  );
}
