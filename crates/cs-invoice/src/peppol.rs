//! What a Peppol BIS Billing 3.0 e-invoice needs from the seller's and the customer's data.
//!
//! [`e_invoice_gaps`] answers, before anything is issued, which data is missing or
//! malformed for a document that passes the official rules (EN 16931 as shipped with
//! Peppol, and Peppol's own rules including the national ones of the seller's country).
//! [`crate::to_ubl_xml`] refuses a document that has gaps, so no file that fails the rules
//! for lack of data ever leaves; the app calls this first to refuse or warn at issue time
//! and to show the gaps next to the inputs (Settings → Branding, the customer form).
//!
//! Only data the parties type is checked here; amounts are [`crate::Document::validate`]'s.

use serde::Serialize;

use cs_core::validate::{check_participant_id, check_vat_id};

use crate::model::{Buyer, Document, DocumentKind, Seller, TaxCategory};

/// Whose data is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GapParty {
    /// The reseller: Settings → Branding.
    Seller,
    /// The customer organization.
    Customer,
    /// The document itself (what the billing run put in it).
    Document,
}

/// One thing that keeps a document from being a valid e-invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EInvoiceGap {
    pub party: GapParty,
    /// The field, named like the model's: `electronic_address`, `tax_id`,
    /// `registration_id`, `address.lines`, `address.city`, `address.postal_code`,
    /// `address.country`, `name`, `email`, `phone`, `bank_account`, `reference`, `country`.
    pub field: &'static str,
    /// What is wrong and what to do, as a sentence for the person who can fix it.
    pub message: String,
}

impl std::fmt::Display for EInvoiceGap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The legal-registration scheme (ISO 6523 ICD) the Peppol rules know for a country's
/// company register, so the number is written with its scheme and checked like Peppol
/// checks it.
pub(crate) fn registration_scheme(country: &str) -> Option<&'static str> {
    Some(match country {
        "NO" => "0192",
        "DK" => "0184",
        "SE" => "0007",
        "BE" => "0208",
        "FR" => "0002",
        "NL" => "0106",
        "IS" => "0196",
        "AU" => "0151",
        _ => return None,
    })
}

/// The seller's registration number as written in the e-invoice: without spaces, and
/// checked against its country's scheme where there is one.
pub(crate) fn registration_value(seller: &Seller) -> Option<Result<String, String>> {
    let reg = seller.registration_id.as_deref()?.trim();
    if reg.is_empty() {
        return None;
    }
    Some(match registration_scheme(&seller.address.country) {
        Some(scheme) => check_participant_id(scheme, reg).map(|p| p.value),
        None => Ok(reg.chars().filter(|c| !c.is_whitespace()).collect()),
    })
}

/// True when every line is "not subject to VAT": then neither party's VAT identifier may
/// appear (EN 16931 BR-O-02 to BR-O-04).
pub(crate) fn outside_scope(categories: &[TaxCategory]) -> bool {
    !categories.is_empty() && categories.iter().all(|c| *c == TaxCategory::OutsideScope)
}

/// The gaps of a document about to be issued (or already issued) as an e-invoice: those of
/// its seller and buyer for its tax categories ([`party_gaps`]), and of the document's own
/// data. Empty when the UBL file will pass; a receipt has no e-invoice form and always
/// has a gap.
pub fn e_invoice_gaps(doc: &Document) -> Vec<EInvoiceGap> {
    let categories: Vec<TaxCategory> = doc.lines.iter().map(|l| l.tax_category).collect();
    let mut gaps = party_gaps(&doc.seller, &doc.buyer, &categories);
    let mut add = |field, message: String| {
        gaps.push(EInvoiceGap {
            party: GapParty::Document,
            field,
            message,
        })
    };
    if doc.kind == DocumentKind::Receipt {
        add(
            "kind",
            format!(
                "{} is a receipt: only invoices and credit notes are e-invoices",
                doc.number
            ),
        );
    }
    if doc.buyer.reference.trim().is_empty() {
        add(
            "reference",
            "the customer reference (Peppol BT-10) is empty: give the customer a reference or an id".into(),
        );
    }
    if categories.contains(&TaxCategory::OutsideScope) && !outside_scope(&categories) {
        add(
            "lines",
            format!(
                "{} mixes lines not subject to VAT with taxed lines, which an e-invoice cannot carry: issue them on separate documents",
                doc.number
            ),
        );
    }
    gaps
}

