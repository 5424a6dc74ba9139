import * as React from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { ArrowLeft, KeyRound, Sparkles } from "lucide-react";
import type { ServerInput } from "@/api/client";
import { useCatalogue, useCreateServer, useOrganization, usePlans } from "@/api/queries";
import { CustomerPicker } from "@/features/customers/CustomerPicker";
import { PageHeader } from "@/components/page-header";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input, Select, Textarea } from "@/components/ui/input";
import { useToast } from "@/components/ui/toast";
import { formatMoneyDto } from "@/lib/money";
import { focusFirstError, useApiForm } from "@/lib/use-api-form";
import { cn } from "@/lib/utils";
import { generatePassword, labelError, looksLikeSshKey, passwordStrength } from "./password";
import { checkOptions, CreateOptions, NO_OPTIONS, OPTION_FIELDS } from "./CreateOptions";
import { useDigitalOceanAccounts, useLinodeAccounts } from "@/features/providers/api";

const FIELDS = ["organizationId", "planId", "accountId", "region", "image", "label", "rootPassword", "sshKey", ...OPTION_FIELDS] as const;

/**
 * Which catalogue and firewalls the form reads: a Linode or DigitalOcean plan
 * with an account chosen reads that account's (`linode:<id>`,
 * `digitalocean:<id>`), otherwise the provider's.
 */
export function catalogueSource(provider: string | undefined, accountId: string | null | undefined): string | null {
  if (!provider) return null;
  return (provider === "linode" || provider === "digitalocean") && accountId ? `${provider}:${accountId}` : provider;
}

/** The accounts a plan's server can go on, as the account picker lists them. */
export interface AccountChoice { id: string; label: string; detail: string | null; connected: boolean }

export function validateServer(v: ServerInput): Record<string, string> {
  const e: Record<string, string> = {};
  if (!v.organizationId) e.organizationId = "Choose the customer this server is for";
  if (!v.planId) e.planId = "Choose a plan";
  if (!v.region) e.region = "Choose a region";
  if (!v.image) e.image = "Choose an image";
  const le = labelError(v.label);
  if (le) e.label = le;
  if (!v.rootPassword && !v.sshKey) e.rootPassword = "Set a root password or add an SSH key";
  if (v.rootPassword && !passwordStrength(v.rootPassword).ok) e.rootPassword = passwordStrength(v.rootPassword).hint;
  if (v.sshKey && !looksLikeSshKey(v.sshKey)) e.sshKey = "Paste one OpenSSH public key line, e.g. “ssh-ed25519 AAAAC3Nz… you@laptop”";
  return e;
}

function Section({ n, title, children, done }: { n: number; title: string; children: React.ReactNode; done: boolean }) {
  return (
    <section aria-labelledby={`step-${n}`} className="grid grid-cols-[2rem_1fr] gap-x-4">
      <div className="flex flex-col items-center">
        <span className={cn("flex size-7 items-center justify-center rounded-full border text-xs font-semibold tabular-nums", done ? "border-primary bg-primary text-primary-foreground" : "bg-card text-muted-foreground")}>
          {n}
        </span>
        <span className="mt-1 w-px flex-1 bg-border" aria-hidden="true" />
      </div>
      <div className="pb-7">
        <h2 id={`step-${n}`} className="mb-3 pt-1 text-sm font-semibold">{title}</h2>
        {children}
      </div>
    </section>
  );
}

