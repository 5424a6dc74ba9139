// Settings → Providers → DigitalOcean: the accounts (add one with a personal
// access token, checked against the API: status, email, Droplet limit; a
// read-only token is refused with the reason), and per account its cached
// catalogue, Test, Refresh catalogue, Replace token and Remove, with what
// DigitalOcean does differently from Linode.
import * as React from "react";
import { AlertTriangle, Droplets, Info, KeyRound, Plus, RefreshCw, ShieldCheck, Trash2 } from "lucide-react";
import { ApiError } from "@/api/client";
import type { DigitalOceanAccountDto } from "@/bindings";
import { QueryError } from "@/components/query-state";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { AlertDialog, AlertDialogContent, AlertDialogDescription, AlertDialogTitle } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import { formatDateTime, formatRelative } from "@/lib/format";
import { focusFirstError, useApiForm } from "@/lib/use-api-form";
import { useAddDigitalOceanAccount, useDigitalOceanAccounts, useRefreshAccountCatalogue, useRemoveDigitalOceanAccount, useReplaceDigitalOceanToken, useTestDigitalOceanAccount } from "./api";
import { apiRootAllowed } from "./ProvidersCard";

const FIELDS = ["label", "token", "baseUrl"] as const;

/** Client-side checks of the add-account form; the backend checks again (and the token against DigitalOcean). */
export function checkDigitalOceanForm(token: string, baseUrl: string, label = ""): Record<string, string> {
  const errors: Record<string, string> = {};
  if (label.trim().length > 64) errors.label = "Keep the account label to 64 characters";
  if (!token.trim()) errors.token = "Paste a DigitalOcean personal access token (control panel → API → Tokens)";
  else if (/\s/.test(token.trim())) errors.token = "A token has no spaces: paste it again";
  const url = baseUrl.trim();
  if (url && !apiRootAllowed(url)) {
    errors.baseUrl = "Use an https:// address (or http:// on this computer, for the fake DigitalOcean)";
  }
  return errors;
}

/** "Active", or the status with DigitalOcean's note. */
export function statusText(a: Pick<DigitalOceanAccountDto, "status" | "statusNote">): string {
  const s = a.status ? a.status.charAt(0).toUpperCase() + a.status.slice(1) : "Unknown";
  return a.statusNote ? `${s}: ${a.statusNote}` : s;
}

/** The DigitalOcean row of Settings → Providers. */
export function DigitalOceanProvider() {
  const accounts = useDigitalOceanAccounts();
  const [adding, setAdding] = React.useState(false);
  const list = accounts.data ?? [];
  return (
    <li className="grid gap-4 px-4 py-3.5" data-provider="digitalocean">
      <div className="flex items-center gap-4">
        <div className="flex size-9 shrink-0 items-center justify-center rounded-md bg-muted text-muted-foreground"><Droplets className="size-4" /></div>
        <div className="min-w-0 flex-1">
          <p className="text-sm font-medium">DigitalOcean</p>
          <p className="text-sm text-muted-foreground">Droplets through DigitalOcean's API v2. Connect one account or several.</p>
        </div>
        {accounts.data ? (
          list.length > 0 ? <Badge tone="green" dot data-testid="digitalocean-connected">{list.length === 1 ? "1 account" : `${list.length} accounts`}</Badge> : <Badge tone="grey">Not connected</Badge>
        ) : null}
      </div>
      {list.filter((a) => a.apiRootWarning).map((a) => (
        <div key={`api-${a.id}`} role="alert" data-testid="digitalocean-api-root-warning" className="flex gap-3 rounded-md border border-amber-500/40 bg-amber-500/10 p-3 text-sm text-amber-900 dark:text-amber-200">
          <AlertTriangle className="mt-0.5 size-4 shrink-0" />
          <p><span className="font-medium">{a.label}:</span> {a.apiRootWarning}</p>
        </div>
      ))}
      {accounts.isError ? (
        <QueryError what="DigitalOcean accounts" error={accounts.error} retry={() => accounts.refetch()} />
      ) : !accounts.data ? (
        <Skeleton className="h-24" />
      ) : (
        <>
          {list.map((a) => <DigitalOceanAccount key={a.id} account={a} />)}
          {list.length > 0 && <Differences notes={list[0].notes} />}
          {list.length === 0 ? (
            <div className="grid gap-3">
              <p className="text-sm text-muted-foreground">No DigitalOcean account yet. Paste a personal access token to sell Droplets.</p>
              <DigitalOceanConnectForm first />
            </div>
          ) : adding ? (
            <div className="grid gap-3 rounded-md border p-3" data-testid="add-digitalocean-account-form">
              <p className="text-sm font-medium">Add a DigitalOcean account</p>
              <DigitalOceanConnectForm onDone={() => setAdding(false)} />
            </div>
          ) : (
            <div>
              <Button variant="outline" onClick={() => setAdding(true)} data-testid="add-digitalocean-account"><Plus /> Add DigitalOcean account</Button>
            </div>
          )}
        </>
      )}
    </li>
  );
}

