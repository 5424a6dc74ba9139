import * as React from "react";
import { flexRender, getCoreRowModel, useReactTable, type SortingState, type Updater } from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { UseInfiniteQueryResult } from "@tanstack/react-query";
import { Search } from "lucide-react";
import { cn } from "@/lib/utils";
import { formatCount } from "@/lib/format";
import type { Column } from "@/lib/table";
import type { PagedData } from "@/api/paged";
import { Input } from "./input";
import { HeaderCell } from "./data-table";

/** Height of one row (h-12 plus its border): rows never wrap, so the virtualizer need not measure them. */
const ROW_HEIGHT = 49;
/** Start reading the next (or previous) page this many rows before its edge comes into view. */
const PREFETCH_ROWS = 15;

type PagedTableProps<T> = {
  testId: string;
  query: UseInfiniteQueryResult<PagedData<T>>;
  /** Columns; those whose id is in `sortable` sort on the backend, the others not at all. */
  columns: Column<T>[];
  sortable: readonly string[];
  sort: { id: string; desc: boolean };
  onSort: (s: { id: string; desc: boolean }) => void;
  getRowId: (row: T) => string;
  /** The search box's text and where it goes; no search box without `onSearch`. */
  search?: string;
  onSearch?: (s: string) => void;
  searchPlaceholder?: string;
  /** Says what the search matches (prefix search on the backend). */
  searchHint?: string;
  toolbar?: React.ReactNode;
  onRowClick?: (row: T) => void;
  rowClassName?: (row: T) => string | undefined;
  /** Shown instead of rows when nothing matches. */
  noMatches?: string;
};

/**
 * The table of a list read page by page from the backend: sorting, search and
 * filters are the backend's (the caller keeps them in the URL), the rows are
 * virtualized (only those in view are in the DOM), and scrolling near either
 * end of the loaded pages reads the next or previous page. The infinite
 * query keeps a few pages; rows of pages it let go of keep their place as
 * blank space, so the scroll position never jumps.
 */
export function PagedTable<T>({
  testId,
  query,
  columns,
  sortable,
  sort,
  onSort,
  getRowId,
  search = "",
  onSearch,
  searchPlaceholder = "Search…",
  searchHint,
  toolbar,
  onRowClick,
  rowClassName,
  noMatches = "Nothing matches your search",
}: PagedTableProps<T>) {
  const pages = query.data?.pages;
  const rows = React.useMemo(() => (pages ?? []).flatMap((p) => p.rows), [pages]);
  const total = pages?.[0]?.total ?? 0;
  const offset = useDroppedRows(query.data);

  const cols = React.useMemo(
    () => columns.map((c) => ({ ...c, enableSorting: sortable.includes(c.id ?? ("accessorKey" in c ? String(c.accessorKey) : "")) })),
    [columns, sortable],
  );
  const sorting: SortingState = React.useMemo(() => [{ id: sort.id, desc: sort.desc }], [sort.id, sort.desc]);
  const table = useReactTable({
    data: rows,
    columns: cols,
    state: { sorting },
    manualSorting: true,
    enableSortingRemoval: false,
    onSortingChange: (u: Updater<SortingState>) => {
      const next = typeof u === "function" ? u(sorting) : u;
      if (next[0]) onSort({ id: next[0].id, desc: next[0].desc });
    },
    getRowId: (row) => getRowId(row),
    getCoreRowModel: getCoreRowModel(),
  });
  const tableRows = table.getRowModel().rows;

  const scrollRef = React.useRef<HTMLDivElement>(null);
  const count = offset + tableRows.length;
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;

  // A new search or sort starts at the top.
  React.useEffect(() => {
    scrollRef.current?.scrollTo?.({ top: 0 });
  }, [search, sort.id, sort.desc]);

  const { hasNextPage, hasPreviousPage, isFetchingNextPage, isFetchingPreviousPage, fetchNextPage, fetchPreviousPage } = query;
  React.useEffect(() => {
    if (isFetchingNextPage || isFetchingPreviousPage) return;
    if (hasNextPage && last >= count - PREFETCH_ROWS) void fetchNextPage();
    else if (hasPreviousPage && first < offset + PREFETCH_ROWS) void fetchPreviousPage();
  }, [first, last, count, offset, hasNextPage, hasPreviousPage, isFetchingNextPage, isFetchingPreviousPage, fetchNextPage, fetchPreviousPage]);

  const [text, setText] = useDebouncedSearch(search, onSearch ?? noop);
  const padTop = items[0]?.start ?? 0;
  const padBottom = items.length ? virtualizer.getTotalSize() - items[items.length - 1].end : 0;
  const colSpan = cols.length;

  return (
    <div className="grid gap-3">
      <div className="flex flex-wrap items-center gap-3">
        {onSearch && (
        <div className="relative w-full max-w-xs">
          <Search className="pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2 text-muted-foreground" />
          <Input
            type="search"
            aria-label="Search table"
            placeholder={searchPlaceholder}
            title={searchHint}
            value={text}
            onChange={(e) => setText(e.target.value)}
            className="pl-8"
          />
        </div>
        )}
        {toolbar}
        <span className="ml-auto text-xs text-muted-foreground tabular-nums" aria-live="polite" data-testid={`${testId}-total`}>
          {query.isFetching && !query.isFetchingNextPage && !query.isFetchingPreviousPage ? "Loading… " : ""}
          {`${formatCount(total)} ${total === 1 ? "row" : "rows"}`}
        </span>
      </div>
      <div
        ref={scrollRef}
        data-virtual-scroll=""
        className="max-h-[calc(100dvh-15rem)] overflow-auto rounded-lg border bg-card shadow-xs"
      >
        <table
          data-testid={testId}
          aria-rowcount={total + 1}
          aria-busy={query.isPlaceholderData}
          className="w-full caption-bottom border-collapse text-sm"
        >
          <thead className="sticky top-0 z-10 bg-muted">
            {table.getHeaderGroups().map((hg) => (
              <tr key={hg.id} className="border-b">
                {hg.headers.map((header) => (
                  <HeaderCell key={header.id} header={header} />
                ))}
              </tr>
            ))}
          </thead>
          <tbody>
            {tableRows.length === 0 ? (
              <tr>
                <td colSpan={colSpan} className="px-4 py-10 text-center text-sm text-muted-foreground">
                  {query.isPending ? "Loading…" : noMatches}
                </td>
              </tr>
            ) : (
              <>
                {padTop > 0 && <tr aria-hidden="true" style={{ height: padTop }} />}
                {items.map((v) => {
                  const row = tableRows[v.index - offset];
                  if (!row) {
                    // A row of a page let go of: read again when scrolled to.
                    return (
                      <tr key={`gap-${v.index}`} aria-hidden="true" className="border-b" style={{ height: ROW_HEIGHT }}>
                        <td colSpan={colSpan} className="px-4">
                          <div className="h-3 w-1/3 animate-pulse rounded bg-muted" />
                        </td>
                      </tr>
                    );
                  }
                  return (
                    <tr
                      key={row.id}
                      data-row-id={row.id}
                      aria-rowindex={v.index + 2}
                      onClick={
                        onRowClick
                          ? (e) => {
                              // Links and buttons inside the row do their own thing.
                              if ((e.target as HTMLElement).closest("a,button,input,select")) return;
                              onRowClick(row.original);
                            }
                          : undefined
                      }
                      className={cn("border-b transition-colors hover:bg-muted/40", onRowClick && "cursor-pointer", rowClassName?.(row.original))}
                    >
                      {row.getVisibleCells().map((cell) => {
                        const meta = cell.column.columnDef.meta;
                        const align = meta?.align ?? "left";
                        return (
                          <td
                            key={cell.id}
                            className={cn("h-12 px-4 align-middle whitespace-nowrap", align === "right" ? "text-right tabular-nums" : "text-left", meta?.className)}
                          >
                            {flexRender(cell.column.columnDef.cell, cell.getContext())}
                          </td>
                        );
                      })}
                    </tr>
                  );
                })}
                {padBottom > 0 && <tr aria-hidden="true" style={{ height: padBottom }} />}
              </>
            )}
          </tbody>
        </table>
        {query.isFetchingNextPage && <div className="px-4 py-2 text-center text-xs text-muted-foreground">Loading more…</div>}
      </div>
    </div>
  );
}

