import { Link, useNavigate } from "react-router";
import type { PaymentDto } from "@/bindings";
import { DataTable } from "@/components/ui/data-table";
import { formatDateTime } from "@/lib/format";
import { formatMoneyDto } from "@/lib/money";
import { decimalSort, type Column } from "@/lib/table";
import { PaymentStatusBadge, paymentStatusLabel } from "./status";

export const paymentColumns: Column<PaymentDto>[] = [
  {
    accessorKey: "createdAt",
    header: "Created",
    meta: { searchText: (p) => formatDateTime(p.createdAt) },
    cell: ({ row }) => (
      <Link to={`/payments/${row.original.id}`} className="whitespace-nowrap hover:underline">{formatDateTime(row.original.createdAt)}</Link>
    ),
  },
  {
    accessorKey: "status",
    header: "Status",
    meta: { searchText: (p) => paymentStatusLabel(p.status) },
    cell: ({ row }) => <PaymentStatusBadge status={row.original.status} />,
  },
  {
    accessorKey: "organizationName",
    header: "Customer",
    cell: ({ row }) => (
      <Link to={`/customers/${row.original.organizationId}`} className="block max-w-[14rem] truncate hover:underline" title={row.original.organizationName} onClick={(e) => e.stopPropagation()}>
        {row.original.organizationName}
      </Link>
    ),
  },
  {
    id: "amount",
    accessorFn: (p) => p.amount.amount,
    header: "Amount",
    sortingFn: decimalSort,
    meta: { align: "right", searchText: (p) => formatMoneyDto(p.amount) },
    cell: ({ row }) => <span className="tabular-nums">{formatMoneyDto(row.original.amount)}</span>,
  },
  {
    id: "refunded",
    accessorFn: (p) => p.refunded.amount,
    header: "Refunded",
    sortingFn: decimalSort,
    meta: { align: "right", searchText: (p) => formatMoneyDto(p.refunded) },
    cell: ({ row }) => <span className="tabular-nums text-muted-foreground">{row.original.refunded.minor === "0" ? "—" : formatMoneyDto(row.original.refunded)}</span>,
  },
  {
    id: "paypal",
    accessorFn: (p) => `${p.orderId ?? ""} ${p.captureId ?? ""}`,
    header: "PayPal order / capture",
    cell: ({ row }) => (
      <span className="grid font-mono text-xs text-muted-foreground">
        <span>{row.original.orderId ?? "—"}</span>
        {row.original.captureId && <span>{row.original.captureId}</span>}
      </span>
    ),
  },
  {
    id: "completedAt",
    accessorFn: (p) => p.completedAt ?? "",
    header: "Completed",
    meta: { align: "right", searchText: (p) => (p.completedAt ? formatDateTime(p.completedAt) : "") },
    cell: ({ getValue }) => <span className="whitespace-nowrap text-muted-foreground">{getValue() ? formatDateTime(getValue()) : "—"}</span>,
  },
];

export function PaymentsTable({ data, noMatches, hideCustomer }: { data: PaymentDto[]; noMatches?: string; hideCustomer?: boolean }) {
  const navigate = useNavigate();
  return (
    <DataTable
      testId="payments-table"
      data={data}
      columns={hideCustomer ? paymentColumns.filter((c) => (c as { accessorKey?: string }).accessorKey !== "organizationName") : paymentColumns}
      getRowId={(p) => p.id}
      searchPlaceholder="Search payments…"
      initialSorting={[{ id: "createdAt", desc: true }]}
      noMatches={noMatches}
      onRowClick={(p) => navigate(`/payments/${p.id}`)}
    />
  );
}
