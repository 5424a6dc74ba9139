import * as React from "react";
import type { CatalogueDto, InstanceTypeDto, PlanDto, PlanInput } from "@/api/client";
import { useAppInfo, useCatalogue, useSavePlan, useSettings } from "@/api/queries";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Field, FieldError } from "@/components/ui/field";
import { Checkbox, Input, Select } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import { compareDecimal, currencyDigits, formatMoney, formatMoneyDto, isPriceInput, margin, parseDecimal } from "@/lib/money";
import { formatMemory } from "@/lib/format";
import { focusFirstError, useApiForm } from "@/lib/use-api-form";
import { cn } from "@/lib/utils";

const FIELDS = ["name", "provider", "providerType", "regions", "monthlyPrice", "hourlyPrice"] as const;
const FALLBACK_PROVIDERS = [
  { kind: "sandbox", name: "Sandbox", connected: true, detail: "" },
  { kind: "linode", name: "Linode", connected: false, detail: "Not connected" },
  { kind: "digitalocean", name: "DigitalOcean", connected: false, detail: "Not connected" },
];

/** Whether a server of `t` can be created in `region` (DigitalOcean sells some sizes in some regions only). */
export function offeredIn(t: InstanceTypeDto | undefined, region: string): boolean {
  return !t?.regions || t.regions.includes(region);
}

export function validatePlan(v: PlanInput, currency: string, type?: InstanceTypeDto): Record<string, string> {
  const e: Record<string, string> = {};
  const digits = currencyDigits(currency);
  if (!v.name.trim()) e.name = "Plan name is required";
  if (!v.provider) e.provider = "Choose a provider";
  if (!v.providerType) e.providerType = "Choose the provider's instance type this plan sells";
  const notOffered = v.regions.filter((r) => !offeredIn(type, r));
  if (v.regions.length === 0) e.regions = "Choose at least one region";
  else if (type && notOffered.length) e.regions = `${type.id} is not offered in ${notOffered.join(", ")}: untick ${notOffered.length === 1 ? "it" : "them"} or choose another type`;
  if (!v.monthlyPrice.trim()) e.monthlyPrice = "Monthly price is required";
  else if (!isPriceInput(v.monthlyPrice, digits)) e.monthlyPrice = digits ? `Enter an amount like 12.00 (up to ${digits} decimals)` : "Enter a whole amount like 1200";
  else if (/^[0.]+$/.test(v.monthlyPrice.trim())) e.monthlyPrice = "Monthly price must be more than zero";
  if (!v.hourlyPrice.trim()) e.hourlyPrice = "Hourly price is required";
  else if (!isPriceInput(v.hourlyPrice, 6)) e.hourlyPrice = "Enter an amount like 0.018 (up to 6 decimals)";
  else if (/^[0.]+$/.test(v.hourlyPrice.trim())) e.hourlyPrice = "Hourly price must be more than zero";
  if (!e.monthlyPrice && !e.hourlyPrice && compareDecimal(parseDecimal(v.hourlyPrice)!, parseDecimal(v.monthlyPrice)!) > 0) {
    e.hourlyPrice = "Hourly price is higher than the monthly price: check both figures";
  }
  return e;
}

export function PlanDialog({ open, onOpenChange, plan }: { open: boolean; onOpenChange: (o: boolean) => void; plan?: PlanDto }) {
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent wide>
        <DialogHeader>
          <DialogTitle>{plan ? `Edit ${plan.name}` : "New plan"}</DialogTitle>
          <DialogDescription>A plan is what you sell: a provider's instance type, the regions it is offered in, and your price.</DialogDescription>
        </DialogHeader>
        {open && <PlanForm plan={plan} onDone={() => onOpenChange(false)} onCancel={() => onOpenChange(false)} />}
      </DialogContent>
    </Dialog>
  );
}

function priceFor(t: InstanceTypeDto, region: string) {
  return t.regionPrices.find((p) => p.region === region) ?? { region, monthly: t.monthly, hourly: t.hourly };
}

