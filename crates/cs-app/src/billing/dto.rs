//! DTOs of the billing area (re-exported by `crate::dto`): billing: wallets, manual payments and adjustments, the overview with the runs of the scheduler, Settings → Billing, and catch-up progress.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::dto::{DocumentSummaryDto, MoneyDto};

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
    pub documents: Vec<DocumentSummaryDto>,
}

/// A page of a wallet's transactions, newest first.
#[derive(Debug, Clone, Default, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct WalletEntryListInput {
    pub organization_id: String,
    /// The `next` of the page above; absent for the first.
    #[serde(default)]
    pub after: Option<String>,
    /// The `prev` of the page below, to read back up the list.
    #[serde(default)]
    pub before: Option<String>,
    /// 1 to 100 rows (50 when absent).
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct WalletEntryPage {
    pub rows: Vec<WalletEntryDto>,
    /// The `after` of the next page; `None` at the end.
    pub next: Option<String>,
    /// The `before` of the page above; `None` at the start.
    pub prev: Option<String>,
    /// How many transactions moved this wallet.
    pub total: u32,
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
