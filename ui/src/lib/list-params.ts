// A list's sort, search and filters live in the URL's search params, so back
// and forward restore them (a sort or filter pushes an entry; typing in the
// search box replaces it).
import * as React from "react";
import { UNSAFE_NavigationContext, useLocation, useSearchParams } from "react-router";

export type ListParams<S extends string> = {
  sort: S;
  desc: boolean;
  /** The search box's text. */
  q: string;
  get: (name: string) => string | null;
  /** Sets (or, with null / "", removes) params; pushes a history entry unless `replace`. */
  update: (patch: Record<string, string | null>, opts?: { replace?: boolean }) => void;
};

export function useListParams<S extends string>(sorts: readonly S[], defaults: { sort: S; desc: boolean }): ListParams<S> {
  const [params, setParams] = useSearchParams();
  const { pathname } = useLocation();
  // The router's history: its location is the live one, ahead of what this
  // (possibly leaving) screen rendered with.
  const { navigator } = React.useContext(UNSAFE_NavigationContext);
  const raw = params.get("sort");
  const known = raw !== null && (sorts as readonly string[]).includes(raw);
  const sort = known ? (raw as S) : defaults.sort;
  const desc = known ? params.get("desc") === "1" : defaults.desc;
  return {
    sort,
    desc,
    q: params.get("q") ?? "",
    get: (name) => params.get(name),
    update: (patch, opts) => {
      // A late update (the search box's pause in typing ending) after the
      // user went to another screen would navigate back here: dropped.
      const live = (navigator as { location?: { pathname: string } }).location?.pathname;
      if (live !== undefined && live !== pathname) return;
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          for (const [k, v] of Object.entries(patch)) {
            if (v) next.set(k, v);
            else next.delete(k);
          }
          return next;
        },
        { replace: opts?.replace ?? false },
      );
    },
  };
}