/** What DigitalOcean does otherwise than Linode, said once under its accounts. */
function Differences({ notes }: { notes: string[] }) {
  if (notes.length === 0) return null;
  return (
    <div className="flex gap-3 rounded-md border bg-muted/30 p-3 text-sm" data-testid="digitalocean-notes">
      <Info className="mt-0.5 size-4 shrink-0 text-muted-foreground" />
      <ul className="grid list-disc gap-1 pl-4 text-muted-foreground">
        {notes.map((n) => <li key={n}>{n}</li>)}
      </ul>
    </div>
  );
}

export function DigitalOceanConnectForm({ first = false, onDone }: { first?: boolean; onDone?: () => void }) {
  const [label, setLabel] = React.useState("");
  const [token, setToken] = React.useState("");
  const [baseUrl, setBaseUrl] = React.useState("");
  const [advanced, setAdvanced] = React.useState(false);
  const form = useApiForm(FIELDS);
  const add = useAddDigitalOceanAccount();
  const toast = useToast();
  const ref = React.useRef<HTMLFormElement>(null);

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const errors = checkDigitalOceanForm(token, baseUrl, label);
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
          toast.success(`DigitalOcean account “${a.label}” connected`, "The token is kept in your system keyring, and the catalogue was imported.");
          onDone?.();
        },
        onError: (err) => {
          if (ApiError.from(err).fields.baseUrl) setAdvanced(true);
          form.fail(err, "Could not connect DigitalOcean");
          focusFirstError(ref.current);
        },
      },
    );
  };

  return (
    <form ref={ref} onSubmit={submit} noValidate className="grid gap-3" aria-label="Connect DigitalOcean">
      <Field name="label" label="Account label (optional)" error={form.errors.label} hint="Your name for this account. Empty: the team name, or the account's email.">
        {(p) => <Input {...p} value={label} onChange={(e) => { setLabel(e.target.value); form.clear("label"); }} placeholder="The team name or email" />}
      </Field>
      <Field
        name="token"
        label="Personal access token"
        error={form.errors.token}
        hint="Create one in the DigitalOcean control panel → API → Tokens → Generate New Token, with Full Access (a read-only token is refused). It is checked now and kept in your system keyring, never in the database."
      >
        {(p) => <Input {...p} type="password" autoComplete="off" spellCheck={false} value={token} onChange={(e) => { setToken(e.target.value); form.clear("token"); }} placeholder="dop_v1_…" />}
      </Field>
      {advanced ? (
        <Field name="baseUrl" label="API base URL (advanced)" error={form.errors.baseUrl} hint="Leave empty for DigitalOcean (https://api.digitalocean.com/v2). Set it to talk to a test double such as the fake DigitalOcean.">
          {(p) => <Input {...p} value={baseUrl} spellCheck={false} onChange={(e) => { setBaseUrl(e.target.value); form.clear("baseUrl"); }} placeholder="https://api.digitalocean.com/v2" />}
        </Field>
      ) : (
        <button type="button" className="justify-self-start text-xs text-muted-foreground underline-offset-4 hover:text-foreground hover:underline" onClick={() => setAdvanced(true)} data-testid="digitalocean-advanced">
          Advanced: API base URL
        </button>
      )}
      <div className="flex gap-2">
        <Button type="submit" disabled={add.isPending}>{add.isPending ? "Checking the token…" : "Connect DigitalOcean"}</Button>
        {!first && onDone && <Button type="button" variant="outline" onClick={onDone}>Cancel</Button>}
      </div>
    </form>
  );
}

