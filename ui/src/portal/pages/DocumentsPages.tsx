import { Link, useNavigate, useParams } from "react-router";
import type { Column } from "@/lib/table";
import { ArrowLeft, Download, FileCode2, FileText } from "lucide-react";
import { PageHeader } from "@/components/page-header";
import { QueryError } from "@/components/query-state";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { Skeleton, TableSkeleton } from "@/components/ui/skeleton";
import { documentKindLabel } from "@/components/wallet-state";
import { portalApi } from "../api/client";
import { useDocument, useDocuments } from "../api/queries";
import type { Document, DocumentLine, DocumentSummary } from "../api/types";
import { decimalToString, formatMoney } from "@/lib/money";
import { useBrand, useDocumentTitle, useTenant } from "../branding";
import { DocumentStatusBadge, MoneyText, formatDay, formatPeriod } from "../components/bits";

function documentColumns(tenant: string): Column<DocumentSummary>[] {
  return [
    {
      accessorKey: "number",
      header: "Number",
      enableSorting: false,
      meta: { primary: true },
      cell: ({ row }) => (
        <Link to={`/${tenant}/documents/${encodeURIComponent(row.original.id)}`} className="font-medium hover:underline">
          {row.original.number}
        </Link>
      ),
    },
    { accessorKey: "kind", header: "Kind", enableSorting: false, cell: ({ row }) => documentKindLabel(row.original.kind) },
    { accessorKey: "issueDate", header: "Issued", enableSorting: false, cell: ({ row }) => formatDay(row.original.issueDate) },
    {
      id: "period",
      header: "Period",
      enableSorting: false,
      cell: ({ row }) => formatPeriod(row.original.period) || <span className="text-muted-foreground">—</span>,
    },
    {
      id: "total",
      header: "Total",
      enableSorting: false,
      meta: { align: "right" },
      cell: ({ row }) => <MoneyText m={row.original.total} />,
    },
    { accessorKey: "status", header: "Status", enableSorting: false, cell: ({ row }) => <DocumentStatusBadge status={row.original.status} /> },
    {
      id: "download",
      header: "PDF",
      enableSorting: false,
      meta: { align: "right", label: "Download" },
      cell: ({ row }) => (
        <a
          href={portalApi.documentPdfUrl(row.original.id)}
          download
          className="inline-flex items-center gap-1 rounded px-1.5 py-1 text-xs font-medium text-primary hover:bg-accent"
          aria-label={`Download ${row.original.number} as PDF`}
        >
          <Download className="size-3.5" aria-hidden="true" /> PDF
        </a>
      ),
    },
  ];
}

export function DocumentsPage() {
  useDocumentTitle("Documents");
  const tenant = useTenant();
  const brand = useBrand();
  const navigate = useNavigate();
  const q = useDocuments();
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader title="Documents" description="Your invoices, receipts and credit notes, newest first" />
      {q.isError && !q.data ? (
        <QueryError error={q.error} retry={() => q.refetch()} what="list" home={{ to: `/${tenant}/`, label: "Go to the dashboard" }} />
      ) : !q.data ? (
        <TableSkeleton rows={5} columns={6} />
      ) : items.length === 0 ? (
        <EmptyState
          icon={<FileText />}
          title="No documents yet"
          description={`Invoices, receipts and credit notes from ${brand.name} appear here as soon as they are issued.`}
        />
      ) : (
        <div className="grid gap-4">
          <DataTable
            testId="documents-table"
            data={items}
            columns={documentColumns(tenant)}
            getRowId={(d) => d.id}
            onRowClick={(d) => navigate(`/${tenant}/documents/${encodeURIComponent(d.id)}`)}
            search={false}
            stackOnPhone
          />
          <MoreButton q={q} noun="documents" />
        </div>
      )}
    </>
  );
}

