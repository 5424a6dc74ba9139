import * as React from "react";
import { Link, useParams } from "react-router";
import { ArrowLeft, CheckCircle2, Clock, Plus, RefreshCw } from "lucide-react";
import { ApiError } from "@/api/client";
import { PageHeader } from "@/components/page-header";
import { QueryError } from "@/components/query-state";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Skeleton } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import { formatDateTime } from "@/lib/format";
import { formatMoneyDto } from "@/lib/money";
import { useApplyPriceChanges, usePlanPricing, type ItemPricingDto, type PendingPriceChangesDto, type PlanPricingDto, type PriceRuleDto, type UnitPriceDto } from "./api";
import { PriceVersionForm } from "./PriceVersionForm";
import type { PriceFormValues } from "./price-form";

export function pendingLabel(n: number): string {
  return n === 1 ? "1 server has a pending change" : `${n} servers have a pending change`;
}

export function ruleLabel(r: PriceRuleDto | null | undefined): string {
  if (!r) return "Plan price";
  if (r.mode === "markup") {
    const p = r.markupPercent ?? "0";
    return `${p.startsWith("-") ? "" : "+"}${p} % markup`;
  }
  return r.price ? `Fixed ${formatMoneyDto(r.price.monthly)}/mo` : "Fixed";
}

function Price({ p }: { p: UnitPriceDto | null | undefined }) {
  if (!p) return <span className="text-muted-foreground">—</span>;
  return (
    <span className="tabular-nums">
      {formatMoneyDto(p.monthly)}/mo
      <span className="block text-xs text-muted-foreground">{formatMoneyDto(p.hourly, { maxFraction: 6 })}/h</span>
    </span>
  );
}

const SCOPE: Record<string, string> = { region: "this region", default: "all regions", plan: "the plan's own price", none: "" };

