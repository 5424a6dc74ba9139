// Settings → Providers: the built-in Sandbox and the Linode account (connect
// with a personal access token, its scopes, the cached catalogue and its
// refresh, disconnect).
import * as React from "react";
import { Cloud, FlaskConical, RefreshCw, Unplug } from "lucide-react";
import { ApiError } from "@/api/client";
import type { LinodeAccountDto } from "@/bindings";
import { QueryError } from "@/components/query-state";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { AlertDialog, AlertDialogContent, AlertDialogDescription, AlertDialogTitle } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import { formatDateTime, formatRelative } from "@/lib/format";
import { focusFirstError, useApiForm } from "@/lib/use-api-form";
import { useConnectLinode, useDisconnectLinode, useLinodeAccount, useRefreshCatalogue } from "./api";

const FIELDS = ["token", "baseUrl"] as const;

/** Client-side checks of the connect form; the backend checks again (and the token against Linode). */
export function checkLinodeForm(token: string, baseUrl: string): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!token.trim()) errors.token = "Paste a Linode personal access token (Cloud Manager → My Profile → API Tokens)";
  else if (/\s/.test(token.trim())) errors.token = "A token has no spaces: paste it again";
  const url = baseUrl.trim();
  if (url && !/^(https:\/\/|http:\/\/(127\.|localhost|\[::1\]))/.test(url)) {
    errors.baseUrl = "Use an https:// address (or http:// on this computer, for the fake Linode)";
  }
  return errors;
}

export function ProvidersCard() {
  const account = useLinodeAccount();
  return (
    <Card data-testid="providers-card">
      <CardHeader>
        <CardTitle>Providers</CardTitle>
        <CardDescription>Where your customers' servers run.</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        <ul className="divide-y rounded-lg border" data-testid="providers">
          <li className="flex items-center gap-4 px-4 py-3.5" data-provider="sandbox">
            <div className="flex size-9 shrink-0 items-center justify-center rounded-md bg-muted text-muted-foreground"><FlaskConical className="size-4" /></div>
            <div className="min-w-0 flex-1">
              <p className="text-sm font-medium">Sandbox</p>
              <p className="text-sm text-muted-foreground">Built in, no account needed: simulated servers to try every feature</p>
            </div>
            <Badge tone="green" dot>Always on</Badge>
          </li>
          <li className="grid gap-4 px-4 py-3.5" data-provider="linode">
            <div className="flex items-center gap-4">
              <div className="flex size-9 shrink-0 items-center justify-center rounded-md bg-muted text-muted-foreground"><Cloud className="size-4" /></div>
              <div className="min-w-0 flex-1">
                <p className="text-sm font-medium">Linode</p>
                <p className="text-sm text-muted-foreground">Akamai Cloud Computing, through its API v4</p>
              </div>
              {account.data ? (account.data.connected ? <Badge tone="green" dot data-testid="linode-connected">Connected</Badge> : <Badge tone="grey">Not connected</Badge>) : null}
            </div>
            {account.isError ? <QueryError what="Linode account" error={account.error} retry={() => account.refetch()} />
              : !account.data ? <Skeleton className="h-24" />
              : account.data.connected ? <LinodeAccount account={account.data} />
              : <LinodeConnectForm />}
          </li>
        </ul>
      </CardContent>
    </Card>
  );
}

export function LinodeConnectForm() {
  const [token, setToken] = React.useState("");
  const [baseUrl, setBaseUrl] = React.useState("");
  const [advanced, setAdvanced] = React.useState(false);
  const form = useApiForm(FIELDS);
  const connect = useConnectLinode();
  const toast = useToast();
  const ref = React.useRef<HTMLFormElement>(null);

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const errors = checkLinodeForm(token, baseUrl);
    if (Object.keys(errors).length) {
      if (errors.baseUrl) setAdvanced(true);
      form.setErrors(errors);
      focusFirstError(ref.current);
      return;
    }
    connect.mutate(
      { token: token.trim(), baseUrl: baseUrl.trim() || null },
      {
        onSuccess: () => {
          setToken("");
          toast.success("Linode connected", "The token is kept in your system keyring, and the catalogue was imported.");
        },
        onError: (err) => {
          const e = ApiError.from(err);
          if (e.fields.baseUrl) setAdvanced(true);
          form.fail(err, "Could not connect Linode");
          focusFirstError(ref.current);
        },
      },
    );
  };

  return (
    <form ref={ref} onSubmit={submit} noValidate className="grid gap-3" aria-label="Connect Linode">
      <Field
        name="token"
        label="Personal access token"
        error={form.errors.token}
        hint="Create one in Linode Cloud Manager → My Profile → API Tokens with Read/Write on Linodes, Firewalls, IPs, Events and StackScripts, Read on Account. It is checked now and kept in your system keyring, never in the database."
      >
        {(p) => <Input {...p} type="password" autoComplete="off" spellCheck={false} value={token} onChange={(e) => { setToken(e.target.value); form.clear("token"); }} placeholder="Paste the token" />}
      </Field>
      {advanced ? (
        <Field name="baseUrl" label="API base URL (advanced)" error={form.errors.baseUrl} hint="Leave empty for Linode (https://api.linode.com/v4). Set it to talk to a test double such as the fake Linode.">
          {(p) => <Input {...p} value={baseUrl} spellCheck={false} onChange={(e) => { setBaseUrl(e.target.value); form.clear("baseUrl"); }} placeholder="https://api.linode.com/v4" />}
        </Field>
      ) : (
        <button type="button" className="justify-self-start text-xs text-muted-foreground underline-offset-4 hover:text-foreground hover:underline" onClick={() => setAdvanced(true)} data-testid="linode-advanced">
          Advanced: API base URL
        </button>
      )}
      <div>
        <Button type="submit" disabled={connect.isPending}>{connect.isPending ? "Checking the token…" : "Connect Linode"}</Button>
      </div>
    </form>
  );
}

