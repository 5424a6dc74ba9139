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
