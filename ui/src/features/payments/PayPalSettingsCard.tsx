import * as React from "react";
import { CheckCircle2, KeyRound, PlugZap } from "lucide-react";
import type { PayPalSettingsDto, PayPalSettingsInput } from "@/bindings";
import { ApiError } from "@/api/client";
import { QueryError } from "@/components/query-state";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input, Select } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import { focusFirstError, useApiForm } from "@/lib/use-api-form";
import { usePayPalSettings, useSavePayPalSettings, useTestPayPal } from "./api";

const FIELDS = ["clientId", "secret", "environment", "baseUrl", "webhookId"] as const;
type Form = { clientId: string; secret: string; environment: string; baseUrl: string; webhookId: string };

/** Checks the form and builds the input; an empty secret keeps the stored one. */
export function paypalSettingsInput(v: Form, hasSecret: boolean): { input: PayPalSettingsInput; errors: Record<string, string> } {
  const e: Record<string, string> = {};
  const clientId = v.clientId.trim();
  const secret = v.secret.trim();
  const baseUrl = v.baseUrl.trim();
  const webhookId = v.webhookId.trim();
  if (!clientId) e.clientId = "Paste the client id of your PayPal REST app";
  else if (/\s/.test(clientId)) e.clientId = "A client id has no spaces";
  if (!secret && !hasSecret) e.secret = "Paste the secret of your PayPal REST app";
  else if (/\s/.test(secret)) e.secret = "A secret has no spaces";
  if (v.environment !== "sandbox" && v.environment !== "live") e.environment = "Choose sandbox or live";
  if (baseUrl && !/^https?:\/\/[^\s/@]+(\/\S*)?$/.test(baseUrl)) e.baseUrl = "Write a URL like https://api-m.sandbox.paypal.com, or leave it empty";
  if (webhookId && !/^[A-Za-z0-9]{1,64}$/.test(webhookId)) e.webhookId = "A webhook id is letters and digits, e.g. 1JE4291016473214C";
  return {
    input: { clientId, secret: secret || null, environment: v.environment, baseUrl: baseUrl || null, webhookId: webhookId || null },
    errors: e,
  };
}

export function PayPalSettingsSection() {
  const q = usePayPalSettings();
  if (q.isError) return <QueryError what="PayPal settings" error={q.error} retry={() => q.refetch()} />;
  if (!q.data) return <Skeleton className="h-72" />;
  return <PayPalSettingsCard settings={q.data} />;
}

