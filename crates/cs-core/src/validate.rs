//! Validation errors that name the field they concern, so every shell can put
//! the message next to the right input.

use std::fmt;

use serde::Serialize;

mod party_ids;
pub use party_ids::{
    check_participant_id, check_vat_id, ParticipantId, VatId, EAS_CODES, VAT_CHECK_DIGIT_COUNTRIES,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationError {
    /// The input's name as the UI knows it, e.g. `contact_email`.
    pub field: String,
    pub message: String,
}

/// One or more validation errors; never empty when returned as an error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ValidationErrors(pub Vec<ValidationError>);

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut e = Self::new();
        e.add(field, message);
        e
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(ValidationError {
            field: field.to_string(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was added, the errors otherwise.
    pub fn into_result<T>(self, value: T) -> Result<T, ValidationErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|e| e.message.clone()).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for ValidationErrors {}

/// The longest name of a person, an organization or a plan.
pub const MAX_NAME_CHARS: usize = 120;
/// The longest short label: a reference, a reason, a title.
pub const MAX_LABEL_CHARS: usize = 200;
/// The longest free note (it is printed on documents).
pub const MAX_NOTE_CHARS: usize = 1_000;
/// The longest email address SMTP carries (RFC 5321 path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// Characters no name or label may hold: control characters (Unicode Cc),
/// invisible format characters (Cf: zero-width spaces and joiners,
/// directional overrides and isolates, the byte-order mark, soft hyphens)
/// and the line and paragraph separators. They make two names that look the
/// same differ, or reorder what a reader sees.
pub fn is_invisible_or_control(c: char) -> bool {
    // Cf as of Unicode 15.0.
    const FORMAT: &[(u32, u32)] = &[
        (0x00AD, 0x00AD),
        (0x0600, 0x0605),
        (0x061C, 0x061C),
        (0x06DD, 0x06DD),
        (0x070F, 0x070F),
        (0x0890, 0x0891),
        (0x08E2, 0x08E2),
        (0x180E, 0x180E),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x2064),
        (0x2066, 0x206F),
        (0xFEFF, 0xFEFF),
        (0xFFF9, 0xFFFB),
        (0x110BD, 0x110BD),
        (0x110CD, 0x110CD),
        (0x13430, 0x1343F),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0001, 0xE0001),
        (0xE0020, 0xE007F),
    ];
    let u = u32::from(c);
    c.is_control()
        || c == '\u{2028}'
        || c == '\u{2029}'
        || FORMAT.iter().any(|(lo, hi)| (*lo..=*hi).contains(&u))
}

/// Checks a trimmed text against the shared rule: at most `max` characters,
/// nothing invisible, one line unless `lines` (then `\n` is allowed and
/// `\r\n` becomes `\n`). Returns the text as it is kept.
fn check_text(
    errors: &mut ValidationErrors,
    field: &str,
    label: &str,
    value: &str,
    max: usize,
    lines: bool,
) -> String {
    let v = if lines {
        value.trim().replace("\r\n", "\n")
    } else {
        value.trim().to_string()
    };
    if v.chars().count() > max {
        errors.add(
            field,
            format!("{label} is too long: at most {max} characters"),
        );
    } else if !lines && v.contains(['\n', '\r']) {
        errors.add(field, format!("{label} must be a single line of text"));
    } else if v
        .chars()
        .any(|c| is_invisible_or_control(c) && !(lines && c == '\n'))
    {
        errors.add(
            field,
            format!("{label} contains a control or invisible character (such as a zero-width space or a direction override): retype it as plain text"),
        );
    }
    v
}

/// Trims and checks a required, bounded, single-line text.
pub fn required_text(
    errors: &mut ValidationErrors,
    field: &str,
    label: &str,
    value: &str,
    max: usize,
) -> String {
    if value.trim().is_empty() {
        errors.add(field, format!("{label} is required"));
        return String::new();
    }
    check_text(errors, field, label, value, max, false)
}

/// Trims and checks an optional, bounded, single-line text: `None` when
/// empty.
pub fn optional_text(
    errors: &mut ValidationErrors,
    field: &str,
    label: &str,
    value: &str,
    max: usize,
) -> Option<String> {
    let v = check_text(errors, field, label, value, max, false);
    (!v.is_empty()).then_some(v)
}

/// Trims and checks an optional, bounded note that may hold line breaks:
/// `None` when empty.
pub fn optional_note(
    errors: &mut ValidationErrors,
    field: &str,
    label: &str,
    value: &str,
    max: usize,
) -> Option<String> {
    let v = check_text(errors, field, label, value, max, true);
    (!v.is_empty()).then_some(v)
}

/// The mailer's own address parser (`cs_mail::check_address`), passed in by
/// the caller: an address accepted at input is one the mailer can send to.
/// The core reads no mail library; it only names the rule.
pub type AddressParser = fn(&str) -> Result<(), String>;

/// Trims, lowercases and checks a required email address: bounded,
/// plausible (a dotted domain) and accepted by the mailer's parser.
pub fn email(
    errors: &mut ValidationErrors,
    field: &str,
    label: &str,
    value: &str,
    parser: AddressParser,
) -> String {
    let v = value.trim().to_lowercase();
    if v.is_empty() {
        errors.add(field, format!("{label} is required"));
    } else if v.chars().count() > MAX_EMAIL_CHARS {
        errors.add(
            field,
            format!("{label} is too long: at most {MAX_EMAIL_CHARS} characters"),
        );
    } else if !is_plausible_email(&v) || v.chars().any(is_invisible_or_control) {
        errors.add(
            field,
            format!(
                "{:?} is not a valid email address: check for typos, e.g. name@example.com",
                value.trim()
            ),
        );
    } else if let Err(why) = parser(&v) {
        errors.add(
            field,
            format!(
                "{:?} cannot be sent to ({why}): check for typos, e.g. name@example.com",
                value.trim()
            ),
        );
    }
    v
}

/// As [`email`], for an address that may be left empty: `None` when empty.
pub fn optional_email(
    errors: &mut ValidationErrors,
    field: &str,
    label: &str,
    value: &str,
    parser: AddressParser,
) -> Option<String> {
    if value.trim().is_empty() {
        return None;
    }
    Some(email(errors, field, label, value, parser))
}

/// A pragmatic email check: one `@`, a dotted domain, no spaces. Delivery is
/// the real test; this catches typos before they are stored. Input goes
/// through [`email`], which adds the mailer's parser.
pub fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && domain.len() <= 253
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && email.chars().all(|c| !c.is_whitespace() && !c.is_control())
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(is_plausible_email("zoe@example.com"));
        assert!(is_plausible_email("a.b+c@sub.example.co"));
        for bad in [
            "",
            "zoe",
            "zoe@",
            "@example.com",
            "zoe@example",
            "zo e@example.com",
            "a@b@c.com",
            "a@.com",
            "a@b..com",
        ] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
    }

    #[test]
    fn required_text_trims_and_bounds() {
        let mut e = ValidationErrors::new();
        assert_eq!(
            required_text(&mut e, "name", "Name", "  Acme  ", 10),
            "Acme"
        );
        assert!(e.is_empty());
        required_text(&mut e, "name", "Name", "   ", 10);
        required_text(&mut e, "name", "Name", "x".repeat(11).as_str(), 10);
        assert_eq!(e.0.len(), 2);
        assert_eq!(e.0[0].message, "Name is required");
    }

    #[test]
    fn names_refuse_invisible_and_control_characters() {
        for bad in [
            "Acme\u{200b}",         // zero-width space
            "Acme\u{202e}gnitsoH",  // right-to-left override
            "Ac\u{2066}me\u{2069}", // isolates
            "Acme\u{2028}Hosting",  // line separator
            "Acme\u{2029}Hosting",  // paragraph separator
            "Ac\u{feff}me",         // byte-order mark
            "Ac\u{ad}me",           // soft hyphen
            "Acme\tHosting",
            "Acme\nHosting",
            "Acme\u{7}",
            "Acme\u{e0041}", // tag character
        ] {
            let mut e = ValidationErrors::new();
            required_text(&mut e, "name", "Name", bad, 80);
            assert_eq!(e.0.len(), 1, "{bad:?}");
            let mut e = ValidationErrors::new();
            optional_text(&mut e, "name", "Name", bad, 80);
            assert_eq!(e.0.len(), 1, "{bad:?}");
        }
        let mut e = ValidationErrors::new();
        for good in [
            "Acme Hosting",
            "王小明有限公司",
            "Zoë Ørsted-Ñúñez",
            "שלום",
            "مرحبا",
        ] {
            required_text(&mut e, "name", "Name", good, 80);
        }
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn notes_are_bounded_and_keep_only_line_breaks() {
        let mut e = ValidationErrors::new();
        assert_eq!(
            optional_note(&mut e, "note", "Note", " paid\r\nin cash ", 100),
            Some("paid\nin cash".into())
        );
        assert_eq!(optional_note(&mut e, "note", "Note", "  ", 100), None);
        assert!(e.is_empty());
        optional_note(&mut e, "note", "Note", &"x".repeat(101), 100);
        optional_note(&mut e, "note", "Note", "bell\u{7}", 100);
        optional_note(&mut e, "note", "Note", "tab\there", 100);
        optional_note(&mut e, "note", "Note", "rlo\u{202e}", 100);
        assert_eq!(e.0.len(), 4, "{e:?}");
        assert!(e.0[0].message.contains("at most 100 characters"));
    }

    fn accept_all(_: &str) -> Result<(), String> {
        Ok(())
    }

    fn refuse_quotes(a: &str) -> Result<(), String> {
        if a.contains('"') {
            Err("quoted".into())
        } else {
            Ok(())
        }
    }

    #[test]
    fn emails_at_input_are_trimmed_lowercased_and_parsed_by_the_mailer() {
        let mut e = ValidationErrors::new();
        assert_eq!(
            email(&mut e, "email", "Email", " Zoe@Example.COM ", accept_all),
            "zoe@example.com"
        );
        assert_eq!(
            optional_email(&mut e, "email", "Email", " ", accept_all),
            None
        );
        assert!(e.is_empty());
        email(&mut e, "email", "Email", "", accept_all);
        email(&mut e, "email", "Email", "zoe@example", accept_all);
        email(
            &mut e,
            "email",
            "Email",
            "zo\u{200b}e@example.com",
            accept_all,
        );
        email(
            &mut e,
            "email",
            "Email",
            "\"zoe\"@example.com",
            refuse_quotes,
        );
        email(
            &mut e,
            "email",
            "Email",
            &format!("{}@example.com", "a".repeat(250)),
            accept_all,
        );
        let fields: Vec<_> = e.0.iter().map(|x| x.message.as_str()).collect();
        assert_eq!(fields.len(), 5, "{fields:?}");
        assert!(
            fields[3].contains("cannot be sent to (quoted)"),
            "{fields:?}"
        );
    }
}
