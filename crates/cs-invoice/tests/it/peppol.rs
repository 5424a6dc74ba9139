//! Every kind of e-invoice we issue passes the official Peppol BIS Billing 3.0 validation:
//! the UBL 2.1 XSD (xmllint) and both Schematron rule sets, PEPPOL-EN16931-UBL and
//! CEN-EN16931-UBL (compiled XSLT run by Saxon-HE, the `saxonche` Python package).
//!
//! The artefacts are read from the shared folder (`$CS_SHARED_DIR/specs/peppol`, or
//! `../../../shared` from this crate); the tests skip with a message when they, xmllint or
//! saxonche are absent (`cargo xtask setup` installs both tools).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{fixtures, tools};
use cs_invoice::{
    e_invoice_gaps, party_gaps, Address, BankAccount, Document, DocumentKind, ElectronicAddress,
    GapParty, InvoiceError, Seller, TaxCategory,
};

fn peppol_dir() -> Option<PathBuf> {
    let shared = match std::env::var_os("CS_SHARED_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    };
    let dir = shared.join("specs/peppol");
    dir.join("compiled").is_dir().then_some(dir)
}

/// The Peppol artefacts and tools, or why the validation cannot run here.
fn validation_setup(test: &str) -> Option<PathBuf> {
    let Some(dir) = peppol_dir() else {
        println!("SKIPPED {test}: specs/peppol not found in the shared folder (set CS_SHARED_DIR)");
        return None;
    };
    if Command::new("xmllint").arg("--version").output().is_err() {
        println!("SKIPPED {test}: xmllint is missing (Debian package libxml2-utils; `cargo xtask setup` installs it)");
        return None;
    }
    let saxon = Command::new("python3")
        .args(["-c", "import saxonche"])
        .output();
    if !saxon.is_ok_and(|o| o.status.success()) {
        println!("SKIPPED {test}: the saxonche Python package is missing (`python3 -m pip install --user saxonche`; `cargo xtask setup` installs it)");
        return None;
    }
    Some(dir)
}

/// XSD errors and Schematron findings per file.
fn validate(dir: &Path, files: &[PathBuf]) -> Vec<(PathBuf, Vec<String>)> {
    let mut out: Vec<(PathBuf, Vec<String>)> = files.iter().map(|f| (f.clone(), vec![])).collect();
    for (file, problems) in &mut out {
        let text = std::fs::read_to_string(&*file).unwrap();
        let xsd = if text.contains("<CreditNote ") {
            "UBL-CreditNote-2.1.xsd"
        } else {
            "UBL-Invoice-2.1.xsd"
        };
        let schema = dir.join("ubl-2.1-xsd/maindoc").join(xsd);
        let (ok, _, err) = tools::run(
            "xmllint",
            "libxml2-utils",
            &[
                "--noout",
                "--schema",
                schema.to_str().unwrap(),
                file.to_str().unwrap(),
            ],
        );
        if !ok {
            problems.push(format!("XSD: {err}"));
        }
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peppol/validate.py");
    let mut args = vec![
        script.to_str().unwrap().to_string(),
        dir.join("compiled").to_str().unwrap().to_string(),
    ];
    args.extend(files.iter().map(|f| f.to_str().unwrap().to_string()));
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, report, err) = tools::run("python3", "python3", &arg_refs);
    assert!(ok, "the Schematron run failed: {err}");
    for line in report.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let [file, rules, id, flag, location, text] = f[..] else {
            panic!("unexpected report line {line:?}")
        };
        let (_, problems) = out
            .iter_mut()
            .find(|(p, _)| p.to_str() == Some(file))
            .unwrap_or_else(|| panic!("report names an unknown file: {line}"));
        problems.push(format!("{rules} {id} [{flag}] at {location}: {text}"));
    }
    out
}

