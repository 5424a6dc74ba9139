import * as React from "react";
import { ExternalLink, Link2, RefreshCw, Unlink } from "lucide-react";
import type { PortalStatusDto } from "@/bindings";
import { QueryError } from "@/components/query-state";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import { formatDateTime, formatRelative } from "@/lib/format";
import { focusFirstError, useApiForm } from "@/lib/use-api-form";
import { usePairPortal, usePortalStatus, useSyncPortalNow, useUnpairPortal } from "./api";
import { CustomerRequests } from "./CustomerRequests";

const FIELDS = ["url", "code"] as const;

/** Checks the pairing form as the desktop will; the portal has the last word on the code. */
export function pairInputErrors(url: string, code: string): Record<string, string> {
  const e: Record<string, string> = {};
  const u = url.trim();
  if (!u) e.url = "Enter the portal's address, e.g. https://portal.example.com";
  else if (!/^https?:\/\/[^\s/@]+(\/\S*)?$/.test(u)) e.url = "Write an address like https://portal.example.com";
  if (!code.trim()) e.code = "Enter the pairing code the portal printed";
  return e;
}

function lag(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

export function PortalSection() {
  const q = usePortalStatus();
  if (q.isError) return <QueryError what="the portal's status" error={q.error} retry={() => q.refetch()} />;
  if (!q.data) return <Skeleton className="h-56" />;
  return <PortalCard status={q.data} />;
}

export function PortalCard({ status }: { status: PortalStatusDto }) {
  return (
    <Card data-testid="portal-settings">
      <CardHeader>
        <div className="flex flex-wrap items-center justify-between gap-2">
          <CardTitle>Customer portal</CardTitle>
          <StatusBadge status={status} />
        </div>
        <CardDescription>
          Your customers sign in to a hosted portal to see their servers, invoices and wallet. This desktop keeps it up to date; the sync token is kept in the system keyring.
        </CardDescription>
      </CardHeader>
      <CardContent>{status.paired ? <Paired status={status} /> : <PairForm />}</CardContent>
    </Card>
  );
}

function StatusBadge({ status }: { status: PortalStatusDto }) {
  if (!status.paired) return <Badge tone="grey">Not paired</Badge>;
  if (status.stopped) return <Badge tone="red" dot>Stopped</Badge>;
  if (status.lastError) return <Badge tone="amber" dot>Not connected</Badge>;
  if (status.connected) return <Badge tone="green" dot>Connected</Badge>;
  return <Badge tone="grey" dot>Connecting…</Badge>;
}

function PairForm() {
  const [url, setUrl] = React.useState("");
  const [code, setCode] = React.useState("");
  const form = useApiForm(FIELDS);
  const pair = usePairPortal();
  const toast = useToast();
  const formRef = React.useRef<HTMLFormElement>(null);
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (pair.isPending) return;
    const errors = pairInputErrors(url, code);
    if (Object.keys(errors).length) {
      form.setErrors(errors);
      focusFirstError(formRef.current);
      return;
    }
    pair.mutate(
      { url: url.trim(), code: code.trim() },
      {
        onSuccess: (s) => toast.success("Paired with the portal", `${s.tenantName ?? ""}: your customers' data is on its way`),
        onError: (err) => {
          form.fail(err, "Could not pair with the portal");
          focusFirstError(formRef.current);
        },
      },
    );
  };
  return (
    <form ref={formRef} onSubmit={submit} noValidate className="grid gap-4" aria-label="Pair with a portal">
      <div className="grid gap-4 sm:grid-cols-[1fr_14rem]">
        <Field name="url" label="Portal address" error={form.errors.url} hint="The address your customers will open">
          {(p) => <Input {...p} value={url} onChange={(e) => { setUrl(e.target.value); form.clear("url"); }} placeholder="https://portal.example.com" spellCheck={false} />}
        </Field>
        <Field name="code" label="Pairing code" error={form.errors.code} hint="Printed once by the portal">
          {(p) => <Input {...p} value={code} onChange={(e) => { setCode(e.target.value); form.clear("code"); }} autoComplete="off" spellCheck={false} className="font-mono text-xs" />}
        </Field>
      </div>
      <div className="flex justify-end">
        <Button type="submit" disabled={pair.isPending}><Link2 /> {pair.isPending ? "Pairing…" : "Pair"}</Button>
      </div>
    </form>
  );
}

function Paired({ status }: { status: PortalStatusDto }) {
  const sync = useSyncPortalNow();
  const unpair = useUnpairPortal();
  const toast = useToast();
  const [confirming, setConfirming] = React.useState(false);
  return (
    <div className="grid gap-4">
      <dl className="grid gap-x-6 gap-y-2 text-sm sm:grid-cols-[10rem_1fr]" data-testid="portal-status">
        <dt className="text-muted-foreground">Portal</dt>
        <dd className="break-all">{status.url} · {status.tenantName}</dd>
        <dt className="text-muted-foreground">Customers sign in at</dt>
        <dd className="break-all">
          <span className="inline-flex items-center gap-1 font-mono text-xs" data-testid="portal-customer-url">{status.customerUrl} <ExternalLink className="size-3" aria-hidden /></span>
        </dd>
        <dt className="text-muted-foreground">Waiting to be sent</dt>
        <dd data-testid="portal-waiting">{status.waiting === 0 ? "Nothing: the portal is up to date" : `${status.waiting} record${status.waiting === 1 ? "" : "s"}`}{status.lagSeconds != null && status.waiting > 0 ? ` (oldest ${lag(status.lagSeconds)})` : ""}</dd>
        <dt className="text-muted-foreground">Last successful push</dt>
        <dd data-testid="portal-last-push">{status.lastPushAt ? <span title={formatDateTime(status.lastPushAt)}>{formatRelative(status.lastPushAt)}</span> : "Not yet"}</dd>
      </dl>
      {status.lastError && (
        <p role="alert" data-testid="portal-error" className="rounded-md border border-destructive/40 bg-destructive/5 p-3 text-sm text-destructive">
          {status.stopped ? "The sync stopped: " : "The last push failed: "}
          {status.lastError}
        </p>
      )}
      <div className="flex flex-wrap justify-end gap-2">
        {confirming ? (
          <>
            <span className="self-center text-sm text-muted-foreground">Unpair? Customers keep what the portal has until its operator removes it.</span>
            <Button variant="outline" onClick={() => setConfirming(false)}>Cancel</Button>
            <Button
              variant="destructive"
              disabled={unpair.isPending}
              onClick={() => unpair.mutate(undefined, { onSuccess: () => toast.success("Unpaired from the portal"), onError: (e) => toast.error("Could not unpair", String(e)) })}
            >
              <Unlink /> Unpair
            </Button>
          </>
        ) : (
          <>
            <Button variant="outline" onClick={() => setConfirming(true)}><Unlink /> Unpair…</Button>
            <Button
              variant="outline"
              disabled={sync.isPending}
              onClick={() => sync.mutate(undefined, { onError: (e) => toast.error("Could not sync", String(e)) })}
            >
              <RefreshCw /> {status.stopped ? "Resume sync" : "Sync now"}
            </Button>
          </>
        )}
      </div>
      <CustomerRequests minutes={status.intentHoldMinutes} />
    </div>
  );
}