function LinodeAccount({ account }: { account: LinodeAccountDto }) {
  const refresh = useRefreshCatalogue();
  const disconnect = useDisconnectLinode();
  const toast = useToast();
  const [confirming, setConfirming] = React.useState(false);
  const c = account.catalogue;
  return (
    <div className="grid gap-4 text-sm" data-testid="linode-account">
      <dl className="grid gap-2">
        <Row label="Account"><span data-testid="linode-username">{account.username ?? "—"}</span>{account.email && <span className="text-muted-foreground"> · {account.email}</span>}</Row>
        <Row label="Token scopes">
          <span className="flex flex-wrap gap-1" data-testid="linode-scopes">
            {account.scopes.length === 0 ? <span className="text-muted-foreground">none reported</span> : account.scopes.map((s) => <Badge key={s} tone="grey">{s === "*" ? "all scopes (*)" : s}</Badge>)}
          </span>
          {account.restricted && <span className="mt-1 block text-xs text-amber-700 dark:text-amber-300">A restricted user: it sees only what its grants in Linode allow.</span>}
        </Row>
        <Row label="Token expiry"><span className="text-muted-foreground">Shown in Cloud Manager → API Tokens (the API does not tell a token its own expiry). An expired token shows here as a connection error.</span></Row>
        {account.baseUrl && <Row label="API"><span className="font-mono text-xs break-all" data-testid="linode-base-url">{account.baseUrl}</span></Row>}
        {account.connectedAt && <Row label="Connected">{formatDateTime(account.connectedAt)}</Row>}
      </dl>
      <div className="grid gap-2 rounded-md border bg-muted/30 p-3" data-testid="linode-catalogue">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <div>
            <p className="font-medium">Catalogue</p>
            <p className="text-muted-foreground" data-testid="catalogue-refreshed">
              {c.refreshedAt ? <>Refreshed {formatRelative(c.refreshedAt)} · {c.regions} regions, {c.types} types, {c.images} images, {c.stackscripts} StackScripts</> : "Not imported yet"}
            </p>
          </div>
          <Button
            variant="outline"
            size="sm"
            disabled={refresh.isPending}
            data-testid="refresh-catalogue"
            onClick={() => refresh.mutate("linode", { onSuccess: () => toast.success("Catalogue refreshed"), onError: (e) => toast.error("Could not refresh the catalogue", ApiError.from(e).message) })}
          >
            <RefreshCw className={refresh.isPending ? "animate-spin" : undefined} /> {refresh.isPending ? "Refreshing…" : "Refresh catalogue"}
          </Button>
        </div>
        <p className="text-xs text-muted-foreground">Plans and the new-server form use this copy; it refreshes by itself every 24 hours.</p>
        {c.lastError && <p className="text-xs text-destructive" role="alert">The last refresh failed: {c.lastError}. The previous catalogue stays in use.</p>}
      </div>
      <div>
        <Button variant="outline" onClick={() => setConfirming(true)} data-testid="disconnect-linode"><Unplug /> Disconnect</Button>
      </div>
      <AlertDialog open={confirming} onOpenChange={setConfirming}>
        <AlertDialogContent>
          <AlertDialogTitle>Disconnect Linode?</AlertDialogTitle>
          <AlertDialogDescription>
            The token is removed from your keyring. Servers on Linode keep running there and keep being billed, but this app can no longer manage them until you connect again.
          </AlertDialogDescription>
          <div className="flex flex-col-reverse gap-2 pt-2 sm:flex-row sm:justify-end">
            <Button variant="outline" data-autofocus onClick={() => setConfirming(false)}>Keep connected</Button>
            <Button
              variant="destructive"
              disabled={disconnect.isPending}
              onClick={() => disconnect.mutate(undefined, { onSuccess: () => { setConfirming(false); toast.info("Linode disconnected"); }, onError: (e) => toast.error("Could not disconnect", ApiError.from(e).message) })}
            >
              Disconnect Linode
            </Button>
          </div>
        </AlertDialogContent>
      </AlertDialog>
    </div>
  );
}

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid grid-cols-[7.5rem_1fr] gap-2">
      <dt className="text-muted-foreground">{label}</dt>
      <dd className="min-w-0">{children}</dd>
    </div>
  );
}
