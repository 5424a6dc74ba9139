//! The accountant's export: one ZIP for a period.
//!
//! Layout of the archive:
//! - `pdf/<number>.pdf` for every document issued in the period;
//! - `ubl/<number>.xml` for every invoice and credit note (receipts have no e-invoice form)
//!   whose seller and customer data make a valid Peppol e-invoice; the others are listed
//!   with their gaps in `ubl_not_written.txt` (see [`crate::e_invoice_gaps`]);
//! - `journal.csv`: the ledger entries of the period (must balance, see [`crate::LedgerEntry`]);
//! - `reconciliation.csv` when given: the journal checked against the documents (see
//!   [`crate::reconcile`]);
//! - `tax_summary.csv`: taxable and tax per country, category and rate (credit notes negative);
//! - `payments_received.csv`: totals per method and currency;
//!   `payments_received_detail.csv`: every payment;
//! - `README.txt`: what the files are.
//!
//! Documents are rendered in batches on worker threads and written in input order, so the
//! archive is the same for the same input. The cancel flag is checked before every batch
//! and every file; progress is reported after every document.

use std::collections::BTreeMap;
use std::io::{Seek, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

use crate::ledger::{csv_row, journal_csv, LedgerEntry};
use crate::model::{Currency, Document, DocumentKind, Period, TaxCategory};
use crate::{format, render_pdf, to_ubl_xml, InvoiceError};

/// A payment that reached the reseller (PayPal capture, bank transfer, cash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentReceived {
    pub date: NaiveDate,
    /// The provider's id (PayPal capture id) or the staff member's reference.
    pub reference: String,
    /// "PayPal", "Bank transfer", "Cash" …
    pub method: String,
    pub payer: String,
    /// Receipt or invoice number the payment belongs to, if any.
    pub document: Option<String>,
    pub amount_minor: i64,
    pub currency: Currency,
}

/// What the export covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportPeriod {
    pub period: Period,
    /// Worker threads for rendering (at least one). Use the number of cores, or fewer to
    /// leave room for the UI.
    pub threads: usize,
    /// `reconciliation.csv` ([`crate::reconciliation_csv`]), written when given.
    pub reconciliation_csv: Option<String>,
}

/// Reported after every document and at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportProgress {
    pub documents_done: usize,
    pub documents_total: usize,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    pub documents: usize,
    pub ubl_files: usize,
    /// Invoices and credit notes without a UBL file, each with why (seller or customer
    /// data a valid e-invoice needs is missing), as listed in `ubl_not_written.txt`.
    pub ubl_not_written: Vec<String>,
    pub journal_entries: usize,
    pub payments: usize,
    /// Every file name in the archive, in order.
    pub files: Vec<String>,
}

