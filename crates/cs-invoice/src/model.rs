//! The finalized document this crate renders: an invoice, a receipt or a credit note.
//!
//! Every amount is an integer in the currency's minor unit (`*_minor`), hour quantities are
//! thousandths of an hour (`hours_milli`) and unit rates are millionths of a currency unit
//! (`unit_rate_micro`), whatever the currency's own minor unit is. The billing engine rounds
//! once, when it finalizes a line (see [`line_amount_minor`]); this crate never recomputes
//! amounts, it checks that they add up ([`Document::validate`]) and prints them.

use chrono::NaiveDate;
use cs_core::money::round_half_away;
pub use cs_core::{Currency, DocumentKind};
use serde::{Deserialize, Serialize};

use crate::InvoiceError;

/// A postal address. `country` is an ISO 3166-1 alpha-2 code (`DE`, `NO`, `GR`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Address {
    /// Street and number, one or two lines.
    pub lines: Vec<String>,
    pub postal_code: String,
    pub city: String,
    /// Region or state, when the country uses one on letters.
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

/// Where a party receives e-invoices: its Peppol participant identifier (EN 16931
/// electronic address, BT-34 seller / BT-49 buyer). `scheme` is a code of Peppol's
/// Electronic Address Scheme list (`0192` Norwegian organization number, `0088` GLN,
/// `9930` German VAT number, …), `value` the identifier in that scheme. E-mail (`EM`) is
/// not a Peppol scheme. Check what a person types with
/// [`cs_core::validate::check_participant_id`] (or [`ElectronicAddress::parse`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElectronicAddress {
    pub scheme: String,
    pub value: String,
}

impl ElectronicAddress {
    /// Checks and normalizes `scheme:value` (e.g. `0192:995525828`), or a scheme and a
    /// value given apart; the error is a sentence to show next to the input.
    pub fn parse(scheme: &str, value: &str) -> Result<Self, String> {
        let p = cs_core::validate::check_participant_id(scheme, value)?;
        Ok(ElectronicAddress {
            scheme: p.scheme,
            value: p.value,
        })
    }
}

/// A bank account printed as payment instructions and sent as UBL `PaymentMeans`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankAccount {
    pub iban: String,
    pub bic: Option<String>,
    pub holder: String,
}

/// The reseller issuing the document, with its branding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seller {
    /// Legal name, printed large in the header.
    pub name: String,
    pub address: Address,
    /// VAT identifier with its country prefix, e.g. `DE136695976` (EN 16931 BT-31).
    pub tax_id: Option<String>,
    /// Company registration (commercial register) number, if any (BT-30): the
    /// organization number in Norway, the CVR in Denmark, the organisationsnummer in
    /// Sweden, the enterprise number in Belgium, the SIREN in France, the KvK number in the
    /// Netherlands.
    pub registration_id: Option<String>,
    pub email: Option<String>,
    /// Telephone number as printed.
    #[serde(default)]
    pub phone: Option<String>,
    /// Web site as printed (`www.example.com`).
    #[serde(default)]
    pub website: Option<String>,
    /// One short line printed in the footer of every page (registered office, bank
    /// holidays, a thank-you).
    #[serde(default)]
    pub footer_note: Option<String>,
    /// Peppol participant identifier; an e-invoice needs one (see [`crate::e_invoice_gaps`]).
    #[serde(default)]
    pub electronic_address: Option<ElectronicAddress>,
    /// PNG bytes of the logo (8-bit RGB/RGBA/grey). Printed at most 45 × 18 mm.
    #[serde(default)]
    pub logo_png: Option<Vec<u8>>,
    /// Accent colour for the title, rules and the table header.
    pub accent_rgb: [u8; 3],
    pub bank_account: Option<BankAccount>,
}

/// The customer organization billed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Buyer {
    /// Organization name (any script: "Αθηνά Παπαδοπούλου", "Ёлкин Пётр").
    pub organization: String,
    /// The person the document is addressed to, if any.
    pub contact: Option<String>,
    pub address: Address,
    /// VAT identifier with its country prefix, e.g. `DE136695976`.
    pub tax_id: Option<String>,
    /// Peppol participant identifier; an e-invoice needs one (see [`crate::e_invoice_gaps`]).
    #[serde(default)]
    pub electronic_address: Option<ElectronicAddress>,
    /// The customer's own reference (Peppol BT-10 "buyer reference"); the customer id is a
    /// good default.
    pub reference: String,
}