/** "Show older …" under a list loaded page by page, and the error of the last page if it failed. */
export function MoreButton({
  q,
  noun,
}: {
  q: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown; isFetchNextPageError: boolean; error: unknown };
  noun: string;
}) {
  if (!q.hasNextPage && !q.isFetchNextPageError) return null;
  return (
    <div className="flex flex-col items-center gap-2">
      {q.isFetchNextPageError && (
        <p role="alert" className="text-sm text-destructive">
          Could not load more {noun}: {(q.error as Error)?.message}
        </p>
      )}
      {q.hasNextPage && (
        <Button variant="outline" onClick={() => q.fetchNextPage()} disabled={q.isFetchingNextPage} data-testid="load-more">
          {q.isFetchingNextPage ? "Loading…" : `Show older ${noun}`}
        </Button>
      )}
    </div>
  );
}

export function DocumentPage() {
  const { id = "" } = useParams();
  const tenant = useTenant();
  const q = useDocument(id);
  useDocumentTitle(q.data ? `${documentKindLabel(q.data.kind)} ${q.data.number}` : "Document");
  const back = (
    <Link to={`/${tenant}/documents`} className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground">
      <ArrowLeft className="size-4" aria-hidden="true" /> Documents
    </Link>
  );
  if (q.isError) {
    return (
      <>
        <div className="mb-4">{back}</div>
        <QueryError error={q.error} retry={() => q.refetch()} what="document" home={{ to: `/${tenant}/documents`, label: "See your documents" }} />
      </>
    );
  }
  if (!q.data) {
    return (
      <>
        <div className="mb-4">{back}</div>
        <Skeleton className="mb-6 h-8 w-64" />
        <Skeleton className="h-80 rounded-lg" />
      </>
    );
  }
  const d = q.data;
  return (
    <>
      <PageHeader
        back={back}
        title={
          <span className="flex flex-wrap items-center gap-3">
            <span data-testid="document-title">
              {documentKindLabel(d.kind)} {d.number}
            </span>
            <DocumentStatusBadge status={d.status} />
          </span>
        }
        description={`Issued ${formatDay(d.issueDate)}${d.period ? ` · ${formatPeriod(d.period)}` : ""}`}
        actions={
          <>
            <Button asChild>
              <a href={portalApi.documentPdfUrl(d.id)} download data-testid="download-pdf">
                <Download aria-hidden="true" /> PDF
              </a>
            </Button>
            {d.hasUbl !== false && (
              <Button asChild variant="outline">
                <a href={portalApi.documentUblUrl(d.id)} download data-testid="download-ubl" title="The e-invoice (Peppol UBL) for accounting software">
                  <FileCode2 aria-hidden="true" /> E-invoice (UBL)
                </a>
              </Button>
            )}
          </>
        }
      />
      <DocumentBody d={d} />
    </>
  );
}

const TAX_CATEGORY: Record<string, string> = {
  zero_rated: "zero-rated",
  exempt: "exempt from tax",
  reverse_charge: "reverse charge",
  export: "export, no tax",
  outside_scope: "outside the scope of tax",
};

/** "21 %" from basis points, "reverse charge" and the like for the other categories. */
export function taxLabel(category: string, rateBp: number): string {
  if (category !== "standard" && TAX_CATEGORY[category]) return TAX_CATEGORY[category];
  return `${decimalToString({ units: BigInt(Math.trunc(rateBp)), scale: 2 })} %`;
}

/** "672 h × €0.0275/h" from thousandths of hours and millionths of the currency per hour. */
export function lineQuantity(l: DocumentLine, currency: string): string | null {
  if (!/^-?\d+$/.test(l.hoursMilli ?? "") || !/^-?\d+$/.test(l.unitRateMicro ?? "")) return null;
  const hours = decimalToString({ units: BigInt(l.hoursMilli), scale: 3 });
  if (BigInt(l.hoursMilli) === 0n) return null;
  const rate = formatMoney(decimalToString({ units: BigInt(l.unitRateMicro), scale: 6 }), currency, { maxFraction: 6 });
  return `${hours} h × ${rate}/h`;
}

