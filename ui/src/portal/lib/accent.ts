// The reseller's accent colour as the UI's primary colour, readable in both
// themes: the text on it is white or near-black, whichever contrasts more,
// and an accent too close to the theme's background is mixed with white (dark
// theme) or ink (light theme) until links in it read at 4.5:1. The colour is the
// reseller's text: anything but `#rrggbb` is ignored.

export type Rgb = [number, number, number];

export function parseHex(hex: string): Rgb | null {
  const m = /^#([0-9a-f]{6})$/i.exec(hex.trim());
  if (!m) return null;
  const n = parseInt(m[1], 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export function toHex([r, g, b]: Rgb): string {
  return "#" + [r, g, b].map((c) => Math.round(c).toString(16).padStart(2, "0")).join("");
}

/** WCAG relative luminance. */
export function luminance([r, g, b]: Rgb): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrast(a: Rgb, b: Rgb): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

const WHITE: Rgb = [255, 255, 255];
const INK: Rgb = [17, 24, 39];
/** The themes' backgrounds (index.css), near enough for contrast. */
const LIGHT_BG: Rgb = [249, 250, 251];
const DARK_BG: Rgb = [24, 26, 33];

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** Moves `c` toward `to` in small steps until it contrasts `bg` by `min` (or reaches `to`). */
function until(c: Rgb, to: Rgb, bg: Rgb, min: number): Rgb {
  let out = c;
  for (let t = 0; t <= 1.0001 && contrast(out, bg) < min; t += 0.05) out = mix(c, to, t);
  return out;
}

export type AccentColours = { primary: string; primaryForeground: string; ring: string };

/** The CSS colours for an accent on a theme; null for an accent that is not `#rrggbb`. */
export function accentColours(accent: string, theme: "light" | "dark"): AccentColours | null {
  const rgb = parseHex(accent);
  if (!rgb) return null;
  // Links use the colour as text on the page: keep it at 4.5:1 (WCAG AA for text).
  const primary = theme === "dark" ? until(rgb, WHITE, DARK_BG, 4.5) : until(rgb, INK, LIGHT_BG, 4.5);
  const fg = contrast(primary, WHITE) >= contrast(primary, INK) ? WHITE : INK;
  return { primary: toHex(primary), primaryForeground: toHex(fg), ring: toHex(primary) };
}
