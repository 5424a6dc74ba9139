// The pages a mail's link opens: accept an invitation, reset a forgotten
// password, confirm a new email address; and the form that asks for a reset.
import * as React from "react";
import { Link, Navigate, useLocation, useNavigate, useParams, useSearchParams } from "react-router";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { MailCheck } from "lucide-react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { PasswordInput } from "@/components/ui/password-input";
import { Skeleton } from "@/components/ui/skeleton";
import { formatDateTime } from "@/lib/format";
import { PortalError, portalApi } from "../api/client";
import { keys } from "../api/queries";
import { AuthLayout, useBrand, useTenant } from "../branding";
import { FormError, NewPasswordField, SubmitButton } from "../components/forms";
import { focusFirstInvalid, sentence, useFormErrors } from "../lib/form";
import { passwordProblem } from "../lib/password";
import type { SignInNotice } from "./SignInPage";

/**
 * The token of a mail's link. The portal's mails put it after `#`
 * (`/{tenant}/reset-password#TOKEN`), which browsers never send to a server
 * or in a Referer; `/…/:token` and `?token=` are read too.
 */
export function useLinkToken(): string {
  const params = useParams();
  const [search] = useSearchParams();
  const location = useLocation();
  return (params.token ?? search.get("token") ?? location.hash.replace(/^#(token=)?/, "")).trim();
}

function MissingToken({ title }: { title: string }) {
  return (
    <AuthLayout title={title}>
      <Alert tone="error">This link is incomplete: open it again from the mail, or copy the whole address into the browser.</Alert>
    </AuthLayout>
  );
}

/** Both new-password inputs and their checks, shared by the invitation and the reset. */
function useNewPassword(email?: string) {
  const [password, setPassword] = React.useState("");
  const [confirm, setConfirm] = React.useState("");
  const check = (): Record<string, string> => {
    const out: Record<string, string> = {};
    const problem = passwordProblem(password, email);
    if (problem) out.password = problem;
    else if (confirm !== password) out.confirm = "The two passwords differ: type the same password twice";
    return out;
  };
  return { password, setPassword, confirm, setConfirm, check };
}

export function AcceptInvitationPage() {
  const token = useLinkToken();
  const tenant = useTenant();
  const brand = useBrand();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const formRef = React.useRef<HTMLFormElement>(null);
  const q = useQuery({ queryKey: keys.invitation(token), queryFn: () => portalApi.invitation(token), enabled: Boolean(token), retry: false, staleTime: Infinity });
  const pw = useNewPassword(q.data?.email);
  const [pending, setPending] = React.useState(false);
  const f = useFormErrors(["password", "confirm"]);

  if (!token) return <MissingToken title="Accept your invitation" />;
  if (q.isPending) {
    return (
      <AuthLayout title="Accept your invitation">
        <Skeleton className="h-56" />
      </AuthLayout>
    );
  }
  if (q.isError) {
    const e = PortalError.from(q.error);
    return (
      <AuthLayout title="Accept your invitation">
        <div className="grid gap-4">
          <Alert tone="error" data-testid="invitation-error">
            {e.code === "expired" || e.code === "not_found"
              ? `This invitation was already used or has expired. If you set your password already, sign in; otherwise ask ${brand.name} to invite you again.`
              : sentence(e.message)}
          </Alert>
          <Button asChild variant="outline">
            <Link to={`/${tenant}/sign-in`}>Go to sign-in</Link>
          </Button>
        </div>
      </AuthLayout>
    );
  }
  const inv = q.data;
  if (inv.tenant !== tenant) return <Navigate to={`/${inv.tenant}/accept-invitation#${encodeURIComponent(token)}`} replace />;

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    f.reset();
    const problems = pw.check();
    if (Object.keys(problems).length) {
      f.setErrors(problems);
      focusFirstInvalid(formRef.current);
      return;
    }
    setPending(true);
    try {
      const s = await portalApi.acceptInvitation(token, pw.password);
      qc.setQueryData(keys.session, s);
      navigate(`/${s.tenant.slug}/`, { replace: true, state: { welcome: true } });
    } catch (err) {
      const pe = f.fail(err);
      if (pe.code === "invalid") focusFirstInvalid(formRef.current);
    } finally {
      setPending(false);
    }
  };

  return (
    <AuthLayout
      title={`Welcome, ${inv.name}`}
      description={
        <>
          {inv.tenantName} invited you to the customer portal of <span className="font-medium text-foreground">{inv.organization}</span>. Choose a
          password to finish.
        </>
      }
    >
      <form ref={formRef} onSubmit={submit} noValidate className="grid gap-4" aria-label="Accept the invitation">
        <Field name="email" label="Email" hint="You sign in with this address.">
          {(p) => <Input {...p} type="email" autoComplete="username" value={inv.email} readOnly className="bg-muted/50" />}
        </Field>
        <NewPasswordField
          label="Password"
          value={pw.password}
          onChange={(v) => {
            pw.setPassword(v);
            f.clear("password");
          }}
          email={inv.email}
          error={f.errors.password}
          autoFocus
        />
        <Field name="confirm" label="Password again" error={f.errors.confirm}>
          {(p) => (
            <PasswordInput
              {...p}
              autoComplete="new-password"
              value={pw.confirm}
              onChange={(e) => {
                pw.setConfirm(e.target.value);
                f.clear("confirm");
              }}
            />
          )}
        </Field>
        <FormError message={f.formError} />
        <SubmitButton pending={pending} pendingText="Setting up…" className="w-full">
          Set password and sign in
        </SubmitButton>
        <p className="text-center text-xs text-muted-foreground">This invitation works once, until {formatDateTime(inv.expiresAt)}.</p>
      </form>
    </AuthLayout>
  );
}

export function ForgotPasswordPage() {
  const tenant = useTenant();
  const location = useLocation();
  const formRef = React.useRef<HTMLFormElement>(null);
  const [email, setEmail] = React.useState(((location.state ?? {}) as SignInNotice).email ?? "");
  const [sentTo, setSentTo] = React.useState<string | null>(null);
  const [pending, setPending] = React.useState(false);
  const f = useFormErrors(["email"]);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    f.reset();
    const value = email.trim();
    if (!/^[^\s@]+@[^\s@]+$/.test(value)) {
      f.setErrors({ email: "Enter the email address your account uses, like name@example.com" });
      focusFirstInvalid(formRef.current);
      return;
    }
    setPending(true);
    try {
      await portalApi.requestPasswordReset(tenant, value);
      setSentTo(value);
    } catch (err) {
      f.fail(err);
    } finally {
      setPending(false);
    }
  };

  if (sentTo) {
    return (
      <AuthLayout title="Check your mail">
        <div className="grid gap-4" data-testid="reset-sent">
          <div className="flex items-start gap-3 text-sm">
            <MailCheck className="mt-0.5 size-5 shrink-0 text-primary" aria-hidden="true" />
            <p>
              If an account uses <span className="font-medium">{sentTo}</span>, a link to choose a new password is on its way. It works once, for a
              short time. Nothing arrived? Look in the spam folder, or ask again.
            </p>
          </div>
          <div className="flex flex-wrap gap-2">
            <Button asChild>
              <Link to={`/${tenant}/sign-in`} state={{ email: sentTo }}>Back to sign-in</Link>
            </Button>
            <Button variant="outline" onClick={() => setSentTo(null)}>
              Use another address
            </Button>
          </div>
        </div>
      </AuthLayout>
    );
  }

  return (
    <AuthLayout title="Forgot your password?" description="Enter your account's email address and we will send you a link to choose a new password.">
      <form ref={formRef} onSubmit={submit} noValidate className="grid gap-4" aria-label="Reset the password">
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
              autoFocus
            />
          )}
        </Field>
        <FormError message={f.formError} />
        <SubmitButton pending={pending} pendingText="Sending…" className="w-full">
          Send the link
        </SubmitButton>
        <Link to={`/${tenant}/sign-in`} className="text-center text-sm text-primary hover:underline">
          Back to sign-in
        </Link>
      </form>
    </AuthLayout>
  );
}