function DigitalOceanAccount({ account }: { account: DigitalOceanAccountDto }) {
  const refresh = useRefreshAccountCatalogue();
  const test = useTestDigitalOceanAccount();
  const remove = useRemoveDigitalOceanAccount();
  const toast = useToast();
  const [confirming, setConfirming] = React.useState(false);
  const [replacing, setReplacing] = React.useState(false);
  const c = account.catalogue;
  return (
    <div className="grid gap-4 rounded-md border p-3 text-sm" data-testid="digitalocean-account" data-account-label={account.label}>
      <div className="flex flex-wrap items-center gap-2">
        <p className="font-medium">{account.label}</p>
        {!account.connected && <Badge tone="red">Token missing</Badge>}
        {account.status === "warning" && <Badge tone="amber">Account warning</Badge>}
        <span className="ml-auto text-muted-foreground">{account.servers === 1 ? "1 server" : `${account.servers} servers`}</span>
      </div>
      <dl className="grid gap-2">
        <Row label="Account"><span data-testid="digitalocean-email">{account.email ?? "—"}</span>{account.team && <span className="text-muted-foreground"> · team {account.team}</span>}</Row>
        <Row label="Status"><span data-testid="digitalocean-status">{statusText(account)}</span></Row>
        <Row label="Droplet limit"><span data-testid="droplet-limit">{account.dropletLimit ?? "—"}</span></Row>
        <Row label="Token">
          <span>Can create Droplets</span>
          {account.tokenCheckedAt && <span className="block text-xs text-muted-foreground">Checked {formatRelative(account.tokenCheckedAt)}</span>}
        </Row>
        {account.baseUrl && <Row label="API"><span className="font-mono text-xs break-all">{account.baseUrl}</span>{account.apiRootWarning && <Badge tone="amber" className="ml-2">Custom API root</Badge>}</Row>}
        <Row label="Connected">{formatDateTime(account.connectedAt)}</Row>
      </dl>
      <div className="grid gap-2 rounded-md border bg-muted/30 p-3" data-testid="digitalocean-catalogue">
        <p className="font-medium">Catalogue</p>
        <p className="text-muted-foreground" data-testid="digitalocean-catalogue-refreshed">
          {c.refreshedAt ? <>Refreshed {formatRelative(c.refreshedAt)} · {c.regions} regions, {c.types} sizes, {c.images} images</> : "Not imported yet"}
        </p>
        <p className="text-xs text-muted-foreground">Servers on this account use this copy; it refreshes by itself every 24 hours.</p>
        {c.lastError && <p className="text-xs text-destructive" role="alert">The last refresh failed: {c.lastError}. The previous catalogue stays in use.</p>}
      </div>
      <div className="flex flex-wrap gap-2">
        <Button
          variant="outline"
          size="sm"
          disabled={test.isPending}
          onClick={() => test.mutate(account.id, { onSuccess: (a) => toast.success(`“${a.label}” works`, statusText(a)), onError: (e) => toast.error("The token did not pass", ApiError.from(e).fields.token ?? ApiError.from(e).message) })}
        >
          <ShieldCheck /> {test.isPending ? "Testing…" : "Test"}
        </Button>
        <Button
          variant="outline"
          size="sm"
          disabled={refresh.isPending || !account.connected}
          data-testid="refresh-digitalocean-catalogue"
          onClick={() => refresh.mutate(account.id, { onSuccess: () => toast.success("Catalogue refreshed"), onError: (e) => toast.error("Could not refresh the catalogue", ApiError.from(e).message) })}
        >
          <RefreshCw className={refresh.isPending ? "animate-spin" : undefined} /> {refresh.isPending ? "Refreshing…" : "Refresh catalogue"}
        </Button>
        <Button variant="outline" size="sm" onClick={() => setReplacing((r) => !r)}><KeyRound /> Replace token</Button>
        <Button variant="outline" size="sm" onClick={() => setConfirming(true)} data-testid="remove-digitalocean-account"><Trash2 /> Remove</Button>
      </div>
      {replacing && <ReplaceDigitalOceanToken account={account} onDone={() => setReplacing(false)} />}
      <AlertDialog open={confirming} onOpenChange={setConfirming}>
        <AlertDialogContent>
          <AlertDialogTitle>Remove DigitalOcean account “{account.label}”?</AlertDialogTitle>
          <AlertDialogDescription>
            {account.servers > 0
              ? `${account.servers === 1 ? "1 server lives" : `${account.servers} servers live`} on this account: delete ${account.servers === 1 ? "it" : "them"} first. An account with servers cannot be removed.`
              : "Its token is deleted from your keyring and its catalogue forgotten. Nothing changes at DigitalOcean."}
          </AlertDialogDescription>
          <div className="flex flex-col-reverse gap-2 pt-2 sm:flex-row sm:justify-end">
            <Button variant="outline" data-autofocus onClick={() => setConfirming(false)}>Keep it</Button>
            <Button
              variant="destructive"
              disabled={remove.isPending}
              onClick={() =>
                remove.mutate(account.id, {
                  onSuccess: () => { setConfirming(false); toast.info(`DigitalOcean account “${account.label}” removed`); },
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

function ReplaceDigitalOceanToken({ account, onDone }: { account: DigitalOceanAccountDto; onDone: () => void }) {
  const [token, setToken] = React.useState("");
  const form = useApiForm(["newToken"]);
  const replace = useReplaceDigitalOceanToken();
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
        onSuccess: (a) => { setToken(""); toast.success(`New token for “${a.label}”`, statusText(a)); onDone(); },
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
      <Field name="newToken" label="New personal access token" error={form.errors.newToken} hint={`A token of the same DigitalOcean account${account.email ? ` (${account.email})` : ""}: its servers live there. The old token is replaced in your keyring.`}>
        {(p) => <Input {...p} type="password" autoComplete="off" spellCheck={false} value={token} onChange={(e) => { setToken(e.target.value); form.clear("newToken"); }} placeholder="dop_v1_…" />}
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
