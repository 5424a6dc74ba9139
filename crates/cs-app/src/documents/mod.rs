//! Documents in the façade: the list and a document's detail (invoices,
//! receipts, credit notes issued by the engine), voiding an invoice with a
//! credit note, each document's PDF (with the seller it was issued with,
//! [`branding`]) and Peppol UBL e-invoice, files saved to the Downloads
//! folder, and the accountant's period export ([`export`]).

use std::path::{Path, PathBuf};

use cs_billing::documents::{self, DocumentFilter};
use cs_core::DocumentKind;
use cs_core::{Money, Rate};
use cs_invoice as inv;
use cs_store::fmt_ts;
use cs_store::rusqlite::Connection;

use crate::customers::parse_org_id;
use crate::dto::*;
use crate::{map, App, AppError, AppResult};

pub(crate) mod branding;
pub(crate) mod dto;
mod export;
pub(crate) mod pdf;
mod store;

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

/// Writes `<number>.<ext>` into `dir`, or `<number>-2.<ext>`, `-3` … when that
/// name is taken: an existing file is never replaced, and a symbolic link at the
/// name is never followed (the file is created exclusively, `O_CREAT | O_EXCL`,
/// which fails on any existing entry, links included).
pub(crate) fn save_in(dir: &Path, number: &str, ext: &str, bytes: &[u8]) -> AppResult<SavedFile> {
    use std::io::Write as _;
    std::fs::create_dir_all(dir)
        .map_err(|e| AppError::Unavailable(format!("Cannot create {}: {e}", dir.display())))?;
    let stem = safe_stem(number);
    for n in 1..=999 {
        let name = if n == 1 {
            format!("{stem}.{ext}")
        } else {
            format!("{stem}-{n}.{ext}")
        };
        let path = dir.join(name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path);
        let mut file = match file {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(AppError::Unavailable(format!(
                    "Cannot write {}: {e}: check the folder's permissions",
                    path.display()
                )))
            }
        };
        return match file.write_all(bytes).and_then(|()| file.sync_all()) {
            Ok(()) => Ok(SavedFile {
                path: path.display().to_string(),
            }),
            Err(e) => {
                drop(file);
                let _ = std::fs::remove_file(&path);
                Err(AppError::Unavailable(format!(
                    "Writing {} failed: {e}; check the free space and permissions",
                    path.display()
                )))
            }
        };
    }
    Err(AppError::Conflict(format!(
        "{} already holds 999 copies of {stem}.{ext}: remove some and download again",
        dir.display()
    )))
}

fn month_label(m: i64) -> String {
    format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
}

fn parse_month(s: &str) -> Option<i64> {
    let (y, m) = s.trim().split_once('-')?;
    let (y, m): (i64, i64) = (y.parse().ok()?, m.parse().ok()?);
    (1..=12).contains(&m).then_some(y * 12 + m - 1)
}

fn summary_dto(
    d: documents::DocumentSummary,
    organization_name: String,
    voided_by: Option<String>,
) -> DocumentSummaryDto {
    let c = d.currency;
    DocumentSummaryDto {
        id: d.id,
        kind: d.kind.as_str().to_string(),
        number: d.number,
        organization_id: d.organization_id,
        organization_name,
        period: d.month.map(month_label),
        subtotal: map::money(Money::new(d.subtotal_minor, c)),
        tax: map::money(Money::new(d.tax_minor, c)),
        total: map::money(Money::new(d.total_minor, c)),
        issued_at: d.issued_at.as_ref().map(fmt_ts),
        credits_document_id: d.credits_document_id,
        voided_by,
    }
}

/// What a customer's data lacks for valid e-invoices from the seller in force,
/// as sentences (only the customer's part; the seller's is on the Branding screen).
pub(crate) fn customer_gaps(
    c: &Connection,
    org: &cs_core::Organization,
    data: &cs_store::orgs::EInvoiceData,
) -> AppResult<Vec<String>> {
    let seller = branding::to_seller(&branding::in_force(c)?, None);
    let buyer_row = store::BuyerRow {
        address_lines: data.address_lines.clone(),
        postal_code: data.postal_code.clone(),
        city: data.city.clone(),
        peppol_scheme: data.peppol_scheme.clone(),
        peppol_id: data.peppol_id.clone(),
    };
    let buyer = pdf::to_buyer(org, &buyer_row);
    Ok(
        inv::party_gaps(&seller, &buyer, &[inv::TaxCategory::Standard])
            .into_iter()
            .filter(|g| g.party == inv::GapParty::Customer)
            .map(|g| g.message)
            .collect(),
    )
}

