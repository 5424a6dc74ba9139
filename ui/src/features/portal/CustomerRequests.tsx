import * as React from "react";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Select } from "@/components/ui/input";
import { useToast } from "@/components/ui/toast";
import { focusFirstError, useApiForm } from "@/lib/use-api-form";
import { useSetPortalIntentHold } from "./api";

const FIELDS = ["intentHoldMinutes"] as const;

/** The choices offered; a stored value that is none of them is shown as "Hold for N minutes". */
export const HOLD_CHOICES: readonly { minutes: number; label: string; span: string }[] = [
  { minutes: 0, label: "Refuse requests", span: "" },
  { minutes: 15, label: "Hold for 15 minutes", span: "15 minutes" },
  { minutes: 60, label: "Hold for 1 hour", span: "1 hour" },
  { minutes: 240, label: "Hold for 4 hours", span: "4 hours" },
  { minutes: 1440, label: "Hold for 1 day", span: "1 day" },
];

const minutesText = (m: number) => `${m} minute${m === 1 ? "" : "s"}`;

export function holdLabel(minutes: number): string {
  return HOLD_CHOICES.find((c) => c.minutes === minutes)?.label ?? `Hold for ${minutesText(minutes)}`;
}

/** What the choice means for a customer, in one sentence. */
function holdMeaning(minutes: number): string {
  if (minutes === 0) return "The portal turns requests away while this desktop is offline; customers can ask again once it is back.";
  const span = HOLD_CHOICES.find((c) => c.minutes === minutes)?.span ?? minutesText(minutes);
  return `Requests wait up to ${span} at the portal; if this desktop is not back by then, they expire and nothing is done.`;
}

/** Settings → Portal, when paired: what happens to customers' power requests while this desktop is offline. */
export function CustomerRequests({ minutes }: { minutes: number }) {
  // null: not edited, the stored value is shown (and follows the status query).
  const [edited, setEdited] = React.useState<number | null>(null);
  const form = useApiForm(FIELDS);
  const save = useSetPortalIntentHold();
  const toast = useToast();
  const formRef = React.useRef<HTMLFormElement>(null);
  const value = edited ?? minutes;
  const dirty = value !== minutes;
  const choices = HOLD_CHOICES.some((c) => c.minutes === minutes)
    ? HOLD_CHOICES
    : [...HOLD_CHOICES, { minutes, label: holdLabel(minutes), span: minutesText(minutes) }].sort((a, b) => a.minutes - b.minutes);

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (!dirty || save.isPending) return;
    save.mutate(value, {
      onSuccess: (s) => {
        setEdited(null);
        form.setErrors({});
        toast.success("Customers' requests setting saved", holdLabel(s.intentHoldMinutes));
      },
      onError: (err) => {
        form.fail(err, "Could not save the setting for customers' requests");
        focusFirstError(formRef.current);
      },
    });
  };

  return (
    <form ref={formRef} onSubmit={submit} noValidate className="grid gap-3 border-t pt-5" aria-label="Customers' requests" data-testid="portal-customer-requests">
      <p className="text-sm font-medium">Customers' requests</p>
      <p className="text-xs text-muted-foreground">
        Customers can boot, reboot and shut down their servers on the portal; this desktop carries the requests out.
      </p>
      <div className="flex flex-wrap items-start gap-2">
        <Field name="intentHoldMinutes" label="While this desktop is offline" error={form.errors.intentHoldMinutes} hint={holdMeaning(value)} className="min-w-64 flex-1">
          {(p) => (
            <Select {...p} value={String(value)} onChange={(e) => { setEdited(Number(e.target.value)); form.clear("intentHoldMinutes"); }}>
              {choices.map((c) => <option key={c.minutes} value={String(c.minutes)}>{c.label}</option>)}
            </Select>
          )}
        </Field>
        <Button type="submit" className="mt-6" disabled={!dirty || save.isPending}>{save.isPending ? "Saving…" : "Save"}</Button>
      </div>
    </form>
  );
}
