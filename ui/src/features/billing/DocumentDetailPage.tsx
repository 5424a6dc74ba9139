import * as React from "react";
import { Link, useParams } from "react-router";
import { ArrowLeft, Download, FileCode2, Undo2 } from "lucide-react";
import { ApiError, type DocumentDetail } from "@/api/client";
import { useDocument, useSaveDocumentPdf, useVoidInvoice } from "@/api/queries";
import { PageHeader } from "@/components/page-header";
import { QueryError } from "@/components/query-state";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { AlertDialog, AlertDialogContent, AlertDialogDescription, AlertDialogTitle, DialogFooter } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { useToast } from "@/components/ui/toast";
import { countryName, formatDate } from "@/lib/format";
import { formatMoney, formatMoneyDto } from "@/lib/money";
import { focusFirstError, useApiForm } from "@/lib/use-api-form";
import { documentKindLabel } from "@/components/wallet-state";
import { useDocumentPdf, useSaveDocumentUbl } from "@/features/documents/api";
import { PdfView } from "@/features/documents/pdf-view";

export function DocumentDetailPage() {
  const { id = "" } = useParams();
  const q = useDocument(id);
  const save = useSaveDocumentPdf();
  const saveUbl = useSaveDocumentUbl();
  const toast = useToast();
  const [voiding, setVoiding] = React.useState(false);
  const back = (
    <Link to="/invoices" className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground">
      <ArrowLeft className="size-3.5" /> Documents
    </Link>
  );
  if (q.isError) return <><PageHeader title="Document" back={back} /><QueryError what="document" error={q.error} retry={() => q.refetch()} /></>;
  if (!q.data) return <><PageHeader title={<Skeleton className="h-8 w-64" />} back={back} /><Skeleton className="h-96" /></>;
  const d = q.data;
  const s = d.summary;
  const canVoid = s.kind === "invoice" && Boolean(s.issuedAt) && !s.voidedBy;
  const download = () =>
    save.mutate(s.id, {
      onSuccess: (f) => toast.success(`Saved to ${f.path}`),
      onError: (e) => toast.error("Could not save the PDF", ApiError.from(e).message),
    });
  const downloadUbl = () =>
    saveUbl.mutate(s.id, {
      onSuccess: (f) => toast.success(`Saved to ${f.path}`),
      onError: (e) => toast.error("Could not save the e-invoice", ApiError.from(e).message),
    });
  // Receipts confirm a payment: they have no e-invoice (UBL) form.
  const hasUbl = s.kind !== "receipt" && Boolean(s.issuedAt);
  return (
    <>
      <PageHeader
        title={<>{documentKindLabel(s.kind)} {s.number ?? ""}</>}
        description={s.organizationName}
        back={back}
        actions={
          <>
            {canVoid && <Button variant="outline" onClick={() => setVoiding(true)}><Undo2 /> Void by credit note</Button>}
            {hasUbl && <Button variant="outline" onClick={downloadUbl} disabled={saveUbl.isPending} title="Peppol BIS Billing 3.0 UBL XML"><FileCode2 /> Download e-invoice (UBL)</Button>}
            <Button onClick={download} disabled={save.isPending}><Download /> Download PDF</Button>
          </>
        }
      />
      <Tabs defaultValue={s.issuedAt ? "pdf" : "summary"}>
        <TabsList>
          <TabsTrigger value="pdf" disabled={!s.issuedAt}>PDF</TabsTrigger>
          <TabsTrigger value="summary">Summary</TabsTrigger>
        </TabsList>
        <TabsContent value="pdf"><DocumentPdf id={s.id} title={`${documentKindLabel(s.kind)} ${s.number ?? ""}`} /></TabsContent>
        <TabsContent value="summary"><DocumentPreview d={d} /></TabsContent>
      </Tabs>
      <VoidDialog open={voiding} onOpenChange={setVoiding} documentId={s.id} number={s.number} />
    </>
  );
}

/** The document's own PDF, exactly as downloaded. */
function DocumentPdf({ id, title }: { id: string; title: string }) {
  const q = useDocumentPdf(id, true);
  if (q.isError) return <QueryError what="PDF" error={q.error} retry={() => q.refetch()} />;
  if (!q.data) return <Skeleton className="mx-auto aspect-[210/297] w-full max-w-3xl" />;
  return (
    <div className="rounded-lg border bg-muted/40 p-4">
      <PdfView pdfBase64={q.data.pdfBase64} title={title} testId="document-pdf" className="mx-auto max-w-3xl" />
    </div>
  );
}

