import * as React from "react";
import { Lock } from "lucide-react";
import type { SettingsInput } from "@/api/client";
import { useSettings, useUpdateSettings } from "@/api/queries";
import { PageHeader } from "@/components/page-header";
import { QueryError } from "@/components/query-state";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input, Select } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import { focusFirstError, useApiForm } from "@/lib/use-api-form";
import { BillingSettingsSection } from "./BillingSettingsCard";
import { EmailSettingsSection } from "@/features/mail/EmailSettingsCard";
import { PayPalSettingsSection } from "@/features/payments/PayPalSettingsCard";
import { BrandingSection } from "@/features/documents/BrandingCard";
import { ProvidersCard } from "@/features/providers/ProvidersCard";
import { PortalSection } from "@/features/portal/PortalCard";
import { BackupsSection } from "@/features/backup/BackupsCard";
import { NotificationsSection } from "@/features/notifications/NotificationsCard";
import { AboutSection } from "@/features/updates/AboutCard";

const CURRENCIES = ["USD", "EUR", "GBP", "CAD", "AUD", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "JPY", "SGD", "INR", "BRL"];
const FIELDS = ["resellerName", "currency"] as const;

export function SettingsPage() {
  const settings = useSettings();
  return (
    <>
      <PageHeader title="Settings" description="Your business, your providers, and this installation" />
      <div className="grid max-w-3xl gap-5">
        {settings.isError ? <QueryError error={settings.error} retry={() => settings.refetch()} /> : settings.data ? <BusinessCard key={settings.data.resellerName + settings.data.currency} /> : <Skeleton className="h-56" />}
        <BillingSettingsSection />
        <EmailSettingsSection />
        <PayPalSettingsSection />
        <BrandingSection />
        <PortalSection />
        <BackupsSection />
        <NotificationsSection />
        <ProvidersCard />
        <AboutSection />
      </div>
    </>
  );
}

function BusinessCard() {
  const settings = useSettings();
  const s = settings.data!;
  const [v, setV] = React.useState<SettingsInput>({ resellerName: s.resellerName, currency: s.currency });
  const form = useApiForm(FIELDS);
  const save = useUpdateSettings();
  const toast = useToast();
  const formRef = React.useRef<HTMLFormElement>(null);
  const dirty = v.resellerName !== s.resellerName || v.currency !== s.currency;
  const currencies = CURRENCIES.includes(s.currency) ? CURRENCIES : [s.currency, ...CURRENCIES];

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const input = { ...v, resellerName: v.resellerName.trim() };
    if (!input.resellerName) {
      form.setErrors({ resellerName: "Your business name is required" });
      focusFirstError(formRef.current);
      return;
    }
    save.mutate(input, {
      onSuccess: () => toast.success("Settings saved"),
      onError: (err) => {
        form.fail(err, "Could not save the settings");
        focusFirstError(formRef.current);
      },
    });
  };

  return (
    <Card>
      <CardHeader>
        <CardTitle>Business</CardTitle>
        <CardDescription>Shown to your customers on invoices and in the portal.</CardDescription>
      </CardHeader>
      <CardContent>
        <form ref={formRef} onSubmit={submit} noValidate className="grid gap-4" aria-label="Business settings">
          <div className="grid gap-4 sm:grid-cols-[1fr_12rem]">
            <Field name="resellerName" label="Business name" error={form.errors.resellerName}>
              {(p) => <Input {...p} value={v.resellerName} onChange={(e) => { setV({ ...v, resellerName: e.target.value }); form.clear("resellerName"); }} placeholder="Acme Cloud" />}
            </Field>
            <Field
              name="currency"
              label="Currency"
              error={form.errors.currency}
              hint={s.currencyLocked ? <span className="inline-flex items-center gap-1" data-testid="currency-locked"><Lock className="size-3 shrink-0" /> Locked</span> : "Locks when the first plan is created or money is recorded"}
            >
              {(p) => (
                <Select {...p} value={v.currency} disabled={s.currencyLocked} onChange={(e) => { setV({ ...v, currency: e.target.value }); form.clear("currency"); }}>
                  {currencies.map((c) => <option key={c} value={c}>{c}</option>)}
                </Select>
              )}
            </Field>
          </div>
          {s.currencyLocked && (
            <p className="rounded-md bg-muted/60 px-3 py-2 text-xs text-muted-foreground">
              The currency is locked because {s.currencyLockedBecause ?? "plans exist"}: prices, your customers' wallets and documents are kept in {s.currency}, and changing it would change what everyone owes.
            </p>
          )}
          <div className="flex justify-end">
            <Button type="submit" disabled={!dirty || save.isPending}>Save settings</Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}
