//! Documents for accountants through the façade: branding stored and printed
//! (and kept by the documents issued with it), logo checks, the UBL file, the
//! in-app PDF, and the period export with progress, cancellation and no
//! overwriting.

use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use base64::Engine as _;
use chrono::Duration;
use cs_app::dto::*;

use crate::TestApp;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A small RGB PNG: an accent-coloured bar on white.
fn logo_png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().unwrap();
        let px: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                if (i % w) < w / 3 {
                    [0xc0, 0x1f, 0x5a]
                } else {
                    [0xff, 0xff, 0xff]
                }
            })
            .collect();
        wr.write_image_data(&px).unwrap();
    }
    out
}

fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .unwrap_or_else(|e| {
            panic!("pdftotext could not be run ({e}): install the Debian package poppler-utils")
        });
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn branding(logo_id: Option<String>) -> BrandingInput {
    BrandingInput {
        legal_name: "Nordlys Cloud AS".into(),
        address_lines: "Akersgata 1\n0158 Oslo".into(),
        country: "no".into(),
        tax_id: "NO995525828MVA".into(),
        email: "billing@nordlys.example".into(),
        phone: "+47 22 33 44 55".into(),
        website: "www.nordlys.example".into(),
        accent: "#C01F5A".into(),
        payment_instructions: "Top up your wallet by bank transfer to IBAN NO93 8601 1117 947."
            .into(),
        footer_note: "Thank you for hosting with Nordlys.".into(),
        logo_id,
        postal_code: String::new(),
        city: String::new(),
        registration_id: String::new(),
        peppol_id: String::new(),
        bank_iban: String::new(),
        bank_bic: String::new(),
        bank_holder: String::new(),
    }
}

/// The branding with everything a Peppol e-invoice needs of the seller.
fn peppol_branding() -> BrandingInput {
    BrandingInput {
        address_lines: "Akersgata 1".into(),
        postal_code: "0158".into(),
        city: "Oslo".into(),
        registration_id: "995525828".into(),
        peppol_id: "0192:995525828".into(),
        bank_iban: "NO93 8601 1117 947".into(),
        bank_bic: "DNBANOKKXXX".into(),
        ..branding(None)
    }
}

/// A customer with everything a Peppol e-invoice needs of it.
fn peppol_customer(t: &TestApp, name: &str, email: &str, peppol_id: &str) -> OrganizationDto {
    t.app
        .create_organization(OrganizationInput {
            name: name.into(),
            contact_name: "Zoë Ødegård".into(),
            contact_email: email.into(),
            country: "NO".into(),
            tax_id: None,
            address_lines: Some("Storgata 5".into()),
            postal_code: Some("0155".into()),
            city: Some("Oslo".into()),
            peppol_id: Some(peppol_id.into()),
        })
        .unwrap()
}

/// January's invoices of customers with one server each, issued by the billing run in
/// February, in the order of `orgs`.
async fn january_invoices(t: &TestApp, orgs: &[&OrganizationDto]) -> Vec<DocumentSummaryDto> {
    let plan = t.plan("Starter").await;
    for (i, org) in orgs.iter().enumerate() {
        t.app
            .create_server(
                t.server_input(org, &plan, &format!("web-{i}")),
                Default::default(),
            )
            .await
            .unwrap();
    }
    t.tick().await;
    t.tick().await;
    t.clock.advance(Duration::hours(15)); // into February: January's invoice is due
    t.app.run_billing().await.unwrap();
    orgs.iter()
        .map(|org| {
            t.app
                .list_documents(DocumentFilterInput {
                    organization_id: Some(org.id.clone()),
                    kind: Some("invoice".into()),
                    period: None,
                })
                .unwrap()
                .into_iter()
                .next()
                .expect("January's invoice")
        })
        .collect()
}

fn payment(org: &OrganizationDto, amount: &str, reference: &str) -> PaymentInput {
    PaymentInput {
        organization_id: org.id.clone(),
        amount: amount.into(),
        method: "bank_transfer".into(),
        reference: reference.into(),
        note: None,
    }
}

fn fields(e: cs_app::AppError) -> Vec<(String, String)> {
    e.to_dto()
        .fields
        .into_iter()
        .map(|f| (f.field, f.message))
        .collect()
}

