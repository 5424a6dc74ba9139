import * as React from "react";
import { Link } from "react-router";
import { FileCode2, Paperclip, RotateCcw } from "lucide-react";
import { ApiError } from "@/api/client";
import { PageHeader } from "@/components/page-header";
import { QueryError } from "@/components/query-state";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input, Textarea } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { useToast } from "@/components/ui/toast";
import { cn } from "@/lib/utils";
import { type MailTemplateDto, type MailTemplateInput, useMailTemplates, usePreview, useResetTemplate, useSaveTemplate } from "./api";

const PARTS = ["subject", "text", "html"] as const;

/** The field errors of a refused template, keyed subject / text / html. */
export function templateErrors(err: unknown): Record<string, string> {
  const e = ApiError.from(err);
  const fields = Object.fromEntries(Object.entries(e.fields).filter(([k]) => (PARTS as readonly string[]).includes(k)));
  return Object.keys(fields).length ? fields : { html: e.message };
}

/** `{{ name }}` for a variable, `{% for s in name %}…` for a list. */
export function variableSnippet(name: string): string {
  return name.endsWith("_list") ? `{% for item in ${name} %}{{ item }}{% endfor %}` : `{{ ${name} }}`;
}

export function TemplatesPage() {
  const q = useMailTemplates();
  const [kind, setKind] = React.useState<string>("welcome");
  const current = q.data?.find((t) => t.kind === kind);
  return (
    <>
      <PageHeader
        title="Email templates"
        description="What your customers receive. Edit the subject and both bodies; the preview is rendered by the app with sample data and your branding."
        actions={<Button asChild variant="outline"><Link to="/outbox">Outbox</Link></Button>}
      />
      {q.isError ? (
        <QueryError error={q.error} retry={() => q.refetch()} />
      ) : !q.data ? (
        <Skeleton className="h-[32rem]" />
      ) : (
        <div className="grid gap-5 lg:grid-cols-[14rem_1fr]">
          <nav aria-label="Templates" className="grid content-start gap-1" data-testid="template-list">
            {q.data.map((t) => (
              <button
                key={t.kind}
                type="button"
                data-kind={t.kind}
                aria-current={t.kind === kind ? "true" : undefined}
                onClick={() => setKind(t.kind)}
                className={cn("flex items-center justify-between gap-2 rounded-md px-3 py-2 text-left text-sm hover:bg-accent", t.kind === kind && "bg-accent font-medium")}
              >
                <span>{t.name}</span>
                {t.customized && <Badge tone="blue">Edited</Badge>}
              </button>
            ))}
          </nav>
          {current && <TemplateEditor key={current.kind + (current.customized ? ":c" : ":d") + current.subject.length} template={current} />}
        </div>
      )}
    </>
  );
}

