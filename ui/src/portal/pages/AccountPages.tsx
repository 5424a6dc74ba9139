import * as React from "react";
import { NavLink, Outlet } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { Download, KeyRound, Laptop, ShieldCheck, ShieldOff } from "lucide-react";
import { cn } from "@/lib/utils";
import { PageHeader } from "@/components/page-header";
import { QueryError } from "@/components/query-state";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { PasswordInput } from "@/components/ui/password-input";
import { Skeleton } from "@/components/ui/skeleton";
import { PortalError, portalApi } from "../api/client";
import { keys, useSessions } from "../api/queries";
import type { SessionInfo, TwoFactorSetup } from "../api/types";
import { useDocumentTitle, useTenant } from "../branding";
import { CopyButton, When } from "../components/bits";
import { FormError, NewPasswordField, SubmitButton } from "../components/forms";
import { useSignedIn } from "../layout/PortalShell";
import { errorText, focusFirstInvalid, sentence, useFormErrors } from "../lib/form";
import { passwordProblem } from "../lib/password";
import { roleLabel } from "../lib/roles";
import { describeUserAgent } from "../lib/user-agent";

export function AccountLayout() {
  const tenant = useTenant();
  const session = useSignedIn();
  const tabs = [
    { to: `/${tenant}/account`, label: "Profile", end: true },
    { to: `/${tenant}/account/security`, label: "Two-factor" },
    { to: `/${tenant}/account/sessions`, label: "Sessions" },
  ];
  return (
    <>
      <PageHeader title="Your account" description={`${session.account.email} · ${session.organization.name}`} />
      <nav aria-label="Account" className="-mx-1 mb-6 flex gap-1 overflow-x-auto border-b px-1">
        {tabs.map((t) => (
          <NavLink
            key={t.to}
            to={t.to}
            end={t.end}
            className={({ isActive }) =>
              cn(
                "-mb-px border-b-2 border-transparent px-3 py-2 text-sm font-medium whitespace-nowrap text-muted-foreground hover:text-foreground",
                isActive && "border-primary text-foreground",
              )
            }
          >
            {t.label}
          </NavLink>
        ))}
      </nav>
      <Outlet />
    </>
  );
}

function Section({
  title,
  description,
  children,
  testId,
  className,
}: {
  title: string;
  description?: React.ReactNode;
  children: React.ReactNode;
  testId?: string;
  className?: string;
}) {
  return (
    <Card data-testid={testId} className={className}>
      <CardHeader>
        <CardTitle className="text-base">{title}</CardTitle>
        {description && <CardDescription>{description}</CardDescription>}
      </CardHeader>
      <CardContent>{children}</CardContent>
    </Card>
  );
}

export function ProfilePage() {
  useDocumentTitle("Your account");
  const s = useSignedIn();
  return (
    <div className="grid items-start gap-5 lg:grid-cols-2">
      <Section title="Your details" className="lg:col-span-2">
        <dl className="grid gap-3 text-sm sm:grid-cols-2 lg:grid-cols-4">
          <div>
            <dt className="text-xs text-muted-foreground">Name</dt>
            <dd className="mt-0.5 font-medium">{s.account.name}</dd>
          </div>
          <div>
            <dt className="text-xs text-muted-foreground">Email</dt>
            <dd className="mt-0.5 font-medium break-all" data-testid="account-email">{s.account.email}</dd>
          </div>
          <div>
            <dt className="text-xs text-muted-foreground">Organization</dt>
            <dd className="mt-0.5">{s.organization.name}</dd>
          </div>
          <div>
            <dt className="text-xs text-muted-foreground">Role</dt>
            <dd className="mt-0.5">{roleLabel(s.account.role)}</dd>
          </div>
        </dl>
      </Section>
      <ChangePasswordForm />
      <ChangeEmailForm />
    </div>
  );
}