/// The documents filter the UI sent, checked.
fn document_filter(filter: &DocumentFilterInput) -> AppResult<DocumentFilter> {
    let org = filter
        .organization_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(parse_org_id)
        .transpose()?;
    let kind = match filter.kind.as_deref().filter(|s| !s.is_empty()) {
        Some(k) => Some(DocumentKind::parse(k).ok_or_else(|| {
            AppError::validation("kind", format!("{k:?} is not a document kind"))
        })?),
        None => None,
    };
    let month = match filter.period.as_deref().filter(|s| !s.is_empty()) {
        Some(p) => Some(parse_month(p).ok_or_else(|| {
            AppError::validation("period", format!("{p:?} is not a month: write YYYY-MM"))
        })?),
        None => None,
    };
    Ok(DocumentFilter {
        organization_id: org,
        kind,
        month,
    })
}

impl App {
    pub fn list_documents(
        &self,
        filter: DocumentFilterInput,
    ) -> AppResult<Vec<DocumentSummaryDto>> {
        let filter = document_filter(&filter)?;
        self.store.read(|c| {
            let docs = documents::list_documents(c, &filter, 1000)?;
            self.document_dtos(c, docs)
        })
    }

    /// One page of the documents list (filtered, searched and ordered in SQLite).
    pub fn list_documents_page(&self, input: DocumentListInput) -> AppResult<DocumentPage> {
        let from = crate::list::from(input.after.as_deref(), input.before.as_deref())?;
        let limit = crate::list::limit(input.limit)?;
        let filter = document_filter(&DocumentFilterInput {
            organization_id: input.organization_id,
            kind: input.kind,
            period: input.period,
        })?;
        let q = documents::DocumentQuery {
            filter,
            sort: match input.sort {
                DocumentSortKey::Created => documents::DocumentSort::Created,
                DocumentSortKey::Total => documents::DocumentSort::Total,
                DocumentSortKey::Customer => documents::DocumentSort::Customer,
            },
            desc: input.desc,
            search: crate::list::search(input.search),
        };
        self.store.read(|c| {
            let page = documents::page_documents(c, &q, &from, limit)?;
            let mut rows = Vec::with_capacity(page.rows.len());
            for (d, name) in page.rows {
                let voided_by = documents::credited_by(c, &d.id)?;
                rows.push(summary_dto(d, name, voided_by));
            }
            Ok(DocumentPage {
                rows,
                next: page.next.map(|n| n.encode()),
                prev: page.prev.map(|n| n.encode()),
                total: crate::map::count(page.total),
            })
        })
    }

    pub(crate) fn document_dtos(
        &self,
        c: &cs_store::rusqlite::Connection,
        docs: Vec<documents::DocumentSummary>,
    ) -> AppResult<Vec<DocumentSummaryDto>> {
        // What these documents need only: their customers' names and
        // credit notes, each read by index.
        let names = cs_store::orgs::names_of(
            c,
            docs.iter().filter_map(|d| d.organization_id.parse().ok()),
        )?;
        let mut out = Vec::with_capacity(docs.len());
        for d in docs {
            let name = d
                .organization_id
                .parse()
                .ok()
                .and_then(|o| names.get(&o).cloned())
                .unwrap_or_default();
            let voided_by = documents::credited_by(c, &d.id)?;
            out.push(summary_dto(d, name, voided_by));
        }
        Ok(out)
    }

    pub fn get_document(&self, id: &str) -> AppResult<DocumentDetail> {
        self.store.read(|c| {
            let d = documents::get_document(c, id)?;
            let name = d.customer_name.clone();
            let currency = d.summary.currency;
            let voided_by = documents::credited_by(c, id)?;
            Ok(DocumentDetail {
                summary: summary_dto(d.summary.clone(), name, voided_by),
                customer_name: d.customer_name,
                customer_country: d.customer_country,
                customer_tax_id: d.customer_tax_id,
                tax_note: d.tax_note,
                reference: d.reference,
                reason: d.reason,
                lines: d
                    .lines
                    .iter()
                    .map(|l| DocumentLineDto {
                        description: l.description.clone(),
                        hours: l.quantity_hours.map(|h| h.to_string()),
                        rate: l
                            .unit_rate_micros
                            .map(|r| map::rate(Rate::new(r, currency))),
                        amount: map::money(Money::new(l.amount_minor, currency)),
                        capped: l.capped,
                        tax_name: l.tax_name.clone(),
                    })
                    .collect(),
                tax_totals: d
                    .tax_totals
                    .iter()
                    .map(|t| TaxTotalDto {
                        name: t.name.clone(),
                        rate_percent: map::ppm_percent(t.rate_ppm),
                        net: map::money(Money::new(t.net_minor, currency)),
                        tax: map::money(Money::new(t.tax_minor, currency)),
                    })
                    .collect(),
            })
        })
    }