#[tokio::test]
async fn branding_is_stored_printed_and_kept_by_documents_issued_with_it() {
    let t = TestApp::new();
    let before = t.app.branding().unwrap();
    assert!(!before.saved);
    assert_eq!(before.branding.legal_name, "My Cloud");

    let org = t.customer("Αθηνά Παπαδοπούλου", "athena@example.gr");
    let w = t
        .app
        .record_payment(payment(&org, "10.00", "BANK-1"))
        .await
        .unwrap();
    let old_receipt = w
        .documents
        .iter()
        .find(|d| d.kind == "receipt")
        .unwrap()
        .id
        .clone();

    let logo = t
        .app
        .upload_logo(LogoUploadInput {
            file_name: "logo.png".into(),
            data_base64: b64(&logo_png(240, 80)),
        })
        .unwrap();
    assert_eq!((logo.width, logo.height), (240, 80));
    assert!(logo.data_url.starts_with("data:image/png;base64,"));
    let saved = t
        .app
        .update_branding(branding(Some(logo.id.clone())))
        .unwrap();
    assert!(saved.saved);
    assert_eq!(saved.branding.country, "NO");
    assert_eq!(saved.branding.accent, "#c01f5a");
    assert_eq!(
        saved.logo.as_ref().map(|l| l.id.clone()),
        Some(logo.id.clone())
    );
    // Survives a restart.
    let t = t.restart();
    assert_eq!(t.app.branding().unwrap().branding, saved.branding);

    // A document issued now prints the seller block, contact line and footer.
    let w = t
        .app
        .record_payment(payment(&org, "25.00", "BANK-2"))
        .await
        .unwrap();
    let receipt = w
        .documents
        .iter()
        .find(|d| d.kind == "receipt" && d.id != old_receipt)
        .unwrap()
        .id
        .clone();
    let (_, pdf) = t.app.document_pdf(&receipt).unwrap();
    let text = squash(&pdftotext(&pdf));
    for needle in [
        "Nordlys Cloud AS",
        "Akersgata 1",
        "0158 Oslo",
        "Norway",
        "VAT ID NO995525828MVA",
        "+47 22 33 44 55",
        "www.nordlys.example",
        "Thank you for hosting with Nordlys.",
        "Αθηνά Παπαδοπούλου",
    ] {
        assert!(
            text.contains(needle),
            "{needle:?} is missing from the receipt:\n{text}"
        );
    }
    assert!(
        pdf.windows(b"/Subtype /Image".len())
            .any(|w| w == b"/Subtype /Image")
            || pdf.windows(6).any(|w| w == b"/Image"),
        "the logo is embedded"
    );
    if let Ok(out) = std::env::var("CS_PDF_OUT") {
        std::fs::write(out, &pdf).unwrap();
    }
    // The receipt issued before the branding keeps the seller it was issued with.
    let old_text = squash(&pdftotext(&t.app.document_pdf(&old_receipt).unwrap().1));
    assert!(
        old_text.contains("My Cloud") && !old_text.contains("Nordlys"),
        "an issued document keeps its seller:\n{old_text}"
    );

    // Changing the branding changes only documents issued afterwards.
    let mut renamed = branding(None);
    renamed.legal_name = "Nordlys Hosting AS".into();
    t.app.update_branding(renamed).unwrap();
    let again = squash(&pdftotext(&t.app.document_pdf(&receipt).unwrap().1));
    assert!(again.contains("Nordlys Cloud AS") && !again.contains("Nordlys Hosting AS"));
    assert_eq!(
        t.app.document_pdf(&receipt).unwrap().1,
        pdf,
        "the same document gives the same bytes"
    );
    // The logo the receipt printed is kept although the branding dropped it.
    assert_eq!(t.table_count("branding_logos"), 1);

    // The preview uses the unsaved form.
    let mut draft = branding(Some(logo.id.clone()));
    draft.legal_name = "Zoë Ødegård Hosting".into();
    let preview = t.app.preview_branding(draft).unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(preview.pdf_base64)
        .unwrap();
    let text = squash(&pdftotext(&bytes));
    assert!(
        text.contains("Zoë Ødegård Hosting") && text.contains("INV-2026-000001"),
        "{text}"
    );
    assert_eq!(
        t.app.branding().unwrap().branding.legal_name,
        "Nordlys Hosting AS",
        "previewing saves nothing"
    );
}

#[test]
fn bad_branding_and_bad_logos_get_clear_errors() {
    let t = TestApp::new();
    let mut bad = branding(None);
    bad.legal_name = " ".into();
    bad.country = "Norway".into();
    bad.accent = "crimson".into();
    bad.email = "billing(at)nordlys".into();
    bad.footer_note = "x".repeat(91);
    let f = fields(t.app.update_branding(bad).unwrap_err());
    let names: Vec<&str> = f.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["legalName", "country", "email", "accent", "footerNote"]
    );
    assert!(f[3].1.contains("#rrggbb"));
    assert!(!t.app.branding().unwrap().saved, "nothing was written");

    let upload = |bytes: &[u8], name: &str| {
        t.app.upload_logo(LogoUploadInput {
            file_name: name.into(),
            data_base64: b64(bytes),
        })
    };
    let msg = |r: cs_app::AppResult<LogoDto>| {
        let e = r.unwrap_err();
        assert_eq!(e.code(), "validation");
        fields(e).remove(0)
    };
    let (field, m) = msg(upload(b"GIF89a....", "logo.png"));
    assert_eq!(field, "logo");
    assert!(m.contains("PNG"), "{m}");
    let (_, m) = msg(upload(b"%PDF-1.7 not an image", "logo.jpg"));
    assert!(m.contains("not a PNG or JPEG"), "{m}");
    let (_, m) = msg(upload(&vec![0u8; 1024 * 1024 + 1], "big.png"));
    assert!(m.contains("at most 1024 KB"), "{m}");
    let (_, m) = msg(upload(&logo_png(8, 8), "tiny.png"));
    assert!(m.contains("at least 16"), "{m}");
    let (_, m) = msg(upload(&logo_png(2400, 20), "wide.png"));
    assert!(m.contains("at most 2000"), "{m}");
    let mut broken = logo_png(64, 64);
    broken.truncate(broken.len() / 2);
    let (_, m) = msg(upload(&broken, "broken.png"));
    assert!(m.contains("damaged") || m.contains("cannot be read"), "{m}");
    let (_, m) = msg(t.app.upload_logo(LogoUploadInput {
        file_name: "x.png".into(),
        data_base64: "%%%".into(),
    }));
    assert!(m.contains("choose the file again"), "{m}");
    let (field, _) = fields(
        t.app
            .update_branding(branding(Some("0".repeat(64))))
            .unwrap_err(),
    )
    .remove(0);
    assert_eq!(field, "logo");
    assert_eq!(t.table_count("branding_logos"), 0);

    // A saved upload that is replaced and printed nowhere is removed.
    let a = upload(&logo_png(64, 32), "a.png").unwrap();
    let b = upload(&logo_png(96, 32), "b.png").unwrap();
    t.app.update_branding(branding(Some(b.id.clone()))).unwrap();
    assert_eq!(
        t.table_count("branding_logos"),
        1,
        "the unused upload {} was dropped",
        a.id
    );
}

