import * as React from "react";
import { ApiError } from "@/api/client";
import { useToast } from "@/components/ui/toast";

/**
 * Field errors for a form: client-side checks and the backend's ApiError.fields
 * both land here and are shown next to their inputs. Errors that concern no
 * field of this form (or no field at all) become a toast.
 */
export function useApiForm(fieldNames: readonly string[]) {
  const toast = useToast();
  const [errors, setErrors] = React.useState<Record<string, string>>({});

  const clear = React.useCallback((name: string) => {
    setErrors((e) => {
      if (!(name in e)) return e;
      const { [name]: _, ...rest } = e;
      return rest;
    });
  }, []);

  const fail = React.useCallback(
    (err: unknown, title = "Could not save") => {
      const e = ApiError.from(err);
      const mine = Object.fromEntries(Object.entries(e.fields).filter(([k]) => fieldNames.includes(k)));
      const others = Object.entries(e.fields).filter(([k]) => !fieldNames.includes(k));
      setErrors(mine);
      if (Object.keys(mine).length === 0 || others.length > 0) {
        toast.error(title, others.length ? others.map(([, m]) => m).join("; ") : e.message);
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [toast, fieldNames.join(",")],
  );

  return { errors, setErrors, clear, fail };
}

/** Moves keyboard focus to the first invalid control so the user sees what to fix. */
export function focusFirstError(form: HTMLFormElement | null) {
  window.setTimeout(() => {
    form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, 0);
}
