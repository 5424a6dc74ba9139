import * as React from "react";
import { useLocation } from "react-router";
import { Download, RefreshCw } from "lucide-react";
import type { AboutDto, AvailableUpdateDto, UpdateProgress } from "@/bindings";
import { ApiError } from "@/api/client";
import { useAppInfo } from "@/api/queries";
import { QueryError } from "@/components/query-state";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Checkbox, Input, Label } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import { formatBytes } from "@/lib/format";
import { updateApi, useAbout, useSaveUpdateSettings } from "./api";

export function AboutSection() {
  const about = useAbout();
  const { hash } = useLocation();
  // The update banner links here.
  React.useEffect(() => {
    if (hash === "#about" && about.data) document.getElementById("about")?.scrollIntoView({ block: "start" });
  }, [hash, about.data]);
  if (about.isError) return <QueryError what="the version and update settings" error={about.error} retry={() => about.refetch()} />;
  if (!about.data) return <Skeleton className="h-64" />;
  return <AboutCard about={about.data} />;
}

type Step =
  | { kind: "idle" }
  | { kind: "checking" }
  | { kind: "current" }
  | { kind: "found"; update: AvailableUpdateDto }
  | { kind: "installing"; update: AvailableUpdateDto; progress: UpdateProgress | null }
  | { kind: "failed"; message: string; update?: AvailableUpdateDto };

/** The version, "Check for updates" with the release notes and a progress bar, where updates come from, and the way back. */
export function AboutCard({ about }: { about: AboutDto }) {
  const info = useAppInfo();
  const [step, setStep] = React.useState<Step>({ kind: "idle" });

  // The download's progress, while installing.
  React.useEffect(() => {
    if (step.kind !== "installing") return;
    let unlisten: (() => void) | undefined;
    let cancelled = false;
    updateApi
      .onProgress((p) => setStep((s) => (s.kind === "installing" ? { ...s, progress: p } : s)))
      .then((u) => (cancelled ? u() : (unlisten = u)))
      .catch(() => {});
    return () => {
      cancelled = true;
      unlisten?.();
    };
  }, [step.kind]);

  const check = async () => {
    setStep({ kind: "checking" });
    try {
      const found = await updateApi.check();
      setStep(found ? { kind: "found", update: found } : { kind: "current" });
    } catch (e) {
      setStep({ kind: "failed", message: ApiError.from(e).message });
    }
  };
  const install = async (update: AvailableUpdateDto) => {
    setStep({ kind: "installing", update, progress: null });
    try {
      // Returns only when it failed: on success the app restarts into the new version.
      await updateApi.install();
    } catch (e) {
      setStep({ kind: "failed", message: ApiError.from(e).message, update });
    }
  };

  const busy = step.kind === "checking" || step.kind === "installing";
  return (
    <Card data-testid="about" id="about" className="scroll-mt-6">
      <CardHeader>
        <CardTitle>About</CardTitle>
        <CardDescription>This installation, and its updates: each one is checked against ContainerStacks&apos; signature before it is installed.</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-5">
        <dl className="grid gap-3 text-sm">
          <div className="grid grid-cols-[8rem_1fr] gap-2"><dt className="text-muted-foreground">Version</dt><dd className="tabular-nums" data-testid="app-version">{about.version}</dd></div>
          <div className="grid grid-cols-[8rem_1fr] gap-2"><dt className="text-muted-foreground">Database</dt><dd className="font-mono text-xs break-all select-all">{about.databasePath}</dd></div>
          {info.data && <div className="grid grid-cols-[8rem_1fr] gap-2"><dt className="text-muted-foreground">Log folder</dt><dd className="font-mono text-xs break-all select-all">{info.data.logDir}</dd></div>}
        </dl>

        <div className="grid gap-3" data-testid="update-status">
          <div className="flex flex-wrap items-center gap-3">
            <Button type="button" variant="outline" onClick={check} disabled={busy} data-testid="check-for-updates">
              <RefreshCw className={step.kind === "checking" ? "animate-spin" : undefined} />
              {step.kind === "checking" ? "Checking…" : "Check for updates"}
            </Button>
            {step.kind === "current" && <p className="text-sm text-muted-foreground" role="status">ContainerStacks {about.version} is the newest version.</p>}
          </div>
          {(step.kind === "found" || step.kind === "installing" || (step.kind === "failed" && step.update)) && (
            <UpdateDetails
              update={step.kind === "failed" ? step.update! : step.update}
              progress={step.kind === "installing" ? step.progress : null}
              installing={step.kind === "installing"}
              onInstall={install}
            />
          )}
          {step.kind === "failed" && (
            <Alert title={step.update ? `Version ${step.update.version} was not installed` : "Could not check for updates"} data-testid="update-error">
              {step.message}
            </Alert>
          )}
        </div>

        <UpdateSettingsForm about={about} />

        <WayBack about={about} />
      </CardContent>
    </Card>
  );
}

