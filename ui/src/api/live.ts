// Backend events → TanStack Query cache. Mounted once at the app root.
import * as React from "react";
import { useQueryClient } from "@tanstack/react-query";
import { events } from "./client";
import { keys, prependActivity, upsertServer } from "./queries";
import { findRow } from "./paged";
import type { ServerDto } from "./client";

type Options = { /** Called when a server turns `failed` (it was something else before, as far as the cache knows). */ onServerFailed?: (s: ServerDto) => void };

export function useLiveUpdates(opts: Options = {}) {
  const qc = useQueryClient();
  const onFailed = React.useRef(opts.onServerFailed);
  onFailed.current = opts.onServerFailed;
  React.useEffect(() => {
    let disposed = false;
    const unlisten: Array<() => void> = [];
    const keep = (p: Promise<() => void>) =>
      p.then((u) => (disposed ? u() : unlisten.push(u))).catch(() => {
        /* outside Tauri (unit tests without mocks) there is nothing to listen to */
      });

    keep(
      events.serverChanged.listen((e) => {
        const s = e.payload.server;
        const before = findRow<ServerDto>(qc, keys.servers, s.id) ?? qc.getQueryData<{ server: ServerDto }>(keys.server(s.id))?.server;
        upsertServer(qc, s);
        if (s.status === "failed" && before && before.status !== "failed") onFailed.current?.(s);
        // Counts derived from statuses: cheaper to ask again than to recompute
        // here (aggregates in SQL). The lists' rows were patched above.
        qc.invalidateQueries({ queryKey: keys.dashboard });
        qc.invalidateQueries({ queryKey: keys.plans });
      }),
    );
    keep(events.activityRecorded.listen((e) => prependActivity(qc, e.payload.activity)));
    return () => {
      disposed = true;
      unlisten.forEach((u) => u());
    };
  }, [qc]);
}
