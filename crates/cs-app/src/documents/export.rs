//! The accountant's period export: one ZIP with every PDF and UBL file of
//! the period, the journal of the billing ledger (read through
//! `cs_billing::journal`) reconciled with the documents, a tax summary and
//! the payments received; off the UI thread, with progress and cancellation,
//! never overwriting a file.

use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::NaiveDate;
use cs_billing::journal;
use cs_billing::ledger::TxnKind;
use cs_core::DocumentKind;
use cs_core::ValidationErrors;
use cs_invoice as inv;
use cs_store::rusqlite::Connection;

use crate::dto::{ExportInput, ExportPlanDto, ExportProgressDto, ExportResultDto};
use crate::{App, AppError, AppResult, Subject};

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

/// A period's first and last day as `YYYY-MM-DD`.
fn days(p: inv::Period) -> (String, String) {
    (
        p.start.format("%Y-%m-%d").to_string(),
        p.end.format("%Y-%m-%d").to_string(),
    )
}

/// Ids of the documents issued in the period (UTC issue dates), oldest first.
fn issued_in(c: &Connection, p: inv::Period) -> AppResult<Vec<String>> {
    let (from, to) = days(p);
    Ok(journal::issued_between(c, &from, &to)?)
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

fn book_account(kind: cs_core::ledger::AccountKind) -> inv::BookAccount {
    use cs_core::ledger::AccountKind as K;
    match kind {
        K::Wallet => inv::BookAccount::CustomerWallet,
        K::Revenue => inv::BookAccount::Revenue,
        K::TaxPayable => inv::BookAccount::TaxPayable,
        K::PaymentClearing => inv::BookAccount::PaymentClearing,
        K::Adjustments => inv::BookAccount::Adjustments,
        K::Rounding => inv::BookAccount::Rounding,
    }
}

fn book_kind(kind: TxnKind) -> inv::BookTxnKind {
    match kind {
        TxnKind::Usage => inv::BookTxnKind::Usage,
        TxnKind::Payment => inv::BookTxnKind::Payment,
        TxnKind::Adjustment => inv::BookTxnKind::Adjustment,
        TxnKind::Invoice => inv::BookTxnKind::Invoice,
        TxnKind::CreditNote => inv::BookTxnKind::CreditNote,
        TxnKind::Refund => inv::BookTxnKind::Refund,
    }
}

fn book_txn(t: journal::JournalTxn) -> AppResult<inv::BookTxn> {
    Ok(inv::BookTxn {
        id: t.id,
        kind: book_kind(t.kind),
        date: NaiveDate::parse_from_str(&t.date, "%Y-%m-%d").map_err(|e| {
            AppError::Internal(format!(
                "ledger transaction {} is dated {:?}: {e}",
                t.id, t.date
            ))
        })?,
        organization_id: t.organization_id,
        currency: t.currency,
        month: t.month.map(month_label),
        memo: t.memo,
        document_id: t.document_id,
        entries: t
            .entries
            .into_iter()
            .map(|(k, micros)| inv::BookEntry {
                account: book_account(k),
                micros,
            })
            .collect(),
    })
}

fn book_txns(txns: Vec<journal::JournalTxn>) -> AppResult<Vec<inv::BookTxn>> {
    txns.into_iter().map(book_txn).collect()
}

fn read_book_document(c: &Connection, id: &str) -> AppResult<Option<inv::BookDocument>> {
    let Some(d) = journal::issued_totals(c, id)? else {
        return Ok(None);
    };
    Ok(Some(inv::BookDocument {
        issue_date: NaiveDate::parse_from_str(&d.issue_date, "%Y-%m-%d").map_err(|e| {
            AppError::Internal(format!("document {id} is dated {:?}: {e}", d.issue_date))
        })?,
        id: d.id,
        number: d.number,
        kind: d.kind,
        organization_id: d.organization_id,
        currency: d.currency,
        month: d.month.map(month_label),
        net_minor: d.net_minor,
        tax_minor: d.tax_minor,
        total_minor: d.total_minor,
        ledger_txn_id: d.ledger_txn_id,
    }))
}

/// The ledger and documents the period's books need: every transaction dated in
/// the period and the documents issued in it, plus, for each (organization,
/// currency, month) they touch, all of that month's usage and invoice postings
/// and its invoice, and every document a transaction of the period names.
fn load_books(c: &Connection, p: inv::Period, doc_ids: &[String]) -> AppResult<inv::BooksReport> {
    let (from, to) = days(p);
    let mut txns = book_txns(journal::transactions_between(c, &from, &to)?)?;
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
    for d in docs.iter().filter(|d| d.kind == DocumentKind::Invoice) {
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
        for t in book_txns(journal::usage_and_invoices_of_month(
            c, &org, &currency, index,
        )?)? {
            if have.insert(t.id) {
                txns.push(t);
            }
        }
        let invoices = journal::issued_invoices(c, &org, &currency, index)?;
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
        for t in book_txns(journal::transaction(c, id)?.into_iter().collect())? {
            if have.insert(t.id) {
                txns.push(t);
            }
        }
    }
    let organizations: std::collections::BTreeMap<String, String> = cs_store::orgs::names(c)?
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    let invoiced_months: std::collections::BTreeSet<String> = journal::invoiced_months(c)?
        .into_iter()
        .map(month_label)
        .collect();
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
    /// How many documents a period holds, and a file name free in `folder`.
    pub fn plan_export(&self, from: &str, to: &str, folder: &str) -> AppResult<ExportPlanDto> {
        let mut e = ValidationErrors::new();
        let period = parse_period(&mut e, from, to);
        let period = match period {
            Some(p) if e.is_empty() => p,
            _ => return Err(AppError::Validation(e)),
        };
        let (count, txns) = self.store.read(|c| {
            let (from, to) = days(period);
            Ok::<_, AppError>((
                issued_in(c, period)?.len(),
                journal::count_between(c, &from, &to)?,
            ))
        })?;
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
        let (period, folder, name) = check_export(&input)?;
        let running = self.begin_export()?;
        let cancel = &running.cancel;
        let (docs, payments, books) = self.gather_period(period, cancel)?;
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
        inv::check_balanced(&books.journal).map_err(|err| {
            AppError::Internal(format!("the journal of the period does not balance: {err}"))
        })?;
        let target = folder.join(&name);
        let summary = write_zip(&folder, &name, cancel, progress, |out, report| {
            inv::export_period(
                out,
                &inv::ExportPeriod {
                    period,
                    threads: std::thread::available_parallelism()
                        .map(|n| n.get())
                        .unwrap_or(1)
                        .clamp(1, 4),
                    reconciliation_csv: Some(inv::reconciliation_csv(&books)),
                },
                &docs,
                &books.journal,
                &payments,
                report,
                cancel,
            )
        })?;
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
            e_invoices_not_written: n(summary.ubl_not_written.len()),
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

    /// One export at a time: the running export's cancel flag, cleared when
    /// the returned guard is dropped.
    fn begin_export(&self) -> AppResult<RunningExport<'_>> {
        let cancel = Arc::new(AtomicBool::new(false));
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
        Ok(RunningExport {
            slot: &self.export_cancel,
            cancel,
        })
    }

    /// The period's documents ready to print, the payments received with
    /// them, and the books reconciled against them.
    fn gather_period(
        &self,
        period: inv::Period,
        cancel: &AtomicBool,
    ) -> AppResult<(
        Vec<inv::Document>,
        Vec<inv::PaymentReceived>,
        inv::BooksReport,
    )> {
        self.store.read(|c| {
            let ids = issued_in(c, period)?;
            let books = load_books(c, period, &ids)?;
            let mut docs = Vec::with_capacity(ids.len());
            let mut payments = Vec::new();
            for id in &ids {
                if cancel.load(Ordering::Relaxed) {
                    return Err(AppError::Conflict(
                        "The export was cancelled: no file was written".into(),
                    ));
                }
                let d = self.printable_in(c, id)?;
                if d.kind == DocumentKind::Receipt {
                    let (reference, key) = journal::receipt_payment(c, id)?;
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
        })
    }
}

/// The running export's cancel flag; dropping it frees the slot.
struct RunningExport<'a> {
    slot: &'a std::sync::Mutex<Option<Arc<AtomicBool>>>,
    cancel: Arc<AtomicBool>,
}

impl Drop for RunningExport<'_> {
    fn drop(&mut self) {
        if let Ok(mut s) = self.slot.lock() {
            *s = None;
        }
    }
}

/// The period, the folder and the file name of an export, checked: the
/// folder exists, the name is a plain `.zip` name that is still free.
fn check_export(input: &ExportInput) -> AppResult<(inv::Period, PathBuf, String)> {
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
        e.add(
            "fileName",
            "Write a plain file name (no folders, not starting with a dot, at most 150 characters)",
        );
    }
    let period = match period {
        Some(p) if e.is_empty() => p,
        _ => return Err(AppError::Validation(e)),
    };
    if folder.join(&name).exists() {
        let free = free_name(&folder, &name);
        return Err(AppError::validation("fileName", format!("{name} already exists in {}: it is not overwritten; use another name such as {free}", folder.display())));
    }
    Ok((period, folder, name))
}

