//! Documents as the customer API shows them, and the mapping of a pushed
//! [`DocumentV1`] to `cs_invoice::Document`, so the portal prints the same
//! PDF and UBL file the desktop prints.

use chrono::NaiveDate;
use cs_invoice as inv;
use cs_sync::record::{
    AddressV1, DocumentKindV1, DocumentV1, PaymentStatusV1, PeriodV1, TaxCategoryV1,
};
use serde::Serialize;

use super::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl From<PeriodV1> for Period {
    fn from(p: PeriodV1) -> Period {
        Period {
            start: p.start,
            end: p.end,
        }
    }
}

/// `DocumentSummary` of API.md.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub id: String,
    pub kind: DocumentKindV1,
    pub number: String,
    pub issue_date: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    pub total: Money,
    /// `paid`, `unpaid` or `voided`.
    pub status: &'static str,
}

pub fn summary(id: &str, d: &DocumentV1) -> Summary {
    let status = if d.voided_by.is_some() {
        "voided"
    } else if matches!(d.payment_status, PaymentStatusV1::Paid { .. }) {
        "paid"
    } else {
        "unpaid"
    };
    Summary {
        id: id.to_string(),
        kind: d.kind,
        number: d.number.clone(),
        issue_date: d.issue_date,
        period: d.period.map(Period::from),
        total: Money::new(d.totals.gross_minor, &d.currency),
        status,
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Line {
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// Hours in thousandths, as a string (720 h = "720000").
    pub hours_milli: String,
    /// Millionths of the currency unit per hour, as a string.
    pub unit_rate_micro: String,
    pub amount: Money,
    pub capped: bool,
    pub tax_category: TaxCategoryV1,
    pub tax_rate_bp: u32,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tax {
    pub category: TaxCategoryV1,
    pub rate_bp: u32,
    pub taxable: Money,
    pub tax: Money,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub net: Money,
    pub tax: Money,
    pub gross: Money,
    pub paid: Money,
    pub due: Money,
}

/// `Document` of API.md: the summary with what the printed document says.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Detail {
    #[serde(flatten)]
    pub summary: Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
    pub seller: String,
    pub buyer: String,
    pub lines: Vec<Line>,
    pub tax_breakdown: Vec<Tax>,
    pub totals: Totals,
    pub reverse_charge: bool,
    pub notes: Vec<String>,
    /// For a credit note: the number of the invoice it corrects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrects: Option<String>,
    /// For a voided invoice: the credit note that voided it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voided_by: Option<String>,
    /// Whether the document has a UBL form (invoices and credit notes).
    pub has_ubl: bool,
}

pub fn detail(id: &str, d: &DocumentV1) -> Detail {
    let m = |minor: i64| Money::new(minor, &d.currency);
    Detail {
        summary: summary(id, d),
        due_date: d.due_date,
        seller: d.seller.name.clone(),
        buyer: d.buyer.organization.clone(),
        lines: d
            .lines
            .iter()
            .map(|l| Line {
                description: l.description.clone(),
                period: l.period.map(Period::from),
                hours_milli: l.hours_milli.to_string(),
                unit_rate_micro: l.unit_rate_micro.to_string(),
                amount: m(l.amount_minor),
                capped: l.capped,
                tax_category: l.tax_category,
                tax_rate_bp: l.tax_rate_bp,
            })
            .collect(),
        tax_breakdown: d
            .tax_breakdown
            .iter()
            .map(|t| Tax {
                category: t.category,
                rate_bp: t.rate_bp,
                taxable: m(t.taxable_minor),
                tax: m(t.tax_minor),
            })
            .collect(),
        totals: Totals {
            net: m(d.totals.net_minor),
            tax: m(d.totals.tax_minor),
            gross: m(d.totals.gross_minor),
            paid: m(d.totals.paid_minor),
            due: m(d.totals.due_minor),
        },
        reverse_charge: d.reverse_charge,
        notes: d.notes.clone(),
        corrects: d.corrects.as_ref().map(|c| c.number.clone()),
        voided_by: d.voided_by.clone(),
        has_ubl: d.kind != DocumentKindV1::Receipt,
    }
}

fn address(a: &AddressV1) -> inv::Address {
    inv::Address {
        lines: a.lines.clone(),
        postal_code: a.postal_code.clone(),
        city: a.city.clone(),
        region: a.region.clone(),
        country: a.country.clone(),
    }
}

fn category(c: TaxCategoryV1) -> inv::TaxCategory {
    match c {
        TaxCategoryV1::Standard => inv::TaxCategory::Standard,
        TaxCategoryV1::ZeroRated => inv::TaxCategory::ZeroRated,
        TaxCategoryV1::Exempt => inv::TaxCategory::Exempt,
        TaxCategoryV1::ReverseCharge => inv::TaxCategory::ReverseCharge,
        TaxCategoryV1::Export => inv::TaxCategory::Export,
        TaxCategoryV1::OutsideScope => inv::TaxCategory::OutsideScope,
    }
}

fn period(p: PeriodV1) -> inv::Period {
    inv::Period {
        start: p.start,
        end: p.end,
    }
}

/// `#rrggbb` to RGB; the desktop's default blue otherwise.
fn rgb(accent: &str) -> [u8; 3] {
    let hex = accent.trim().trim_start_matches('#');
    let byte = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
    };
    match (hex.len(), byte(0), byte(2), byte(4)) {
        (6, Some(r), Some(g), Some(b)) => [r, g, b],
        _ => [37, 99, 235],
    }
}

/// The printable document of a pushed record; `logo` is the PNG of the
/// seller's logo record, when it has one.
pub fn to_invoice(
    d: &DocumentV1,
    logo: Option<Vec<u8>>,
) -> Result<inv::Document, inv::InvoiceError> {
    let s = &d.seller;
    let b = &d.buyer;
    Ok(inv::Document {
        kind: match d.kind {
            DocumentKindV1::Invoice => inv::DocumentKind::Invoice,
            DocumentKindV1::Receipt => inv::DocumentKind::Receipt,
            DocumentKindV1::CreditNote => inv::DocumentKind::CreditNote,
        },
        number: d.number.clone(),
        issue_date: d.issue_date,
        due_date: d.due_date,
        period: d.period.map(period),
        seller: inv::Seller {
            name: s.name.clone(),
            address: address(&s.address),
            tax_id: s.tax_id.clone(),
            registration_id: s.registration_id.clone(),
            email: s.email.clone(),
            phone: s.phone.clone(),
            website: s.website.clone(),
            footer_note: s.footer_note.clone(),
            // As the desktop prints it: the Peppol endpoint it sent, if any
            // (without one the UBL file is refused, as on the desktop).
            electronic_address: s.endpoint.as_ref().map(|e| inv::ElectronicAddress {
                scheme: e.scheme.clone(),
                value: e.id.clone(),
            }),
            logo_png: logo,
            accent_rgb: rgb(&s.accent),
            bank_account: s.bank_account.as_ref().map(|a| inv::BankAccount {
                iban: a.iban.clone(),
                bic: a.bic.clone(),
                holder: a.holder.clone(),
            }),
        },
        buyer: inv::Buyer {
            organization: b.organization.clone(),
            contact: b.contact.clone(),
            address: address(&b.address),
            tax_id: b.tax_id.clone(),
            electronic_address: b.endpoint.as_ref().map(|e| inv::ElectronicAddress {
                scheme: e.scheme.clone(),
                value: e.id.clone(),
            }),
            reference: b.reference.clone(),
        },
        lines: d
            .lines
            .iter()
            .map(|l| inv::Line {
                description: l.description.clone(),
                period: l.period.map(period),
                hours_milli: l.hours_milli,
                unit_rate_micro: l.unit_rate_micro,
                amount_minor: l.amount_minor,
                capped: l.capped,
                tax_category: category(l.tax_category),
                tax_rate_bp: l.tax_rate_bp,
            })
            .collect(),
        tax_breakdown: d
            .tax_breakdown
            .iter()
            .map(|t| inv::TaxBreakdown {
                category: category(t.category),
                rate_bp: t.rate_bp,
                taxable_minor: t.taxable_minor,
                tax_minor: t.tax_minor,
            })
            .collect(),
        totals: inv::Totals {
            net_minor: d.totals.net_minor,
            tax_minor: d.totals.tax_minor,
            gross_minor: d.totals.gross_minor,
            paid_minor: d.totals.paid_minor,
            due_minor: d.totals.due_minor,
        },
        currency: inv::Currency::parse(&d.currency).map_err(|e| {
            inv::InvoiceError::Inconsistent {
                number: d.number.clone(),
                what: e.to_string(),
            }
        })?,
        reverse_charge: d.reverse_charge,
        reverse_charge_wording: d.reverse_charge_wording.clone(),
        payment_status: match &d.payment_status {
            PaymentStatusV1::Unpaid => inv::PaymentStatus::Unpaid,
            PaymentStatusV1::PartiallyPaid => inv::PaymentStatus::PartiallyPaid,
            PaymentStatusV1::Paid { on, method } => inv::PaymentStatus::Paid {
                on: *on,
                method: method.clone(),
            },
        },
        notes: d.notes.clone(),
        payment_instructions: d.payment_instructions.clone(),
        corrects: d.corrects.as_ref().map(|c| inv::CorrectedInvoice {
            number: c.number.clone(),
            issue_date: c.issue_date,
        }),
    })
}

/// A file name made of the document number's safe characters.
pub fn file_name(number: &str, extension: &str) -> String {
    let safe: String = number
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    let safe = safe.trim_matches('.');
    format!(
        "{}.{extension}",
        if safe.is_empty() { "document" } else { safe }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(file_name("INV-2026-000042", "pdf"), "INV-2026-000042.pdf");
        assert_eq!(file_name("../\"x\r\n", "xml"), "x.xml");
        assert_eq!(file_name("", "pdf"), "document.pdf");
    }

    #[test]
    fn accents_read_as_rgb() {
        assert_eq!(rgb("#0a7cff"), [10, 124, 255]);
        assert_eq!(rgb("blue"), [37, 99, 235]);
    }
}