function ItemTable({ item, onAdd }: { item: ItemPricingDto; onAdd: () => void }) {
  return (
    <Card data-testid={`price-table-${item.item}`}>
      <CardHeader className="flex-row items-center justify-between">
        <div className="grid gap-1">
          <CardTitle>{item.label}</CardTitle>
          <CardDescription>
            {item.item === "server" ? "The server itself, billed hourly up to the monthly cap" : item.item === "backups" ? "Provider backups, an add-on switched on per server" : "An extra IPv4 address, an add-on (billing only: the provider's catalogue has no price for it)"}
          </CardDescription>
        </div>
        <Button variant="outline" size="sm" onClick={onAdd} data-testid={`add-price-${item.item}`}><Plus /> New price</Button>
      </CardHeader>
      <CardContent>
        <div className="overflow-x-auto">
          <table className="w-full text-sm">
            <thead className="text-xs text-muted-foreground">
              <tr className="border-b">
                <th className="py-2 pr-3 text-left font-medium">Region</th>
                <th className="px-3 py-2 text-right font-medium">Provider price</th>
                <th className="px-3 py-2 text-left font-medium">Your rule</th>
                <th className="py-2 pl-3 text-right font-medium">Customer pays</th>
              </tr>
            </thead>
            <tbody>
              {item.regions.map((r) => (
                <tr key={r.region} data-region={r.region} className="border-b align-top last:border-0">
                  <td className="py-2.5 pr-3 font-mono text-xs">{r.region}</td>
                  <td className="px-3 py-2.5 text-right"><Price p={r.providerPrice} /></td>
                  <td className="px-3 py-2.5" data-testid="rule">
                    {r.ruleScope === "none" ? <span className="text-muted-foreground">No price yet</span> : (
                      <>
                        <span className="font-medium">{ruleLabel(r.rule)}</span>
                        <span className="block text-xs text-muted-foreground">{SCOPE[r.ruleScope]}</span>
                      </>
                    )}
                  </td>
                  <td className="py-2.5 pl-3 text-right font-medium" data-testid="customer-price">
                    {r.customerPrice ? <Price p={r.customerPrice} /> : <span className="text-xs font-normal text-amber-700 dark:text-amber-300">{r.problem ?? "Not priced"}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </CardContent>
    </Card>
  );
}

/** The running servers whose billed price differs from the current one, and the button that moves them. */
export function PendingChanges({ planId, pending }: { planId: string | null; pending: PendingPriceChangesDto }) {
  const apply = useApplyPriceChanges(planId);
  const toast = useToast();
  const [confirming, setConfirming] = React.useState(false);
  if (pending.servers === 0) {
    return (
      <div className="flex items-center gap-2 rounded-lg border bg-card px-4 py-3 text-sm text-muted-foreground" data-testid="pending-price-changes" data-count="0">
        <CheckCircle2 className="size-4 text-emerald-600" /> Every running server is billed at the current price.
      </div>
    );
  }
  const from = pending.changes[0]?.from;
  const run = () =>
    apply.mutate(undefined, {
      onSuccess: (r) => {
        setConfirming(false);
        toast.success("New prices applied", `${r.servers} server${r.servers === 1 ? "" : "s"} billed at the new price from ${formatDateTime(r.from)}`);
      },
      onError: (e) => toast.error("Could not apply the prices", ApiError.from(e).message),
    });
  return (
    <Card className="border-amber-300 dark:border-amber-500/40" data-testid="pending-price-changes" data-count={pending.servers}>
      <CardHeader className="flex-row flex-wrap items-center justify-between gap-3">
        <div className="grid gap-1">
          <CardTitle className="flex items-center gap-2"><Clock className="size-4 text-amber-600" />{pendingLabel(pending.servers)}</CardTitle>
          <CardDescription>Running servers keep the price they were billed at until you apply the change; it then takes effect from the next full hour{from ? ` (${formatDateTime(from)})` : ""}. Hours already billed keep their price.</CardDescription>
        </div>
        {confirming ? (
          <div className="flex items-center gap-2">
            <Button variant="outline" size="sm" onClick={() => setConfirming(false)}>Cancel</Button>
            <Button size="sm" onClick={run} disabled={apply.isPending} data-testid="confirm-apply-price-changes">{apply.isPending ? "Applying…" : `Apply to ${pending.servers} server${pending.servers === 1 ? "" : "s"}`}</Button>
          </div>
        ) : (
          <Button size="sm" onClick={() => setConfirming(true)} data-testid="apply-price-changes"><RefreshCw /> Apply to running servers</Button>
        )}
      </CardHeader>
      <CardContent>
        <div className="overflow-x-auto">
          <table className="w-full text-sm" data-testid="pending-changes-table">
            <thead className="text-xs text-muted-foreground">
              <tr className="border-b"><th className="py-2 pr-3 text-left font-medium">Server</th><th className="px-3 py-2 text-left font-medium">Customer</th><th className="px-3 py-2 text-left font-medium">Item</th><th className="px-3 py-2 text-right font-medium">Billed now</th><th className="py-2 pl-3 text-right font-medium">New price</th></tr>
            </thead>
            <tbody>
              {pending.changes.map((c) => (
                <tr key={`${c.serverId}-${c.item}`} className="border-b align-top last:border-0">
                  <td className="py-2 pr-3"><Link className="font-medium hover:underline" to={`/servers/${c.serverId}`}>{c.serverLabel}</Link></td>
                  <td className="px-3 py-2">{c.organizationName}</td>
                  <td className="px-3 py-2 capitalize">{c.item === "ipv4" ? "Extra IPv4" : c.item}</td>
                  <td className="px-3 py-2 text-right"><Price p={c.billed} /></td>
                  <td className="py-2 pl-3 text-right font-medium"><Price p={c.current} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </CardContent>
    </Card>
  );
}

const STATUS_TONE: Record<string, "green" | "blue" | "muted"> = { active: "green", scheduled: "blue", superseded: "muted" };

function Versions({ pricing }: { pricing: PlanPricingDto }) {
  return (
    <Card>
      <CardHeader>
        <CardTitle>Price history</CardTitle>
        <CardDescription>Every version is kept; a change is a new version with the time it takes effect.</CardDescription>
      </CardHeader>
      <CardContent>
        {pricing.versions.length === 0 ? (
          <p className="text-sm text-muted-foreground" data-testid="price-versions-empty">No price versions yet: servers are billed at the plan's own price. Add a markup or a fixed price above.</p>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-sm" data-testid="price-versions">
              <thead className="text-xs text-muted-foreground">
                <tr className="border-b"><th className="py-2 pr-3 text-left font-medium">Effective</th><th className="px-3 py-2 text-left font-medium">Item</th><th className="px-3 py-2 text-left font-medium">Region</th><th className="px-3 py-2 text-left font-medium">Rule</th><th className="px-3 py-2 text-left font-medium">Status</th><th className="py-2 pl-3 text-left font-medium">By</th></tr>
              </thead>
              <tbody>
                {pricing.versions.map((v) => (
                  <tr key={v.id} data-version-id={v.id} data-status={v.status} className="border-b last:border-0">
                    <td className="py-2 pr-3 tabular-nums">{formatDateTime(v.effectiveFrom)}</td>
                    <td className="px-3 py-2">{pricing.items.find((i) => i.item === v.item)?.label ?? v.item}</td>
                    <td className="px-3 py-2">{v.region ? <span className="font-mono text-xs">{v.region}</span> : "All regions"}</td>
                    <td className="px-3 py-2">{ruleLabel(v.rule)}</td>
                    <td className="px-3 py-2"><Badge tone={STATUS_TONE[v.status] ?? "grey"}>{v.status}</Badge></td>
                    <td className="py-2 pl-3 text-xs text-muted-foreground">{v.createdBy}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </CardContent>
    </Card>
  );
}

export function PlanPricingPage() {
  const { id = "" } = useParams();
  const q = usePlanPricing(id);
  const [adding, setAdding] = React.useState<PriceFormValues["item"] | null>(null);
  const back = <Link to="/plans" className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground"><ArrowLeft className="size-4" /> Plans</Link>;
  if (q.isError) return <><PageHeader title="Prices" back={back} /><QueryError what="plan" error={q.error} retry={() => q.refetch()} /></>;
  if (q.isPending) {
    return (
      <>
        <PageHeader title={<Skeleton className="h-8 w-56" />} back={back} />
        <div className="grid gap-5"><Skeleton className="h-16" /><Skeleton className="h-48" /><Skeleton className="h-48" /></div>
      </>
    );
  }
  const p = q.data;
  return (
    <>
      <PageHeader
        back={back}
        title={`Prices · ${p.planName}`}
        description={<><span className="capitalize">{p.provider}</span> · <span className="font-mono text-xs">{p.providerType}</span> · prices in {p.currency}</>}
        actions={<Button onClick={() => setAdding("server")} data-testid="new-price-version"><Plus /> New price version</Button>}
      />
      <div className="grid gap-5">
        {p.providerNote && <p className="rounded-md border border-amber-300 bg-amber-50 px-4 py-2 text-sm text-amber-900 dark:border-amber-500/40 dark:bg-amber-500/10 dark:text-amber-200">{p.providerNote}</p>}
        <PendingChanges planId={p.planId} pending={p.pending} />
        {p.items.map((i) => <ItemTable key={i.item} item={i} onAdd={() => setAdding(i.item as PriceFormValues["item"])} />)}
        <Versions pricing={p} />
      </div>
      <Dialog open={adding !== null} onOpenChange={(o) => !o && setAdding(null)}>
        <DialogContent wide>
          <DialogHeader>
            <DialogTitle>New price version</DialogTitle>
            <DialogDescription>New servers get it from the time it takes effect; running servers keep their price until you apply the change.</DialogDescription>
          </DialogHeader>
          {adding && <PriceVersionForm key={adding} pricing={p} initialItem={adding} onDone={() => setAdding(null)} onCancel={() => setAdding(null)} />}
        </DialogContent>
      </Dialog>
    </>
  );
}
