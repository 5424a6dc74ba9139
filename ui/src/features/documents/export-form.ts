// "Export period…": period presets and the form's checks.

export type Preset = { value: string; label: string; from: string; to: string };

const pad = (n: number) => String(n).padStart(2, "0");
const iso = (y: number, m: number, d: number) => `${y}-${pad(m)}-${pad(d)}`;
const lastDay = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

/** The current month and the 12 before it, newest first (UTC, as documents are dated). */
export function monthPresets(now: Date = new Date(), locale?: string): Preset[] {
  const out: Preset[] = [];
  const fmt = new Intl.DateTimeFormat(locale, { month: "long", year: "numeric", timeZone: "UTC" });
  for (let i = 0; i < 13; i++) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth() + 1;
    out.push({ value: `${y}-${pad(m)}`, label: fmt.format(d) + (i === 0 ? " (so far)" : ""), from: iso(y, m, 1), to: iso(y, m, lastDay(y, m)) });
  }
  return out;
}

/** The default: last month, the one accountants ask for. */
export function defaultPreset(now: Date = new Date()): Preset {
  return monthPresets(now)[1];
}

export type ExportForm = { from: string; to: string; folder: string; fileName: string };

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function validDate(s: string): boolean {
  if (!DATE.test(s)) return false;
  const [y, m, d] = s.split("-").map(Number);
  return m >= 1 && m <= 12 && d >= 1 && d <= lastDay(y, m);
}

export function exportErrors(v: ExportForm): Record<string, string> {
  const e: Record<string, string> = {};
  if (!validDate(v.from)) e.from = "Enter the first day as YYYY-MM-DD";
  if (!validDate(v.to)) e.to = "Enter the last day as YYYY-MM-DD";
  if (!e.from && !e.to && v.to < v.from) e.to = "The last day must be on or after the first";
  if (!v.folder.trim()) e.folder = "Choose the folder to write the export to";
  else if (!v.folder.trim().startsWith("/")) e.folder = "Write a full path starting with /, or use Browse…";
  const name = v.fileName.trim();
  if (name && (name.includes("/") || name.startsWith("."))) e.fileName = "A plain file name: no folders, not starting with a dot";
  return e;
}

/** "1.2 MB" */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** "123 / 450 documents" and a 0–100 share. */
export function progressLabel(p: { done: number; total: number } | null): { text: string; percent: number } {
  if (!p) return { text: "Preparing…", percent: 0 };
  const percent = p.total === 0 ? 100 : Math.floor((p.done / p.total) * 100);
  return { text: `${p.done} / ${p.total} documents`, percent };
}

/** What the chosen period holds, under the dates. */
export function planLabel(p: { documents: number; ledgerTransactions: number }): string {
  const docs = `${p.documents} document${p.documents === 1 ? "" : "s"}`;
  const txns = `${p.ledgerTransactions} ledger transaction${p.ledgerTransactions === 1 ? "" : "s"}`;
  if (p.documents === 0 && p.ledgerTransactions === 0) return "No documents were issued and nothing was booked in this period.";
  if (p.documents === 0) return `No documents, ${txns} in this period.`;
  return `${docs} and ${txns} in this period.`;
}

/** The reconciliation outcome of a written export (a mismatch refuses the export). */
export function reconciliationLabel(r: { ledgerTransactions: number; reconciliationDifference: string }): string {
  const n = r.ledgerTransactions;
  return `Journal matches the ledger: ${n} transaction${n === 1 ? "" : "s"}, ${r.reconciliationDifference} difference`;
}

/** "4 documents of 2 customers checked against it" */
export function reconciliationDetail(r: { reconciledDocuments: number; reconciledOrganizations: number }): string {
  const d = r.reconciledDocuments;
  const o = r.reconciledOrganizations;
  return `${d} document${d === 1 ? "" : "s"} of ${o} customer${o === 1 ? "" : "s"} checked against it`;
}

export type Mismatch = { summary: string; items: string[]; advice: string };

/**
 * The export's refusal when documents and ledger disagree, split for display:
 * "The documents of … do not match the ledger, so nothing was exported: A; B (and 2 more). Correct … again."
 * Returns null for any other error.
 */
export function parseMismatch(e: { code: string; message: string }): Mismatch | null {
  if (e.code !== "conflict" || !/do not match the ledger/.test(e.message)) return null;
  const m = /^(.*?nothing was exported): (.*?)\. (Correct .*)$/s.exec(e.message);
  if (!m) return { summary: e.message, items: [], advice: "" };
  return { summary: m[1], items: m[2].split("; ").map((s) => s.trim()).filter(Boolean), advice: m[3] };
}