/// Writes the period's archive to `out`. Documents, entries and payments dated outside
/// the period are left out. Fails without finishing the archive when `cancel` becomes
/// true, when a document does not add up or the journal does not balance.
pub fn export_period<W: Write + Seek>(
    out: W,
    what: &ExportPeriod,
    documents: &[Document],
    ledger: &[LedgerEntry],
    payments: &[PaymentReceived],
    progress: &(dyn Fn(ExportProgress) + Sync),
    cancel: &AtomicBool,
) -> Result<ExportSummary, InvoiceError> {
    let p = what.period;
    let inside = |d: NaiveDate| d >= p.start && d <= p.end;
    let docs: Vec<&Document> = documents.iter().filter(|d| inside(d.issue_date)).collect();
    let entries: Vec<LedgerEntry> = ledger.iter().filter(|e| inside(e.date)).cloned().collect();
    let pays: Vec<&PaymentReceived> = payments.iter().filter(|x| inside(x.date)).collect();

    // Check the cheap things before the expensive rendering.
    let journal = journal_csv(&entries)?;
    for d in &docs {
        d.validate()?;
    }

    let stamp = {
        let e = p.end;
        let y = u16::try_from(e.year()).unwrap_or(1980).clamp(1980, 2107);
        zip::DateTime::from_date_and_time(y, e.month() as u8, e.day() as u8, 0, 0, 0)
            .unwrap_or_default()
    };
    let stored = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(stamp)
        .unix_permissions(0o644);
    let deflated = stored.compression_method(CompressionMethod::Deflated);

    let mut zip = zip::ZipWriter::new(out);
    let zerr = |e: zip::result::ZipError| InvoiceError::Zip(e.to_string());
    let mut files = Vec::new();
    let mut add = |zip: &mut zip::ZipWriter<W>,
                   name: String,
                   bytes: &[u8],
                   opts: SimpleFileOptions|
     -> Result<(), InvoiceError> {
        if cancel.load(Ordering::Relaxed) {
            return Err(InvoiceError::Cancelled);
        }
        zip.start_file(name.as_str(), opts).map_err(zerr)?;
        zip.write_all(bytes)?;
        files.push(name);
        Ok(())
    };

    add(
        &mut zip,
        "README.txt".into(),
        readme(p, docs.len(), what.reconciliation_csv.is_some()).as_bytes(),
        deflated,
    )?;

    let total = docs.len();
    let threads = what.threads.max(1);
    let batch = threads * 8;
    let mut done = 0;
    let mut ubl_files = 0;
    let mut ubl_not_written = Vec::new();
    progress(ExportProgress {
        documents_done: 0,
        documents_total: total,
    });
    for chunk in docs.chunks(batch) {
        if cancel.load(Ordering::Relaxed) {
            return Err(InvoiceError::Cancelled);
        }
        let rendered = render_batch(chunk, threads, cancel);
        for (doc, result) in chunk.iter().zip(rendered) {
            let (pdf, xml, missing) = result?;
            if let Some(why) = missing {
                ubl_not_written.push(why);
            }
            let name = file_stem(&doc.number);
            add(&mut zip, format!("pdf/{name}.pdf"), &pdf, stored)?;
            if let Some(xml) = xml {
                add(
                    &mut zip,
                    format!("ubl/{name}.xml"),
                    xml.as_bytes(),
                    deflated,
                )?;
                ubl_files += 1;
            }
            done += 1;
            progress(ExportProgress {
                documents_done: done,
                documents_total: total,
            });
        }
    }

    if !ubl_not_written.is_empty() {
        let mut text = String::from(
            "These invoices and credit notes have no e-invoice (ubl/) because seller or customer data a valid\r\nPeppol BIS Billing 3.0 e-invoice needs is missing; complete it and export again:\r\n\r\n",
        );
        for why in &ubl_not_written {
            text.push_str(why);
            text.push_str("\r\n");
        }
        add(
            &mut zip,
            "ubl_not_written.txt".into(),
            text.as_bytes(),
            deflated,
        )?;
    }
    add(&mut zip, "journal.csv".into(), journal.as_bytes(), deflated)?;
    if let Some(csv) = &what.reconciliation_csv {
        add(
            &mut zip,
            "reconciliation.csv".into(),
            csv.as_bytes(),
            deflated,
        )?;
    }
    add(
        &mut zip,
        "tax_summary.csv".into(),
        tax_summary_csv(&docs).as_bytes(),
        deflated,
    )?;
    let (summary, detail) = payments_csv(&pays);
    add(
        &mut zip,
        "payments_received.csv".into(),
        summary.as_bytes(),
        deflated,
    )?;
    add(
        &mut zip,
        "payments_received_detail.csv".into(),
        detail.as_bytes(),
        deflated,
    )?;
    zip.finish().map_err(zerr)?;
    Ok(ExportSummary {
        documents: total,
        ubl_files,
        ubl_not_written,
        journal_entries: entries.len(),
        payments: pays.len(),
        files,
    })
}

/// The PDF, the UBL file if there is one, and why an invoice or credit note has none.
type Rendered = Result<(Vec<u8>, Option<String>, Option<String>), InvoiceError>;

fn render_one(doc: &Document) -> Rendered {
    let pdf = render_pdf(doc)?;
    if doc.kind == DocumentKind::Receipt {
        return Ok((pdf, None, None));
    }
    match to_ubl_xml(doc) {
        Ok(xml) => Ok((pdf, Some(xml), None)),
        Err(e @ InvoiceError::EInvoiceIncomplete { .. }) => Ok((pdf, None, Some(e.to_string()))),
        Err(e) => Err(e),
    }
}

