import { Link, useLocation } from "react-router";
import { ChevronRight, FileText, Server, ShieldCheck, Wallet } from "lucide-react";
import { PageHeader } from "@/components/page-header";
import { QueryError } from "@/components/query-state";
import { Alert } from "@/components/ui/alert";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { WalletStateBadge, documentKindLabel } from "@/components/wallet-state";
import { cn } from "@/lib/utils";
import { useDashboard } from "../api/queries";
import type { Dashboard } from "../api/types";
import { useBrand, useDocumentTitle, useTenant } from "../branding";
import { DocumentStatusBadge, MoneyText, WalletStateNotice, formatDay } from "../components/bits";
import { useSignedIn } from "../layout/PortalShell";
import { canSee } from "../lib/roles";

export function DashboardPage() {
  useDocumentTitle("Dashboard");
  const session = useSignedIn();
  const tenant = useTenant();
  const brand = useBrand();
  const location = useLocation();
  const welcome = Boolean((location.state as { welcome?: boolean } | null)?.welcome);
  const q = useDashboard();
  const role = session.account.role;
  const firstName = session.account.name.trim().split(/\s+/)[0] || session.account.name;

  return (
    <>
      <PageHeader title={welcome ? `Welcome, ${firstName}` : `Hello, ${firstName}`} description={session.organization.name} />
      <div className="grid gap-5">
        {welcome && (
          <Alert tone="success" title="Your account is ready">
            You are signed in. From here you see everything {brand.name} runs for {session.organization.name}.
          </Alert>
        )}
        {!session.account.twoFactor && (
          <Alert tone="info" title="Protect your account with a second step" data-testid="two-factor-suggestion">
            <span>
              With two-factor authentication, signing in also needs a code from an app on your phone.{" "}
              <Link to={`/${tenant}/account/security`} className="font-medium text-primary hover:underline">
                Turn it on
              </Link>
            </span>
          </Alert>
        )}
        {q.isError ? (
          <QueryError error={q.error} retry={() => q.refetch()} />
        ) : !q.data ? (
          <div className="grid gap-5 md:grid-cols-2">
            <Skeleton className="h-44 rounded-lg" />
            <Skeleton className="h-44 rounded-lg" />
            <Skeleton className="h-56 rounded-lg md:col-span-2" />
          </div>
        ) : (
          <DashboardCards d={q.data} showServers={canSee(role, "servers")} showBilling={canSee(role, "billing")} />
        )}
      </div>
    </>
  );
}

