// Root password rule (cs-core's validate_root_password, Linode's rule and no
// stricter): 11–128 characters, counted as characters, not bytes or UTF-16 units,
// and not only a repeat or a run of keys (aaaa, abcd, qwerty), which Linode's
// strength score refuses. Character classes are advice for the meter, not a rule.

export type Strength = { score: 0 | 1 | 2 | 3; label: string; ok: boolean; hint: string };

const RUNS = ["abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiopasdfghjklzxcvbnm"];

/** The whole password is a group of at most three characters repeated, or a run
 * along the alphabet, the digits or a keyboard row (either way, wrapping round). */
export function onlyAPattern(pw: string): boolean {
  const chars = [...pw.toLowerCase()];
  const repeated = [1, 2, 3].some((unit) => chars.every((c, i) => c === chars[i % unit]));
  const text = chars.join("");
  const along = (row: string) => {
    const ring = row.repeat(Math.floor(chars.length / row.length) + 2);
    const back = [...ring].reverse().join("");
    return ring.includes(text) || back.includes(text);
  };
  return repeated || RUNS.some(along);
}

export function passwordStrength(pw: string): Strength {
  if (!pw) return { score: 0, label: "", ok: false, hint: "11–128 characters; a long passphrase or a generated password" };
  const len = [...pw].length;
  if (len < 11) return { score: 1, label: "Too short", ok: false, hint: `${11 - len} more character${11 - len === 1 ? "" : "s"} needed` };
  if (len > 128) return { score: 1, label: "Too long", ok: false, hint: "At most 128 characters" };
  if (onlyAPattern(pw)) return { score: 1, label: "Weak", ok: false, hint: "Only a repeat or a run of keys (like aaaa, abcd or qwerty): the provider refuses it; use a generated one" };
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(pw)).length;
  if (len >= 16 && classes >= 3) return { score: 3, label: "Strong", ok: true, hint: "A good password" };
  return { score: 2, label: "Fair", ok: true, hint: "Accepted; longer and mixed is stronger" };
}

const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_.!@#%+=";

/** A random password that passes the rule, from the platform's CSPRNG. */
export function generatePassword(length = 20): string {
  for (;;) {
    const bytes = new Uint32Array(length);
    crypto.getRandomValues(bytes);
    const pw = Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join("");
    if (passwordStrength(pw).score === 3 && [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].every((r) => r.test(pw))) return pw;
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
