//! The PDF as a reader sees it: extracted text, structure checks, pages, pixels.

use crate::{fixtures, tools};

fn render_to(dir: &str, name: &str, doc: &cs_invoice::Document) -> std::path::PathBuf {
    let bytes = cs_invoice::render_pdf(doc).expect("render");
    tools::write(&tools::out_dir(dir), name, &bytes)
}

/// pdftotext -layout collapses and wraps differently from our layout; compare with all
/// whitespace removed.
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn text_extraction_shows_number_names_in_three_scripts_lines_and_totals() {
    let doc = fixtures::unicode_invoice();
    let path = render_to("text", "unicode.pdf", &doc);
    let text = tools::pdftotext(&path);
    let flat = squash(&text);
    let raw = squash(&tools::pdftotext_raw(&path));
    for needle in [
        "INV-2025-000042",
        "Zoë Ødegård",
        "Αθηνά Παπαδοπούλου",
        "Ёлкин Пётр",
        "Nordlys Cloud AS",
        "NO995525828MVA",
        "2025-04-15",
        "Unpaid",
        "Page 1 / 1",
    ] {
        assert!(
            flat.contains(&squash(needle)),
            "missing {needle:?} in:\n{text}"
        );
    }
    for line in &doc.lines {
        let amount = cs_invoice::format::amount(line.amount_minor, doc.currency);
        assert!(
            raw.contains(&squash(&line.description)),
            "missing line {:?}",
            line.description
        );
        assert!(flat.contains(&amount), "missing amount {amount}");
    }
    for total in [
        doc.totals.net_minor,
        doc.totals.tax_minor,
        doc.totals.gross_minor,
    ] {
        let s = cs_invoice::format::amount(total, doc.currency);
        assert!(flat.contains(&s), "missing total {s}");
    }
    assert!(flat.contains(&squash("EUR 113.24")), "amount due box");
    assert!(flat.contains("VAT24%"), "tax summary per rate");
}

#[test]
fn qpdf_check_passes_for_every_kind() {
    for (name, doc) in [
        ("invoice.pdf", fixtures::unicode_invoice()),
        ("long.pdf", fixtures::long_invoice(120)),
        ("reverse.pdf", fixtures::reverse_charge_invoice()),
        ("credit.pdf", fixtures::credit_note()),
        ("receipt.pdf", fixtures::receipt()),
    ] {
        let path = render_to("qpdf", name, &doc);
        let (ok, out, err) = tools::run("qpdf", "qpdf", &["--check", path.to_str().unwrap()]);
        assert!(ok, "qpdf --check failed for {name}:\n{out}\n{err}");
        assert!(
            out.contains("No syntax or stream encoding errors"),
            "{name}: {out}"
        );
        assert!(err.trim().is_empty(), "{name}: qpdf warned: {err}");
    }
}

#[test]
fn a_120_line_invoice_paginates_with_repeated_header_and_page_numbers() {
    let doc = fixtures::long_invoice(120);
    let path = render_to("paginate", "long.pdf", &doc);
    let pages = tools::page_count(&path);
    assert!((3..=8).contains(&pages), "unexpected page count {pages}");
    let text = tools::pdftotext(&path);
    let page_texts: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert_eq!(page_texts.len(), pages);
    let mut seen_lines = 0;
    for (i, page) in page_texts.iter().enumerate() {
        let flat = squash(page);
        assert!(
            flat.contains(&format!("Page{}/{}", i + 1, pages)),
            "page {} lacks its number:\n{page}",
            i + 1
        );
        assert!(
            flat.contains("INV-2025-000120"),
            "page {} lacks the document number",
            i + 1
        );
        if i > 0 {
            assert!(
                flat.contains("(continued)"),
                "page {} lacks the continuation header",
                i + 1
            );
        }
        let rows = (1..=120)
            .filter(|n| flat.contains(&format!("web-{n:03}.frankfurt")))
            .count();
        if rows > 0 {
            assert!(
                flat.contains("DescriptionPeriodHoursRate/hAmount(EUR)"),
                "page {} has rows but no table header",
                i + 1
            );
        }
        seen_lines += rows;
    }
    assert_eq!(seen_lines, 120, "every line appears exactly once");
    let last = squash(page_texts[pages - 1]);
    let total = cs_invoice::format::amount(doc.totals.gross_minor, doc.currency);
    assert!(
        squash(&text).contains(&total),
        "grand total {total} printed"
    );
    assert!(last.contains("NOTES"), "closing text on the last page");
}

