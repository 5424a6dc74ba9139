import * as React from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { FileText, PackageOpen } from "lucide-react";
import type { DocumentFilterInput, DocumentSummaryDto } from "@/api/client";
import { useDocuments, useOrganizations } from "@/api/queries";
import { PageHeader } from "@/components/page-header";
import { QueryError } from "@/components/query-state";
import { Badge } from "@/components/ui/badge";
import { buttonVariants } from "@/components/ui/button";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { Input, Label, Select } from "@/components/ui/input";
import { TableSkeleton } from "@/components/ui/skeleton";
import { formatDate } from "@/lib/format";
import { formatMoneyDto } from "@/lib/money";
import { decimalSort, type Column } from "@/lib/table";
import { DOCUMENT_KINDS, documentKindLabel } from "@/components/wallet-state";

export const documentColumns: Column<DocumentSummaryDto>[] = [
  {
    id: "number",
    accessorFn: (d) => d.number ?? "",
    header: "Number",
    cell: ({ row }) => (
      <Link to={`/invoices/${row.original.id}`} className="font-mono text-xs font-medium hover:underline">
        {row.original.number ?? <span className="text-muted-foreground">Draft</span>}
      </Link>
    ),
  },
  { accessorKey: "kind", header: "Kind", meta: { searchText: (d) => documentKindLabel(d.kind) }, cell: ({ getValue }) => documentKindLabel(getValue()) },
  {
    accessorKey: "organizationName",
    header: "Customer",
    cell: ({ row }) => (
      <Link to={`/customers/${row.original.organizationId}`} className="block max-w-[16rem] truncate hover:underline" title={row.original.organizationName}>
        {row.original.organizationName}
      </Link>
    ),
  },
  { id: "period", accessorFn: (d) => d.period ?? "", header: "Period", cell: ({ getValue }) => <span className="tabular-nums">{getValue() || "—"}</span> },
  {
    id: "total",
    accessorFn: (d) => d.total.amount,
    header: "Total",
    sortingFn: decimalSort,
    meta: { align: "right", searchText: (d) => formatMoneyDto(d.total) },
    cell: ({ row }) => formatMoneyDto(row.original.total),
  },
  {
    id: "issuedAt",
    accessorFn: (d) => d.issuedAt ?? "",
    header: "Issued",
    meta: { align: "right", searchText: (d) => (d.issuedAt ? formatDate(d.issuedAt) : "") },
    cell: ({ getValue }) => <span className="whitespace-nowrap text-muted-foreground">{getValue() ? formatDate(getValue()) : "—"}</span>,
  },
  {
    id: "status",
    accessorFn: (d) => (d.voidedBy ? "voided" : ""),
    header: "",
    enableSorting: false,
    meta: { searchText: (d) => (d.voidedBy ? "voided" : "") },
    cell: ({ row }) => (row.original.voidedBy ? <Badge tone="red" data-testid="document-voided">Voided</Badge> : null),
  },
];

export function DocumentsPage() {
  const [params, setParams] = useSearchParams();
  const filter: DocumentFilterInput = {
    organizationId: params.get("organizationId") || null,
    kind: params.get("kind") || null,
    period: params.get("period") || null,
  };
  const q = useDocuments(filter);
  const orgs = useOrganizations();
  const navigate = useNavigate();
  const setFilter = (k: keyof DocumentFilterInput) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => {
    const next = new URLSearchParams(params);
    if (e.target.value) next.set(k, e.target.value);
    else next.delete(k);
    setParams(next, { replace: true });
  };
  const filtered = Boolean(filter.organizationId || filter.kind || filter.period);
  const filters = (
    <div className="flex flex-wrap items-end gap-3" data-testid="documents-filters">
      <div className="grid gap-1.5">
        <Label htmlFor="doc-kind">Kind</Label>
        <Select id="doc-kind" name="kind" value={filter.kind ?? ""} onChange={setFilter("kind")} className="w-40">
          <option value="">All kinds</option>
          {DOCUMENT_KINDS.map((k) => <option key={k} value={k}>{documentKindLabel(k)}</option>)}
        </Select>
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="doc-customer">Customer</Label>
        <Select id="doc-customer" name="organizationId" value={filter.organizationId ?? ""} onChange={setFilter("organizationId")} className="w-56">
          <option value="">All customers</option>
          {(orgs.data ?? []).slice().sort((a, b) => a.name.localeCompare(b.name)).map((o) => <option key={o.id} value={o.id}>{o.name}</option>)}
        </Select>
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="doc-period">Period</Label>
        <Input id="doc-period" name="period" type="month" value={filter.period ?? ""} onChange={setFilter("period")} className="w-44" />
      </div>
    </div>
  );
  return (
    <>
      <PageHeader
        title="Documents"
        description="Invoices, receipts and credit notes"
        actions={<Link to="/invoices/export" className={buttonVariants({ variant: "outline" })} data-testid="export-period"><PackageOpen /> Export period…</Link>}
      />
      <div className="grid gap-4">
        {filters}
        {q.isPending ? (
          <TableSkeleton columns={7} />
        ) : q.isError ? (
          <QueryError error={q.error} retry={() => q.refetch()} />
        ) : q.data.length === 0 && !filtered ? (
          <EmptyState icon={<FileText />} title="No documents yet" description="Invoices are issued when billing closes a month; receipts when you record a payment." />
        ) : (
          <DataTable
            testId="documents-table"
            data={q.data}
            columns={documentColumns}
            getRowId={(d) => d.id}
            searchPlaceholder="Search documents…"
            initialSorting={[{ id: "issuedAt", desc: true }]}
            noMatches={filtered ? "No documents match these filters" : undefined}
            onRowClick={(d) => navigate(`/invoices/${d.id}`)}
          />
        )}
      </div>
    </>
  );
}
