// "Export period…": one ZIP for the accountant with every document's PDF and
// e-invoice, the ledger's journal reconciled with the documents (or, when they
// disagree, what does not match), the tax summary and the payments received.
import * as React from "react";
import { Link } from "react-router";
import { ArrowLeft, CheckCircle2, FolderOpen, OctagonAlert, PackageOpen, Scale, Square, TriangleAlert } from "lucide-react";
import { ApiError } from "@/api/client";
import { PageHeader } from "@/components/page-header";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input, Select } from "@/components/ui/input";
import { useToast } from "@/components/ui/toast";
import { focusFirstError, useApiForm } from "@/lib/use-api-form";
import { docsApi, type ExportPlanDto, type ExportProgressDto, type ExportResultDto } from "./api";
import {
  defaultPreset,
  exportErrors,
  formatBytes,
  monthPresets,
  parseMismatch,
  planLabel,
  progressLabel,
  reconciliationDetail,
  reconciliationLabel,
  type ExportForm,
  type Mismatch,
} from "./export-form";

const FIELDS = ["from", "to", "folder", "fileName"] as const;

type Run =
  | { kind: "idle" }
  | { kind: "running"; progress: ExportProgressDto | null; cancelling: boolean }
  | { kind: "done"; result: ExportResultDto }
  | { kind: "mismatch"; mismatch: Mismatch };

