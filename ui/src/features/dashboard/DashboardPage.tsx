import { Link } from "react-router";
import { Check, Server, Tags, Users, Wallet } from "lucide-react";
import type { ReactNode } from "react";
import type { Dashboard } from "@/api/client";
import { useDashboard } from "@/api/queries";
import { PageHeader } from "@/components/page-header";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { StatusBadge } from "@/components/status-badge";
import { QueryError } from "@/components/query-state";
import { ActivityList } from "@/features/activity/ActivityList";
import { formatCount } from "@/lib/format";
import { formatMoneyDto } from "@/lib/money";
import { STATUS_ORDER, statusInfo } from "@/lib/status";
import { cn } from "@/lib/utils";

const BAR: Record<string, string> = {
  green: "bg-emerald-500",
  amber: "bg-amber-500",
  red: "bg-red-500",
  grey: "bg-slate-400",
  muted: "bg-muted-foreground/30",
};

function Stat({ label, value, icon: Icon, to, testId }: { label: string; value: ReactNode; icon: typeof Users; to: string; testId: string }) {
  return (
    <Link to={to} className="group rounded-lg focus-visible:outline-2">
      <Card className="h-full transition-colors group-hover:border-primary/40">
        <CardContent className="flex items-start justify-between gap-3 pt-4">
          <div className="min-w-0">
            <p className="text-sm text-muted-foreground">{label}</p>
            <p
            className={`mt-1.5 truncate font-semibold tracking-tight tabular-nums ${typeof value === "string" && value.length > 9 ? "text-xl leading-8" : "text-2xl"}`}
            title={typeof value === "string" ? value : undefined}
            data-testid={testId}
          >
            {value}
          </p>
          </div>
          <div className="flex size-9 shrink-0 items-center justify-center rounded-md bg-primary/10 text-primary">
            <Icon className="size-4" aria-hidden="true" />
          </div>
        </CardContent>
      </Card>
    </Link>
  );
}

export function DashboardPage() {
  const q = useDashboard();
  return (
    <>
      <PageHeader title="Dashboard" description="Your customers, plans and servers at a glance" />
      {q.isError ? (
        <QueryError error={q.error} retry={() => q.refetch()} />
      ) : (
        <div className="grid gap-5">
          {q.data && (q.data.organizations === 0 || q.data.plans === 0 || q.data.serversByStatus.length === 0) && <GettingStarted d={q.data} />}
          <div className="grid grid-cols-2 gap-4 lg:grid-cols-4">
            {q.data ? (
              <>
                <Stat label="Customers" value={formatCount(q.data.organizations)} icon={Users} to="/customers" testId="stat-customers" />
                <Stat label="Plans" value={formatCount(q.data.plans)} icon={Tags} to="/plans" testId="stat-plans" />
                <Stat label="Live servers" value={formatCount(q.data.liveServers)} icon={Server} to="/servers" testId="stat-live-servers" />
                <Stat label="Monthly revenue" value={formatMoneyDto(q.data.monthlyRevenue)} icon={Wallet} to="/servers" testId="stat-revenue" />
              </>
            ) : (
              Array.from({ length: 4 }, (_, i) => <Skeleton key={i} className="h-[92px] rounded-lg" />)
            )}
          </div>
          <div className="grid gap-5 lg:grid-cols-5">
            <Card className="lg:col-span-2">
              <CardHeader>
                <CardTitle>Servers by status</CardTitle>
              </CardHeader>
              <CardContent>
                {!q.data ? (
                  <div className="grid gap-3">{Array.from({ length: 4 }, (_, i) => <Skeleton key={i} className="h-6" />)}</div>
                ) : q.data.serversByStatus.filter((s) => s.count > 0 && s.status !== "deleted").length === 0 ? (
                  <p className="py-6 text-center text-sm text-muted-foreground">
                    No servers yet. <Link to="/servers/new" className="font-medium text-primary hover:underline">Create the first one</Link>
                  </p>
                ) : (
                  <StatusBars counts={q.data.serversByStatus} />
                )}
              </CardContent>
            </Card>
            <Card className="lg:col-span-3">
              <CardHeader className="flex-row items-center justify-between">
                <CardTitle>Recent activity</CardTitle>
                <Link to="/activity" className="text-xs font-medium text-primary hover:underline">View all</Link>
              </CardHeader>
              <CardContent className="pb-2">
                {q.data ? (
                  <ActivityList items={q.data.recentActivity.slice(0, 8)} />
                ) : (
                  <div className="grid gap-3 pb-4">{Array.from({ length: 5 }, (_, i) => <Skeleton key={i} className="h-9" />)}</div>
                )}
              </CardContent>
            </Card>
          </div>
        </div>
      )}
    </>
  );
}

function StatusBars({ counts }: { counts: { status: string; count: number }[] }) {
  // Deleted servers are history, not part of the fleet.
  const rows = counts
    .filter((c) => c.count > 0 && c.status !== "deleted")
    .sort((a, b) => STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status));
  const max = Math.max(...rows.map((r) => r.count));
  return (
    <ul className="grid gap-3" data-testid="servers-by-status">
      {rows.map((r) => (
        <li key={r.status} className="grid grid-cols-[7.5rem_1fr_2.5rem] items-center gap-3">
          <StatusBadge status={r.status} testId={false} />
          <div className="h-2 overflow-hidden rounded-full bg-muted">
            <div className={cn("h-full rounded-full", BAR[statusInfo(r.status).tone])} style={{ width: `${Math.max(4, (r.count / max) * 100)}%` }} />
          </div>
          <span className="text-right text-sm font-medium tabular-nums">{formatCount(r.count)}</span>
        </li>
      ))}
    </ul>
  );
}

/** For a new installation: the three steps to a first server, ticked off as they are done. */
function GettingStarted({ d }: { d: Dashboard }) {
  const steps = [
    { done: d.organizations > 0, title: "Add a customer", text: "The organization you bill.", to: "/customers" },
    { done: d.plans > 0, title: "Create a plan", text: "A provider type, its regions and your price. The Sandbox provider needs no account.", to: "/plans" },
    { done: d.serversByStatus.some((s) => s.count > 0), title: "Create a server", text: "For the customer, from the plan.", to: "/servers/new" },
  ];
  return (
    <Card data-testid="getting-started">
      <CardHeader>
        <CardTitle>Getting started</CardTitle>
      </CardHeader>
      <CardContent>
        <ol className="grid gap-3 sm:grid-cols-3">
          {steps.map((s, i) => (
            <li key={s.title}>
              <Link to={s.to} className={cn("flex h-full gap-3 rounded-lg border p-3 transition-colors hover:border-primary/40 hover:bg-accent/40", s.done && "opacity-70")}>
                <span className={cn("flex size-6 shrink-0 items-center justify-center rounded-full border text-xs font-semibold", s.done ? "border-emerald-500 bg-emerald-500 text-white" : "text-muted-foreground")}>
                  {s.done ? <Check className="size-3.5" aria-label="Done" /> : i + 1}
                </span>
                <span className="min-w-0">
                  <span className={cn("block text-sm font-medium", s.done && "line-through decoration-muted-foreground/50")}>{s.title}</span>
                  <span className="block text-xs text-muted-foreground">{s.text}</span>
                </span>
              </Link>
            </li>
          ))}
        </ol>
      </CardContent>
    </Card>
  );
}
