// The real PDF, drawn with pdf.js into canvases. The library is loaded on
// first use; its worker is a file of the app itself (script-src 'self'
// covers it), it gets the bytes directly (no fetch), and eval is off, so the
// app's strict CSP stays as it is.
import * as React from "react";
import { FileWarning } from "lucide-react";
import { Skeleton } from "@/components/ui/skeleton";
import { cn } from "@/lib/utils";

/** Decodes base64 to bytes. */
export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

type PdfJs = typeof import("pdfjs-dist/legacy/build/pdf.mjs");
let loading: Promise<PdfJs> | null = null;

/** pdf.js, configured once. */
export function loadPdfJs(): Promise<PdfJs> {
  loading ??= (async () => {
    const [lib, worker] = await Promise.all([import("pdfjs-dist/legacy/build/pdf.mjs"), import("pdfjs-dist/legacy/build/pdf.worker.min.mjs?url")]);
    lib.GlobalWorkerOptions.workerSrc = worker.default;
    return lib;
  })();
  loading.catch(() => (loading = null));
  return loading;
}

type State = { kind: "loading" } | { kind: "ready"; pages: number } | { kind: "error"; message: string };

/** Renders every page of a PDF (base64) at the container's width. */
export function PdfView({ pdfBase64, title, className, testId = "pdf-preview" }: { pdfBase64: string; title: string; className?: string; testId?: string }) {
  const outer = React.useRef<HTMLDivElement>(null);
  const host = React.useRef<HTMLDivElement>(null);
  const [state, setState] = React.useState<State>({ kind: "loading" });

  React.useEffect(() => {
    let cancelled = false;
    let destroy: (() => void) | undefined;
    setState({ kind: "loading" });
    (async () => {
      const lib = await loadPdfJs();
      const task = lib.getDocument({ data: base64ToBytes(pdfBase64), isEvalSupported: false, disableFontFace: false, useSystemFonts: false });
      destroy = () => void task.destroy();
      const doc = await task.promise;
      const el = host.current;
      if (cancelled || !el) return;
      // The pages hold the width of the pane (the page host itself is hidden while loading).
      const width = Math.max(320, outer.current?.clientWidth || 640);
      const ratio = window.devicePixelRatio || 1;
      const canvases: HTMLCanvasElement[] = [];
      for (let n = 1; n <= doc.numPages; n++) {
        const page = await doc.getPage(n);
        const base = page.getViewport({ scale: 1 });
        const viewport = page.getViewport({ scale: (width / base.width) * ratio });
        const canvas = document.createElement("canvas");
        canvas.width = Math.floor(viewport.width);
        canvas.height = Math.floor(viewport.height);
        canvas.style.width = `${Math.floor(viewport.width / ratio)}px`;
        canvas.className = "block rounded-sm bg-white shadow-md ring-1 ring-black/10";
        canvas.setAttribute("aria-label", `${title}, page ${n} of ${doc.numPages}`);
        canvas.dataset.page = String(n);
        const ctx = canvas.getContext("2d");
        if (!ctx) throw new Error("this window cannot draw (no 2D canvas)");
        await page.render({ canvasContext: ctx, viewport }).promise;
        if (cancelled) return;
        canvases.push(canvas);
      }
      el.replaceChildren(...canvases);
      setState({ kind: "ready", pages: doc.numPages });
    })().catch((e: unknown) => {
      if (!cancelled) setState({ kind: "error", message: e instanceof Error ? e.message : String(e) });
    });
    return () => {
      cancelled = true;
      destroy?.();
    };
  }, [pdfBase64, title]);

  return (
    <div ref={outer} className={cn("relative", className)} data-testid={testId} data-state={state.kind} data-pages={state.kind === "ready" ? state.pages : undefined}>
      {state.kind === "loading" && <Skeleton className="aspect-[210/297] w-full" />}
      {state.kind === "error" && (
        <div role="alert" className="flex items-start gap-2 rounded-md border border-destructive/40 bg-destructive/5 p-4 text-sm">
          <FileWarning className="mt-0.5 size-4 shrink-0 text-destructive" />
          <div>
            <p className="font-medium">The PDF could not be shown here</p>
            <p className="text-muted-foreground">{state.message}. Download it to open it in a PDF reader.</p>
          </div>
        </div>
      )}
      <div ref={host} className={cn("grid justify-center gap-4", state.kind !== "ready" && "hidden")} />
    </div>
  );
}
