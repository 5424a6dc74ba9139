// Dates, sizes and rates for display. Timestamps arrive as RFC 3339 strings.

// Making an Intl formatter costs far more than using one (a list's page
// formats hundreds of cells), so each is made once per locale and options.
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat>();

function memo<F extends Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat>(kind: string, locale: string | undefined, options: object, make: () => F): F {
  const key = `${kind}|${locale ?? ""}|${JSON.stringify(options)}`;
  let f = formatters.get(key) as F | undefined;
  if (!f) {
    f = make();
    formatters.set(key, f);
  }
  return f;
}

/** `new Intl.NumberFormat(locale, options)`, made once (it throws as that would, e.g. for an unknown currency). */
export function numberFormat(locale: string | undefined, options: Intl.NumberFormatOptions = {}): Intl.NumberFormat {
  return memo("n", locale, options, () => new Intl.NumberFormat(locale, options));
}

/** `new Intl.DateTimeFormat(locale, options)`, made once. */
export function dateTimeFormat(locale: string | undefined, options: Intl.DateTimeFormatOptions = {}): Intl.DateTimeFormat {
  return memo("d", locale, options, () => new Intl.DateTimeFormat(locale, options));
}

function relativeTimeFormat(locale: string | undefined, options: Intl.RelativeTimeFormatOptions): Intl.RelativeTimeFormat {
  return memo("r", locale, options, () => new Intl.RelativeTimeFormat(locale, options));
}

export function formatDateTime(iso: string, locale?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return dateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(d);
}

export function formatDate(iso: string, locale?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return dateTimeFormat(locale, { dateStyle: "medium" }).format(d);
}

/** "3 min ago", "yesterday", … relative to now. */
export function formatRelative(iso: string, now: Date = new Date(), locale?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const s = Math.round((d.getTime() - now.getTime()) / 1000);
  const rtf = relativeTimeFormat(locale, { numeric: "auto" });
  const abs = Math.abs(s);
  if (abs < 45) return rtf.format(0, "second") === "now" ? "just now" : rtf.format(s, "second");
  if (abs < 45 * 60) return rtf.format(Math.round(s / 60), "minute");
  if (abs < 22 * 3600) return rtf.format(Math.round(s / 3600), "hour");
  if (abs < 26 * 86400) return rtf.format(Math.round(s / 86400), "day");
  return formatDate(iso, locale);
}

/**
 * The locale numbers are written in: `locale`, else the user's. A "C" or
 * POSIX environment (LANG=C.UTF-8, common on servers and minimal desktops)
 * makes WebKit's default en-US-u-va-posix, which writes 30000 without
 * grouping; people read "30,000", so it is written as plain English then.
 */
export function numberLocale(locale?: string): string | undefined {
  try {
    const resolved = numberFormat(locale).resolvedOptions().locale;
    return /posix/i.test(resolved) ? "en" : locale;
  } catch {
    return undefined;
  }
}

/** A count with the locale's digit grouping: 30000 → "30,000" (en). */
export function formatCount(n: number, locale?: string): string {
  return numberFormat(numberLocale(locale), { maximumFractionDigits: 0 }).format(n);
}

/** A size in bytes for people: "950 B", "3.5 MB" (powers of 1000, as file managers show them). */
export function formatBytes(bytes: number, locale?: string): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  return `${numberFormat(numberLocale(locale), { maximumFractionDigits: i === 0 ? 0 : 1, minimumFractionDigits: i === 0 ? 0 : 1 }).format(v)} ${units[i]}`;
}

export function formatMemory(mb: number): string {
  return mb >= 1024 ? `${+(mb / 1024).toFixed(1)} GB` : `${mb} MB`;
}

export function formatBits(bitsPerS: number): string {
  const units = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s"];
  let v = bitsPerS;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  const digits = v === 0 || v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${+v.toFixed(digits)} ${units[i]}`;
}

let regionNames: Intl.DisplayNames | null | undefined;

/** "DE" → "Germany" (falls back to the code). */
export function countryName(code: string): string {
  if (regionNames === undefined) {
    try {
      regionNames = new Intl.DisplayNames(["en"], { type: "region" });
    } catch {
      regionNames = null;
    }
  }
  try {
    return regionNames?.of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

/** ISO 3166-1 alpha-2 codes the backend accepts (cs-core's list). */
export const COUNTRY_CODES =
  "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW".split(
    " ",
  );

export function sortedCountries(): { code: string; name: string }[] {
  return COUNTRY_CODES.map((code) => ({ code, name: countryName(code) })).sort((a, b) => a.name.localeCompare(b.name));
}
