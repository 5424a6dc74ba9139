import * as React from "react";
import {
  flexRender,
  getCoreRowModel,
  getFilteredRowModel,
  getSortedRowModel,
  useReactTable,
  type FilterFn,
  type Row,
  type SortingState,
} from "@tanstack/react-table";
import { ArrowDown, ArrowUp, ArrowUpDown, Search } from "lucide-react";
import { cn } from "@/lib/utils";
import { Input } from "./input";
import type { Column } from "@/lib/table";

declare module "@tanstack/react-table" {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface ColumnMeta<TData, TValue> {
    align?: "left" | "right";
    /** Text the search box matches for this column (defaults to the accessor value). */
    searchText?: (row: TData) => string;
    className?: string;
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
      <div className="flex flex-wrap items-center gap-3">
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
        {toolbar}
        <span className="ml-auto text-xs text-muted-foreground tabular-nums" aria-live="polite">
          {rows.length === data.length ? `${data.length} ${data.length === 1 ? "row" : "rows"}` : `${rows.length} of ${data.length}`}
        </span>
      </div>
      <div className="overflow-x-auto rounded-lg border bg-card shadow-xs">
        <table data-testid={testId} className="w-full caption-bottom border-collapse text-sm">
          <thead className="bg-muted/50">
            {table.getHeaderGroups().map((hg) => (
              <tr key={hg.id} className="border-b">
                {hg.headers.map((header) => {
                  const align = header.column.columnDef.meta?.align ?? "left";
                  const sorted = header.column.getIsSorted();
                  const canSort = header.column.getCanSort();
                  return (
                    <th
                      key={header.id}
                      scope="col"
                      aria-sort={sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : "none"}
                      className={cn(
                        "h-10 px-4 text-xs font-medium whitespace-nowrap text-muted-foreground",
                        align === "right" ? "text-right" : "text-left",
                        header.column.columnDef.meta?.className,
                      )}
                    >
                      {header.isPlaceholder ? null : canSort ? (
                        <button
                          type="button"
                          onClick={header.column.getToggleSortingHandler()}
                          className={cn(
                            "-mx-1.5 inline-flex items-center gap-1 rounded px-1.5 py-1 hover:bg-accent hover:text-foreground",
                            align === "right" && "flex-row-reverse",
                            sorted && "text-foreground",
                          )}
                        >
                          {flexRender(header.column.columnDef.header, header.getContext())}
                          {sorted === "asc" ? (
                            <ArrowUp className="size-3.5" aria-hidden="true" />
                          ) : sorted === "desc" ? (
                            <ArrowDown className="size-3.5" aria-hidden="true" />
                          ) : (
                            <ArrowUpDown className="size-3.5 opacity-40" aria-hidden="true" />
                          )}
                        </button>
                      ) : (
                        flexRender(header.column.columnDef.header, header.getContext())
                      )}
                    </th>
                  );
                })}
              </tr>
            ))}
          </thead>
          <tbody>
            {rows.length === 0 ? (
              <tr>
                <td colSpan={columns.length} className="px-4 py-10 text-center text-sm text-muted-foreground">
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
                    onRowClick && "cursor-pointer",
                    rowClassName?.(row.original),
                  )}
                >
                  {row.getVisibleCells().map((cell) => {
                    const align = cell.column.columnDef.meta?.align ?? "left";
                    return (
                      <td
                        key={cell.id}
                        className={cn(
                          "h-12 px-4 align-middle whitespace-nowrap",
                          align === "right" ? "text-right tabular-nums" : "text-left",
                          cell.column.columnDef.meta?.className,
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
