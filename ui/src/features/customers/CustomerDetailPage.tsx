import * as React from "react";
import { Link, useNavigate, useParams } from "react-router";
import { ArrowLeft, Pencil, Plus } from "lucide-react";
import { useOrganization } from "@/api/queries";
import { PageHeader } from "@/components/page-header";
import { QueryError } from "@/components/query-state";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { ActivityList } from "@/features/activity/ActivityList";
import { ServerTable } from "@/features/servers/ServersPage";
import { countryName, formatCount, formatDateTime } from "@/lib/format";
import { isLive } from "@/lib/status";
import { formatMoneyDto, sumMoney } from "@/lib/money";
import { WalletCard } from "@/features/billing/WalletCard";
import { PaymentsCard } from "@/features/payments/PaymentsCard";
import { InviteToPortalButton } from "@/features/portal/InviteButton";
import { CustomerDialog } from "./CustomerForm";
import { CountryCode } from "./CustomersPage";

export function CustomerDetailPage() {
  const { id = "" } = useParams();
  const q = useOrganization(id);
  const [editing, setEditing] = React.useState(false);
  const navigate = useNavigate();
  const back = (
    <Link to="/customers" className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground">
      <ArrowLeft className="size-3.5" /> Customers
    </Link>
  );
  if (q.isError) return <><PageHeader title="Customer" back={back} /><QueryError what="customer" error={q.error} retry={() => q.refetch()} /></>;
  if (!q.data) {
    return (
      <>
        <PageHeader title={<Skeleton className="h-8 w-64" />} back={back} />
        <div className="grid gap-5 lg:grid-cols-3"><Skeleton className="h-48" /><Skeleton className="h-48 lg:col-span-2" /></div>
      </>
    );
  }
  const { organization: o, servers, activity, eInvoiceGaps } = q.data;
  const address = [...o.addressLines.split("\n"), [o.postalCode, o.city].filter(Boolean).join(" ")].filter(Boolean);
  const liveServers = servers.filter(isLive);
  // What this customer's servers cost a month at their plans' prices (failed builds are not billed).
  const monthly = sumMoney(liveServers.filter((s) => s.status !== "failed").map((s) => s.monthly));
  return (
    <>
      <PageHeader
        title={o.name}
        description={`Customer since ${formatDateTime(o.createdAt)}`}
        back={back}
        actions={
          <>
            <Button variant="outline" onClick={() => setEditing(true)}><Pencil /> Edit</Button>
            <InviteToPortalButton organizationId={o.id} contactEmail={o.contactEmail} />
            <Button onClick={() => navigate(`/servers/new?organizationId=${encodeURIComponent(o.id)}`)}><Plus /> New server</Button>
          </>
        }
      />
      <div className="grid gap-5">
        {eInvoiceGaps.length > 0 && (
          <Alert tone="warning" title="E-invoices (UBL) to this customer cannot be produced until:" data-testid="customer-e-invoice-gaps">
            <ul className="list-disc space-y-0.5 pl-4">
              {eInvoiceGaps.map((g) => <li key={g}>{g}</li>)}
            </ul>
          </Alert>
        )}
        <Card>
          <CardHeader><CardTitle>Details</CardTitle></CardHeader>
          <CardContent>
            <dl className="grid gap-x-8 gap-y-3 text-sm sm:grid-cols-2 lg:grid-cols-3">
              <Row label="Contact">{o.contactName}</Row>
              <Row label="Email"><a href={`mailto:${o.contactEmail}`} className="break-words text-primary hover:underline">{o.contactEmail}</a></Row>
              <Row label="Country">{countryName(o.country)} <CountryCode code={o.country} /></Row>
              <Row label="Tax id">{o.taxId ?? <span className="text-muted-foreground">—</span>}</Row>
              <Row label="Address">{address.length ? address.map((l) => <span key={l} className="block">{l}</span>) : <span className="text-muted-foreground">—</span>}</Row>
              <Row label="Peppol id"><span className="font-mono" data-testid="customer-peppol-id">{o.peppolId || <span className="font-sans text-muted-foreground">—</span>}</span></Row>
              <Row label="Live servers"><span className="tabular-nums">{o.liveServers}</span></Row>
              <Row label="Monthly"><span className="tabular-nums" data-testid="customer-monthly">{monthly ? formatMoneyDto(monthly) : "—"}</span></Row>
              <Row label="Updated">{formatDateTime(o.updatedAt)}</Row>
            </dl>
          </CardContent>
        </Card>
        <WalletCard organizationId={o.id} />
        <PaymentsCard organizationId={o.id} organizationName={o.name} contactEmail={o.contactEmail} />
        <div className="grid gap-5">
          <section aria-labelledby="org-servers">
            <h2 id="org-servers" className="mb-3 text-sm font-semibold">Servers <span className="font-normal text-muted-foreground">({formatCount(liveServers.length)})</span></h2>
            <ServerTable servers={servers} hideCustomer emptyText="This customer has no servers yet" />
          </section>
          <Card>
            <CardHeader><CardTitle>Activity</CardTitle></CardHeader>
            <CardContent className="pb-2"><ActivityList items={activity} empty="No activity for this customer yet" /></CardContent>
          </Card>
        </div>
      </div>
      <CustomerDialog open={editing} onOpenChange={setEditing} customer={o} />
    </>
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
