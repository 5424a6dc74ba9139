// Settings → Providers: the built-in Sandbox, the DigitalOcean accounts
// (`DigitalOceanAccounts.tsx`) and the Linode accounts (add one
// with a personal access token; per account its user, scopes, the token's
// expiry with a warning before it runs out, the cached catalogue, Test,
// Refresh catalogue, Replace token and Remove).
import * as React from "react";
import { AlertTriangle, Cloud, FlaskConical, KeyRound, Plus, RefreshCw, ShieldCheck, Trash2 } from "lucide-react";
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
import { DigitalOceanProvider } from "./DigitalOceanAccounts";
import { useAddLinodeAccount, useLinodeAccounts, useRefreshAccountCatalogue, useRemoveLinodeAccount, useReplaceLinodeToken, useTestLinodeAccount } from "./api";

const FIELDS = ["label", "token", "baseUrl"] as const;

/** Client-side checks of the add-account form; the backend checks again (and the token against Linode). */
export function checkLinodeForm(token: string, baseUrl: string, label = ""): Record<string, string> {
  const errors: Record<string, string> = {};
  if (label.trim().length > 64) errors.label = "Keep the account label to 64 characters";
  if (!token.trim()) errors.token = "Paste a Linode personal access token (Cloud Manager → My Profile → API Tokens)";
  else if (/\s/.test(token.trim())) errors.token = "A token has no spaces: paste it again";
  const url = baseUrl.trim();
  if (url && !apiRootAllowed(url)) {
    errors.baseUrl = "Use an https:// address (or http:// on this computer, for the fake Linode)";
  }
  return errors;
}

/** The backend's rule, for comfort: a parsed URL, no credentials; plain http only to an exact loopback host. */
export function apiRootAllowed(root: string): boolean {
  let u: URL;
  try {
    u = new URL(root);
  } catch {
    return false;
  }
  if (u.username || u.password || u.search || u.hash) return false;
  if (u.protocol === "https:") return u.hostname !== "";
  if (u.protocol !== "http:") return false;
  const host = u.hostname.toLowerCase();
  return host === "localhost" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** "expires on 2026-12-01", "never expires", or why it is unknown. */
export function expiryText(a: Pick<LinodeAccountDto, "tokenExpiry" | "tokenExpiryKnown" | "tokenExpiryNote" | "tokenExpired">): string {
  if (!a.tokenExpiryKnown) return a.tokenExpiryNote ?? "Expiry unknown: press Test to read it";
  if (!a.tokenExpiry) return "Never expires";
  const day = a.tokenExpiry.slice(0, 10);
  return a.tokenExpired ? `Expired on ${day}` : `Expires on ${day}`;
}

export function ProvidersCard() {
  const accounts = useLinodeAccounts();
  const [adding, setAdding] = React.useState(false);
  const list = accounts.data ?? [];
  const warnings = list.filter((a) => a.tokenWarning);
  return (
    <Card data-testid="providers-card">
      <CardHeader>
        <CardTitle>Providers</CardTitle>
        <CardDescription>Where your customers' servers run.</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        {list.filter((a) => a.apiRootWarning).map((a) => (
          <div key={`api-${a.id}`} role="alert" data-testid="api-root-warning" className="flex gap-3 rounded-md border border-amber-500/40 bg-amber-500/10 p-3 text-sm text-amber-900 dark:text-amber-200">
            <AlertTriangle className="mt-0.5 size-4 shrink-0" />
            <p><span className="font-medium">{a.label}:</span> {a.apiRootWarning}</p>
          </div>
        ))}
        {warnings.map((a) => (
          <div key={a.id} role="alert" data-testid="token-warning" className={`flex gap-3 rounded-md border p-3 text-sm ${a.tokenExpired ? "border-destructive/40 bg-destructive/10 text-destructive" : "border-amber-500/40 bg-amber-500/10 text-amber-900 dark:text-amber-200"}`}>
            <AlertTriangle className="mt-0.5 size-4 shrink-0" />
            <p>{a.tokenWarning}</p>
          </div>
        ))}
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
                <p className="text-sm text-muted-foreground">Akamai Cloud Computing, through its API v4. Connect one account or several.</p>
              </div>
              {accounts.data ? (
                list.length > 0 ? <Badge tone="green" dot data-testid="linode-connected">{list.length === 1 ? "1 account" : `${list.length} accounts`}</Badge> : <Badge tone="grey">Not connected</Badge>
              ) : null}
            </div>
            {accounts.isError ? (
              <QueryError what="Linode accounts" error={accounts.error} retry={() => accounts.refetch()} />
            ) : !accounts.data ? (
              <Skeleton className="h-24" />
            ) : (
              <>
                {list.map((a) => <LinodeAccount key={a.id} account={a} />)}
                {list.length === 0 ? (
                  <div className="grid gap-3">
                    <p className="text-sm text-muted-foreground">No Linode account yet. Paste a personal access token to sell servers on Linode.</p>
                    <LinodeConnectForm first />
                  </div>
                ) : adding ? (
                  <div className="grid gap-3 rounded-md border p-3" data-testid="add-linode-account-form">
                    <p className="text-sm font-medium">Add a Linode account</p>
                    <LinodeConnectForm onDone={() => setAdding(false)} />
                  </div>
                ) : (
                  <div>
                    <Button variant="outline" onClick={() => setAdding(true)} data-testid="add-linode-account"><Plus /> Add Linode account</Button>
                  </div>
                )}
              </>
            )}
          </li>
          <DigitalOceanProvider />
        </ul>
      </CardContent>
    </Card>
  );
}