export function PlanForm({ plan, onDone, onCancel }: { plan?: PlanDto; onDone: () => void; onCancel: () => void }) {
  const info = useAppInfo();
  const settings = useSettings();
  const currency = settings.data?.currency ?? info.data?.currency ?? "USD";
  const providers = info.data?.providers ?? FALLBACK_PROVIDERS;
  const [v, setV] = React.useState<PlanInput>(() =>
    plan
      ? { name: plan.name, provider: plan.provider, providerType: plan.providerType, regions: plan.regions, monthlyPrice: plan.monthly.amount, hourlyPrice: plan.hourly.amount }
      : { name: "", provider: "sandbox", providerType: "", regions: [], monthlyPrice: "", hourlyPrice: "" },
  );
  // Prices follow the chosen type's provider price until the user types their own.
  const [pricesTouched, setPricesTouched] = React.useState(Boolean(plan));
  const catalogue = useCatalogue(v.provider || null);
  const form = useApiForm(FIELDS);
  const save = useSavePlan();
  const toast = useToast();
  const formRef = React.useRef<HTMLFormElement>(null);
  const type = catalogue.data?.types.find((t) => t.id === v.providerType);
  // Where the chosen cloud differs (DigitalOcean: no StackScripts, one price in every region).
  const catalogueNotes = (info.data?.providers.find((pr) => pr.kind === v.provider)?.capabilities.notes ?? [])
    .filter((n) => n.topic === "catalogue")
    .map((n) => n.text);
  // The backend refuses to change what a plan sells while servers run on it.
  const typeLocked = Boolean(plan && plan.liveServers > 0);

  const update = (patch: Partial<PlanInput>) => {
    setV((x) => ({ ...x, ...patch }));
    Object.keys(patch).forEach(form.clear);
  };

  const chooseType = (id: string) => {
    const t = catalogue.data?.types.find((x) => x.id === id);
    const patch: Partial<PlanInput> = { providerType: id };
    if (t && !pricesTouched) {
      patch.monthlyPrice = t.monthly.amount;
      patch.hourlyPrice = t.hourly.amount;
      form.clear("monthlyPrice");
      form.clear("hourlyPrice");
    }
    if (t && !v.name.trim()) patch.name = t.label;
    update(patch);
  };

  const toggleRegion = (id: string, on: boolean) => update({ regions: on ? [...v.regions, id] : v.regions.filter((r) => r !== id) });

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const input: PlanInput = { ...v, name: v.name.trim(), monthlyPrice: v.monthlyPrice.trim(), hourlyPrice: v.hourlyPrice.trim() };
    const local = validatePlan(input, currency, type);
    if (Object.keys(local).length) {
      form.setErrors(local);
      focusFirstError(formRef.current);
      return;
    }
    save.mutate(
      { id: plan?.id ?? null, input },
      {
        onSuccess: (p) => {
          toast.success(plan ? "Plan saved" : "Plan created", p.name);
          onDone();
        },
        onError: (err) => {
          form.fail(err, plan ? "Could not save the plan" : "Could not create the plan");
          focusFirstError(formRef.current);
        },
      },
    );
  };

  return (
    <form ref={formRef} onSubmit={submit} noValidate className="grid gap-5" aria-label={plan ? "Edit plan" : "New plan"}>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field name="provider" label="Provider" error={form.errors.provider}>
          {(p) => (
            <Select {...p} value={v.provider} disabled={typeLocked} onChange={(e) => update({ provider: e.target.value, providerType: "", regions: [] })}>
              {providers.map((pr) => (
                <option key={pr.kind} value={pr.kind} disabled={!pr.connected}>
                  {pr.name}{pr.connected ? "" : " — not connected"}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field name="providerType" label="Instance type" error={form.errors.providerType}
          hint={typeLocked ? `${plan!.liveServers} live server${plan!.liveServers === 1 ? " uses" : "s use"} this plan: to sell another type, create a new plan` : undefined}>
          {(p) => (
            <Select {...p} value={v.providerType} onChange={(e) => chooseType(e.target.value)} disabled={!catalogue.data || typeLocked}>
              <option value="" disabled>{catalogue.isPending ? "Loading types…" : "Choose a type…"}</option>
              {catalogue.data?.types.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.label} — {formatMoneyDto(t.monthly)}/mo
                </option>
              ))}
            </Select>
          )}
        </Field>
      </div>

      {catalogue.isError && <p className="text-sm text-destructive">The provider's catalogue could not be loaded. Check Settings → Providers.</p>}
      {catalogueNotes.length > 0 && (
        <ul className="grid list-disc gap-1 pl-5 text-sm text-muted-foreground" data-testid="provider-catalogue-notes">
          {catalogueNotes.map((n) => <li key={n}>{n}</li>)}
        </ul>
      )}
      {type && <TypeSpecs type={type} />}

      <Field name="name" label="Plan name" error={form.errors.name} hint="What your customers see, e.g. “Starter 2 GB”">
        {(p) => <Input {...p} value={v.name} onChange={(e) => update({ name: e.target.value })} placeholder="Starter 2 GB" />}
      </Field>

      <fieldset className="grid gap-2">
        <legend className="mb-1.5 text-sm font-medium">Regions</legend>
        {!catalogue.data ? (
          <div className="grid grid-cols-2 gap-2">{Array.from({ length: 4 }, (_, i) => <Skeleton key={i} className="h-10" />)}</div>
        ) : (
          <RegionChecklist catalogue={catalogue.data} type={type} selected={v.regions} onToggle={toggleRegion} invalid={Boolean(form.errors.regions)} />
        )}
        <FieldError name="regions" message={form.errors.regions} />
      </fieldset>

      <div className="grid gap-4 sm:grid-cols-2">
        <Field name="monthlyPrice" label={`Monthly price (${currency})`} error={form.errors.monthlyPrice} hint={type ? `Provider: ${formatMoneyDto(type.monthly)} per month` : "The most a server costs in a calendar month"}>
          {(p) => (
            <Input {...p} inputMode="decimal" className="text-right tabular-nums" value={v.monthlyPrice} placeholder={type?.monthly.amount ?? "12.00"}
              onChange={(e) => { setPricesTouched(true); update({ monthlyPrice: e.target.value }); }} />
          )}
        </Field>
        <Field name="hourlyPrice" label={`Hourly price (${currency})`} error={form.errors.hourlyPrice} hint={type ? `Provider: ${formatMoneyDto(type.hourly)} per hour` : "Billed per started hour, up to the monthly price"}>
          {(p) => (
            <Input {...p} inputMode="decimal" className="text-right tabular-nums" value={v.hourlyPrice} placeholder={type?.hourly.amount ?? "0.018"}
              onChange={(e) => { setPricesTouched(true); update({ hourlyPrice: e.target.value }); }} />
          )}
        </Field>
      </div>

      {type && v.regions.length > 0 && isPriceInput(v.monthlyPrice, currencyDigits(currency)) && (
        <MarginPreview type={type} regions={v.regions} monthly={v.monthlyPrice} currency={currency} />
      )}

      <DialogFooter>
        <Button variant="outline" onClick={onCancel}>Cancel</Button>
        <Button type="submit" disabled={save.isPending}>{plan ? "Save plan" : "Create plan"}</Button>
      </DialogFooter>
    </form>
  );
}

function TypeSpecs({ type }: { type: InstanceTypeDto }) {
  const specs = [
    ["vCPU", String(type.vcpus)],
    ["Memory", formatMemory(type.memoryMb)],
    ["Disk", `${type.diskGb} GB`],
    ["Transfer", `${type.transferGb} GB`],
    ["Provider price", `${formatMoneyDto(type.monthly)}/mo`],
  ];
  return (
    <dl className="grid grid-cols-2 gap-x-4 gap-y-2 rounded-lg border bg-muted/40 p-3 text-sm sm:grid-cols-5" data-testid="type-specs">
      {specs.map(([k, val]) => (
        <div key={k} className="min-w-0">
          <dt className="text-xs text-muted-foreground">{k}</dt>
          <dd className="truncate font-medium tabular-nums">{val}</dd>
        </div>
      ))}
    </dl>
  );
}

function RegionChecklist({ catalogue, type, selected, onToggle, invalid }: { catalogue: CatalogueDto; type?: InstanceTypeDto; selected: string[]; onToggle: (id: string, on: boolean) => void; invalid: boolean }) {
  return (
    <div className={cn("grid gap-2 sm:grid-cols-2", invalid && "rounded-lg ring-1 ring-destructive ring-offset-4 ring-offset-card")}>
      {catalogue.regions.map((r) => {
        const offered = offeredIn(type, r.id);
        const open = r.available && offered;
        const checked = selected.includes(r.id);
        const price = type && offered ? priceFor(type, r.id) : null;
        return (
          <label
            key={r.id}
            className={cn(
              "flex items-center gap-3 rounded-md border px-3 py-2 text-sm transition-colors",
              open ? "cursor-pointer hover:bg-accent/60" : "cursor-not-allowed opacity-60",
              checked && (open ? "border-primary/60 bg-primary/5" : "border-destructive/60 opacity-100"),
            )}
          >
            {/* A region that cannot be chosen stays untickable while ticked, so it can be removed. */}
            <Checkbox name="regions" value={r.id} checked={checked} disabled={!open && !checked} onChange={(e) => onToggle(r.id, e.target.checked)} />
            <span className="min-w-0 flex-1">
              <span className="block truncate font-medium">{r.label}</span>
              <span className={cn("block text-xs", checked && !offered ? "text-destructive" : "text-muted-foreground")} data-testid={`region-note-${r.id}`}>
                {r.id}{!r.available ? " · not accepting new servers" : !offered ? " · this type is not sold here" : ""}
              </span>
            </span>
            {price && <span className="text-xs text-muted-foreground tabular-nums">{formatMoneyDto(price.monthly)}</span>}
          </label>
        );
      })}
    </div>
  );
}

function MarginPreview({ type, regions, monthly, currency }: { type: InstanceTypeDto; regions: string[]; monthly: string; currency: string }) {
  return (
    <div className="rounded-lg border text-sm" data-testid="margin-preview">
      <div className="grid grid-cols-[1fr_auto_auto_auto] gap-x-6 border-b bg-muted/40 px-3 py-2 text-xs font-medium text-muted-foreground">
        <span>Region</span><span className="text-right">Provider</span><span className="text-right">Yours</span><span className="text-right">Margin</span>
      </div>
      {regions.map((r) => {
        const p = priceFor(type, r);
        const m = p.monthly.currency === currency ? margin(monthly, p.monthly.amount) : null;
        return (
          <div key={r} className="grid grid-cols-[1fr_auto_auto_auto] gap-x-6 px-3 py-1.5 tabular-nums">
            <span>{r}</span>
            <span className="text-right">{formatMoneyDto(p.monthly)}</span>
            <span className="text-right">{formatMoney(monthly, currency)}</span>
            <span className={cn("text-right font-medium", m?.negative ? "text-destructive" : "text-emerald-700 dark:text-emerald-400")}>
              {m ? `${formatMoney(m.amount, currency)}${m.percent ? ` (${m.percent} %)` : ""}` : "—"}
            </span>
          </div>
        );
      })}
    </div>
  );
}
