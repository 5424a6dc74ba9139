import * as React from "react";
import {
  flexRender,
  getCoreRowModel,
  getFilteredRowModel,
  getSortedRowModel,
  useReactTable,
  type FilterFn,
  type Header,
  type Row,
  type SortingState,
} from "@tanstack/react-table";
import { ArrowDown, ArrowUp, ArrowUpDown, Search } from "lucide-react";
import { cn } from "@/lib/utils";
import { Input } from "./input";
import type { Column } from "@/lib/table";
import { formatCount } from "@/lib/format";

declare module "@tanstack/react-table" {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface ColumnMeta<TData, TValue> {
    align?: "left" | "right";
    /** Text the search box matches for this column (defaults to the accessor value). */
    searchText?: (row: TData) => string;
    className?: string;
    /** The cell's label when rows stack into cards on a phone (defaults to a string header). */
    label?: string;
    /** On a phone, this cell is the card's title (shown first, without a label). */
    primary?: boolean;
  }
}

type DataTableProps<T> = {
  testId: string;
  data: T[];
  columns: Column<T>[];
  getRowId: (row: T) => string;
  searchPlaceholder?: string;
  initialSorting?: SortingState;
  onRowClick?: (row: T) => void;
  /** Shown instead of the table body when the search finds nothing. */
  noMatches?: string;
  /** Extra controls beside the search box (toggles, counts). */
  toolbar?: React.ReactNode;
  rowClassName?: (row: T) => string | undefined;
  /** Show the search box (default); off for lists loaded page by page, where it would search one page. */
  search?: boolean;
  /** Below the `sm` breakpoint each row becomes a card of label: value lines, instead of a table that scrolls sideways. */
  stackOnPhone?: boolean;
};

/**
 * The table every list screen uses: a search box over all columns and sorting
 * on every header (click or Enter/Space on the header button).
 */
