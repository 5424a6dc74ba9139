// Settings → Branding: the seller block, logo and accent colour printed on
// documents, with the real PDF of a sample invoice as the preview.
import * as React from "react";
import { ImageUp, RefreshCw, Trash2 } from "lucide-react";
import { ApiError } from "@/api/client";
import { QueryError } from "@/components/query-state";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field, FieldError } from "@/components/ui/field";
import { Input, Label, Select, Textarea } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import { sortedCountries } from "@/lib/format";
import { focusFirstError, useApiForm } from "@/lib/use-api-form";
import { docsApi, useBranding, useUpdateBranding, useUploadLogo, type BrandingDto, type BrandingInput, type LogoDto } from "./api";
import { BRANDING_FIELDS, brandingErrors, brandingInput, bytesToBase64, logoFileProblem, normalizeAccent } from "./branding-form";
import { PdfView } from "./pdf-view";
import { useDebounced } from "@/lib/use-debounced";

/** A chosen file's bytes (FileReader: works in every webview). */
function readBytes(file: Blob): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(new Uint8Array(r.result as ArrayBuffer));
    r.onerror = () => reject(r.error ?? new Error("the file could not be read"));
    r.readAsArrayBuffer(file);
  });
}

export function BrandingSection() {
  const q = useBranding();
  if (q.isError) return <QueryError what="branding" error={q.error} retry={() => q.refetch()} />;
  if (!q.data) return <Skeleton className="h-96" />;
  return <BrandingCard branding={q.data} />;
}

type TextKey = Exclude<keyof BrandingInput, "logoId">;

