import * as React from "react";
import { Link } from "react-router";
import { KeyRound, Mail, Send } from "lucide-react";
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
import { type EmailSettingsDto, type EmailSettingsInput, useEmailSettings, useSendTestMail, useUpdateEmailSettings } from "./api";

export type EmailForm = {
  host: string;
  port: string;
  security: string;
  username: string;
  password: string;
  fromName: string;
  fromAddress: string;
  replyTo: string;
  brandColor: string;
  logoUrl: string;
  website: string;
  portalUrl: string;
};

const FIELDS = ["host", "port", "security", "username", "password", "fromName", "fromAddress", "replyTo", "brandColor", "logoUrl", "website", "portalUrl", "testTo"] as const;

export function toEmailForm(s: EmailSettingsDto): EmailForm {
  return {
    host: s.host,
    port: s.host ? String(s.port) : "587",
    security: s.security || "starttls",
    username: s.username,
    password: "",
    fromName: s.fromName,
    fromAddress: s.fromAddress,
    replyTo: s.replyTo,
    brandColor: s.brandColor || "#2563eb",
    logoUrl: s.logoUrl,
    website: s.website,
    portalUrl: s.portalUrl,
  };
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const COLOR = /^#[0-9a-fA-F]{6}$/;

export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function httpsOk(u: string): boolean {
  return u === "" || (/^https:\/\/\S+$/.test(u) && !/["'<>&]/.test(u));
}

/** Checks the form like the backend does and builds the input. The password
 * is sent only when typed: `null` keeps the one in the keyring. */
export function emailSettingsInput(v: EmailForm, passwordSet: boolean): { input: EmailSettingsInput; errors: Record<string, string> } {
  const e: Record<string, string> = {};
  const host = v.host.trim();
  if (!host) e.host = "Enter your relay's host name, e.g. mail.smtp2go.com";
  else if (/\s|:\/\/|\//.test(host)) e.host = "Write only the host name, e.g. mail.smtp2go.com (no smtp://, no port)";
  const port = Number(v.port.trim());
  if (!/^\d{1,5}$/.test(v.port.trim()) || port < 1 || port > 65535) e.port = "Enter the relay's port: usually 587 for STARTTLS or 465 for TLS";
  if (v.security === "none" && host && !isLoopback(host)) {
    e.security = "No encryption is only allowed for a relay on this computer (localhost or 127.0.0.1): choose STARTTLS or TLS";
  }
  const username = v.username.trim();
  if (!username && v.password) e.username = "Enter the user name that goes with the password";
  if (username && !v.password && !passwordSet) e.password = "Enter the relay's password for this user name";
  if (/[<>\r\n]/.test(v.fromName) || v.fromName.trim().length > 100) e.fromName = "At most 100 characters, without < or >";
  const from = v.fromAddress.trim();
  if (!from) e.fromAddress = "Enter the address your mail comes from, e.g. billing@yourcloud.com";
  else if (!EMAIL.test(from)) e.fromAddress = "This is not an email address";
  if (v.replyTo.trim() && !EMAIL.test(v.replyTo.trim())) e.replyTo = "This is not an email address: correct it or leave it empty";
  if (!COLOR.test(v.brandColor.trim())) e.brandColor = "Write the colour as #rrggbb, e.g. #2563eb";
  for (const k of ["logoUrl", "website", "portalUrl"] as const) {
    if (!httpsOk(v[k].trim())) e[k] = "Write a full https:// address without spaces, quotes or &, or leave it empty";
  }
  return {
    errors: e,
    input: {
      host,
      port: Number.isFinite(port) ? port : 0,
      security: v.security,
      username,
      password: v.password ? v.password : null,
      fromName: v.fromName.trim(),
      fromAddress: from,
      replyTo: v.replyTo.trim(),
      brandColor: v.brandColor.trim(),
      logoUrl: v.logoUrl.trim(),
      website: v.website.trim(),
      portalUrl: v.portalUrl.trim(),
    },
  };
}

export function EmailSettingsSection() {
  const q = useEmailSettings();
  if (q.isError) return <QueryError error={q.error} retry={() => q.refetch()} />;
  if (!q.data) return <Skeleton className="h-96" />;
  return <EmailSettingsCard settings={q.data} />;
}

export function EmailSettingsCard({ settings }: { settings: EmailSettingsDto }) {
  const [v, setV] = React.useState<EmailForm>(() => toEmailForm(settings));
  const [testTo, setTestTo] = React.useState("");
  const [answer, setAnswer] = React.useState<string | null>(null);
  const [testError, setTestError] = React.useState<string | null>(null);
  const form = useApiForm(FIELDS);
  const save = useUpdateEmailSettings();
  const test = useSendTestMail();
  const toast = useToast();
  const formRef = React.useRef<HTMLFormElement>(null);

  const set = (k: keyof EmailForm) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => {
    const value = e.target.value;
    setV((x) => {
      const next = { ...x, [k]: value };
      // Follow the usual port when the security changes and the port was the other default.
      if (k === "security" && (x.port === "587" || x.port === "465" || x.port === "25")) next.port = value === "tls" ? "465" : value === "starttls" ? "587" : x.port;
      return next;
    });
    form.clear(k);
  };

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (save.isPending) return;
    const { input, errors } = emailSettingsInput(v, settings.passwordSet);
    if (Object.keys(errors).length) {
      form.setErrors(errors);
      focusFirstError(formRef.current);
      return;
    }
    save.mutate(input, {
      onSuccess: (s) => {
        setV(toEmailForm(s));
        form.setErrors({});
        toast.success("Email settings saved", s.configured ? "Queued mail is being sent" : undefined);
      },
      onError: (err) => {
        form.fail(err, "Could not save the email settings");
        focusFirstError(formRef.current);
      },
    });
  };

  const sendTest = () => {
    setAnswer(null);
    setTestError(null);
    if (!EMAIL.test(testTo.trim())) {
      form.setErrors({ ...form.errors, testTo: "Enter the address to send the test mail to" });
      return;
    }
    test.mutate(testTo.trim(), {
      onSuccess: (r) => {
        setAnswer(r.relayAnswer);
        toast.success("Test mail sent", `The relay answered: ${r.relayAnswer}`);
      },
      onError: (err) => {
        form.fail(err, "The test mail was not sent");
        const e = ApiError.from(err);
        setTestError(Object.values(e.fields)[0] ?? e.message);
      },
    });
  };

  const dirty = JSON.stringify(v) !== JSON.stringify(toEmailForm(settings));

  return (
    <Card data-testid="email-settings">
      <CardHeader>
        <div className="flex flex-wrap items-center justify-between gap-2">
          <CardTitle className="flex items-center gap-2"><Mail className="size-4" /> Email</CardTitle>
          {settings.configured ? <Badge tone="green" dot data-testid="email-status" data-configured="true">Set up</Badge> : <Badge tone="amber" dot data-testid="email-status" data-configured="false">Not set up: mail waits in the outbox</Badge>}
        </div>
        <CardDescription>
          The SMTP relay your mail goes through (SMTP2GO or any other), who it comes from, and its branding. The password is kept in the system keyring.{" "}
          <Link to="/email-templates" className="font-medium text-primary underline-offset-4 hover:underline">Edit the email templates</Link> ·{" "}
          <Link to="/outbox" className="font-medium text-primary underline-offset-4 hover:underline">Open the outbox</Link>
        </CardDescription>
      </CardHeader>
      <CardContent>
        <form ref={formRef} onSubmit={submit} noValidate className="grid gap-4" aria-label="Email settings">
          <div className="grid gap-4 sm:grid-cols-[1fr_7rem_10rem]">
            <Field name="host" label="SMTP host" error={form.errors.host}>
              {(p) => <Input {...p} value={v.host} onChange={set("host")} placeholder="mail.smtp2go.com" autoComplete="off" />}
            </Field>
            <Field name="port" label="Port" error={form.errors.port}>
              {(p) => <Input {...p} value={v.port} onChange={set("port")} inputMode="numeric" />}
            </Field>
            <Field name="security" label="Security" error={form.errors.security}>
              {(p) => (
                <Select {...p} value={v.security} onChange={set("security")}>
                  <option value="starttls">STARTTLS</option>
                  <option value="tls">TLS</option>
                  <option value="none">None (this computer only)</option>
                </Select>
              )}
            </Field>
          </div>
          <div className="grid gap-4 sm:grid-cols-2">
            <Field name="username" label="User name" error={form.errors.username}>
              {(p) => <Input {...p} value={v.username} onChange={set("username")} autoComplete="off" />}
            </Field>
            <Field
              name="password"
              label="Password"
              error={form.errors.password}
              hint={settings.passwordSet ? <span className="inline-flex items-center gap-1"><KeyRound className="size-3" /> Stored in the keyring: leave empty to keep it</span> : "Kept in the system keyring, never in the database"}
            >
              {(p) => <Input {...p} type="password" value={v.password} onChange={set("password")} autoComplete="new-password" placeholder={settings.passwordSet ? "••••••••" : ""} />}
            </Field>
          </div>
          <div className="grid gap-4 sm:grid-cols-3">
            <Field name="fromName" label="Sender name" error={form.errors.fromName}>
              {(p) => <Input {...p} value={v.fromName} onChange={set("fromName")} placeholder="Acme Cloud" />}
            </Field>
            <Field name="fromAddress" label="Sender address" error={form.errors.fromAddress}>
              {(p) => <Input {...p} value={v.fromAddress} onChange={set("fromAddress")} placeholder="billing@acme.example" />}
            </Field>
            <Field name="replyTo" label="Reply-to (optional)" error={form.errors.replyTo}>
              {(p) => <Input {...p} value={v.replyTo} onChange={set("replyTo")} placeholder="help@acme.example" />}
            </Field>
          </div>
          <div className="grid gap-4 sm:grid-cols-[9rem_1fr_1fr]">
            <Field name="brandColor" label="Brand colour" error={form.errors.brandColor}>
              {(p) => (
                <div className="flex items-center gap-2">
                  <input type="color" aria-label="Pick the brand colour" value={COLOR.test(v.brandColor) ? v.brandColor : "#2563eb"} onChange={set("brandColor")} className="h-9 w-9 shrink-0 cursor-pointer rounded border bg-transparent" />
                  <Input {...p} value={v.brandColor} onChange={set("brandColor")} />
                </div>
              )}
            </Field>
            <Field name="logoUrl" label="Logo URL (optional)" error={form.errors.logoUrl}>
              {(p) => <Input {...p} value={v.logoUrl} onChange={set("logoUrl")} placeholder="https://acme.example/logo.png" />}
            </Field>
            <Field name="website" label="Website (optional)" error={form.errors.website}>
              {(p) => <Input {...p} value={v.website} onChange={set("website")} placeholder="https://acme.example" />}
            </Field>
          </div>
          <Field name="portalUrl" label="Customer portal URL (optional)" error={form.errors.portalUrl} hint="Links in the emails (sign in, top up, invoices) point here; the website is used when empty">
            {(p) => <Input {...p} value={v.portalUrl} onChange={set("portalUrl")} placeholder="https://portal.acme.example" />}
          </Field>
          <div className="flex justify-end">
            <Button type="submit" disabled={!dirty || save.isPending}>{save.isPending ? "Saving…" : "Save email settings"}</Button>
          </div>
        </form>
        <div className="mt-5 grid gap-3 border-t pt-5">
          <p className="text-sm font-medium">Send a test mail</p>
          <p className="text-xs text-muted-foreground">Sent right away with the saved settings (not through the outbox); you see the relay's answer.</p>
          <div className="flex flex-wrap items-start gap-2">
            <Field name="testTo" label="To" error={form.errors.testTo} className="min-w-64 flex-1">
              {(p) => <Input {...p} value={testTo} onChange={(e) => { setTestTo(e.target.value); form.clear("testTo"); }} placeholder="you@example.com" />}
            </Field>
            <Button type="button" variant="outline" className="mt-6" onClick={sendTest} disabled={test.isPending || !settings.configured || dirty} title={!settings.configured ? "Save the email settings first" : dirty ? "Save your changes first" : undefined}>
              <Send className="size-4" /> {test.isPending ? "Sending…" : "Send test mail"}
            </Button>
          </div>
          {testError && (
            <p role="alert" data-testid="test-mail-error" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive">
              Not sent: {testError}
            </p>
          )}
          {answer && (
            <p data-testid="test-mail-result" className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800 dark:bg-emerald-500/10 dark:text-emerald-300">
              Sent. The relay answered: <span className="font-mono">{answer}</span>
            </p>
          )}
        </div>
      </CardContent>
    </Card>
  );
}
