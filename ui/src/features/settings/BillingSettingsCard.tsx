import * as React from "react";
import { Plus, Trash2 } from "lucide-react";
import { ApiError, type BillingSettingsDto } from "@/api/client";
import { useBillingSettings, useUpdateBillingSettings } from "@/api/queries";
import { QueryError } from "@/components/query-state";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field, FieldError } from "@/components/ui/field";
import { Checkbox, Input, Label, Select } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import { sortedCountries } from "@/lib/format";
import { parseDecimal } from "@/lib/money";
import { focusFirstError } from "@/lib/use-api-form";

type Row = { rowId: number; country: string; region: string; name: string; ratePercent: string };
type Form = {
  sellerCountry: string;
  lowBalanceThreshold: string;
  suspendAt: string;
  graceHours: string;
  terminateAfterDays: string;
  terminationWarningDays: string;
  invoiceNumberFormat: string;
  receiptNumberFormat: string;
  creditNoteNumberFormat: string;
  autoInvoice: boolean;
  taxRates: Row[];
};

let nextRowId = 1;
function toForm(s: BillingSettingsDto): Form {
  return {
    sellerCountry: s.sellerCountry,
    lowBalanceThreshold: s.lowBalanceThreshold,
    suspendAt: s.suspendAt,
    graceHours: String(s.graceHours),
    terminateAfterDays: String(s.terminateAfterDays),
    terminationWarningDays: s.terminationWarningDays.join(", "),
    invoiceNumberFormat: s.invoiceNumberFormat,
    receiptNumberFormat: s.receiptNumberFormat,
    creditNoteNumberFormat: s.creditNoteNumberFormat,
    autoInvoice: s.autoInvoice,
    taxRates: s.taxRates.map((r) => ({ rowId: nextRowId++, ...r })),
  };
}

const MAX_GRACE_HOURS = 24 * 366;
const MAX_DAYS = 366;
const SIGNED_DECIMAL = /^-?\d{1,9}(\.\d{1,4})?$/;
const PERCENT = /^\d{1,3}(\.\d{1,4})?$/;
const WHOLE = /^\d{1,6}$/;

/** Checks the form and builds the DTO; field errors use the backend's names (taxRates.0.country). */
export function billingSettingsInput(v: Form): { input: BillingSettingsDto; errors: Record<string, string> } {
  const e: Record<string, string> = {};
  if (!v.sellerCountry) e.sellerCountry = "Choose the country you sell from";
  if (!SIGNED_DECIMAL.test(v.lowBalanceThreshold.trim())) e.lowBalanceThreshold = "Enter an amount like 10.00";
  if (!SIGNED_DECIMAL.test(v.suspendAt.trim())) e.suspendAt = "Enter an amount like 0.00 or -5.00";
  if (!e.lowBalanceThreshold && !e.suspendAt) {
    const low = parseDecimal(v.lowBalanceThreshold.trim())!;
    const sus = parseDecimal(v.suspendAt.trim())!;
    const scale = Math.max(low.scale, sus.scale);
    if (low.units * 10n ** BigInt(scale - low.scale) < sus.units * 10n ** BigInt(scale - sus.scale)) {
      e.lowBalanceThreshold = "The low-balance warning must come at or before the suspension limit";
    }
  }
  // The backend's bounds (cs_core::dunning): a year at most, ten warnings.
  if (!WHOLE.test(v.graceHours.trim())) e.graceHours = "Enter whole hours, e.g. 72";
  else if (Number(v.graceHours.trim()) > MAX_GRACE_HOURS) e.graceHours = `Grace is at most ${MAX_GRACE_HOURS} hours (a year)`;
  if (!WHOLE.test(v.terminateAfterDays.trim())) e.terminateAfterDays = "Enter whole days, e.g. 30";
  else if (Number(v.terminateAfterDays.trim()) < 1 || Number(v.terminateAfterDays.trim()) > MAX_DAYS) e.terminateAfterDays = `Between 1 and ${MAX_DAYS} days`;
  const days = v.terminationWarningDays.split(",").map((d) => d.trim()).filter(Boolean);
  if (days.some((d) => !WHOLE.test(d))) e.terminationWarningDays = "Enter whole days separated by commas, e.g. 7, 3, 1";
  else if (days.length > 10 || days.some((d) => Number(d) < 1 || Number(d) > MAX_DAYS)) e.terminationWarningDays = `At most 10 days, each 1 to ${MAX_DAYS}`;
  for (const k of ["invoiceNumberFormat", "receiptNumberFormat", "creditNoteNumberFormat"] as const) {
    if (!v[k].trim()) e[k] = "A number format is required";
  }
  v.taxRates.forEach((r, i) => {
    if (!r.country) e[`taxRates.${i}.country`] = "Choose a country";
    if (!r.name.trim()) e[`taxRates.${i}.name`] = "Name the tax, e.g. VAT";
    if (!PERCENT.test(r.ratePercent.trim())) e[`taxRates.${i}.ratePercent`] = "Enter a percent like 21 or 7.7";
  });
  const input: BillingSettingsDto = {
    sellerCountry: v.sellerCountry,
    lowBalanceThreshold: v.lowBalanceThreshold.trim(),
    suspendAt: v.suspendAt.trim(),
    graceHours: Number(v.graceHours.trim()),
    terminateAfterDays: Number(v.terminateAfterDays.trim()),
    terminationWarningDays: days.map(Number),
    invoiceNumberFormat: v.invoiceNumberFormat.trim(),
    receiptNumberFormat: v.receiptNumberFormat.trim(),
    creditNoteNumberFormat: v.creditNoteNumberFormat.trim(),
    autoInvoice: v.autoInvoice,
    taxRates: v.taxRates.map((r) => ({ country: r.country, region: r.region.trim(), name: r.name.trim(), ratePercent: r.ratePercent.trim() })),
  };
  return { input, errors: e };
}