export function NewServerPage() {
  const [params] = useSearchParams();
  const plans = usePlans();
  const [v, setV] = React.useState<ServerInput>({ organizationId: params.get("organizationId") ?? "", planId: "", region: "", image: "", label: "", rootPassword: "", sshKey: "" });
  const [showPassword, setShowPassword] = React.useState(false);
  const plan = plans.data?.find((p) => p.id === v.planId);
  const [options, setOptions] = React.useState(NO_OPTIONS);
  const linodeAccounts = useLinodeAccounts();
  const digitalOceanAccounts = useDigitalOceanAccounts();
  // The account picker shows only when a cloud plan meets several accounts.
  const accounts: AccountChoice[] =
    plan?.provider === "linode"
      ? (linodeAccounts.data ?? []).map((a) => ({ id: a.id, label: a.label, detail: a.username, connected: a.connected }))
      : plan?.provider === "digitalocean"
        ? (digitalOceanAccounts.data ?? []).map((a) => ({ id: a.id, label: a.label, detail: a.email, connected: a.connected }))
        : [];
  const cloudName = plan?.provider === "digitalocean" ? "DigitalOcean" : "Linode";
  const source = catalogueSource(plan?.provider, accounts.length > 1 ? options.accountId : null);
  const catalogue = useCatalogue(source);
  const form = useApiForm(FIELDS);
  const create = useCreateServer();
  const toast = useToast();
  const navigate = useNavigate();
  const formRef = React.useRef<HTMLFormElement>(null);
  const activePlans = plans.data?.filter((p) => p.active) ?? [];
  const regions = plan ? plan.regions.map((id) => catalogue.data?.regions.find((r) => r.id === id) ?? { id, label: id, country: "", available: true }) : [];
  const org = useOrganization(v.organizationId).data?.organization;

  const update = (patch: Partial<ServerInput>) => {
    setV((x) => ({ ...x, ...patch }));
    Object.keys(patch).forEach(form.clear);
  };

  const choosePlan = (planId: string) => {
    const p = plans.data?.find((x) => x.id === planId);
    // Keep the region if the new plan offers it; a single-region plan picks it for you.
    const region = p?.regions.includes(v.region) ? v.region : p?.regions.length === 1 ? p.regions[0] : "";
    update({ planId, region });
  };

  React.useEffect(() => {
    // Default image: the first one of the provider's catalogue.
    if (catalogue.data && !v.image && catalogue.data.images.length) update({ image: catalogue.data.images[0].id });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [catalogue.data]);

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const input: ServerInput = {
      ...v,
      label: v.label.trim(),
      rootPassword: v.rootPassword ? v.rootPassword : null,
      sshKey: v.sshKey?.trim() ? v.sshKey.trim() : null,
    };
    const local: Record<string, string> = { ...validateServer(input), ...checkOptions(options, catalogue.data, input.image) };
    if (accounts.length > 1 && !options.accountId) local.accountId = `Choose the ${cloudName} account this server goes on`;
    if (Object.keys(local).length) {
      form.setErrors(local);
      focusFirstError(formRef.current);
      return;
    }
    create.mutate({ input, options: { ...options, accountId: accounts.length > 1 ? options.accountId ?? null : null } }, {
      onSuccess: (s) => {
        toast.success("Server is being created", `${s.label} for ${s.organizationName}`);
        navigate(`/servers/${s.id}`);
      },
      onError: (err) => {
        form.fail(err, "Could not create the server");
        focusFirstError(formRef.current);
      },
    });
  };

  const strength = passwordStrength(v.rootPassword ?? "");
  const back = (
    <Link to="/servers" className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground">
      <ArrowLeft className="size-3.5" /> Servers
    </Link>
  );

  return (
    <>
      <PageHeader title="New server" description="Everything on one page: fill it in from top to bottom" back={back} />
      <div className="grid items-start gap-6 lg:grid-cols-[1fr_18rem]">
        <Card>
          <CardContent className="pt-6">
            <form ref={formRef} onSubmit={submit} noValidate aria-label="New server">
              <Section n={1} title="Customer" done={Boolean(v.organizationId)}>
                <Field name="organizationId" label="Customer" error={form.errors.organizationId}
                  hint={<>Type the start of the name or the email. A new customer? <Link className="text-primary hover:underline" to="/customers">Add them first</Link></>}>
                  {(p) => <CustomerPicker {...p} value={v.organizationId} onChange={(id) => update({ organizationId: id })} placeholder="Search customers by name or email…" />}
                </Field>
              </Section>
              <Section n={2} title="Plan" done={Boolean(v.planId)}>
                <Field name="planId" label="Plan" error={form.errors.planId}
                  hint={plans.data && activePlans.length === 0 ? <>No plans yet: <Link className="text-primary hover:underline" to="/plans">create one first</Link></> : undefined}>
                  {(p) => (
                    <Select {...p} value={v.planId} onChange={(e) => choosePlan(e.target.value)}>
                      <option value="" disabled>{plans.isPending ? "Loading…" : "Choose a plan…"}</option>
                      {activePlans.map((pl) => (
                        <option key={pl.id} value={pl.id}>{pl.name} — {formatMoneyDto(pl.monthly)}/mo</option>
                      ))}
                    </Select>
                  )}
                </Field>
                {accounts.length > 1 && (
                  <div className="mt-4">
                    <Field name="accountId" label={`${cloudName} account`} error={form.errors.accountId} hint="The server is created on this account and billed from it">
                      {(p) => (
                        <Select {...p} value={options.accountId ?? ""} onChange={(e) => { setOptions((o) => ({ ...o, accountId: e.target.value || null, firewallId: null, stackscriptId: null, stackscriptData: [] })); form.clear("accountId"); update({ image: "" }); }}>
                          <option value="" disabled>Choose an account…</option>
                          {accounts.map((a) => <option key={a.id} value={a.id} disabled={!a.connected}>{a.label}{a.detail && a.detail !== a.label ? ` (${a.detail})` : ""}{a.connected ? "" : " — token missing"}</option>)}
                        </Select>
                      )}
                    </Field>
                  </div>
                )}
              </Section>
              <Section n={3} title="Region" done={Boolean(v.region)}>
                <Field name="region" label="Region" error={form.errors.region} hint={plan ? "Only the regions this plan is sold in" : "Choose a plan first"}>
                  {(p) => (
                    <Select {...p} value={v.region} onChange={(e) => update({ region: e.target.value })} disabled={!plan}>
                      <option value="" disabled>Choose a region…</option>
                      {regions.map((r) => (
                        <option key={r.id} value={r.id} disabled={!r.available}>
                          {r.label}{r.label !== r.id ? ` (${r.id})` : ""}{r.available ? "" : " — unavailable"}
                        </option>
                      ))}
                    </Select>
                  )}
                </Field>
              </Section>
              <Section n={4} title="Image" done={Boolean(v.image)}>
                <Field name="image" label="Operating system" error={form.errors.image}>
                  {(p) => (
                    <Select {...p} value={v.image} onChange={(e) => update({ image: e.target.value })} disabled={!catalogue.data}>
                      <option value="" disabled>{plan ? "Loading images…" : "Choose a plan first"}</option>
                      {catalogue.data?.images.map((i) => <option key={i.id} value={i.id}>{i.label}</option>)}
                    </Select>
                  )}
                </Field>
              </Section>
              <Section n={5} title="Label" done={!labelError(v.label)}>
                <Field name="label" label="Server label" error={form.errors.label} hint="3–64 letters, digits, '-', '_' or '.', e.g. web-01">
                  {(p) => <Input {...p} value={v.label} onChange={(e) => update({ label: e.target.value })} placeholder="web-01" autoComplete="off" spellCheck={false} />}
                </Field>
              </Section>
              <Section n={6} title="Access" done={strength.ok || looksLikeSshKey(v.sshKey ?? "")}>
                <div className="grid gap-4">
                  <Field name="rootPassword" label="Root password" error={form.errors.rootPassword} hint={v.sshKey ? "Optional when an SSH key is set" : undefined}>
                    {(p) => (
                      <div className="grid gap-2">
                        <div className="flex gap-2">
                          <Input {...p} type={showPassword ? "text" : "password"} value={v.rootPassword ?? ""} onChange={(e) => update({ rootPassword: e.target.value })} autoComplete="new-password" spellCheck={false} className="font-mono" />
                          <Button variant="outline" onClick={() => setShowPassword((s) => !s)} aria-pressed={showPassword}>{showPassword ? "Hide" : "Show"}</Button>
                          <Button variant="outline" onClick={() => { update({ rootPassword: generatePassword() }); setShowPassword(true); }}><Sparkles /> Generate</Button>
                        </div>
                        <StrengthMeter pw={v.rootPassword ?? ""} />
                      </div>
                    )}
                  </Field>
                  <Field name="sshKey" label={<>SSH public key <span className="font-normal text-muted-foreground">(optional)</span></>} error={form.errors.sshKey} hint="One line from ~/.ssh/id_ed25519.pub">
                    {(p) => <Textarea {...p} rows={3} value={v.sshKey ?? ""} onChange={(e) => update({ sshKey: e.target.value })} placeholder="ssh-ed25519 AAAAC3Nz… you@laptop" spellCheck={false} />}
                  </Field>
                  <p className="flex items-center gap-1.5 text-xs text-muted-foreground"><KeyRound className="size-3.5" /> The password is handed to the provider and never stored by ContainerStacks.</p>
                </div>
              </Section>
              <Section n={7} title="Options (optional)" done={false}>
                <CreateOptions provider={source ?? ""} catalogue={catalogue.data} image={v.image} value={options} onChange={(o) => { setOptions(o); OPTION_FIELDS.forEach(form.clear); }} errors={form.errors} />
              </Section>
              <div className="flex justify-end gap-2 border-t pt-5">
                <Button variant="outline" asChild><Link to="/servers">Cancel</Link></Button>
                <Button type="submit" disabled={create.isPending}>Create server</Button>
              </div>
            </form>
          </CardContent>
        </Card>
        <Card className="lg:sticky lg:top-4">
          <CardContent className="grid gap-3 pt-5 text-sm">
            <h2 className="font-semibold">Summary</h2>
            <SummaryRow label="Customer">{org?.name}</SummaryRow>
            <SummaryRow label="Plan">{plan?.name}</SummaryRow>
            {accounts.length > 1 && <SummaryRow label="Account">{accounts.find((a) => a.id === options.accountId)?.label}</SummaryRow>}
            <SummaryRow label="Region">{v.region || undefined}</SummaryRow>
            <SummaryRow label="Image">{catalogue.data?.images.find((i) => i.id === v.image)?.label}</SummaryRow>
            <SummaryRow label="Label">{v.label.trim() || undefined}</SummaryRow>
            <div className="mt-1 border-t pt-3">
              <div className="flex items-baseline justify-between">
                <span className="text-muted-foreground">Price</span>
                {plan ? (
                  <span className="text-lg font-semibold tabular-nums">{formatMoneyDto(plan.monthly)}<span className="text-xs font-normal text-muted-foreground">/mo</span></span>
                ) : (
                  <span className="text-muted-foreground/60">—</span>
                )}
              </div>
              {plan && <p className="mt-1 text-right text-xs text-muted-foreground tabular-nums">{formatMoneyDto(plan.hourly)} per hour, capped at the monthly price</p>}
            </div>
          </CardContent>
        </Card>
      </div>
    </>
  );
}

function SummaryRow({ label, children }: { label: string; children?: React.ReactNode }) {
  return (
    <div className="flex items-baseline justify-between gap-3">
      <span className="text-muted-foreground">{label}</span>
      <span className={cn("min-w-0 truncate text-right", !children && "text-muted-foreground/60")}>{children || "—"}</span>
    </div>
  );
}

function StrengthMeter({ pw }: { pw: string }) {
  const s = passwordStrength(pw);
  const colors = ["bg-muted", "bg-red-500", "bg-amber-500", "bg-emerald-500"];
  return (
    <div className="grid gap-1.5" data-testid="password-strength" aria-live="polite">
      <div className="flex gap-1" aria-hidden="true">
        {[1, 2, 3].map((i) => <span key={i} className={cn("h-1.5 flex-1 rounded-full", s.score >= i ? colors[s.score] : "bg-muted")} />)}
      </div>
      <span className="text-xs text-muted-foreground">{s.label ? <><span className="font-medium text-foreground">{s.label}</span> · {s.hint}</> : s.hint}</span>
    </div>
  );
}