export function BrandingCard({ branding }: { branding: BrandingDto }) {
  const [v, setV] = React.useState<BrandingInput>(branding.branding);
  const [logo, setLogo] = React.useState<LogoDto | null>(branding.logo);
  const form = useApiForm(BRANDING_FIELDS);
  const save = useUpdateBranding();
  const upload = useUploadLogo();
  const toast = useToast();
  const ref = React.useRef<HTMLFormElement>(null);
  const fileRef = React.useRef<HTMLInputElement>(null);
  const countries = React.useMemo(sortedCountries, []);
  const dirty = JSON.stringify(v) !== JSON.stringify(branding.branding);

  const set = (k: TextKey) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>) => {
    setV((old) => ({ ...old, [k]: e.target.value }));
    form.clear(k);
  };

  const onFile = async (e: React.ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = "";
    if (!file) return;
    form.clear("logo");
    let bytes: Uint8Array;
    try {
      bytes = await readBytes(file);
    } catch (err) {
      form.setErrors({ ...form.errors, logo: `${file.name} could not be read (${err instanceof Error ? err.message : String(err)}): choose it again` });
      return;
    }
    const problem = logoFileProblem(bytes);
    if (problem) {
      form.setErrors({ ...form.errors, logo: problem });
      return;
    }
    upload.mutate(
      { fileName: file.name, dataBase64: bytesToBase64(bytes) },
      {
        onSuccess: (l) => {
          setLogo(l);
          setV((old) => ({ ...old, logoId: l.id }));
        },
        onError: (err) => {
          const a = ApiError.from(err);
          form.setErrors({ ...form.errors, logo: a.fields.logo ?? a.message });
        },
      },
    );
  };

  const removeLogo = () => {
    setLogo(null);
    setV((old) => ({ ...old, logoId: null }));
  };

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (save.isPending) return;
    const errors = brandingErrors(v);
    if (Object.keys(errors).length) {
      form.setErrors(errors);
      focusFirstError(ref.current);
      return;
    }
    save.mutate(brandingInput(v), {
      onSuccess: (b) => {
        setV(b.branding);
        setLogo(b.logo);
        toast.success("Branding saved", "Documents issued from now on carry it; issued documents keep theirs.");
      },
      onError: (err) => {
        form.fail(err, "Could not save the branding");
        focusFirstError(ref.current);
      },
    });
  };

  const accent = normalizeAccent(v.accent);
  return (
    <Card data-testid="branding-settings">
      <CardHeader>
        <CardTitle>Branding</CardTitle>
        <CardDescription>Your business as it appears on invoices, receipts and credit notes. Issued documents keep the details they were issued with.</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-6">
        {branding.eInvoiceGaps.length > 0 && (
          <Alert tone="warning" title="E-invoices (UBL) cannot be produced until:" data-testid="branding-e-invoice-gaps">
            <ul className="list-disc space-y-0.5 pl-4">
              {branding.eInvoiceGaps.map((g) => <li key={g}>{g}</li>)}
            </ul>
          </Alert>
        )}
        <form ref={ref} onSubmit={submit} noValidate className="grid gap-4" aria-label="Branding">
          <div className="grid gap-4 sm:grid-cols-2">
            <Field name="legalName" label="Legal name" error={form.errors.legalName} className="sm:col-span-2">
              {(p) => <Input {...p} value={v.legalName} onChange={set("legalName")} autoComplete="organization" />}
            </Field>
            <div className="grid content-start gap-4">
              <Field name="addressLines" label="Street address" hint="Street and number, one line each" error={form.errors.addressLines}>
                {(p) => <Textarea {...p} className="font-sans text-sm" rows={2} value={v.addressLines} onChange={set("addressLines")} />}
              </Field>
              <div className="grid grid-cols-[8rem_1fr] gap-3">
                <Field name="postalCode" label="Post code" error={form.errors.postalCode}>
                  {(p) => <Input {...p} value={v.postalCode} onChange={set("postalCode")} autoComplete="postal-code" />}
                </Field>
                <Field name="city" label="City" error={form.errors.city}>
                  {(p) => <Input {...p} value={v.city} onChange={set("city")} autoComplete="address-level2" />}
                </Field>
              </div>
            </div>
            <div className="grid content-start gap-4">
              <Field name="country" label="Country" error={form.errors.country}>
                {(p) => (
                  <Select {...p} value={v.country} onChange={set("country")}>
                    {!countries.some((c) => c.code === v.country) && <option value={v.country}>{v.country || "Choose…"}</option>}
                    {countries.map((c) => <option key={c.code} value={c.code}>{c.name}</option>)}
                  </Select>
                )}
              </Field>
              <Field name="taxId" label="VAT id" hint="With the country prefix; checked against the country" error={form.errors.taxId}>
                {(p) => <Input {...p} value={v.taxId} onChange={set("taxId")} placeholder="DE136695976" />}
              </Field>
            </div>
            <Field name="email" label="E-mail" error={form.errors.email}>
              {(p) => <Input {...p} type="email" value={v.email} onChange={set("email")} placeholder="billing@example.com" />}
            </Field>
            <Field name="phone" label="Phone" error={form.errors.phone}>
              {(p) => <Input {...p} type="tel" value={v.phone} onChange={set("phone")} />}
            </Field>
            <Field name="website" label="Website" error={form.errors.website}>
              {(p) => <Input {...p} value={v.website} onChange={set("website")} placeholder="www.example.com" />}
            </Field>
            <Field name="accent" label="Accent colour" hint="Title, rules and table header" error={form.errors.accent}>
              {(p) => (
                <div className="flex items-center gap-2">
                  <input
                    type="color"
                    aria-label="Pick the accent colour"
                    value={accent ?? "#2563eb"}
                    onChange={(e) => { setV((o) => ({ ...o, accent: e.target.value })); form.clear("accent"); }}
                    className="h-9 w-11 shrink-0 cursor-pointer rounded-md border bg-background p-1"
                  />
                  <Input {...p} value={v.accent} onChange={set("accent")} className="font-mono" maxLength={7} />
                </div>
              )}
            </Field>
            <fieldset className="grid gap-4 rounded-md border p-4 sm:col-span-2 sm:grid-cols-2" data-testid="branding-e-invoice">
              <legend className="px-1 text-sm font-medium">E-invoices (Peppol)</legend>
              <Field name="peppolId" label="Peppol participant id" hint="Scheme code and identifier, e.g. 0192:995525828" error={form.errors.peppolId}>
                {(p) => <Input {...p} value={v.peppolId} onChange={set("peppolId")} placeholder="0192:995525828" className="font-mono" />}
              </Field>
              <Field name="registrationId" label="Company registration number" hint="Organization number, CVR, SIREN, KvK …" error={form.errors.registrationId}>
                {(p) => <Input {...p} value={v.registrationId} onChange={set("registrationId")} />}
              </Field>
              <Field name="bankIban" label="IBAN" hint="Named in e-invoices as the way to pay" error={form.errors.bankIban}>
                {(p) => <Input {...p} value={v.bankIban} onChange={set("bankIban")} placeholder="NO93 8601 1117 947" className="font-mono" />}
              </Field>
              <div className="grid grid-cols-[10rem_1fr] gap-3">
                <Field name="bankBic" label="BIC" error={form.errors.bankBic}>
                  {(p) => <Input {...p} value={v.bankBic} onChange={set("bankBic")} className="font-mono" />}
                </Field>
                <Field name="bankHolder" label="Account holder" hint="The legal name when empty" error={form.errors.bankHolder}>
                  {(p) => <Input {...p} value={v.bankHolder} onChange={set("bankHolder")} />}
                </Field>
              </div>
            </fieldset>
            <Field name="paymentInstructions" label="Payment instructions" hint="Printed on invoices, e.g. your bank account" error={form.errors.paymentInstructions} className="sm:col-span-2">
              {(p) => <Textarea {...p} className="font-sans text-sm" rows={2} value={v.paymentInstructions} onChange={set("paymentInstructions")} />}
            </Field>
            <Field name="footerNote" label="Footer note" hint="One line at the foot of every page" error={form.errors.footerNote} className="sm:col-span-2">
              {(p) => <Input {...p} value={v.footerNote} onChange={set("footerNote")} maxLength={120} />}
            </Field>
            <div className="grid gap-1.5 sm:col-span-2">
              <Label htmlFor="branding-logo">Logo</Label>
              <div className="flex flex-wrap items-center gap-3">
                <div className="flex h-16 w-40 items-center justify-center rounded-md border bg-white p-1" data-testid="logo-preview">
                  {logo ? <img src={logo.dataUrl} alt="Your logo" className="max-h-full max-w-full object-contain" /> : <span className="text-xs text-neutral-500">No logo</span>}
                </div>
                <input ref={fileRef} id="branding-logo" name="logo" type="file" accept="image/png,image/jpeg" className="sr-only" onChange={onFile} aria-invalid={Boolean(form.errors.logo)} />
                <Button type="button" variant="outline" onClick={() => fileRef.current?.click()} disabled={upload.isPending}>
                  <ImageUp /> {upload.isPending ? "Checking…" : logo ? "Replace logo…" : "Upload logo…"}
                </Button>
                {logo && <Button type="button" variant="ghost" onClick={removeLogo}><Trash2 /> Remove</Button>}
                {logo && <span className="text-xs text-muted-foreground">{logo.width} × {logo.height} px, {Math.ceil(logo.bytes / 1024)} KB</span>}
              </div>
              <p className="text-xs text-muted-foreground">PNG or JPEG, at most 1 MB and 2000 pixels a side.</p>
              <FieldError name="logo" message={form.errors.logo} />
            </div>
          </div>
          <div className="flex justify-end gap-2">
            <Button type="button" variant="outline" disabled={!dirty || save.isPending} onClick={() => { setV(branding.branding); setLogo(branding.logo); form.setErrors({}); }}>Discard changes</Button>
            <Button type="submit" disabled={save.isPending}>{save.isPending ? "Saving…" : "Save branding"}</Button>
          </div>
        </form>
        <BrandingPreview input={v} />
      </CardContent>
    </Card>
  );
}

