//! Invoice documents: PDF, UBL e-invoices and accountant exports.
//!
//! The billing engine finalizes a [`Document`] (an invoice, a receipt or a credit note, with
//! its lines, tax breakdown and totals in integer minor units) and hands it here. This crate
//! turns it into a branded, paginated, deterministic PDF ([`render_pdf`], aiming at PDF/A-3b)
//! with embedded font subsets: DejaVu Sans, and Debian's Noto faces read at run time for
//! the scripts DejaVu lacks (CJK, Arabic, Hebrew, Devanagari and other Indic scripts, …),
//! shaped with rustybuzz and laid out right to left where the Unicode bidi algorithm says
//! so; characters no installed font covers are reported ([`render_pdf_report`]). It also
//! writes a Peppol BIS Billing 3.0 UBL 2.1 XML file ([`to_ubl_xml`]) — refused, with the
//! missing seller or customer data named, when it would fail the Peppol rules
//! ([`e_invoice_gaps`], [`party_gaps`]) — and, for an accountant,
//! into one ZIP for a period ([`export_period`]) holding every PDF and XML, a balanced
//! journal CSV built from [`LedgerEntry`] rows, a tax summary per rate and country and a
//! payments-received summary. [`reconcile`] builds that journal from the billing engine's
//! ledger and checks it, document by document, against what was issued.
//!
//! It deliberately does not compute anything about money: no pricing, no rounding of lines,
//! no tax decisions, no numbering (the journal only presents the ledger's micro-units in
//! minor units with the product's one rounding rule, see [`reconcile`]). It checks that the
//! numbers it is given add up ([`Document::validate`], [`reconcile`]) and refuses to print
//! documents that do not. Its only I/O is reading the installed fallback fonts and writing
//! the ZIP to the writer it is given, and it never reads the clock: the only
//! dates in its output are the documents' own.

mod books;
mod export;
mod font;
pub mod format;
mod ledger;
mod model;
mod pdf;
mod peppol;
mod shape;
mod ubl;

pub use books::{
    reconcile, reconciliation_csv, BookAccount, BookDocument, BookEntry, BookTxn, BookTxnKind,
    Books, BooksReport, Mismatch, ReconciliationRow,
};
pub use export::{export_period, ExportPeriod, ExportProgress, ExportSummary, PaymentReceived};
pub use ledger::{check_balanced, document_ledger_entries, journal_csv, Accounts, LedgerEntry};
pub use model::{
    line_amount_minor, Address, BankAccount, Buyer, CorrectedInvoice, Currency, Document,
    DocumentKind, ElectronicAddress, Line, PaymentStatus, Period, Seller, TaxBreakdown,
    TaxCategory, Totals,
};
pub use pdf::{
    prepare_fonts, render_pdf, render_pdf_many, render_pdf_phased, render_pdf_report, RenderedPdf,
};
pub use peppol::{e_invoice_gaps, party_gaps, seller_gaps, EInvoiceGap, GapParty};
pub use ubl::to_ubl_xml;

/// Everything that can go wrong turning documents into files.
#[derive(Debug, thiserror::Error)]
pub enum InvoiceError {
    #[error("document {number} does not add up: {what}; fix the billing run that produced it")]
    Inconsistent { number: String, what: String },
    #[error("the embedded font failed: {0}")]
    Font(String),
    #[error(
        "the seller logo is not a readable PNG: {0}; upload an 8-bit PNG in Settings → Branding"
    )]
    Logo(String),
    #[error("writing the PDF failed: {0}")]
    Pdf(String),
    #[error("{0} has no UBL form: only invoices and credit notes are e-invoices")]
    NoUblForm(String),
    #[error("{number} cannot be a valid Peppol e-invoice: {}", gaps.iter().map(|g| g.message.as_str()).collect::<Vec<_>>().join("; "))]
    EInvoiceIncomplete {
        number: String,
        gaps: Vec<EInvoiceGap>,
    },
    #[error("the journal does not balance: {0}")]
    Unbalanced(String),
    #[error("the export was cancelled")]
    Cancelled,
    #[error("writing the export failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("writing the ZIP failed: {0}")]
    Zip(String),
}
