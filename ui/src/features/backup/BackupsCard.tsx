import * as React from "react";
import { ArchiveRestore, FolderOpen, HardDriveDownload } from "lucide-react";
import type { BackupSettingsDto, DataBackupDto, DataBackupListDto, RestorePreviewDto, StoreContentsDto } from "@/bindings";
import { ApiError } from "@/api/client";
import { QueryError } from "@/components/query-state";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { AlertDialog, AlertDialogContent, AlertDialogDescription, AlertDialogTitle, DialogFooter } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input, Select } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import { formatDateTime, formatRelative } from "@/lib/format";
import { focusFirstError, useApiForm } from "@/lib/use-api-form";
import { backupApi, useBackUpNow, useBackupSettings, useBackups, usePreviewRestore, useRestoreBackup, useUpdateBackupSettings } from "./api";

const FIELDS = ["folder", "everyHours"] as const;

/** How a schedule reads in the select. */
export function scheduleLabel(hours: number): string {
  if (hours === 0) return "Off (only “Back up now”)";
  if (hours === 1) return "Every hour";
  if (hours === 24) return "Every day";
  return `Every ${hours} hours`;
}

/** Checks the form as the app will; the app has the last word on the folder. */
export function backupInputErrors(folder: string, everyHours: number): Record<string, string> {
  const e: Record<string, string> = {};
  if (everyHours > 0 && !folder.trim()) e.folder = "Choose a folder for the backups before turning the schedule on";
  return e;
}

export function BackupsSection() {
  const settings = useBackupSettings();
  const list = useBackups();
  if (settings.isError) return <QueryError what="the backup settings" error={settings.error} retry={() => settings.refetch()} />;
  if (!settings.data) return <Skeleton className="h-56" />;
  return <BackupsCard settings={settings.data} list={list.data} listError={list.isError ? list.error : null} />;
}

export function BackupsCard({ settings, list, listError }: { settings: BackupSettingsDto; list?: DataBackupListDto; listError?: unknown }) {
  return (
    <Card data-testid="backup-settings">
      <CardHeader>
        <div className="flex flex-wrap items-center justify-between gap-2">
          <CardTitle>Backups</CardTitle>
          <StatusBadge settings={settings} list={list} />
        </div>
        <CardDescription>
          Copies of this app's database, taken while it runs and checked before they count. Keep them on another disk: the last 24 hourly, 14 daily and 12 monthly backups are kept.
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-5">
        <SettingsForm key={`${settings.folder}-${settings.everyHours}`} settings={settings} />
        {listError ? <QueryError what="the backups" error={listError} /> : list ? <BackupList list={list} /> : <Skeleton className="h-24" />}
      </CardContent>
    </Card>
  );
}

function StatusBadge({ settings, list }: { settings: BackupSettingsDto; list?: DataBackupListDto }) {
  if (list?.running) return <Badge tone="blue" dot pulse>Backing up…</Badge>;
  if (list && list.failures.length > 0) return <Badge tone="red" dot>Last backup failed</Badge>;
  if (!settings.folder) return <Badge tone="grey">Not set up</Badge>;
  if (settings.everyHours === 0) return <Badge tone="amber" dot>Schedule off</Badge>;
  return <Badge tone="green" dot>{scheduleLabel(settings.everyHours)}</Badge>;
}

function SettingsForm({ settings }: { settings: BackupSettingsDto }) {
  const [folder, setFolder] = React.useState(settings.folder ?? "");
  const [everyHours, setEveryHours] = React.useState(settings.everyHours);
  const form = useApiForm(FIELDS);
  const save = useUpdateBackupSettings();
  const toast = useToast();
  const formRef = React.useRef<HTMLFormElement>(null);
  const dirty = folder !== (settings.folder ?? "") || everyHours !== settings.everyHours;

  const browse = async () => {
    try {
      const picked = await backupApi.pickFolder("Keep backups in…");
      if (picked) {
        setFolder(picked);
        form.clear("folder");
      }
    } catch (e) {
      toast.error("Could not open the folder chooser", ApiError.from(e).message);
    }
  };
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const errors = backupInputErrors(folder, everyHours);
    if (Object.keys(errors).length) {
      form.setErrors(errors);
      focusFirstError(formRef.current);
      return;
    }
    save.mutate(
      { folder: folder.trim() || null, everyHours },
      {
        onSuccess: () => toast.success("Backup settings saved"),
        onError: (err) => {
          form.fail(err, "Could not save the backup settings");
          focusFirstError(formRef.current);
        },
      },
    );
  };
  return (
    <form ref={formRef} onSubmit={submit} noValidate className="grid gap-4" aria-label="Backup settings">
      <div className="grid gap-4 sm:grid-cols-[1fr_13rem]">
        <Field name="folder" label="Backup folder" error={form.errors.folder} hint={`Not the data folder (${settings.dataFolder}); another disk is best`}>
          {(p) => (
            <div className="flex gap-2">
              <Input {...p} value={folder} onChange={(e) => { setFolder(e.target.value); form.clear("folder"); }} placeholder="/media/backup/containerstacks" spellCheck={false} className="font-mono text-xs" />
              <Button type="button" variant="outline" onClick={browse}><FolderOpen /> Choose…</Button>
            </div>
          )}
        </Field>
        <Field name="everyHours" label="Schedule" error={form.errors.everyHours}>
          {(p) => (
            <Select {...p} value={everyHours} onChange={(e) => { setEveryHours(Number(e.target.value)); form.clear("everyHours"); }}>
              {settings.choices.map((h) => <option key={h} value={h}>{scheduleLabel(h)}</option>)}
            </Select>
          )}
        </Field>
      </div>
      <div className="flex justify-end">
        <Button type="submit" disabled={!dirty || save.isPending}>Save backup settings</Button>
      </div>
    </form>
  );
}

