// The price-version form's rules, kept pure so they are tested on their own.
// The backend checks the same things (it is the authority); these give the
// answer before a round trip. Money stays decimal strings and BigInt.
import { compareDecimal, currencyDigits, decimalToString, isPriceInput, parseDecimal } from "@/lib/money";

export const MIN_MARKUP = "-99.99";
export const MAX_MARKUP = "1000";
/** A version may be scheduled at most this far ahead (the backend's limit). */
export const MAX_SCHEDULE_DAYS = 730;

export type PriceFormValues = {
  item: "server" | "backups" | "ipv4";
  /** "" = every region without a rule of its own. */
  region: string;
  mode: "markup" | "fixed";
  markupPercent: string;
  hourlyPrice: string;
  monthlyPrice: string;
  when: "now" | "later";
  /** A `datetime-local` value (local time), used when `when` is "later". */
  effectiveAt: string;
};

export const emptyPriceForm = (item: PriceFormValues["item"] = "server"): PriceFormValues => ({
  item,
  region: "",
  mode: item === "ipv4" ? "fixed" : "markup",
  markupPercent: "",
  hourlyPrice: "",
  monthlyPrice: "",
  when: "now",
  effectiveAt: "",
});

const MARKUP_RE = /^-?\d+(\.\d{1,2})?$/;

export function validatePriceForm(v: PriceFormValues, currency: string, opts: { now?: Date; providerPriced?: boolean } = {}): Record<string, string> {
  const e: Record<string, string> = {};
  const now = opts.now ?? new Date();
  if (v.mode === "markup") {
    if (v.item === "ipv4" || opts.providerPriced === false) {
      e.mode = "The provider's catalogue has no price for this, so a markup has nothing to apply to: set a fixed price";
    }
    const s = v.markupPercent.trim();
    if (!s) e.markupPercent = "Enter the markup in percent, e.g. 25";
    else if (!MARKUP_RE.test(s)) e.markupPercent = "Write a percentage with at most two decimals, e.g. 25 or 12.75";
    else {
      const d = parseDecimal(s)!;
      if (compareDecimal(d, parseDecimal(MIN_MARKUP)!) < 0 || compareDecimal(d, parseDecimal(MAX_MARKUP)!) > 0) {
        e.markupPercent = `A markup is between ${MIN_MARKUP} % and ${MAX_MARKUP} %`;
      }
    }
  } else {
    const digits = currencyDigits(currency);
    const h = v.hourlyPrice.trim();
    if (!h) e.hourlyPrice = "Enter the hourly price";
    else if (!isPriceInput(h, 6)) e.hourlyPrice = "Enter an amount like 0.018 (up to 6 decimals)";
    else if (/^[0.]+$/.test(h)) e.hourlyPrice = "A fixed hourly price must be more than zero";
    const m = v.monthlyPrice.trim();
    if (!m) e.monthlyPrice = "Enter the monthly price (the cap)";
    else if (!isPriceInput(m, digits)) e.monthlyPrice = digits ? `Enter an amount like 12.00 (up to ${digits} decimals)` : "Enter a whole amount";
    else if (/^[0.]+$/.test(m)) e.monthlyPrice = "A fixed monthly price must be more than zero";
  }
  if (v.when === "later") {
    const t = v.effectiveAt ? new Date(v.effectiveAt) : null;
    if (!t || Number.isNaN(t.getTime())) e.effectiveAt = "Choose when the new price starts";
    else if (t.getTime() <= now.getTime()) e.effectiveAt = "The start is in the past: choose a later time, or Now";
    else if (t.getTime() > now.getTime() + MAX_SCHEDULE_DAYS * 86_400_000) e.effectiveAt = "A price can be scheduled at most two years ahead";
  }
  return e;
}

/** The backend's input for a valid form. */
export function toPriceVersionInput(v: PriceFormValues) {
  return {
    item: v.item,
    region: v.region || null,
    mode: v.mode,
    markupPercent: v.mode === "markup" ? v.markupPercent.trim() : null,
    hourlyPrice: v.mode === "fixed" ? v.hourlyPrice.trim() : null,
    monthlyPrice: v.mode === "fixed" ? v.monthlyPrice.trim() : null,
    effectiveFrom: v.when === "later" && v.effectiveAt ? new Date(v.effectiveAt).toISOString() : null,
  };
}

function divRoundHalfAway(n: bigint, d: bigint): bigint {
  const q = n / d;
  const r = n % d;
  const twice = (r < 0n ? -r : r) * 2n;
  return twice >= d ? q + (n < 0n ? -1n : 1n) : q;
}

/**
 * The customer's price under a markup, computed as the backend does
 * (cs_core::pricing::resolve): hourly rounded half away from zero to a
 * micro-unit, monthly to the currency's minor unit. Null for bad input.
 *
 * A copy of the backend's rule, kept on purpose: the price form previews the
 * price on every keystroke, without a round trip. It is only a preview — the
 * backend computes the price it stores — and price-form.test.ts checks it
 * against the cases cs-core's own test uses (crates/cs-core/src/pricing_cases.json).
 */
export function applyMarkup(provider: { hourly: string; monthly: string }, markupPercent: string, currency: string): { hourly: string; monthly: string } | null {
  const pct = parseDecimal(markupPercent.trim());
  const h = parseDecimal(provider.hourly);
  const m = parseDecimal(provider.monthly);
  if (!pct || !h || !m || pct.scale > 2 || h.scale > 6) return null;
  const bp = pct.units * 10n ** BigInt(2 - pct.scale);
  if (bp <= -10_000n) return null;
  const factor = 10_000n + bp;
  const toMicros = (d: { units: bigint; scale: number }) => d.units * 10n ** BigInt(6 - d.scale);
  const hourly = divRoundHalfAway(toMicros(h) * factor, 10_000n);
  const monthlyMicros = divRoundHalfAway(toMicros(m) * factor, 10_000n);
  const digits = currencyDigits(currency);
  const monthlyMinor = divRoundHalfAway(monthlyMicros, 10n ** BigInt(6 - digits));
  return {
    hourly: decimalToString({ units: hourly, scale: 6 }, digits),
    monthly: decimalToString({ units: monthlyMinor, scale: digits }, digits),
  };
}