function ChangePasswordForm() {
  const s = useSignedIn();
  const formRef = React.useRef<HTMLFormElement>(null);
  const [current, setCurrent] = React.useState("");
  const [next, setNext] = React.useState("");
  const [confirm, setConfirm] = React.useState("");
  const [pending, setPending] = React.useState(false);
  const [done, setDone] = React.useState(false);
  const f = useFormErrors(["currentPassword", "newPassword", "confirm"]);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    f.reset();
    setDone(false);
    const problems: Record<string, string> = {};
    if (!current) problems.currentPassword = "Enter your current password";
    const p = passwordProblem(next, s.account.email);
    if (p) problems.newPassword = p;
    else if (confirm !== next) problems.confirm = "The two passwords differ: type the same password twice";
    if (Object.keys(problems).length) {
      f.setErrors(problems);
      focusFirstInvalid(formRef.current);
      return;
    }
    setPending(true);
    try {
      await portalApi.changePassword(current, next);
      setCurrent("");
      setNext("");
      setConfirm("");
      setDone(true);
    } catch (err) {
      const pe = f.fail(err);
      if (pe.code === "invalid_credentials") f.setErrors({ currentPassword: sentence(pe.message) });
      focusFirstInvalid(formRef.current);
    } finally {
      setPending(false);
    }
  };

  return (
    <Section title="Password" description="Changing it signs out every other device.">
      <form ref={formRef} onSubmit={submit} noValidate className="grid gap-4" aria-label="Change the password">
        <Field name="currentPassword" label="Current password" error={f.errors.currentPassword}>
          {(p) => (
            <PasswordInput
              {...p}
              autoComplete="current-password"
              value={current}
              onChange={(e) => {
                setCurrent(e.target.value);
                f.clear("currentPassword");
              }}
            />
          )}
        </Field>
        <NewPasswordField
          name="newPassword"
          value={next}
          onChange={(v) => {
            setNext(v);
            f.clear("newPassword");
            setDone(false);
          }}
          email={s.account.email}
          error={f.errors.newPassword}
        />
        <Field name="confirm" label="New password again" error={f.errors.confirm}>
          {(p) => (
            <PasswordInput
              {...p}
              autoComplete="new-password"
              value={confirm}
              onChange={(e) => {
                setConfirm(e.target.value);
                f.clear("confirm");
              }}
            />
          )}
        </Field>
        <FormError message={f.formError === f.errors.currentPassword ? null : f.formError} />
        {done && (
          <Alert tone="success" data-testid="password-changed">
            Your password is changed. Other devices were signed out.
          </Alert>
        )}
        <div>
          <SubmitButton pending={pending} pendingText="Saving…">
            Change password
          </SubmitButton>
        </div>
      </form>
    </Section>
  );
}

function ChangeEmailForm() {
  const s = useSignedIn();
  const formRef = React.useRef<HTMLFormElement>(null);
  const [email, setEmail] = React.useState("");
  const [password, setPassword] = React.useState("");
  const [pending, setPending] = React.useState(false);
  const [sentTo, setSentTo] = React.useState<string | null>(null);
  const f = useFormErrors(["newEmail", "password"]);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    f.reset();
    setSentTo(null);
    const value = email.trim();
    const problems: Record<string, string> = {};
    if (!/^[^\s@]+@[^\s@]+$/.test(value)) problems.newEmail = "Enter an email address like name@example.com";
    else if (value.toLowerCase() === s.account.email.toLowerCase()) problems.newEmail = "This is already your address";
    if (!password) problems.password = "Enter your password to confirm it is you";
    if (Object.keys(problems).length) {
      f.setErrors(problems);
      focusFirstInvalid(formRef.current);
      return;
    }
    setPending(true);
    try {
      await portalApi.changeEmail(value, password);
      setSentTo(value);
      setEmail("");
      setPassword("");
    } catch (err) {
      const pe = f.fail(err);
      if (pe.code === "invalid_credentials") f.setErrors({ password: sentence(pe.message) });
      focusFirstInvalid(formRef.current);
    } finally {
      setPending(false);
    }
  };

  return (
    <Section title="Email address" description={<>You sign in with {s.account.email}. A new address counts once you open the link we send to it.</>}>
      <form ref={formRef} onSubmit={submit} noValidate className="grid gap-4" aria-label="Change the email address">
        <Field name="newEmail" label="New email address" error={f.errors.newEmail}>
          {(p) => (
            <Input
              {...p}
              type="email"
              autoComplete="email"
              inputMode="email"
              value={email}
              onChange={(e) => {
                setEmail(e.target.value);
                f.clear("newEmail");
              }}
            />
          )}
        </Field>
        <Field name="password" label="Your password" error={f.errors.password}>
          {(p) => (
            <PasswordInput
              {...p}
              autoComplete="current-password"
              value={password}
              onChange={(e) => {
                setPassword(e.target.value);
                f.clear("password");
              }}
            />
          )}
        </Field>
        <FormError message={f.formError === f.errors.password ? null : f.formError} />
        {sentTo && (
          <Alert tone="success" data-testid="email-change-sent">
            We sent a link to {sentTo}. Your address changes when you open it; your current address got a notice.
          </Alert>
        )}
        <div>
          <SubmitButton pending={pending} pendingText="Sending…">
            Change email
          </SubmitButton>
        </div>
      </form>
    </Section>
  );
}