function DocumentBody({ d }: { d: Document }) {
  const lines = d.lines ?? [];
  const taxes = d.taxBreakdown ?? [];
  const currency = d.total.currency;
  return (
    <div className="grid gap-5">
      {d.status === "voided" && (
        <p className="rounded-md border border-dashed px-4 py-3 text-sm text-muted-foreground" data-testid="document-voided">
          This invoice was cancelled{d.voidedBy ? ` by credit note ${d.voidedBy}` : ""}: nothing is owed on it.
        </p>
      )}
      {d.corrects && <p className="text-sm text-muted-foreground">This credit note corrects invoice {d.corrects}.</p>}
      <Card>
        <CardHeader>
          <CardTitle>Lines</CardTitle>
          {(d.seller || d.buyer) && (
            <p className="text-xs text-muted-foreground">
              From {d.seller} to {d.buyer}
              {d.dueDate ? ` · due ${formatDay(d.dueDate)}` : ""}
            </p>
          )}
        </CardHeader>
        <CardContent>
          {lines.length === 0 ? (
            <p className="text-sm text-muted-foreground">This document has no lines.</p>
          ) : (
            <ul className="divide-y" data-testid="document-lines">
              {lines.map((l, i) => (
                <li key={i} className="flex flex-wrap items-baseline justify-between gap-x-6 gap-y-1 py-3 first:pt-0 last:pb-0">
                  <div className="min-w-0 flex-1 basis-64">
                    <p className="text-sm break-words">{l.description}</p>
                    <p className="text-xs text-muted-foreground">
                      {[
                        l.period ? formatPeriod(l.period) : null,
                        lineQuantity(l, currency),
                        l.capped ? "capped at the monthly price" : null,
                        l.taxCategory ? `tax ${taxLabel(l.taxCategory, l.taxRateBp)}` : null,
                      ]
                        .filter(Boolean)
                        .join(" · ")}
                    </p>
                  </div>
                  <MoneyText m={l.amount} className="ml-auto text-sm font-medium" />
                </li>
              ))}
            </ul>
          )}
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>Totals</CardTitle>
        </CardHeader>
        <CardContent className="grid gap-4 sm:grid-cols-2">
          <div className="grid content-start gap-2 text-sm text-muted-foreground">
            {d.reverseCharge && <p>Reverse charge: the buyer accounts for the tax.</p>}
            {(d.notes ?? []).map((n, i) => (
              <p key={i} className="break-words whitespace-pre-line">{n}</p>
            ))}
          </div>
          <dl className="grid content-start gap-2 text-sm sm:col-start-2" data-testid="document-totals">
            {d.totals && <Row label="Net" m={d.totals.net} />}
            {taxes.map((t, i) => (
              <Row
                key={i}
                label={
                  <>
                    Tax {taxLabel(t.category, t.rateBp)} on <MoneyText m={t.taxable} signed={false} />
                  </>
                }
                m={t.tax}
              />
            ))}
            <div className="flex items-baseline justify-between gap-4 border-t pt-2 text-base font-semibold">
              <dt>Total</dt>
              <dd>
                <MoneyText m={d.total} testId="document-total" />
              </dd>
            </div>
            {d.kind === "invoice" && d.totals && d.status !== "voided" && (
              <>
                <Row label="Paid" m={d.totals.paid} />
                <Row label="Due" m={d.totals.due} />
              </>
            )}
          </dl>
        </CardContent>
      </Card>
    </div>
  );
}

function Row({ label, m }: { label: React.ReactNode; m: Document["total"] }) {
  return (
    <div className="flex items-baseline justify-between gap-4">
      <dt className="text-muted-foreground">{label}</dt>
      <dd>
        <MoneyText m={m} />
      </dd>
    </div>
  );
}
