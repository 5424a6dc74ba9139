// Settings → Backups over the generated commands.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { commands } from "@/bindings";
import type { BackupSettingsInput } from "@/bindings";
import { unwrap } from "@/api/client";

export const backupKeys = { settings: ["backup-settings"] as const, list: ["backups"] as const };

export const backupApi = {
  settings: () => unwrap(commands.getBackupSettings()),
  update: (input: BackupSettingsInput) => unwrap(commands.updateBackupSettings(input)),
  list: () => unwrap(commands.listBackups()),
  backUpNow: () => unwrap(commands.backUpNow()),
  preview: (file: string) => unwrap(commands.previewRestore(file)),
  restore: (file: string) => unwrap(commands.restoreBackup(file)),
  pickFolder: (title: string) => unwrap(commands.pickFolder(title)),
};

export const useBackupSettings = () => useQuery({ queryKey: backupKeys.settings, queryFn: backupApi.settings });

/** The list refreshes every few seconds while a backup runs, every minute otherwise. */
export const useBackups = () =>
  useQuery({ queryKey: backupKeys.list, queryFn: backupApi.list, refetchInterval: (q) => (q.state.data?.running ? 2000 : 60_000) });

export function useUpdateBackupSettings() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: backupApi.update,
    onSuccess: (s) => {
      qc.setQueryData(backupKeys.settings, s);
      qc.invalidateQueries({ queryKey: backupKeys.list });
    },
  });
}

export function useBackUpNow() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: backupApi.backUpNow, onSettled: () => qc.invalidateQueries({ queryKey: backupKeys.list }) });
}

export const usePreviewRestore = () => useMutation({ mutationFn: backupApi.preview });

/** After a restore every screen's data is stale: everything is read again. */
export function useRestoreBackup() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: backupApi.restore, onSuccess: () => qc.invalidateQueries() });
}
