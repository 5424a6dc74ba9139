//! The billing engine's errors. Each says what happened and what to do next;
//! every case a caller may act on has its own variant.

use cs_core::ledger::LedgerError;
use cs_core::metering::MeteringError;
use cs_core::pricing::PricingError;
use cs_store::StoreError;

use crate::prices::Item;

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
    /// The server has no open meter: no billing run has opened it yet, or it
    /// was deleted. A resize then has nothing to move.
    #[error("server {server} is not being billed (not billed yet, or deleted): nothing to move to the new plan")]
    NotMetered { server: String },
    /// The plan has no price for an add-on (backups, extra IPv4).
    #[error("plan {plan} has no {} price: add a price rule for it before enabling the add-on", .item.as_str())]
    NoPrice { plan: String, item: Item },
    /// The provider's list price (a markup's base) is in another currency.
    #[error("the provider's price for {provider_type} is in {provider_currency} but plan {plan} is in {plan_currency}: set a fixed price for this plan")]
    ProviderCurrency {
        provider_type: String,
        provider_currency: String,
        plan: String,
        plan_currency: String,
    },
    /// A new price would start at an hour the meter has already billed.
    #[error("meter {meter} is already billed past the hour the new price would start: a price can only change for hours not billed yet")]
    AlreadyBilled { meter: i64 },
    #[error("the server itself is not an add-on: use open_server")]
    NotAnAddOn,
    #[error("a markup of {markup_bp} basis points makes the price negative: use more than -10000")]
    NegativeMarkup { markup_bp: i64 },
    #[error("a fixed price needs an hourly and a monthly price above zero")]
    NonPositiveFixedPrice,
    #[error("a payment needs its reference (bank reference, receipt number, capture id) so it cannot be recorded twice")]
    MissingReference,
    #[error("a payment must be more than zero: record money going back as a refund")]
    NonPositivePayment,
    #[error("an adjustment of zero changes nothing: enter the amount to credit (or, negative, to debit)")]
    ZeroAdjustment,
    #[error("the amount is too large: check for an extra zero")]
    AmountTooLarge,
    /// An adjustment or a credit note without its reason.
    #[error("{what} needs a reason: it is shown in the audit log and to the accountant")]
    MissingReason { what: &'static str },
    #[error("a refund needs a positive amount, the refund's reference and a reason")]
    IncompleteRefund,
    #[error(
        "a tax rate needs a two-letter country and a rate between 0 and 1 000 000 ppm (100 %)"
    )]
    InvalidTaxRate,
    #[error("document {id} is not a draft: it was issued already or does not exist")]
    NotADraft { id: String },
    #[error("{month} is not over yet: invoices are issued once the month has ended")]
    MonthNotOver { month: String },
    #[error("document {id} is not an issued invoice: only issued invoices can be voided")]
    NotAnIssuedInvoice { id: String },
    #[error("invoice {number} already has credit notes: credit the remaining amount with issue_credit_note")]
    AlreadyCredited { number: String },
    #[error("credit note lines must be negative amounts (money given back), and there must be at least one")]
    CreditNoteLines,
    #[error("the credited document belongs to another organization")]
    OtherOrganization,
    #[error("cannot invoice {month}: {pending} meter(s) are not billed through the end of the month yet; run billing (run_due) first")]
    NotBilledYet { month: String, pending: i64 },
    #[error("setting {key} = {value:?} is invalid: {hint}")]
    Setting {
        key: String,
        value: String,
        hint: String,
    },
    /// A step the caller added to the engine's transaction (the app queues
    /// the mails of the documents a run issues) failed; nothing was committed.
    #[error("{0}")]
    Caller(String),
    #[error("billing invariant violated: {0}; nothing was committed — report this as a bug with the database file attached")]
    Invariant(String),
}

pub type Result<T, E = BillingError> = std::result::Result<T, E>;