/** A sample invoice rendered by the backend with the unsaved form. */
function BrandingPreview({ input }: { input: BrandingInput }) {
  const debounced = useDebounced(input, 500);
  const valid = Object.keys(brandingErrors(debounced)).length === 0;
  const [state, setState] = React.useState<{ pdf?: string; error?: string; busy: boolean }>({ busy: false });
  const [nonce, setNonce] = React.useState(0);
  const key = JSON.stringify(debounced);
  React.useEffect(() => {
    if (!valid) return;
    let live = true;
    setState((s) => ({ ...s, busy: true }));
    docsApi
      .previewBranding(brandingInput(JSON.parse(key) as BrandingInput))
      .then((p) => live && setState({ pdf: p.pdfBase64, busy: false }))
      .catch((e: unknown) => live && setState((s) => ({ ...s, error: ApiError.from(e).message, busy: false })));
    return () => {
      live = false;
    };
  }, [key, valid, nonce]);
  return (
    <section className="grid gap-2" aria-label="Invoice preview" data-testid="branding-preview" data-busy={state.busy || undefined}>
      <div className="flex items-center justify-between">
        <h3 className="text-sm font-medium">Preview: a sample invoice with these details</h3>
        <Button type="button" variant="ghost" size="sm" onClick={() => setNonce((n) => n + 1)} disabled={!valid || state.busy}><RefreshCw className={state.busy ? "animate-spin" : undefined} /> Refresh</Button>
      </div>
      {!valid && <p className="text-xs text-muted-foreground">Fix the fields marked above to update the preview.</p>}
      {state.error && <p role="alert" className="text-sm text-destructive">The preview failed: {state.error}</p>}
      <div className="rounded-md border bg-muted/40 p-4">
        {state.pdf ? <PdfView pdfBase64={state.pdf} title="Sample invoice" className="mx-auto max-w-xl" /> : <Skeleton className="mx-auto aspect-[210/297] w-full max-w-xl" />}
      </div>
    </section>
  );
}
