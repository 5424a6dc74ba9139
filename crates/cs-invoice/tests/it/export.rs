//! The accountant's ZIP: opens, holds every file, the journal balances, progress and
//! cancellation work.

use std::io::Cursor;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::{fixtures, tools};
use cs_invoice::{
    document_ledger_entries, export_period, Accounts, Currency, ExportPeriod, InvoiceError,
    LedgerEntry, PaymentReceived, Period,
};

fn period() -> ExportPeriod {
    ExportPeriod {
        period: Period {
            start: fixtures::date(2025, 4, 1),
            end: fixtures::date(2025, 4, 30),
        },
        threads: 2,
        reconciliation_csv: None,
    }
}

fn documents(n: usize) -> Vec<cs_invoice::Document> {
    let mut docs = vec![
        fixtures::unicode_invoice(),
        fixtures::reverse_charge_invoice(),
        fixtures::credit_note(),
        fixtures::receipt(),
    ];
    for i in 0..n {
        let mut d = fixtures::document(
            cs_invoice::DocumentKind::Invoice,
            &format!("INV-2025-{:06}", 1000 + i),
            fixtures::buyer(
                if i % 2 == 0 {
                    "Ёлкин Пётр"
                } else {
                    "Zoë Ødegård"
                },
                None,
                if i % 2 == 0 { "DE" } else { "NO" },
            ),
            fixtures::usage_lines(
                1 + i % 4,
                cs_invoice::TaxCategory::Standard,
                if i % 2 == 0 { 1900 } else { 2500 },
            ),
            false,
            i % 3 == 0,
        );
        d.issue_date = fixtures::date(2025, 4, 1 + (i % 28) as u32);
        d.due_date = Some(fixtures::date(2025, 5, 15));
        docs.push(d);
    }
    docs
}

fn ledger(docs: &[cs_invoice::Document]) -> Vec<LedgerEntry> {
    docs.iter()
        .flat_map(|d| document_ledger_entries(d, &Accounts::default()))
        .collect()
}

fn payments() -> Vec<PaymentReceived> {
    let eur = Currency::parse("EUR").unwrap();
    vec![
        PaymentReceived {
            date: fixtures::date(2025, 4, 3),
            reference: "7XK21345AB".into(),
            method: "PayPal".into(),
            payer: "Zoë Ødegård Consulting".into(),
            document: Some("RCP-2025-000311".into()),
            amount_minor: 10_000,
            currency: eur,
        },
        PaymentReceived {
            date: fixtures::date(2025, 4, 9),
            reference: "BANK-0042".into(),
            method: "Bank transfer".into(),
            payer: "Ёлкин Пётр GmbH".into(),
            document: Some("INV-2025-000043".into()),
            amount_minor: 5_210,
            currency: eur,
        },
        PaymentReceived {
            date: fixtures::date(2025, 4, 20),
            reference: "8AB99".into(),
            method: "PayPal".into(),
            payer: "Αθηνά Παπαδοπούλου".into(),
            document: None,
            amount_minor: 2_500,
            currency: eur,
        },
        PaymentReceived {
            date: fixtures::date(2025, 5, 2),
            reference: "LATE".into(),
            method: "PayPal".into(),
            payer: "outside the period".into(),
            document: None,
            amount_minor: 99_999,
            currency: eur,
        },
    ]
}

