//! Billing in the façade: the scheduler and the dunning decisions it carries
//! out at the providers ([`scheduler`]), the record of its runs ([`runs`]),
//! wallets, payments and adjustments with the Billing overview
//! ([`wallets`]), and Settings → Billing ([`settings`]).
//!
//! The engine (`cs-billing`) decides and records; this area is where its
//! decisions meet the providers and the UI. Documents have an area of their
//! own (`documents`).

use cs_billing::BillingError;

use crate::AppError;

pub(crate) mod dto;
pub(crate) mod runs;
mod scheduler;
mod settings;
mod wallets;

pub use scheduler::run;

/// The last hour billed (hour index), by the last good run.
pub(crate) fn last_billed_hour(
    c: &cs_store::rusqlite::Connection,
) -> crate::AppResult<Option<i64>> {
    Ok(runs::last_good(c)?.and_then(|r| match r.outcome {
        runs::Outcome::Billed { through_hour, .. } => Some(through_hour),
        runs::Outcome::Failed { .. } => None,
    }))
}

impl From<BillingError> for AppError {
    fn from(e: BillingError) -> Self {
        match e {
            BillingError::NotFound { what, id } => AppError::NotFound(format!("There is no {what} {id}: refresh the list")),
            e @ (BillingError::NotMetered { .. }
            | BillingError::NoPrice { .. }
            | BillingError::ProviderCurrency { .. }
            | BillingError::AlreadyBilled { .. }
            | BillingError::NotAnAddOn
            | BillingError::NegativeMarkup { .. }
            | BillingError::NonPositiveFixedPrice
            | BillingError::MissingReference
            | BillingError::NonPositivePayment
            | BillingError::ZeroAdjustment
            | BillingError::AmountTooLarge
            | BillingError::MissingReason { .. }
            | BillingError::IncompleteRefund
            | BillingError::InvalidTaxRate
            | BillingError::NotADraft { .. }
            | BillingError::MonthNotOver { .. }
            | BillingError::NotAnIssuedInvoice { .. }
            | BillingError::AlreadyCredited { .. }
            | BillingError::CreditNoteLines
            | BillingError::OtherOrganization) => AppError::Conflict(e.to_string()),
            BillingError::IdempotencyConflict { key, what } => {
                AppError::Conflict(format!("{what} {key} was already recorded with different details: check the existing entry, or use a new reference"))
            }
            BillingError::Setting { key, value, hint } => AppError::validation(setting_field(&key), format!("{value:?} is not valid here: {hint}")),
            BillingError::NotBilledYet { month, pending } => AppError::Conflict(format!("{month} cannot be invoiced yet: {pending} hour(s) are not billed; wait for the billing run")),
            other => AppError::Internal(other.to_string()),
        }
    }
}

fn setting_field(key: &str) -> &'static str {
    match key {
        "billing.seller_country" => "sellerCountry",
        "billing.low_balance_threshold_minor" => "lowBalanceThreshold",
        "billing.suspend_at_minor" => "suspendAt",
        "billing.grace_hours" => "graceHours",
        "billing.terminate_after_days" => "terminateAfterDays",
        "billing.termination_warning_days" => "terminationWarningDays",
        "billing.number_format.invoice" => "invoiceNumberFormat",
        "billing.number_format.receipt" => "receiptNumberFormat",
        "billing.number_format.credit_note" => "creditNoteNumberFormat",
        _ => "form",
    }
}
