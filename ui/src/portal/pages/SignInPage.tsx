import * as React from "react";
import { Link, Navigate, useLocation, useNavigate, useSearchParams } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { PasswordInput } from "@/components/ui/password-input";
import { Skeleton } from "@/components/ui/skeleton";
import { PortalError, portalApi } from "../api/client";
import { keys, useSession } from "../api/queries";
import { AuthLayout, useBrand, useTenant } from "../branding";
import { FormError, SubmitButton } from "../components/forms";
import { focusFirstInvalid, sentence, useFormErrors } from "../lib/form";
import { safeNext } from "../layout/PortalShell";

/** What a page that sends the user to sign-in may say there. */
export type SignInNotice = { signedOut?: boolean; passwordReset?: boolean; email?: string };

export function SignInPage() {
  const tenant = useTenant();
  const brand = useBrand();
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"), tenant);
  const notice = (location.state ?? {}) as SignInNotice;
  const session = useSession();
  const qc = useQueryClient();
  const formRef = React.useRef<HTMLFormElement>(null);
  const [email, setEmail] = React.useState(notice.email ?? "");
  const [password, setPassword] = React.useState("");
  const [pending, setPending] = React.useState(false);
  const [showNotice, setShowNotice] = React.useState(true);
  const f = useFormErrors(["email", "password"]);
  React.useEffect(() => {
    if (notice.signedOut) qc.removeQueries({ queryKey: keys.signedOut });
  }, [notice.signedOut, qc]);

  if (session.isPending) {
    return (
      <AuthLayout title="Sign in">
        <Skeleton className="h-40" />
      </AuthLayout>
    );
  }
  if (session.data?.stage === "signed_in" && session.data.tenant.slug === tenant) return <Navigate to={next} replace />;
  if (session.data?.stage === "second_factor" && session.data.tenant.slug === tenant) {
    return <Navigate to={`/${tenant}/sign-in/verify?next=${encodeURIComponent(next)}`} replace />;
  }

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    f.reset();
    setShowNotice(false);
    const problems: Record<string, string> = {};
    if (!email.trim()) problems.email = "Enter the email address your account uses";
    if (!password) problems.password = "Enter your password";
    if (Object.keys(problems).length) {
      f.setErrors(problems);
      focusFirstInvalid(formRef.current);
      return;
    }
    setPending(true);
    try {
      const s = await portalApi.signIn(tenant, email.trim(), password);
      qc.setQueryData(keys.session, s);
      if (s.stage === "second_factor") navigate(`/${tenant}/sign-in/verify?next=${encodeURIComponent(next)}`, { replace: true });
      else navigate(next, { replace: true });
    } catch (err) {
      const pe = f.fail(err);
      setPassword("");
      if (pe.code === "invalid") focusFirstInvalid(formRef.current);
    } finally {
      setPending(false);
    }
  };

  return (
    <AuthLayout title="Sign in" description={<>to your account with {brand.name}</>}>
      <form ref={formRef} onSubmit={submit} noValidate className="grid gap-4" aria-label="Sign in">
        {showNotice && notice.signedOut && <Alert tone="success">You have signed out.</Alert>}
        {showNotice && notice.passwordReset && <Alert tone="success">Your password is changed. Sign in with the new one.</Alert>}
        <Field name="email" label="Email" error={f.errors.email}>
          {(p) => (
            <Input
              {...p}
              type="email"
              autoComplete="username"
              inputMode="email"
              value={email}
              onChange={(e) => {
                setEmail(e.target.value);
                f.clear("email");
              }}
              autoFocus={!email}
            />
          )}
        </Field>
        <div className="relative">
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
                autoFocus={Boolean(email)}
              />
            )}
          </Field>
          {/* Beside the label, not in it: the input's name stays "Password". */}
          <Link to={`/${tenant}/forgot-password`} state={{ email }} className="absolute top-0 right-0 text-xs text-primary hover:underline">
            Forgot your password?
          </Link>
        </div>
        <FormError message={f.formError} />
        <SubmitButton pending={pending} pendingText="Signing in…" className="w-full">
          Sign in
        </SubmitButton>
      </form>
    </AuthLayout>
  );
}

