//! DTOs of the documents area (re-exported by `crate::dto`): documents: the list and detail, files and previews, branding, and the period export.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::dto::{MoneyDto, RateDto};

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct DocumentSummaryDto {
    pub id: String,
    /// `invoice`, `receipt` or `credit_note`.
    pub kind: String,
    pub number: Option<String>,
    pub organization_id: String,
    pub organization_name: String,
    /// The month billed, `YYYY-MM`, for invoices.
    pub period: Option<String>,
    pub subtotal: MoneyDto,
    pub tax: MoneyDto,
    pub total: MoneyDto,
    pub issued_at: Option<String>,
    /// For credit notes: the document corrected.
    pub credits_document_id: Option<String>,
    /// For invoices: the credit note that voided it.
    pub voided_by: Option<String>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct DocumentLineDto {
    pub description: String,
    pub hours: Option<String>,
    pub rate: Option<RateDto>,
    pub amount: MoneyDto,
    pub capped: bool,
    pub tax_name: String,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct TaxTotalDto {
    pub name: String,
    /// Percent as a decimal string, e.g. "21" or "7.7".
    pub rate_percent: String,
    pub net: MoneyDto,
    pub tax: MoneyDto,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct DocumentDetail {
    pub summary: DocumentSummaryDto,
    pub customer_name: String,
    pub customer_country: String,
    pub customer_tax_id: Option<String>,
    pub tax_note: Option<String>,
    pub reference: Option<String>,
    pub reason: Option<String>,
    pub lines: Vec<DocumentLineDto>,
    pub tax_totals: Vec<TaxTotalDto>,
}

#[derive(Debug, Clone, Default, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct DocumentFilterInput {
    pub organization_id: Option<String>,
    /// `invoice`, `receipt` or `credit_note`.
    pub kind: Option<String>,
    /// `YYYY-MM`.
    pub period: Option<String>,
}

/// The orders the documents list offers.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DocumentSortKey {
    #[default]
    Created,
    Total,
    Customer,
}

/// A page of the documents list.
#[derive(Debug, Clone, Default, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct DocumentListInput {
    #[serde(default)]
    pub organization_id: Option<String>,
    /// `invoice`, `receipt` or `credit_note`.
    #[serde(default)]
    pub kind: Option<String>,
    /// `YYYY-MM`.
    #[serde(default)]
    pub period: Option<String>,
    /// The `next` of the page above; absent for the first.
    #[serde(default)]
    pub after: Option<String>,
    /// The `prev` of the page below, to read back up the list.
    #[serde(default)]
    pub before: Option<String>,
    /// 1 to 100 rows (50 when absent).
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub sort: DocumentSortKey,
    /// Newest or largest first when true.
    #[serde(default)]
    pub desc: bool,
    /// A prefix of the number or of the customer's name.
    #[serde(default)]
    pub search: Option<String>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct DocumentPage {
    pub rows: Vec<DocumentSummaryDto>,
    /// The `after` of the next page; `None` at the end.
    pub next: Option<String>,
    /// The `before` of the page above; `None` at the start.
    pub prev: Option<String>,
    /// How many documents match the filters and search.
    pub total: u32,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SavedFile {
    pub path: String,
}

/// A PDF for the preview pane.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PdfDto {
    pub file_name: String,
    pub pdf_base64: String,
}

/// The reseller's branding as printed on documents (Settings → Branding).
/// Optional text fields are empty strings when not set.
#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BrandingInput {
    pub legal_name: String,
    /// Street lines, postal code and city, one per line, as printed.
    pub address_lines: String,
    /// ISO 3166-1 alpha-2, e.g. "DE".
    pub country: String,
    pub tax_id: String,
    pub email: String,
    pub phone: String,
    pub website: String,
    /// `#rrggbb`.
    pub accent: String,
    pub payment_instructions: String,
    pub footer_note: String,
    /// The id of an uploaded logo ([`LogoDto::id`]), or null for none.
    pub logo_id: Option<String>,
    /// Post code and city, apart from the street lines (e-invoices need them apart).
    pub postal_code: String,
    pub city: String,
    /// Company registration number (organization number, CVR, SIREN, KvK …).
    pub registration_id: String,
    /// Peppol participant identifier written `scheme:id`, e.g. "0192:995525828".
    pub peppol_id: String,
    /// Bank account named in e-invoices as payment means.
    pub bank_iban: String,
    pub bank_bic: String,
    /// Account holder; the legal name when empty.
    pub bank_holder: String,
}

#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BrandingDto {
    pub branding: BrandingInput,
    pub logo: Option<LogoDto>,
    /// False until the Branding card was saved once (the values are then the
    /// defaults documents were printed with).
    pub saved: bool,
    /// What the saved branding lacks for valid e-invoices (Peppol BIS 3.0), as
    /// sentences; empty when UBL files can be produced.
    pub e_invoice_gaps: Vec<String>,
}

/// An uploaded logo, stored as PNG.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LogoDto {
    /// SHA-256 of the stored PNG.
    pub id: String,
    pub width: u32,
    pub height: u32,
    /// Size of the stored PNG in bytes.
    pub bytes: u32,
    /// `data:image/png;base64,…`, for an `<img>`.
    pub data_url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct LogoUploadInput {
    pub file_name: String,
    /// The file's bytes, base64.
    pub data_base64: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ExportInput {
    /// First day, `YYYY-MM-DD`, inclusive.
    pub from: String,
    /// Last day, `YYYY-MM-DD`, inclusive.
    pub to: String,
    /// An existing folder, absolute path.
    pub folder: String,
    /// The ZIP's name in that folder (`.zip` is added when missing). Never overwritten.
    pub file_name: String,
}

#[derive(Debug, Clone, Copy, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ExportProgressDto {
    pub done: u32,
    pub total: u32,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ExportResultDto {
    pub path: String,
    pub size_bytes: String,
    pub documents: u32,
    pub e_invoices: u32,
    /// Invoices and credit notes written without an e-invoice because seller or
    /// customer data is missing (listed with why in `ubl_not_written.txt`).
    pub e_invoices_not_written: u32,
    pub journal_entries: u32,
    pub payments: u32,
    /// The journal balances to zero per transaction and currency (the export
    /// refuses to finish otherwise).
    pub journal_balanced: bool,
    /// Ledger transactions dated in the period: the journal's transactions.
    pub ledger_transactions: u32,
    /// Documents of the period checked against the ledger.
    pub reconciled_documents: u32,
    /// Organizations in `reconciliation.csv`.
    pub reconciled_organizations: u32,
    /// Ledger minus documents, per currency ("0.00 EUR"); an export with a
    /// difference is refused, so a written one always shows zero.
    pub reconciliation_difference: String,
    pub files: Vec<String>,
}

/// What an export of a period would hold, and a free file name for it.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ExportPlanDto {
    pub documents: u32,
    /// Ledger transactions dated in the period: a period with no documents but
    /// with ledger postings (usage invoiced later, adjustments) still exports.
    pub ledger_transactions: u32,
    pub suggested_file_name: String,
}
