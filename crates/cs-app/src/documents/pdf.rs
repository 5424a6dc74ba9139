//! The billing engine's documents in the printable model of `cs-invoice`.

use chrono::NaiveDate;
use cs_billing::documents::Document;
use cs_core::DocumentKind;
use cs_invoice as inv;

use super::store::BuyerRow;
use crate::{AppError, AppResult};

fn month_period(month: i64) -> Option<inv::Period> {
    let (y, m) = (month.div_euclid(12) as i32, month.rem_euclid(12) as u32 + 1);
    let start = NaiveDate::from_ymd_opt(y, m, 1)?;
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)?
    };
    Some(inv::Period {
        start,
        end: next.pred_opt()?,
    })
}

fn category(reverse_charge: bool, rate_ppm: i64) -> inv::TaxCategory {
    match (reverse_charge, rate_ppm) {
        (true, _) => inv::TaxCategory::ReverseCharge,
        (false, 0) => inv::TaxCategory::OutsideScope,
        _ => inv::TaxCategory::Standard,
    }
}

/// The customer's address and Peppol identifier as the document was issued with them.
fn buyer_parts(
    country: &str,
    data: Option<&BuyerRow>,
) -> (inv::Address, Option<inv::ElectronicAddress>) {
    let d = data.cloned().unwrap_or_default();
    let address = inv::Address {
        lines: d
            .address_lines
            .as_deref()
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        postal_code: d.postal_code.unwrap_or_default(),
        city: d.city.unwrap_or_default(),
        region: None,
        country: country.to_string(),
    };
    let electronic = match (d.peppol_scheme, d.peppol_id) {
        (Some(scheme), Some(value)) => Some(inv::ElectronicAddress { scheme, value }),
        _ => None,
    };
    (address, electronic)
}

/// The customer as an e-invoice names it, from its current data.
pub(crate) fn to_buyer(org: &cs_core::Organization, data: &BuyerRow) -> inv::Buyer {
    let (address, electronic_address) = buyer_parts(&org.country, Some(data));
    inv::Buyer {
        organization: org.name.clone(),
        contact: None,
        address,
        tax_id: org.tax_id.clone(),
        electronic_address,
        reference: org.id.to_string(),
    }
}

/// Builds the printable document. `corrected` is the invoice a credit note
/// corrects; `seller` is the seller block the document was issued with
/// (see [`crate::documents::branding`]), `buyer` the customer's address and Peppol
/// identifier it was issued with (`None`: none kept), `payment_instructions` its printed
/// instructions (on invoices only: receipts and credit notes need no payment).
pub(crate) fn to_invoice_document(
    d: &Document,
    corrected: Option<&Document>,
    seller: inv::Seller,
    buyer: Option<&BuyerRow>,
    payment_instructions: Option<String>,
) -> AppResult<inv::Document> {
    let s = &d.summary;
    let number = s.number.clone().ok_or_else(|| {
        AppError::Conflict("This document is a draft: it has no number yet".into())
    })?;
    let issued = s
        .issued_at
        .ok_or_else(|| AppError::Conflict(format!("{number} is not issued yet")))?
        .date_naive();
    let currency = s.currency;
    let reverse = d
        .tax_note
        .as_deref()
        .is_some_and(|n| n.to_lowercase().contains("reverse"));
    let period = s.month.and_then(month_period);
    let lines: Vec<inv::Line> = d
        .lines
        .iter()
        .map(|l| inv::Line {
            description: l.description.clone(),
            period,
            hours_milli: l.quantity_hours.unwrap_or(0) * 1000,
            unit_rate_micro: l.unit_rate_micros.unwrap_or(0),
            amount_minor: l.amount_minor,
            capped: l.capped,
            tax_category: category(reverse, l.tax_rate_ppm),
            tax_rate_bp: u32::try_from(l.tax_rate_ppm / 100).unwrap_or(0),
        })
        .collect();
    let mut breakdown: Vec<inv::TaxBreakdown> = vec![];
    for l in &lines {
        match breakdown
            .iter_mut()
            .find(|b| b.category == l.tax_category && b.rate_bp == l.tax_rate_bp)
        {
            Some(b) => b.taxable_minor += l.amount_minor,
            None => breakdown.push(inv::TaxBreakdown {
                category: l.tax_category,
                rate_bp: l.tax_rate_bp,
                taxable_minor: l.amount_minor,
                tax_minor: 0,
            }),
        }
    }
    for b in &mut breakdown {
        b.tax_minor = d
            .tax_totals
            .iter()
            .filter(|t| t.rate_ppm / 100 == i64::from(b.rate_bp))
            .map(|t| t.tax_minor)
            .sum();
    }
    let kind = s.kind;
    let status_method = match kind {
        DocumentKind::Invoice => "wallet",
        DocumentKind::Receipt => "received",
        DocumentKind::CreditNote => "credited",
    };
    let mut notes = vec![];
    if let Some(r) = &d.reason {
        notes.push(r.clone());
    }
    if let Some(r) = &d.reference {
        notes.push(format!("Reference: {r}"));
    }
    let (buyer_address, buyer_electronic) = buyer_parts(&d.customer_country, buyer);
    let doc = inv::Document {
        kind,
        number,
        issue_date: issued,
        due_date: (kind == DocumentKind::Invoice).then_some(issued),
        period,
        seller,
        buyer: inv::Buyer {
            organization: d.customer_name.clone(),
            contact: None,
            address: buyer_address,
            tax_id: d.customer_tax_id.clone(),
            electronic_address: buyer_electronic,
            reference: s.organization_id.clone(),
        },
        lines,
        tax_breakdown: breakdown,
        totals: inv::Totals {
            net_minor: s.subtotal_minor,
            tax_minor: s.tax_minor,
            gross_minor: s.total_minor,
            paid_minor: s.total_minor,
            due_minor: 0,
        },
        currency,
        reverse_charge: reverse,
        reverse_charge_wording: if reverse { d.tax_note.clone() } else { None },
        payment_status: inv::PaymentStatus::Paid {
            on: issued,
            method: status_method.to_string(),
        },
        notes,
        payment_instructions: if kind == DocumentKind::Invoice {
            payment_instructions
        } else {
            None
        },
        corrects: corrected.and_then(|c| {
            Some(inv::CorrectedInvoice {
                number: c.summary.number.clone()?,
                issue_date: c.summary.issued_at?.date_naive(),
            })
        }),
    };
    Ok(doc)
}
