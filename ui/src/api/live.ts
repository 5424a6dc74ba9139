// Backend events → TanStack Query cache. Mounted once at the app root.
import * as React from "react";
import { useQueryClient } from "@tanstack/react-query";
import { events } from "./client";
import { keys, prependActivity, upsertServer } from "./queries";

export function useLiveUpdates() {
  const qc = useQueryClient();
  React.useEffect(() => {
    let disposed = false;
    const unlisten: Array<() => void> = [];
    const keep = (p: Promise<() => void>) =>
      p.then((u) => (disposed ? u() : unlisten.push(u))).catch(() => {
        /* outside Tauri (unit tests without mocks) there is nothing to listen to */
      });

    keep(
      events.serverChanged.listen((e) => {
        upsertServer(qc, e.payload.server);
        // Counts derived from statuses: cheaper to ask again than to recompute here.
        qc.invalidateQueries({ queryKey: keys.dashboard });
        qc.invalidateQueries({ queryKey: keys.organizations });
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
