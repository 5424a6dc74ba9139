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
        let px: Vec<u8> = (0..w * h).flat_map(|i| if (i % w) < w / 3 { [0xc0, 0x1f, 0x5a] } else { [0xff, 0xff, 0xff] }).collect();
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
        .unwrap_or_else(|e| panic!("pdftotext could not be run ({e}): install the Debian package poppler-utils"));
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
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
        tax_id: "NO923456789MVA".into(),
        email: "billing@nordlys.example".into(),
        phone: "+47 22 33 44 55".into(),
        website: "www.nordlys.example".into(),
        accent: "#C01F5A".into(),
        payment_instructions: "Top up your wallet by bank transfer to IBAN NO93 8601 1117 947.".into(),
        footer_note: "Thank you for hosting with Nordlys.".into(),
        logo_id,
    }
}

fn payment(org: &OrganizationDto, amount: &str, reference: &str) -> PaymentInput {
    PaymentInput { organization_id: org.id.clone(), amount: amount.into(), method: "bank_transfer".into(), reference: reference.into(), note: None }
}

fn fields(e: cs_app::AppError) -> Vec<(String, String)> {
    e.to_dto().fields.into_iter().map(|f| (f.field, f.message)).collect()
}

#[tokio::test]
async fn branding_is_stored_printed_and_kept_by_documents_issued_with_it() {
    let t = TestApp::new();
    let before = t.app.branding().unwrap();
    assert!(!before.saved);
    assert_eq!(before.branding.legal_name, "My Cloud");

    let org = t.customer("Αθηνά Παπαδοπούλου", "athena@example.gr");
    let w = t.app.record_payment(payment(&org, "10.00", "BANK-1")).await.unwrap();
    let old_receipt = w.documents.iter().find(|d| d.kind == "receipt").unwrap().id.clone();

    let logo = t.app.upload_logo(LogoUploadInput { file_name: "logo.png".into(), data_base64: b64(&logo_png(240, 80)) }).unwrap();
    assert_eq!((logo.width, logo.height), (240, 80));
    assert!(logo.data_url.starts_with("data:image/png;base64,"));
    let saved = t.app.update_branding(branding(Some(logo.id.clone()))).unwrap();
    assert!(saved.saved);
    assert_eq!(saved.branding.country, "NO");
    assert_eq!(saved.branding.accent, "#c01f5a");
    assert_eq!(saved.logo.as_ref().map(|l| l.id.clone()), Some(logo.id.clone()));
    // Survives a restart.
    let t = t.restart();
    assert_eq!(t.app.branding().unwrap().branding, saved.branding);

    // A document issued now prints the seller block, contact line and footer.
    let w = t.app.record_payment(payment(&org, "25.00", "BANK-2")).await.unwrap();
    let receipt = w.documents.iter().find(|d| d.kind == "receipt" && d.id != old_receipt).unwrap().id.clone();
    let (_, pdf) = t.app.document_pdf(&receipt).unwrap();
    let text = squash(&pdftotext(&pdf));
    for needle in ["Nordlys Cloud AS", "Akersgata 1", "0158 Oslo", "Norway", "VAT ID NO923456789MVA", "+47 22 33 44 55", "www.nordlys.example", "Thank you for hosting with Nordlys.", "Αθηνά Παπαδοπούλου"] {
        assert!(text.contains(needle), "{needle:?} is missing from the receipt:\n{text}");
    }
    assert!(pdf.windows(b"/Subtype /Image".len()).any(|w| w == b"/Subtype /Image") || pdf.windows(6).any(|w| w == b"/Image"), "the logo is embedded");
    if let Ok(out) = std::env::var("CS_PDF_OUT") {
        std::fs::write(out, &pdf).unwrap();
    }
    // The receipt issued before the branding keeps the seller it was issued with.
    let old_text = squash(&pdftotext(&t.app.document_pdf(&old_receipt).unwrap().1));
    assert!(old_text.contains("My Cloud") && !old_text.contains("Nordlys"), "an issued document keeps its seller:\n{old_text}");

    // Changing the branding changes only documents issued afterwards.
    let mut renamed = branding(None);
    renamed.legal_name = "Nordlys Hosting AS".into();
    t.app.update_branding(renamed).unwrap();
    let again = squash(&pdftotext(&t.app.document_pdf(&receipt).unwrap().1));
    assert!(again.contains("Nordlys Cloud AS") && !again.contains("Nordlys Hosting AS"));
    assert_eq!(t.app.document_pdf(&receipt).unwrap().1, pdf, "the same document gives the same bytes");
    // The logo the receipt printed is kept although the branding dropped it.
    assert_eq!(t.table_count("branding_logos"), 1);

    // The preview uses the unsaved form.
    let mut draft = branding(Some(logo.id.clone()));
    draft.legal_name = "Zoë Ødegård Hosting".into();
    let preview = t.app.preview_branding(draft).unwrap();
    let bytes = base64::engine::general_purpose::STANDARD.decode(preview.pdf_base64).unwrap();
    let text = squash(&pdftotext(&bytes));
    assert!(text.contains("Zoë Ødegård Hosting") && text.contains("INV-2026-000001"), "{text}");
    assert_eq!(t.app.branding().unwrap().branding.legal_name, "Nordlys Hosting AS", "previewing saves nothing");
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
    assert_eq!(names, ["legalName", "country", "email", "accent", "footerNote"]);
    assert!(f[3].1.contains("#rrggbb"));
    assert!(!t.app.branding().unwrap().saved, "nothing was written");

    let upload = |bytes: &[u8], name: &str| t.app.upload_logo(LogoUploadInput { file_name: name.into(), data_base64: b64(bytes) });
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
    let (_, m) = msg(t.app.upload_logo(LogoUploadInput { file_name: "x.png".into(), data_base64: "%%%".into() }));
    assert!(m.contains("choose the file again"), "{m}");
    let (field, _) = fields(t.app.update_branding(branding(Some("0".repeat(64)))).unwrap_err()).remove(0);
    assert_eq!(field, "logo");
    assert_eq!(t.table_count("branding_logos"), 0);

    // A saved upload that is replaced and printed nowhere is removed.
    let a = upload(&logo_png(64, 32), "a.png").unwrap();
    let b = upload(&logo_png(96, 32), "b.png").unwrap();
    t.app.update_branding(branding(Some(b.id.clone()))).unwrap();
    assert_eq!(t.table_count("branding_logos"), 1, "the unused upload {} was dropped", a.id);
}

