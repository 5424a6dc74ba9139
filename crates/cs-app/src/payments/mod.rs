//! Payments in the façade: PayPal top-ups. Settings → Payments with the
//! secret in the OS keyring ([`settings`]), payment links and the payments
//! list ([`links`]), crediting a capture exactly once ([`capture`]), refunds
//! ([`refunds`]), verified webhooks ([`webhooks`]) and the poller
//! ([`poller`]); the SQL of the area's tables is [`store`], and a payment's
//! and a refund's lifecycle is `cs_core::payment`'s.
//!
//! # Exactly once
//!
//! A payment row (`payments`, migration 0007, [`store`]) is written with its two
//! `PayPal-Request-Id`s (create, capture) *before* PayPal is called, so every
//! retry — after a timeout, by the poller, after a restart — reuses them and
//! PayPal creates one order and captures it once. Crediting the wallet goes
//! through [`App::apply_capture`] only, whichever of the capture response, a
//! poll or a webhook delivery brings the capture first: it records the payment
//! in the ledger under the idempotency key `payment:paypal:<capture id>`
//! (`cs_billing::wallet::record_payment`) in the same transaction as the
//! payment row's update, its receipt, its history line and the "payment
//! received" mail. A second arrival finds the key and changes nothing.
//! Refunds work the same way: a refund row with its request id first, then
//! PayPal, then one transaction with the credit note keyed by the PayPal
//! refund id.
//!
//! Webhooks are verified offline by `cs_paypal::WebhookVerifier` at the app's
//! clock (±5-minute transmission window, certificate chain, replays; the
//! configured base-URL override is the one extra origin trusted, for the fake
//! PayPal) before the event-id check, and applied through
//! the same path, so duplicates and out-of-order deliveries change nothing.

use std::sync::Arc;

use cs_core::Money;
use cs_paypal::{PayPalAmount, PayPalClient, PayPalError, WebhookVerifier};

use crate::dto::*;
use crate::{map, App, AppError, AppResult};

mod capture;
pub(crate) mod dto;
mod links;
mod poller;
mod refunds;
mod settings;
pub(crate) mod store;
mod webhooks;

pub use poller::run;
pub(crate) use settings::paypal_set_up;

/// The PayPal account in use, rebuilt whenever the settings change.
pub(crate) struct PayPalRuntime {
    client: PayPalClient,
    verifier: Option<WebhookVerifier>,
    /// `sandbox`, `live` or the custom base URL: stored on each payment.
    label: String,
}

/// What became of one webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// Verified and applied to this payment.
    Applied { payment_id: String },
    /// Verified, but this event was applied before (PayPal delivers at least once).
    Duplicate,
    /// Verified, but not about one of our payments or not an event we act on.
    Ignored { reason: String },
}

fn payment_dto(p: &store::PaymentRow) -> PaymentDto {
    let m = |minor| map::money(Money::new(minor, p.currency));
    let captured = p.captured_minor.unwrap_or(0);
    let refundable = if p.status.is_refundable() {
        (captured - p.refunded_minor - p.pending_refunds_minor).max(0)
    } else {
        0
    };
    PaymentDto {
        id: p.id.clone(),
        organization_id: p.organization_id.clone(),
        organization_name: p.organization_name.clone(),
        status: p.status.as_str().to_string(),
        amount: m(p.amount_minor),
        captured: p.captured_minor.map(m),
        refunded: m(p.refunded_minor),
        refundable: m(refundable),
        order_id: p.order_id.clone(),
        capture_id: p.capture_id.clone(),
        approve_url: p.approve_url.clone(),
        receipt_id: p.receipt_id.clone(),
        failure: p.failure.clone(),
        environment: p.environment.clone(),
        created_at: p.created_at.clone(),
        updated_at: p.updated_at.clone(),
        completed_at: p.completed_at.clone(),
    }
}

/// Whether PayPal takes the reseller's currency, and what staff should know
/// about it: Settings → Payments shows it, payment links refuse with it.
pub(crate) fn currency_note(currency: cs_core::Currency) -> (bool, Option<String>) {
    match cs_paypal::currency_support(currency) {
        cs_paypal::CurrencySupport::Supported { .. } => (true, None),
        cs_paypal::CurrencySupport::InCountryOnly { country, .. } => (
            true,
            Some(format!(
                "PayPal holds {currency} only in accounts registered in {country}: any other account receives these payments converted into its own currency, with PayPal's conversion fee"
            )),
        ),
        cs_paypal::CurrencySupport::Unsupported => (
            false,
            Some(format!(
                "PayPal does not support {currency}, the currency you bill in, so customers cannot pay by PayPal: record their bank transfers and cash payments on the customer's wallet instead"
            )),
        ),
    }
}

fn amount_of(m: Money) -> AppResult<PayPalAmount> {
    PayPalAmount::for_order(m).map_err(|e| AppError::validation("amount", e.to_string()))
}

/// A PayPal failure, in the words staff need.
fn paypal_error(e: PayPalError) -> AppError {
    match e {
        PayPalError::AuthFailed { .. } => AppError::Unavailable(format!("{e}")),
        e if e.is_retryable() => AppError::Unavailable(format!("{e}")),
        e => AppError::Conflict(format!("{e}")),
    }
}

impl App {
    fn paypal(&self) -> AppResult<Arc<PayPalRuntime>> {
        self.paypal
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| AppError::Unavailable("PayPal is not set up: add the REST app's client id and secret in Settings → Payments".into()))
    }
}
