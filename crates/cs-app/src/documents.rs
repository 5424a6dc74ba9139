//! Documents for accountants: the printable form of an issued document (with
//! the seller it was issued with), its UBL e-invoice, files saved to the
//! Downloads folder, and the period export (one ZIP with every PDF and UBL
//! file, a balanced journal, a tax summary and the payments received).

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
use crate::{branding, App, AppError, AppResult};

/// The user's Downloads folder (or home when there is none).
pub(crate) fn downloads_dir() -> AppResult<PathBuf> {
    dirs::download_dir().or_else(dirs::home_dir).ok_or_else(|| AppError::Unavailable("There is no Downloads or home folder to save the file in".into()))
}

/// A document number as a file name.
fn safe_stem(number: &str) -> String {
    number.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect()
}

/// Writes `<number>.<ext>` into `dir`. The same document always gives the same
/// bytes, so an earlier download of it is replaced.
pub(crate) fn save_in(dir: &Path, number: &str, ext: &str, bytes: &[u8]) -> AppResult<SavedFile> {
    std::fs::create_dir_all(dir).map_err(|e| AppError::Unavailable(format!("Cannot create {}: {e}", dir.display())))?;
    let path = dir.join(format!("{}.{ext}", safe_stem(number)));
    std::fs::write(&path, bytes).map_err(|e| AppError::Unavailable(format!("Cannot write {}: {e}: check the folder's permissions", path.display())))?;
    Ok(SavedFile { path: path.display().to_string() })
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
        e.add("to", "The period ends before it starts: the last day must be on or after the first");
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
        .query_map([p.start.format("%Y-%m-%d").to_string(), p.end.format("%Y-%m-%d").to_string()], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ids)
}

fn default_file_name(p: inv::Period) -> String {
    format!("containerstacks-documents-{}-to-{}.zip", p.start.format("%Y-%m-%d"), p.end.format("%Y-%m-%d"))
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
        crate::pdf::to_invoice_document(&doc, corrected.as_ref(), branding::to_seller(&row, logo), instructions)
    }

    /// The document's PDF for the in-app preview.
    pub fn document_pdf_dto(&self, id: &str) -> AppResult<crate::dto::PdfDto> {
        use base64::Engine as _;
        let (number, bytes) = self.document_pdf(id)?;
        Ok(crate::dto::PdfDto { file_name: format!("{}.pdf", safe_stem(&number)), pdf_base64: base64::engine::general_purpose::STANDARD.encode(bytes) })
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
        let xml = inv::to_ubl_xml(&printable).map_err(|e| AppError::Internal(format!("writing the e-invoice of {}: {e}", printable.number)))?;
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
        let count = self.store.read(|c| issued_in(c, period))?.len();
        let name = default_file_name(period);
        let folder = folder.trim();
        let suggested = if folder.is_empty() { name } else { free_name(Path::new(folder), &name) };
        Ok(ExportPlanDto { documents: u32::try_from(count).unwrap_or(u32::MAX), suggested_file_name: suggested })
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
    pub fn export_documents(&self, input: ExportInput, progress: &(dyn Fn(ExportProgressDto) + Sync)) -> AppResult<ExportResultDto> {
        let mut e = ValidationErrors::new();
        let period = parse_period(&mut e, &input.from, &input.to);
        let folder = PathBuf::from(input.folder.trim());
        if input.folder.trim().is_empty() {
            e.add("folder", "Choose the folder to write the export to");
        } else if !folder.is_absolute() {
            e.add("folder", format!("{} is not a full path: choose the folder with Browse… or write a path starting with /", folder.display()));
        } else if !folder.is_dir() {
            e.add("folder", format!("{} does not exist or is not a folder: create it or choose another", folder.display()));
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
        if name.contains('/') || name.contains('\\') || name.starts_with('.') || name.chars().count() > 150 {
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
            let mut slot = self.export_cancel.lock().map_err(|_| AppError::Internal("export lock poisoned".into()))?;
            if slot.is_some() {
                return Err(AppError::Conflict("An export is already running: wait for it or cancel it".into()));
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

        let (docs, payments) = self.store.read(|c| {
            let ids = issued_in(c, period)?;
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
            Ok((docs, payments))
        })?;
        if docs.is_empty() {
            return Err(AppError::validation(
                "from",
                format!("No documents were issued from {} to {}: choose another period", period.start.format("%Y-%m-%d"), period.end.format("%Y-%m-%d")),
            ));
        }
        let accounts = inv::Accounts::default();
        let ledger: Vec<inv::LedgerEntry> = docs.iter().flat_map(|d| inv::document_ledger_entries(d, &accounts)).collect();
        inv::check_balanced(&ledger).map_err(|err| AppError::Internal(format!("the journal of the period does not balance: {err}")))?;

        let part_path = folder.join(format!("{name}.part"));
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&part_path).map_err(|err| {
            AppError::validation("folder", format!("Cannot write in {}: {err}; choose a folder you can write to", folder.display()))
        })?;
        let mut part = PartialFile { path: part_path.clone(), keep: false };
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 4);
        let report = |p: inv::ExportProgress| {
            progress(ExportProgressDto { done: u32::try_from(p.documents_done).unwrap_or(u32::MAX), total: u32::try_from(p.documents_total).unwrap_or(u32::MAX) })
        };
        let mut out = BufWriter::new(file);
        let summary = inv::export_period(&mut out, &inv::ExportPeriod { period, threads }, &docs, &ledger, &payments, &report, &cancel).map_err(|err| match err {
            inv::InvoiceError::Cancelled => AppError::Conflict("The export was cancelled: the partial file was removed".into()),
            inv::InvoiceError::Io(io) => AppError::Unavailable(format!("Writing {} failed: {io}; check the free space and permissions", part_path.display())),
            other => AppError::Internal(format!("the export failed: {other}")),
        })?;
        let file = out.into_inner().map_err(|err| AppError::Unavailable(format!("Writing {} failed: {}", part_path.display(), err.error())))?;
        file.sync_all().map_err(|err| AppError::Unavailable(format!("Writing {} failed: {err}", part_path.display())))?;
        drop(file);
        if cancel.load(Ordering::Relaxed) {
            return Err(AppError::Conflict("The export was cancelled: the partial file was removed".into()));
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
        self.write(|tx| self.record(tx, now, "documents.exported", "settings", None, None, what))?;
        let n = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        Ok(ExportResultDto {
            path: target.display().to_string(),
            size_bytes: size.to_string(),
            documents: n(summary.documents),
            e_invoices: n(summary.ubl_files),
            journal_entries: n(summary.journal_entries),
            payments: n(summary.payments),
            journal_balanced: true,
            files: summary.files,
        })
    }
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