#[tokio::test]
async fn ubl_e_invoices_are_refused_without_peppol_ids_and_for_receipts() {
    let t = TestApp::new();
    t.app.update_branding(branding(None)).unwrap();
    let org = t.customer("Ёлкин Пётр", "petr@example.ru");
    let plan = t.plan("Starter").await;
    let s = t
        .app
        .create_server(t.server_input(&org, &plan, "web-1"), Default::default())
        .await
        .unwrap();
    t.tick().await;
    t.tick().await;
    let _ = s;
    t.clock.advance(Duration::hours(15)); // into February: January's invoice is due
    t.app.run_billing().await.unwrap();
    let docs = t
        .app
        .list_documents(DocumentFilterInput {
            organization_id: None,
            kind: Some("invoice".into()),
            period: None,
        })
        .unwrap();
    let invoice = docs.first().expect("January's invoice");
    let dir = tempfile::tempdir().unwrap();
    let number = invoice.number.clone().unwrap();
    // Branding and customers hold no Peppol participant identifier yet, so no e-invoice
    // that would fail the Peppol rules is written; the refusal names what is missing.
    let e = t
        .app
        .save_document_ubl_in(&invoice.id, dir.path())
        .unwrap_err();
    assert_eq!(e.code(), "conflict");
    assert!(
        e.to_string().contains(&number) && e.to_string().contains("Peppol participant identifier"),
        "{e}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );

    let w = t
        .app
        .record_payment(payment(&org, "5.00", "BANK-7"))
        .await
        .unwrap();
    let receipt = w.documents.iter().find(|d| d.kind == "receipt").unwrap();
    let e = t
        .app
        .save_document_ubl_in(&receipt.id, dir.path())
        .unwrap_err();
    assert_eq!(e.code(), "conflict");
    assert!(
        e.to_string().contains("receipts have no e-invoice form"),
        "{e}"
    );

    let pdf = t.app.document_pdf_dto(&invoice.id).unwrap();
    assert_eq!(pdf.file_name, format!("{number}.pdf"));
    assert!(base64::engine::general_purpose::STANDARD
        .decode(pdf.pdf_base64)
        .unwrap()
        .starts_with(b"%PDF-"));
}

#[test]
fn peppol_data_of_the_seller_and_the_customer_is_checked_field_by_field() {
    let t = TestApp::new();
    let e = t
        .app
        .update_branding(BrandingInput {
            tax_id: "NO923456789MVA".into(),
            postal_code: "01:58".into(),
            peppol_id: "0192:995525827".into(),
            bank_iban: "NO93 8601 1117 948".into(),
            bank_bic: "DNB".into(),
            ..peppol_branding()
        })
        .unwrap_err();
    let f = fields(e);
    let names: Vec<&str> = f.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["taxId", "postalCode", "peppolId", "bankIban", "bankBic"],
        "{f:?}"
    );
    assert!(f[0].1.contains("Norwegian VAT number"), "{f:?}");
    assert!(f[3].1.contains("check digits"), "{f:?}");
    assert!(!t.app.branding().unwrap().saved, "nothing was saved");

    // Saved without a Peppol identifier: the screen lists what e-invoices lack.
    let saved = t
        .app
        .update_branding(BrandingInput {
            peppol_id: String::new(),
            registration_id: String::new(),
            ..peppol_branding()
        })
        .unwrap();
    assert!(
        saved
            .e_invoice_gaps
            .iter()
            .any(|g| g.contains("no Peppol participant identifier")),
        "{:?}",
        saved.e_invoice_gaps
    );
    let saved = t.app.update_branding(peppol_branding()).unwrap();
    assert_eq!(saved.e_invoice_gaps, Vec::<String>::new());
    assert_eq!(saved.branding.peppol_id, "0192:995525828");
    assert_eq!(saved.branding.bank_iban, "NO9386011117947");
    assert_eq!(saved.branding.tax_id, "NO995525828MVA");

    let e = t
        .app
        .create_organization(OrganizationInput {
            name: "Fjord Data AS".into(),
            contact_name: "Kari".into(),
            contact_email: "kari@fjord.example".into(),
            country: "NO".into(),
            tax_id: None,
            address_lines: Some("1\n2\n3\n4".into()),
            postal_code: Some("0155".into()),
            city: Some("Oslo\u{202e}".into()),
            peppol_id: Some("0088:5790000435969".into()),
        })
        .unwrap_err();
    let f = fields(e);
    let names: Vec<&str> = f.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["addressLines", "city", "peppolId"], "{f:?}");
    assert!(
        t.app.list_organizations().unwrap().is_empty(),
        "nothing was saved"
    );

    // A customer without an identifier: its screen names the gap; with one, none.
    let org = t.customer("Fjord Data AS", "kari@fjord.example");
    let detail = t.app.get_organization(&org.id).unwrap();
    assert_eq!(
        detail.e_invoice_gaps.len(),
        1,
        "{:?}",
        detail.e_invoice_gaps
    );
    assert!(detail.e_invoice_gaps[0].contains("Fjord Data AS has no Peppol participant identifier"));
    let updated = t
        .app
        .update_organization(
            &org.id,
            OrganizationInput {
                name: "Fjord Data AS".into(),
                contact_name: "Kari".into(),
                contact_email: "kari@fjord.example".into(),
                country: "NO".into(),
                tax_id: None,
                address_lines: Some(" Storgata 5 \n\n".into()),
                postal_code: Some("0155".into()),
                city: Some("Oslo".into()),
                peppol_id: Some("0088:5790000435968".into()),
            },
        )
        .unwrap();
    assert_eq!(updated.peppol_id, "0088:5790000435968");
    assert_eq!(updated.address_lines, "Storgata 5");
    let detail = t.app.get_organization(&org.id).unwrap();
    assert_eq!(detail.e_invoice_gaps, Vec::<String>::new());
    assert_eq!(detail.organization.city, "Oslo");
}

