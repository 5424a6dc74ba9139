import { ApiError } from "@/api/client";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import { formatDateTime } from "@/lib/format";
import { formatMoneyDto } from "@/lib/money";
import { useServerAddons, useSetServerAddon } from "./api";

/** A server's add-ons (backups, extra IPv4): on or off, their price, and what switching does. */
export function ServerAddonsCard({ serverId, gone }: { serverId: string; gone: boolean }) {
  const q = useServerAddons(serverId);
  const set = useSetServerAddon(serverId);
  const toast = useToast();
  const toggle = (item: string, label: string, enabled: boolean) =>
    set.mutate(
      { item, enabled },
      {
        onSuccess: () => toast.success(enabled ? `${label} switched on` : `${label} switched off`, enabled ? "Billed from the next full hour" : "Billing stops after the current hour"),
        onError: (e) => toast.error(`Could not switch ${label.toLowerCase()} ${enabled ? "on" : "off"}`, ApiError.from(e).message),
      },
    );
  return (
    <Card data-testid="server-addons">
      <CardHeader>
        <CardTitle>Add-ons</CardTitle>
        <CardDescription>Billed hourly from the next full hour, capped monthly, on their own invoice lines.</CardDescription>
      </CardHeader>
      <CardContent>
        {q.isPending ? (
          <div className="grid gap-3"><Skeleton className="h-12" /><Skeleton className="h-12" /></div>
        ) : q.isError ? (
          <p className="text-sm text-destructive" role="alert">Could not load the add-ons: {ApiError.from(q.error).message} <button className="underline" onClick={() => q.refetch()}>Retry</button></p>
        ) : q.data.length === 0 ? (
          <p className="text-sm text-muted-foreground">This server has no add-ons to offer.</p>
        ) : (
          <ul className="grid gap-4">
            {q.data.map((a) => (
              <li key={a.item} data-item={a.item} data-enabled={a.enabled} className="grid gap-1.5">
                <div className="flex items-center justify-between gap-3">
                  <div className="flex min-w-0 items-center gap-2">
                    <span className="font-medium">{a.label}</span>
                    <Badge tone={a.enabled ? "green" : "grey"} data-testid={`addon-state-${a.item}`}>{a.enabled ? "On" : "Off"}</Badge>
                  </div>
                  <Button
                    size="sm"
                    variant={a.enabled ? "outline" : "default"}
                    disabled={gone || set.isPending || (!a.enabled && Boolean(a.problem))}
                    onClick={() => toggle(a.item, a.label, !a.enabled)}
                    data-testid={`addon-toggle-${a.item}`}
                  >
                    {a.enabled ? "Switch off" : "Switch on"}
                  </Button>
                </div>
                <div className="text-sm tabular-nums text-muted-foreground">
                  {a.price ? <>{formatMoneyDto(a.price.monthly)}/mo · {formatMoneyDto(a.price.hourly, { maxFraction: 6 })}/h</> : null}
                  {a.enabled && a.billedFrom ? <> · billed since {formatDateTime(a.billedFrom)}</> : null}
                </div>
                {a.problem && !a.enabled && <p className="text-xs text-amber-700 dark:text-amber-300">{a.problem}</p>}
                <p className="text-xs text-muted-foreground">{a.note}</p>
              </li>
            ))}
          </ul>
        )}
      </CardContent>
    </Card>
  );
}
