//! What a billing document is. The billing engine issues and numbers them,
//! the invoice renderer prints them; both speak this one type.

use serde::{Deserialize, Serialize};

/// What a document is. The kind decides the number series, the printed
/// title, the UBL root element and the sign of its journal entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// A demand for payment (monthly usage). UBL `Invoice`, type code 380.
    Invoice,
    /// A confirmation that money was received (wallet top-up). No UBL counterpart.
    Receipt,
    /// A correction or refund of an earlier invoice. UBL `CreditNote`, type code 381.
    /// Amounts on a credit note are positive, as printed; the kind carries the direction.
    CreditNote,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 3] = [
        DocumentKind::Invoice,
        DocumentKind::Receipt,
        DocumentKind::CreditNote,
    ];

    /// As stored: `invoice`, `receipt`, `credit_note`.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Invoice => "invoice",
            DocumentKind::Receipt => "receipt",
            DocumentKind::CreditNote => "credit_note",
        }
    }

    pub fn parse(s: &str) -> Option<DocumentKind> {
        DocumentKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The printed title.
    pub fn title(self) -> &'static str {
        match self {
            DocumentKind::Invoice => "Invoice",
            DocumentKind::Receipt => "Receipt",
            DocumentKind::CreditNote => "Credit note",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
        assert_eq!(DocumentKind::parse("quote"), None);
    }
}
