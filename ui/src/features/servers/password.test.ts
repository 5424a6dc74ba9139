import { describe, expect, it } from "vitest";
import { generatePassword, labelError, looksLikeSshKey, passwordStrength } from "./password";

describe("root password hint (the backend's rule, Linode's: 11–128 characters, not only a pattern)", () => {
  it("grades passwords", () => {
    expect(passwordStrength("").ok).toBe(false);
    expect(passwordStrength("Ab1!").label).toBe("Too short");
    expect(passwordStrength("abcdefghijkl").label).toBe("Weak");
    expect(passwordStrength("abcdefghijK1")).toMatchObject({ label: "Fair", ok: true });
    expect(passwordStrength("correct-Horse-battery-9")).toMatchObject({ label: "Strong", ok: true });
  });

  it("accepts what Linode accepts, whatever the character classes", () => {
    // The same lists as cs-core's and the fake Linode's tests.
    for (const ok of ["Correct-Horse-9", "alllowercaseletters", "kqzvwmtrhxb", "correct horse battery", "abcdefghijk1", "aaaaaaaaaab", "12345678901x", "Ærøskøbing1", "x".repeat(64) + "y".repeat(64)]) {
      expect(passwordStrength(ok).ok, ok).toBe(true);
    }
    for (const bad of ["short", "short-pw", "ÆØÅæøå", "1111111111111", "xyzabcdefgh", "ZYXWVUTSRQP", "0123456789012", "mnbvcxzlkjhg", "ab1ab1ab1ab1", "x".repeat(129)]) {
      expect(passwordStrength(bad).ok, bad).toBe(false);
    }
    // Characters (code points, as Rust counts), not UTF-16 units: eleven emoji are eleven characters.
    expect(passwordStrength("🔑🐧🚀🌍🎉").ok).toBe(false);
    expect(passwordStrength("🔑🐧🚀🌍🎉🦀🍕🎲🧩🛠🦊").ok).toBe(true);
  });

  it("generates strong passwords", () => {
    for (let i = 0; i < 20; i++) expect(passwordStrength(generatePassword()).label).toBe("Strong");
  });
});

describe("label and SSH key checks", () => {
  it("accepts Linode-style labels", () => {
    expect(labelError("web-01")).toBeNull();
    expect(labelError("db.eu_1")).toBeNull();
    expect(labelError("ab")).toMatch(/3–64/);
    expect(labelError("-web")).not.toBeNull();
    expect(labelError("web--01")).not.toBeNull();
    expect(labelError("web 01")).not.toBeNull();
  });

  it("recognises one OpenSSH public key line", () => {
    expect(looksLikeSshKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHnq0+N3hQyU5mJv4kS7bq9d7mYk3nR2lqgS2ab3cd4e you@laptop")).toBe(true);
    expect(looksLikeSshKey("ssh-ed25519 AAAA")).toBe(false);
    expect(looksLikeSshKey("-----BEGIN OPENSSH PRIVATE KEY-----")).toBe(false);
  });
});