/// Writes `folder/name` through `write` without ever replacing a file: into
/// `name.part` first (removed on any failure or cancel), then linked into
/// place only if the name is still free.
fn write_zip(
    folder: &Path,
    name: &str,
    cancel: &AtomicBool,
    progress: &(dyn Fn(ExportProgressDto) + Sync),
    write: impl FnOnce(
        &mut BufWriter<std::fs::File>,
        &(dyn Fn(inv::ExportProgress) + Sync),
    ) -> Result<inv::ExportSummary, inv::InvoiceError>,
) -> AppResult<inv::ExportSummary> {
    let target = folder.join(name);
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
    let report = |p: inv::ExportProgress| {
        progress(ExportProgressDto {
            done: u32::try_from(p.documents_done).unwrap_or(u32::MAX),
            total: u32::try_from(p.documents_total).unwrap_or(u32::MAX),
        })
    };
    let mut out = BufWriter::new(file);
    let summary = write(&mut out, &report).map_err(|err| match err {
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
    Ok(summary)
}

/// The total difference between ledger and documents, per currency ("0.00 EUR"):
/// zero whenever an export is written, since a difference refuses it.
fn reconciliation_difference(r: &inv::BooksReport) -> String {
    let mut per: std::collections::BTreeMap<cs_core::Currency, i64> =
        std::collections::BTreeMap::new();
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
    fn free_names_never_reuse_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(free_name(dir.path(), "a.zip"), "a.zip");
        std::fs::write(dir.path().join("a.zip"), b"x").unwrap();
        assert_eq!(free_name(dir.path(), "a.zip"), "a-2.zip");
        std::fs::write(dir.path().join("a-2.zip.part"), b"x").unwrap();
        assert_eq!(free_name(dir.path(), "a"), "a-3.zip");
    }
}