/// A date range, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// VAT category of a line or a tax subtotal (UNCL5305 codes used by Peppol).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxCategory {
    /// `S`: standard or reduced rate, rate > 0.
    Standard,
    /// `Z`: zero-rated goods or services.
    ZeroRated,
    /// `E`: exempt from tax.
    Exempt,
    /// `AE`: VAT reverse charge; the buyer accounts for the tax.
    ReverseCharge,
    /// `G`: export outside the EU.
    Export,
    /// `O`: not subject to VAT.
    OutsideScope,
}

impl TaxCategory {
    /// UNCL5305 code.
    pub fn code(self) -> &'static str {
        match self {
            TaxCategory::Standard => "S",
            TaxCategory::ZeroRated => "Z",
            TaxCategory::Exempt => "E",
            TaxCategory::ReverseCharge => "AE",
            TaxCategory::Export => "G",
            TaxCategory::OutsideScope => "O",
        }
    }

    /// CEF VATEX exemption reason code, required by Peppol for non-taxed categories.
    pub fn exemption_code(self) -> Option<&'static str> {
        match self {
            TaxCategory::Standard | TaxCategory::ZeroRated => None,
            TaxCategory::Exempt => Some("VATEX-EU-132"),
            TaxCategory::ReverseCharge => Some("VATEX-EU-AE"),
            TaxCategory::Export => Some("VATEX-EU-G"),
            TaxCategory::OutsideScope => Some("VATEX-EU-O"),
        }
    }

    /// Short printed label.
    pub fn label(self) -> &'static str {
        match self {
            TaxCategory::Standard => "VAT",
            TaxCategory::ZeroRated => "Zero-rated",
            TaxCategory::Exempt => "Exempt",
            TaxCategory::ReverseCharge => "Reverse charge",
            TaxCategory::Export => "Export",
            TaxCategory::OutsideScope => "Not subject to VAT",
        }
    }
}

/// One billed item: a server or an add-on for a period, or a top-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub description: String,
    pub period: Option<Period>,
    /// Billed hours in thousandths of an hour (720 h = 720_000).
    pub hours_milli: i64,
    /// Price of one hour in millionths of a currency unit (0.0075 USD = 7_500).
    pub unit_rate_micro: i64,
    /// Net amount of the line in minor units, as finalized by the billing engine.
    pub amount_minor: i64,
    /// True when the monthly cap applied: the amount is the monthly price, less than
    /// hours × rate.
    pub capped: bool,
    pub tax_category: TaxCategory,
    /// Tax rate in basis points (19 % = 1900).
    pub tax_rate_bp: u32,
}

/// Tax subtotal for one (category, rate) pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxBreakdown {
    pub category: TaxCategory,
    pub rate_bp: u32,
    pub taxable_minor: i64,
    pub tax_minor: i64,
}

/// Document totals. `net = Σ lines`, `tax = Σ breakdown.tax`, `gross = net + tax`,
/// `due = gross − paid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub net_minor: i64,
    pub tax_minor: i64,
    pub gross_minor: i64,
    /// Already paid (wallet, PayPal, bank) before or at issue.
    pub paid_minor: i64,
    pub due_minor: i64,
}

/// Where the money stands when the document is rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum PaymentStatus {
    Unpaid,
    PartiallyPaid,
    /// Settled in full; for a credit note, refunded or credited to the wallet.
    Paid {
        on: NaiveDate,
        method: String,
    },
}

/// The invoice a credit note corrects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectedInvoice {
    pub number: String,
    pub issue_date: NaiveDate,
}

/// A finalized, immutable document. Built by the billing engine, rendered here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub kind: DocumentKind,
    /// Gapless number assigned at finalization, e.g. `INV-2025-000042`.
    pub number: String,
    pub issue_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub period: Option<Period>,
    pub seller: Seller,
    pub buyer: Buyer,
    pub lines: Vec<Line>,
    /// One entry per (category, rate), in the order to print.
    pub tax_breakdown: Vec<TaxBreakdown>,
    pub totals: Totals,
    pub currency: Currency,
    /// The buyer accounts for VAT (EU B2B with a valid VAT id).
    pub reverse_charge: bool,
    /// Printed wording for reverse charge, e.g. "Reverse charge: VAT to be accounted for
    /// by the recipient (Art. 196 Directive 2006/112/EC)".
    pub reverse_charge_wording: Option<String>,
    pub payment_status: PaymentStatus,
    /// Free notes printed under the totals (and UBL `Note`).
    pub notes: Vec<String>,
    /// Payment instructions in words ("Pay by bank transfer quoting the invoice number").
    pub payment_instructions: Option<String>,
    /// Required for a credit note.
    pub corrects: Option<CorrectedInvoice>,
}

