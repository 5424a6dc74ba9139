// The server page's power card: boot, reboot and shut down, each a *request*
// that the reseller's desktop checks and carries out (API.md, "Actions are
// requests"). The card never says an action ran: it says it was asked for,
// then the server's live status badge shows what the desktop did.
//
// Every text from the portal (a refusal's reason, a contact's name) is put
// in as a React text node, never as HTML.
import * as React from "react";
import { Play, Power, RotateCw } from "lucide-react";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { AlertDialog, AlertDialogContent, AlertDialogDescription, AlertDialogTitle, DialogFooter } from "@/components/ui/dialog";
import { allowedActions, type Tone } from "@/lib/status";
import { PortalError } from "../api/client";
import { useServerAction } from "../api/queries";
import type { Branding, DesktopPresence, ServerAction, ServerActionKind, ServerActionState, ServerDetail } from "../api/types";
import { useBrand } from "../branding";
import { errorText } from "../lib/form";
import { FormError } from "./forms";
import { When } from "./bits";

const ACTIONS: readonly ServerActionKind[] = ["boot", "reboot", "shutdown"];

const ACTION: Record<ServerActionKind, { button: string; noun: string; icon: React.ReactNode }> = {
  boot: { button: "Boot", noun: "Boot", icon: <Play aria-hidden="true" /> },
  reboot: { button: "Reboot", noun: "Reboot", icon: <RotateCw aria-hidden="true" /> },
  shutdown: { button: "Shut down", noun: "Shutdown", icon: <Power aria-hidden="true" /> },
};

/** What a confirmation says: only the actions that interrupt a running server ask. */
const CONFIRM: Partial<Record<ServerActionKind, { body: string; ok: string }>> = {
  reboot: { body: "The server restarts: what runs on it stops for a moment and starts again.", ok: "Reboot" },
  shutdown: { body: "The server powers off and stays off until you boot it again.", ok: "Shut down" },
};

const STATE: Record<ServerActionState, { label: string; tone: Tone | "blue" }> = {
  requested: { label: "Requested", tone: "amber" },
  applied: { label: "Carried out", tone: "green" },
  refused: { label: "Refused", tone: "red" },
  expired: { label: "Expired", tone: "grey" },
};

