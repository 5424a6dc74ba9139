//! The billing engine's errors. Each says what happened and what to do next.

use cs_core::ledger::LedgerError;
use cs_core::metering::MeteringError;
use cs_core::pricing::PricingError;
use cs_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the key {key:?} was already used for a different {what}: if this is a new {what}, give it a new reference; if it is the same, check the amount and organization")]
    IdempotencyConflict { key: String, what: &'static str },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("pricing: {0}")]
    Pricing(#[from] PricingError),
    #[error(transparent)]
    Metering(#[from] MeteringError),
    #[error("{what} {id} was not found: refresh the list and try again")]
    NotFound { what: &'static str, id: String },
    #[error("{0}")]
    Invalid(String),
    #[error("cannot invoice {month}: {pending} meter(s) are not billed through the end of the month yet; run billing (run_due) first")]
    NotBilledYet { month: String, pending: i64 },
    #[error("setting {key} = {value:?} is invalid: {hint}")]
    Setting {
        key: String,
        value: String,
        hint: String,
    },
    #[error("billing invariant violated: {0}; nothing was committed — report this as a bug with the database file attached")]
    Invariant(String),
}

pub type Result<T, E = BillingError> = std::result::Result<T, E>;