#[tokio::test]
async fn a_ubl_needs_the_peppol_data_the_document_was_issued_with_and_keeps_it() {
    let t = TestApp::new();
    t.app.update_branding(peppol_branding()).unwrap();
    let without = t.customer("Ёлкин Пётр", "petr@example.ru");
    let with = peppol_customer(
        &t,
        "Fjord Data AS",
        "kari@fjord.example",
        "0088:5790000435968",
    );
    let [before, invoice]: [DocumentSummaryDto; 2] = january_invoices(&t, &[&without, &with])
        .await
        .try_into()
        .unwrap();

    // The customer issued without an identifier: refused, naming what is missing.
    let dir = tempfile::tempdir().unwrap();
    let e = t
        .app
        .save_document_ubl_in(&before.id, dir.path())
        .unwrap_err();
    assert_eq!(e.code(), "conflict");
    let msg = e.to_string();
    assert!(
        msg.contains("Ёлкин Пётр has no Peppol participant identifier")
            && !msg.contains("the seller"),
        "{msg}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    // Issued with the data: written, with both identifiers, the addresses, the bank.
    let saved = t.app.save_document_ubl_in(&invoice.id, dir.path()).unwrap();
    let xml = std::fs::read_to_string(&saved.path).unwrap();
    for needle in [
        r#"<cbc:EndpointID schemeID="0192">995525828</cbc:EndpointID>"#,
        r#"<cbc:EndpointID schemeID="0088">5790000435968</cbc:EndpointID>"#,
        "Akersgata 1",
        "Storgata 5",
        "<cbc:PostalZone>0155</cbc:PostalZone>",
        "<cbc:CityName>Oslo</cbc:CityName>",
        "NO9386011117947",
    ] {
        assert!(xml.contains(needle), "{needle} missing from {xml}");
    }

    // Filling the data in later does not reach a document issued without it, and
    // changing it does not change a document issued with it (the triggers copied it).
    t.app
        .update_organization(
            &without.id,
            OrganizationInput {
                name: "Ёлкин Пётр".into(),
                contact_name: "Zoë Ødegård".into(),
                contact_email: "petr@example.ru".into(),
                country: "NO".into(),
                tax_id: None,
                peppol_id: Some("0192:995525828".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(t.app.document_ubl(&before.id).is_err());
    let mut changed = peppol_branding();
    changed.peppol_id = "0088:5790000435968".into();
    changed.city = "Bergen".into();
    t.app.update_branding(changed).unwrap();
    t.app
        .update_organization(
            &with.id,
            OrganizationInput {
                name: "Fjord Data AS".into(),
                contact_name: "Zoë Ødegård".into(),
                contact_email: "kari@fjord.example".into(),
                country: "NO".into(),
                tax_id: None,
                ..Default::default()
            },
        )
        .unwrap();
    let (_, again) = t.app.document_ubl(&invoice.id).unwrap();
    assert_eq!(
        again, xml,
        "the issued document keeps its seller and customer"
    );

    // The period export writes the one e-invoice it can and counts the other.
    let r = t
        .app
        .export_documents(
            ExportInput {
                from: "2026-02-01".into(),
                to: "2026-02-28".into(),
                folder: dir.path().display().to_string(),
                file_name: "february".into(),
            },
            &|_| {},
        )
        .unwrap();
    assert_eq!(
        (r.documents, r.e_invoices, r.e_invoices_not_written),
        (2, 1, 1)
    );
    let why = unzip_text(&r.path, "ubl_not_written.txt");
    assert!(
        why.contains("Ёлкин Пётр has no Peppol participant identifier"),
        "{why}"
    );
}

#[tokio::test]
async fn downloads_never_replace_a_file_nor_follow_a_link() {
    let t = TestApp::new();
    t.app.update_branding(peppol_branding()).unwrap();
    let org = peppol_customer(
        &t,
        "Fjord Data AS",
        "kari@fjord.example",
        "0088:5790000435968",
    );
    let invoice = january_invoices(&t, &[&org]).await.remove(0);
    let number = invoice.number.clone().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();

    // A file of the same name is kept as it was; the download takes a free name.
    std::fs::write(dir.path().join(format!("{number}.pdf")), b"my notes").unwrap();
    let pdf = t.app.save_document_pdf_in(&invoice.id, dir.path()).unwrap();
    assert_eq!(
        pdf.path,
        dir.path()
            .join(format!("{number}-2.pdf"))
            .display()
            .to_string()
    );
    assert_eq!(
        std::fs::read(dir.path().join(format!("{number}.pdf"))).unwrap(),
        b"my notes"
    );
    assert!(std::fs::read(&pdf.path).unwrap().starts_with(b"%PDF-"));

    // A link at the name is not followed: its target is untouched.
    let target = elsewhere.path().join("victim.txt");
    std::fs::write(&target, b"keep me").unwrap();
    std::os::unix::fs::symlink(&target, dir.path().join(format!("{number}.xml"))).unwrap();
    // A dangling link is not followed either (it would create its target).
    let dangling = elsewhere.path().join("created-through-a-link.xml");
    std::os::unix::fs::symlink(&dangling, dir.path().join(format!("{number}-2.xml"))).unwrap();
    let xml = t.app.save_document_ubl_in(&invoice.id, dir.path()).unwrap();
    assert_eq!(
        xml.path,
        dir.path()
            .join(format!("{number}-3.xml"))
            .display()
            .to_string()
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
    assert!(!dangling.exists(), "nothing was created through the link");

    // Downloading again gives another free name.
    let again = t.app.save_document_ubl_in(&invoice.id, dir.path()).unwrap();
    assert_eq!(
        again.path,
        dir.path()
            .join(format!("{number}-4.xml"))
            .display()
            .to_string()
    );
}

fn export_input(dir: &Path, name: &str) -> ExportInput {
    ExportInput {
        from: "2026-01-01".into(),
        to: "2026-01-31".into(),
        folder: dir.display().to_string(),
        file_name: name.into(),
    }
}

#[tokio::test]
async fn period_export_reports_progress_balances_cancels_cleanly_and_never_overwrites() {
    let t = TestApp::new();
    t.app.update_branding(branding(None)).unwrap();
    let zoe = t.customer("Zoë Ødegård", "zoe@example.no");
    let athena = t.customer("Αθηνά Παπαδοπούλου", "athena@example.gr");
    for i in 0..6 {
        let org = if i % 2 == 0 { &zoe } else { &athena };
        t.app
            .record_payment(payment(org, "12.34", &format!("BANK-{i}")))
            .await
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();

    // Errors first: nothing written.
    let e = t
        .app
        .export_documents(
            ExportInput {
                from: "2025-01-01".into(),
                to: "2025-01-31".into(),
                ..export_input(dir.path(), "")
            },
            &|_| {},
        )
        .unwrap_err();
    assert_eq!(
        fields(e)[0].1,
        "No documents were issued from 2025-01-01 to 2025-01-31: choose another period"
    );
    let e = t
        .app
        .export_documents(
            ExportInput {
                from: "2026-02-01".into(),
                ..export_input(dir.path(), "")
            },
            &|_| {},
        )
        .unwrap_err();
    assert_eq!(fields(e)[0].0, "to");
    let e = t
        .app
        .export_documents(export_input(&dir.path().join("missing"), ""), &|_| {})
        .unwrap_err();
    assert!(fields(e)[0].1.contains("does not exist"));
    let e = t
        .app
        .export_documents(export_input(Path::new("relative/folder"), ""), &|_| {})
        .unwrap_err();
    assert!(fields(e)[0].1.contains("not a full path"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    let plan = t
        .app
        .plan_export(
            "2026-01-01",
            "2026-01-31",
            &dir.path().display().to_string(),
        )
        .unwrap();
    assert_eq!(plan.documents, 6);
    assert_eq!(
        plan.suggested_file_name,
        "containerstacks-documents-2026-01-01-to-2026-01-31.zip"
    );

    // A cancelled export leaves no file behind.
    let seen = AtomicU32::new(0);
    let e = t
        .app
        .export_documents(export_input(dir.path(), "cancelled"), &|p| {
            seen.store(p.done, Ordering::SeqCst);
            if p.done == 2 {
                assert!(t.app.cancel_export());
            }
        })
        .unwrap_err();
    assert_eq!(e.code(), "conflict");
    assert!(e.to_string().contains("cancelled"), "{e}");
    assert!(seen.load(Ordering::SeqCst) < 6, "it stopped early");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no partial file is left"
    );
    assert!(!t.app.cancel_export(), "nothing runs any more");

    // A complete export, with progress after every document.
    let progress = Mutex::new(Vec::new());
    let r = t
        .app
        .export_documents(export_input(dir.path(), ""), &|p| {
            progress.lock().unwrap().push((p.done, p.total))
        })
        .unwrap();
    let progress = progress.into_inner().unwrap();
    assert_eq!(progress.first(), Some(&(0, 6)));
    assert_eq!(progress.last(), Some(&(6, 6)));
    assert_eq!(progress.len(), 7);
    assert_eq!(r.documents, 6);
    assert_eq!(r.payments, 6);
    assert!(r.journal_balanced);
    assert!(r
        .path
        .ends_with("containerstacks-documents-2026-01-01-to-2026-01-31.zip"));
    let size: u64 = r.size_bytes.parse().unwrap();
    assert_eq!(std::fs::metadata(&r.path).unwrap().len(), size);

    // It opens with standard tools and holds the PDFs and a journal that balances.
    let out = Command::new("unzip")
        .args(["-l", &r.path])
        .output()
        .expect("unzip (Debian package unzip)");
    assert!(out.status.success());
    let listing = String::from_utf8_lossy(&out.stdout);
    assert_eq!(listing.matches(".pdf").count(), 6, "{listing}");
    assert!(
        listing.contains("journal.csv")
            && listing.contains("tax_summary.csv")
            && listing.contains("payments_received.csv")
    );
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&r.path).unwrap()).unwrap();
    let mut journal = String::new();
    zip.by_name("journal.csv")
        .unwrap()
        .read_to_string(&mut journal)
        .unwrap();
    let (mut debit, mut credit) = (0i64, 0i64);
    let mut rows = journal.lines();
    let header: Vec<&str> = rows.next().unwrap().split(',').collect();
    let (di, ci) = (
        header.iter().position(|h| *h == "debit").unwrap(),
        header.iter().position(|h| *h == "credit").unwrap(),
    );
    for line in rows {
        let cells = cells(line);
        debit += cents(&cells[di]);
        credit += cents(&cells[ci]);
    }
    assert_eq!(debit, credit, "the journal balances:\n{journal}");
    assert_eq!(debit, 6 * 1234);

    // The same name again is refused with a free one suggested, and the first file is untouched.
    let e = t
        .app
        .export_documents(export_input(dir.path(), ""), &|_| {})
        .unwrap_err();
    let (field, m) = fields(e).remove(0);
    assert_eq!(field, "fileName");
    assert!(
        m.contains("already exists")
            && m.contains("containerstacks-documents-2026-01-01-to-2026-01-31-2.zip"),
        "{m}"
    );
    assert_eq!(std::fs::metadata(&r.path).unwrap().len(), size);
    assert_eq!(
        t.app
            .plan_export(
                "2026-01-01",
                "2026-01-31",
                &dir.path().display().to_string()
            )
            .unwrap()
            .suggested_file_name,
        "containerstacks-documents-2026-01-01-to-2026-01-31-2.zip"
    );
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn an_export_to_a_folder_that_cannot_be_written_says_so() {
    let t = TestApp::new();
    let org = t.customer("Acme", "ops@acme.example");
    t.app
        .record_payment(payment(&org, "1.00", "B-1"))
        .await
        .unwrap();
    // /proc is a folder nobody can create files in, root included.
    let e = t
        .app
        .export_documents(export_input(Path::new("/proc"), ""), &|_| {})
        .unwrap_err();
    let (field, m) = fields(e).remove(0);
    assert_eq!(field, "folder");
    assert!(m.contains("Cannot write in /proc"), "{m}");
}

fn unzip_text(zip_path: &str, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(zip_path).unwrap()).unwrap();
    let mut s = String::new();
    zip.by_name(name)
        .unwrap_or_else(|e| panic!("{name} is in the export: {e}"))
        .read_to_string(&mut s)
        .unwrap();
    s
}

/// Minor units of a CSV amount ("12.34" → 1234, "" → 0).
fn cents(s: impl AsRef<str>) -> i64 {
    let s = s.as_ref();
    if s.is_empty() {
        0
    } else {
        s.replace('.', "")
            .parse()
            .unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }
}

/// The fields of one RFC 4180 CSV row (quoted fields may hold commas and "").
fn cells(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let (mut quoted, mut chars) = (false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(String::new()),
            (c, _) => out.last_mut().unwrap().push(c),
        }
    }
    out
}

#[tokio::test]
async fn the_journal_is_the_ledger_of_the_period_and_reconciles_with_the_documents_or_the_export_is_refused(
) {
    let t = TestApp::new(); // 2026-01-31 10:30 UTC
    let zoe = t.customer("Zoë Ødegård", "zoe@example.no");
    let plan = t.plan("Starter").await; // 0.0225 an hour
    t.app
        .create_server(t.server_input(&zoe, &plan, "web-1"), Default::default())
        .await
        .unwrap();
    t.tick().await;
    t.tick().await;
    t.app.run_billing().await.unwrap();
    // Into February: January is billed to its end and invoiced on the 1st.
    t.clock.advance(Duration::hours(15));
    t.app.run_billing().await.unwrap();
    let invoices = t
        .app
        .list_documents(DocumentFilterInput {
            organization_id: None,
            kind: Some("invoice".into()),
            period: None,
        })
        .unwrap();
    assert_eq!(invoices.len(), 1, "January's invoice");
    let invoice = invoices[0].clone();
    let invoice_number = invoice.number.clone().unwrap();
    // 14 hours of 31 January at 0.0225 = 0.315, one line rounded once (no tax for this customer).
    assert_eq!(
        (invoice.total.amount.as_str(), invoice.tax.amount.as_str()),
        ("0.32", "0.00")
    );

    // February: a top-up, a manual adjustment, a refund (as the PayPal refund
    // records it) and January's invoice voided by a credit note.
    let w = t
        .app
        .record_payment(payment(&zoe, "20.00", "BANK-FEB-1"))
        .await
        .unwrap();
    let receipt = w
        .documents
        .iter()
        .find(|d| d.kind == "receipt")
        .unwrap()
        .clone();
    t.app
        .record_adjustment(AdjustmentInput {
            organization_id: zoe.id.clone(),
            amount: "2.50".into(),
            reason: "Goodwill for the outage".into(),
            key: "adj-1".into(),
        })
        .await
        .unwrap();
    {
        let mut conn = crate::rusqlite_conn(&t.dir);
        let tx = conn.transaction().unwrap();
        let currency = cs_billing::documents::get_summary(&tx, &receipt.id)
            .unwrap()
            .currency;
        cs_billing::wallet::refund(
            &tx,
            &cs_billing::wallet::NewRefund {
                organization_id: zoe.id.parse().unwrap(),
                amount: cs_core::Money::new(500, currency),
                method: cs_billing::wallet::PaymentMethod::BankTransfer,
                reference: "REFUND-1".into(),
                reason: "Overpaid".into(),
                receipt_id: receipt.id.clone(),
            },
            cs_core::Clock::now(&*t.clock),
            "staff:owner",
        )
        .unwrap();
        tx.commit().unwrap();
    }
    t.app.void_invoice(&invoice.id, "Billed in error").unwrap();
    t.clock.advance(Duration::hours(2));
    t.app.run_billing().await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let feb = |name: &str| ExportInput {
        from: "2026-02-01".into(),
        to: "2026-02-28".into(),
        folder: dir.path().display().to_string(),
        file_name: name.into(),
    };
    let r = t.app.export_documents(feb("february"), &|_| {}).unwrap();
    // invoice, receipt, refund's credit note, void's credit note
    assert_eq!(r.documents, 4);
    // Neither seller nor customer has a Peppol identifier: no e-invoice, and the count says so.
    assert_eq!((r.e_invoices, r.e_invoices_not_written), (0, 3));
    assert_eq!(r.reconciled_documents, 4);
    assert_eq!(r.reconciled_organizations, 1);
    let cur = invoice.total.currency.clone();
    assert_eq!(r.reconciliation_difference, format!("0.00 {cur}"));
    assert!(
        r.files.contains(&"reconciliation.csv".to_string()),
        "{:?}",
        r.files
    );
    let ok = Command::new("unzip")
        .args(["-t", &r.path])
        .output()
        .expect("unzip (Debian package unzip)");
    assert!(
        ok.status.success(),
        "unzip -t: {}",
        String::from_utf8_lossy(&ok.stdout)
    );

    // The journal: every February ledger transaction, each balancing, with its
    // document and an account name an accountant reads.
    let journal = unzip_text(&r.path, "journal.csv");
    let mut lines = journal.lines();
    assert_eq!(
        lines.next(),
        Some(
            "date,transaction,kind,organization,document,account,description,debit,credit,currency"
        )
    );
    let rows: Vec<Vec<String>> = lines.map(cells).collect();
    let mut per_txn: std::collections::BTreeMap<&str, i64> = Default::default();
    for row in &rows {
        assert_eq!(row.len(), 10, "{row:?}");
        assert!(row[0].starts_with("2026-02-"), "{row:?}");
        *per_txn.entry(&row[1]).or_default() += cents(&row[7]) - cents(&row[8]);
    }
    assert!(
        per_txn.values().all(|d| *d == 0),
        "every transaction balances: {per_txn:?}"
    );
    assert_eq!(per_txn.len() as u32, r.ledger_transactions);
    let kinds: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[2].as_str()).collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "adjustment",
            "credit_note",
            "invoice",
            "payment",
            "refund",
            "usage"
        ]
    );
    let find = |kind: &str, account: &str| {
        rows.iter()
            .find(|r| r[2] == kind && r[5] == account)
            .unwrap_or_else(|| panic!("{kind} on {account}:\n{journal}"))
    };
    // Exact figures: the top-up, the adjustment (with its reason), the refund.
    let top_up = find("payment", "2300 Customer wallets");
    assert_eq!(
        (top_up[4].as_str(), top_up[7].as_str(), top_up[8].as_str()),
        (receipt.number.as_deref().unwrap(), "", "20.00")
    );
    assert_eq!(find("payment", "1050 Payment clearing")[7], "20.00");
    let adj = find("adjustment", "4900 Wallet adjustments");
    assert_eq!(
        (adj[4].as_str(), adj[6].as_str(), adj[7].as_str()),
        ("", "Adjustment: Goodwill for the outage", "2.50")
    );
    assert_eq!(find("adjustment", "2300 Customer wallets")[8], "2.50");
    let refund = find("refund", "2300 Customer wallets");
    assert_eq!(refund[7], "5.00");
    assert!(
        refund[4].starts_with("CN-") || refund[4].contains("CN"),
        "the refund relates to its credit note: {refund:?}"
    );
    assert_eq!(find("refund", "1050 Payment clearing")[8], "5.00");
    // January's invoice posting (its rounding and tax) relates to the invoice; the
    // void gives the whole invoice back to the wallet.
    let total_minor: i64 = invoice.total.minor.parse().unwrap();
    let void = find("credit_note", "2300 Customer wallets");
    assert_eq!(
        cents(&void[8]),
        total_minor,
        "the void credits the invoice's total back: {void:?}"
    );
    for row in rows.iter().filter(|r| r[2] == "invoice") {
        assert_eq!(row[4], invoice_number);
    }
    // February's usage: not invoiced yet, so no document.
    assert!(rows
        .iter()
        .filter(|r| r[2] == "usage")
        .all(|r| r[4].is_empty() && r[6].starts_with("Usage 2026-02-")));

    // The reconciliation: per kind, documents vs ledger, difference 0.
    let rec = unzip_text(&r.path, "reconciliation.csv");
    let rec_rows: Vec<Vec<String>> = rec.lines().skip(1).map(cells).collect();
    let line = |what: &str| {
        rec_rows
            .iter()
            .find(|r| r[3] == what)
            .unwrap_or_else(|| panic!("{what}:\n{rec}"))
            .clone()
    };
    assert_eq!(rec.lines().next(), Some("organization,organization_id,currency,what,documents,documents_total,ledger_transactions,ledger_total,difference,note"));
    let inv_row = line("invoices");
    assert_eq!(
        (
            inv_row[0].as_str(),
            inv_row[4].as_str(),
            cents(&inv_row[5]),
            cents(&inv_row[7]),
            inv_row[8].as_str()
        ),
        ("Zoë Ødegård", "1", total_minor, total_minor, "0.00")
    );
    assert_eq!(
        &line("receipts")[4..9],
        ["1", "20.00", "1", "20.00", "0.00"]
    );
    assert_eq!(&line("refunds")[4..9], ["1", "-5.00", "1", "-5.00", "0.00"]);
    let cn = line("credit_notes");
    assert_eq!(
        (cents(&cn[5]), cents(&cn[7]), cn[8].as_str()),
        (-total_minor, -total_minor, "0.00")
    );
    assert_eq!(&line("adjustments")[4..9], ["", "", "1", "2.50", ""]);
    // February's first three hours: 0.0675 in the ledger, 0.07 in the journal so far.
    assert_eq!(&line("usage")[6..8], ["1", "0.0675"]);
    assert!(
        line("usage")[9].contains("2026-02 not invoiced yet"),
        "{rec}"
    );
    let feb_usage = find("usage", "2300 Customer wallets");
    assert_eq!((feb_usage[7].as_str(), feb_usage[8].as_str()), ("0.07", ""));
    // January's invoice posting: its rounding (0.32 - 0.315) is already in the
    // month's usage rounded once, so its rows show no amount.
    assert!(
        rows.iter()
            .filter(|r| r[2] == "invoice")
            .all(|r| r[7].is_empty() && r[8].is_empty()),
        "{journal}"
    );

    // January's export: its usage rows relate to the invoice issued on the 1st,
    // and add up, with the invoice's rounding and tax rows of February, to its total.
    // January holds no document of its own (its invoice is dated 1 February), but
    // its ledger is exported all the same.
    let plan_jan = t.app.plan_export("2026-01-01", "2026-01-31", "").unwrap();
    assert_eq!(plan_jan.documents, 0);
    assert!(plan_jan.ledger_transactions > 0);
    let j = t
        .app
        .export_documents(
            ExportInput {
                from: "2026-01-01".into(),
                to: "2026-01-31".into(),
                ..feb("january")
            },
            &|_| {},
        )
        .unwrap();
    assert_eq!(
        (j.documents, j.reconciliation_difference.as_str()),
        (0, format!("0.00 {cur}").as_str())
    );
    let journal_jan = unzip_text(&j.path, "journal.csv");
    let usage: i64 = journal_jan
        .lines()
        .skip(1)
        .map(cells)
        .filter(|r| r[2] == "usage" && r[5] == "2300 Customer wallets")
        .map(|r| {
            assert_eq!(
                r[4], invoice_number,
                "January's usage relates to January's invoice"
            );
            cents(&r[7])
        })
        .sum();
    let posting: i64 = rows
        .iter()
        .filter(|r| r[2] == "invoice" && r[5] == "2300 Customer wallets")
        .map(|r| cents(&r[7]) - cents(&r[8]))
        .sum();
    assert!(usage > 0);
    assert_eq!(
        usage + posting,
        total_minor,
        "January's usage rows and the invoice's posting add up to the invoice"
    );
    assert!(unzip_text(&j.path, "reconciliation.csv")
        .contains(&format!("2026-01 invoiced by {invoice_number}")));

    // Tampering: a stray payment with no receipt, and stray usage in the invoiced
    // January. The export refuses, names both, and writes nothing.
    // owner-exempt(ledger_accounts): finds the accounts a forged posting goes to
    // owner-exempt(ledger_txns): forges a posting the engine never writes, to see the export refuse it
    // owner-exempt(ledger_entries): forges a posting the engine never writes, to see the export refuse it
    let conn = crate::rusqlite_conn(&t.dir);
    let account = |kind: &str, org: &str| -> i64 {
        conn.query_row(
            "SELECT id FROM ledger_accounts WHERE kind = ?1 AND organization_id = ?2",
            [kind, org],
            |r| r.get(0),
        )
        .unwrap()
    };
    let (wallet, clearing, revenue) = (
        account("wallet", &zoe.id),
        account("payment_clearing", ""),
        account("revenue", ""),
    );
    conn.execute(
        "INSERT INTO ledger_txns (idem_key, kind, organization_id, currency, fingerprint, at, memo, actor) VALUES ('payment:cash:STRAY-1', 'payment', ?1, ?2, 'x', '2026-02-01T03:00:00Z', 'Payment by cash, ref STRAY-1', 'test')",
        [&zoe.id, &cur],
    )
    .unwrap();
    let stray = conn.last_insert_rowid();
    conn.execute("INSERT INTO ledger_entries (txn_id, account_id, amount_micros) VALUES (?1, ?2, 5000000), (?1, ?3, -5000000)", [stray, wallet, clearing]).unwrap();
    let before: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let e = t
        .app
        .export_documents(feb("tampered"), &|_| {})
        .unwrap_err();
    assert_eq!(e.code(), "conflict");
    let m = e.to_string();
    assert!(
        m.contains("do not match the ledger, so nothing was exported"),
        "{m}"
    );
    assert!(
        m.contains(&format!("Zoë Ødegård: ledger transaction {stray} of 2026-02-01 (\"Payment by cash, ref STRAY-1\", 5.00 {cur} on the wallet) has no receipt: every payment must come with a receipt (difference 5.00 {cur})")),
        "{m}"
    );
    let after: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(before, after, "no file was written");

    let january = 2026 * 12;
    conn.execute(
        "INSERT INTO ledger_txns (idem_key, kind, organization_id, currency, fingerprint, at, month, memo, actor) VALUES ('usage:stray', 'usage', ?1, ?2, 'x', '2026-01-15T00:00:00Z', ?3, 'Usage 2026-01-15', 'test')",
        cs_store::rusqlite::params![zoe.id, cur, january],
    )
    .unwrap();
    let usage = conn.last_insert_rowid();
    conn.execute("INSERT INTO ledger_entries (txn_id, account_id, amount_micros) VALUES (?1, ?2, -1000000), (?1, ?3, 1000000)", [usage, wallet, revenue]).unwrap();
    let m = t
        .app
        .export_documents(feb("tampered"), &|_| {})
        .unwrap_err()
        .to_string();
    let total = &invoice.total.amount;
    let charged = format!(
        "{}.{:02}",
        (total_minor + 100) / 100,
        (total_minor + 100) % 100
    );
    assert!(
        m.contains(&format!("Zoë Ødegård: invoice {invoice_number} bills {total} {cur} but the ledger charged the wallet {charged} {cur} for the usage of 2026-01 and the invoice's rounding and tax (difference 1.00 {cur})")),
        "{m}"
    );
    assert!(
        m.contains(&format!("ledger transaction {stray}")),
        "both are named: {m}"
    );
}

#[tokio::test]
async fn usage_of_two_servers_with_vat_reconciles_to_the_cent_across_the_month_boundary() {
    let t = TestApp::new(); // 2026-01-31 10:30 UTC
    let mut settings = t.app.billing_settings().unwrap();
    settings.seller_country = "NO".into();
    settings.tax_rates = vec![TaxRateDto {
        country: "NO".into(),
        region: "".into(),
        name: "MVA".into(),
        rate_percent: "25".into(),
    }];
    t.app.update_billing_settings(settings).unwrap();
    let zoe = t.customer("Zoë Ødegård", "zoe@example.no");
    let plan = t.plan("Starter").await; // 0.0225 an hour
    t.app
        .create_server(t.server_input(&zoe, &plan, "web-1"), Default::default())
        .await
        .unwrap();
    t.tick().await;
    t.tick().await;
    t.clock.advance(Duration::hours(5));
    t.app
        .create_server(t.server_input(&zoe, &plan, "web-2"), Default::default())
        .await
        .unwrap();
    t.tick().await;
    t.tick().await;
    t.app.run_billing().await.unwrap();
    t.clock.advance(Duration::hours(10)); // 2026-02-01 ~01:30: January is invoiced
    t.app.run_billing().await.unwrap();
    let invoice = t
        .app
        .list_documents(DocumentFilterInput {
            organization_id: None,
            kind: Some("invoice".into()),
            period: None,
        })
        .unwrap()
        .remove(0);
    let number = invoice.number.clone().unwrap();
    let (total, tax): (i64, i64) = (
        invoice.total.minor.parse().unwrap(),
        invoice.tax.minor.parse().unwrap(),
    );
    assert!(tax > 0, "25 % MVA is charged: {invoice:?}");

    let dir = tempfile::tempdir().unwrap();
    let input = |from: &str, to: &str, name: &str| ExportInput {
        from: from.into(),
        to: to.into(),
        folder: dir.path().display().to_string(),
        file_name: name.into(),
    };
    let both = t
        .app
        .export_documents(input("2026-01-01", "2026-02-28", "both"), &|_| {})
        .unwrap();
    let jan = t
        .app
        .export_documents(input("2026-01-01", "2026-01-31", "jan"), &|_| {})
        .unwrap();
    let feb = t
        .app
        .export_documents(input("2026-02-01", "2026-02-28", "feb"), &|_| {})
        .unwrap();
    for r in [&both, &jan, &feb] {
        assert!(
            r.reconciliation_difference.starts_with("0.00 "),
            "{}",
            r.reconciliation_difference
        );
    }
    // What the wallet was charged for January, in the journal: January's usage rows
    // (January's export) + the invoice's rows (February's) = the invoice total.
    let wallet = |path: &str, kinds: &[&str]| -> i64 {
        unzip_text(path, "journal.csv")
            .lines()
            .skip(1)
            .map(cells)
            .filter(|r| {
                kinds.contains(&r[2].as_str()) && r[5] == "2300 Customer wallets" && r[4] == number
            })
            .map(|r| cents(&r[7]) - cents(&r[8]))
            .sum()
    };
    assert_eq!(
        wallet(&jan.path, &["usage"]) + wallet(&feb.path, &["invoice"]),
        total
    );
    assert_eq!(wallet(&both.path, &["usage", "invoice"]), total);
    let tax_rows: i64 = unzip_text(&feb.path, "journal.csv")
        .lines()
        .skip(1)
        .map(cells)
        .filter(|r| r[2] == "invoice" && r[5] == "2400 VAT payable")
        .map(|r| cents(&r[8]))
        .sum();
    assert_eq!(tax_rows, tax, "the VAT posted is the invoice's");
    let rec = unzip_text(&feb.path, "reconciliation.csv");
    let row = rec.lines().map(cells).find(|r| r[3] == "invoices").unwrap();
    assert_eq!(
        (cents(&row[5]), cents(&row[7]), row[8].as_str()),
        (total, total, "0.00"),
        "{rec}"
    );
}
