// Lists read a page at a time (keyset cursors from the backend), into an
// infinite query that keeps at most MAX_PAGES pages: the webview never holds
// a whole table. Live events patch rows in place (patchRow) instead of
// refetching the lists.
import { keepPreviousData, useInfiniteQuery, type InfiniteData, type QueryClient, type QueryKey } from "@tanstack/react-query";

/** What every paginated command returns. */
export type PageOf<T> = { rows: T[]; next: string | null; prev: string | null; total: number };

/** Where a page starts: after the `next` of the page above, before the `prev` of the page below, or at the start. */
export type PageParam = { after: string | null; before: string | null };

export const PAGE_SIZE = 50;
/** Pages kept in memory; scrolling further lets go of the far end (and reads it again when scrolling back). */
export const MAX_PAGES = 4;

const START: PageParam = { after: null, before: null };

export function usePagedList<T>(
  queryKey: QueryKey,
  fetchPage: (p: PageParam & { limit: number }) => Promise<PageOf<T>>,
  opts: { refetchInterval?: (rows: T[]) => number | false } = {},
) {
  return useInfiniteQuery<PageOf<T>, Error, PagedData<T>, QueryKey, PageParam>({
    queryKey,
    queryFn: async ({ pageParam }) => {
      // A User Timing entry per page read ("page <list>"), for the web
      // inspector and the desktop benchmark: the backend's share of a list's time.
      const start = performance.now();
      const page = await fetchPage({ ...pageParam, limit: PAGE_SIZE });
      performance.measure(`page ${String(queryKey[0])}`, { start, end: performance.now() });
      return page;
    },
    initialPageParam: START,
    getNextPageParam: (last: PageOf<T>): PageParam | undefined => (last.next ? { after: last.next, before: null } : undefined),
    getPreviousPageParam: (first: PageOf<T>): PageParam | undefined => (first.prev ? { after: null, before: first.prev } : undefined),
    maxPages: MAX_PAGES,
    // A new search, sort or filter keeps the rows on screen until its first
    // page comes: the table (and the search box being typed in) stays.
    placeholderData: keepPreviousData,
    refetchInterval: opts.refetchInterval ? (q) => opts.refetchInterval!((q.state.data?.pages ?? []).flatMap((p) => p.rows)) : undefined,
  });
}

export type PagedData<T> = InfiniteData<PageOf<T>, PageParam>;

/** Replaces the row with `row.id` wherever it is on a loaded page of the lists under `prefix`; rows not loaded are left alone. */
export function patchRow<T extends { id: string }>(qc: QueryClient, prefix: QueryKey, row: T): boolean {
  let found = false;
  // Only the lists holding the row are written: writing a list makes it fresh
  // again (and undoes an invalidation), so a list that must read its pages
  // again (a new server was created) would otherwise keep showing the old ones.
  for (const [key, d] of qc.getQueriesData<PagedData<T>>({ queryKey: prefix })) {
    if (!d?.pages) continue;
    let changed = false;
    const pages = d.pages.map((p) => {
      const i = p.rows.findIndex((r) => r.id === row.id);
      if (i === -1) return p;
      changed = true;
      const rows = p.rows.slice();
      rows[i] = row;
      return { ...p, rows };
    });
    if (!changed) continue;
    found = true;
    qc.setQueryData<PagedData<T>>(key, { ...d, pages });
  }
  return found;
}

/** The row with `id` on any loaded page of the lists under `prefix`. */
export function findRow<T extends { id: string }>(qc: QueryClient, prefix: QueryKey, id: string): T | undefined {
  for (const [, d] of qc.getQueriesData<PagedData<T>>({ queryKey: prefix })) {
    for (const p of d?.pages ?? []) {
      const r = p.rows.find((x) => x.id === id);
      if (r) return r;
    }
  }
  return undefined;
}
