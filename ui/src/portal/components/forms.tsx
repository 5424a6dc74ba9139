import * as React from "react";
import { Check, Dot, X } from "lucide-react";
import { cn } from "@/lib/utils";
import { Alert } from "@/components/ui/alert";
import { Button, type ButtonProps } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { PasswordInput } from "@/components/ui/password-input";
import { passwordRules, passwordStrength } from "../lib/password";

/** The error of a whole form, right above its button. */
export function FormError({ message, testId = "form-error" }: { message: string | null | undefined; testId?: string }) {
  if (!message) return null;
  return (
    <Alert tone="error" data-testid={testId}>
      {message}
    </Alert>
  );
}

export function SubmitButton({ pending, children, pendingText, ...props }: ButtonProps & { pending: boolean; pendingText?: string }) {
  return (
    <Button type="submit" {...props} disabled={pending || props.disabled} aria-busy={pending || undefined}>
      {pending ? (pendingText ?? "Working…") : children}
    </Button>
  );
}

const BARS = ["bg-destructive", "bg-destructive", "bg-amber-500", "bg-emerald-500", "bg-emerald-600"];

/**
 * A new password with the rules the portal enforces ticked off while typing,
 * and a rough strength hint.
 */
export function NewPasswordField({
  name = "password",
  label = "New password",
  value,
  onChange,
  email,
  error,
  autoFocus,
}: {
  name?: string;
  label?: string;
  value: string;
  onChange: (v: string) => void;
  email?: string;
  error?: string;
  autoFocus?: boolean;
}) {
  const rules = passwordRules(value, email);
  const strength = passwordStrength(value);
  const rulesId = React.useId();
  return (
    <Field name={name} label={label} error={error}>
      {(p) => (
        <div className="grid gap-2">
          <PasswordInput
            {...p}
            aria-describedby={[p["aria-describedby"], rulesId].filter(Boolean).join(" ")}
            autoComplete="new-password"
            value={value}
            onChange={(e) => onChange(e.target.value)}
            autoFocus={autoFocus}
            required
          />
          <div className={cn("flex items-center gap-2", !value && "hidden")} aria-hidden={value ? undefined : true}>
            <div className="grid flex-1 grid-cols-4 gap-1">
              {[1, 2, 3, 4].map((i) => (
                <div key={i} className={cn("h-1 rounded-full bg-muted", value && strength.score >= i && BARS[strength.score])} />
              ))}
            </div>
            <span className="w-16 text-right text-xs text-muted-foreground" data-testid="password-strength">
              {strength.label}
            </span>
          </div>
          <ul id={rulesId} className="grid gap-1 text-xs" aria-label="Password rules">
            {rules.map((r) => (
              <li key={r.id} data-rule={r.id} data-ok={r.ok ?? undefined} className={cn("flex items-center gap-1.5", r.ok ? "text-emerald-700 dark:text-emerald-400" : "text-muted-foreground")}>
                {r.ok === null ? (
                  <Dot className="size-3.5" aria-hidden="true" />
                ) : r.ok ? (
                  <Check className="size-3.5" aria-hidden="true" />
                ) : (
                  <X className="size-3.5" aria-hidden="true" />
                )}
                <span>{r.label}</span>
                {r.ok !== null && <span className="sr-only">{r.ok ? "(met)" : "(not met yet)"}</span>}
              </li>
            ))}
          </ul>
        </div>
      )}
    </Field>
  );
}