export function BillingSettingsSection() {
  const q = useBillingSettings();
  if (q.isError) return <QueryError error={q.error} retry={() => q.refetch()} />;
  if (!q.data) return <Skeleton className="h-96" />;
  return <BillingSettingsCard settings={q.data} />;
}

const FORM_FIELDS = [
  "sellerCountry", "lowBalanceThreshold", "suspendAt", "graceHours", "terminateAfterDays", "terminationWarningDays",
  "invoiceNumberFormat", "receiptNumberFormat", "creditNoteNumberFormat", "autoInvoice",
];

export function BillingSettingsCard({ settings }: { settings: BillingSettingsDto }) {
  const [v, setV] = React.useState<Form>(() => toForm(settings));
  const [errors, setErrors] = React.useState<Record<string, string>>({});
  const save = useUpdateBillingSettings();
  const toast = useToast();
  const formRef = React.useRef<HTMLFormElement>(null);
  const countries = React.useMemo(sortedCountries, []);

  const clear = (name: string) => setErrors((e) => {
    if (!(name in e)) return e;
    const { [name]: _, ...rest } = e;
    return rest;
  });
  const set = (k: keyof Omit<Form, "taxRates" | "autoInvoice">) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => {
    setV((x) => ({ ...x, [k]: e.target.value }));
    clear(k);
  };
  const setRate = (i: number, k: keyof Omit<Row, "rowId">) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => {
    setV((x) => ({ ...x, taxRates: x.taxRates.map((r, j) => (j === i ? { ...r, [k]: e.target.value } : r)) }));
    clear(`taxRates.${i}.${k}`);
  };
  const addRate = () => setV((x) => ({ ...x, taxRates: [...x.taxRates, { rowId: nextRowId++, country: x.sellerCountry, region: "", name: "VAT", ratePercent: "" }] }));
  const removeRate = (i: number) => {
    setV((x) => ({ ...x, taxRates: x.taxRates.filter((_, j) => j !== i) }));
    // Row errors are keyed by index: they no longer point at the right rows.
    setErrors((e) => Object.fromEntries(Object.entries(e).filter(([k]) => !k.startsWith("taxRates."))));
  };

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (save.isPending) return;
    const { input, errors: local } = billingSettingsInput(v);
    if (Object.keys(local).length) {
      setErrors(local);
      focusFirstError(formRef.current);
      return;
    }
    save.mutate(input, {
      onSuccess: (s) => {
        setV(toForm(s));
        setErrors({});
        toast.success("Billing settings saved");
      },
      onError: (err) => {
        const a = ApiError.from(err);
        const known = (k: string) => FORM_FIELDS.includes(k) || /^taxRates\.\d+\.(country|region|name|ratePercent)$/.test(k);
        const mine = Object.fromEntries(Object.entries(a.fields).filter(([k]) => known(k)));
        const others = Object.entries(a.fields).filter(([k]) => !known(k));
        setErrors(mine);
        if (Object.keys(mine).length === 0 || others.length) toast.error("Could not save the billing settings", others.length ? others.map(([, m]) => m).join("; ") : a.message);
        focusFirstError(formRef.current);
      },
    });
  };

  const text = (name: keyof Omit<Form, "taxRates" | "autoInvoice">, label: React.ReactNode, props: React.InputHTMLAttributes<HTMLInputElement> = {}, hint?: React.ReactNode) => (
    <Field name={name} label={label} error={errors[name]} hint={hint}>
      {(p) => <Input {...p} value={v[name]} onChange={set(name)} {...props} />}
    </Field>
  );

  return (
    <Card data-testid="billing-settings">
      <CardHeader>
        <CardTitle>Billing</CardTitle>
        <CardDescription>Prepaid wallets, when servers are suspended and terminated, document numbers and taxes.</CardDescription>
      </CardHeader>
      <CardContent>
        <form ref={formRef} onSubmit={submit} noValidate className="grid gap-5" aria-label="Billing settings">
          <div className="grid gap-4 sm:grid-cols-3">
            <Field name="sellerCountry" label="Seller country" error={errors.sellerCountry}>
              {(p) => (
                <Select {...p} value={v.sellerCountry} onChange={set("sellerCountry")}>
                  <option value="" disabled>Choose a country…</option>
                  {countries.map((c) => <option key={c.code} value={c.code}>{c.name}</option>)}
                </Select>
              )}
            </Field>
            {text("lowBalanceThreshold", "Low-balance warning at", { inputMode: "decimal", className: "tabular-nums" }, "Customers are emailed below this")}
            {text("suspendAt", "Grace starts at", { inputMode: "decimal", className: "tabular-nums" }, "Balance at which grace begins, e.g. 0.00")}
          </div>
          <div className="grid gap-4 sm:grid-cols-3">
            {text("graceHours", "Grace hours", { inputMode: "numeric", className: "tabular-nums" }, "Then servers are suspended")}
            {text("terminateAfterDays", "Terminate after days", { inputMode: "numeric", className: "tabular-nums" }, "Suspended this long: servers are deleted")}
            {text("terminationWarningDays", "Warning days", { placeholder: "7, 3, 1" }, "Days before termination to warn, comma separated")}
          </div>
          <div className="grid gap-4 sm:grid-cols-3">
            {text("invoiceNumberFormat", "Invoice numbers", { className: "font-mono text-xs" })}
            {text("receiptNumberFormat", "Receipt numbers", { className: "font-mono text-xs" })}
            {text("creditNoteNumberFormat", "Credit note numbers", { className: "font-mono text-xs" })}
          </div>
          <div className="flex items-center gap-2">
            <Checkbox id="billing-autoInvoice" name="autoInvoice" checked={v.autoInvoice} onChange={(e) => setV((x) => ({ ...x, autoInvoice: e.target.checked }))} />
            <Label htmlFor="billing-autoInvoice">Issue invoices automatically when a month closes</Label>
          </div>
          <fieldset className="grid gap-2" data-testid="tax-rates">
            <legend className="mb-2 text-sm font-medium">Tax rates</legend>
            {v.taxRates.length === 0 && <p className="text-sm text-muted-foreground">No tax rates: invoices carry no tax</p>}
            {v.taxRates.map((r, i) => (
              <div key={r.rowId} className="grid items-start gap-2 sm:grid-cols-[11rem_1fr_1fr_6rem_auto]" data-row-id={String(i)}>
                <div>
                  <Select name={`taxRates.${i}.country`} aria-label={`Tax rate ${i + 1} country`} aria-invalid={Boolean(errors[`taxRates.${i}.country`])} value={r.country} onChange={setRate(i, "country")}>
                    <option value="" disabled>Country…</option>
                    {countries.map((c) => <option key={c.code} value={c.code}>{c.name}</option>)}
                  </Select>
                  <FieldError name={`taxRates.${i}.country`} message={errors[`taxRates.${i}.country`]} />
                </div>
                <div>
                  <Input name={`taxRates.${i}.region`} aria-label={`Tax rate ${i + 1} region`} placeholder="Region (optional)" value={r.region} onChange={setRate(i, "region")} aria-invalid={Boolean(errors[`taxRates.${i}.region`])} />
                  <FieldError name={`taxRates.${i}.region`} message={errors[`taxRates.${i}.region`]} />
                </div>
                <div>
                  <Input name={`taxRates.${i}.name`} aria-label={`Tax rate ${i + 1} name`} placeholder="VAT" value={r.name} onChange={setRate(i, "name")} aria-invalid={Boolean(errors[`taxRates.${i}.name`])} />
                  <FieldError name={`taxRates.${i}.name`} message={errors[`taxRates.${i}.name`]} />
                </div>
                <div>
                  <div className="relative">
                    <Input name={`taxRates.${i}.ratePercent`} aria-label={`Tax rate ${i + 1} rate percent`} inputMode="decimal" placeholder="21" value={r.ratePercent} onChange={setRate(i, "ratePercent")} className="pr-6 text-right tabular-nums" aria-invalid={Boolean(errors[`taxRates.${i}.ratePercent`])} />
                    <span className="pointer-events-none absolute top-1/2 right-2 -translate-y-1/2 text-xs text-muted-foreground">%</span>
                  </div>
                  <FieldError name={`taxRates.${i}.ratePercent`} message={errors[`taxRates.${i}.ratePercent`]} />
                </div>
                <Button type="button" variant="ghost" size="icon" onClick={() => removeRate(i)} aria-label={`Remove tax rate ${i + 1}`}><Trash2 /></Button>
              </div>
            ))}
            <div>
              <Button type="button" variant="outline" size="sm" onClick={addRate}><Plus /> Add tax rate</Button>
            </div>
          </fieldset>
          <div className="flex justify-end">
            <Button type="submit" disabled={save.isPending}>Save billing settings</Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}
