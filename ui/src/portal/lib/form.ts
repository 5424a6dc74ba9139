import * as React from "react";
import { PortalError } from "../api/client";

/** A message as a sentence: the server writes them in lower case, to fit after a field's name. */
export function sentence(message: string): string {
  return message.charAt(0).toUpperCase() + message.slice(1);
}

/** A refusal as words for the user, with the wait a rate limit asks for. */
export function errorText(e: PortalError): string {
  if (e.code === "rate_limited" && e.retryAfterSeconds !== undefined && !/\d/.test(e.message)) {
    const min = Math.ceil(e.retryAfterSeconds / 60);
    return `${sentence(e.message)} (try again in ${e.retryAfterSeconds < 90 ? `${e.retryAfterSeconds} seconds` : `${min} minutes`})`;
  }
  return sentence(e.message);
}

/**
 * A form's errors: the API's field messages land beside their inputs; what
 * concerns no input of this form is the form's own error, shown above its
 * button. `aliases` maps an API field to an input where the names differ.
 */
export function useFormErrors(fieldNames: readonly string[], aliases: Record<string, string> = {}) {
  const [errors, setErrors] = React.useState<Record<string, string>>({});
  const [formError, setFormError] = React.useState<string | null>(null);

  const clear = React.useCallback((name: string) => {
    setErrors((e) => {
      if (!(name in e)) return e;
      const { [name]: _, ...rest } = e;
      return rest;
    });
    setFormError(null);
  }, []);

  const fail = React.useCallback(
    (err: unknown) => {
      const e = PortalError.from(err);
      const mine: Record<string, string> = {};
      const others: string[] = [];
      for (const [k, msg] of Object.entries(e.fields)) {
        const name = aliases[k] ?? k;
        if (fieldNames.includes(name)) mine[name] ??= sentence(msg);
        else others.push(sentence(msg));
      }
      setErrors(mine);
      setFormError(Object.keys(mine).length === 0 ? errorText(e) : others.length ? others.join("; ") : null);
      return e;
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [fieldNames.join(","), JSON.stringify(aliases)],
  );

  const reset = React.useCallback(() => {
    setErrors({});
    setFormError(null);
  }, []);

  return { errors, setErrors, formError, setFormError, clear, fail, reset };
}

/** Moves focus to the first invalid input, so the user sees what to fix. */
export function focusFirstInvalid(form: HTMLFormElement | null) {
  window.setTimeout(() => form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus(), 0);
}
