//! Documents for accountants: the printable form of an issued document (with
//! the seller it was issued with), its UBL e-invoice, files saved to the
//! Downloads folder, and the period export (one ZIP with every PDF and UBL
//! file, the journal of the billing ledger reconciled with the documents, a tax
//! summary and the payments received).

use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::NaiveDate;
use cs_billing::documents;
use cs_core::ValidationErrors;
use cs_invoice as inv;
use cs_store::rusqlite::{Connection, OptionalExtension};

use crate::dto::{ExportInput, ExportPlanDto, ExportProgressDto, ExportResultDto, SavedFile};
use crate::Subject;
use crate::{branding, App, AppError, AppResult};

/// The user's Downloads folder (or home when there is none).
pub(crate) fn downloads_dir() -> AppResult<PathBuf> {
    dirs::download_dir().or_else(dirs::home_dir).ok_or_else(|| {
        AppError::Unavailable("There is no Downloads or home folder to save the file in".into())
    })
}

/// A document number as a file name.
fn safe_stem(number: &str) -> String {
    number
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes `<number>.<ext>` into `dir`. The same document always gives the same
/// bytes, so an earlier download of it is replaced.
pub(crate) fn save_in(dir: &Path, number: &str, ext: &str, bytes: &[u8]) -> AppResult<SavedFile> {
    std::fs::create_dir_all(dir)
        .map_err(|e| AppError::Unavailable(format!("Cannot create {}: {e}", dir.display())))?;
    let path = dir.join(format!("{}.{ext}", safe_stem(number)));
    std::fs::write(&path, bytes).map_err(|e| {
        AppError::Unavailable(format!(
            "Cannot write {}: {e}: check the folder's permissions",
            path.display()
        ))
    })?;
    Ok(SavedFile {
        path: path.display().to_string(),
    })
}

fn parse_day(e: &mut ValidationErrors, field: &str, s: &str) -> Option<NaiveDate> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    if d.is_none() {
        e.add(field, format!("{s:?} is not a date: write YYYY-MM-DD"));
    }
    d
}

fn parse_period(e: &mut ValidationErrors, from: &str, to: &str) -> Option<inv::Period> {
    let (from, to) = (parse_day(e, "from", from), parse_day(e, "to", to));
    let (start, end) = (from?, to?);
    if start > end {
        e.add(
            "to",
            "The period ends before it starts: the last day must be on or after the first",
        );
        return None;
    }
    Some(inv::Period { start, end })
}

/// Ids of the documents issued in the period (UTC issue dates), oldest first.
fn issued_in(c: &Connection, p: inv::Period) -> AppResult<Vec<String>> {
    let mut stmt = c.prepare(
        "SELECT id FROM documents WHERE status = 'issued' AND substr(issued_at, 1, 10) BETWEEN ?1 AND ?2 ORDER BY issued_at, kind, seq",
    )?;
    let ids = stmt
        .query_map(
            [
                p.start.format("%Y-%m-%d").to_string(),
                p.end.format("%Y-%m-%d").to_string(),
            ],
            |r| r.get::<_, String>(0),
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ids)
}

/// Ledger transactions dated in the period.
fn ledger_count(c: &Connection, p: inv::Period) -> AppResult<i64> {
    Ok(c.query_row(
        "SELECT count(*) FROM ledger_txns WHERE substr(at, 1, 10) BETWEEN ?1 AND ?2",
        [
            p.start.format("%Y-%m-%d").to_string(),
            p.end.format("%Y-%m-%d").to_string(),
        ],
        |r| r.get(0),
    )?)
}

fn default_file_name(p: inv::Period) -> String {
    format!(
        "containerstacks-documents-{}-to-{}.zip",
        p.start.format("%Y-%m-%d"),
        p.end.format("%Y-%m-%d")
    )
}

/// The first of `name`, `name-2`, `name-3` … that does not exist in `dir`.
fn free_name(dir: &Path, name: &str) -> String {
    let stem = name.strip_suffix(".zip").unwrap_or(name);
    let mut candidate = format!("{stem}.zip");
    let mut n = 2;
    while dir.join(&candidate).exists() || dir.join(format!("{candidate}.part")).exists() {
        candidate = format!("{stem}-{n}.zip");
        n += 1;
    }
    candidate
}