#[test]
fn export_zip_opens_and_holds_every_document_and_summary() {
    let docs = documents(40);
    let entries = ledger(&docs);
    let calls = AtomicUsize::new(0);
    let last = AtomicUsize::new(0);
    let mut out = Cursor::new(Vec::new());
    let summary = export_period(
        &mut out,
        &period(),
        &docs,
        &entries,
        &payments(),
        &|p| {
            calls.fetch_add(1, Ordering::Relaxed);
            last.store(p.documents_done, Ordering::Relaxed);
            assert_eq!(p.documents_total, 44);
        },
        &AtomicBool::new(false),
    )
    .expect("export");
    assert_eq!(summary.documents, 44);
    assert_eq!(
        summary.ubl_files, 43,
        "every document but the receipt has UBL"
    );
    assert_eq!(summary.payments, 3, "the May payment is outside the period");
    assert_eq!(last.load(Ordering::Relaxed), 44);
    assert_eq!(
        calls.load(Ordering::Relaxed),
        45,
        "once at the start, once per document"
    );

    let path = tools::write(&tools::out_dir("export"), "april.zip", out.get_ref());
    let (ok, listing, err) = tools::run("unzip", "unzip", &["-t", path.to_str().unwrap()]);
    assert!(ok, "unzip -t failed: {listing}\n{err}");
    assert!(listing.contains("No errors detected"), "{listing}");
    for name in [
        "pdf/INV-2025-000042.pdf",
        "ubl/INV-2025-000042.xml",
        "pdf/RCP-2025-000311.pdf",
        "ubl/CN-2025-000007.xml",
        "journal.csv",
        "tax_summary.csv",
        "payments_received.csv",
        "payments_received_detail.csv",
        "README.txt",
    ] {
        assert!(listing.contains(name), "{name} missing from:\n{listing}");
    }
    assert!(!listing.contains("ubl/RCP-2025-000311.xml"));

    // Same input, same archive.
    let mut again = Cursor::new(Vec::new());
    export_period(
        &mut again,
        &period(),
        &docs,
        &entries,
        &payments(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    assert!(
        again.get_ref() == out.get_ref(),
        "the export is deterministic"
    );

    let extract = |name: &str| {
        let (ok, body, err) = tools::run("unzip", "unzip", &["-p", path.to_str().unwrap(), name]);
        assert!(ok, "{err}");
        body
    };

    // Journal: debits equal credits overall and per transaction.
    let journal = extract("journal.csv");
    let mut rows = journal.lines();
    assert_eq!(
        rows.next(),
        Some(
            "date,transaction,kind,organization,document,account,description,debit,credit,currency"
        )
    );
    let cents = |s: &str| {
        if s.is_empty() {
            0
        } else {
            s.replace('.', "").parse::<i64>().unwrap()
        }
    };
    let mut per_tx = std::collections::BTreeMap::<String, i64>::new();
    let mut n = 0;
    for row in rows {
        let f: Vec<&str> = row.split(',').collect();
        assert_eq!(f.len(), 10, "{row}");
        *per_tx.entry(f[1].to_string()).or_default() += cents(f[7]) - cents(f[8]);
        n += 1;
    }
    assert_eq!(n, entries.len());
    assert!(
        per_tx.values().all(|v| *v == 0),
        "every transaction balances: {per_tx:?}"
    );
    assert_eq!(
        per_tx.values().sum::<i64>(),
        0,
        "the journal balances to zero"
    );

    // Tax summary: per country and rate, invoices minus credit notes, matching documents.
    let tax = extract("tax_summary.csv");
    assert!(tax.starts_with("country,tax_category,rate_percent,currency,documents,taxable,tax"));
    let expected_de_tax: i64 = docs
        .iter()
        .filter(|d| d.buyer.address.country == "DE" && d.kind == cs_invoice::DocumentKind::Invoice)
        .flat_map(|d| d.tax_breakdown.iter().filter(|b| b.rate_bp == 1900))
        .map(|b| b.tax_minor)
        .sum();
    let de = tax
        .lines()
        .find(|l| l.starts_with("DE,S,19,"))
        .expect("DE 19 % row");
    assert_eq!(cents(de.split(',').nth(6).unwrap()), expected_de_tax);
    assert!(
        tax.lines().any(|l| l.starts_with("DE,AE,0,EUR,1,")),
        "reverse charge row:\n{tax}"
    );
    assert!(tax.lines().any(|l| l.starts_with("GR,S,24,")), "{tax}");

    let pays = extract("payments_received.csv");
    assert!(pays.contains("PayPal,EUR,2,125.00"), "{pays}");
    assert!(pays.contains("Bank transfer,EUR,1,52.10"), "{pays}");
    let detail = extract("payments_received_detail.csv");
    assert!(
        detail.contains("Ёлкин Пётр GmbH") && !detail.contains("LATE"),
        "{detail}"
    );

    // The PDF inside is the PDF render_pdf gives.
    let (ok, _, _) = tools::run(
        "unzip",
        "unzip",
        &[
            "-o",
            "-q",
            path.to_str().unwrap(),
            "pdf/INV-2025-000042.pdf",
            "-d",
            tools::out_dir("export").to_str().unwrap(),
        ],
    );
    assert!(ok);
    let inside = std::fs::read(tools::out_dir("export").join("pdf/INV-2025-000042.pdf")).unwrap();
    assert!(inside == cs_invoice::render_pdf(&fixtures::unicode_invoice()).unwrap());
}

#[test]
fn cancellation_stops_the_export() {
    let docs = documents(300);
    let cancel = AtomicBool::new(false);
    let seen = AtomicUsize::new(0);
    let mut out = Cursor::new(Vec::new());
    let result = export_period(
        &mut out,
        &period(),
        &docs,
        &ledger(&docs),
        &[],
        &|p| {
            seen.store(p.documents_done, Ordering::Relaxed);
            if p.documents_done >= 20 {
                cancel.store(true, Ordering::Relaxed);
            }
        },
        &cancel,
    );
    assert!(matches!(result, Err(InvoiceError::Cancelled)), "{result:?}");
    let done = seen.load(Ordering::Relaxed);
    assert!(
        (20..60).contains(&done),
        "stopped soon after the request, at {done}"
    );
}

#[test]
fn an_unbalanced_journal_is_refused() {
    let docs = documents(0);
    let mut entries = ledger(&docs);
    entries[0].debit_minor += 1;
    let err = export_period(
        Cursor::new(Vec::new()),
        &period(),
        &docs,
        &entries,
        &[],
        &|_| {},
        &AtomicBool::new(false),
    )
    .unwrap_err();
    assert!(matches!(err, InvoiceError::Unbalanced(_)), "{err}");
    assert!(
        err.to_string().contains("INV-2025-000042") && err.to_string().contains("0.01"),
        "{err}"
    );
}

#[test]
fn document_postings_balance_for_every_kind() {
    for doc in documents(3) {
        let entries = document_ledger_entries(&doc, &Accounts::default());
        cs_invoice::check_balanced(&entries).unwrap();
        let debit: i64 = entries.iter().map(|e| e.debit_minor).sum();
        assert!(debit >= doc.totals.gross_minor, "{}", doc.number);
    }
}

#[test]
fn no_text_field_of_the_export_reaches_a_spreadsheet_as_a_formula() {
    // Customer names, references and adjustment reasons are typed by people; OWASP's
    // payload hides the formula behind a leading minus and digits.
    let payload = "-1+1+cmd|' /C calc'!A0";
    let mut docs = documents(0);
    docs.retain(|d| d.kind == cs_invoice::DocumentKind::Receipt);
    let mut entries = ledger(&docs);
    for e in &mut entries {
        e.organization = payload.into();
        e.description = format!("+{payload}");
    }
    let mut pays = payments();
    pays[0].payer = payload.into();
    pays[0].reference = "@SUM(1+1)".into();
    let mut out = Cursor::new(Vec::new());
    export_period(
        &mut out,
        &period(),
        &docs,
        &entries,
        &pays,
        &|_| {},
        &AtomicBool::new(false),
    )
    .expect("export");
    let path = tools::write(&tools::out_dir("export"), "injection.zip", out.get_ref());
    for name in ["journal.csv", "payments_received_detail.csv"] {
        let (ok, body, err) = tools::run("unzip", "unzip", &["-p", path.to_str().unwrap(), name]);
        assert!(ok, "{err}");
        for row in body.lines().skip(1) {
            for field in row.split(',') {
                let field = field.trim_matches('"');
                let formula =
                    field.starts_with(['=', '+', '-', '@']) && field.parse::<f64>().is_err();
                assert!(
                    !formula,
                    "{name} lets a formula through: {field:?} in {row:?}"
                );
            }
        }
        assert!(body.contains(&format!("'{payload}")), "{name}:\n{body}");
    }
}

#[test]
fn documents_without_peppol_data_get_their_pdf_and_a_reason_instead_of_an_invalid_e_invoice() {
    let mut docs = documents(0);
    docs[0].buyer.electronic_address = None; // INV-2025-000042
    let entries = ledger(&docs);
    let mut out = Cursor::new(Vec::new());
    let summary = export_period(
        &mut out,
        &period(),
        &docs,
        &entries,
        &[],
        &|_| {},
        &AtomicBool::new(false),
    )
    .expect("export");
    assert_eq!(
        summary.ubl_files, 2,
        "the reverse-charge invoice and the credit note"
    );
    assert_eq!(summary.ubl_not_written.len(), 1);
    assert!(
        summary.ubl_not_written[0].contains("INV-2025-000042")
            && summary.ubl_not_written[0].contains("Peppol participant identifier"),
        "{:?}",
        summary.ubl_not_written
    );
    assert!(summary
        .files
        .contains(&"pdf/INV-2025-000042.pdf".to_string()));
    assert!(!summary
        .files
        .contains(&"ubl/INV-2025-000042.xml".to_string()));
    assert!(summary.files.contains(&"ubl_not_written.txt".to_string()));
}
