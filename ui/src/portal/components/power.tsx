// The server page's power card: boot, reboot and shut down, each a *request*
// that the reseller's desktop checks and carries out (API.md, "Actions are
// requests"). The card never says an action ran: it says it was asked for,
// then the server's live status badge shows what the desktop did. Its notices
// and recent actions cover a delete request too (asked for in the delete
// card, `delete-server.tsx`, which shares `requestGate` with this card).
//
// Every text from the portal (a refusal's reason, a contact's name) is put
// in as a React text node, never as HTML.
import * as React from "react";
import { Play, Power, RotateCw, Trash2 } from "lucide-react";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { AlertDialog, AlertDialogContent, AlertDialogDescription, AlertDialogTitle, DialogFooter } from "@/components/ui/dialog";
import { allowedActions, type Tone } from "@/lib/status";
import { PortalError } from "../api/client";
import { useServerAction } from "../api/queries";
import type { Branding, DesktopPresence, ServerAction, ServerActionKind, ServerActionName, ServerActionState, ServerDetail } from "../api/types";
import { useBrand } from "../branding";
import { errorText } from "../lib/form";
import { FormError } from "./forms";
import { When } from "./bits";

const ACTIONS: readonly ServerActionKind[] = ["boot", "reboot", "shutdown"];

/**
 * An action in words: `button` names it in buttons and the recent actions,
 * `requested` opens the waiting notice, `noun` (lower case) fits "refused the …"
 * and "the last … request".
 */
const ACTION: Record<ServerActionName, { button: string; requested: string; noun: string; icon: React.ReactNode }> = {
  boot: { button: "Boot", requested: "Boot requested", noun: "boot", icon: <Play aria-hidden="true" /> },
  reboot: { button: "Reboot", requested: "Reboot requested", noun: "reboot", icon: <RotateCw aria-hidden="true" /> },
  shutdown: { button: "Shut down", requested: "Shutdown requested", noun: "shutdown", icon: <Power aria-hidden="true" /> },
  delete: { button: "Delete", requested: "Delete requested", noun: "deletion", icon: <Trash2 aria-hidden="true" /> },
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
  return ACTION[a as ServerActionName]?.button ?? a.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

function actionRequested(a: string): string {
  return ACTION[a as ServerActionName]?.requested ?? `${actionLabel(a)} requested`;
}

function actionNoun(a: string): string {
  return ACTION[a as ServerActionName]?.noun ?? actionLabel(a).toLowerCase();
}

/** "45 minutes", "1 minute", "3 hours": how long the reseller holds requests. */
export function holdText(minutes: number): string {
  if (minutes >= 120 && minutes % 60 === 0) return `${minutes / 60} hours`;
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}

/**
 * Whether the server is on its way out: the desktop is deleting it, or has
 * taken a delete request on and its new status has not come yet. A server
 * that failed or was deleted since says so itself.
 */
export function isBeingDeleted(server: Pick<ServerDetail, "status" | "actions">): boolean {
  if (server.status === "deleting") return true;
  const newest = server.actions?.[0];
  return newest?.action === "delete" && newest.state === "applied" && server.status !== "deleted" && server.status !== "failed";
}

/**
 * What stops any new request of a server for now, a power action or a delete
 * alike: a request of it still waiting for the reseller's desktop, or the
 * desktop being offline while the reseller holds no requests (the portal
 * would refuse it with `conflict` / `desktop_offline`).
 */
export function requestGate(server: Pick<ServerDetail, "actions" | "desktop">) {
  const actions = server.actions ?? [];
  const newest: ServerAction | undefined = actions[0];
  const waiting = newest?.state === "requested" ? newest : undefined;
  const desktop: DesktopPresence = server.desktop ?? { online: true, holdMinutes: 0 };
  const offline = desktop.online === false;
  const refusesWhileOffline = offline && !(desktop.holdMinutes > 0);
  return { actions, newest, waiting, desktop, offline, refusesWhileOffline, blocked: Boolean(waiting) || refusesWhileOffline };
}

/** What happens once a request is sent, said in a confirmation. */
export function requestTimingText(desktop: DesktopPresence, brand: Branding): string {
  return desktop.online === false
    ? `${brand.name}'s system is offline right now: the request waits up to ${holdText(desktop.holdMinutes)} for it, and nothing happens before that.`
    : `${brand.name}'s system carries it out in a moment; the status shows when it has.`;
}

/** Why a status has no power buttons at all, or null when it has them (a server being deleted says so apart). */
function noActionsText(status: string, brand: Branding): string | null {
  switch (status) {
    case "provisioning":
      return `${brand.name} is still setting this server up. Power actions are available once it is running.`;
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

  const gate = requestGate(server);
  const { actions, newest, waiting, desktop, offline } = gate;
  const deleting = isBeingDeleted(server);
  const gone = server.status === "deleted";
  const none = noActionsText(server.status, brand);
  const allowed = allowedActions(server.status);
  const blocked = mutation.isPending || gate.blocked;

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
        {deleting ? (
          <Alert tone="info" title="This server is being deleted" data-testid="server-deleting">
            {brand.name}'s system is deleting it with everything on it. Billing for it stops once it is gone, and it then leaves your list of
            servers.
          </Alert>
        ) : gone ? (
          <p className="text-sm text-muted-foreground" data-testid="power-unavailable">{none}</p>
        ) : (
          <>
            {none && <p className="text-sm text-muted-foreground" data-testid="power-unavailable">{none}</p>}
            {offline && (
              <Alert tone="warning" data-testid="desktop-offline" data-hold={desktop.holdMinutes}>
                {desktopOfflineText(desktop, brand)}
              </Alert>
            )}
            {waiting && (
              <Alert tone="info" data-testid="action-waiting" data-action={waiting.action}>
                {actionRequested(waiting.action)} — waiting for {brand.name} to carry it out
              </Alert>
            )}
            {newest && newest.state === "refused" && (
              <Alert tone="error" title={`${brand.name} refused the ${actionNoun(newest.action)}`} data-testid="action-refused" data-action={newest.action}>
                {newest.reason ? newest.reason : "No reason was given."}
              </Alert>
            )}
            {newest && newest.state === "expired" && (
              <Alert tone="warning" data-testid="action-expired" data-action={newest.action}>
                The last {actionNoun(newest.action)} request was not carried out: {brand.name}'s system stayed offline, so nothing was done.
              </Alert>
            )}
            {!none && (
              <>
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
                <p>{requestTimingText(desktop, brand)}</p>
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
