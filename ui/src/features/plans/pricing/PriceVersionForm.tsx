import * as React from "react";
import { Button } from "@/components/ui/button";
import { DialogFooter } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input, Select } from "@/components/ui/input";
import { useToast } from "@/components/ui/toast";
import { formatMoney } from "@/lib/money";
import { focusFirstError, useApiForm } from "@/lib/use-api-form";
import { useAddPriceVersion, type PlanPricingDto } from "./api";
import { applyMarkup, emptyPriceForm, toPriceVersionInput, validatePriceForm, type PriceFormValues } from "./price-form";

const FIELDS = ["item", "region", "mode", "markupPercent", "hourlyPrice", "monthlyPrice", "effectiveAt", "effectiveFrom"] as const;

/** A new version of a plan's price: markup or fixed, all regions or one, now or later. */
export function PriceVersionForm({ pricing, initialItem = "server", onDone, onCancel }: {
  pricing: PlanPricingDto;
  initialItem?: PriceFormValues["item"];
  onDone: () => void;
  onCancel: () => void;
}) {
  const [v, setV] = React.useState<PriceFormValues>(() => emptyPriceForm(initialItem));
  const form = useApiForm(FIELDS);
  const save = useAddPriceVersion(pricing.planId);
  const toast = useToast();
  const ref = React.useRef<HTMLFormElement>(null);
  const item = pricing.items.find((i) => i.item === v.item);
  const providerPriced = item?.providerPriced ?? false;

  const update = (patch: Partial<PriceFormValues>) => {
    setV((x) => ({ ...x, ...patch }));
    Object.keys(patch).forEach(form.clear);
    if ("effectiveAt" in patch || "when" in patch) form.clear("effectiveFrom");
  };

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const local = validatePriceForm(v, pricing.currency, { providerPriced });
    if (Object.keys(local).length) {
      form.setErrors(local);
      focusFirstError(ref.current);
      return;
    }
    save.mutate(toPriceVersionInput(v), {
      onSuccess: () => {
        toast.success("Price version saved", v.when === "now" ? "New servers get it now; running servers keep their price until you apply it" : "It starts at the time you chose");
        onDone();
      },
      onError: (err) => {
        form.fail(err, "Could not save the price");
        focusFirstError(ref.current);
      },
    });
  };

  const regions = v.region ? (item?.regions ?? []).filter((r) => r.region === v.region) : (item?.regions ?? []);
  const preview = regions.map((r) => {
    if (v.mode === "fixed") return { region: r.region, provider: r.providerPrice, price: v.hourlyPrice && v.monthlyPrice ? { hourly: v.hourlyPrice.trim(), monthly: v.monthlyPrice.trim() } : null };
    const p = r.providerPrice ? applyMarkup({ hourly: r.providerPrice.hourly.amount, monthly: r.providerPrice.monthly.amount }, v.markupPercent, pricing.currency) : null;
    return { region: r.region, provider: r.providerPrice, price: p };
  });

  return (
    <form ref={ref} onSubmit={submit} noValidate className="grid gap-5" aria-label="New price version">
      <div className="grid gap-4 sm:grid-cols-2">
        <Field name="item" label="Price of" error={form.errors.item}>
          {(p) => (
            <Select {...p} value={v.item} onChange={(e) => {
              const it = e.target.value as PriceFormValues["item"];
              update({ item: it, mode: it === "ipv4" ? "fixed" : v.mode });
            }}>
              {pricing.items.map((i) => <option key={i.item} value={i.item}>{i.label}</option>)}
            </Select>
          )}
        </Field>
        <Field name="region" label="Region" error={form.errors.region} hint="A region's own price wins over the one for all regions">
          {(p) => (
            <Select {...p} value={v.region} onChange={(e) => update({ region: e.target.value })}>
              <option value="">All regions (default)</option>
              {(item?.regions ?? []).map((r) => <option key={r.region} value={r.region}>{r.region}</option>)}
            </Select>
          )}
        </Field>
        <Field name="mode" label="Pricing" error={form.errors.mode}
          hint={providerPriced ? "A markup follows the provider's price in each region" : "The provider's catalogue has no price for this: set a fixed price"}>
          {(p) => (
            <Select {...p} value={v.mode} onChange={(e) => update({ mode: e.target.value as PriceFormValues["mode"] })}>
              <option value="markup" disabled={!providerPriced}>Markup over the provider's price</option>
              <option value="fixed">Fixed price</option>
            </Select>
          )}
        </Field>
        {v.mode === "markup" ? (
          <Field name="markupPercent" label="Markup (%)" error={form.errors.markupPercent} hint="From -99.99 to 1000, e.g. 25">
            {(p) => <Input {...p} inputMode="decimal" placeholder="25" value={v.markupPercent} onChange={(e) => update({ markupPercent: e.target.value })} />}
          </Field>
        ) : (
          <div className="grid grid-cols-2 gap-3">
            <Field name="hourlyPrice" label={`Per hour (${pricing.currency})`} error={form.errors.hourlyPrice}>
              {(p) => <Input {...p} inputMode="decimal" placeholder="0.025" value={v.hourlyPrice} onChange={(e) => update({ hourlyPrice: e.target.value })} />}
            </Field>
            <Field name="monthlyPrice" label={`Monthly cap (${pricing.currency})`} error={form.errors.monthlyPrice}>
              {(p) => <Input {...p} inputMode="decimal" placeholder="15.00" value={v.monthlyPrice} onChange={(e) => update({ monthlyPrice: e.target.value })} />}
            </Field>
          </div>
        )}
        <Field name="when" label="Takes effect" hint="Running servers keep their price until you apply the change to them">
          {(p) => (
            <Select {...p} value={v.when} onChange={(e) => update({ when: e.target.value as PriceFormValues["when"] })}>
              <option value="now">Now</option>
              <option value="later">At a later time…</option>
            </Select>
          )}
        </Field>
        {v.when === "later" && (
          <Field name="effectiveAt" label="Starts at (your local time)" error={form.errors.effectiveAt ?? form.errors.effectiveFrom}>
            {(p) => <Input {...p} type="datetime-local" value={v.effectiveAt} onChange={(e) => update({ effectiveAt: e.target.value })} />}
          </Field>
        )}
      </div>
      {preview.length > 0 && (
        <div className="rounded-md border">
          <table className="w-full text-sm" data-testid="price-preview">
            <thead className="text-xs text-muted-foreground">
              <tr className="border-b"><th className="px-3 py-2 text-left font-medium">Region</th><th className="px-3 py-2 text-right font-medium">Provider</th><th className="px-3 py-2 text-right font-medium">Customer pays</th></tr>
            </thead>
            <tbody>
              {preview.map((r) => (
                <tr key={r.region} data-region={r.region} className="border-b last:border-0">
                  <td className="px-3 py-2 font-mono text-xs">{r.region}</td>
                  <td className="px-3 py-2 text-right tabular-nums text-muted-foreground">{r.provider ? `${formatMoney(r.provider.monthly.amount, pricing.currency)}/mo` : "—"}</td>
                  <td className="px-3 py-2 text-right tabular-nums font-medium" data-testid="preview-price">
                    {r.price ? <>{formatMoney(r.price.monthly, pricing.currency)}/mo <span className="text-xs font-normal text-muted-foreground">· {formatMoney(r.price.hourly, pricing.currency, { maxFraction: 6 })}/h</span></> : "—"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <DialogFooter>
        <Button type="button" variant="outline" onClick={onCancel}>Cancel</Button>
        <Button type="submit" disabled={save.isPending}>{save.isPending ? "Saving…" : "Save price version"}</Button>
      </DialogFooter>
    </form>
  );
}
