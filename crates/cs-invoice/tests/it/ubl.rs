//! UBL: parses, carries every Peppol BIS 3.0 mandatory element, totals equal the PDF's.

use crate::fixtures;
use cs_invoice::{format, Document};

fn children<'a>(n: roxmltree::Node<'a, 'a>, name: &str) -> Vec<roxmltree::Node<'a, 'a>> {
    n.children()
        .filter(|c| c.is_element() && c.tag_name().name() == name)
        .collect()
}

fn path<'a>(root: roxmltree::Node<'a, 'a>, path: &str) -> Option<roxmltree::Node<'a, 'a>> {
    let mut n = root;
    for part in path.split('/') {
        n = *children(n, part).first()?;
    }
    Some(n)
}

fn text<'a>(root: roxmltree::Node<'a, 'a>, p: &str) -> String {
    path(root, p)
        .and_then(|n| n.text())
        .unwrap_or_else(|| panic!("missing {p}"))
        .to_string()
}

fn check(doc: &Document) {
    let xml = cs_invoice::to_ubl_xml(doc).expect("ubl");
    let parsed = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = parsed.root_element();
    let credit = doc.kind == cs_invoice::DocumentKind::CreditNote;
    assert_eq!(
        root.tag_name().name(),
        if credit { "CreditNote" } else { "Invoice" }
    );
    assert_eq!(
        root.tag_name().namespace(),
        Some(if credit {
            "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
        } else {
            "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
        })
    );
    // Peppol BIS Billing 3.0 mandatory elements (BT numbers from EN 16931).
    assert_eq!(
        text(root, "CustomizationID"),
        "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
    );
    assert_eq!(
        text(root, "ProfileID"),
        "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
    );
    assert_eq!(text(root, "ID"), doc.number);
    assert_eq!(text(root, "IssueDate"), format::date(doc.issue_date));
    assert_eq!(
        text(
            root,
            if credit {
                "CreditNoteTypeCode"
            } else {
                "InvoiceTypeCode"
            }
        ),
        if credit { "381" } else { "380" }
    );
    assert_eq!(text(root, "DocumentCurrencyCode"), "EUR");
    assert!(
        !text(root, "BuyerReference").is_empty(),
        "BT-10 buyer reference (R003)"
    );
    for party in ["AccountingSupplierParty", "AccountingCustomerParty"] {
        let p = path(root, &format!("{party}/Party")).expect(party);
        let endpoint = path(p, "EndpointID").expect("BT-34/BT-49 electronic address");
        assert!(
            endpoint.attribute("schemeID").is_some(),
            "{party} endpoint scheme"
        );
        assert!(
            !text(p, "PostalAddress/Country/IdentificationCode").is_empty(),
            "{party} country"
        );
        assert!(
            !text(p, "PartyLegalEntity/RegistrationName").is_empty(),
            "{party} legal name"
        );
    }
    assert!(!text(
        root,
        "AccountingSupplierParty/Party/PartyTaxScheme/CompanyID"
    )
    .is_empty());
    assert_eq!(
        text(
            root,
            "AccountingSupplierParty/Party/PartyTaxScheme/TaxScheme/ID"
        ),
        "VAT"
    );
    if credit {
        assert_eq!(
            text(root, "BillingReference/InvoiceDocumentReference/ID"),
            doc.corrects.as_ref().unwrap().number
        );
    }

    let amount = |minor: i64| format::amount_plain(minor, doc.currency);
    let tax_total = path(root, "TaxTotal").expect("TaxTotal");
    assert_eq!(text(tax_total, "TaxAmount"), amount(doc.totals.tax_minor));
    assert_eq!(
        path(tax_total, "TaxAmount")
            .unwrap()
            .attribute("currencyID"),
        Some("EUR")
    );
    let subtotals = children(tax_total, "TaxSubtotal");
    assert_eq!(subtotals.len(), doc.tax_breakdown.len());
    for (s, b) in subtotals.iter().zip(&doc.tax_breakdown) {
        assert_eq!(text(*s, "TaxableAmount"), amount(b.taxable_minor));
        assert_eq!(text(*s, "TaxAmount"), amount(b.tax_minor));
        assert_eq!(text(*s, "TaxCategory/ID"), b.category.code());
        assert_eq!(text(*s, "TaxCategory/Percent"), format::percent(b.rate_bp));
        assert_eq!(text(*s, "TaxCategory/TaxScheme/ID"), "VAT");
        if b.category.exemption_code().is_some() {
            assert!(path(*s, "TaxCategory/TaxExemptionReasonCode").is_some());
        }
    }
    let totals = path(root, "LegalMonetaryTotal").expect("LegalMonetaryTotal");
    assert_eq!(
        text(totals, "LineExtensionAmount"),
        amount(doc.totals.net_minor)
    );
    assert_eq!(
        text(totals, "TaxExclusiveAmount"),
        amount(doc.totals.net_minor)
    );
    assert_eq!(
        text(totals, "TaxInclusiveAmount"),
        amount(doc.totals.gross_minor)
    );
    assert_eq!(text(totals, "PayableAmount"), amount(doc.totals.due_minor));

    let line_name = if credit {
        "CreditNoteLine"
    } else {
        "InvoiceLine"
    };
    let lines = children(root, line_name);
    assert_eq!(lines.len(), doc.lines.len());
    let mut sum = 0_i64;
    for (l, m) in lines.iter().zip(&doc.lines) {
        assert!(!text(*l, "ID").is_empty());
        let qty = path(
            *l,
            if credit {
                "CreditedQuantity"
            } else {
                "InvoicedQuantity"
            },
        )
        .expect("quantity");
        assert!(qty.attribute("unitCode").is_some());
        assert_eq!(text(*l, "LineExtensionAmount"), amount(m.amount_minor));
        assert_eq!(text(*l, "Item/Name"), m.description);
        assert_eq!(
            text(*l, "Item/ClassifiedTaxCategory/ID"),
            m.tax_category.code()
        );
        assert_eq!(text(*l, "Item/ClassifiedTaxCategory/TaxScheme/ID"), "VAT");
        assert!(!text(*l, "Price/PriceAmount").is_empty());
        // R120: line net = quantity × price − allowance + charge (to the cent).
        let qty_milli: i64 = qty.text().unwrap().replace('.', "").parse().unwrap();
        let price = text(*l, "Price/PriceAmount");
        let (int, frac) = price.split_once('.').unwrap_or((&price, ""));
        let price_micro: i64 = format!("{int}{frac:0<6}").parse().unwrap();
        let gross = if qty.attribute("unitCode") == Some("HUR") {
            cs_invoice::line_amount_minor(qty_milli, price_micro, doc.currency)
        } else {
            m.amount_minor
        };
        let adjust: i64 = children(*l, "AllowanceCharge")
            .iter()
            .map(|a| {
                let v: i64 = text(*a, "Amount").replace('.', "").parse().unwrap();
                if text(*a, "ChargeIndicator") == "true" {
                    v
                } else {
                    -v
                }
            })
            .sum();
        assert_eq!(gross + adjust, m.amount_minor, "R120 for {}", m.description);
        sum += m.amount_minor;
    }
    assert_eq!(
        sum, doc.totals.net_minor,
        "lines add up to the PDF's net total"
    );
}

#[test]
fn invoices_and_credit_notes_have_every_mandatory_element_and_matching_totals() {
    check(&fixtures::unicode_invoice());
    check(&fixtures::long_invoice(120));
    check(&fixtures::reverse_charge_invoice());
    check(&fixtures::credit_note());
}

#[test]
fn receipts_have_no_ubl_form() {
    let err = cs_invoice::to_ubl_xml(&fixtures::receipt()).unwrap_err();
    assert!(matches!(err, cs_invoice::InvoiceError::NoUblForm(_)));
}

#[test]
fn xml_special_characters_are_escaped() {
    let mut doc = fixtures::unicode_invoice();
    doc.lines[0].description = "Backups <daily> & \"weekly\"".into();
    let xml = cs_invoice::to_ubl_xml(&doc).unwrap();
    let parsed = roxmltree::Document::parse(&xml).unwrap();
    assert!(parsed
        .descendants()
        .any(|n| n.text() == Some("Backups <daily> & \"weekly\"")));
}
