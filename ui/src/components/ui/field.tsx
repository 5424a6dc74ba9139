import * as React from "react";
import { cn } from "@/lib/utils";
import { Label } from "./input";

type FieldProps = {
  /** The DTO field name: ties the label, the hint and the error to the input. */
  name: string;
  label: React.ReactNode;
  error?: string;
  hint?: React.ReactNode;
  className?: string;
  /** Render-prop receives the ids/aria attributes the control should carry. */
  children: (control: { id: string; name: string; "aria-invalid": boolean; "aria-describedby"?: string }) => React.ReactNode;
};

/** A labelled form control with its hint and its error right below it. */
export function Field({ name, label, error, hint, className, children }: FieldProps) {
  const id = `f-${name}-${React.useId().replace(/:/g, "")}`;
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={cn("grid content-start gap-1.5", className)}>
      <Label htmlFor={id}>{label}</Label>
      {children({ id, name, "aria-invalid": Boolean(error), "aria-describedby": describedBy })}
      {hint && !error && (
        <p id={`${id}-hint`} className="text-xs text-muted-foreground">
          {hint}
        </p>
      )}
      <FieldError id={`${id}-error`} name={name} message={error} />
    </div>
  );
}

export function FieldError({ name, message, id }: { name: string; message?: string; id?: string }) {
  if (!message) return null;
  return (
    <p id={id} data-field-error={name} className="text-xs font-medium text-destructive">
      {message}
    </p>
  );
}