export function PayPalSettingsCard({ settings }: { settings: PayPalSettingsDto }) {
  const [v, setV] = React.useState<Form>({
    clientId: settings.clientId,
    secret: "",
    environment: settings.environment,
    baseUrl: settings.baseUrl ?? "",
    webhookId: settings.webhookId ?? "",
  });
  const [advanced, setAdvanced] = React.useState(Boolean(settings.baseUrl || settings.webhookId));
  const [result, setResult] = React.useState<{ ok: boolean; message: string } | null>(null);
  const form = useApiForm(FIELDS);
  const save = useSavePayPalSettings();
  const test = useTestPayPal();
  const toast = useToast();
  const formRef = React.useRef<HTMLFormElement>(null);
  const set = (k: keyof Form) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => {
    setV((x) => ({ ...x, [k]: e.target.value }));
    form.clear(k);
    setResult(null);
  };
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (save.isPending) return;
    const { input, errors } = paypalSettingsInput(v, settings.hasSecret);
    if (Object.keys(errors).length) {
      form.setErrors(errors);
      if (errors.baseUrl || errors.webhookId) setAdvanced(true);
      focusFirstError(formRef.current);
      return;
    }
    save.mutate(input, {
      onSuccess: () => {
        setV((x) => ({ ...x, secret: "" }));
        toast.success("PayPal settings saved", "The secret is in the system keyring");
      },
      onError: (err) => {
        form.fail(err, "Could not save the PayPal settings");
        if (ApiError.from(err).fields.baseUrl || ApiError.from(err).fields.webhookId) setAdvanced(true);
        focusFirstError(formRef.current);
      },
    });
  };
  const runTest = () => {
    setResult(null);
    test.mutate(undefined, {
      onSuccess: (r) => setResult({ ok: true, message: r.message }),
      onError: (err) => setResult({ ok: false, message: ApiError.from(err).message }),
    });
  };
  return (
    <Card data-testid="paypal-settings">
      <CardHeader>
        <div className="flex flex-wrap items-center justify-between gap-2">
          <CardTitle>Payments</CardTitle>
          {settings.configured ? <Badge tone="green" dot>PayPal {settings.environment}</Badge> : <Badge tone="grey">Not set up</Badge>}
        </div>
        <CardDescription>
          Top-up links paid with PayPal. Create a REST app at developer.paypal.com and paste its credentials; the secret is kept in the system keyring, never in the database.
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        {settings.currencyNote && (
          <p
            role={settings.currencySupported ? undefined : "alert"}
            data-testid="paypal-currency-note"
            className={settings.currencySupported ? "rounded-md bg-muted/60 px-3 py-2 text-sm text-muted-foreground" : "rounded-md border border-destructive/40 bg-destructive/10 px-3 py-2 text-sm text-destructive"}
          >
            {settings.currencyNote}
          </p>
        )}
        <form ref={formRef} onSubmit={submit} noValidate className="grid gap-4" aria-label="PayPal settings">
          <div className="grid gap-4 sm:grid-cols-2">
            <Field name="clientId" label="Client id" error={form.errors.clientId}>
              {(p) => <Input {...p} value={v.clientId} onChange={set("clientId")} autoComplete="off" spellCheck={false} className="font-mono text-xs" />}
            </Field>
            <Field name="secret" label="Secret" error={form.errors.secret} hint={settings.hasSecret ? "Stored in the keyring; leave empty to keep it" : undefined}>
              {(p) => (
                <Input {...p} type="password" value={v.secret} onChange={set("secret")} autoComplete="off" placeholder={settings.hasSecret ? "•••••••• (stored)" : ""} />
              )}
            </Field>
          </div>
          <div className="grid gap-4 sm:grid-cols-2">
            <Field name="environment" label="Environment" error={form.errors.environment} hint={v.environment === "live" ? "Live: real money" : "Sandbox: test money, for trying it out"}>
              {(p) => (
                <Select {...p} value={v.environment} onChange={set("environment")}>
                  <option value="sandbox">Sandbox</option>
                  <option value="live">Live</option>
                </Select>
              )}
            </Field>
          </div>
          {advanced ? (
            <div className="grid gap-4 rounded-md border border-dashed p-3 sm:grid-cols-2">
              <Field name="baseUrl" label="API base URL (advanced)" error={form.errors.baseUrl} hint={`Empty: ${v.environment === "live" ? "https://api-m.paypal.com" : "https://api-m.sandbox.paypal.com"}`}>
                {(p) => <Input {...p} value={v.baseUrl} onChange={set("baseUrl")} placeholder="http://127.0.0.1:8080" spellCheck={false} />}
              </Field>
              <Field name="webhookId" label="Webhook id" error={form.errors.webhookId} hint="From the app's Webhooks section; used to verify deliveries">
                {(p) => <Input {...p} value={v.webhookId} onChange={set("webhookId")} spellCheck={false} className="font-mono text-xs" />}
              </Field>
            </div>
          ) : (
            <button type="button" className="justify-self-start text-sm text-muted-foreground underline-offset-4 hover:underline" onClick={() => setAdvanced(true)}>
              Advanced: API base URL, webhook id
            </button>
          )}
          {result && (
            <p
              role={result.ok ? "status" : "alert"}
              data-testid="paypal-test-result"
              data-ok={result.ok}
              className={result.ok ? "flex items-center gap-2 text-sm text-emerald-700 dark:text-emerald-300" : "text-sm text-destructive"}
            >
              {result.ok && <CheckCircle2 className="size-4" />}
              {result.message}
            </p>
          )}
          <div className="flex flex-wrap justify-end gap-2">
            <Button variant="outline" onClick={runTest} disabled={!settings.configured || test.isPending} title={settings.configured ? undefined : "Save the settings first"}>
              <PlugZap /> {test.isPending ? "Testing…" : "Test connection"}
            </Button>
            <Button type="submit" disabled={save.isPending}><KeyRound /> Save PayPal settings</Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}