fn seller_in_germany() -> Seller {
    Seller {
        name: "Rheinwolke GmbH".into(),
        address: Address {
            lines: vec!["Domstraße 5".into()],
            postal_code: "50668".into(),
            city: "Köln".into(),
            region: None,
            country: "DE".into(),
        },
        tax_id: Some("DE136695976".into()),
        registration_id: Some("HRB 12345".into()),
        email: Some("rechnung@rheinwolke.example".into()),
        phone: Some("+49 221 123456".into()),
        website: None,
        footer_note: None,
        electronic_address: Some(ElectronicAddress {
            scheme: "9930".into(),
            value: "DE136695976".into(),
        }),
        logo_png: None,
        accent_rgb: [0x10, 0x60, 0x40],
        bank_account: Some(BankAccount {
            iban: "DE89 3704 0044 0532 0130 00".into(),
            bic: Some("COBADEFFXXX".into()),
            holder: "Rheinwolke GmbH".into(),
        }),
    }
}

/// Every kind of document we issue, named.
fn every_kind() -> Vec<(&'static str, Document)> {
    let domestic = fixtures::document(
        DocumentKind::Invoice,
        "INV-2025-000100",
        fixtures::buyer("Fjordkraft Hosting AS", Some("Kari Nordmann"), "NO"),
        fixtures::usage_lines(3, TaxCategory::Standard, 2500),
        false,
        false,
    );
    let mut eu_reverse = fixtures::document(
        DocumentKind::Invoice,
        "INV-2025-000101",
        fixtures::buyer("Société Nuage SARL", None, "FR"),
        fixtures::usage_lines(2, TaxCategory::ReverseCharge, 0),
        true,
        false,
    );
    eu_reverse.seller = seller_in_germany();
    let mut german = fixtures::document(
        DocumentKind::Invoice,
        "INV-2025-000102",
        fixtures::buyer("Müller & Söhne KG", None, "DE"),
        fixtures::usage_lines(2, TaxCategory::Standard, 1900),
        false,
        false,
    );
    german.seller = seller_in_germany();
    german.buyer.address.city = "Berlin".into();
    german.buyer.address.postal_code = "10115".into();
    let export = fixtures::document(
        DocumentKind::Invoice,
        "INV-2025-000103",
        fixtures::buyer("Prairie Cloud Inc.", None, "US"),
        fixtures::usage_lines(2, TaxCategory::Export, 0),
        false,
        false,
    );
    let mut outside = fixtures::document(
        DocumentKind::Invoice,
        "INV-2025-000104",
        fixtures::buyer("Prairie Cloud Inc.", None, "US"),
        fixtures::usage_lines(2, TaxCategory::OutsideScope, 0),
        false,
        false,
    );
    // A customer's VAT id on file is left out of a not-subject-to-VAT e-invoice.
    outside.buyer.tax_id = Some("DE136695976".into());
    outside.buyer.address.country = "DE".into();
    outside.buyer.electronic_address = Some(fixtures::peppol_id("DE"));
    let mut unicode_names = fixtures::document(
        DocumentKind::Invoice,
        "INV-2025-000105",
        fixtures::buyer(
            "王小明有限公司 Ltd — شركة السحاب — ענן בע״מ — क्लाउड प्रा. लि.",
            Some("Zoë Ødegård"),
            "DE",
        ),
        fixtures::usage_lines(2, TaxCategory::ReverseCharge, 0),
        true,
        true,
    );
    unicode_names.lines[0].description = "Ёлкин Пётр — サーバー 東京 — خادم".into();
    vec![
        ("domestic", domestic),
        ("unicode", fixtures::unicode_invoice()),
        ("long", fixtures::long_invoice(60)),
        ("reverse-charge", fixtures::reverse_charge_invoice()),
        ("eu-reverse-charge", eu_reverse),
        ("german-domestic", german),
        ("export", export),
        ("outside-scope", outside),
        ("credit-note", fixtures::credit_note()),
        ("unicode-names", unicode_names),
    ]
}