export function ResetPasswordPage() {
  const token = useLinkToken();
  const tenant = useTenant();
  const navigate = useNavigate();
  const formRef = React.useRef<HTMLFormElement>(null);
  const pw = useNewPassword();
  const [pending, setPending] = React.useState(false);
  const [expired, setExpired] = React.useState(false);
  const f = useFormErrors(["password", "confirm"]);

  if (!token) return <MissingToken title="Choose a new password" />;
  if (expired) {
    return (
      <AuthLayout title="Choose a new password">
        <div className="grid gap-4">
          <Alert tone="error" data-testid="reset-expired">
            This link was already used or has expired. Ask for a new one: it arrives within a minute.
          </Alert>
          <Button asChild>
            <Link to={`/${tenant}/forgot-password`}>Send a new link</Link>
          </Button>
        </div>
      </AuthLayout>
    );
  }

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    f.reset();
    const problems = pw.check();
    if (Object.keys(problems).length) {
      f.setErrors(problems);
      focusFirstInvalid(formRef.current);
      return;
    }
    setPending(true);
    try {
      await portalApi.confirmPasswordReset(token, pw.password);
      navigate(`/${tenant}/sign-in`, { replace: true, state: { passwordReset: true } satisfies SignInNotice });
    } catch (err) {
      const pe = PortalError.from(err);
      if (pe.code === "expired") setExpired(true);
      else f.fail(pe);
    } finally {
      setPending(false);
    }
  };

  return (
    <AuthLayout title="Choose a new password" description="After this, every device signed in to your account is signed out.">
      <form ref={formRef} onSubmit={submit} noValidate className="grid gap-4" aria-label="Choose a new password">
        <NewPasswordField
          value={pw.password}
          onChange={(v) => {
            pw.setPassword(v);
            f.clear("password");
          }}
          error={f.errors.password}
          autoFocus
        />
        <Field name="confirm" label="New password again" error={f.errors.confirm}>
          {(p) => (
            <PasswordInput
              {...p}
              autoComplete="new-password"
              value={pw.confirm}
              onChange={(e) => {
                pw.setConfirm(e.target.value);
                f.clear("confirm");
              }}
            />
          )}
        </Field>
        <FormError message={f.formError} />
        <SubmitButton pending={pending} pendingText="Saving…" className="w-full">
          Save the new password
        </SubmitButton>
      </form>
    </AuthLayout>
  );
}

