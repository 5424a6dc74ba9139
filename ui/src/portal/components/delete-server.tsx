// The server page's danger zone: asking for a server to be deleted. Like the
// power actions, this is a *request* the reseller's desktop checks and carries
// out (API.md, "Actions are requests"): once sent, the power card above shows
// it waiting, then what the desktop made of it. To confirm, the customer types
// the server's label, which the portal checks again (`invalid` on `label`).
import * as React from "react";
import { Trash2 } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { AlertDialog, AlertDialogContent, AlertDialogDescription, AlertDialogTitle, DialogFooter } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { allowedActions } from "@/lib/status";
import { useServerDelete } from "../api/queries";
import type { ServerDetail } from "../api/types";
import { useBrand } from "../branding";
import { focusFirstInvalid, useFormErrors } from "../lib/form";
import { FormError, SubmitButton } from "./forms";
import { isBeingDeleted, requestGate, requestTimingText } from "./power";

const FIELDS = ["label"] as const;

export function DeleteServerCard({ server }: { server: ServerDetail }) {
  const brand = useBrand();
  const [open, setOpen] = React.useState(false);
  const whyId = React.useId();
  // Gone, or on its way: nothing left to ask for.
  if (!allowedActions(server.status).delete || isBeingDeleted(server)) return null;

  const gate = requestGate(server);
  const why = gate.waiting
    ? gate.waiting.action === "delete"
      ? `The deletion you asked for is waiting for ${brand.name} to carry it out.`
      : "Another request of this server is waiting: you can ask for this once it is carried out."
    : gate.refusesWhileOffline
      ? `${brand.name}'s system is offline right now, so requests are not accepted. Try again later.`
      : null;

  return (
    <Card className="border-destructive/40" data-testid="delete-card">
      <CardHeader>
        <CardTitle>Delete server</CardTitle>
        <CardDescription>The server and all its data are deleted for good, and billing for it stops once it is gone.</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-3">
        <div>
          <Button
            variant="destructive"
            className="w-full sm:w-auto"
            disabled={gate.blocked}
            aria-describedby={why ? whyId : undefined}
            onClick={() => setOpen(true)}
            data-testid="delete-open"
          >
            <Trash2 aria-hidden="true" /> Delete server…
          </Button>
        </div>
        {why && (
          <p id={whyId} className="text-sm text-muted-foreground" data-testid="delete-blocked">
            {why}
          </p>
        )}
      </CardContent>
      <AlertDialog open={open} onOpenChange={setOpen}>
        {open && <DeleteDialog server={server} onDone={() => setOpen(false)} />}
      </AlertDialog>
    </Card>
  );
}

/** The confirmation: the server's label typed exactly, then the request. Mounted afresh each time it opens. */
function DeleteDialog({ server, onDone }: { server: ServerDetail; onDone: () => void }) {
  const brand = useBrand();
  const formRef = React.useRef<HTMLFormElement>(null);
  const mutation = useServerDelete(server.id);
  const [typed, setTyped] = React.useState("");
  const f = useFormErrors(FIELDS);
  const gate = requestGate(server);
  const matches = typed === server.label;

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (!matches || gate.blocked || mutation.isPending) return;
    f.reset();
    mutation.mutate(typed, {
      onSuccess: onDone,
      onError: (err) => {
        f.fail(err);
        focusFirstInvalid(formRef.current);
      },
    });
  };

  return (
    <AlertDialogContent>
      <AlertDialogTitle className="break-words">Delete {server.label}?</AlertDialogTitle>
      <AlertDialogDescription>
        <div className="grid gap-2">
          <p>
            The server and everything on it are deleted for good: this cannot be undone. Billing for it stops once it is gone.
          </p>
          <p>{requestTimingText(gate.desktop, brand)}</p>
        </div>
      </AlertDialogDescription>
      <form ref={formRef} onSubmit={submit} noValidate className="grid gap-4" aria-label={`Delete ${server.label}`}>
        <Field
          name="label"
          label={
            <>
              Type <span className="font-mono break-all">{server.label}</span> to confirm
            </>
          }
          error={f.errors.label}
        >
          {(p) => (
            <Input
              {...p}
              data-autofocus
              autoComplete="off"
              autoCapitalize="none"
              autoCorrect="off"
              spellCheck={false}
              className="font-mono"
              value={typed}
              onChange={(e) => {
                setTyped(e.target.value);
                f.clear("label");
              }}
              data-testid="delete-label"
            />
          )}
        </Field>
        <FormError message={f.formError} testId="delete-error" />
        <DialogFooter>
          <Button variant="outline" onClick={onDone}>
            Cancel
          </Button>
          <SubmitButton
            variant="destructive"
            pending={mutation.isPending}
            pendingText="Sending…"
            disabled={!matches || gate.blocked || mutation.isPending}
            data-testid="delete-confirm"
          >
            Delete
          </SubmitButton>
        </DialogFooter>
      </form>
    </AlertDialogContent>
  );
}