#[test]
fn the_validation_pipeline_passes_the_official_examples_and_catches_a_broken_file() {
    let Some(dir) = validation_setup("the_validation_pipeline_passes_the_official_examples") else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 3,
        "official examples missing in {}",
        dir.display()
    );
    // A file of ours with the e-mail scheme the old code wrote must fail (CL008).
    let good = cs_invoice::to_ubl_xml(&fixtures::unicode_invoice()).unwrap();
    let broken = good.replacen("schemeID=\"0192\"", "schemeID=\"EM\"", 1);
    assert_ne!(good, broken);
    let broken = tools::write(
        &tools::out_dir("peppol"),
        "broken-em.xml",
        broken.as_bytes(),
    );
    files.push(broken.clone());
    for (file, problems) in validate(&dir, &files) {
        let fatal: Vec<&String> = problems
            .iter()
            .filter(|p| !p.contains("[warning]"))
            .collect();
        if file == broken {
            assert!(
                fatal.iter().any(|p| p.contains("PEPPOL-EN16931-CL008")),
                "the pipeline missed the EM scheme: {problems:#?}"
            );
        } else {
            assert!(fatal.is_empty(), "{}: {fatal:#?}", file.display());
        }
    }
}

#[test]
fn every_kind_of_e_invoice_we_issue_passes_the_xsd_and_both_rule_sets() {
    let Some(dir) = validation_setup("every_kind_of_e_invoice_we_issue_passes") else {
        return;
    };
    let out = tools::out_dir("peppol");
    let mut files = Vec::new();
    for (name, doc) in every_kind() {
        let gaps = e_invoice_gaps(&doc);
        assert!(gaps.is_empty(), "{name} has gaps: {gaps:#?}");
        let xml = cs_invoice::to_ubl_xml(&doc).unwrap_or_else(|e| panic!("{name}: {e}"));
        files.push(tools::write(&out, &format!("{name}.xml"), xml.as_bytes()));
    }
    let mut failures = Vec::new();
    for (file, problems) in validate(&dir, &files) {
        if !problems.is_empty() {
            failures.push(format!("{}:\n  {}", file.display(), problems.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "e-invoices fail Peppol BIS Billing 3.0 (warnings included):\n{}",
        failures.join("\n")
    );
}

#[test]
fn one_note_no_vat_rate_or_vat_ids_when_not_subject_to_vat_and_foretaksregisteret() {
    let docs = every_kind();
    let get = |n: &str| docs.iter().find(|(name, _)| *name == n).unwrap().1.clone();
    let rc = cs_invoice::to_ubl_xml(&get("reverse-charge")).unwrap();
    assert_eq!(rc.matches("\n  <cbc:Note>").count(), 1, "{rc}");
    assert!(rc.contains(
        "<cbc:TaxExemptionReason>Reverse charge: VAT to be accounted for by the recipient"
    ));
    assert!(rc.contains("<cbc:CompanyID>Foretaksregisteret</cbc:CompanyID>"));
    assert!(rc.contains("<cbc:CompanyID schemeID=\"0192\">995525828</cbc:CompanyID>"));
    assert!(rc.contains("<cbc:EndpointID schemeID=\"0192\">995525828</cbc:EndpointID>"));
    let o = cs_invoice::to_ubl_xml(&get("outside-scope")).unwrap();
    assert!(!o.contains("<cbc:Percent>"), "{o}");
    assert!(
        !o.contains("DE136695976</cbc:CompanyID>") && !o.contains("NO995525828MVA"),
        "{o}"
    );
    assert!(o.contains("<cbc:TaxExemptionReasonCode>VATEX-EU-O</cbc:TaxExemptionReasonCode>"));
}

fn fields(gaps: &[cs_invoice::EInvoiceGap]) -> Vec<(GapParty, &str)> {
    gaps.iter().map(|g| (g.party, g.field)).collect()
}

#[test]
fn missing_peppol_data_is_named_before_issuing_and_the_ubl_is_refused() {
    let mut doc = fixtures::unicode_invoice();
    assert!(e_invoice_gaps(&doc).is_empty());

    doc.seller.electronic_address = None;
    doc.buyer.electronic_address = Some(ElectronicAddress {
        scheme: "EM".into(),
        value: "accounts@customer.example".into(),
    });
    doc.seller.tax_id = Some("NO995525829MVA".into());
    let gaps = e_invoice_gaps(&doc);
    assert_eq!(
        fields(&gaps),
        vec![
            (GapParty::Seller, "electronic_address"),
            (GapParty::Seller, "tax_id"),
            (GapParty::Customer, "electronic_address"),
        ],
        "{gaps:#?}"
    );
    assert!(
        gaps[0].message.contains("Settings → Branding"),
        "{}",
        gaps[0]
    );
    assert!(gaps[1].message.contains("check digit"), "{}", gaps[1]);
    assert!(
        gaps[2].message.contains("not a Peppol address"),
        "{}",
        gaps[2]
    );
    for g in &gaps {
        assert!(!g.message.ends_with('.'), "{g}");
    }
    match cs_invoice::to_ubl_xml(&doc) {
        Err(InvoiceError::EInvoiceIncomplete { number, gaps: g }) => {
            assert_eq!(number, "INV-2025-000042");
            assert_eq!(g, gaps);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let msg = cs_invoice::to_ubl_xml(&doc).unwrap_err().to_string();
    assert!(
        msg.contains("INV-2025-000042 cannot be a valid Peppol e-invoice"),
        "{msg}"
    );
}

#[test]
fn party_gaps_follow_the_tax_categories_and_the_national_rules() {
    let seller = fixtures::seller(false);
    let mut buyer = fixtures::buyer("Ёлкин Пётр GmbH", None, "DE");
    assert!(party_gaps(&seller, &buyer, &[TaxCategory::ReverseCharge]).is_empty());
    buyer.tax_id = None;
    assert_eq!(
        fields(&party_gaps(&seller, &buyer, &[TaxCategory::ReverseCharge])),
        vec![(GapParty::Customer, "tax_id")]
    );
    assert!(party_gaps(&seller, &buyer, &[TaxCategory::Standard]).is_empty());
    buyer.tax_id = Some("DE136695977".into());
    let g = party_gaps(&seller, &buyer, &[TaxCategory::Standard]);
    assert_eq!(fields(&g), vec![(GapParty::Customer, "tax_id")]);
    assert!(g[0].message.contains("German VAT number"), "{}", g[0]);
    // Not subject to VAT: the VAT ids are not written, so a malformed one is no gap.
    assert!(party_gaps(&seller, &buyer, &[TaxCategory::OutsideScope]).is_empty());

    let mut no_vat_seller = seller.clone();
    no_vat_seller.tax_id = None;
    no_vat_seller.registration_id = None;
    assert_eq!(
        fields(&party_gaps(
            &no_vat_seller,
            &fixtures::buyer("X", None, "NO"),
            &[TaxCategory::Standard]
        )),
        vec![
            (GapParty::Seller, "tax_id"),
            (GapParty::Seller, "registration_id")
        ]
    );

    // German seller to German customer: contact, city, bank account for both sides.
    let mut de = seller_in_germany();
    de.phone = None;
    de.bank_account = None;
    let mut de_buyer = fixtures::buyer("Müller KG", None, "DE");
    de_buyer.address.city = String::new();
    assert_eq!(
        fields(&party_gaps(&de, &de_buyer, &[TaxCategory::Standard])),
        vec![
            (GapParty::Seller, "phone"),
            (GapParty::Seller, "bank_account"),
            (GapParty::Customer, "address.city"),
        ]
    );
    let mut dk = seller.clone();
    dk.address.country = "DK".into();
    dk.tax_id = Some("DK13585628".into());
    dk.registration_id = None;
    assert_eq!(
        fields(&party_gaps(&dk, &buyer, &[TaxCategory::OutsideScope])),
        vec![(GapParty::Seller, "registration_id")]
    );
}
