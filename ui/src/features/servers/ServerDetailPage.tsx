import * as React from "react";
import { Link, useParams } from "react-router";
import { ArrowLeft, Check, Copy, Play, Power, RotateCw, Trash2 } from "lucide-react";
import { ApiError, type ActivityDto, type ServerAction, type ServerDto } from "@/api/client";
import type { ProviderCapabilitiesDto } from "@/bindings";
import { useCatalogue, useServer, useServerAction, useServerStats } from "@/api/queries";
import { PageHeader } from "@/components/page-header";
import { QueryError } from "@/components/query-state";
import { StatusBadge } from "@/components/status-badge";
import { LineChart } from "@/components/line-chart";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { ServerAddonsCard } from "@/features/plans/pricing/ServerAddonsCard";
import { AlertDialog, AlertDialogContent, AlertDialogDescription, AlertDialogTitle } from "@/components/ui/dialog";
import { Skeleton } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import { ActivityList } from "@/features/activity/ActivityList";
import { formatBits, formatDateTime } from "@/lib/format";
import { formatMoneyDto } from "@/lib/money";
import { allowedActions, statusInfo } from "@/lib/status";
import { providerName, ServerTabs } from "./ServerTabs";

const ACTION_TEXT: Record<ServerAction | "delete", { done: string; fail: string }> = {
  boot: { done: "Booting", fail: "Could not boot" },
  reboot: { done: "Rebooting", fail: "Could not reboot" },
  shutdown: { done: "Shutting down", fail: "Could not shut down" },
  delete: { done: "Deleting", fail: "Could not delete" },
};

export function ServerDetailPage() {
  const { id = "" } = useParams();
  const q = useServer(id);
  const back = (
    <Link to="/servers" className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground">
      <ArrowLeft className="size-3.5" /> Servers
    </Link>
  );
  if (q.isError) return <><PageHeader title="Server" back={back} /><QueryError what="server" error={q.error} retry={() => q.refetch()} /></>;
  if (!q.data) {
    return (
      <>
        <PageHeader title={<Skeleton className="h-8 w-56" />} back={back} />
        <div className="grid gap-5 lg:grid-cols-3"><Skeleton className="h-56" /><Skeleton className="h-56 lg:col-span-2" /></div>
      </>
    );
  }
  const { server: s, activity, capabilities } = q.data;
  return <ServerView server={s} activity={activity} capabilities={capabilities} back={back} />;
}

function ServerView({ server: s, activity, capabilities, back }: { server: ServerDto; activity: ActivityDto[]; capabilities: ProviderCapabilitiesDto; back: React.ReactNode }) {
  // Labels for the region and image ids, when the provider's catalogue is at hand.
  const catalogue = useCatalogue(s.provider);
  const region = catalogue.data?.regions.find((r) => r.id === s.region);
  const image = catalogue.data?.images.find((i) => i.id === s.image);
  return (
    <>
      <PageHeader
        back={back}
        title={<span className="inline-flex items-center gap-3">{s.label}<StatusBadge status={s.status} /></span>}
        description={<>For <Link to={`/customers/${s.organizationId}`} className="font-medium text-foreground hover:underline">{s.organizationName}</Link> · {s.planName} · {s.region}</>}
        actions={<PowerActions server={s} />}
      />
      <StatusNote server={s} />
      <div className="grid gap-5 lg:grid-cols-3">
        <div className="grid content-start gap-5">
          <Card>
            <CardHeader><CardTitle>Overview</CardTitle></CardHeader>
            <CardContent>
              <dl className="grid gap-3 text-sm">
                <Row label="Status">{statusInfo(s.status).label}</Row>
                <Row label="Plan">{s.planName}</Row>
                <Row label="Price"><span className="tabular-nums">{formatMoneyDto(s.monthly)}/mo</span><span className="block text-xs text-muted-foreground tabular-nums">{formatMoneyDto(s.hourly)} per hour</span></Row>
                <Row label="Region">{region ? <>{region.label} <span className="font-mono text-xs text-muted-foreground">{s.region}</span></> : <span className="font-mono text-xs">{s.region}</span>}</Row>
                <Row label="Image">{image ? image.label : <span className="font-mono text-xs break-all">{s.image}</span>}</Row>
                <Row label="Provider"><span>{s.provider === "sandbox" ? "Sandbox" : providerName(s.provider)}</span> <span className="font-mono text-xs text-muted-foreground">{s.providerType}</span></Row>
                {s.accountLabel && <Row label="Account"><span data-testid="server-account">{s.accountLabel}</span></Row>}
                <Row label="Provider id">{s.providerId ? <span className="font-mono text-xs">{s.providerId}</span> : <span className="text-muted-foreground">not yet assigned</span>}</Row>
                <Row label="Created">{formatDateTime(s.createdAt)}</Row>
                {s.deletedAt && <Row label="Deleted">{formatDateTime(s.deletedAt)}</Row>}
              </dl>
            </CardContent>
          </Card>
          <Card>
            <CardHeader><CardTitle>Network</CardTitle></CardHeader>
            <CardContent>
              <dl className="grid gap-3 text-sm">
                <Row label="IPv4"><Address value={s.ipv4} /></Row>
                <Row label="IPv6"><Address value={s.ipv6} /></Row>
              </dl>
            </CardContent>
          </Card>
          <ServerAddonsCard serverId={s.id} gone={Boolean(s.deletedAt) || s.status === "deleting" || s.status === "deleted"} />
        </div>
        <div className="grid content-start gap-5 lg:col-span-2">
          <Stats server={s} />
          <ServerTabs server={s} capabilities={capabilities} />
          <Card>
            <CardHeader><CardTitle>Activity</CardTitle></CardHeader>
            <CardContent className="pb-2"><ActivityList items={activity} empty="No activity for this server yet" /></CardContent>
          </Card>
        </div>
      </div>
    </>
  );
}