#[tokio::test]
async fn ubl_e_invoices_are_saved_for_invoices_and_refused_for_receipts() {
    let t = TestApp::new();
    t.app.update_branding(branding(None)).unwrap();
    let org = t.customer("Ёлкин Пётр", "petr@example.ru");
    let plan = t.plan("Starter").await;
    let s = t.app.create_server(t.server_input(&org, &plan, "web-1")).await.unwrap();
    t.tick().await;
    t.tick().await;
    let _ = s;
    t.clock.advance(Duration::hours(15)); // into February: January's invoice is due
    t.app.run_billing().await.unwrap();
    let docs = t.app.list_documents(DocumentFilterInput { organization_id: None, kind: Some("invoice".into()), period: None }).unwrap();
    let invoice = docs.first().expect("January's invoice");
    let dir = tempfile::tempdir().unwrap();
    let saved = t.app.save_document_ubl_in(&invoice.id, dir.path()).unwrap();
    let number = invoice.number.clone().unwrap();
    assert!(saved.path.ends_with(&format!("{number}.xml")), "{}", saved.path);
    let xml = std::fs::read_to_string(&saved.path).unwrap();
    assert!(xml.contains("urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"));
    assert!(xml.contains("Nordlys Cloud AS") && xml.contains("Ёлкин Пётр") && xml.contains(&number));

    let w = t.app.record_payment(payment(&org, "5.00", "BANK-7")).await.unwrap();
    let receipt = w.documents.iter().find(|d| d.kind == "receipt").unwrap();
    let e = t.app.save_document_ubl_in(&receipt.id, dir.path()).unwrap_err();
    assert_eq!(e.code(), "conflict");
    assert!(e.to_string().contains("receipts have no e-invoice form"), "{e}");

    let pdf = t.app.document_pdf_dto(&invoice.id).unwrap();
    assert_eq!(pdf.file_name, format!("{number}.pdf"));
    assert!(base64::engine::general_purpose::STANDARD.decode(pdf.pdf_base64).unwrap().starts_with(b"%PDF-"));
}

fn export_input(dir: &Path, name: &str) -> ExportInput {
    ExportInput { from: "2026-01-01".into(), to: "2026-01-31".into(), folder: dir.display().to_string(), file_name: name.into() }
}