/// Removes the partial archive unless it was completed.
struct PartialFile {
    path: PathBuf,
    keep: bool,
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn payment_method(idem_key: &str) -> &'static str {
    match idem_key.split(':').nth(1) {
        Some("paypal") => "PayPal",
        Some("bank_transfer") => "Bank transfer",
        Some("cash") => "Cash",
        _ => "Other",
    }
}

/// `YYYY-MM` of the engine's month index.
fn month_label(m: i64) -> String {
    let (y, mo) = cs_core::metering::month_parts(m);
    format!("{y}-{mo:02}")
}

fn book_currency(code: &str) -> AppResult<inv::Currency> {
    inv::Currency::new(code)
        .map_err(|e| AppError::Internal(format!("the ledger holds currency {code:?}: {e}")))
}

fn book_account(kind: &str) -> AppResult<inv::BookAccount> {
    use cs_core::ledger::AccountKind as K;
    Ok(
        match K::parse(kind)
            .ok_or_else(|| AppError::Internal(format!("ledger account kind {kind:?}")))?
        {
            K::Wallet => inv::BookAccount::CustomerWallet,
            K::Revenue => inv::BookAccount::Revenue,
            K::TaxPayable => inv::BookAccount::TaxPayable,
            K::PaymentClearing => inv::BookAccount::PaymentClearing,
            K::Adjustments => inv::BookAccount::Adjustments,
            K::Rounding => inv::BookAccount::Rounding,
        },
    )
}

fn book_kind(kind: &str) -> AppResult<inv::BookTxnKind> {
    Ok(match kind {
        "usage" => inv::BookTxnKind::Usage,
        "payment" => inv::BookTxnKind::Payment,
        "adjustment" => inv::BookTxnKind::Adjustment,
        "invoice" => inv::BookTxnKind::Invoice,
        "credit_note" => inv::BookTxnKind::CreditNote,
        "refund" => inv::BookTxnKind::Refund,
        other => {
            return Err(AppError::Internal(format!(
                "ledger transaction kind {other:?}"
            )))
        }
    })
}

const TXN_COLUMNS: &str = "SELECT id, kind, coalesce(organization_id, ''), currency, substr(at, 1, 10), month, memo, document_id FROM ledger_txns";

