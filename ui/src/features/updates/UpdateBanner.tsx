import * as React from "react";
import { Link } from "react-router";
import { Sparkles, X } from "lucide-react";
import type { AvailableUpdateDto } from "@/bindings";
import { updateApi } from "./api";

/** A newer version found by the check at start: read once (the event may have come before the window listened), then kept by the event. */
export function useAvailableUpdate(): AvailableUpdateDto | null {
  const [update, setUpdate] = React.useState<AvailableUpdateDto | null>(null);
  React.useEffect(() => {
    let unlisten: (() => void) | undefined;
    let cancelled = false;
    updateApi
      .onAvailable((u) => setUpdate(u))
      .then((u) => (cancelled ? u() : (unlisten = u)))
      .catch(() => {});
    updateApi
      .pending()
      .then((u) => !cancelled && u && setUpdate((now) => now ?? u))
      .catch(() => {});
    return () => {
      cancelled = true;
      unlisten?.();
    };
  }, []);
  return update;
}

/** "Version X is available" at the top of every screen until dismissed; Settings → About installs it. */
export function UpdateBanner() {
  const update = useAvailableUpdate();
  const [dismissed, setDismissed] = React.useState<string | null>(null);
  if (!update || dismissed === update.version) return null;
  return (
    <div role="status" data-testid="update-banner" className="mb-5 flex items-center gap-3 rounded-lg border border-sky-300 bg-sky-50 px-4 py-3 text-sm text-sky-950 dark:border-sky-500/40 dark:bg-sky-500/10 dark:text-sky-100">
      <Sparkles className="size-4 shrink-0" aria-hidden="true" />
      <p className="flex-1">
        <span className="font-medium">ContainerStacks {update.version} is available.</span>{" "}
        <Link to="/settings#about" className="underline underline-offset-2">
          See what is new and install it
        </Link>
      </p>
      <button type="button" className="rounded p-1 hover:bg-sky-100 dark:hover:bg-sky-500/20" aria-label="Dismiss" onClick={() => setDismissed(update.version)}>
        <X className="size-4" />
      </button>
    </div>
  );
}