    /// Voids an issued invoice by issuing a credit note for all of it.
    pub fn void_invoice(&self, id: &str, reason: &str) -> AppResult<DocumentSummaryDto> {
        if reason.trim().is_empty() {
            return Err(AppError::validation(
                "reason",
                "Say why the invoice is voided: it is printed on the credit note",
            ));
        }
        let mut e = cs_core::ValidationErrors::new();
        let reason = cs_core::validate::optional_text(
            &mut e,
            "reason",
            "The reason",
            reason,
            cs_core::validate::MAX_LABEL_CHARS,
        )
        .unwrap_or_default();
        if !e.is_empty() {
            return Err(AppError::Validation(e));
        }
        let reason = reason.as_str();
        let now = self.now();
        let actor = self.actor.clone();
        let credit = self.write(|tx| Ok(documents::void_invoice(tx, id, reason, now, &actor)?))?;
        self.store
            .read(|c| Ok(self.document_dtos(c, vec![credit])?.remove(0)))
    }

    /// The document as a PDF, with the seller it was issued with.
    pub fn document_pdf(&self, id: &str) -> AppResult<(String, Vec<u8>)> {
        let printable = self.printable_document(id)?;
        let number = printable.number.clone();
        let bytes = cs_invoice::render_pdf(&printable)
            .map_err(|e| AppError::Internal(format!("rendering {number}: {e}")))?;
        Ok((number, bytes))
    }

    /// Writes the document's PDF to the user's Downloads folder.
    pub fn save_document_pdf(&self, id: &str) -> AppResult<SavedFile> {
        self.save_document_pdf_in(id, &downloads_dir()?)
    }

    /// Writes the document's PDF as `<number>.pdf` into `dir` (a free name; nothing
    /// is replaced).
    pub fn save_document_pdf_in(&self, id: &str, dir: &Path) -> AppResult<SavedFile> {
        let (number, bytes) = self.document_pdf(id)?;
        save_in(dir, &number, "pdf", &bytes)
    }

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
        let buyer = match store::buyer_of(c, id)? {
            Some(b) => Some(b),
            // A document without a snapshot: the customer as it is now.
            None => doc
                .summary
                .organization_id
                .parse()
                .ok()
                .map(|org| store::buyer_now(c, org))
                .transpose()?,
        };
        pdf::to_invoice_document(
            &doc,
            corrected.as_ref(),
            branding::to_seller(&row, logo),
            buyer.as_ref(),
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
        if printable.kind == DocumentKind::Receipt {
            return Err(AppError::Conflict(format!(
                "{} is a receipt: receipts have no e-invoice form (only invoices and credit notes do); download its PDF instead",
                printable.number
            )));
        }
        let xml = inv::to_ubl_xml(&printable).map_err(|e| match e {
            inv::InvoiceError::EInvoiceIncomplete { .. } => AppError::Conflict(e.to_string()),
            e => AppError::Internal(format!(
                "writing the e-invoice of {}: {e}",
                printable.number
            )),
        })?;
        Ok((printable.number, xml))
    }

    /// Writes the document's UBL e-invoice to the user's Downloads folder.
    pub fn save_document_ubl(&self, id: &str) -> AppResult<SavedFile> {
        self.save_document_ubl_in(id, &downloads_dir()?)
    }

    /// Writes the document's UBL e-invoice as `<number>.xml` into `dir` (a free
    /// name; nothing is replaced).
    pub fn save_document_ubl_in(&self, id: &str, dir: &Path) -> AppResult<SavedFile> {
        let (number, xml) = self.document_ubl(id)?;
        save_in(dir, &number, "xml", xml.as_bytes())
    }
}