#[tokio::test]
async fn period_export_reports_progress_balances_cancels_cleanly_and_never_overwrites() {
    let t = TestApp::new();
    t.app.update_branding(branding(None)).unwrap();
    let zoe = t.customer("Zoë Ødegård", "zoe@example.no");
    let athena = t.customer("Αθηνά Παπαδοπούλου", "athena@example.gr");
    for i in 0..6 {
        let org = if i % 2 == 0 { &zoe } else { &athena };
        t.app.record_payment(payment(org, "12.34", &format!("BANK-{i}"))).await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();

    // Errors first: nothing written.
    let e = t.app.export_documents(ExportInput { from: "2025-01-01".into(), to: "2025-01-31".into(), ..export_input(dir.path(), "") }, &|_| {}).unwrap_err();
    assert_eq!(fields(e)[0].1, "No documents were issued from 2025-01-01 to 2025-01-31: choose another period");
    let e = t.app.export_documents(ExportInput { from: "2026-02-01".into(), ..export_input(dir.path(), "") }, &|_| {}).unwrap_err();
    assert_eq!(fields(e)[0].0, "to");
    let e = t.app.export_documents(export_input(&dir.path().join("missing"), ""), &|_| {}).unwrap_err();
    assert!(fields(e)[0].1.contains("does not exist"));
    let e = t.app.export_documents(export_input(Path::new("relative/folder"), ""), &|_| {}).unwrap_err();
    assert!(fields(e)[0].1.contains("not a full path"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    let plan = t.app.plan_export("2026-01-01", "2026-01-31", &dir.path().display().to_string()).unwrap();
    assert_eq!(plan.documents, 6);
    assert_eq!(plan.suggested_file_name, "containerstacks-documents-2026-01-01-to-2026-01-31.zip");

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
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no partial file is left");
    assert!(!t.app.cancel_export(), "nothing runs any more");

    // A complete export, with progress after every document.
    let progress = Mutex::new(Vec::new());
    let r = t.app.export_documents(export_input(dir.path(), ""), &|p| progress.lock().unwrap().push((p.done, p.total))).unwrap();
    let progress = progress.into_inner().unwrap();
    assert_eq!(progress.first(), Some(&(0, 6)));
    assert_eq!(progress.last(), Some(&(6, 6)));
    assert_eq!(progress.len(), 7);
    assert_eq!(r.documents, 6);
    assert_eq!(r.payments, 6);
    assert!(r.journal_balanced);
    assert!(r.path.ends_with("containerstacks-documents-2026-01-01-to-2026-01-31.zip"));
    let size: u64 = r.size_bytes.parse().unwrap();
    assert_eq!(std::fs::metadata(&r.path).unwrap().len(), size);

    // It opens with standard tools and holds the PDFs and a journal that balances.
    let out = Command::new("unzip").args(["-l", &r.path]).output().expect("unzip (Debian package unzip)");
    assert!(out.status.success());
    let listing = String::from_utf8_lossy(&out.stdout);
    assert_eq!(listing.matches(".pdf").count(), 6, "{listing}");
    assert!(listing.contains("journal.csv") && listing.contains("tax_summary.csv") && listing.contains("payments_received.csv"));
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&r.path).unwrap()).unwrap();
    let mut journal = String::new();
    zip.by_name("journal.csv").unwrap().read_to_string(&mut journal).unwrap();
    let (mut debit, mut credit) = (0i64, 0i64);
    let cents = |s: &str| -> i64 { if s.is_empty() { 0 } else { s.replace('.', "").parse().unwrap() } };
    let mut rows = journal.lines();
    let header: Vec<&str> = rows.next().unwrap().split(',').collect();
    let (di, ci) = (header.iter().position(|h| *h == "debit").unwrap(), header.iter().position(|h| *h == "credit").unwrap());
    for line in rows {
        let cells: Vec<&str> = line.split(',').collect();
        debit += cents(cells[di]);
        credit += cents(cells[ci]);
    }
    assert_eq!(debit, credit, "the journal balances:\n{journal}");
    assert_eq!(debit, 6 * 1234);

    // The same name again is refused with a free one suggested, and the first file is untouched.
    let e = t.app.export_documents(export_input(dir.path(), ""), &|_| {}).unwrap_err();
    let (field, m) = fields(e).remove(0);
    assert_eq!(field, "fileName");
    assert!(m.contains("already exists") && m.contains("containerstacks-documents-2026-01-01-to-2026-01-31-2.zip"), "{m}");
    assert_eq!(std::fs::metadata(&r.path).unwrap().len(), size);
    assert_eq!(
        t.app.plan_export("2026-01-01", "2026-01-31", &dir.path().display().to_string()).unwrap().suggested_file_name,
        "containerstacks-documents-2026-01-01-to-2026-01-31-2.zip"
    );
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn an_export_to_a_folder_that_cannot_be_written_says_so() {
    let t = TestApp::new();
    let org = t.customer("Acme", "ops@acme.example");
    t.app.record_payment(payment(&org, "1.00", "B-1")).await.unwrap();
    // /proc is a folder nobody can create files in, root included.
    let e = t.app.export_documents(export_input(Path::new("/proc"), ""), &|_| {}).unwrap_err();
    let (field, m) = fields(e).remove(0);
    assert_eq!(field, "folder");
    assert!(m.contains("Cannot write in /proc"), "{m}");
}
