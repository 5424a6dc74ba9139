import * as React from "react";
import { AlertTriangle } from "lucide-react";
import { events, unwrap } from "@/api/client";
import { commands, type LoopHealthDto } from "@/bindings";

/** Merges one loop's new health into the list (by name). */
export function mergeLoopHealth(list: LoopHealthDto[], h: LoopHealthDto): LoopHealthDto[] {
  return list.some((x) => x.name === h.name) ? list.map((x) => (x.name === h.name ? h : x)) : [...list, h];
}

/** The background loops' health: read once, then kept by the backend's events. */
export function useLoopHealth(): LoopHealthDto[] {
  const [loops, setLoops] = React.useState<LoopHealthDto[]>([]);
  React.useEffect(() => {
    let unlisten: (() => void) | undefined;
    let cancelled = false;
    events.loopHealthChanged
      .listen((e) => setLoops((list) => mergeLoopHealth(list, e.payload.health)))
      .then((u) => (cancelled ? u() : (unlisten = u)))
      .catch(() => {});
    unwrap(commands.loopHealth())
      // Events that arrived meanwhile are newer than this answer.
      .then((all) => !cancelled && setLoops((list) => all.reduce((acc, h) => (acc.some((x) => x.name === h.name) ? acc : [...acc, h]), list)))
      .catch(() => {});
    return () => {
      cancelled = true;
      unlisten?.();
    };
  }, []);
  return loops;
}

/** A banner at the top of every screen while a background loop is failing (it panicked and is being restarted). */
export function LoopHealthBanner() {
  const failing = useLoopHealth().filter((l) => !l.healthy);
  if (failing.length === 0) return null;
  return (
    <div role="alert" data-testid="loop-health-banner" className="mb-5 rounded-lg border border-red-300 bg-red-50 px-4 py-3 text-sm text-red-900 dark:border-red-500/40 dark:bg-red-500/10 dark:text-red-100">
      {failing.map((l) => (
        <div key={l.name} className="flex gap-2" data-loop={l.name}>
          <AlertTriangle className="mt-0.5 size-4 shrink-0" />
          <p>
            <span className="font-medium">{l.label} is failing.</span> {l.message}
          </p>
        </div>
      ))}
    </div>
  );
}
