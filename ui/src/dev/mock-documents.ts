// DEV/PREVIEW ONLY. The documents half of the mock backend (see mock.ts):
// branding, PDF previews (a tiny hand-made PDF: the real ones come from Rust),
// e-invoice downloads and the period export with progress events.
import { emit } from "@tauri-apps/api/event";
import type * as T from "@/bindings";

type Ctx = { fail: (code: string, message: string, fields?: [string, string][]) => never };

/** A one-page PDF with a coloured bar and a few lines of text. */
export function tinyPdf(lines: string[], rgb: [number, number, number] = [0.15, 0.39, 0.92]): string {
  const esc = (s: string) => s.replace(/[^\x20-\x7e]/g, "?").replace(/([()\\])/g, "\\$1");
  const text = lines.map((l, i) => `BT /F1 ${i === 0 ? 16 : 10} Tf 56 ${770 - i * 18} Td (${esc(l)}) Tj ET`).join("\n");
  const stream = `${rgb.join(" ")} rg 56 800 483 6 re f\n0 0 0 rg\n${text}`;
  const objs = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return btoa(out);
}

const hexRgb = (hex: string): [number, number, number] => {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) return [0.15, 0.39, 0.92];
  return [0, 2, 4].map((i) => parseInt(m[1].slice(i, i + 2), 16) / 255) as [number, number, number];
};

let branding: T.BrandingDto = {
  branding: {
    legalName: "My Cloud",
    addressLines: "",
    country: "US",
    taxId: "",
    email: "",
    phone: "",
    website: "",
    accent: "#2563eb",
    paymentInstructions: "",
    footerNote: "",
    logoId: null,
  },
  logo: null,
  saved: false,
};
const logos = new Map<string, T.LogoDto>();
let exporting: { cancelled: boolean } | null = null;
const files = new Set<string>();

function checkBranding(c: Ctx, i: T.BrandingInput) {
  const f: [string, string][] = [];
  if (!i.legalName.trim()) f.push(["legalName", "Legal name is required"]);
  if (!/^[A-Za-z]{2}$/.test(i.country)) f.push(["country", `${JSON.stringify(i.country)} is not an ISO 3166 country code`]);
  if (!/^#[0-9a-f]{6}$/i.test(i.accent)) f.push(["accent", `${JSON.stringify(i.accent)} is not a colour: write it as #rrggbb, e.g. #2563eb`]);
  if (f.length) c.fail("validation", f.length === 1 ? f[0][1] : "Some fields need attention", f);
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function handleDocuments(cmd: string, args: Record<string, any>, c: Ctx): unknown {
  switch (cmd) {
    case "get_branding":
      return branding;
    case "update_branding": {
      const i = args.input as T.BrandingInput;
      checkBranding(c, i);
      branding = { branding: { ...i, country: i.country.toUpperCase(), accent: i.accent.toLowerCase() }, logo: i.logoId ? logos.get(i.logoId) ?? null : null, saved: true };
      return branding;
    }
    case "upload_logo": {
      const bin = atob(args.input.dataBase64);
      const png = bin.startsWith("\x89PNG");
      if (!png && !bin.startsWith("\xff\xd8\xff")) c.fail("validation", "This file is not a PNG or JPEG image", [["logo", "This file is not a PNG or JPEG image (its content says so, whatever its name): choose a .png or .jpg file"]]);
      if (bin.length > 1024 * 1024) c.fail("validation", "too big", [["logo", `The file is ${Math.ceil(bin.length / 1024)} KB: a logo may be at most 1024 KB`]]);
      const u32 = (o: number) => ((bin.charCodeAt(o) << 24) | (bin.charCodeAt(o + 1) << 16) | (bin.charCodeAt(o + 2) << 8) | bin.charCodeAt(o + 3)) >>> 0;
      const id = `mock${logos.size}`.padEnd(64, "0");
      const logo: T.LogoDto = { id, width: png ? u32(16) : 0, height: png ? u32(20) : 0, bytes: bin.length, dataUrl: `data:image/${png ? "png" : "jpeg"};base64,${args.input.dataBase64}` };
      logos.set(id, logo);
      return logo;
    }
    case "preview_branding": {
      const i = args.input as T.BrandingInput;
      checkBranding(c, i);
      return { fileName: "preview.pdf", pdfBase64: tinyPdf(["INVOICE  INV-2026-000001", i.legalName, ...i.addressLines.split("\n"), i.taxId && `VAT ID ${i.taxId}`, "", "Bill to: Zoe Odegard Consulting", "Server web-1 (Starter)  744 h x 0.0225  16.74", "Total  41.34", i.footerNote].filter(Boolean), hexRgb(i.accent)) };
    }
    case "document_pdf_data":
      return { fileName: `${args.id}.pdf`, pdfBase64: tinyPdf([`Document ${args.id}`, branding.branding.legalName, "(mock backend: the real PDF comes from the app)"], hexRgb(branding.branding.accent)) };
    case "save_document_ubl":
      return { path: `/home/you/Downloads/${args.id}.xml` };
    case "pick_folder":
      return "/home/you/Documents/Accounting";
    case "plan_export": {
      const name = "containerstacks-documents.zip";
      let n = 2;
      let free = name;
      while (files.has(`${args.folder}/${free}`)) free = `containerstacks-documents-${n++}.zip`;
      return { documents: 42, ledgerTransactions: 412, suggestedFileName: free } satisfies T.ExportPlanDto;
    }
    case "cancel_export":
      if (!exporting) return false;
      exporting.cancelled = true;
      return true;
    case "export_documents":
      return (async () => {
        const i = args.input as T.ExportInput;
        if (!i.folder.startsWith("/")) c.fail("validation", "not a full path", [["folder", `${i.folder} is not a full path`]]);
        const path = `${i.folder}/${i.fileName || "containerstacks-documents.zip"}`;
        if (files.has(path)) c.fail("validation", "exists", [["fileName", `${i.fileName} already exists in ${i.folder}: it is not overwritten; use another name`]]);
        const run = (exporting = { cancelled: false });
        try {
          for (let done = 0; done <= 42; done++) {
            if (run.cancelled) c.fail("conflict", "The export was cancelled: the partial file was removed");
            await emit("export-progress", { progress: { done, total: 42 } });
            await wait(60);
          }
        } finally {
          exporting = null;
        }
        files.add(path);
        return { path, sizeBytes: "1843200", documents: 42, eInvoices: 30, journalEntries: 864, payments: 12, journalBalanced: true, ledgerTransactions: 412, reconciledDocuments: 42, reconciledOrganizations: 9, reconciliationDifference: "0.00 USD", files: [] } satisfies T.ExportResultDto;
      })();
    default:
      return undefined;
  }
}