/** The document's facts as a web page (lines, totals, links to related documents). */
export function DocumentPreview({ d }: { d: DocumentDetail }) {
  const s = d.summary;
  const cur = s.total.currency;
  return (
    <article className="mx-auto max-w-3xl rounded-lg border bg-card p-8 shadow-xs" data-testid="document-preview" data-kind={s.kind}>
      <header className="flex flex-wrap items-start justify-between gap-4 border-b pb-6">
        <div>
          <h2 className="text-xl font-semibold tracking-tight">{documentKindLabel(s.kind)}</h2>
          <p className="font-mono text-sm text-muted-foreground">{s.number ?? "Not issued"}</p>
          {s.voidedBy && (
            <Badge tone="red" className="mt-2" data-testid="document-voided">
              Voided by <Link to={`/invoices/${s.voidedBy}`} className="underline">credit note</Link>
            </Badge>
          )}
          {s.creditsDocumentId && (
            <p className="mt-2 text-sm">Corrects <Link to={`/invoices/${s.creditsDocumentId}`} className="text-primary hover:underline">the original invoice</Link></p>
          )}
        </div>
        <dl className="grid grid-cols-[auto_auto] gap-x-4 gap-y-1 text-sm">
          <dt className="text-muted-foreground">Issued</dt><dd>{s.issuedAt ? formatDate(s.issuedAt) : "—"}</dd>
          {s.period && <><dt className="text-muted-foreground">Period</dt><dd className="tabular-nums">{s.period}</dd></>}
          {d.reference && <><dt className="text-muted-foreground">Reference</dt><dd>{d.reference}</dd></>}
        </dl>
      </header>
      <section className="grid gap-0.5 py-6 text-sm">
        <p className="text-xs font-medium tracking-wide text-muted-foreground uppercase">Bill to</p>
        <p className="font-medium">{d.customerName}</p>
        <p>{countryName(d.customerCountry)}</p>
        {d.customerTaxId && <p>Tax id {d.customerTaxId}</p>}
        {d.reason && <p className="mt-2">Reason: {d.reason}</p>}
      </section>
      <table className="w-full text-sm" data-testid="document-lines">
        <thead>
          <tr className="border-b text-left text-xs text-muted-foreground">
            <th className="py-2 font-medium">Description</th>
            <th className="py-2 text-right font-medium">Hours × rate</th>
            <th className="py-2 pl-4 font-medium">Tax</th>
            <th className="py-2 text-right font-medium">Amount</th>
          </tr>
        </thead>
        <tbody>
          {d.lines.map((l, i) => (
            <tr key={i} className="border-b align-top last:border-b-0">
              <td className="py-2 pr-4">
                {l.description}
                {l.capped && <Badge tone="blue" className="ml-2" data-testid="line-capped" title="Billed at the monthly cap">Capped</Badge>}
              </td>
              <td className="py-2 text-right whitespace-nowrap tabular-nums">
                {l.hours && l.rate ? `${l.hours} h × ${formatMoney(l.rate.amount, l.rate.currency, { maxFraction: 6 })}` : "—"}
              </td>
              <td className="py-2 pl-4 whitespace-nowrap text-muted-foreground">{l.taxName}</td>
              <td className="py-2 text-right whitespace-nowrap tabular-nums">{formatMoneyDto(l.amount)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="mt-6 ml-auto grid max-w-sm gap-1 text-sm" data-testid="document-totals">
        <div className="flex justify-between"><span className="text-muted-foreground">Subtotal</span><span className="tabular-nums">{formatMoneyDto(s.subtotal)}</span></div>
        {d.taxTotals.map((t) => (
          <div key={`${t.name}-${t.ratePercent}`} className="flex justify-between gap-4">
            <span className="text-muted-foreground">{t.name} {t.ratePercent}% <span className="text-xs">on {formatMoney(t.net.amount, cur)}</span></span>
            <span className="tabular-nums">{formatMoneyDto(t.tax)}</span>
          </div>
        ))}
        <div className="mt-1 flex justify-between border-t pt-2 text-base font-semibold"><span>Total</span><span className="tabular-nums" data-testid="document-total">{formatMoneyDto(s.total)}</span></div>
      </div>
      {d.taxNote && <p className="mt-6 text-xs text-muted-foreground">{d.taxNote}</p>}
    </article>
  );
}

function VoidDialog({ open, onOpenChange, documentId, number }: { open: boolean; onOpenChange: (o: boolean) => void; documentId: string; number: string | null }) {
  return (
    <AlertDialog open={open} onOpenChange={onOpenChange}>
      <AlertDialogContent>
        <AlertDialogTitle>Void invoice {number ?? ""}?</AlertDialogTitle>
        <AlertDialogDescription>A credit note for the full amount is issued and the amount goes back to the customer's wallet. This cannot be undone.</AlertDialogDescription>
        {open && <VoidForm documentId={documentId} onDone={() => onOpenChange(false)} />}
      </AlertDialogContent>
    </AlertDialog>
  );
}

const VOID_FIELDS = ["reason"] as const;

function VoidForm({ documentId, onDone }: { documentId: string; onDone: () => void }) {
  const [reason, setReason] = React.useState("");
  const form = useApiForm(VOID_FIELDS);
  const voidInvoice = useVoidInvoice();
  const toast = useToast();
  const ref = React.useRef<HTMLFormElement>(null);
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (voidInvoice.isPending) return;
    if (!reason.trim()) {
      form.setErrors({ reason: "Reason is required: it is printed on the credit note" });
      focusFirstError(ref.current);
      return;
    }
    voidInvoice.mutate(
      { id: documentId, reason: reason.trim() },
      {
        onSuccess: (cn) => {
          toast.success("Invoice voided", cn.number ? `Credit note ${cn.number} issued` : undefined);
          onDone();
        },
        onError: (err) => {
          form.fail(err, "Could not void the invoice");
          focusFirstError(ref.current);
        },
      },
    );
  };
  return (
    <form ref={ref} onSubmit={submit} noValidate className="grid gap-4" aria-label="Void invoice">
      <Field name="reason" label="Reason" error={form.errors.reason}>
        {(p) => <Input {...p} value={reason} onChange={(e) => { setReason(e.target.value); form.clear("reason"); }} placeholder="Billed for the wrong plan" data-autofocus />}
      </Field>
      <DialogFooter>
        <Button variant="outline" onClick={onDone}>Cancel</Button>
        <Button type="submit" variant="destructive" disabled={voidInvoice.isPending}>Void by credit note</Button>
      </DialogFooter>
    </form>
  );
}