function BackupList({ list }: { list: DataBackupListDto }) {
  const now = useBackUpNow();
  const toast = useToast();
  const [restoring, setRestoring] = React.useState<DataBackupDto | null>(null);
  return (
    <div className="grid gap-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="text-sm text-muted-foreground" data-testid="backup-next">
          {list.nextAt ? <>Next scheduled backup <span title={formatDateTime(list.nextAt)}>{formatRelative(list.nextAt)}</span></> : "No scheduled backups"}
        </p>
        <Button
          variant="outline"
          disabled={!list.folder || now.isPending || list.running}
          onClick={() =>
            now.mutate(undefined, {
              onSuccess: (b) => toast.success("Backup written and checked", `${b.file} (${b.size})`),
              onError: (e) => toast.error("The backup failed", ApiError.from(e).message),
            })
          }
        >
          <HardDriveDownload /> {now.isPending ? "Backing up…" : "Back up now"}
        </Button>
      </div>
      {list.folderError && <Alert tone="warning" title="The backup folder cannot be read">{list.folderError}</Alert>}
      {list.failures.map((f) => (
        <Alert key={f.at} tone="error" title={`The ${f.trigger} backup of ${formatDateTime(f.at)} failed`} data-testid="backup-failure">
          {f.error}
        </Alert>
      ))}
      {list.backups.length === 0 ? (
        <p className="rounded-md border border-dashed p-4 text-center text-sm text-muted-foreground" data-testid="backup-empty">
          {list.folder ? "No backups in this folder yet" : "Choose a folder to keep backups in"}
        </p>
      ) : (
        <table className="w-full text-sm" data-testid="backup-list">
          <thead className="text-left text-xs text-muted-foreground">
            <tr>
              <th className="py-1.5 font-medium">Taken</th>
              <th className="py-1.5 font-medium">Size</th>
              <th className="py-1.5 font-medium">Result</th>
              <th className="py-1.5" />
            </tr>
          </thead>
          <tbody>
            {list.backups.map((b) => (
              <tr key={b.file} className="border-t">
                <td className="py-1.5" title={b.file}>{formatDateTime(b.takenAt)}</td>
                <td className="py-1.5 tabular-nums">{b.size}</td>
                <td className="py-1.5"><Badge tone="green">Checked{b.trigger ? ` · ${b.trigger}` : ""}</Badge></td>
                <td className="py-1.5 text-right">
                  <Button size="sm" variant="ghost" onClick={() => setRestoring(b)} aria-label={`Restore the backup of ${formatDateTime(b.takenAt)}`}>
                    <ArchiveRestore /> Restore…
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {restoring && <RestoreDialog backup={restoring} onClose={() => setRestoring(null)} />}
    </div>
  );
}

const ROWS: { label: string; value: (c: StoreContentsDto) => string }[] = [
  { label: "Customers", value: (c) => String(c.customers) },
  { label: "Servers", value: (c) => String(c.servers) },
  { label: "Last document", value: (c) => c.lastDocumentNumber ?? "None" },
  { label: "Last billed hour", value: (c) => (c.lastBilledHour ? formatDateTime(c.lastBilledHour) : "None") },
];

export function RestoreDialog({ backup, onClose }: { backup: DataBackupDto; onClose: () => void }) {
  const preview = usePreviewRestore();
  const restore = useRestoreBackup();
  const toast = useToast();
  const { mutate } = preview;
  React.useEffect(() => mutate(backup.file), [mutate, backup.file]);
  const p: RestorePreviewDto | undefined = preview.data;
  return (
    <AlertDialog open onOpenChange={(o) => !o && !restore.isPending && onClose()}>
      <AlertDialogContent className="max-w-xl">
        <AlertDialogTitle>Restore the backup of {formatDateTime(backup.takenAt)}?</AlertDialogTitle>
        <AlertDialogDescription>
          {preview.isPending && "Checking the backup…"}
          {preview.isError && (
            <Alert tone="error" title="This backup cannot be restored" data-testid="restore-refused">{ApiError.from(preview.error).message}</Alert>
          )}
        </AlertDialogDescription>
        {p && (
          <div className="grid gap-3">
            <table className="w-full text-sm" data-testid="restore-preview">
              <thead className="text-left text-xs text-muted-foreground">
                <tr><th className="py-1 font-medium" /><th className="py-1 font-medium">Now</th><th className="py-1 font-medium">In the backup</th></tr>
              </thead>
              <tbody>
                {ROWS.map((r) => (
                  <tr key={r.label} className="border-t">
                    <th scope="row" className="py-1 text-left font-normal text-muted-foreground">{r.label}</th>
                    <td className="py-1 tabular-nums">{r.value(p.current)}</td>
                    <td className="py-1 font-medium tabular-nums">{r.value(p.backup)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Alert tone="warning" title="What changes" data-testid="restore-warning">
              {p.warning}
            </Alert>
            {p.upgrades && <p className="text-xs text-muted-foreground">This backup was made by an older version; restoring it upgrades it.</p>}
          </div>
        )}
        <DialogFooter>
          <Button variant="outline" onClick={onClose} disabled={restore.isPending}>Cancel</Button>
          <Button
            variant="destructive"
            disabled={!p || restore.isPending}
            onClick={() =>
              restore.mutate(backup.file, {
                onSuccess: (r) => {
                  toast.success("Backup restored", `The data of before is kept in ${r.asidePath}`);
                  onClose();
                },
                onError: (e) => toast.error("The restore failed", ApiError.from(e).message),
              })
            }
          >
            <ArchiveRestore /> {restore.isPending ? "Restoring…" : "Restore this backup"}
          </Button>
        </DialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );
}