export function ConfirmEmailPage() {
  const token = useLinkToken();
  const tenant = useTenant();
  const qc = useQueryClient();
  const [state, setState] = React.useState<"ready" | "pending" | "done" | "expired">("ready");
  const [error, setError] = React.useState<string | null>(null);

  if (!token) return <MissingToken title="Confirm your new email address" />;

  // A button, not a request on load: mail scanners open links, and must not confirm anything.
  const confirm = async () => {
    setError(null);
    setState("pending");
    try {
      await portalApi.confirmEmailChange(token);
      setState("done");
      void qc.invalidateQueries({ queryKey: keys.session });
    } catch (err) {
      const pe = PortalError.from(err);
      if (pe.code === "expired") setState("expired");
      else {
        setState("ready");
        setError(sentence(pe.message));
      }
    }
  };

  return (
    <AuthLayout title="Confirm your new email address">
      {state === "done" ? (
        <div className="grid gap-4">
          <Alert tone="success" data-testid="email-confirmed">
            Your email address is changed. Sign in with the new address from now on.
          </Alert>
          <Button asChild>
            <Link to={`/${tenant}/`}>Continue</Link>
          </Button>
        </div>
      ) : state === "expired" ? (
        <div className="grid gap-4">
          <Alert tone="error" data-testid="email-expired">
            This link was already used or has expired. Change the address again from your account page to get a new one.
          </Alert>
          <Button asChild variant="outline">
            <Link to={`/${tenant}/account`}>Go to your account</Link>
          </Button>
        </div>
      ) : (
        <div className="grid gap-4">
          <p className="text-sm text-muted-foreground">Confirm that this mailbox is yours, and your account will use it from now on.</p>
          <FormError message={error} />
          <SubmitButton type="button" pending={state === "pending"} pendingText="Confirming…" onClick={confirm} className="w-full">
            Confirm the new address
          </SubmitButton>
        </div>
      )}
    </AuthLayout>
  );
}
