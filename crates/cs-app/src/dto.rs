//! Command DTOs: the wire types between the façade and its shells (the
//! desktop UI through Tauri commands, the daemon's CLI). They are built from
//! domain values at the boundary and never stored. TypeScript bindings are
//! generated from them (`ui/src/bindings.ts`), so renaming a field here is a
//! change to the UI's contract.
//!
//! Money crosses as decimal strings with the minor-unit integer beside it, so
//! no side ever holds money in a float.

use serde::{Deserialize, Serialize};
use specta::Type;

pub use crate::providers::dto::*;

#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MoneyDto {
    /// Integer minor units, as a string (JavaScript numbers are floats).
    pub minor: String,
    pub currency: String,
    /// Plain decimal in major units, e.g. "12.50".
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RateDto {
    /// Integer micro-units of the major unit, as a string.
    pub micros: String,
    pub currency: String,
    /// Plain decimal in major units with the precision it needs, e.g. "0.0075".
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub database_path: String,
    pub log_dir: String,
    pub currency: String,
    pub providers: Vec<ProviderInfo>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ProviderInfo {
    pub kind: String,
    pub name: String,
    pub connected: bool,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct StatusCount {
    pub status: String,
    pub count: u32,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    pub organizations: u32,
    pub plans: u32,
    pub live_servers: u32,
    pub servers_by_status: Vec<StatusCount>,
    /// What the live servers bring in per month at their plans' prices.
    pub monthly_revenue: MoneyDto,
    pub recent_activity: Vec<ActivityDto>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationDto {
    pub id: String,
    pub name: String,
    pub country: String,
    pub tax_id: Option<String>,
    pub contact_name: String,
    pub contact_email: String,
    pub live_servers: u32,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationDetail {
    pub organization: OrganizationDto,
    pub servers: Vec<ServerDto>,
    pub activity: Vec<ActivityDto>,
}

#[derive(Debug, Clone, Default, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationInput {
    pub name: String,
    pub contact_name: String,
    pub contact_email: String,
    pub country: String,
    pub tax_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct RegionPriceDto {
    pub region: String,
    pub monthly: MoneyDto,
    pub hourly: RateDto,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PlanDto {
    pub id: String,
    pub name: String,
    pub provider: String,
    pub provider_type: String,
    pub provider_type_label: Option<String>,
    pub regions: Vec<String>,
    pub monthly: MoneyDto,
    pub hourly: RateDto,
    /// The provider's own price for the type in each of the plan's regions,
    /// when the catalogue knows it.
    pub provider_prices: Vec<RegionPriceDto>,
    pub active: bool,
    pub live_servers: u32,
    pub created_at: String,
}

#[derive(Debug, Clone, Default, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PlanInput {
    pub name: String,
    pub provider: String,
    pub provider_type: String,
    pub regions: Vec<String>,
    /// Decimal in major units, e.g. "12.00".
    pub monthly_price: String,
    /// Decimal in major units with up to six decimals, e.g. "0.018".
    pub hourly_price: String,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct RegionDto {
    pub id: String,
    pub label: String,
    pub country: String,
    pub available: bool,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct InstanceTypeDto {
    pub id: String,
    pub label: String,
    pub vcpus: u32,
    pub memory_mb: u32,
    pub disk_gb: u32,
    pub transfer_gb: u32,
    pub monthly: MoneyDto,
    pub hourly: RateDto,
    pub region_prices: Vec<RegionPriceDto>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ImageDto {
    pub id: String,
    pub label: String,
    pub vendor: String,
    pub cloud_init: bool,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct CatalogDto {
    pub provider: String,
    pub regions: Vec<RegionDto>,
    pub types: Vec<InstanceTypeDto>,
    pub images: Vec<ImageDto>,
    pub stackscripts: Vec<StackScriptDto>,
    /// When the cached catalogue was imported; `None` for the Sandbox's live one.
    pub refreshed_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ServerDto {
    pub id: String,
    pub label: String,
    pub organization_id: String,
    pub organization_name: String,
    pub plan_id: String,
    pub plan_name: String,
    pub provider: String,
    pub provider_id: Option<String>,
    /// The label of the Linode account it lives on; `None` on the Sandbox.
    pub account_label: Option<String>,
    pub provider_type: String,
    pub region: String,
    pub image: String,
    pub status: String,
    pub ipv4: Option<String>,
    pub ipv6: Option<String>,
    pub monthly: MoneyDto,
    pub hourly: RateDto,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
}

#[derive(Clone, Default, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ServerInput {
    pub organization_id: String,
    pub plan_id: String,
    pub label: String,
    pub region: String,
    pub image: String,
    /// Handed to the provider and forgotten: never stored or logged.
    pub root_password: Option<String>,
    pub ssh_key: Option<String>,
}

impl std::fmt::Debug for ServerInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerInput")
            .field("organization_id", &self.organization_id)
            .field("plan_id", &self.plan_id)
            .field("label", &self.label)
            .field("region", &self.region)
            .field("image", &self.image)
            .field(
                "root_password",
                &self.root_password.as_ref().map(|_| "<redacted>"),
            )
            .field("ssh_key", &self.ssh_key.is_some())
            .finish()
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ServerAction {
    Boot,
    Reboot,
    Shutdown,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct MetricPoint {
    /// Unix time in seconds.
    pub t: u32,
    pub v: f64,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ServerStatsDto {
    pub cpu_percent: Vec<MetricPoint>,
    pub network_in_bits_per_s: Vec<MetricPoint>,
    pub network_out_bits_per_s: Vec<MetricPoint>,
    /// Disk I/O in blocks per second.
    pub disk_io_blocks_per_s: Vec<MetricPoint>,
    pub transfer_used_gb: String,
    pub transfer_quota_gb: u32,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ServerDetail {
    pub server: ServerDto,
    pub activity: Vec<ActivityDto>,
}

#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ActivityDto {
    pub seq: String,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject_kind: String,
    pub subject_id: Option<String>,
    pub organization_id: Option<String>,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SettingsDto {
    pub currency: String,
    /// Whether the currency can still be changed (no plan exists yet).
    pub currency_locked: bool,
    pub reseller_name: String,
}

#[derive(Debug, Clone, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SettingsInput {
    pub currency: String,
    pub reseller_name: String,
}

/// Settings → Email. The password is never sent back: `password_set` says
/// whether the keyring holds one.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EmailSettingsDto {
    /// Whether mail can be sent: host and sender address are set (and, with a
    /// user name, a password is in the keyring). Otherwise mail waits in the outbox.
    pub configured: bool,
    pub host: String,
    pub port: u16,
    /// `starttls`, `tls` or `none` (none only for a relay on this computer).
    pub security: String,
    pub username: String,
    pub password_set: bool,
    pub from_name: String,
    pub from_address: String,
    pub reply_to: String,
    /// Branding of every email: `#rrggbb`, and optional https:// URLs.
    pub brand_color: String,
    pub logo_url: String,
    pub website: String,
    /// Where customers sign in and top up (links in the emails).
    pub portal_url: String,
}

#[derive(Debug, Clone, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct EmailSettingsInput {
    pub host: String,
    pub port: u16,
    pub security: String,
    pub username: String,
    /// `None` keeps the stored password; an empty string removes it.
    pub password: Option<String>,
    pub from_name: String,
    pub from_address: String,
    pub reply_to: String,
    pub brand_color: String,
    pub logo_url: String,
    pub website: String,
    pub portal_url: String,
}

/// What the relay answered to "Send test mail".
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TestMailResult {
    pub to: String,
    pub relay_answer: String,
}

/// One mail on the Outbox screen.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct OutboxItemDto {
    pub id: String,
    /// The template it was made from (`welcome`, `invoice_issued` …); none for a test mail.
    pub template: Option<String>,
    pub to: Vec<String>,
    pub subject: String,
    /// `queued`, `sending`, `sent` or `failed`.
    pub state: String,
    pub attempts: u32,
    pub next_attempt_at: String,
    /// The relay's acceptance once sent.
    pub relay_response: Option<String>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub possibly_duplicated: bool,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub attachment_count: u32,
}

#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct OutboxListDto {
    /// False: email is not set up and mail waits in the outbox.
    pub configured: bool,
    pub items: Vec<OutboxItemDto>,
}

/// One mail in full, for the message viewer.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct OutboxMessageDto {
    pub item: OutboxItemDto,
    pub from: String,
    pub reply_to: Option<String>,
    pub message_id: String,
    pub text: String,
    /// The complete HTML document: show it only in a sandboxed frame.
    pub html: String,
    pub attachments: Vec<String>,
}

/// An email template as the editor shows it.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MailTemplateDto {
    /// `welcome`, `invoice_issued` …
    pub kind: String,
    pub name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The variables it may use besides `brand` (name, logo_url, primary_color,
    /// support_email, website); names ending in `_list` are lists.
    pub variables: Vec<String>,
    /// Edited by the reseller (false: the built-in text).
    pub customized: bool,
    pub attaches_pdf: bool,
}

#[derive(Debug, Clone, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct MailTemplateInput {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A template rendered with sample data.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MailPreviewDto {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The error every command returns: a code the UI branches on, a message for
/// people, and per-field messages for forms.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDto {
    /// One of `validation`, `not_found`, `conflict`, `provider`, `unavailable`, `internal`.
    pub code: String,
    pub message: String,
    pub fields: Vec<FieldErrorDto>,
}

#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FieldErrorDto {
    pub field: String,
    pub message: String,
}

// ---- Billing -------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct WalletDto {
    pub organization_id: String,
    pub organization_name: String,
    pub balance: MoneyDto,
    pub low_balance_threshold: MoneyDto,
    /// `good`, `grace`, `suspended` or `terminated`.
    pub state: String,
    pub state_since: Option<String>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct WalletEntryDto {
    pub txn_id: String,
    pub at: String,
    pub kind: String,
    pub memo: String,
    /// Positive credits the wallet, negative debits it.
    pub amount: MoneyDto,
    pub document_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct WalletDetail {
    pub wallet: WalletDto,
    pub entries: Vec<WalletEntryDto>,
    pub documents: Vec<DocumentSummaryDto>,
}

#[derive(Debug, Clone, Default, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PaymentInput {
    pub organization_id: String,
    /// Decimal in major units, e.g. "50.00".
    pub amount: String,
    /// `bank_transfer`, `cash` or `other`.
    pub method: String,
    /// Bank reference or receipt number: recording the same reference twice records once.
    pub reference: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AdjustmentInput {
    pub organization_id: String,
    /// Decimal in major units; negative debits the wallet.
    pub amount: String,
    pub reason: String,
    /// Made by the form when it opens, so a double click records once.
    pub key: String,
}

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

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SavedFile {
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct BillingRunDto {
    pub at: String,
    /// The last hour billed (its start).
    pub through: String,
    pub hours_billed: String,
    pub invoices_issued: u32,
    pub decisions: u32,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct BillingOverview {
    pub revenue_this_month: MoneyDto,
    pub wallets_total: MoneyDto,
    pub customers_low: u32,
    pub customers_in_grace: u32,
    pub customers_suspended: u32,
    /// Customers in grace, with when their servers will be suspended.
    pub upcoming_suspensions: Vec<UpcomingSuspension>,
    pub last_run: Option<BillingRunDto>,
    pub failed_runs: Vec<BillingRunDto>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct UpcomingSuspension {
    pub wallet: WalletDto,
    pub suspend_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct BillingSettingsDto {
    pub seller_country: String,
    /// Decimal in major units.
    pub low_balance_threshold: String,
    pub suspend_at: String,
    pub grace_hours: u32,
    pub terminate_after_days: u32,
    pub termination_warning_days: Vec<u32>,
    pub invoice_number_format: String,
    pub receipt_number_format: String,
    pub credit_note_number_format: String,
    pub auto_invoice: bool,
    pub tax_rates: Vec<TaxRateDto>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct TaxRateDto {
    pub country: String,
    pub region: String,
    pub name: String,
    /// Percent as a decimal string, e.g. "25".
    pub rate_percent: String,
}

pub use crate::payments::dto::*;
// ---- Documents for accountants: branding, e-invoices, period export ----

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
}

#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BrandingDto {
    pub branding: BrandingInput,
    pub logo: Option<LogoDto>,
    /// False until the Branding card was saved once (the values are then the
    /// defaults documents were printed with).
    pub saved: bool,
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

/// A PDF for the preview pane.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PdfDto {
    pub file_name: String,
    pub pdf_base64: String,
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

// ---- Prices and add-ons ----------------------------------------------------

/// An hourly rate and its monthly cap.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UnitPriceDto {
    pub hourly: RateDto,
    pub monthly: MoneyDto,
}

/// A reseller price rule: a markup over the provider's price, or fixed.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PriceRuleDto {
    /// "markup" or "fixed".
    pub mode: String,
    /// Percent as a decimal string (e.g. "25" or "-10.5"), for a markup.
    pub markup_percent: Option<String>,
    /// For a fixed price.
    pub price: Option<UnitPriceDto>,
}

/// One region's row of a plan's price table for one item.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct RegionPricingDto {
    pub region: String,
    /// What the provider charges, when its catalogue says.
    pub provider_price: Option<UnitPriceDto>,
    /// The rule in force now: "region" (its own), "default" (the plan-wide
    /// rule) or "plan" (no rule: the plan's own fixed price).
    pub rule_scope: String,
    pub rule: Option<PriceRuleDto>,
    /// What a new server (or add-on) is billed now; none when it cannot be
    /// priced (see `problem`).
    pub customer_price: Option<UnitPriceDto>,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ItemPricingDto {
    /// "server", "backups" or "ipv4".
    pub item: String,
    pub label: String,
    /// Whether the provider's catalogue prices this item (a markup needs it).
    pub provider_priced: bool,
    pub regions: Vec<RegionPricingDto>,
}

/// One version of a plan's price.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PriceVersionDto {
    pub id: String,
    pub item: String,
    /// None: every region without a rule of its own.
    pub region: Option<String>,
    pub rule: PriceRuleDto,
    pub effective_from: String,
    pub created_at: String,
    pub created_by: String,
    /// "scheduled" (not in effect yet), "active" (in force in its scope) or
    /// "superseded".
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PlanPricingDto {
    pub plan_id: String,
    pub plan_name: String,
    pub provider: String,
    pub provider_type: String,
    pub currency: String,
    /// Why provider prices may be missing or old (e.g. Linode not connected).
    pub provider_note: Option<String>,
    pub items: Vec<ItemPricingDto>,
    pub versions: Vec<PriceVersionDto>,
    /// Running servers of this plan whose billed price differs from now's.
    pub pending: PendingPriceChangesDto,
}

#[derive(Debug, Clone, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PriceVersionInput {
    /// "server", "backups" or "ipv4".
    pub item: String,
    /// None or empty: every region without a rule of its own.
    pub region: Option<String>,
    /// "markup" or "fixed".
    pub mode: String,
    /// Percent, e.g. "25" or "12.5" (for a markup).
    pub markup_percent: Option<String>,
    /// Decimal major units (for a fixed price).
    pub hourly_price: Option<String>,
    pub monthly_price: Option<String>,
    /// RFC 3339; none or empty: now.
    pub effective_from: Option<String>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PendingPriceChangeDto {
    pub server_id: String,
    pub server_label: String,
    pub organization_name: String,
    pub plan_id: String,
    pub plan_name: String,
    pub item: String,
    pub billed: UnitPriceDto,
    pub current: UnitPriceDto,
    /// When the new price would start (the next hour).
    pub from: String,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PendingPriceChangesDto {
    /// Distinct servers with at least one pending change.
    pub servers: u32,
    pub changes: Vec<PendingPriceChangeDto>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AppliedPriceChangesDto {
    pub servers: u32,
    pub changes: u32,
    /// When the new prices start (the next hour).
    pub from: String,
}

/// An add-on of a server and its billing.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ServerAddonDto {
    /// "backups" or "ipv4".
    pub item: String,
    pub label: String,
    pub enabled: bool,
    /// When billing started (the hour), if enabled.
    pub billed_from: Option<String>,
    /// The billed price when enabled, else what enabling would cost now.
    pub price: Option<UnitPriceDto>,
    /// Why it cannot be enabled (no price for it on the plan, say).
    pub problem: Option<String>,
    /// Whether switching it also acts at the provider (backups) or only
    /// changes billing (extra IPv4).
    pub at_provider: bool,
    pub note: String,
}

/// Progress of a long billing catch-up, pushed while it runs.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BillingProgressDto {
    pub hours_done: u32,
    pub hours_total: u32,
    /// Billed through the start of this hour so far.
    pub through: String,
    pub done: bool,
}