/**
 * How many rows lie above the first page held: when the infinite query lets
 * go of its first page (maxPages) they stay counted, so rows keep their
 * index and the scroll position; reading a previous page gives them back.
 */
function useDroppedRows<T>(data: PagedData<T> | undefined): number {
  const state = React.useRef<{ data: PagedData<T> | undefined; offset: number }>({ data: undefined, offset: 0 });
  const prev = state.current;
  if (data !== prev.data) {
    let offset = prev.offset;
    const key = (p: unknown) => JSON.stringify(p);
    const before = prev.data?.pageParams.map(key) ?? [];
    const now = data?.pageParams.map(key) ?? [];
    if (!data || now.length === 0 || (data.pageParams[0] as { after: unknown; before: unknown }).after === null && (data.pageParams[0] as { before: unknown }).before === null) {
      offset = 0;
    } else if (before.length > 1 && now[0] === before[1]) {
      offset += prev.data!.pages[0].rows.length;
    } else if (now.length > 1 && now[1] === before[0]) {
      offset = Math.max(0, offset - data.pages[0].rows.length);
    }
    state.current = { data, offset };
  }
  return state.current.offset;
}

const noop = () => {};

/** How long the search box waits for a pause in typing. */
const SEARCH_PAUSE_MS = 100;

/**
 * The search box's own text, handed on at once when it changes after a pause
 * (a paste, the first key typed), then after each pause in typing.
 */
function useDebouncedSearch(value: string, onChange: (s: string) => void): [string, (s: string) => void] {
  const [text, setText] = React.useState(value);
  const latest = React.useRef(onChange);
  latest.current = onChange;
  const handedOn = React.useRef(Number.NEGATIVE_INFINITY);
  // The text last handed on, until it comes back as `value`: typing goes on
  // meanwhile, and the box must not go back to it.
  const sent = React.useRef<string | null>(null);
  // Back and forward change the value from outside.
  React.useEffect(() => {
    if (value === sent.current) sent.current = null;
    else setText(value);
  }, [value]);
  React.useEffect(() => {
    if (text === value) return;
    const handOn = () => {
      handedOn.current = performance.now();
      sent.current = text;
      latest.current(text);
    };
    // Each search is one indexed page read, so a query per pause in typing
    // costs little, and any wait is part of what the user feels.
    if (performance.now() - handedOn.current >= SEARCH_PAUSE_MS) {
      handOn();
      return;
    }
    const t = setTimeout(handOn, SEARCH_PAUSE_MS);
    return () => clearTimeout(t);
  }, [text, value]);
  return [text, setText];
}
