import * as React from "react";
import { Loader2 } from "lucide-react";
import { useLocation } from "react-router";
import { events } from "@/api/client";
import type { BillingProgressDto } from "./api";
import { formatCount } from "@/lib/format";

// The latest catch-up progress pushed by the backend (event `billingProgress`),
// shared by the banner in the app shell and the Billing overview.
let current: BillingProgressDto | null = null;
const listeners = new Set<() => void>();
let hideTimer: ReturnType<typeof setTimeout> | undefined;

export function setCatchUpProgress(p: BillingProgressDto | null) {
  current = p;
  if (hideTimer) clearTimeout(hideTimer);
  // A finished catch-up stays on screen a moment, then goes.
  if (p?.done) hideTimer = setTimeout(() => setCatchUpProgress(null), 8000);
  listeners.forEach((l) => l());
}

function subscribe(l: () => void) {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function useCatchUpProgress(): BillingProgressDto | null {
  return React.useSyncExternalStore(subscribe, () => current, () => current);
}

/** Listens for the backend's progress events (mount once, in the shell). */
export function useCatchUpListener() {
  React.useEffect(() => {
    let unlisten: (() => void) | undefined;
    let cancelled = false;
    events.billingProgress
      .listen((e) => setCatchUpProgress(e.payload.progress))
      .then((u) => (cancelled ? u() : (unlisten = u)))
      .catch(() => {});
    return () => {
      cancelled = true;
      unlisten?.();
    };
  }, []);
}

export function catchUpText(p: BillingProgressDto): string {
  return p.done ? `Billing caught up: ${formatCount(p.hoursTotal)} missed hours billed` : `Catching up billing: ${formatCount(p.hoursDone)} / ${formatCount(p.hoursTotal)} hours`;
}

export function CatchUpProgress({ className }: { className?: string }) {
  const p = useCatchUpProgress();
  if (!p) return null;
  const pct = p.hoursTotal ? Math.min(100, Math.round((p.hoursDone / p.hoursTotal) * 100)) : 100;
  return (
    <div role="status" data-testid="billing-catch-up" data-done={p.done} className={className ?? "rounded-lg border border-blue-300 bg-blue-50 px-4 py-3 text-sm text-blue-900 dark:border-blue-500/40 dark:bg-blue-500/10 dark:text-blue-100"}>
      <div className="flex items-center gap-2 font-medium">
        {!p.done && <Loader2 className="size-4 animate-spin" />}
        {catchUpText(p)}
      </div>
      <div className="mt-2 h-1.5 overflow-hidden rounded-full bg-blue-200/70 dark:bg-blue-400/20" aria-hidden>
        <div className="h-full rounded-full bg-blue-600 transition-[width] dark:bg-blue-400" style={{ width: `${pct}%` }} />
      </div>
      {!p.done && <p className="mt-1.5 text-xs opacity-80">The app was closed for a while: every missed hour is billed once. Billed through {new Date(p.through).toLocaleString()}.</p>}
    </div>
  );
}

/** The banner at the top of every screen while a catch-up runs. */
export function CatchUpBanner() {
  useCatchUpListener();
  // The Billing overview shows the same progress in its own place.
  if (useLocation().pathname === "/billing") return null;
  return <CatchUpProgress className="mb-5 rounded-lg border border-blue-300 bg-blue-50 px-4 py-3 text-sm text-blue-900 dark:border-blue-500/40 dark:bg-blue-500/10 dark:text-blue-100" />;
}
