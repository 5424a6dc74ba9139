// Root password rules (cs-core's validate_root_password, Linode's rule):
// 11–128 characters with at least three of lower case, upper case, digits, punctuation.

export type Strength = { score: 0 | 1 | 2 | 3; label: string; ok: boolean; hint: string };

export function passwordStrength(pw: string): Strength {
  if (!pw) return { score: 0, label: "", ok: false, hint: "11–128 characters with three of: lower case, upper case, digits, punctuation" };
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(pw)).length;
  const len = [...pw].length;
  if (len < 11) return { score: 1, label: "Too short", ok: false, hint: `${11 - len} more character${11 - len === 1 ? "" : "s"} needed` };
  if (len > 128) return { score: 1, label: "Too long", ok: false, hint: "At most 128 characters" };
  if (classes < 3) return { score: 1, label: "Weak", ok: false, hint: "Mix in three of: lower case, upper case, digits, punctuation" };
  if (len >= 16 && classes === 4) return { score: 3, label: "Strong", ok: true, hint: "A good password" };
  return { score: 2, label: "Fair", ok: true, hint: "Accepted; longer is stronger" };
}

const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_.!@#%+=";

/** A random password that passes the rule, from the platform's CSPRNG. */
export function generatePassword(length = 20): string {
  for (;;) {
    const bytes = new Uint32Array(length);
    crypto.getRandomValues(bytes);
    const pw = Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join("");
    if (passwordStrength(pw).score === 3) return pw;
  }
}

export function looksLikeSshKey(key: string): boolean {
  const k = key.trim();
  if (!k || k.includes("\n")) return false;
  const [kind = "", body = ""] = k.split(/\s+/);
  return ["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com"].includes(kind) && /^[A-Za-z0-9+/=]{60,}$/.test(body);
}

const LABEL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9]|[-_.](?=[A-Za-z0-9]))*$/;

export function labelError(label: string): string | null {
  const l = label.trim();
  if (!l) return "Label is required";
  if (l.length < 3 || l.length > 64) return "Label must be 3–64 characters long";
  if (!LABEL_RE.test(l)) return "Use letters, digits, '-', '_' and '.', starting and ending with a letter or digit";
  return null;
}