/** The second step of signing in: a code from the authenticator app, or a recovery code. */
export function SecondFactorPage() {
  const tenant = useTenant();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"), tenant);
  const session = useSession();
  const qc = useQueryClient();
  const formRef = React.useRef<HTMLFormElement>(null);
  const [recovery, setRecovery] = React.useState(false);
  const [code, setCode] = React.useState("");
  const [pending, setPending] = React.useState(false);
  const f = useFormErrors(["code", "recoveryCode"]);
  const field = recovery ? "recoveryCode" : "code";

  if (session.isPending) {
    return (
      <AuthLayout title="Two-factor authentication">
        <Skeleton className="h-32" />
      </AuthLayout>
    );
  }
  if (!session.data || session.data.tenant.slug !== tenant) return <Navigate to={`/${tenant}/sign-in?next=${encodeURIComponent(next)}`} replace />;
  if (session.data.stage === "signed_in") return <Navigate to={next} replace />;

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    f.reset();
    const value = recovery ? code.trim() : code.replace(/\s+/g, "");
    if (!recovery && !/^\d{6}$/.test(value)) {
      f.setErrors({ code: "Enter the 6 digits your authenticator app shows" });
      focusFirstInvalid(formRef.current);
      return;
    }
    if (recovery && !value) {
      f.setErrors({ recoveryCode: "Enter one of your recovery codes" });
      focusFirstInvalid(formRef.current);
      return;
    }
    setPending(true);
    try {
      const s = await portalApi.secondFactor(recovery ? { recoveryCode: value } : { code: value });
      qc.setQueryData(keys.session, s);
      navigate(next, { replace: true });
    } catch (err) {
      const pe = PortalError.from(err);
      if (pe.code === "signed_out") {
        qc.setQueryData(keys.session, null);
        return;
      }
      if (pe.code === "invalid_code") {
        f.setErrors({ [field]: sentence(pe.message) });
        focusFirstInvalid(formRef.current);
      } else {
        f.fail(pe);
      }
      setCode("");
    } finally {
      setPending(false);
    }
  };

  const startOver = async () => {
    try {
      await portalApi.signOut();
    } catch {
      /* a session that is gone is what we want */
    }
    qc.setQueryData(keys.session, null);
  };

  return (
    <AuthLayout
      title="Two-factor authentication"
      description={
        recovery
          ? "Enter one of the recovery codes you saved when you turned on two-factor authentication. Each code works once."
          : "Enter the 6-digit code your authenticator app shows for this account."
      }
    >
      <form ref={formRef} onSubmit={submit} noValidate className="grid gap-4" aria-label="Two-factor authentication">
        {recovery ? (
          <Field key="recoveryCode" name="recoveryCode" label="Recovery code" error={f.errors.recoveryCode}>
            {(p) => (
              <Input
                {...p}
                autoComplete="off"
                autoCapitalize="off"
                spellCheck={false}
                className="font-mono"
                value={code}
                onChange={(e) => {
                  setCode(e.target.value);
                  f.clear("recoveryCode");
                }}
                autoFocus
              />
            )}
          </Field>
        ) : (
          <Field key="code" name="code" label="Code" error={f.errors.code}>
            {(p) => (
              <Input
                {...p}
                inputMode="numeric"
                autoComplete="one-time-code"
                pattern="[0-9 ]*"
                maxLength={7}
                className="font-mono text-lg tracking-[0.3em]"
                value={code}
                onChange={(e) => {
                  setCode(e.target.value);
                  f.clear("code");
                }}
                autoFocus
              />
            )}
          </Field>
        )}
        <FormError message={f.formError} />
        <SubmitButton pending={pending} pendingText="Checking…" className="w-full">
          Verify
        </SubmitButton>
        <div className="flex flex-wrap items-center justify-between gap-2 text-sm">
          <Button
            variant="link"
            className="h-auto px-0"
            onClick={() => {
              setRecovery((r) => !r);
              setCode("");
              f.reset();
            }}
          >
            {recovery ? "Use your authenticator app" : "Use a recovery code"}
          </Button>
          <Button variant="link" className="h-auto px-0 text-muted-foreground" onClick={startOver}>
            Sign in as someone else
          </Button>
        </div>
      </form>
    </AuthLayout>
  );
}