export function ExportPage() {
  const presets = React.useMemo(() => monthPresets(), []);
  const initial = React.useMemo(() => defaultPreset(), []);
  const [preset, setPreset] = React.useState(initial.value);
  const [v, setV] = React.useState<ExportForm>({ from: initial.from, to: initial.to, folder: "", fileName: "" });
  const [nameTouched, setNameTouched] = React.useState(false);
  const [plan, setPlan] = React.useState<ExportPlanDto | null>(null);
  const [run, setRun] = React.useState<Run>({ kind: "idle" });
  const form = useApiForm(FIELDS);
  const toast = useToast();
  const ref = React.useRef<HTMLFormElement>(null);
  const running = run.kind === "running";

  // How many documents the period holds, and a free file name in the folder.
  React.useEffect(() => {
    // Only the period decides whether there is a plan to show.
    const period = exportErrors({ from: v.from, to: v.to, folder: "/", fileName: "" });
    if (period.from || period.to) return setPlan(null);
    let live = true;
    const t = window.setTimeout(() => {
      docsApi
        .planExport(v.from, v.to, v.folder.trim().startsWith("/") ? v.folder.trim() : "")
        .then((p) => {
          if (!live) return;
          setPlan(p);
          if (!nameTouched) setV((o) => ({ ...o, fileName: p.suggestedFileName }));
        })
        .catch(() => live && setPlan(null));
    }, 250);
    return () => {
      live = false;
      window.clearTimeout(t);
    };
  }, [v.from, v.to, v.folder, nameTouched]);

  const choosePreset = (value: string) => {
    setPreset(value);
    const p = presets.find((x) => x.value === value);
    if (p) setV((o) => ({ ...o, from: p.from, to: p.to }));
    form.clear("from");
    form.clear("to");
  };
  const set = (k: keyof ExportForm) => (e: React.ChangeEvent<HTMLInputElement>) => {
    setV((o) => ({ ...o, [k]: e.target.value }));
    form.clear(k);
    if (k === "from" || k === "to") setPreset("custom");
    if (k === "fileName") setNameTouched(true);
  };

  const browse = async () => {
    try {
      const folder = await docsApi.pickFolder("Export documents to…");
      if (folder) {
        setV((o) => ({ ...o, folder }));
        form.clear("folder");
      }
    } catch (e) {
      toast.error("The folder chooser failed", ApiError.from(e).message + " Type the folder's path instead.");
    }
  };

  const useFreeName = async () => {
    try {
      const p = await docsApi.planExport(v.from, v.to, v.folder.trim());
      setV((o) => ({ ...o, fileName: p.suggestedFileName }));
      form.clear("fileName");
    } catch (e) {
      form.fail(e, "Could not find a free name");
    }
  };

  const start = async (e: React.FormEvent) => {
    e.preventDefault();
    if (running) return;
    const errors = exportErrors(v);
    if (Object.keys(errors).length) {
      form.setErrors(errors);
      focusFirstError(ref.current);
      return;
    }
    setRun({ kind: "running", progress: null, cancelling: false });
    const unlisten = await docsApi.onExportProgress((p) => setRun((r) => (r.kind === "running" ? { ...r, progress: p } : r))).catch(() => undefined);
    try {
      const result = await docsApi.exportDocuments({ from: v.from, to: v.to, folder: v.folder.trim(), fileName: v.fileName.trim() });
      setRun({ kind: "done", result });
      toast.success("Export written", result.path);
    } catch (err) {
      setRun({ kind: "idle" });
      const a = ApiError.from(err);
      const mismatch = parseMismatch(a);
      if (mismatch) {
        setRun({ kind: "mismatch", mismatch });
        toast.error("Nothing was exported", "The documents do not match the ledger: see below.");
      } else if (a.code === "conflict" && /cancelled/i.test(a.message)) toast.info("Export cancelled", a.message);
      else {
        form.fail(err, "The export failed");
        focusFirstError(ref.current);
      }
    } finally {
      unlisten?.();
    }
  };

  const cancel = async () => {
    setRun((r) => (r.kind === "running" ? { ...r, cancelling: true } : r));
    await docsApi.cancelExport().catch(() => false);
  };

  const progress = run.kind === "running" ? progressLabel(run.progress) : null;
  return (
    <>
      <PageHeader
        title="Export period"
        description="One ZIP for your accountant: every document as PDF and e-invoice, the ledger's journal checked against them, the tax summary and the payments received"
        back={<Link to="/invoices" className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground"><ArrowLeft className="size-3.5" /> Documents</Link>}
      />
      <div className="grid max-w-3xl gap-5">
        <Card>
          <CardHeader>
            <CardTitle>What to export</CardTitle>
            <CardDescription>Documents are included by their issue date, ledger transactions by their date (UTC). Usage of a month is invoiced on the 1st of the next.</CardDescription>
          </CardHeader>
          <CardContent>
            <form ref={ref} onSubmit={start} noValidate className="grid gap-4" aria-label="Export period" data-testid="export-form">
              <fieldset disabled={running} className="grid gap-4 sm:grid-cols-3">
                <Field name="preset" label="Period">
                  {(p) => (
                    <Select {...p} value={preset} onChange={(e) => choosePreset(e.target.value)}>
                      {presets.map((x) => <option key={x.value} value={x.value}>{x.label}</option>)}
                      <option value="custom">Custom dates</option>
                    </Select>
                  )}
                </Field>
                <Field name="from" label="From" error={form.errors.from}>
                  {(p) => <Input {...p} type="date" value={v.from} onChange={set("from")} />}
                </Field>
                <Field name="to" label="To" error={form.errors.to}>
                  {(p) => <Input {...p} type="date" value={v.to} onChange={set("to")} />}
                </Field>
                <p className="text-sm text-muted-foreground sm:col-span-3" data-testid="export-count">
                  {plan ? planLabel(plan) : "\u00a0"}
                </p>
                <Field name="folder" label="Folder" error={form.errors.folder} className="sm:col-span-3">
                  {(p) => (
                    <div className="flex gap-2">
                      <Input {...p} value={v.folder} onChange={set("folder")} placeholder="/home/you/Documents/Accounting" className="font-mono" />
                      <Button type="button" variant="outline" onClick={browse}><FolderOpen /> Browse…</Button>
                    </div>
                  )}
                </Field>
                <Field name="fileName" label="File name" hint="An existing file is never overwritten" error={form.errors.fileName} className="sm:col-span-3">
                  {(p) => (
                    <div className="flex gap-2">
                      <Input {...p} value={v.fileName} onChange={set("fileName")} className="font-mono" />
                      {form.errors.fileName && <Button type="button" variant="outline" onClick={useFreeName}>Use a free name</Button>}
                    </div>
                  )}
                </Field>
              </fieldset>
              <div className="flex items-center justify-end gap-2">
                {running ? (
                  <Button type="button" variant="outline" onClick={cancel} disabled={run.cancelling}><Square /> {run.cancelling ? "Cancelling…" : "Cancel"}</Button>
                ) : (
                  <Button type="submit" disabled={plan !== null && plan.documents === 0 && plan.ledgerTransactions === 0}><PackageOpen /> Export</Button>
                )}
              </div>
              {progress && (
                <div className="grid gap-1.5" data-testid="export-progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={progress.percent} aria-label="Export progress">
                  <div className="h-2 overflow-hidden rounded-full bg-muted">
                    <div className="h-full bg-primary transition-[width]" style={{ width: `${progress.percent}%` }} />
                  </div>
                  <p className="text-sm tabular-nums text-muted-foreground">{progress.text}</p>
                </div>
              )}
            </form>
          </CardContent>
        </Card>
        {run.kind === "done" && <ExportResult r={run.result} />}
        {run.kind === "mismatch" && <MismatchCard m={run.mismatch} />}
      </div>
    </>
  );
}

function ExportResult({ r }: { r: ExportResultDto }) {
  return (
    <Card data-testid="export-result">
      <CardHeader>
        <CardTitle className="flex items-center gap-2"><CheckCircle2 className="size-5 text-emerald-600 dark:text-emerald-400" /> Export written</CardTitle>
      </CardHeader>
      <CardContent>
        <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-2 text-sm">
          <dt className="text-muted-foreground">File</dt>
          <dd className="font-mono break-all" data-testid="export-path">{r.path}</dd>
          <dt className="text-muted-foreground">Size</dt>
          <dd data-testid="export-size">{formatBytes(Number(r.sizeBytes))}</dd>
          <dt className="text-muted-foreground">Documents</dt>
          <dd data-testid="export-documents">
            {r.documents} PDFs, {r.eInvoices} e-invoices (UBL)
            {r.eInvoicesNotWritten > 0 && (
              <span className="mt-1 flex items-start gap-1.5 text-amber-700 dark:text-amber-400" data-testid="export-e-invoices-not-written">
                <TriangleAlert className="mt-0.5 size-4 shrink-0" aria-hidden="true" />
                {r.eInvoicesNotWritten === 1 ? "1 invoice or credit note has" : `${r.eInvoicesNotWritten} invoices and credit notes have`} no e-invoice: seller or customer data is missing; ubl_not_written.txt in the ZIP says what
              </span>
            )}
          </dd>
          <dt className="text-muted-foreground">Journal</dt>
          <dd data-testid="export-journal">{r.journalEntries} entries from the ledger, {r.journalBalanced ? "balances to zero" : "does not balance"}</dd>
          <dt className="text-muted-foreground">Reconciliation</dt>
          <dd data-testid="export-reconciliation">
            <span className="inline-flex items-center gap-1.5 font-medium text-emerald-700 dark:text-emerald-400"><Scale className="size-4" /> {reconciliationLabel(r)}</span>
            <span className="block text-muted-foreground">{reconciliationDetail(r)}; see reconciliation.csv in the ZIP</span>
          </dd>
          <dt className="text-muted-foreground">Payments</dt>
          <dd>{r.payments} received</dd>
        </dl>
      </CardContent>
    </Card>
  );
}

function MismatchCard({ m }: { m: Mismatch }) {
  return (
    <Card data-testid="export-mismatch" role="alert" className="border-destructive/50">
      <CardHeader>
        <CardTitle className="flex items-center gap-2 text-destructive"><OctagonAlert className="size-5" /> The documents do not match the ledger</CardTitle>
        <CardDescription>{m.summary}.</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-3 text-sm">
        {m.items.length > 0 && (
          <ul className="grid list-disc gap-1.5 pl-5" data-testid="export-mismatch-items">
            {m.items.map((x) => <li key={x} className="break-words">{x}</li>)}
          </ul>
        )}
        {m.advice && <p className="text-muted-foreground">{m.advice}</p>}
      </CardContent>
    </Card>
  );
}
