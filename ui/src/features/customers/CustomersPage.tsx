import * as React from "react";
import { Link, useNavigate } from "react-router";
import { Plus, Users } from "lucide-react";
import type { OrganizationDto } from "@/api/client";
import { useCustomerPages } from "@/api/queries";
import { PageHeader } from "@/components/page-header";
import { QueryError } from "@/components/query-state";
import { Button } from "@/components/ui/button";
import { PagedTable } from "@/components/ui/paged-table";
import { EmptyState } from "@/components/ui/empty-state";
import { TableSkeleton } from "@/components/ui/skeleton";
import { countryName, formatCount, formatDate } from "@/lib/format";
import { useListParams } from "@/lib/list-params";
import { CustomerDialog } from "./CustomerForm";
import type { Column } from "@/lib/table";

export function CountryCode({ code }: { code: string }) {
  return <span className="inline-block w-7 rounded bg-muted px-1 py-px text-center font-mono text-[10px] font-medium text-muted-foreground">{code.toUpperCase()}</span>;
}

export const customerColumns: Column<OrganizationDto>[] = [
  {
    accessorKey: "name",
    header: "Name",
    cell: ({ row }) => (
      <Link to={`/customers/${row.original.id}`} title={row.original.name} className="block max-w-[18rem] truncate font-medium hover:underline">
        {row.original.name}
      </Link>
    ),
  },
  {
    id: "country",
    accessorFn: (o) => countryName(o.country),
    header: "Country",
    meta: { searchText: (o) => `${o.country} ${countryName(o.country)}` },
    cell: ({ row }) => (
      <span className="inline-flex items-center gap-2">
        <CountryCode code={row.original.country} />
        {countryName(row.original.country)}
      </span>
    ),
  },
  { accessorKey: "contactName", header: "Contact", cell: ({ getValue }) => <span className="block max-w-[12rem] truncate" title={getValue()}>{getValue()}</span> },
  {
    accessorKey: "contactEmail",
    header: "Email",
    cell: ({ getValue }) => <span className="block max-w-[16rem] truncate text-muted-foreground" title={getValue()}>{getValue()}</span>,
  },
  { accessorKey: "liveServers", header: "Live servers", meta: { align: "right" }, cell: ({ getValue }) => formatCount(getValue()) },
  {
    accessorKey: "createdAt",
    header: "Created",
    meta: { align: "right", searchText: (o) => formatDate(o.createdAt) },
    cell: ({ getValue }) => <span className="whitespace-nowrap text-muted-foreground">{formatDate(getValue())}</span>,
  },
];

const CUSTOMER_SORTS = ["name", "created", "country"] as const;
type CustomerSort = (typeof CUSTOMER_SORTS)[number];
const SORT_OF_COLUMN: Record<string, CustomerSort> = { name: "name", createdAt: "created", country: "country" };
const COLUMN_OF_SORT: Record<CustomerSort, string> = { name: "name", created: "createdAt", country: "country" };

export function CustomersPage() {
  const p = useListParams(CUSTOMER_SORTS, { sort: "name", desc: false });
  const q = useCustomerPages({ sort: p.sort, desc: p.desc, search: p.q || null });
  const [open, setOpen] = React.useState(false);
  const navigate = useNavigate();
  const opener = (
    <Button onClick={() => setOpen(true)}>
      <Plus /> New customer
    </Button>
  );
  const empty = q.isSuccess && q.data.pages[0]?.total === 0 && !p.q;
  return (
    <>
      <PageHeader title="Customers" description="The organizations you sell servers to" actions={opener} />
      {q.isPending ? (
        <TableSkeleton columns={6} />
      ) : q.isError ? (
        <QueryError error={q.error} retry={() => q.refetch()} />
      ) : empty ? (
        <EmptyState
          icon={<Users />}
          title="No customers yet"
          description="Add the first organization you sell to. You can then create servers for it."
          action={<Button onClick={() => setOpen(true)}><Plus /> New customer</Button>}
        />
      ) : (
        <PagedTable
          testId="customers-table"
          query={q}
          columns={customerColumns}
          sortable={Object.keys(SORT_OF_COLUMN)}
          sort={{ id: COLUMN_OF_SORT[p.sort], desc: p.desc }}
          onSort={(s) => p.update({ sort: SORT_OF_COLUMN[s.id] ?? null, desc: s.desc ? "1" : "0" })}
          getRowId={(o) => o.id}
          search={p.q}
          onSearch={(text) => p.update({ q: text }, { replace: true })}
          searchPlaceholder="Search customers…"
          searchHint="The start of a name or of the contact's email"
          noMatches="No customer's name or email starts with that"
          onRowClick={(o) => navigate(`/customers/${o.id}`)}
        />
      )}
      <CustomerDialog open={open} onOpenChange={setOpen} />
    </>
  );
}