function DashboardCards({ d, showServers, showBilling }: { d: Dashboard; showServers: boolean; showBilling: boolean }) {
  const tenant = useTenant();
  const brand = useBrand();
  return (
    <>
      {showBilling && d.wallet && d.wallet.state !== "good" && <WalletStateNotice wallet={d.wallet} brand={brand} />}
      <div className="grid gap-5 md:grid-cols-2">
        {showServers && d.servers && (
          <Card data-testid="dashboard-servers">
            <CardHeader className="flex-row items-center justify-between">
              <CardTitle className="flex items-center gap-2">
                <Server className="size-4 text-muted-foreground" aria-hidden="true" /> Servers
              </CardTitle>
              <ViewAll to={`/${tenant}/servers`} />
            </CardHeader>
            <CardContent>
              <p className="text-3xl font-semibold tracking-tight tabular-nums" data-testid="servers-total">{d.servers.total}</p>
              <p className="text-sm text-muted-foreground">{d.servers.total === 1 ? "server" : "servers"}</p>
              <dl className="mt-4 grid grid-cols-3 gap-2">
                <Count label="Running" value={d.servers.running} dot="bg-emerald-500" testId="servers-running" />
                <Count label="Stopped" value={d.servers.stopped} dot="bg-slate-400" testId="servers-stopped" />
                <Count label="Other" value={d.servers.other} dot="bg-amber-500" testId="servers-other" />
              </dl>
            </CardContent>
          </Card>
        )}
        {showBilling && (
          <Card data-testid="dashboard-wallet">
            <CardHeader className="flex-row items-center justify-between">
              <CardTitle className="flex items-center gap-2">
                <Wallet className="size-4 text-muted-foreground" aria-hidden="true" /> Wallet
              </CardTitle>
              <ViewAll to={`/${tenant}/wallet`} />
            </CardHeader>
            <CardContent>
              {d.wallet ? (
                <>
                  <MoneyText m={d.wallet.balance} className="text-3xl font-semibold tracking-tight" testId="wallet-balance" />
                  <p className="text-sm text-muted-foreground">balance</p>
                  <div className="mt-4 flex flex-wrap items-center gap-x-4 gap-y-2 text-sm">
                    <WalletStateBadge state={d.wallet.state} />
                    <span className="text-muted-foreground">
                      Warning under <MoneyText m={d.wallet.lowBalanceThreshold} signed={false} />
                    </span>
                  </div>
                </>
              ) : (
                <p className="py-6 text-sm text-muted-foreground">No wallet yet. It appears here once {brand.name} opens it.</p>
              )}
            </CardContent>
          </Card>
        )}
        {showBilling && (
          <Card className="md:col-span-2" data-testid="dashboard-documents">
            <CardHeader className="flex-row items-center justify-between">
              <CardTitle className="flex items-center gap-2">
                <FileText className="size-4 text-muted-foreground" aria-hidden="true" /> Recent documents
              </CardTitle>
              <ViewAll to={`/${tenant}/documents`} />
            </CardHeader>
            <CardContent className="pb-3">
              {d.recentDocuments.length === 0 ? (
                <p className="py-6 text-center text-sm text-muted-foreground">No invoices or receipts yet.</p>
              ) : (
                <ul className="-mx-2 divide-y">
                  {d.recentDocuments.map((doc) => (
                    <li key={doc.id}>
                      <Link
                        to={`/${tenant}/documents/${encodeURIComponent(doc.id)}`}
                        className="flex items-center gap-3 rounded-md px-2 py-2.5 hover:bg-muted/50"
                        data-row-id={doc.id}
                      >
                        <div className="min-w-0 flex-1">
                          <p className="truncate text-sm font-medium">{doc.number}</p>
                          <p className="text-xs text-muted-foreground">
                            {documentKindLabel(doc.kind)} · {formatDay(doc.issueDate)}
                          </p>
                        </div>
                        <div className="flex flex-col items-end gap-1 sm:flex-row sm:items-center sm:gap-3">
                          <MoneyText m={doc.total} className="text-sm font-medium" />
                          <DocumentStatusBadge status={doc.status} />
                        </div>
                        <ChevronRight className="size-4 shrink-0 text-muted-foreground" aria-hidden="true" />
                      </Link>
                    </li>
                  ))}
                </ul>
              )}
            </CardContent>
          </Card>
        )}
        {!showServers && !showBilling && (
          <Card className="md:col-span-2">
            <CardContent className="flex items-center gap-3 pt-5 text-sm text-muted-foreground">
              <ShieldCheck className="size-5" aria-hidden="true" />
              Your account has no access to servers or billing. Ask an administrator of your organization.
            </CardContent>
          </Card>
        )}
      </div>
    </>
  );
}

function Count({ label, value, dot, testId }: { label: string; value: number; dot: string; testId: string }) {
  return (
    <div className="rounded-md bg-muted/50 px-3 py-2">
      <dt className="flex items-center gap-1.5 text-xs text-muted-foreground">
        <span className={cn("size-1.5 rounded-full", dot)} aria-hidden="true" />
        {label}
      </dt>
      <dd className="text-lg font-semibold tabular-nums" data-testid={testId}>{value}</dd>
    </div>
  );
}

function ViewAll({ to }: { to: string }) {
  return (
    <Link to={to} className="text-xs font-medium text-primary hover:underline">
      View all
    </Link>
  );
}
