// The Branding form's checks (the backend checks again and has the last word).
import type { BrandingInput } from "@/bindings";

export const BRANDING_FIELDS = [
  "legalName", "addressLines", "postalCode", "city", "country", "taxId", "registrationId", "peppolId", "email", "phone", "website", "accent",
  "bankIban", "bankBic", "bankHolder", "paymentInstructions", "footerNote", "logo",
] as const;
export const LOGO_MAX_BYTES = 1024 * 1024;

/** `#rgb` or `#rrggbb` → `#rrggbb` in lower case; null when it is not a colour. */
export function normalizeAccent(s: string): string | null {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(s.trim());
  if (!m) return null;
  const hex = m[1].length === 3 ? [...m[1]].map((c) => c + c).join("") : m[1];
  return `#${hex.toLowerCase()}`;
}

/** Field errors of the form, keyed like the backend's. */
export function brandingErrors(v: BrandingInput): Record<string, string> {
  const e: Record<string, string> = {};
  if (!v.legalName.trim()) e.legalName = "The legal name is required: it heads every document";
  else if (v.legalName.trim().length > 120) e.legalName = "At most 120 characters";
  const lines = v.addressLines.split("\n").map((l) => l.trim()).filter(Boolean);
  if (lines.length > 4) e.addressLines = "Use at most 4 address lines (street and number, building, region)";
  if (v.postalCode.trim() && !/^[\p{L}\p{N} -]{1,16}$/u.test(v.postalCode.trim())) e.postalCode = "Letters, digits, spaces and dashes, at most 16";
  if (v.city.trim().length > 60) e.city = "At most 60 characters";
  if (v.peppolId.trim() && !/^\d{4}\s*:\s*\S+$/.test(v.peppolId.trim())) e.peppolId = "Write the scheme code, a colon and the identifier, e.g. 0192:995525828";
  if (v.bankIban.trim() && !/^[A-Za-z]{2}\d{2}[A-Za-z0-9 ]{11,40}$/.test(v.bankIban.trim())) e.bankIban = "Write the IBAN with its country code and check digits, e.g. NO93 8601 1117 947";
  if (v.bankBic.trim() && !/^[A-Za-z]{6}[A-Za-z0-9]{2}([A-Za-z0-9]{3})?$/.test(v.bankBic.trim())) e.bankBic = "A BIC has 8 or 11 letters and digits, e.g. DNBANOKKXXX";
  if (!/^[A-Za-z]{2}$/.test(v.country.trim())) e.country = "Choose the country of your address";
  if (v.email.trim() && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v.email.trim())) e.email = "Enter an e-mail address like billing@example.com";
  if (v.phone.trim() && !/^[0-9 +\-()./]{3,30}$/.test(v.phone.trim())) e.phone = "Digits, spaces and + - ( ) . / only";
  if (v.website.trim() && (/\s/.test(v.website.trim()) || !v.website.includes("."))) e.website = "Enter a web address like www.example.com";
  if (!normalizeAccent(v.accent)) e.accent = "Write the colour as #rrggbb, e.g. #2563eb";
  if (v.paymentInstructions.trim().length > 600) e.paymentInstructions = "At most 600 characters";
  if (v.footerNote.includes("\n")) e.footerNote = "One line only";
  else if (v.footerNote.trim().length > 90) e.footerNote = "At most 90 characters";
  return e;
}

/** What the upload control says about a file before sending it (by content, not name). */
export function logoFileProblem(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return "The file is empty: choose a PNG or JPEG image";
  if (bytes.length > LOGO_MAX_BYTES) return `The file is ${Math.ceil(bytes.length / 1024)} KB: a logo may be at most ${LOGO_MAX_BYTES / 1024} KB`;
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((b, i) => bytes[i] === b);
  const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  if (!png && !jpeg) return "This file is not a PNG or JPEG image: choose a .png or .jpg file";
  return null;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let s = "";
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) s += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(s);
}

/** The input sent to the backend: trimmed, accent normalized. */
export function brandingInput(v: BrandingInput): BrandingInput {
  return {
    ...v,
    legalName: v.legalName.trim(),
    addressLines: v.addressLines.split("\n").map((l) => l.trim()).filter(Boolean).join("\n"),
    country: v.country.trim().toUpperCase(),
    taxId: v.taxId.trim(),
    postalCode: v.postalCode.trim(),
    city: v.city.trim(),
    registrationId: v.registrationId.trim(),
    peppolId: v.peppolId.trim(),
    bankIban: v.bankIban.trim(),
    bankBic: v.bankBic.trim(),
    bankHolder: v.bankHolder.trim(),
    email: v.email.trim(),
    phone: v.phone.trim(),
    website: v.website.trim(),
    accent: normalizeAccent(v.accent) ?? v.accent.trim(),
    paymentInstructions: v.paymentInstructions.trim(),
    footerNote: v.footerNote.trim(),
  };
}
