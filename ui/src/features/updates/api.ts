// Settings → About and the update banner over the generated commands.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { commands, events } from "@/bindings";
import type { AvailableUpdateDto, UpdateProgress, UpdateSettingsDto } from "@/bindings";
import { unwrap } from "@/api/client";

export const updateKeys = { about: ["about"] as const, pending: ["pending-update"] as const };

export const updateApi = {
  about: () => unwrap(commands.about()),
  save: (input: UpdateSettingsDto) => unwrap(commands.saveUpdateSettings(input)),
  pending: () => unwrap(commands.pendingUpdate()),
  check: () => unwrap(commands.checkForUpdate()),
  install: () => unwrap(commands.installUpdate()),
  onProgress: (f: (p: UpdateProgress) => void) => events.updateProgress.listen((e) => f(e.payload)),
  onAvailable: (f: (u: AvailableUpdateDto) => void) => events.updateAvailable.listen((e) => f(e.payload.update)),
};

export const useAbout = () => useQuery({ queryKey: updateKeys.about, queryFn: updateApi.about });

export function useSaveUpdateSettings() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: updateApi.save, onSuccess: () => qc.invalidateQueries({ queryKey: updateKeys.about }) });
}
