// Money arrives as decimal strings ("12.50", "0.0075") with integer minor or
// micro units beside them. It is never turned into a JavaScript number: the
// arithmetic here is BigInt on scaled integers and formatting splices the
// digits into the parts Intl gives for the currency and locale.
import { numberFormat, numberLocale } from "./format";

/** A decimal as a scaled integer: value = units / 10^scale. */
export type Decimal = { units: bigint; scale: number };

const DECIMAL_RE = /^\s*([+-])?(\d+)(?:\.(\d*))?\s*$|^\s*([+-])?\.(\d+)\s*$/;

export function parseDecimal(s: string): Decimal | null {
  const m = DECIMAL_RE.exec(s);
  if (!m) return null;
  const sign = m[1] ?? m[4] ?? "";
  const int = m[2] ?? "0";
  const frac = m[3] ?? m[5] ?? "";
  const units = BigInt(int + frac) * (sign === "-" ? -1n : 1n);
  return { units, scale: frac.length };
}

function rescale(d: Decimal, scale: number): bigint {
  return d.units * 10n ** BigInt(scale - d.scale);
}

export function subtractDecimal(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) - rescale(b, scale), scale };
}

export function compareDecimal(a: Decimal, b: Decimal): number {
  const scale = Math.max(a.scale, b.scale);
  const x = rescale(a, scale);
  const y = rescale(b, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Back to a plain decimal string, keeping at least `minFraction` digits and dropping other trailing zeros. */
export function decimalToString(d: Decimal, minFraction = 0): string {
  const neg = d.units < 0n;
  const digits = (neg ? -d.units : d.units).toString().padStart(d.scale + 1, "0");
  const int = digits.slice(0, digits.length - d.scale);
  let frac = digits.slice(digits.length - d.scale);
  while (frac.length > minFraction && frac.endsWith("0")) frac = frac.slice(0, -1);
  frac = frac.padEnd(minFraction, "0");
  return (neg ? "-" : "") + int + (frac ? "." + frac : "");
}

/** The number of minor-unit digits the currency uses (2 for EUR, 0 for JPY). */
export function currencyDigits(currency: string): number {
  try {
    return numberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

type FormatOptions = { locale?: string; /** Show up to this many fraction digits when the amount has them (rates). */ maxFraction?: number };

/**
 * Formats a decimal amount string as money, e.g. ("1234.5", "EUR") → "€1,234.50".
 * Precision beyond the currency's digits is kept (hourly rates like 0.0075).
 */
export function formatMoney(amount: string, currency: string, opts: FormatOptions = {}): string {
  const d = parseDecimal(amount);
  if (!d) return `${amount} ${currency}`;
  const minFraction = currencyDigits(currency);
  const text = decimalToString(d, minFraction);
  const neg = text.startsWith("-");
  const [intPart, fracPart = ""] = (neg ? text.slice(1) : text).split(".");
  const frac = opts.maxFraction !== undefined && fracPart.length > Math.max(opts.maxFraction, minFraction) ? fracPart.slice(0, Math.max(opts.maxFraction, minFraction)) : fracPart;
  let nf: Intl.NumberFormat;
  try {
    nf = numberFormat(numberLocale(opts.locale), {
      style: "currency",
      currency,
      minimumFractionDigits: minFraction,
      maximumFractionDigits: minFraction,
    });
  } catch {
    return `${text} ${currency}`;
  }
  const grouped = numberFormat(numberLocale(opts.locale), { useGrouping: true, maximumFractionDigits: 0 }).format(BigInt(intPart));
  // A template of the currency's pattern (symbol position, separators, sign), then our digits in it.
  const parts = nf.formatToParts(neg ? -1n : 1n);
  let sawFraction = false;
  const out = parts.map((p) => {
    if (p.type === "integer") return grouped;
    if (p.type === "fraction") {
      sawFraction = true;
      return frac;
    }
    if (p.type === "decimal") return frac ? p.value : "";
    return p.value;
  });
  if (!sawFraction && frac) {
    // A zero-digit currency shown with sub-unit precision (a JPY rate): add the fraction after the integer.
    const i = parts.findIndex((p) => p.type === "integer");
    out[i] = grouped + "." + frac;
  }
  return out.join("");
}

export function formatMoneyDto(m: { amount: string; currency: string }, opts?: FormatOptions): string {
  return formatMoney(m.amount, m.currency, opts);
}

/**
 * Our price minus the provider's, and that margin as a share of our price, in
 * tenths of a percent, computed on integers. Null when the provider price is missing.
 */
export function margin(ours: string, theirs: string): { amount: string; percent: string | null; negative: boolean } | null {
  const a = parseDecimal(ours);
  const b = parseDecimal(theirs);
  if (!a || !b) return null;
  const diff = subtractDecimal(a, b);
  const scale = Math.max(a.scale, b.scale);
  const oursScaled = rescale(a, scale);
  let percent: string | null = null;
  if (oursScaled !== 0n) {
    // Tenths of a percent, rounded half away from zero.
    const num = diff.units * 1000n * 10n ** BigInt(scale - diff.scale);
    const q = num * 10n / oursScaled;
    const rounded = (q + (q >= 0n ? 5n : -5n)) / 10n;
    percent = decimalToString({ units: rounded, scale: 1 }, 1);
  }
  return { amount: decimalToString(diff), percent, negative: diff.units < 0n };
}

const MONEY_INPUT_RE = /^\d{1,9}(\.\d{1,DIGITS})?$/;

/** Checks a price typed by the user: digits with up to `fraction` decimals, "." as separator. */
export function isPriceInput(s: string, fraction: number): boolean {
  return new RegExp(MONEY_INPUT_RE.source.replace("DIGITS", String(fraction))).test(s.trim());
}

/**
 * Adds money amounts of one currency by their integer minor units. Null for an
 * empty list or mixed currencies (they cannot be added).
 */
export function sumMoney(items: { minor: string; currency: string }[]): { amount: string; currency: string } | null {
  if (items.length === 0) return null;
  const currency = items[0].currency;
  if (items.some((m) => m.currency !== currency)) return null;
  const units = items.reduce((acc, m) => acc + BigInt(m.minor), 0n);
  const digits = currencyDigits(currency);
  return { amount: decimalToString({ units, scale: digits }, digits), currency };
}

/** Money as the portal's API sends it: integer minor units as a string. */
export type MinorMoney = { minor: string; currency: string };

/**
 * Minor units ("12345", "EUR") → the decimal amount ("123.45"), by string and
 * BigInt arithmetic only. Null when `minor` is not an integer.
 */
export function minorToAmount(m: MinorMoney): { amount: string; currency: string } | null {
  if (!/^\s*-?\d+\s*$/.test(m.minor)) return null;
  const digits = currencyDigits(m.currency);
  return { amount: decimalToString({ units: BigInt(m.minor.trim()), scale: digits }, digits), currency: m.currency };
}

/** Formats `{minor, currency}` money, e.g. {"123450", "EUR"} → "€1,234.50". */
export function formatMinor(m: MinorMoney, opts?: FormatOptions): string {
  const a = minorToAmount(m);
  return a ? formatMoney(a.amount, a.currency, opts) : `${m.minor} ${m.currency}`;
}

/** Sign of a minor-units amount: -1, 0 or 1 (0 for anything unreadable). */
export function signOfMinor(minor: string): -1 | 0 | 1 {
  if (!/^\s*-?\d+\s*$/.test(minor)) return 0;
  const v = BigInt(minor.trim());
  return v < 0n ? -1 : v > 0n ? 1 : 0;
}
