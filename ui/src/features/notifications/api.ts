// Settings → Notifications over the generated commands.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { commands } from "@/bindings";
import type { NotificationSettingsDto } from "@/bindings";
import { unwrap } from "@/api/client";

export const notificationKeys = { settings: ["notification-settings"] as const };

export const notificationApi = {
  settings: () => unwrap(commands.getNotificationSettings()),
  update: (input: NotificationSettingsDto) => unwrap(commands.updateNotificationSettings(input)),
};

export const useNotificationSettings = () => useQuery({ queryKey: notificationKeys.settings, queryFn: notificationApi.settings });

export function useUpdateNotificationSettings() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: notificationApi.update,
    onSuccess: (s) => qc.setQueryData(notificationKeys.settings, s),
  });
}
