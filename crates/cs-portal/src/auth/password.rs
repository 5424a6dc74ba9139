//! Passwords: argon2id hashes with OWASP's parameters (19 MiB, 2 passes, one
//! lane), the rules a new password must meet, and a dummy hash that an
//! unknown email is checked against, so that "no such account" costs exactly
//! the work of "wrong password".

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// OWASP's recommendation for argon2id (Password Storage Cheat Sheet):
/// m = 19 MiB, t = 2, p = 1.
fn argon2() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19 * 1024, 2, 1, None).expect("OWASP's argon2 parameters are valid"),
    )
}

/// Hashes a new password (PHC string: `$argon2id$v=19$m=19456,t=2,p=1$…`).
pub fn hash(password: &str) -> String {
    use rand::RngCore;
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2id hashes any password up to 200 characters")
        .to_string()
}

/// Checks `password` against a stored hash; `None` checks it against the
/// dummy hash and answers `false` after the same work.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (dummy(), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        tracing::error!("a stored password hash is not a PHC string");
        return false;
    };
    argon2()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        && real
}

/// A hash of a random password, made once per process with the same
/// parameters as real ones.
fn dummy() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash(&crate::storage::new_token().0))
}

/// The rules of API.md: 12–200 characters, not one character repeated, not
/// the email address. Returns what is wrong, in words.
pub fn check_new(password: &str, email: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < 12 {
        return Err("use at least 12 characters".into());
    }
    if n > 200 {
        return Err("use at most 200 characters".into());
    }
    let mut chars = password.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Err("use more than one different character".into());
    }
    if password.trim().eq_ignore_ascii_case(email.trim()) {
        return Err("do not use your email address as the password".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let h = hash("correct horse battery");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", Some(&h)));
        assert!(!verify("correct horse batterz", Some(&h)));
        assert!(!verify("correct horse battery", None));
        assert_ne!(h, hash("correct horse battery"), "salted");
    }

    #[test]
    fn new_passwords_follow_the_rules() {
        assert!(check_new("short", "a@b.c").is_err());
        assert!(check_new("aaaaaaaaaaaaaa", "a@b.c").is_err());
        assert!(check_new(&"ab".repeat(101), "a@b.c").is_err());
        assert!(check_new("Ada@Example.com", "ada@example.com").is_err());
        assert!(check_new("a long enough passphrase", "a@b.c").is_ok());
    }
}
