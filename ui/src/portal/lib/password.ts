// The portal's password rules (API.md): 12–200 characters, not one
// character repeated, not the email address. The server checks them too;
// these are the hints shown while typing.

export const MIN_LENGTH = 12;
export const MAX_LENGTH = 200;

/** `ok` is null for a rule that cannot be checked here (the email of a reset link is not known). */
export type Rule = { id: "length" | "varied" | "notEmail"; label: string; ok: boolean | null };

export function passwordRules(password: string, email?: string): Rule[] {
  const chars = [...password];
  const lower = password.trim().toLowerCase();
  return [
    {
      id: "length",
      label: chars.length > MAX_LENGTH ? `At most ${MAX_LENGTH} characters` : `At least ${MIN_LENGTH} characters`,
      ok: chars.length >= MIN_LENGTH && chars.length <= MAX_LENGTH,
    },
    { id: "varied", label: "Not one character repeated", ok: chars.length > 0 && new Set(chars).size > 1 },
    { id: "notEmail", label: "Not your email address", ok: email === undefined ? null : chars.length > 0 && lower !== email.trim().toLowerCase() },
  ];
}

/** The first broken rule as a message for the field, or undefined when all hold. */
export function passwordProblem(password: string, email?: string): string | undefined {
  const broken = passwordRules(password, email).find((r) => r.ok === false);
  if (!broken) return undefined;
  switch (broken.id) {
    case "length":
      return [...password].length > MAX_LENGTH
        ? `Use at most ${MAX_LENGTH} characters`
        : `Use at least ${MIN_LENGTH} characters (${[...password].length} so far)`;
    case "varied":
      return "Use more than one character";
    case "notEmail":
      return "Use something other than your email address";
  }
}

export type Strength = { score: 0 | 1 | 2 | 3 | 4; label: string };

/**
 * A rough strength hint: length counts most, then the kinds of character.
 * It only nudges; the rules above are what the portal enforces.
 */
export function passwordStrength(password: string): Strength {
  const n = [...password].length;
  if (n === 0) return { score: 0, label: "" };
  const kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(password)).length;
  const distinct = new Set(password).size;
  let score = n < MIN_LENGTH ? 0 : n < 16 ? 1 : n < 20 ? 2 : 3;
  if (n >= MIN_LENGTH && kinds >= 3) score += 1;
  if (distinct < 5) score = Math.min(score, 1);
  const s = Math.max(0, Math.min(4, score)) as Strength["score"];
  return { score: s, label: ["Too short", "Weak", "Fair", "Good", "Strong"][s] };
}