/** `action` in words, for an action the UI does not know yet too. */
function actionLabel(a: string): string {
  return ACTION[a as ServerActionKind]?.button ?? a.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

function actionNoun(a: string): string {
  return ACTION[a as ServerActionKind]?.noun ?? actionLabel(a);
}

/** "45 minutes", "1 minute", "3 hours": how long the reseller holds requests. */
export function holdText(minutes: number): string {
  if (minutes >= 120 && minutes % 60 === 0) return `${minutes / 60} hours`;
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}

/** Why a status has no power buttons at all, or null when it has them. */
function noActionsText(status: string, brand: Branding): string | null {
  switch (status) {
    case "provisioning":
      return `${brand.name} is still setting this server up. Power actions are available once it is running.`;
    case "deleting":
      return "This server is being deleted.";
    case "deleted":
      return "This server was deleted.";
    case "suspended":
      return `This server is suspended: top up your wallet or contact ${brand.name}.`;
    case "failed":
      return `This server failed at the provider, so it cannot be booted, rebooted or shut down. Contact ${brand.name}.`;
    default:
      return null;
  }
}

/** The desktop's absence in plain words: what happens to a request now. */
export function desktopOfflineText(desktop: DesktopPresence, brand: Branding): string {
  return desktop.holdMinutes > 0
    ? `${brand.name}'s system is offline right now. A request waits up to ${holdText(desktop.holdMinutes)} for it and runs when it is back — nothing runs before that.`
    : `${brand.name}'s system is offline right now, so actions are not accepted. Try again later.`;
}

export function PowerCard({ server }: { server: ServerDetail }) {
  const brand = useBrand();
  const mutation = useServerAction(server.id);
  const [confirming, setConfirming] = React.useState<ServerActionKind | null>(null);

  const actions = server.actions ?? [];
  const newest = actions[0];
  const waiting = newest?.state === "requested" ? newest : undefined;
  const desktop: DesktopPresence = server.desktop ?? { online: true, holdMinutes: 0 };
  const offline = desktop.online === false;
  const refusesWhileOffline = offline && !(desktop.holdMinutes > 0);
  const none = noActionsText(server.status, brand);
  const allowed = allowedActions(server.status);
  const blocked = mutation.isPending || Boolean(waiting) || refusesWhileOffline;

  const send = (a: ServerActionKind) => {
    setConfirming(null);
    mutation.mutate(a);
  };
  const ask = (a: ServerActionKind) => (CONFIRM[a] ? setConfirming(a) : send(a));
  const confirm = confirming ? CONFIRM[confirming] : undefined;

  return (
    <Card data-testid="power-card">
      <CardHeader>
        <CardTitle>Power</CardTitle>
        <CardDescription>Your requests go to {brand.name}, whose system carries them out.</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        {none ? (
          <p className="text-sm text-muted-foreground" data-testid="power-unavailable">{none}</p>
        ) : (
          <>
            {offline && (
              <Alert tone="warning" data-testid="desktop-offline" data-hold={desktop.holdMinutes}>
                {desktopOfflineText(desktop, brand)}
              </Alert>
            )}
            {waiting && (
              <Alert tone="info" data-testid="action-waiting" data-action={waiting.action}>
                {actionNoun(waiting.action)} requested — waiting for {brand.name} to carry it out
              </Alert>
            )}
            {newest && newest.state === "refused" && (
              <Alert tone="error" title={`${brand.name} refused the ${actionNoun(newest.action).toLowerCase()}`} data-testid="action-refused">
                {newest.reason ? newest.reason : "No reason was given."}
              </Alert>
            )}
            {newest && newest.state === "expired" && (
              <Alert tone="warning" data-testid="action-expired">
                The last {actionNoun(newest.action).toLowerCase()} request was not carried out: {brand.name}'s system stayed offline, so nothing was done.
              </Alert>
            )}
            <div className="flex flex-wrap gap-2" role="group" aria-label="Power actions">
              {ACTIONS.map((a) => (
                <Button
                  key={a}
                  variant="outline"
                  className="flex-1 sm:flex-none"
                  disabled={blocked || !allowed[a]}
                  aria-busy={(mutation.isPending && mutation.variables === a) || undefined}
                  onClick={() => ask(a)}
                  data-testid={`power-${a}`}
                >
                  {ACTION[a].icon}
                  {mutation.isPending && mutation.variables === a ? "Sending…" : ACTION[a].button}
                </Button>
              ))}
            </div>
            {!waiting && !allowed.boot && !allowed.reboot && !allowed.shutdown && (
              <p className="text-sm text-muted-foreground" data-testid="power-busy">
                The server is changing state: the buttons come back once it is running or offline.
              </p>
            )}
            <FormError message={mutation.isError ? errorText(PortalError.from(mutation.error)) : null} testId="power-error" />
          </>
        )}
        <RecentActions actions={actions} />
      </CardContent>
      <AlertDialog open={confirming !== null} onOpenChange={(open) => !open && setConfirming(null)}>
        {confirming && confirm && (
          <AlertDialogContent>
            <AlertDialogTitle>
              {ACTION[confirming].button} {server.label}?
            </AlertDialogTitle>
            <AlertDialogDescription>
              <div className="grid gap-2">
                <p>{confirm.body}</p>
                <p>
                  {offline
                    ? `${brand.name}'s system is offline right now: the request waits up to ${holdText(desktop.holdMinutes)} for it, and nothing happens before that.`
                    : `${brand.name}'s system carries it out in a moment; the status shows when it has.`}
                </p>
              </div>
            </AlertDialogDescription>
            <DialogFooter>
              <Button variant="outline" data-autofocus onClick={() => setConfirming(null)}>
                Cancel
              </Button>
              <Button variant="destructive" disabled={blocked} onClick={() => send(confirming)} data-testid="power-confirm">
                {confirm.ok}
              </Button>
            </DialogFooter>
          </AlertDialogContent>
        )}
      </AlertDialog>
    </Card>
  );
}

/** The server's newest actions: what, who, when, and how it ended. */
function RecentActions({ actions }: { actions: ServerAction[] }) {
  const headingId = React.useId();
  return (
    <section aria-labelledby={headingId} className="grid gap-2 border-t pt-4">
      <h3 id={headingId} className="text-xs font-medium text-muted-foreground">Recent actions</h3>
      {actions.length === 0 ? (
        <p className="text-sm text-muted-foreground" data-testid="server-actions-empty">No actions yet.</p>
      ) : (
        <ul className="grid divide-y" data-testid="server-actions">
          {actions.map((a) => (
            <li key={a.id} className="grid gap-1 py-2 first:pt-0 last:pb-0" data-testid="server-action" data-state={a.state}>
              <div className="flex flex-wrap items-center justify-between gap-x-3 gap-y-1">
                <span className="text-sm font-medium">{actionLabel(a.action)}</span>
                <ActionStateBadge state={a.state} />
              </div>
              <div className="text-xs text-muted-foreground">
                <span className="break-words">{a.requestedBy}</span> · <When iso={a.requestedAt} />
              </div>
              {a.state === "refused" && (
                <p className="text-sm break-words" data-testid="action-reason">
                  {a.reason ? a.reason : "No reason was given."}
                </p>
              )}
              {a.state === "expired" && (
                <p className="text-sm text-muted-foreground">Not carried out: the system was offline.</p>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ActionStateBadge({ state }: { state: ServerActionState | string }) {
  const s = STATE[state as ServerActionState] ?? { label: state, tone: "grey" as const };
  return (
    <Badge tone={s.tone} dot pulse={state === "requested"} data-testid="action-state" data-state={state}>
      {s.label}
    </Badge>
  );
}
