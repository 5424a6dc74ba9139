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

/// Trims and checks a required, bounded, single-line text.
pub fn required_text(
    errors: &mut ValidationErrors,
    field: &str,
    label: &str,
    value: &str,
    max: usize,
) -> String {
    let v = value.trim().to_string();
    if v.is_empty() {
        errors.add(field, format!("{label} is required"));
    } else if v.chars().count() > max {
        errors.add(
            field,
            format!("{label} is too long: at most {max} characters"),
        );
    } else if v.chars().any(|c| c.is_control()) {
        errors.add(field, format!("{label} must be a single line of text"));
    }
    v
}

/// A pragmatic email check: one `@`, a dotted domain, no spaces. Delivery is
/// the real test; this catches typos before they are stored.
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
}