/// The rounding rule for an uncapped line: hours × rate, rounded half away from zero to the
/// currency's minor unit, once. 100 h at 0.0075 USD = 0.75 USD → 75.
pub fn line_amount_minor(hours_milli: i64, unit_rate_micro: i64, currency: Currency) -> i64 {
    // hours_milli × rate_micro is in 10⁻⁹ currency units; minor units are 10^-exponent.
    let product = i128::from(hours_milli) * i128::from(unit_rate_micro);
    let divisor = 10_i128.pow(9 - currency.exponent());
    i64::try_from(round_half_away(product, divisor)).unwrap_or(i64::MAX)
}

impl Document {
    /// Checks that the document is complete and that its amounts add up: lines to net,
    /// lines per (category, rate) to the taxable amounts, taxes to the tax total, net + tax to
    /// gross and gross − paid to due. A document that fails here is a billing bug, and the
    /// renderers refuse it rather than print numbers that disagree.
    pub fn validate(&self) -> Result<(), InvoiceError> {
        let bad = |what: String| {
            Err(InvoiceError::Inconsistent {
                number: self.number.clone(),
                what,
            })
        };
        if self.number.trim().is_empty() {
            return bad("the document has no number".into());
        }
        if self.lines.is_empty() {
            return bad("the document has no lines".into());
        }
        if self.kind == DocumentKind::CreditNote && self.corrects.is_none() {
            return bad("a credit note must name the invoice it corrects".into());
        }
        let net: i64 = self.lines.iter().map(|l| l.amount_minor).sum();
        if net != self.totals.net_minor {
            return bad(format!(
                "lines add up to {net} but the net total is {}",
                self.totals.net_minor
            ));
        }
        for b in &self.tax_breakdown {
            let taxable: i64 = self
                .lines
                .iter()
                .filter(|l| l.tax_category == b.category && l.tax_rate_bp == b.rate_bp)
                .map(|l| l.amount_minor)
                .sum();
            if taxable != b.taxable_minor {
                return bad(format!(
                    "lines at {} {} add up to {taxable} but the breakdown says {}",
                    b.category.code(),
                    b.rate_bp,
                    b.taxable_minor
                ));
            }
        }
        for l in &self.lines {
            if !self
                .tax_breakdown
                .iter()
                .any(|b| b.category == l.tax_category && b.rate_bp == l.tax_rate_bp)
            {
                return bad(format!(
                    "line \"{}\" has a tax rate missing from the breakdown",
                    l.description
                ));
            }
            if l.hours_milli < 0 || l.unit_rate_micro < 0 {
                return bad(format!(
                    "line \"{}\" has negative hours or rate",
                    l.description
                ));
            }
        }
        let tax: i64 = self.tax_breakdown.iter().map(|b| b.tax_minor).sum();
        if tax != self.totals.tax_minor {
            return bad(format!(
                "tax subtotals add up to {tax} but the tax total is {}",
                self.totals.tax_minor
            ));
        }
        if self.totals.net_minor + self.totals.tax_minor != self.totals.gross_minor {
            return bad("net + tax is not the gross total".into());
        }
        if self.totals.gross_minor - self.totals.paid_minor != self.totals.due_minor {
            return bad("gross − paid is not the amount due".into());
        }
        if self.reverse_charge
            && self
                .reverse_charge_wording
                .as_deref()
                .is_none_or(str::is_empty)
        {
            return bad("reverse charge applies but there is no wording to print".into());
        }
        Ok(())
    }

    /// The seller's branding name and the document number, e.g. "Invoice INV-2025-0042".
    pub fn title(&self) -> String {
        format!("{} {}", self.kind.title(), self.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_rule_is_half_away_from_zero_once() {
        let usd = Currency::USD;
        assert_eq!(line_amount_minor(100_000, 7_500, usd), 75);
        // 1 h at 0.0075 = 0.0075 → 0.01 (half away from zero).
        assert_eq!(line_amount_minor(1_000, 7_500, usd), 1);
        assert_eq!(line_amount_minor(1_000, 4_999, usd), 0);
        assert_eq!(line_amount_minor(-1_000, 7_500, usd), -1);
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(line_amount_minor(720_000, 1_500_000, jpy), 1080);
    }
}
