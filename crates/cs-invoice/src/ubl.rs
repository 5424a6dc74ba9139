//! UBL 2.1 XML following Peppol BIS Billing 3.0, for invoices and credit notes.
//!
//! Element order follows the UBL 2.1 schemas (order matters to validators). Amounts are
//! written from the same integers the PDF prints, so both always agree. Lines whose
//! amount differs from quantity × price (the monthly cap, or rounding) carry a line
//! allowance or charge for the difference, which keeps Peppol rule R120 (line net amount =
//! quantity × price ± allowances/charges) true.

use std::fmt::Write as _;

use crate::format;
use crate::model::{
    line_amount_minor, Address, Document, DocumentKind, ElectronicAddress, TaxCategory,
};
use crate::peppol::{e_invoice_gaps, outside_scope, registration_scheme, registration_value};
use crate::InvoiceError;

const CUSTOMIZATION_ID: &str =
    "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0";
const PROFILE_ID: &str = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0";

/// The Peppol BIS 3.0 UBL document for an invoice or a credit note. Receipts have no
/// e-invoice form and give [`InvoiceError::NoUblForm`]; a document whose seller or
/// customer data would make it fail the Peppol rules gives [`InvoiceError::EInvoiceIncomplete`]
/// naming every gap ([`crate::e_invoice_gaps`]).
pub fn to_ubl_xml(doc: &Document) -> Result<String, InvoiceError> {
    doc.validate()?;
    if doc.kind == DocumentKind::Receipt {
        return Err(InvoiceError::NoUblForm(doc.title()));
    }
    let gaps = e_invoice_gaps(doc);
    if !gaps.is_empty() {
        return Err(InvoiceError::EInvoiceIncomplete {
            number: doc.number.clone(),
            gaps,
        });
    }
    let categories: Vec<TaxCategory> = doc.lines.iter().map(|l| l.tax_category).collect();
    // Not subject to VAT: no VAT identifiers and no rates anywhere (BR-O-02 to BR-O-05).
    let no_vat = outside_scope(&categories);
    let (root, type_el, type_code, line_el, qty_el) = match doc.kind {
        DocumentKind::Invoice => (
            "Invoice",
            "InvoiceTypeCode",
            "380",
            "InvoiceLine",
            "InvoicedQuantity",
        ),
        DocumentKind::CreditNote => (
            "CreditNote",
            "CreditNoteTypeCode",
            "381",
            "CreditNoteLine",
            "CreditedQuantity",
        ),
        DocumentKind::Receipt => unreachable!("receipts were refused above"),
    };
    let cur = doc.currency;
    let amt = |minor: i64| format::amount_plain(minor, cur);
    let cur_attr = format!("currencyID=\"{cur}\"");
    let mut x = String::with_capacity(8 * 1024 + doc.lines.len() * 1024);
    let _ = writeln!(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let _ = writeln!(
        x,
        "<{root} xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:{root}-2\" \
xmlns:cac=\"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2\" \
xmlns:cbc=\"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2\">"
    );
    el(&mut x, 1, "cbc:CustomizationID", CUSTOMIZATION_ID);
    el(&mut x, 1, "cbc:ProfileID", PROFILE_ID);
    el(&mut x, 1, "cbc:ID", &doc.number);
    el(&mut x, 1, "cbc:IssueDate", &format::date(doc.issue_date));
    if doc.kind == DocumentKind::Invoice {
        if let Some(due) = doc.due_date {
            el(&mut x, 1, "cbc:DueDate", &format::date(due));
        }
    }
    el(&mut x, 1, &format!("cbc:{type_el}"), type_code);
    // Peppol allows one document-level note (PEPPOL-EN16931-R002); the reverse-charge
    // wording is the exemption reason of the AE tax subtotal instead.
    let note = doc
        .notes
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    if !note.is_empty() {
        el(&mut x, 1, "cbc:Note", &note);
    }
    el(&mut x, 1, "cbc:DocumentCurrencyCode", cur.code());
    el(&mut x, 1, "cbc:BuyerReference", &doc.buyer.reference);
    if let Some(p) = doc.period {
        open(&mut x, 1, "cac:InvoicePeriod");
        el(&mut x, 2, "cbc:StartDate", &format::date(p.start));
        el(&mut x, 2, "cbc:EndDate", &format::date(p.end));
        close(&mut x, 1, "cac:InvoicePeriod");
    }
    if let Some(c) = &doc.corrects {
        open(&mut x, 1, "cac:BillingReference");
        open(&mut x, 2, "cac:InvoiceDocumentReference");
        el(&mut x, 3, "cbc:ID", &c.number);
        el(&mut x, 3, "cbc:IssueDate", &format::date(c.issue_date));
        close(&mut x, 2, "cac:InvoiceDocumentReference");
        close(&mut x, 1, "cac:BillingReference");
    }

    let seller = &doc.seller;
    let seller_country = seller.address.country.trim().to_ascii_uppercase();
    let seller_vat = seller
        .tax_id
        .as_deref()
        .filter(|_| !no_vat)
        .and_then(|t| cs_core::validate::check_vat_id(t, Some(&seller_country)).ok())
        .map(|v| v.as_string());
    // Norwegian companies state their entry in the register of business enterprises
    // (foretaksregisterloven § 10-2, Peppol NO-R-002) as a tax scheme "TAX".
    let seller_tax_registration = (seller_country == "NO").then_some("Foretaksregisteret");
    let registration = registration_value(seller)
        .and_then(Result::ok)
        .map(|v| (v, registration_scheme(&seller_country)));
    open(&mut x, 1, "cac:AccountingSupplierParty");
    party(
        &mut x,
        &Party {
            endpoint: seller.electronic_address.as_ref(),
            name: &seller.name,
            address: &seller.address,
            vat: seller_vat.as_deref(),
            tax_registration: seller_tax_registration,
            registration: registration.as_ref().map(|(v, s)| (v.as_str(), *s)),
            contact: Some((
                &seller.name,
                seller.phone.as_deref(),
                seller.email.as_deref(),
            )),
        },
    );
    close(&mut x, 1, "cac:AccountingSupplierParty");
    let buyer = &doc.buyer;
    let buyer_vat = buyer
        .tax_id
        .as_deref()
        .filter(|_| !no_vat)
        .and_then(|t| cs_core::validate::check_vat_id(t, Some(&buyer.address.country)).ok())
        .map(|v| v.as_string());
    open(&mut x, 1, "cac:AccountingCustomerParty");
    party(
        &mut x,
        &Party {
            endpoint: buyer.electronic_address.as_ref(),
            name: &buyer.organization,
            address: &buyer.address,
            vat: buyer_vat.as_deref(),
            tax_registration: None,
            registration: None,
            contact: None,
        },
    );
    close(&mut x, 1, "cac:AccountingCustomerParty");

    if doc.kind == DocumentKind::Invoice {
        if let Some(acct) = &doc.seller.bank_account {
            open(&mut x, 1, "cac:PaymentMeans");
            el(&mut x, 2, "cbc:PaymentMeansCode", "58"); // SEPA credit transfer
            el(&mut x, 2, "cbc:PaymentID", &doc.number);
            open(&mut x, 2, "cac:PayeeFinancialAccount");
            el(&mut x, 3, "cbc:ID", &acct.iban.replace(' ', ""));
            el(&mut x, 3, "cbc:Name", &acct.holder);
            if let Some(bic) = &acct.bic {
                open(&mut x, 3, "cac:FinancialInstitutionBranch");
                el(&mut x, 4, "cbc:ID", bic);
                close(&mut x, 3, "cac:FinancialInstitutionBranch");
            }
            close(&mut x, 2, "cac:PayeeFinancialAccount");
            close(&mut x, 1, "cac:PaymentMeans");
        }
        if let Some(p) = &doc.payment_instructions {
            open(&mut x, 1, "cac:PaymentTerms");
            el(&mut x, 2, "cbc:Note", p);
            close(&mut x, 1, "cac:PaymentTerms");
        }
    }

    open(&mut x, 1, "cac:TaxTotal");
    el_attr(
        &mut x,
        2,
        "cbc:TaxAmount",
        &cur_attr,
        &amt(doc.totals.tax_minor),
    );
    for b in &doc.tax_breakdown {
        open(&mut x, 2, "cac:TaxSubtotal");
        el_attr(
            &mut x,
            3,
            "cbc:TaxableAmount",
            &cur_attr,
            &amt(b.taxable_minor),
        );
        el_attr(&mut x, 3, "cbc:TaxAmount", &cur_attr, &amt(b.tax_minor));
        open(&mut x, 3, "cac:TaxCategory");
        el(&mut x, 4, "cbc:ID", b.category.code());
        if b.category != TaxCategory::OutsideScope {
            el(&mut x, 4, "cbc:Percent", &format::percent(b.rate_bp));
        }
        if let Some(code) = b.category.exemption_code() {
            el(&mut x, 4, "cbc:TaxExemptionReasonCode", code);
            let reason = match (&doc.reverse_charge_wording, b.category) {
                (Some(w), crate::TaxCategory::ReverseCharge) => w.as_str(),
                _ => b.category.label(),
            };
            el(&mut x, 4, "cbc:TaxExemptionReason", reason);
        }
        tax_scheme(&mut x, 4);
        close(&mut x, 3, "cac:TaxCategory");
        close(&mut x, 2, "cac:TaxSubtotal");
    }
    close(&mut x, 1, "cac:TaxTotal");

    open(&mut x, 1, "cac:LegalMonetaryTotal");
    el_attr(
        &mut x,
        2,
        "cbc:LineExtensionAmount",
        &cur_attr,
        &amt(doc.totals.net_minor),
    );
    el_attr(
        &mut x,
        2,
        "cbc:TaxExclusiveAmount",
        &cur_attr,
        &amt(doc.totals.net_minor),
    );
    el_attr(
        &mut x,
        2,
        "cbc:TaxInclusiveAmount",
        &cur_attr,
        &amt(doc.totals.gross_minor),
    );
    if doc.totals.paid_minor != 0 {
        el_attr(
            &mut x,
            2,
            "cbc:PrepaidAmount",
            &cur_attr,
            &amt(doc.totals.paid_minor),
        );
    }
    el_attr(
        &mut x,
        2,
        "cbc:PayableAmount",
        &cur_attr,
        &amt(doc.totals.due_minor),
    );
    close(&mut x, 1, "cac:LegalMonetaryTotal");

    for (i, line) in doc.lines.iter().enumerate() {
        open(&mut x, 1, &format!("cac:{line_el}"));
        el(&mut x, 2, "cbc:ID", &(i + 1).to_string());
        // UN/ECE rec 20: HUR = hour, C62 = one (for lines without hours, e.g. a top-up).
        let (unit, qty, price) = if line.hours_milli == 0 {
            (
                "C62",
                "1".to_string(),
                format::amount_plain(line.amount_minor, cur),
            )
        } else {
            (
                "HUR",
                format::hours(line.hours_milli, 3).replace(',', ""),
                format::rate_plain(line.unit_rate_micro),
            )
        };
        el_attr(
            &mut x,
            2,
            &format!("cbc:{qty_el}"),
            &format!("unitCode=\"{unit}\""),
            &qty,
        );
        el_attr(
            &mut x,
            2,
            "cbc:LineExtensionAmount",
            &cur_attr,
            &amt(line.amount_minor),
        );
        if let Some(p) = line.period {
            open(&mut x, 2, "cac:InvoicePeriod");
            el(&mut x, 3, "cbc:StartDate", &format::date(p.start));
            el(&mut x, 3, "cbc:EndDate", &format::date(p.end));
            close(&mut x, 2, "cac:InvoicePeriod");
        }
        if line.hours_milli != 0 {
            let gross = line_amount_minor(line.hours_milli, line.unit_rate_micro, cur);
            let diff = gross - line.amount_minor;
            if diff != 0 {
                open(&mut x, 2, "cac:AllowanceCharge");
                el(
                    &mut x,
                    3,
                    "cbc:ChargeIndicator",
                    if diff < 0 { "true" } else { "false" },
                );
                let reason = match (line.capped, diff > 0) {
                    (true, true) => "Monthly price cap",
                    (_, true) => "Rounding",
                    (_, false) => "Rounding",
                };
                el(&mut x, 3, "cbc:AllowanceChargeReason", reason);
                el_attr(&mut x, 3, "cbc:Amount", &cur_attr, &amt(diff.abs()));
                close(&mut x, 2, "cac:AllowanceCharge");
            }
        }
        open(&mut x, 2, "cac:Item");
        el(&mut x, 3, "cbc:Name", &line.description);
        open(&mut x, 3, "cac:ClassifiedTaxCategory");
        el(&mut x, 4, "cbc:ID", line.tax_category.code());
        if line.tax_category != TaxCategory::OutsideScope {
            el(&mut x, 4, "cbc:Percent", &format::percent(line.tax_rate_bp));
        }
        tax_scheme(&mut x, 4);
        close(&mut x, 3, "cac:ClassifiedTaxCategory");
        close(&mut x, 2, "cac:Item");
        open(&mut x, 2, "cac:Price");
        el_attr(&mut x, 3, "cbc:PriceAmount", &cur_attr, &price);
        close(&mut x, 2, "cac:Price");
        close(&mut x, 1, &format!("cac:{line_el}"));
    }
    let _ = writeln!(x, "</{root}>");
    Ok(x)
}

/// One party block. Empty values are left out (PEPPOL-EN16931-R008 forbids empty elements).
struct Party<'a> {
    endpoint: Option<&'a ElectronicAddress>,
    name: &'a str,
    address: &'a Address,
    /// VAT identifier (BT-31 / BT-48), normalized; `None` when not subject to VAT.
    vat: Option<&'a str>,
    /// Tax registration other than VAT (BT-32), under tax scheme "TAX".
    tax_registration: Option<&'a str>,
    /// Legal registration number (BT-30) and its ICD scheme, if Peppol knows one.
    registration: Option<(&'a str, Option<&'a str>)>,
    /// Contact point name, telephone, e-mail (BG-6).
    contact: Option<(&'a str, Option<&'a str>, Option<&'a str>)>,
}

fn party(x: &mut String, p: &Party<'_>) {
    let present = |v: &&str| !v.trim().is_empty();
    open(x, 2, "cac:Party");
    if let Some(endpoint) = p.endpoint {
        el_attr(
            x,
            3,
            "cbc:EndpointID",
            &format!("schemeID=\"{}\"", escape(&endpoint.scheme)),
            &endpoint.value,
        );
    }
    open(x, 3, "cac:PartyName");
    el(x, 4, "cbc:Name", p.name);
    close(x, 3, "cac:PartyName");
    open(x, 3, "cac:PostalAddress");
    let a = p.address;
    let mut lines = a.lines.iter().map(String::as_str).filter(present);
    if let Some(first) = lines.next() {
        el(x, 4, "cbc:StreetName", first);
    }
    if let Some(second) = lines.next() {
        el(x, 4, "cbc:AdditionalStreetName", second);
    }
    if present(&a.city.as_str()) {
        el(x, 4, "cbc:CityName", &a.city);
    }
    if present(&a.postal_code.as_str()) {
        el(x, 4, "cbc:PostalZone", &a.postal_code);
    }
    if let Some(r) = a.region.as_deref().filter(present) {
        el(x, 4, "cbc:CountrySubentity", r);
    }
    open(x, 4, "cac:Country");
    el(x, 5, "cbc:IdentificationCode", a.country.trim());
    close(x, 4, "cac:Country");
    close(x, 3, "cac:PostalAddress");
    if let Some(t) = p.vat {
        open(x, 3, "cac:PartyTaxScheme");
        el(x, 4, "cbc:CompanyID", t);
        tax_scheme(x, 4);
        close(x, 3, "cac:PartyTaxScheme");
    }
    if let Some(t) = p.tax_registration {
        open(x, 3, "cac:PartyTaxScheme");
        el(x, 4, "cbc:CompanyID", t);
        open(x, 4, "cac:TaxScheme");
        el(x, 5, "cbc:ID", "TAX");
        close(x, 4, "cac:TaxScheme");
        close(x, 3, "cac:PartyTaxScheme");
    }
    open(x, 3, "cac:PartyLegalEntity");
    el(x, 4, "cbc:RegistrationName", p.name);
    match p.registration {
        Some((r, Some(scheme))) => {
            el_attr(x, 4, "cbc:CompanyID", &format!("schemeID=\"{scheme}\""), r)
        }
        Some((r, None)) => el(x, 4, "cbc:CompanyID", r),
        None => {}
    }
    close(x, 3, "cac:PartyLegalEntity");
    if let Some((name, phone, email)) = p.contact {
        let phone = phone.filter(present);
        let email = email.filter(present);
        if phone.is_some() || email.is_some() {
            open(x, 3, "cac:Contact");
            el(x, 4, "cbc:Name", name);
            if let Some(t) = phone {
                el(x, 4, "cbc:Telephone", t);
            }
            if let Some(m) = email {
                el(x, 4, "cbc:ElectronicMail", m);
            }
            close(x, 3, "cac:Contact");
        }
    }
    close(x, 2, "cac:Party");
}

fn tax_scheme(x: &mut String, depth: usize) {
    open(x, depth, "cac:TaxScheme");
    el(x, depth + 1, "cbc:ID", "VAT");
    close(x, depth, "cac:TaxScheme");
}

fn indent(x: &mut String, depth: usize) {
    for _ in 0..depth {
        x.push_str("  ");
    }
}

fn open(x: &mut String, depth: usize, name: &str) {
    indent(x, depth);
    let _ = writeln!(x, "<{name}>");
}

fn close(x: &mut String, depth: usize, name: &str) {
    indent(x, depth);
    let _ = writeln!(x, "</{name}>");
}

fn el(x: &mut String, depth: usize, name: &str, value: &str) {
    indent(x, depth);
    let _ = writeln!(x, "<{name}>{}</{name}>", escape(value));
}

fn el_attr(x: &mut String, depth: usize, name: &str, attrs: &str, value: &str) {
    indent(x, depth);
    let _ = writeln!(x, "<{name} {attrs}>{}</{name}>", escape(value));
}

/// XML text and attribute escaping; control characters XML 1.0 forbids are dropped.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}
