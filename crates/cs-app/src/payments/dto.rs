//! DTOs of PayPal payments: settings, payment links, refunds, the payments list.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::dto::MoneyDto;

/// Settings → Payments. The secret never leaves the keyring: only whether one is stored.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PayPalSettingsDto {
    /// A client id and a secret are stored.
    pub configured: bool,
    pub client_id: String,
    pub has_secret: bool,
    /// `sandbox` or `live`.
    pub environment: String,
    /// Advanced: another API base URL (a test double, a recording proxy).
    pub base_url: Option<String>,
    /// The webhook's id from the PayPal developer dashboard (for verifying deliveries).
    pub webhook_id: Option<String>,
    /// The API the app talks to, e.g. `https://api-m.sandbox.paypal.com`.
    pub effective_base_url: String,
    /// The reseller's currency, and whether PayPal takes it: when not,
    /// payment links are refused and `currency_note` says why.
    pub currency: String,
    pub currency_supported: bool,
    /// What staff should know about PayPal and the currency (unsupported, or
    /// held only by accounts of one country); `None` when nothing.
    pub currency_note: Option<String>,
}

#[derive(Clone, Default, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PayPalSettingsInput {
    pub client_id: String,
    /// Empty or absent keeps the stored secret.
    pub secret: Option<String>,
    pub environment: String,
    pub base_url: Option<String>,
    pub webhook_id: Option<String>,
}

/// The secret never reaches a log: only whether one was given.
impl std::fmt::Debug for PayPalSettingsInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayPalSettingsInput")
            .field("client_id", &self.client_id)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("environment", &self.environment)
            .field("base_url", &self.base_url)
            .field("webhook_id", &self.webhook_id)
            .finish()
    }
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PayPalConnectionTest {
    pub message: String,
    pub base_url: String,
}

#[derive(Debug, Clone, Default, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PaymentLinkInput {
    pub organization_id: String,
    /// Decimal in the reseller's currency, e.g. "25.00".
    pub amount: String,
    /// Also queue the link to the customer's contact by email.
    pub send_email: bool,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PaymentDto {
    pub id: String,
    pub organization_id: String,
    pub organization_name: String,
    /// created, approved, completed, partially_refunded, refunded, failed.
    pub status: String,
    pub amount: MoneyDto,
    pub captured: Option<MoneyDto>,
    pub refunded: MoneyDto,
    /// What can still be refunded (captured − refunded − refunds in flight).
    pub refundable: MoneyDto,
    pub order_id: Option<String>,
    pub capture_id: Option<String>,
    /// The link the customer pays at.
    pub approve_url: Option<String>,
    pub receipt_id: Option<String>,
    pub failure: Option<String>,
    pub environment: String,
    pub created_at: String,
    pub updated_at: String,
    pub completed_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRefundDto {
    pub id: String,
    pub amount: MoneyDto,
    pub reason: String,
    /// pending, completed, failed.
    pub status: String,
    pub paypal_refund_id: Option<String>,
    pub credit_note_id: Option<String>,
    pub failure: Option<String>,
    pub created_at: String,
    pub completed_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PaymentEventDto {
    pub at: String,
    pub kind: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PaymentDetail {
    pub payment: PaymentDto,
    pub refunds: Vec<PaymentRefundDto>,
    pub history: Vec<PaymentEventDto>,
    /// Where "Send by email" sends the link.
    pub contact_email: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PaymentFilterInput {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub organization_id: Option<String>,
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

/// A page of the payments list, newest first.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PaymentPage {
    pub rows: Vec<PaymentDto>,
    /// The `after` of the next page; `None` at the end.
    pub next: Option<String>,
    /// The `before` of the page above; `None` at the start.
    pub prev: Option<String>,
    /// How many payments match the filters.
    pub total: u32,
}

#[derive(Debug, Clone, Default, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct RefundInput {
    pub payment_id: String,
    /// Decimal; empty refunds everything that is left.
    pub amount: Option<String>,
    pub reason: String,
}