export function DataTable<T>({
  testId,
  data,
  columns,
  getRowId,
  searchPlaceholder = "Search…",
  initialSorting = [],
  onRowClick,
  noMatches = "Nothing matches your search",
  toolbar,
  rowClassName,
  search = true,
  stackOnPhone = false,
}: DataTableProps<T>) {
  const [sorting, setSorting] = React.useState<SortingState>(initialSorting);
  const [globalFilter, setGlobalFilter] = React.useState("");

  const globalFilterFn: FilterFn<T> = React.useCallback((row: Row<T>, _columnId: string, value: string) => {
    const needle = value.trim().toLowerCase();
    if (!needle) return true;
    const haystack = row
      .getAllCells()
      .map((cell) => {
        const meta = cell.column.columnDef.meta;
        if (meta?.searchText) return meta.searchText(row.original);
        const v = cell.getValue();
        return v == null ? "" : String(v);
      })
      .join(" \u0000 ")
      .toLowerCase();
    return needle.split(/\s+/).every((word) => haystack.includes(word));
  }, []);

  const table = useReactTable({
    data,
    columns,
    state: { sorting, globalFilter },
    onSortingChange: setSorting,
    onGlobalFilterChange: setGlobalFilter,
    globalFilterFn,
    getRowId: (row) => getRowId(row),
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getFilteredRowModel: getFilteredRowModel(),
  });

  const rows = table.getRowModel().rows;

  return (
    <div className="grid gap-3">
      {(search || toolbar) && (
      <div className="flex flex-wrap items-center gap-3">
        {search && (
        <div className="relative w-full max-w-xs">
          <Search className="pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2 text-muted-foreground" />
          <Input
            type="search"
            aria-label="Search table"
            placeholder={searchPlaceholder}
            value={globalFilter}
            onChange={(e) => setGlobalFilter(e.target.value)}
            className="pl-8"
          />
        </div>
        )}
        {toolbar}
        <span className="ml-auto text-xs text-muted-foreground tabular-nums" aria-live="polite">
          {rows.length === data.length ? `${formatCount(data.length)} ${data.length === 1 ? "row" : "rows"}` : `${formatCount(rows.length)} of ${formatCount(data.length)}`}
        </span>
      </div>
      )}
      <div className={cn("overflow-x-auto rounded-lg border bg-card shadow-xs", stackOnPhone && "max-sm:overflow-visible max-sm:rounded-none max-sm:border-0 max-sm:bg-transparent max-sm:shadow-none")}>
        <table data-testid={testId} className={cn("w-full caption-bottom border-collapse text-sm", stackOnPhone && "max-sm:block")}>
          <thead className={cn("bg-muted/50", stackOnPhone && "max-sm:sr-only")}>
            {table.getHeaderGroups().map((hg) => (
              <tr key={hg.id} className="border-b">
                {hg.headers.map((header) => (
                  <HeaderCell key={header.id} header={header} />
                ))}
              </tr>
            ))}
          </thead>
          <tbody className={cn(stackOnPhone && "max-sm:grid max-sm:gap-3")}>
            {rows.length === 0 ? (
              <tr className={cn(stackOnPhone && "max-sm:block max-sm:rounded-lg max-sm:border max-sm:bg-card")}>
                <td colSpan={columns.length} className={cn("px-4 py-10 text-center text-sm text-muted-foreground", stackOnPhone && "max-sm:block")}>
                  {noMatches}
                </td>
              </tr>
            ) : (
              rows.map((row) => (
                <tr
                  key={row.id}
                  data-row-id={row.id}
                  onClick={onRowClick ? (e) => {
                    // Links and buttons inside the row do their own thing.
                    if ((e.target as HTMLElement).closest("a,button,input,select")) return;
                    onRowClick(row.original);
                  } : undefined}
                  className={cn(
                    "border-b last:border-b-0 transition-colors hover:bg-muted/40",
                    stackOnPhone && "max-sm:block max-sm:rounded-lg max-sm:border max-sm:bg-card max-sm:px-4 max-sm:py-3 max-sm:shadow-xs max-sm:last:border-b",
                    onRowClick && "cursor-pointer",
                    rowClassName?.(row.original),
                  )}
                >
                  {row.getVisibleCells().map((cell) => {
                    const meta = cell.column.columnDef.meta;
                    const align = meta?.align ?? "left";
                    const header = cell.column.columnDef.header;
                    const label = meta?.label ?? (typeof header === "string" ? header : undefined);
                    return (
                      <td
                        key={cell.id}
                        data-label={stackOnPhone ? label : undefined}
                        className={cn(
                          "h-12 px-4 align-middle whitespace-nowrap",
                          align === "right" ? "text-right tabular-nums" : "text-left",
                          meta?.className,
                          stackOnPhone &&
                            (meta?.primary
                              ? "max-sm:block max-sm:h-auto max-sm:px-0 max-sm:pb-1.5 max-sm:text-left max-sm:text-base max-sm:font-medium max-sm:whitespace-normal"
                              : "max-sm:flex max-sm:h-auto max-sm:items-baseline max-sm:justify-between max-sm:gap-4 max-sm:px-0 max-sm:py-1 max-sm:text-right max-sm:whitespace-normal max-sm:before:shrink-0 max-sm:before:text-xs max-sm:before:font-medium max-sm:before:text-muted-foreground max-sm:before:content-[attr(data-label)]"),
                        )}
                      >
                        {flexRender(cell.column.columnDef.cell, cell.getContext())}
                      </td>
                    );
                  })}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** A column's header cell: its title, and when the column sorts, a button with the order's arrow (`aria-sort` says it). */
export function HeaderCell<T>({ header }: { header: Header<T, unknown> }) {
  const align = header.column.columnDef.meta?.align ?? "left";
  const sorted = header.column.getIsSorted();
  const title = header.isPlaceholder ? null : flexRender(header.column.columnDef.header, header.getContext());
  return (
    <th
      scope="col"
      aria-sort={sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : "none"}
      className={cn("h-10 px-4 text-xs font-medium whitespace-nowrap text-muted-foreground", align === "right" ? "text-right" : "text-left", header.column.columnDef.meta?.className)}
    >
      {title !== null && header.column.getCanSort() ? (
        <button
          type="button"
          onClick={header.column.getToggleSortingHandler()}
          className={cn("-mx-1.5 inline-flex items-center gap-1 rounded px-1.5 py-1 hover:bg-accent hover:text-foreground", align === "right" && "flex-row-reverse", sorted && "text-foreground")}
        >
          {title}
          {sorted === "asc" ? <ArrowUp className="size-3.5" aria-hidden="true" /> : sorted === "desc" ? <ArrowDown className="size-3.5" aria-hidden="true" /> : <ArrowUpDown className="size-3.5 opacity-40" aria-hidden="true" />}
        </button>
      ) : (
        title
      )}
    </th>
  );
}