function PowerActions({ server }: { server: ServerDto }) {
  const action = useServerAction();
  const toast = useToast();
  const [confirming, setConfirming] = React.useState(false);
  const allowed = allowedActions(server.status);
  const busy = action.isPending;

  const run = (a: ServerAction | "delete") =>
    action.mutate(
      { id: server.id, action: a },
      {
        onSuccess: (s) => {
          setConfirming(false);
          // Power actions show in the status badge at once; only deletion, which
          // cannot be undone, is confirmed in words too.
          if (a === "delete") toast.info(`${ACTION_TEXT[a].done} ${s.label}`);
        },
        onError: (err) => {
          setConfirming(false);
          const e = ApiError.from(err);
          toast.error(`${ACTION_TEXT[a].fail} ${server.label}`, e.message);
        },
      },
    );

  if (server.status === "deleted") return null;
  return (
    <>
      <div className="flex flex-wrap gap-2" role="group" aria-label="Power actions">
        <Button variant="outline" disabled={busy || !allowed.boot} onClick={() => run("boot")}><Play /> Boot</Button>
        <Button variant="outline" disabled={busy || !allowed.reboot} onClick={() => run("reboot")}><RotateCw /> Reboot</Button>
        <Button variant="outline" disabled={busy || !allowed.shutdown} onClick={() => run("shutdown")}><Power /> Shut down</Button>
        <Button variant="destructive" disabled={busy || !allowed.delete} onClick={() => setConfirming(true)}><Trash2 /> Delete</Button>
      </div>
      <AlertDialog open={confirming} onOpenChange={setConfirming}>
        <AlertDialogContent>
          <AlertDialogTitle>Delete {server.label}?</AlertDialogTitle>
          <AlertDialogDescription>
            <div className="grid gap-2">
              <p>
                The server of <span className="font-medium text-foreground">{server.organizationName}</span> is destroyed at the provider with its disks. This cannot be undone.
              </p>
              <p>Billing stops at the current hour; the server stays in the history as deleted.</p>
            </div>
          </AlertDialogDescription>
          <div className="flex flex-col-reverse gap-2 pt-2 sm:flex-row sm:justify-end">
            <Button variant="outline" data-autofocus onClick={() => setConfirming(false)}>Keep server</Button>
            <Button variant="destructive" disabled={busy} onClick={() => run("delete")}>Delete server</Button>
          </div>
        </AlertDialogContent>
      </AlertDialog>
    </>
  );
}

