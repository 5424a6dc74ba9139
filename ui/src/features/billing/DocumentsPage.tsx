import * as React from "react";
import { Link, useNavigate } from "react-router";
import { FileText, PackageOpen } from "lucide-react";
import type { DocumentListInput, DocumentSummaryDto } from "@/api/client";

type DocumentFilterInput = Pick<DocumentListInput, "organizationId" | "kind" | "period">;
import { useDocumentPages } from "@/api/queries";
import { CustomerPicker } from "@/features/customers/CustomerPicker";
import { PageHeader } from "@/components/page-header";
import { QueryError } from "@/components/query-state";
import { Badge } from "@/components/ui/badge";
import { buttonVariants } from "@/components/ui/button";
import { PagedTable } from "@/components/ui/paged-table";
import { EmptyState } from "@/components/ui/empty-state";
import { Input, Label, Select } from "@/components/ui/input";
import { TableSkeleton } from "@/components/ui/skeleton";
import { formatDate } from "@/lib/format";
import { formatMoneyDto } from "@/lib/money";
import { decimalSort, type Column } from "@/lib/table";
import { useListParams } from "@/lib/list-params";
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

const DOCUMENT_SORTS = ["created", "total", "customer"] as const;
type DocumentSort = (typeof DOCUMENT_SORTS)[number];
const SORT_OF_COLUMN: Record<string, DocumentSort> = { issuedAt: "created", total: "total", organizationName: "customer" };
const COLUMN_OF_SORT: Record<DocumentSort, string> = { created: "issuedAt", total: "total", customer: "organizationName" };

export function DocumentsPage() {
  const p = useListParams(DOCUMENT_SORTS, { sort: "created", desc: true });
  const filter: DocumentFilterInput = {
    organizationId: p.get("organizationId") || null,
    kind: p.get("kind") || null,
    period: p.get("period") || null,
  };
  const q = useDocumentPages({ ...filter, sort: p.sort, desc: p.desc, search: p.q || null });
  const navigate = useNavigate();
  const setFilter = (k: keyof DocumentFilterInput) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => p.update({ [k]: e.target.value || null });
  const filtered = Boolean(filter.organizationId || filter.kind || filter.period || p.q);
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
        <CustomerPicker id="doc-customer" name="organizationId" value={filter.organizationId ?? ""} onChange={(id) => p.update({ organizationId: id || null })} clearLabel="All customers" className="w-64" />
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
        ) : q.data.pages[0]?.total === 0 && !filtered ? (
          <EmptyState icon={<FileText />} title="No documents yet" description="Invoices are issued when billing closes a month; receipts when you record a payment." />
        ) : (
          <PagedTable
            testId="documents-table"
            query={q}
            columns={documentColumns}
            sortable={Object.keys(SORT_OF_COLUMN)}
            sort={{ id: COLUMN_OF_SORT[p.sort], desc: p.desc }}
            onSort={(s) => p.update({ sort: SORT_OF_COLUMN[s.id] ?? null, desc: s.desc ? "1" : "0" })}
            getRowId={(d) => d.id}
            search={p.q}
            onSearch={(text) => p.update({ q: text }, { replace: true })}
            searchPlaceholder="Search documents…"
            searchHint="The start of a number or of the customer's name"
            noMatches={filtered ? "No documents match these filters" : "No documents"}
            onRowClick={(d) => navigate(`/invoices/${d.id}`)}
          />
        )}
      </div>
    </>
  );
}