export function LinodeConnectForm({ first = false, onDone }: { first?: boolean; onDone?: () => void }) {
  const [label, setLabel] = React.useState("");
  const [token, setToken] = React.useState("");
  const [baseUrl, setBaseUrl] = React.useState("");
  const [advanced, setAdvanced] = React.useState(false);
  const form = useApiForm(FIELDS);
  const add = useAddLinodeAccount();
  const toast = useToast();
  const ref = React.useRef<HTMLFormElement>(null);

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const errors = checkLinodeForm(token, baseUrl, label);
    if (Object.keys(errors).length) {
      if (errors.baseUrl) setAdvanced(true);
      form.setErrors(errors);
      focusFirstError(ref.current);
      return;
    }
    add.mutate(
      { token: token.trim(), label: label.trim() || null, baseUrl: baseUrl.trim() || null },
      {
        onSuccess: (a) => {
          setToken("");
          setLabel("");
          toast.success(`Linode account “${a.label}” connected`, "The token is kept in your system keyring, and the catalogue was imported.");
          onDone?.();
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
      <Field name="label" label="Account label (optional)" error={form.errors.label} hint="Your name for this account, e.g. “EU customers”. Empty: the Linode username.">
        {(p) => <Input {...p} value={label} onChange={(e) => { setLabel(e.target.value); form.clear("label"); }} placeholder="The Linode username" />}
      </Field>
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
      <div className="flex gap-2">
        <Button type="submit" disabled={add.isPending}>{add.isPending ? "Checking the token…" : "Connect Linode"}</Button>
        {!first && onDone && <Button type="button" variant="outline" onClick={onDone}>Cancel</Button>}
      </div>
    </form>
  );
}

function LinodeAccount({ account }: { account: LinodeAccountDto }) {
  const refresh = useRefreshAccountCatalogue();
  const test = useTestLinodeAccount();
  const remove = useRemoveLinodeAccount();
  const toast = useToast();
  const [confirming, setConfirming] = React.useState(false);
  const [replacing, setReplacing] = React.useState(false);
  const c = account.catalogue;
  return (
    <div className="grid gap-4 rounded-md border p-3 text-sm" data-testid="linode-account" data-account-label={account.label}>
      <div className="flex flex-wrap items-center gap-2">
        <p className="font-medium" data-testid="linode-account-label">{account.label}</p>
        {!account.connected && <Badge tone="red">Token missing</Badge>}
        {account.tokenExpired && <Badge tone="red">Token expired</Badge>}
        <span className="ml-auto text-muted-foreground" data-testid="linode-account-servers">{account.servers === 1 ? "1 server" : `${account.servers} servers`}</span>
      </div>
      <dl className="grid gap-2">
        <Row label="User"><span data-testid="linode-username">{account.username ?? "—"}</span>{account.email && <span className="text-muted-foreground"> · {account.email}</span>}</Row>
        <Row label="Token scopes">
          <span className="flex flex-wrap gap-1" data-testid="linode-scopes">
            {account.scopes.length === 0 ? <span className="text-muted-foreground">none reported</span> : account.scopes.map((s) => <Badge key={s} tone="grey">{s === "*" ? "all scopes (*)" : s}</Badge>)}
          </span>
          {account.restricted && <span className="mt-1 block text-xs text-amber-700 dark:text-amber-300">A restricted user: it sees only what its grants in Linode allow.</span>}
        </Row>
        <Row label="Token expiry">
          <span data-testid="token-expiry" className={account.tokenExpired ? "text-destructive" : account.tokenWarning ? "text-amber-700 dark:text-amber-300" : undefined}>{expiryText(account)}</span>
          {account.tokenCheckedAt && <span className="block text-xs text-muted-foreground">Checked {formatRelative(account.tokenCheckedAt)}</span>}
        </Row>
        {account.baseUrl && <Row label="API"><span className="font-mono text-xs break-all" data-testid="linode-base-url">{account.baseUrl}</span>{account.apiRootWarning && <Badge tone="amber" className="ml-2">Custom API root</Badge>}</Row>}
        {account.connectedAt && <Row label="Connected">{formatDateTime(account.connectedAt)}</Row>}
      </dl>
      <div className="grid gap-2 rounded-md border bg-muted/30 p-3" data-testid="linode-catalogue">
        <p className="font-medium">Catalogue</p>
        <p className="text-muted-foreground" data-testid="catalogue-refreshed">
          {c.refreshedAt ? <>Refreshed {formatRelative(c.refreshedAt)} · {c.regions} regions, {c.types} types, {c.images} images, {c.stackscripts} StackScripts</> : "Not imported yet"}
        </p>
        <p className="text-xs text-muted-foreground">Servers on this account use this copy; it refreshes by itself every 24 hours.</p>
        {c.lastError && <p className="text-xs text-destructive" role="alert">The last refresh failed: {c.lastError}. The previous catalogue stays in use.</p>}
      </div>
      <div className="flex flex-wrap gap-2">
        <Button
          variant="outline"
          size="sm"
          disabled={test.isPending}
          data-testid="test-linode-account"
          onClick={() => test.mutate(account.id, { onSuccess: (a) => toast.success(`“${a.label}” works`, expiryText(a)), onError: (e) => toast.error("The token did not pass", ApiError.from(e).fields.token ?? ApiError.from(e).message) })}
        >
          <ShieldCheck /> {test.isPending ? "Testing…" : "Test"}
        </Button>
        <Button
          variant="outline"
          size="sm"
          disabled={refresh.isPending || !account.connected}
          data-testid="refresh-catalogue"
          onClick={() => refresh.mutate(account.id, { onSuccess: () => toast.success("Catalogue refreshed"), onError: (e) => toast.error("Could not refresh the catalogue", ApiError.from(e).message) })}
        >
          <RefreshCw className={refresh.isPending ? "animate-spin" : undefined} /> {refresh.isPending ? "Refreshing…" : "Refresh catalogue"}
        </Button>
        <Button variant="outline" size="sm" onClick={() => setReplacing((r) => !r)} data-testid="replace-token"><KeyRound /> Replace token</Button>
        <Button variant="outline" size="sm" onClick={() => setConfirming(true)} data-testid="remove-linode-account"><Trash2 /> Remove</Button>
      </div>
      {replacing && <ReplaceTokenForm account={account} onDone={() => setReplacing(false)} />}
      <AlertDialog open={confirming} onOpenChange={setConfirming}>
        <AlertDialogContent>
          <AlertDialogTitle>Remove Linode account “{account.label}”?</AlertDialogTitle>
          <AlertDialogDescription>
            {account.servers > 0
              ? `${account.servers === 1 ? "1 server lives" : `${account.servers} servers live`} on this account: delete ${account.servers === 1 ? "it" : "them"} first. An account with servers cannot be removed.`
              : "Its token is deleted from your keyring and its catalogue forgotten. Nothing changes at Linode."}
          </AlertDialogDescription>
          <div className="flex flex-col-reverse gap-2 pt-2 sm:flex-row sm:justify-end">
            <Button variant="outline" data-autofocus onClick={() => setConfirming(false)}>Keep it</Button>
            <Button
              variant="destructive"
              disabled={remove.isPending}
              onClick={() =>
                remove.mutate(account.id, {
                  onSuccess: () => { setConfirming(false); toast.info(`Linode account “${account.label}” removed`); },
                  onError: (e) => { setConfirming(false); toast.error("Could not remove the account", ApiError.from(e).message); },
                })
              }
            >
              Remove account
            </Button>
          </div>
        </AlertDialogContent>
      </AlertDialog>
    </div>
  );
}

/** Puts a new token on the account: the account, its servers and its catalogue stay. */
export function ReplaceTokenForm({ account, onDone }: { account: LinodeAccountDto; onDone: () => void }) {
  const [token, setToken] = React.useState("");
  const form = useApiForm(["newToken"]);
  const replace = useReplaceLinodeToken();
  const toast = useToast();
  const ref = React.useRef<HTMLFormElement>(null);
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const t = token.trim();
    const err = !t ? "Paste the new token" : /\s/.test(t) ? "A token has no spaces: paste it again" : null;
    if (err) {
      form.setErrors({ newToken: err });
      focusFirstError(ref.current);
      return;
    }
    replace.mutate(
      { id: account.id, token: t },
      {
        onSuccess: (a) => { setToken(""); toast.success(`New token for “${a.label}”`, expiryText(a)); onDone(); },
        onError: (raw) => {
          const e = ApiError.from(raw);
          if (e.fields.token) { form.setErrors({ newToken: e.fields.token }); focusFirstError(ref.current); }
          else form.fail(raw, "Could not replace the token");
        },
      },
    );
  };
  return (
    <form ref={ref} onSubmit={submit} noValidate className="grid gap-3 rounded-md border p-3" aria-label={`Replace the token of ${account.label}`}>
      <Field name="newToken" label="New personal access token" error={form.errors.newToken} hint={`A token of the same Linode user${account.username ? ` (${account.username})` : ""}: the servers of this account live there. The old token is replaced in your keyring.`}>
        {(p) => <Input {...p} type="password" autoComplete="off" spellCheck={false} value={token} onChange={(e) => { setToken(e.target.value); form.clear("newToken"); }} placeholder="Paste the new token" />}
      </Field>
      <div className="flex gap-2">
        <Button type="submit" size="sm" disabled={replace.isPending}>{replace.isPending ? "Checking the token…" : "Save new token"}</Button>
        <Button type="button" size="sm" variant="outline" onClick={onDone}>Cancel</Button>
      </div>
    </form>
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