#[test]
fn rendering_is_deterministic() {
    for doc in [
        fixtures::unicode_invoice(),
        fixtures::long_invoice(40),
        fixtures::credit_note(),
    ] {
        let a = cs_invoice::render_pdf(&doc).unwrap();
        let b = cs_invoice::render_pdf(&doc).unwrap();
        assert!(a == b, "two renders of {} differ", doc.number);
    }
    // The file ID follows the content.
    let mut other = fixtures::unicode_invoice();
    other.number = "INV-2025-000099".into();
    let a = cs_invoice::render_pdf(&fixtures::unicode_invoice()).unwrap();
    let b = cs_invoice::render_pdf(&other).unwrap();
    let id = |pdf: &[u8]| {
        let s = String::from_utf8_lossy(pdf);
        let at = s.rfind("/ID[").expect("trailer ID");
        s[at..at + 72].to_string()
    };
    assert_ne!(id(&a), id(&b));
    let parallel = cs_invoice::render_pdf_many(&[fixtures::unicode_invoice(), other], 2);
    assert!(
        parallel[0].as_ref().unwrap() == &a,
        "thread pool output equals the single render"
    );
}

#[test]
fn metadata_names_title_author_and_number() {
    let doc = fixtures::unicode_invoice();
    let path = render_to("meta", "meta.pdf", &doc);
    let (ok, info, err) = tools::run("pdfinfo", "poppler-utils", &[path.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(
        info.contains("Title:           Invoice INV-2025-000042"),
        "{info}"
    );
    assert!(info.contains("Author:          Nordlys Cloud AS"), "{info}");
    assert!(
        info.contains("Subject:         Invoice INV-2025-000042 for Αθηνά Παπαδοπούλου"),
        "{info}"
    );
    assert!(info.contains("Keywords:        INV-2025-000042"), "{info}");
    assert!(
        info.contains("CreationDate:") && info.contains("2025"),
        "{info}"
    );
    assert!(info.contains("PDF version:     1.7"), "{info}");
    let (ok, xmp, _) = tools::run(
        "pdfinfo",
        "poppler-utils",
        &["-meta", path.to_str().unwrap()],
    );
    assert!(ok);
    assert!(
        xmp.contains("<pdfaid:part>3</pdfaid:part>")
            && xmp.contains("<pdfaid:conformance>B</pdfaid:conformance>"),
        "{xmp}"
    );
    let (ok, fonts, _) = tools::run("pdffonts", "poppler-utils", &[path.to_str().unwrap()]);
    assert!(ok);
    let embedded_subsets = fonts
        .lines()
        .filter(|l| l.contains("+DejaVuSans") && l.contains(" yes yes "))
        .count();
    assert_eq!(
        embedded_subsets, 2,
        "regular and bold embedded as subsets:\n{fonts}"
    );
}

#[test]
fn rendered_pages_are_not_blank_or_broken() {
    let dir = tools::out_dir("pixels");
    let path = render_to("pixels", "long.pdf", &fixtures::long_invoice(120));
    let prefix = dir.join("page");
    let (ok, _, err) = tools::run(
        "pdftoppm",
        "poppler-utils",
        &[
            "-png",
            "-r",
            "40",
            path.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    assert!(ok, "pdftoppm failed: {err}");
    let mut pngs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "png"))
        .collect();
    pngs.sort();
    assert_eq!(pngs.len(), tools::page_count(&path));
    for (i, png_path) in pngs.iter().enumerate() {
        let decoder = png::Decoder::new(std::io::BufReader::new(
            std::fs::File::open(png_path).unwrap(),
        ));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut buf).unwrap();
        let channels = frame.color_type.samples();
        let (w, h) = (frame.width as usize, frame.height as usize);
        let mut ink = 0_usize;
        let mut ink_lower_half = 0_usize;
        for y in 0..h {
            for x in 0..w {
                let px = &buf[(y * w + x) * channels..(y * w + x) * channels + channels.min(3)];
                if px.iter().any(|v| *v < 200) {
                    ink += 1;
                    if y > h / 2 {
                        ink_lower_half += 1;
                    }
                }
            }
        }
        let share = ink * 1000 / (w * h);
        // A real page has text and rules (> 1 %) but is not a solid block (< 40 %).
        assert!(
            share > 10 && share < 400,
            "page {} has {share}‰ ink: blank or broken",
            i + 1
        );
        // Every page carries the footer at the bottom.
        assert!(
            ink_lower_half > 0,
            "page {} has nothing in its lower half",
            i + 1
        );
    }
}

#[test]
fn inconsistent_documents_are_refused() {
    let mut doc = fixtures::unicode_invoice();
    doc.totals.gross_minor += 1;
    let err = cs_invoice::render_pdf(&doc).unwrap_err();
    assert!(err.to_string().contains("does not add up"), "{err}");
    let mut doc = fixtures::credit_note();
    doc.corrects = None;
    assert!(cs_invoice::render_pdf(&doc).is_err());
}

#[test]
fn reverse_charge_credit_note_and_receipt_say_what_they_are() {
    let text = squash(&tools::pdftotext(&render_to(
        "kinds",
        "reverse.pdf",
        &fixtures::reverse_charge_invoice(),
    )));
    assert!(
        text.contains(&squash("VAT to be accounted for by the recipient")),
        "{text}"
    );
    assert!(
        text.contains("Reversecharge71.440.00"),
        "reverse charge row in the tax summary: {text}"
    );
    assert!(text.contains("Paid2025-04-03(PayPal)"), "{text}");
    let text = squash(&tools::pdftotext(&render_to(
        "kinds",
        "credit.pdf",
        &fixtures::credit_note(),
    )));
    assert!(text.contains("CREDITNOTE"), "{text}");
    assert!(
        text.contains(&squash("corrects INV-2025-000041 issued on 2025-03-01")),
        "{text}"
    );
    let text = squash(&tools::pdftotext(&render_to(
        "kinds",
        "receipt.pdf",
        &fixtures::receipt(),
    )));
    assert!(
        text.contains("RECEIPT") && text.contains("Amountreceived") && text.contains("EUR100.00"),
        "{text}"
    );
}

/// Customer names in scripts DejaVu lacks: Chinese, Arabic, Hebrew, Devanagari, Japanese.
fn world_scripts_invoice() -> cs_invoice::Document {
    let mut doc = fixtures::document(
        cs_invoice::DocumentKind::Invoice,
        "INV-2025-000077",
        fixtures::buyer("王小明有限公司 Ltd", Some("محمد عبد الله"), "DE"),
        fixtures::usage_lines(2, cs_invoice::TaxCategory::Standard, 1900),
        false,
        false,
    );
    doc.buyer.address.lines = vec![
        "שרה כהן, רחוב הרצל 12".into(),
        "राम शर्मा प्राइवेट लिमिटेड".into(),
    ];
    doc.lines[0].description = "サーバー 東京 — خادم الرياض — שרת".into();
    doc
}

#[test]
fn names_in_chinese_arabic_hebrew_and_devanagari_print_and_extract() {
    let doc = world_scripts_invoice();
    let report = cs_invoice::render_pdf_report(&doc).expect("render");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let path = tools::write(&tools::out_dir("scripts"), "scripts.pdf", &report.pdf);
    let text = tools::pdftotext(&path);
    let flat = squash(&text);
    for needle in [
        "王小明有限公司 Ltd",
        "محمد عبد الله",
        "שרה כהן",
        "רחוב הרצל",
        "राम शर्मा",
        "サーバー 東京",
        "خادم الرياض",
    ] {
        assert!(
            flat.contains(&squash(needle)),
            "missing {needle:?} in:\n{text}"
        );
    }
    assert!(
        report.pdf == cs_invoice::render_pdf(&doc).unwrap(),
        "deterministic"
    );
    let (ok, out, err) = tools::run("qpdf", "qpdf", &["--check", path.to_str().unwrap()]);
    assert!(ok && err.trim().is_empty(), "qpdf: {out}\n{err}");
}

#[test]
fn characters_no_installed_font_has_are_reported_not_dropped() {
    let mut doc = world_scripts_invoice();
    doc.buyer.organization = "Pharaoh \u{13000}\u{13001} Ltd".into();
    let report = cs_invoice::render_pdf_report(&doc).expect("render");
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    let w = &report.warnings[0];
    assert!(
        w.contains("INV-2025-000077")
            && w.contains('\u{13000}')
            && w.contains("install the Debian package"),
        "{w}"
    );
}
