//! TOTP (RFC 6238): HMAC-SHA-1 over 30-second steps, 6 digits, a code of the
//! step before or after accepted for clock drift. Replay protection lives in
//! the account (the last accepted step, see [`crate::storage::accounts`]):
//! this module only computes and compares codes.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Bytes of a new secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;

/// The step `unix_seconds` falls in.
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The code of `step` with `digits` digits (RFC 4226's dynamic truncation).
pub fn code(secret: &[u8], step: i64, digits: u32) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let bin = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    let value = bin % 10u32.pow(digits);
    format!("{value:0width$}", width = digits as usize)
}

/// The step (within one of `now_step`) whose code `given` is, if any. The
/// comparison does not stop at the first differing digit.
pub fn matching_step(secret: &[u8], given: &str, now_step: i64) -> Option<i64> {
    let given: String = given.chars().filter(|c| !c.is_whitespace()).collect();
    if given.len() != DIGITS as usize || !given.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut found = None;
    for step in [now_step - 1, now_step, now_step + 1] {
        let expected = code(secret, step, DIGITS);
        let same = expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
        if same && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// A new random secret.
pub fn new_secret() -> Vec<u8> {
    use rand::RngCore;
    let mut s = vec![0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut s);
    s
}

/// RFC 4648 base-32 without padding, as authenticator apps expect.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The `otpauth://` URI an authenticator app reads from the QR code.
pub fn uri(secret: &[u8], issuer: &str, account: &str) -> String {
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        enc(issuer),
        enc(account),
        base32(secret),
        enc(issuer)
    )
}

/// The QR code of `uri` as a standalone SVG document.
pub fn qr_svg(uri: &str) -> String {
    let code = qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M)
        .expect("an otpauth URI fits in a QR code");
    code.render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 secret and its 8-digit codes.
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        let vectors = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (t, expected) in vectors {
            assert_eq!(code(secret, step_at(t), 8), expected, "T = {t}");
            // Six digits are the last six of the eight.
            assert_eq!(code(secret, step_at(t), 6), expected[2..], "T = {t}");
        }
    }

    #[test]
    fn codes_of_the_neighbouring_steps_are_accepted_and_no_others() {
        let secret = b"12345678901234567890";
        let now = step_at(1_111_111_111);
        for (delta, ok) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            let c = code(secret, now + delta, 6);
            assert_eq!(
                matching_step(secret, &c, now),
                ok.then_some(now + delta),
                "{delta}"
            );
        }
        assert_eq!(matching_step(secret, "12345", now), None);
        assert_eq!(matching_step(secret, "abcdef", now), None);
        let spaced = code(secret, now, 6);
        let spaced = format!("{} {}", &spaced[..3], &spaced[3..]);
        assert_eq!(matching_step(secret, &spaced, now), Some(now));
    }

    #[test]
    fn base32_follows_rfc_4648() {
        // RFC 4648 §10, without padding.
        for (input, expected) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(input.as_bytes()), expected);
        }
    }

    #[test]
    fn the_uri_names_issuer_and_account_and_the_qr_code_is_svg() {
        let u = uri(b"12345678901234567890", "Acme Cloud", "ada@example.com");
        assert_eq!(
            u,
            "otpauth://totp/Acme%20Cloud:ada%40example%2Ecom?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme%20Cloud&algorithm=SHA1&digits=6&period=30"
        );
        let svg = qr_svg(&u);
        assert!(svg.contains("<svg") && svg.ends_with("</svg>"), "{svg}");
    }
}