fn render_batch(chunk: &[&Document], threads: usize, cancel: &AtomicBool) -> Vec<Rendered> {
    use std::sync::atomic::AtomicUsize;
    use std::sync::Mutex;
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Rendered>>> =
        Mutex::new((0..chunk.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads.min(chunk.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(doc) = chunk.get(i) else { break };
                let r = if cancel.load(Ordering::Relaxed) {
                    Err(InvoiceError::Cancelled)
                } else {
                    render_one(doc)
                };
                if let Ok(mut all) = results.lock() {
                    all[i] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(InvoiceError::Pdf("a render worker panicked".into()))))
        .collect()
}

/// A document number as a safe file name.
fn file_stem(number: &str) -> String {
    number
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn tax_summary_csv(docs: &[&Document]) -> String {
    #[derive(Default)]
    struct Sum {
        documents: usize,
        taxable: i64,
        tax: i64,
    }
    let mut sums: BTreeMap<(String, TaxCategory, u32, Currency), Sum> = BTreeMap::new();
    for d in docs {
        let sign = match d.kind {
            DocumentKind::Invoice => 1,
            DocumentKind::CreditNote => -1,
            DocumentKind::Receipt => continue, // prepayments, taxed when invoiced
        };
        for b in &d.tax_breakdown {
            let s = sums
                .entry((
                    d.buyer.address.country.clone(),
                    b.category,
                    b.rate_bp,
                    d.currency,
                ))
                .or_default();
            s.documents += 1;
            s.taxable += sign * b.taxable_minor;
            s.tax += sign * b.tax_minor;
        }
    }
    let mut out =
        String::from("country,tax_category,rate_percent,currency,documents,taxable,tax\r\n");
    for ((country, cat, rate, cur), s) in sums {
        csv_row(
            &mut out,
            &[
                &country,
                cat.code(),
                &format::percent(rate),
                cur.code(),
                &s.documents.to_string(),
                &format::amount_plain(s.taxable, cur),
                &format::amount_plain(s.tax, cur),
            ],
        );
    }
    out
}

fn payments_csv(pays: &[&PaymentReceived]) -> (String, String) {
    let mut totals: BTreeMap<(&str, Currency), (usize, i64)> = BTreeMap::new();
    let mut detail = String::from("date,reference,method,payer,document,amount,currency\r\n");
    for x in pays {
        let t = totals.entry((x.method.as_str(), x.currency)).or_default();
        t.0 += 1;
        t.1 += x.amount_minor;
        csv_row(
            &mut detail,
            &[
                &format::date(x.date),
                &x.reference,
                &x.method,
                &x.payer,
                x.document.as_deref().unwrap_or(""),
                &format::amount_plain(x.amount_minor, x.currency),
                x.currency.code(),
            ],
        );
    }
    let mut summary = String::from("method,currency,payments,total\r\n");
    for ((method, cur), (n, sum)) in totals {
        csv_row(
            &mut summary,
            &[
                method,
                cur.code(),
                &n.to_string(),
                &format::amount_plain(sum, cur),
            ],
        );
    }
    (summary, detail)
}

fn readme(p: Period, documents: usize, reconciled: bool) -> String {
    let reconciliation = if reconciled {
        "reconciliation.csv            per customer: documents issued vs the ledger, per kind; the difference is 0\r\n\
\x20                             (usage of a month is invoiced on the 1st of the next: an invoice is checked\r\n\
\x20                             against all the usage of the month it bills, wherever the period cuts)\r\n"
    } else {
        ""
    };
    format!(
        "Accountant export {} to {} ({documents} documents)\r\n\r\n\
pdf/                          the documents as issued (PDF, aiming at PDF/A-3b)\r\n\
ubl/                          invoices and credit notes as Peppol BIS Billing 3.0 UBL 2.1 XML\r\n\
ubl_not_written.txt           when present: invoices and credit notes without an e-invoice, and why\r\n\
journal.csv                   double-entry journal; each transaction balances per currency\r\n\
{reconciliation}\
tax_summary.csv               taxable amount and tax per country, category and rate; credit notes negative\r\n\
payments_received.csv         payments received per method and currency\r\n\
payments_received_detail.csv  every payment received\r\n\r\n\
Amounts use a dot as decimal separator and the currency's minor unit.\r\n\
Usage accrues in fractions of a cent: each day's usage row in journal.csv is the month's usage to date\r\n\
rounded half away from zero, minus the same the day before, so a month's rows add up to its usage\r\n\
rounded once; the invoice's rounding row then brings it to the invoice's rounded lines exactly.\r\n\
A row whose amount rounds to nothing is listed with empty debit and credit.\r\n",
        format::date(p.start),
        format::date(p.end)
    )
}