function Stats({ server }: { server: ServerDto }) {
  // Metrics exist only for an instance the provider has built and still has.
  const measurable = Boolean(server.providerId) && !["provisioning", "failed", "deleting", "deleted"].includes(server.status);
  const stats = useServerStats(server.id, measurable);
  if (!measurable) {
    const why =
      server.status === "failed" ? "The provider could not build this server, so there is nothing to measure."
      : server.status === "deleted" || server.status === "deleting" ? "No usage graphs for a deleted server."
      : "CPU and network graphs appear once the provider has built the server.";
    return (
      <Card><CardHeader><CardTitle>Usage</CardTitle><CardDescription>{why}</CardDescription></CardHeader></Card>
    );
  }
  const d = stats.data;
  return (
    <>
      <Card>
        <CardHeader className="flex-row items-baseline justify-between">
          <CardTitle>CPU</CardTitle>
          <CardDescription>Last 24 hours</CardDescription>
        </CardHeader>
        <CardContent>
          {stats.isError ? <p className="text-sm text-muted-foreground">{ApiError.from(stats.error).message}</p> : !d ? <Skeleton className="h-44" /> : (
            <LineChart ariaLabel="CPU usage in percent" fixedMax={100} formatValue={(v) => `${Math.round(v)} %`} series={[{ label: "CPU", points: d.cpuPercent, className: "stroke-primary", fillClassName: "fill-primary/10", swatchClassName: "bg-primary" }]} />
          )}
        </CardContent>
      </Card>
      <Card>
        <CardHeader className="flex-row items-baseline justify-between">
          <CardTitle>Network</CardTitle>
          <CardDescription className="tabular-nums">{d && d.transferUsedGb != null ? `${d.transferUsedGb} of ${d.transferQuotaGb} GB transfer used this month` : "Last 24 hours"}</CardDescription>
        </CardHeader>
        <CardContent>
          {stats.isError ? <p className="text-sm text-muted-foreground">{ApiError.from(stats.error).message}</p> : !d ? <Skeleton className="h-44" /> : (
            <LineChart
              ariaLabel="Network traffic in and out"
              formatValue={formatBits}
              series={[
                { label: "In", points: d.networkInBitsPerS, className: "stroke-emerald-500", fillClassName: "fill-emerald-500/10", swatchClassName: "bg-emerald-500" },
                { label: "Out", points: d.networkOutBitsPerS, className: "stroke-sky-500", swatchClassName: "bg-sky-500" },
              ]}
            />
          )}
        </CardContent>
      </Card>
    </>
  );
}

function Address({ value }: { value: string | null }) {
  const [copied, setCopied] = React.useState(false);
  if (!value) return <span className="text-muted-foreground">not assigned yet</span>;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
      window.setTimeout(() => setCopied(false), 1500);
    } catch {
      /* clipboard unavailable: the address is selectable */
    }
  };
  return (
    <span className="inline-flex max-w-full items-center gap-1">
      <span className="font-mono text-xs break-all select-all">{value}</span>
      <button type="button" onClick={copy} className="rounded p-1 text-muted-foreground hover:bg-accent hover:text-foreground" aria-label={`Copy ${value}`}>
        {copied ? <Check className="size-3.5" /> : <Copy className="size-3.5" />}
      </button>
    </span>
  );
}

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid grid-cols-[6.5rem_1fr] gap-2">
      <dt className="text-muted-foreground">{label}</dt>
      <dd className="min-w-0">{children}</dd>
    </div>
  );
}

/** What a status that needs the reseller's attention means, and what to do about it. */
function StatusNote({ server }: { server: ServerDto }) {
  const note =
    server.status === "suspended"
      ? { tone: "red", text: "Suspended for an unpaid balance: the server is powered off. Record a payment for the customer to release it." }
      : server.status === "failed"
        ? { tone: "red", text: "The provider could not build this server. The activity below says why; delete it and create it again, or try another region." }
        : server.status === "deleted"
          ? { tone: "grey", text: "This server was deleted. It stays here for the activity log and billing history." }
          : null;
  if (!note) return null;
  return (
    <div
      role="note"
      className={
        note.tone === "red"
          ? "mb-5 rounded-lg border border-red-600/25 bg-red-50 px-4 py-3 text-sm text-red-800 dark:border-red-400/25 dark:bg-red-500/10 dark:text-red-200"
          : "mb-5 rounded-lg border bg-muted/50 px-4 py-3 text-sm text-muted-foreground"
      }
    >
      {note.text}
    </div>
  );
}