fn read_txns(
    c: &Connection,
    filter: &str,
    args: &[&dyn cs_store::rusqlite::ToSql],
) -> AppResult<Vec<inv::BookTxn>> {
    type Raw = (
        i64,
        String,
        String,
        String,
        String,
        Option<i64>,
        String,
        Option<String>,
    );
    let raw: Vec<Raw> = c
        .prepare_cached(&format!("{TXN_COLUMNS} WHERE {filter} ORDER BY at, id"))?
        .query_map(args, |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut entries = c.prepare_cached(
        "SELECT a.kind, e.amount_micros FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id WHERE e.txn_id = ?1 ORDER BY a.kind",
    )?;
    let mut out = Vec::with_capacity(raw.len());
    for (id, kind, org, currency, date, month, memo, document_id) in raw {
        let rows: Vec<(String, i64)> = entries
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let entries = rows
            .into_iter()
            .map(|(k, m)| {
                Ok(inv::BookEntry {
                    account: book_account(&k)?,
                    micros: m,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        out.push(inv::BookTxn {
            id,
            kind: book_kind(&kind)?,
            date: NaiveDate::parse_from_str(&date, "%Y-%m-%d").map_err(|e| {
                AppError::Internal(format!("ledger transaction {id} is dated {date:?}: {e}"))
            })?,
            organization_id: org,
            currency: book_currency(&currency)?,
            month: month.map(month_label),
            memo,
            document_id,
            entries,
        });
    }
    Ok(out)
}

fn read_book_document(c: &Connection, id: &str) -> AppResult<Option<inv::BookDocument>> {
    type Raw = (
        String,
        String,
        String,
        String,
        String,
        Option<i64>,
        i64,
        i64,
        i64,
        Option<i64>,
    );
    let raw: Option<Raw> = c
        .prepare_cached(
            "SELECT number, kind, organization_id, currency, substr(issued_at, 1, 10), month, subtotal_minor, tax_minor, total_minor, ledger_txn_id
             FROM documents WHERE id = ?1 AND status = 'issued'",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?)))
        .optional()?;
    let Some((number, kind, org, currency, date, month, net, tax, total, txn)) = raw else {
        return Ok(None);
    };
    Ok(Some(inv::BookDocument {
        id: id.to_string(),
        number,
        kind: match kind.as_str() {
            "invoice" => inv::DocumentKind::Invoice,
            "receipt" => inv::DocumentKind::Receipt,
            "credit_note" => inv::DocumentKind::CreditNote,
            other => return Err(AppError::Internal(format!("document kind {other:?}"))),
        },
        organization_id: org,
        currency: book_currency(&currency)?,
        issue_date: NaiveDate::parse_from_str(&date, "%Y-%m-%d")
            .map_err(|e| AppError::Internal(format!("document {id} is dated {date:?}: {e}")))?,
        month: month.map(month_label),
        net_minor: net,
        tax_minor: tax,
        total_minor: total,
        ledger_txn_id: txn,
    }))
}

/// The ledger and documents the period's books need: every transaction dated in
/// the period and the documents issued in it, plus, for each (organization,
/// currency, month) they touch, all of that month's usage and invoice postings
/// and its invoice, and every document a transaction of the period names.
fn load_books(c: &Connection, p: inv::Period, doc_ids: &[String]) -> AppResult<inv::BooksReport> {
    let (from, to) = (
        p.start.format("%Y-%m-%d").to_string(),
        p.end.format("%Y-%m-%d").to_string(),
    );
    let mut txns = read_txns(c, "substr(at, 1, 10) BETWEEN ?1 AND ?2", &[&from, &to])?;
    let mut docs = Vec::new();
    let mut seen_docs = std::collections::BTreeSet::new();
    let mut add_doc =
        |c: &Connection, id: &str, docs: &mut Vec<inv::BookDocument>| -> AppResult<()> {
            if seen_docs.insert(id.to_string()) {
                if let Some(d) = read_book_document(c, id)? {
                    docs.push(d);
                }
            }
            Ok(())
        };
    for id in doc_ids {
        add_doc(c, id, &mut docs)?;
    }
    let named: Vec<String> = txns.iter().filter_map(|t| t.document_id.clone()).collect();
    for id in &named {
        add_doc(c, id, &mut docs)?;
    }
    // The months billed by the period's invoices and usage.
    let mut streams = std::collections::BTreeSet::new();
    for t in txns
        .iter()
        .filter(|t| matches!(t.kind, inv::BookTxnKind::Usage | inv::BookTxnKind::Invoice))
    {
        streams.insert((
            t.organization_id.clone(),
            t.currency.code().to_string(),
            t.month.clone(),
        ));
    }
    for d in docs.iter().filter(|d| d.kind == inv::DocumentKind::Invoice) {
        streams.insert((
            d.organization_id.clone(),
            d.currency.code().to_string(),
            d.month.clone(),
        ));
    }
    let mut have: std::collections::BTreeSet<i64> = txns.iter().map(|t| t.id).collect();
    for (org, currency, month) in streams {
        let Some(month) = month else { continue };
        let (y, m) = month
            .split_once('-')
            .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
            .unwrap_or((0, 1));
        let index = cs_core::metering::month_index(y, m);
        for t in read_txns(c, "kind IN ('usage', 'invoice') AND organization_id = ?1 AND currency = ?2 AND month = ?3", &[&org, &currency, &index])? {
            if have.insert(t.id) {
                txns.push(t);
            }
        }
        let invoices: Vec<String> = c
            .prepare_cached("SELECT id FROM documents WHERE kind = 'invoice' AND status = 'issued' AND organization_id = ?1 AND currency = ?2 AND month = ?3")?
            .query_map(cs_store::rusqlite::params![org, currency, index], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for id in &invoices {
            add_doc(c, id, &mut docs)?;
        }
    }
    // The postings the documents name, wherever they are dated (a posting outside
    // the period is reported by the reconciliation, not mistaken for a missing one).
    let named: Vec<i64> = docs
        .iter()
        .filter_map(|d| d.ledger_txn_id)
        .filter(|id| !have.contains(id))
        .collect();
    for id in named {
        for t in read_txns(c, "id = ?1", &[&id])? {
            if have.insert(t.id) {
                txns.push(t);
            }
        }
    }
    let organizations: std::collections::BTreeMap<String, String> = c
        .prepare_cached("SELECT id, name FROM organizations")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let invoiced_months: std::collections::BTreeSet<String> = c
        .prepare_cached("SELECT month FROM invoice_runs")?
        .query_map([], |r| r.get::<_, i64>(0))?
        .map(|m| m.map(month_label))
        .collect::<Result<_, _>>()?;
    Ok(inv::reconcile(
        &inv::Books {
            period: p,
            transactions: &txns,
            documents: &docs,
            organizations: &organizations,
            invoiced_months: &invoiced_months,
        },
        &inv::Accounts::default(),
    ))
}

/// The refusal when the books do not reconcile: the first few mismatches.
fn not_reconciled(p: inv::Period, r: &inv::BooksReport) -> AppError {
    let shown: Vec<&str> = r
        .mismatches
        .iter()
        .take(3)
        .map(|m| m.message.as_str())
        .collect();
    let more = match r.mismatches.len().saturating_sub(3) {
        0 => String::new(),
        n => format!(" (and {n} more)"),
    };
    AppError::Conflict(format!(
        "The documents of {} to {} do not match the ledger, so nothing was exported: {}{more}. Correct the books (a credit note for a wrong document, a documented adjustment for a wrong balance) and export again.",
        p.start.format("%Y-%m-%d"),
        p.end.format("%Y-%m-%d"),
        shown.join("; ")
    ))
}

impl App {
    /// An issued document in the printable model, with the seller, logo and
    /// payment instructions it was issued with.
    pub(crate) fn printable_document(&self, id: &str) -> AppResult<inv::Document> {
        self.store.read(|c| self.printable_in(c, id))
    }

    pub(crate) fn printable_in(&self, c: &Connection, id: &str) -> AppResult<inv::Document> {
        let doc = documents::get_document(c, id)?;
        if doc.summary.number.is_none() {
            return Err(AppError::Conflict("This document is a draft: it gets a number, a PDF and an e-invoice when it is issued".into()));
        }
        let corrected = match &doc.summary.credits_document_id {
            Some(of) => Some(documents::get_document(c, of)?),
            None => None,
        };
        let row = branding::seller_of(c, id)?;
        let logo = match &row.logo_sha256 {
            Some(sha) => branding::logo_png(c, sha)?,
            None => None,
        };
        let instructions = row.payment_instructions.clone();
        crate::pdf::to_invoice_document(
            &doc,
            corrected.as_ref(),
            branding::to_seller(&row, logo),
            instructions,
        )
    }

    /// The document's PDF for the in-app preview.
    pub fn document_pdf_dto(&self, id: &str) -> AppResult<crate::dto::PdfDto> {
        use base64::Engine as _;
        let (number, bytes) = self.document_pdf(id)?;
        Ok(crate::dto::PdfDto {
            file_name: format!("{}.pdf", safe_stem(&number)),
            pdf_base64: base64::engine::general_purpose::STANDARD.encode(bytes),
        })
    }

    /// The document as Peppol BIS Billing 3.0 UBL 2.1 XML (invoices and credit notes).
    pub fn document_ubl(&self, id: &str) -> AppResult<(String, String)> {
        let printable = self.printable_document(id)?;
        if printable.kind == inv::DocumentKind::Receipt {
            return Err(AppError::Conflict(format!(
                "{} is a receipt: receipts have no e-invoice form (only invoices and credit notes do); download its PDF instead",
                printable.number
            )));
        }
        let xml = inv::to_ubl_xml(&printable).map_err(|e| {
            AppError::Internal(format!(
                "writing the e-invoice of {}: {e}",
                printable.number
            ))
        })?;
        Ok((printable.number, xml))
    }

    /// Writes the document's UBL e-invoice to the user's Downloads folder.
    pub fn save_document_ubl(&self, id: &str) -> AppResult<SavedFile> {
        self.save_document_ubl_in(id, &downloads_dir()?)
    }

    /// Writes the document's UBL e-invoice as `<number>.xml` into `dir`.
    pub fn save_document_ubl_in(&self, id: &str, dir: &Path) -> AppResult<SavedFile> {
        let (number, xml) = self.document_ubl(id)?;
        save_in(dir, &number, "xml", xml.as_bytes())
    }

    /// How many documents a period holds, and a file name free in `folder`.
    pub fn plan_export(&self, from: &str, to: &str, folder: &str) -> AppResult<ExportPlanDto> {
        let mut e = ValidationErrors::new();
        let period = parse_period(&mut e, from, to);
        let period = match period {
            Some(p) if e.is_empty() => p,
            _ => return Err(AppError::Validation(e)),
        };
        let (count, txns) = self
            .store
            .read(|c| Ok::<_, AppError>((issued_in(c, period)?.len(), ledger_count(c, period)?)))?;
        let name = default_file_name(period);
        let folder = folder.trim();
        let suggested = if folder.is_empty() {
            name
        } else {
            free_name(Path::new(folder), &name)
        };
        Ok(ExportPlanDto {
            documents: u32::try_from(count).unwrap_or(u32::MAX),
            ledger_transactions: u32::try_from(txns).unwrap_or(u32::MAX),
            suggested_file_name: suggested,
        })
    }

    /// Asks a running export to stop; it removes its partial file. Returns
    /// false when no export is running.
    pub fn cancel_export(&self) -> bool {
        match self.export_cancel.lock().ok().and_then(|g| g.clone()) {
            Some(flag) => {
                flag.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// Writes the accountant's ZIP for a period. Blocking: call it off the UI
    /// thread. `progress` hears "done of total" after every document; a
    /// [`App::cancel_export`] stops it and removes the partial file. Never
    /// overwrites a file: the archive is written beside its final name and
    /// moved there only when complete, and only if that name is still free.
    pub fn export_documents(
        &self,
        input: ExportInput,
        progress: &(dyn Fn(ExportProgressDto) + Sync),
    ) -> AppResult<ExportResultDto> {
        let mut e = ValidationErrors::new();
        let period = parse_period(&mut e, &input.from, &input.to);
        let folder = PathBuf::from(input.folder.trim());
        if input.folder.trim().is_empty() {
            e.add("folder", "Choose the folder to write the export to");
        } else if !folder.is_absolute() {
            e.add("folder", format!("{} is not a full path: choose the folder with Browse… or write a path starting with /", folder.display()));
        } else if !folder.is_dir() {
            e.add(
                "folder",
                format!(
                    "{} does not exist or is not a folder: create it or choose another",
                    folder.display()
                ),
            );
        }
        let mut name = input.file_name.trim().to_string();
        if name.is_empty() {
            if let Some(p) = period {
                name = default_file_name(p);
            }
        }
        if !name.to_ascii_lowercase().ends_with(".zip") {
            name.push_str(".zip");
        }
        if name.contains('/')
            || name.contains('\\')
            || name.starts_with('.')
            || name.chars().count() > 150
        {
            e.add("fileName", "Write a plain file name (no folders, not starting with a dot, at most 150 characters)");
        }
        let period = match period {
            Some(p) if e.is_empty() => p,
            _ => return Err(AppError::Validation(e)),
        };
        let target = folder.join(&name);
        if target.exists() {
            let free = free_name(&folder, &name);
            return Err(AppError::validation("fileName", format!("{name} already exists in {}: it is not overwritten; use another name such as {free}", folder.display())));
        }

        // One export at a time.
        let cancel = Arc::new(AtomicBool::new(false));
        {
            let mut slot = self
                .export_cancel
                .lock()
                .map_err(|_| AppError::Internal("export lock poisoned".into()))?;
            if slot.is_some() {
                return Err(AppError::Conflict(
                    "An export is already running: wait for it or cancel it".into(),
                ));
            }
            *slot = Some(cancel.clone());
        }
        struct Clear<'a>(&'a std::sync::Mutex<Option<Arc<AtomicBool>>>);
        impl Drop for Clear<'_> {
            fn drop(&mut self) {
                if let Ok(mut s) = self.0.lock() {
                    *s = None;
                }
            }
        }
        let _clear = Clear(&self.export_cancel);

        let (docs, payments, books) = self.store.read(|c| {
            let ids = issued_in(c, period)?;
            let books = load_books(c, period, &ids)?;
            let mut docs = Vec::with_capacity(ids.len());
            let mut payments = Vec::new();
            for id in &ids {
                if cancel.load(Ordering::Relaxed) {
                    return Err(AppError::Conflict("The export was cancelled: no file was written".into()));
                }
                let d = self.printable_in(c, id)?;
                if d.kind == inv::DocumentKind::Receipt {
                    let (reference, key): (Option<String>, Option<String>) = c
                        .query_row(
                            "SELECT d.reference, t.idem_key FROM documents d LEFT JOIN ledger_txns t ON t.id = d.ledger_txn_id WHERE d.id = ?1",
                            [id],
                            |r| Ok((r.get(0)?, r.get(1)?)),
                        )
                        .optional()?
                        .unwrap_or((None, None));
                    payments.push(inv::PaymentReceived {
                        date: d.issue_date,
                        reference: reference.unwrap_or_default(),
                        method: payment_method(key.as_deref().unwrap_or("")).to_string(),
                        payer: d.buyer.organization.clone(),
                        document: Some(d.number.clone()),
                        amount_minor: d.totals.gross_minor,
                        currency: d.currency,
                    });
                }
                docs.push(d);
            }
            Ok((docs, payments, books))
        })?;
        if docs.is_empty() && books.transactions == 0 {
            return Err(AppError::validation(
                "from",
                format!(
                    "No documents were issued from {} to {}: choose another period",
                    period.start.format("%Y-%m-%d"),
                    period.end.format("%Y-%m-%d")
                ),
            ));
        }
        // The journal is the ledger's; it is written only if every document of the
        // period agrees with the ledger.
        if !books.is_reconciled() {
            return Err(not_reconciled(period, &books));
        }
        let ledger = &books.journal;
        inv::check_balanced(ledger).map_err(|err| {
            AppError::Internal(format!("the journal of the period does not balance: {err}"))
        })?;
        let reconciliation_csv = Some(inv::reconciliation_csv(&books));

        let part_path = folder.join(format!("{name}.part"));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&part_path)
            .map_err(|err| {
                AppError::validation(
                    "folder",
                    format!(
                        "Cannot write in {}: {err}; choose a folder you can write to",
                        folder.display()
                    ),
                )
            })?;
        let mut part = PartialFile {
            path: part_path.clone(),
            keep: false,
        };
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 4);
        let report = |p: inv::ExportProgress| {
            progress(ExportProgressDto {
                done: u32::try_from(p.documents_done).unwrap_or(u32::MAX),
                total: u32::try_from(p.documents_total).unwrap_or(u32::MAX),
            })
        };
        let mut out = BufWriter::new(file);
        let summary = inv::export_period(
            &mut out,
            &inv::ExportPeriod {
                period,
                threads,
                reconciliation_csv,
            },
            &docs,
            ledger,
            &payments,
            &report,
            &cancel,
        )
        .map_err(|err| match err {
            inv::InvoiceError::Cancelled => {
                AppError::Conflict("The export was cancelled: the partial file was removed".into())
            }
            inv::InvoiceError::Io(io) => AppError::Unavailable(format!(
                "Writing {} failed: {io}; check the free space and permissions",
                part_path.display()
            )),
            other => AppError::Internal(format!("the export failed: {other}")),
        })?;
        let file = out.into_inner().map_err(|err| {
            AppError::Unavailable(format!(
                "Writing {} failed: {}",
                part_path.display(),
                err.error()
            ))
        })?;
        file.sync_all().map_err(|err| {
            AppError::Unavailable(format!("Writing {} failed: {err}", part_path.display()))
        })?;
        drop(file);
        if cancel.load(Ordering::Relaxed) {
            return Err(AppError::Conflict(
                "The export was cancelled: the partial file was removed".into(),
            ));
        }
        // Move into place without replacing anything that appeared meanwhile.
        std::fs::hard_link(&part_path, &target).map_err(|err| {
            if err.kind() == std::io::ErrorKind::AlreadyExists {
                AppError::validation("fileName", format!("{name} appeared in {} during the export: it is not overwritten; use another name", folder.display()))
            } else {
                AppError::Unavailable(format!("Cannot create {}: {err}", target.display()))
            }
        })?;
        let _ = std::fs::remove_file(&part_path);
        part.keep = true;
        let size = std::fs::metadata(&target).map(|m| m.len()).unwrap_or(0);
        let now = self.now();
        let what = format!(
            "Exported {} documents from {} to {} to {}",
            summary.documents,
            period.start.format("%Y-%m-%d"),
            period.end.format("%Y-%m-%d"),
            target.display()
        );
        self.write(|tx| tx.record(now, "documents.exported", Subject::settings(None), what))?;
        let n = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        Ok(ExportResultDto {
            path: target.display().to_string(),
            size_bytes: size.to_string(),
            documents: n(summary.documents),
            e_invoices: n(summary.ubl_files),
            journal_entries: n(summary.journal_entries),
            payments: n(summary.payments),
            journal_balanced: true,
            ledger_transactions: n(books.transactions),
            reconciled_documents: n(books.documents_checked),
            reconciled_organizations: n(books
                .rows
                .iter()
                .map(|r| r.organization_id.as_str())
                .collect::<std::collections::BTreeSet<_>>()
                .len()),
            reconciliation_difference: reconciliation_difference(&books),
            files: summary.files,
        })
    }
}

/// The total difference between ledger and documents, per currency ("0.00 EUR"):
/// zero whenever an export is written, since a difference refuses it.
fn reconciliation_difference(r: &inv::BooksReport) -> String {
    let mut per: std::collections::BTreeMap<inv::Currency, i64> = std::collections::BTreeMap::new();
    for row in &r.rows {
        *per.entry(row.currency).or_default() += row.difference_micros.unwrap_or(0);
    }
    if per.is_empty() {
        return "0".into();
    }
    per.into_iter()
        .map(|(c, d)| format!("{} {}", inv::format::micros_plain(d, c), c.code()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_journal_rounds_as_the_engine_does() {
        // Every currency the engine accepts (cs_core's closed list).
        let codes = [
            "USD", "EUR", "GBP", "CHF", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN", "CZK",
            "HUF", "RON", "BGN", "INR", "SGD", "HKD", "BRL", "MXN", "ZAR", "JPY", "KRW", "ISK",
            "CLP",
        ];
        for code in codes {
            let core = cs_core::Currency::parse(code).unwrap();
            let books = inv::Currency::new(code).unwrap();
            assert_eq!(
                10_i64.pow(books.minor_digits()),
                10_i64.pow(core.exponent()),
                "{code}"
            );
            for micros in [
                0,
                1,
                4_999,
                5_000,
                5_001,
                -5_000,
                -4_999,
                1_085_000,
                123_456_789,
                999_999,
                -1_500_000,
            ] {
                assert_eq!(
                    inv::micros_to_minor(micros, books),
                    cs_core::money::micros_to_minor_rounded(micros, core),
                    "{code} {micros}"
                );
            }
        }
    }

    #[test]
    fn free_names_never_reuse_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(free_name(dir.path(), "a.zip"), "a.zip");
        std::fs::write(dir.path().join("a.zip"), b"x").unwrap();
        assert_eq!(free_name(dir.path(), "a.zip"), "a-2.zip");
        std::fs::write(dir.path().join("a-2.zip.part"), b"x").unwrap();
        assert_eq!(free_name(dir.path(), "a"), "a-3.zip");
    }
}