/// What the seller's own data (Settings → Branding) lacks for e-invoices to customers in
/// its own country with VAT lines: the check to run when the branding is saved, before
/// any customer is involved. The rules that depend on the customer come from
/// [`party_gaps`] at issue time.
pub fn seller_gaps(seller: &Seller) -> Vec<EInvoiceGap> {
    let placeholder = Buyer {
        organization: "customer".into(),
        contact: None,
        address: crate::model::Address {
            lines: vec!["street".into()],
            postal_code: "0000".into(),
            city: "city".into(),
            region: None,
            country: seller.address.country.clone(),
        },
        tax_id: None,
        electronic_address: None,
        reference: "customer".into(),
    };
    let mut gaps = party_gaps(seller, &placeholder, &[TaxCategory::Standard]);
    gaps.retain(|g| g.party == GapParty::Seller);
    gaps
}

/// What the seller's and the customer's data lack for an e-invoice with lines of these
/// tax categories, before any document exists (for instance when a customer is saved or
/// before a billing run issues). Pure.
pub fn party_gaps(seller: &Seller, buyer: &Buyer, categories: &[TaxCategory]) -> Vec<EInvoiceGap> {
    let mut gaps = Vec::new();
    let mut add = |party, field, message: String| {
        gaps.push(EInvoiceGap {
            party,
            field,
            message,
        })
    };
    use GapParty::{Customer, Seller as S};
    let seller_country = seller.address.country.trim().to_ascii_uppercase();
    let buyer_country = buyer.address.country.trim().to_ascii_uppercase();
    let no_vat = outside_scope(categories);

    // Seller.
    if seller.name.trim().is_empty() {
        add(
            S,
            "name",
            "the seller has no legal name: set it in Settings → Branding".into(),
        );
    }
    if !cs_core::org::is_country_code(&seller_country) {
        add(
            S,
            "address.country",
            "the seller has no country: set it in Settings → Branding".into(),
        );
    }
    match &seller.electronic_address {
        None => add(
            S,
            "electronic_address",
            "the seller has no Peppol participant identifier (e.g. 0192:995525828): set it in Settings → Branding".into(),
        ),
        Some(a) => {
            if let Err(e) = check_participant_id(&a.scheme, &a.value) {
                add(S, "electronic_address", format!("seller's Peppol identifier: {e}"));
            }
        }
    }
    let needs_seller_vat = categories.iter().any(|c| {
        matches!(
            c,
            TaxCategory::Standard
                | TaxCategory::ZeroRated
                | TaxCategory::Exempt
                | TaxCategory::ReverseCharge
                | TaxCategory::Export
        )
    });
    let seller_vat = seller
        .tax_id
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    match seller_vat {
        Some(t) if !no_vat => {
            if let Err(e) = check_vat_id(t, Some(&seller_country)) {
                add(S, "tax_id", format!("seller's VAT identifier: {e}"));
            }
        }
        None if needs_seller_vat => add(
            S,
            "tax_id",
            "the seller has no VAT identifier, which a document with VAT, zero-rated, exempt, reverse-charge or export lines must show: set it in Settings → Branding".into(),
        ),
        _ => {}
    }
    let registration = registration_value(seller);
    if let Some(Err(e)) = &registration {
        add(
            S,
            "registration_id",
            format!("seller's registration number: {e}"),
        );
    }
    if (no_vat || seller_vat.is_none()) && registration.is_none() {
        // BR-CO-26: the seller must be identifiable by a VAT or registration number.
        add(
            S,
            "registration_id",
            "the seller has neither a VAT identifier on this document nor a company registration number: set the registration number in Settings → Branding".into(),
        );
    }
    let a = &seller.address;
    let blank = |s: &str| s.trim().is_empty();
    let street_missing = a.lines.iter().all(|l| blank(l));
    match seller_country.as_str() {
        "DK" if registration.is_none() => add(
            S,
            "registration_id",
            "Danish sellers must give their CVR number (DK-R-002): set it in Settings → Branding".into(),
        ),
        "IT" => add(
            S,
            "country",
            "Italian sellers must state their codice fiscale as tax registration (IT-R-001), which this product does not hold yet: send Italian e-invoices through your SdI provider".into(),
        ),
        "GR" => add(
            S,
            "country",
            "Greek sellers must number e-invoices with their myDATA MARK (GR-R-001), which this product does not support yet".into(),
        ),
        "NL" | "IS" if street_missing || blank(&a.postal_code) || (seller_country == "NL" && blank(&a.city)) => add(
            S,
            "address.lines",
            format!("sellers in {seller_country} must give street, post code and city: complete the address in Settings → Branding"),
        ),
        "IS" if registration.is_none() => add(
            S,
            "registration_id",
            "Icelandic sellers must give their kennitala (IS-R-002): set it in Settings → Branding".into(),
        ),
        _ => {}
    }
    if seller_country == "DE" && buyer_country == "DE" {
        // German domestic e-invoices (DE-R-001 to DE-R-009).
        if blank(&a.city) || blank(&a.postal_code) {
            add(S, "address.city", "a German invoice to a German customer needs the seller's post code and city: complete the address in Settings → Branding".into());
        }
        if seller.phone.as_deref().is_none_or(blank) {
            add(S, "phone", "a German invoice to a German customer needs the seller's telephone number: set it in Settings → Branding".into());
        }
        if seller.email.as_deref().is_none_or(blank) {
            add(S, "email", "a German invoice to a German customer needs the seller's e-mail address: set it in Settings → Branding".into());
        }
        if seller.bank_account.is_none() {
            add(S, "bank_account", "a German invoice to a German customer needs payment instructions: set the bank account in Settings → Branding".into());
        }
        if blank(&buyer.address.city) || blank(&buyer.address.postal_code) {
            add(Customer, "address.city", format!("a German invoice to a German customer needs the customer's post code and city: complete {}'s address", buyer.organization));
        }
    }
    if seller_country == "NL" && buyer_country == "NL" {
        let b = &buyer.address;
        if b.lines.iter().all(|l| blank(l)) || blank(&b.city) || blank(&b.postal_code) {
            add(Customer, "address.lines", format!("a Dutch invoice to a Dutch customer needs the customer's street, post code and city (NL-R-004): complete {}'s address", buyer.organization));
        }
    }

    // Customer.
    let who = &buyer.organization;
    if who.trim().is_empty() {
        add(Customer, "name", "the customer has no name".into());
    }
    if !cs_core::org::is_country_code(&buyer_country) {
        add(
            Customer,
            "address.country",
            format!("{who} has no country: set it on the customer"),
        );
    }
    match &buyer.electronic_address {
        None => add(
            Customer,
            "electronic_address",
            format!("{who} has no Peppol participant identifier (e.g. 0088:5790000435968): set it on the customer"),
        ),
        Some(a) => {
            if let Err(e) = check_participant_id(&a.scheme, &a.value) {
                add(Customer, "electronic_address", format!("{who}'s Peppol identifier: {e}"));
            }
        }
    }
    let buyer_vat = buyer
        .tax_id
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    match buyer_vat {
        Some(t) if !no_vat => {
            if let Err(e) = check_vat_id(t, Some(&buyer_country)) {
                add(Customer, "tax_id", format!("{who}'s VAT identifier: {e}"));
            }
        }
        None if categories.contains(&TaxCategory::ReverseCharge) => add(
            Customer,
            "tax_id",
            format!("{who} has no VAT identifier, which a reverse-charge document must show: set it on the customer"),
        ),
        _ => {}
    }
    // One message per field: the first names the most basic problem.
    let mut seen = std::collections::BTreeSet::new();
    gaps.retain(|g| seen.insert((g.party, g.field)));
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seller_gaps_name_only_the_sellers_data() {
        let seller = Seller {
            name: "Rheinwolke GmbH".into(),
            address: crate::model::Address {
                lines: vec!["Domstraße 5".into()],
                postal_code: "50668".into(),
                city: "Köln".into(),
                region: None,
                country: "DE".into(),
            },
            tax_id: Some("DE136695976".into()),
            registration_id: None,
            email: Some("rechnung@rheinwolke.example".into()),
            phone: None,
            website: None,
            footer_note: None,
            electronic_address: None,
            logo_png: None,
            accent_rgb: [0, 0, 0],
            bank_account: None,
        };
        let fields: Vec<&str> = seller_gaps(&seller).iter().map(|g| g.field).collect();
        assert_eq!(fields, ["electronic_address", "phone", "bank_account"]);
    }

    #[test]
    fn registration_schemes_are_peppol_codes() {
        for c in ["NO", "DK", "SE", "BE", "FR", "NL", "IS", "AU"] {
            let s = registration_scheme(c).unwrap();
            assert!(cs_core::validate::EAS_CODES.contains(&s), "{c} → {s}");
        }
    }
}
