import type { NotificationSettingsDto } from "@/bindings";
import { ApiError } from "@/api/client";
import { QueryError } from "@/components/query-state";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Checkbox, Label } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import { useNotificationSettings, useUpdateNotificationSettings } from "./api";

/** The situations that notify, in the order the card lists them. */
export const NOTIFICATION_KINDS: { key: keyof NotificationSettingsDto; label: string; hint: string }[] = [
  { key: "serverFailed", label: "A server failed", hint: "The provider could not create or build a server" },
  { key: "customerSuspended", label: "A customer was suspended", hint: "Servers powered off for an unpaid balance" },
  { key: "paymentReceived", label: "A payment was received", hint: "Bank transfers you record and PayPal payments" },
  { key: "mailRelayDown", label: "The mail relay is down", hint: "Mail waits in the outbox until the relay accepts it" },
  { key: "backupFailed", label: "A backup failed", hint: "A scheduled or manual backup could not be written" },
];

export function NotificationsSection() {
  const q = useNotificationSettings();
  if (q.isError) return <QueryError what="the notification settings" error={q.error} retry={() => q.refetch()} />;
  if (!q.data) return <Skeleton className="h-48" />;
  return <NotificationsCard settings={q.data} />;
}

/** One switch per situation; each change is saved at once. */
export function NotificationsCard({ settings }: { settings: NotificationSettingsDto }) {
  const save = useUpdateNotificationSettings();
  const toast = useToast();
  // While a change is saving, show it as made.
  const shown = save.isPending && save.variables ? save.variables : settings;

  const toggle = (key: keyof NotificationSettingsDto, on: boolean) => {
    const label = NOTIFICATION_KINDS.find((k) => k.key === key)!.label;
    save.mutate(
      { ...shown, [key]: on },
      {
        onSuccess: () => toast.success(`Notifications ${on ? "on" : "off"}: ${label.toLowerCase()}`),
        onError: (err) => toast.error("Could not save the notification settings", ApiError.from(err).message),
      },
    );
  };

  return (
    <Card data-testid="notification-settings">
      <CardHeader>
        <CardTitle>Notifications</CardTitle>
        <CardDescription>Desktop notifications for what needs your attention, while the app is open.</CardDescription>
      </CardHeader>
      <CardContent>
        <fieldset className="grid gap-3" disabled={save.isPending}>
          <legend className="sr-only">Notify me when</legend>
          {NOTIFICATION_KINDS.map((k) => (
            <div key={k.key} className="flex items-start gap-2">
              <Checkbox
                id={`notify-${k.key}`}
                name={k.key}
                className="mt-0.5"
                checked={shown[k.key]}
                onChange={(e) => toggle(k.key, e.target.checked)}
              />
              <div className="grid gap-0.5">
                <Label htmlFor={`notify-${k.key}`}>{k.label}</Label>
                <p className="text-xs text-muted-foreground">{k.hint}</p>
              </div>
            </div>
          ))}
        </fieldset>
      </CardContent>
    </Card>
  );
}