function UpdateDetails({ update, progress, installing, onInstall }: { update: AvailableUpdateDto; progress: UpdateProgress | null; installing: boolean; onInstall: (u: AvailableUpdateDto) => void }) {
  const pct = progress?.total ? Math.min(100, Math.round((progress.downloaded / progress.total) * 100)) : null;
  const label = !progress
    ? "Starting the download…"
    : progress.phase === "downloading"
      ? `Downloading… ${formatBytes(progress.downloaded)}${progress.total ? ` of ${formatBytes(progress.total)}` : ""}`
      : progress.phase === "installing"
        ? "Signature checked. Installing…"
        : "Installed. Restarting into the new version…";
  return (
    <div className="grid gap-3 rounded-lg border p-4" data-testid="update-available">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <p className="font-medium">
          Version {update.version} is available <span className="text-sm font-normal text-muted-foreground">(you have {update.currentVersion}{update.date ? `; published ${new Date(update.date).toLocaleDateString()}` : ""})</span>
        </p>
      </div>
      {update.notes && (
        // Release notes are shown as plain text, never as HTML.
        <div className="max-h-48 overflow-auto whitespace-pre-wrap rounded-md bg-muted/50 p-3 text-sm" data-testid="release-notes">{update.notes}</div>
      )}
      {installing ? (
        <div className="grid gap-1.5">
          <div role="progressbar" aria-label="Update download" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct ?? undefined} className="h-2 overflow-hidden rounded-full bg-muted">
            <div className={pct === null ? "h-full w-1/3 animate-pulse bg-primary" : "h-full bg-primary transition-[width]"} style={pct === null ? undefined : { width: `${pct}%` }} />
          </div>
          <p className="text-xs text-muted-foreground" role="status">{label}</p>
        </div>
      ) : (
        <div>
          <Button type="button" onClick={() => onInstall(update)} data-testid="install-update">
            <Download /> Download and install {update.version}
          </Button>
          <p className="mt-2 text-xs text-muted-foreground">The app restarts when it is installed. Installing asks for administrator rights.</p>
        </div>
      )}
    </div>
  );
}

function UpdateSettingsForm({ about }: { about: AboutDto }) {
  const save = useSaveUpdateSettings();
  const toast = useToast();
  const [endpoint, setEndpoint] = React.useState(about.settings.endpoint);
  const [atStart, setAtStart] = React.useState(about.settings.checkAtStart);
  const [error, setError] = React.useState<string | null>(null);
  const dirty = endpoint.trim() !== about.settings.endpoint || atStart !== about.settings.checkAtStart;

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    save.mutate(
      { endpoint, checkAtStart: atStart },
      {
        onSuccess: (s) => {
          setEndpoint(s.endpoint);
          toast.success("Update settings saved");
        },
        onError: (err) => {
          const api = ApiError.from(err);
          if (api.fields.endpoint) setError(api.fields.endpoint);
          else toast.error("Could not save the update settings", api.message);
        },
      },
    );
  };

  return (
    <form className="grid gap-3 border-t pt-4" onSubmit={submit} noValidate data-testid="update-settings">
      <Field name="endpoint" label="Update address" error={error ?? undefined} hint="Leave empty for ContainerStacks' own address. A mirror of yours must serve the same signed packages.">
        {(p) => <Input {...p} value={endpoint} placeholder={about.builtInEndpoint} onChange={(e) => setEndpoint(e.target.value)} />}
      </Field>
      <div className="flex items-center gap-2">
        <Checkbox id="update-at-start" name="checkAtStart" checked={atStart} onChange={(e) => setAtStart(e.target.checked)} />
        <Label htmlFor="update-at-start">Check for updates when the app starts</Label>
      </div>
      <div>
        <Button type="submit" variant="outline" disabled={!dirty || save.isPending}>
          {save.isPending ? "Saving…" : "Save"}
        </Button>
      </div>
    </form>
  );
}

/** The copies taken before updates migrated the database, and how to go back with one. */
function WayBack({ about }: { about: AboutDto }) {
  const last = about.copiesBeforeUpdate[0];
  return (
    <div className="grid gap-2 border-t pt-4 text-sm" data-testid="way-back">
      <p className="font-medium">Going back to an earlier version</p>
      {last ? (
        <>
          <p className="text-muted-foreground">
            Before this version first changed your database, a copy of it was kept ({new Date(last.takenAt).toLocaleString()}, {last.size}). An earlier version cannot open the database as this one left it; to go back: close the app, install the earlier version&apos;s package, replace the database with this copy, and start it.
          </p>
          <dl className="grid gap-2">
            <div className="grid grid-cols-[8rem_1fr] gap-2"><dt className="text-muted-foreground">Copy</dt><dd className="font-mono text-xs break-all select-all" data-testid="copy-before-update">{last.path}</dd></div>
            <div className="grid grid-cols-[8rem_1fr] gap-2"><dt className="text-muted-foreground">Replace</dt><dd className="font-mono text-xs break-all select-all">{about.databasePath}</dd></div>
          </dl>
          <p className="text-xs text-muted-foreground">Anything done since the update is not in the copy: take a backup first (Settings → Backups) to keep it.</p>
        </>
      ) : (
        <p className="text-muted-foreground">No update has changed this database yet. When one does, a copy of the database as it was is kept first, and shown here.</p>
      )}
    </div>
  );
}