/** Recovery codes, shown once: copy them or save them as a file. */
export function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone?: () => void }) {
  const text = codes.join("\n");
  const download = () => {
    const url = URL.createObjectURL(new Blob([`Recovery codes (each works once)\n\n${text}\n`], { type: "text/plain" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = "recovery-codes.txt";
    document.body.appendChild(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <div className="grid gap-4" data-testid="recovery-codes">
      <Alert tone="warning" title="Save these recovery codes now">
        They are shown only this once. If you lose your phone, each code signs you in one time instead of an authenticator code.
      </Alert>
      <ul className="grid gap-2 rounded-lg border bg-muted/40 p-3 font-mono text-sm sm:grid-cols-2 sm:p-4" aria-label="Recovery codes">
        {codes.map((c) => (
          <li key={c} className="rounded bg-card px-2 py-1 text-center tracking-wide whitespace-nowrap" data-testid="recovery-code">
            {c}
          </li>
        ))}
      </ul>
      <div className="flex flex-wrap items-center gap-2">
        <CopyButton text={text} label="Copy all" />
        <Button variant="outline" size="sm" onClick={download}>
          <Download aria-hidden="true" /> Download
        </Button>
        {onDone && (
          <Button size="sm" className="ml-auto" onClick={onDone} data-testid="recovery-codes-done">
            I saved them
          </Button>
        )}
      </div>
    </div>
  );
}

/** A base32 secret in groups of four, easier to type. */
export function groupSecret(secret: string): string {
  return secret.replace(/\s+/g, "").replace(/(.{4})/g, "$1 ").trim();
}

export function SecurityPage() {
  useDocumentTitle("Two-factor authentication");
  const s = useSignedIn();
  const qc = useQueryClient();
  // Codes just issued stay on screen until the user says they saved them,
  // even though the session now says two-factor is on.
  const [codes, setCodes] = React.useState<string[] | null>(null);
  const done = () => {
    setCodes(null);
    void qc.invalidateQueries({ queryKey: keys.session });
  };
  if (codes) {
    return (
      <div className="grid max-w-2xl gap-5">
        <Section title="Two-factor authentication is on" testId="two-factor-card">
          <RecoveryCodes codes={codes} onDone={done} />
        </Section>
      </div>
    );
  }
  return (
    <div className="grid max-w-2xl gap-5">
      {s.account.twoFactor ? (
        <>
          <TwoFactorOn />
          <RegenerateCodes onCodes={setCodes} />
        </>
      ) : (
        <TwoFactorSetupCard
          onEnabled={(c) => {
            setCodes(c);
            void qc.invalidateQueries({ queryKey: keys.session });
          }}
        />
      )}
    </div>
  );
}

function TwoFactorSetupCard({ onEnabled }: { onEnabled: (codes: string[]) => void }) {
  const formRef = React.useRef<HTMLFormElement>(null);
  const [setup, setSetup] = React.useState<(TwoFactorSetup & { nonce: string }) | null>(null);
  const [starting, setStarting] = React.useState(false);
  const [startError, setStartError] = React.useState<string | null>(null);
  const [code, setCode] = React.useState("");
  const [pending, setPending] = React.useState(false);
  const [qrFailed, setQrFailed] = React.useState(false);
  const f = useFormErrors(["code"]);

  const start = async () => {
    setStarting(true);
    setStartError(null);
    try {
      const r = await portalApi.twoFactorSetup();
      setSetup({ ...r, nonce: String(Date.now()) });
      setQrFailed(false);
    } catch (err) {
      setStartError(errorText(PortalError.from(err)));
    } finally {
      setStarting(false);
    }
  };

  const enable = async (e: React.FormEvent) => {
    e.preventDefault();
    f.reset();
    const value = code.replace(/\s+/g, "");
    if (!/^\d{6}$/.test(value)) {
      f.setErrors({ code: "Enter the 6 digits the app shows" });
      focusFirstInvalid(formRef.current);
      return;
    }
    setPending(true);
    try {
      const r = await portalApi.twoFactorEnable(value);
      onEnabled(r.recoveryCodes);
    } catch (err) {
      const pe = PortalError.from(err);
      if (pe.code === "invalid_code") f.setErrors({ code: sentence(pe.message) });
      else f.fail(pe);
      setCode("");
      focusFirstInvalid(formRef.current);
    } finally {
      setPending(false);
    }
  };

  return (
    <Section
      title="Two-factor authentication"
      testId="two-factor-card"
      description="Signing in will also ask for a 6-digit code from an authenticator app on your phone (any app that supports TOTP)."
    >
      {!setup ? (
        <div className="grid gap-4">
          <div className="flex items-center gap-2 text-sm">
            <ShieldOff className="size-4 text-muted-foreground" aria-hidden="true" />
            <span>
              Two-factor authentication is <span className="font-medium" data-testid="two-factor-state">off</span>.
            </span>
          </div>
          <FormError message={startError} />
          <div>
            <SubmitButton type="button" pending={starting} pendingText="Starting…" onClick={start} data-testid="two-factor-start">
              <ShieldCheck aria-hidden="true" /> Set up two-factor authentication
            </SubmitButton>
          </div>
        </div>
      ) : (
        <form ref={formRef} onSubmit={enable} noValidate className="grid gap-5" aria-label="Turn on two-factor authentication">
          <ol className="grid gap-5 text-sm">
            <li className="grid gap-3">
              <p>
                <span className="font-medium">1.</span> Scan this code with your authenticator app.
              </p>
              <div className="flex flex-wrap items-start gap-5">
                {qrFailed ? (
                  <div className="flex size-44 items-center justify-center rounded-lg border border-dashed p-3 text-center text-xs text-muted-foreground">
                    The QR code did not load: type the key instead.
                  </div>
                ) : (
                  // The server draws the QR code of the pending secret; white behind it so phones read it in the dark theme too.
                  <img
                    src={portalApi.twoFactorQrUrl(setup.nonce)}
                    alt="QR code of the two-factor key"
                    className="size-44 rounded-lg border bg-white p-2"
                    onError={() => setQrFailed(true)}
                    data-testid="two-factor-qr"
                  />
                )}
                <div className="grid min-w-0 flex-1 basis-48 gap-1.5">
                  <p className="text-muted-foreground">Cannot scan it? Type this key into the app:</p>
                  <code className="rounded-md bg-muted px-2.5 py-2 font-mono text-sm break-words" data-testid="two-factor-secret" data-secret={setup.secret}>
                    {groupSecret(setup.secret)}
                  </code>
                  <div>
                    <CopyButton text={setup.secret} label="Copy key" />
                  </div>
                </div>
              </div>
            </li>
            <li className="grid gap-3">
              <p>
                <span className="font-medium">2.</span> Enter the code the app shows now.
              </p>
              <Field name="code" label="Code" error={f.errors.code} className="max-w-48">
                {(p) => (
                  <Input
                    {...p}
                    inputMode="numeric"
                    autoComplete="one-time-code"
                    maxLength={7}
                    className="font-mono text-lg tracking-[0.3em]"
                    value={code}
                    onChange={(e) => {
                      setCode(e.target.value);
                      f.clear("code");
                    }}
                  />
                )}
              </Field>
            </li>
          </ol>
          <FormError message={f.formError} />
          <div className="flex flex-wrap gap-2">
            <SubmitButton pending={pending} pendingText="Checking…">
              Turn on
            </SubmitButton>
            <Button variant="ghost" onClick={() => setSetup(null)}>
              Cancel
            </Button>
          </div>
        </form>
      )}
    </Section>
  );
}

function TwoFactorOn() {
  const qc = useQueryClient();
  const formRef = React.useRef<HTMLFormElement>(null);
  const [open, setOpen] = React.useState(false);
  const [password, setPassword] = React.useState("");
  const [code, setCode] = React.useState("");
  const [pending, setPending] = React.useState(false);
  const f = useFormErrors(["password", "code"]);

  const disable = async (e: React.FormEvent) => {
    e.preventDefault();
    f.reset();
    const problems: Record<string, string> = {};
    if (!password) problems.password = "Enter your password";
    if (!/^\d{6}$/.test(code.replace(/\s+/g, ""))) problems.code = "Enter the 6 digits your app shows";
    if (Object.keys(problems).length) {
      f.setErrors(problems);
      focusFirstInvalid(formRef.current);
      return;
    }
    setPending(true);
    try {
      await portalApi.twoFactorDisable(password, code.replace(/\s+/g, ""));
      await qc.invalidateQueries({ queryKey: keys.session });
    } catch (err) {
      const pe = PortalError.from(err);
      if (pe.code === "invalid_code") f.setErrors({ code: sentence(pe.message) });
      else if (pe.code === "invalid_credentials") f.setErrors({ password: sentence(pe.message) });
      else f.fail(pe);
      setCode("");
      focusFirstInvalid(formRef.current);
    } finally {
      setPending(false);
    }
  };

  return (
    <Section title="Two-factor authentication" testId="two-factor-card">
      <div className="grid gap-4">
        <div className="flex items-center gap-2 text-sm">
          <ShieldCheck className="size-4 text-emerald-600 dark:text-emerald-400" aria-hidden="true" />
          <span>
            Two-factor authentication is <span className="font-medium" data-testid="two-factor-state">on</span>. Signing in asks for a code from
            your app.
          </span>
        </div>
        {!open ? (
          <div>
            <Button variant="outline" onClick={() => setOpen(true)} data-testid="two-factor-disable-open">
              Turn off…
            </Button>
          </div>
        ) : (
          <form ref={formRef} onSubmit={disable} noValidate className="grid gap-4 rounded-lg border p-4" aria-label="Turn off two-factor authentication">
            <p className="text-sm text-muted-foreground">Without it, your password alone signs you in. Confirm with your password and a current code.</p>
            <div className="grid gap-4 sm:grid-cols-2">
              <Field name="password" label="Password" error={f.errors.password}>
                {(p) => (
                  <PasswordInput
                    {...p}
                    autoComplete="current-password"
                    value={password}
                    onChange={(e) => {
                      setPassword(e.target.value);
                      f.clear("password");
                    }}
                  />
                )}
              </Field>
              <Field name="code" label="Code from your app" error={f.errors.code}>
                {(p) => (
                  <Input
                    {...p}
                    inputMode="numeric"
                    autoComplete="one-time-code"
                    maxLength={7}
                    className="font-mono tracking-[0.2em]"
                    value={code}
                    onChange={(e) => {
                      setCode(e.target.value);
                      f.clear("code");
                    }}
                  />
                )}
              </Field>
            </div>
            <FormError message={f.formError} />
            <div className="flex flex-wrap gap-2">
              <SubmitButton pending={pending} pendingText="Turning off…" variant="destructive">
                Turn off two-factor
              </SubmitButton>
              <Button variant="ghost" onClick={() => setOpen(false)}>
                Cancel
              </Button>
            </div>
          </form>
        )}
      </div>
    </Section>
  );
}

function RegenerateCodes({ onCodes }: { onCodes: (codes: string[]) => void }) {
  const formRef = React.useRef<HTMLFormElement>(null);
  const [password, setPassword] = React.useState("");
  const [pending, setPending] = React.useState(false);
  const f = useFormErrors(["password"]);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    f.reset();
    if (!password) {
      f.setErrors({ password: "Enter your password" });
      focusFirstInvalid(formRef.current);
      return;
    }
    setPending(true);
    try {
      const r = await portalApi.regenerateRecoveryCodes(password);
      setPassword("");
      onCodes(r.recoveryCodes);
    } catch (err) {
      const pe = PortalError.from(err);
      if (pe.code === "invalid_credentials") f.setErrors({ password: sentence(pe.message) });
      else f.fail(pe);
      focusFirstInvalid(formRef.current);
    } finally {
      setPending(false);
    }
  };

  return (
    <Section
      title="Recovery codes"
      testId="recovery-codes-card"
      description="Used up some, or lost them? New codes replace all the old ones, which stop working at once."
    >
      <form ref={formRef} onSubmit={submit} noValidate className="grid gap-4 sm:grid-cols-[1fr_auto] sm:items-end" aria-label="New recovery codes">
        <Field name="password" label="Your password" error={f.errors.password}>
          {(p) => (
            <PasswordInput
              {...p}
              autoComplete="current-password"
              value={password}
              onChange={(e) => {
                setPassword(e.target.value);
                f.clear("password");
              }}
            />
          )}
        </Field>
        <SubmitButton pending={pending} pendingText="Creating…" variant="outline" className={cn(f.errors.password && "sm:mb-5")}>
          <KeyRound aria-hidden="true" /> New recovery codes
        </SubmitButton>
        <div className="sm:col-span-2">
          <FormError message={f.formError} />
        </div>
      </form>
    </Section>
  );
}

export function SessionsPage() {
  useDocumentTitle("Sessions");
  const tenant = useTenant();
  const q = useSessions();
  const qc = useQueryClient();
  const [revoking, setRevoking] = React.useState<string | null>(null);
  const [error, setError] = React.useState<{ id: string; message: string } | null>(null);

  const revoke = async (s: SessionInfo) => {
    setRevoking(s.id);
    setError(null);
    try {
      await portalApi.revokeSession(s.id);
      await qc.invalidateQueries({ queryKey: keys.sessions });
    } catch (err) {
      setError({ id: s.id, message: errorText(PortalError.from(err)) });
    } finally {
      setRevoking(null);
    }
  };

  if (q.isError) return <QueryError error={q.error} retry={() => q.refetch()} what="list" home={{ to: `/${tenant}/`, label: "Go to the dashboard" }} />;
  if (!q.data) return <Skeleton className="h-48 rounded-lg" />;
  const sessions = [...q.data].sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt));
  return (
    <Section title="Where you are signed in" description="Sign out a device you do not recognise, or no longer use. Its next click needs a new sign-in.">
      <ul className="-mx-2 divide-y" data-testid="sessions-list">
        {sessions.map((s) => (
          <li key={s.id} data-session-id={s.id} data-current={s.current} className="grid gap-2 px-2 py-3 sm:flex sm:items-center sm:gap-4">
            <Laptop className="hidden size-5 shrink-0 text-muted-foreground sm:block" aria-hidden="true" />
            <div className="min-w-0 flex-1">
              <p className="flex flex-wrap items-center gap-2 text-sm font-medium">
                {describeUserAgent(s.userAgent)}
                {s.current && <Badge tone="green">This device</Badge>}
              </p>
              <p className="text-xs text-muted-foreground">
                {s.ip ? `${s.ip} · ` : ""}signed in <When iso={s.createdAt} /> · last active <When iso={s.lastSeenAt} />
              </p>
              {error?.id === s.id && (
                <p role="alert" className="mt-1 text-xs font-medium text-destructive">
                  {error.message}
                </p>
              )}
            </div>
            {!s.current && (
              <Button variant="outline" size="sm" onClick={() => revoke(s)} disabled={revoking === s.id} data-testid="revoke-session" className="justify-self-start">
                {revoking === s.id ? "Signing out…" : "Sign out"}
              </Button>
            )}
          </li>
        ))}
      </ul>
    </Section>
  );
}