function TemplateEditor({ template }: { template: MailTemplateDto }) {
  const [v, setV] = React.useState<MailTemplateInput>({ subject: template.subject, text: template.text, html: template.html });
  const [debounced, setDebounced] = React.useState(v);
  const [errors, setErrors] = React.useState<Record<string, string>>({});
  const [view, setView] = React.useState<"html" | "text">("html");
  const save = useSaveTemplate();
  const reset = useResetTemplate();
  const toast = useToast();
  const preview = usePreview(template.kind, debounced);
  const dirty = v.subject !== template.subject || v.text !== template.text || v.html !== template.html;

  React.useEffect(() => {
    const t = window.setTimeout(() => setDebounced(v), 300);
    return () => window.clearTimeout(t);
  }, [v]);

  const previewErrors = preview.isError ? templateErrors(preview.error) : {};
  const shown = Object.keys(errors).length ? errors : previewErrors;
  const set = (k: keyof MailTemplateInput) => (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
    setV((x) => ({ ...x, [k]: e.target.value }));
    setErrors({});
  };

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    save.mutate(
      { kind: template.kind, input: v },
      {
        onSuccess: () => toast.success(`${template.name} template saved`, "New mail uses it from now on"),
        onError: (err) => {
          setErrors(templateErrors(err));
          toast.error("The template was not saved", ApiError.from(err).message);
        },
      },
    );
  };

  const doReset = () =>
    reset.mutate(template.kind, {
      onSuccess: (t) => {
        setV({ subject: t.subject, text: t.text, html: t.html });
        setErrors({});
        toast.success(`${template.name} template reset to the default`);
      },
      onError: (err) => toast.error("Could not reset", ApiError.from(err).message),
    });

  return (
    <div className="grid gap-5 xl:grid-cols-2">
      <Card>
        <CardContent className="pt-6">
          <form onSubmit={submit} noValidate className="grid gap-4" aria-label={`${template.name} template`} data-testid="template-editor" data-kind={template.kind}>
            <div className="flex flex-wrap items-center gap-2">
              <h2 className="text-lg font-semibold">{template.name}</h2>
              {template.customized ? <Badge tone="blue">Edited</Badge> : <Badge>Default</Badge>}
              {template.attachesPdf && <Badge tone="grey"><Paperclip className="mr-1 size-3" /> PDF attached</Badge>}
            </div>
            <Field name="subject" label="Subject" error={shown.subject}>
              {(p) => <Input {...p} value={v.subject} onChange={set("subject")} className="font-mono text-sm" />}
            </Field>
            <Field name="html" label="HTML body" error={shown.html} hint="Placed inside your branded layout (logo, colour, footer). Values are escaped.">
              {(p) => <Textarea {...p} value={v.html} onChange={set("html")} rows={9} spellCheck={false} className="font-mono text-xs" />}
            </Field>
            <Field name="text" label="Plain-text body" error={shown.text}>
              {(p) => <Textarea {...p} value={v.text} onChange={set("text")} rows={7} spellCheck={false} className="font-mono text-xs" />}
            </Field>
            <div>
              <p className="mb-1.5 text-sm font-medium">Variables</p>
              <ul className="flex flex-wrap gap-1.5" data-testid="template-variables">
                {["brand.name", "brand.support_email", "brand.website", ...template.variables].map((name) => (
                  <li key={name}>
                    <code className="rounded bg-muted px-1.5 py-0.5 text-xs" title={name.startsWith("brand.") ? "Your branding" : name.endsWith("_list") ? "A list: loop over it" : undefined}>
                      {name.startsWith("brand.") ? `{{ ${name} }}` : variableSnippet(name)}
                    </code>
                  </li>
                ))}
              </ul>
              <p className="mt-2 text-xs text-muted-foreground">A customer's data is always inserted as text: it can never run as template code or HTML.</p>
            </div>
            <div className="flex flex-wrap justify-end gap-2">
              <Button type="button" variant="outline" onClick={doReset} disabled={!template.customized || reset.isPending}>
                <RotateCcw className="size-4" /> Reset to default
              </Button>
              <Button type="submit" disabled={!dirty || save.isPending}>{save.isPending ? "Saving…" : "Save template"}</Button>
            </div>
          </form>
        </CardContent>
      </Card>
      <Card>
        <CardContent className="grid gap-3 pt-6">
          <div className="flex flex-wrap items-center justify-between gap-2">
            <h2 className="flex items-center gap-2 text-sm font-semibold"><FileCode2 className="size-4" /> Preview with sample data</h2>
            <div className="inline-flex rounded-lg bg-muted p-1" role="group" aria-label="Preview body">
              {(["html", "text"] as const).map((b) => (
                <button key={b} type="button" aria-pressed={view === b} onClick={() => setView(b)} className={cn("h-7 rounded-md px-3 text-sm font-medium text-muted-foreground", view === b && "bg-card text-foreground shadow-xs")}>
                  {b === "html" ? "HTML" : "Plain text"}
                </button>
              ))}
            </div>
          </div>
          {preview.isError && <p role="note" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive" data-testid="preview-error">{ApiError.from(preview.error).message}</p>}
          {!preview.data ? (
            preview.isError ? null : <Skeleton className="h-96" />
          ) : (
            <div className={cn("grid gap-2", preview.isError && "opacity-50")} data-testid="template-preview">
              <p className="text-sm"><span className="text-muted-foreground">Subject: </span><span data-testid="preview-subject" className="font-medium">{preview.data.subject}</span></p>
              {view === "html" ? (
                <iframe title="Preview of the HTML body" sandbox="" srcDoc={preview.data.html} className="h-[30rem] w-full rounded-md border bg-white" data-testid="preview-html" />
              ) : (
                <pre className="max-h-[30rem] overflow-auto rounded-md border bg-muted/40 p-3 text-sm whitespace-pre-wrap" data-testid="preview-text">{preview.data.text}</pre>
              )}
            </div>
          )}
        </CardContent>
      </Card>
    </div>
  );
}
