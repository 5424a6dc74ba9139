//! Billing engine: prepaid wallets, a double-entry ledger, hourly metering
//! with a monthly cap, dunning, and documents (invoices, receipts, credit
//! notes), on the app's SQLite store. It owns its SQL (`migrations/0002_billing.sql`)
//! and takes time as a parameter (`now: Timestamp`); the pure rules (hour
//! arithmetic, the cap, rounding, tax, numbering, the dunning state machine)
//! live in `cs_core::{metering, ledger, pricing, tax, numbering, dunning}`.
//! It deliberately does not talk to providers, send mail or render PDFs: it
//! returns decisions and writes `outbox` records, and the app acts on them.
//!
//! # Design
//!
//! **Meters and bounded usage storage.** Each billable thing — a server, its
//! backups, each extra IPv4 — has a meter (`billing_meters`) with its prices
//! over time (`meter_prices`, one row per resize or applied price change);
//! the latest price is copied on the meter row by triggers
//! (`migrations/0011_meter_price_copy.sql`, checked by [`verify`]) so the
//! hourly run reads it with the meter instead of searching the prices.
//! Usage is stored as *intervals* (`usage_intervals`): contiguous hours of one
//! meter at one price within one UTC month, with the hour count, the hours cut
//! by the cap, the amount in micro-units and the month-to-date total. A server
//! that is never resized has one interval per month, whatever its age: a year
//! of 10 000 servers is ~125 000 intervals, not 87.6 million hour rows. The
//! ledger grows by one usage transaction per organization and UTC day (two
//! entries), plus one per payment, adjustment and document; the benchmark's
//! simulated year of 10 000 servers in 1 000 organizations ends at ~250 MB
//! (`BENCH.md`). New, deleted and re-statused servers reach billing through
//! `billing_sync_queue`, filled by triggers on `servers`, so an hourly run
//! never scans every server.
//!
//! **Exactly-once hours.** The per-(meter, hour) idempotency key is the
//! meter's *watermark*: the `last_hour` of its latest interval, which the run
//! advances in the same transaction as the amount it adds, with a guarded
//! `UPDATE … WHERE last_hour = <watermark read>` (a new interval is inserted
//! under its primary key `(meter_id, month, price_from_hour)`). The watermark
//! is bounded state — one row per meter, month and price — yet identifies
//! every (meter, hour) pair ever billed. `CHECK (hours =
//! last_hour − first_hour + 1)` keeps an interval gap-free, and the ledger
//! postings of those hours commit in the same transaction. A crash anywhere
//! rolls back the whole chunk; a re-run continues from the watermarks; a second
//! process waits for SQLite's write lock (IMMEDIATE transactions) and then sees
//! them moved. The app additionally holds a process lock on the database.
//!
//! **Ledger.** Amounts are micro-units of the currency's major unit. Every
//! transaction balances (checked in Rust before writing and in SQL before
//! commit); balances are cached by triggers and [`verify::verify`] re-adds
//! them. Money movements carry idempotency keys under `UNIQUE`: payments
//! `payment:<method>:<reference>`, adjustments and credit notes a caller key,
//! invoices `invoice:<org>:<currency>:<YYYY-MM>`, usage
//! `usage:<org>:<currency>:<YYYY-MM-DD>`. Reusing a key with other content is
//! [`BillingError::IdempotencyConflict`]. Usage is the one transaction that
//! grows: the hourly run adds the same amount to its wallet and revenue
//! entries (a trigger refuses updates to any other kind).
//!
//! **Rounding.** Hourly usage is charged to the wallet in micro-units as it
//! accrues. Each invoice line (one interval) is rounded once to the minor unit,
//! half away from zero (`cs_core::money::micros_to_minor_rounded`); tax is
//! computed per rate on the rounded lines and rounded once. The invoice posts
//! the rounding difference and the tax against the wallet, so for every
//! organization and month *what the wallet paid == the month's invoices*,
//! exactly (invariant 6 of [`verify`]).
//!
//! **Cap rule.** An hour costs `min(rate, cap − month_to_date)` where the cap
//! is the monthly price in force for that hour; after a resize the month's
//! running total continues against the new cap. Hours that exist are billed
//! whatever the power state: offline and suspended servers cost, as at Linode.
//! Billing never reopens an invoiced month: a server recorded after its month
//! was invoiced is billed from the first month not invoiced yet, and a
//! deletion noticed after later hours were billed ends at the last billed
//! hour (correct either with a credit note).
//!
//! **Dunning.** After each run, every customer's balance (rounded to the minor
//! unit) goes through `cs_core::dunning::step`: a low-balance notice at the
//! customer's threshold, a grace period when the balance reaches the
//! suspension limit, a `Suspend` decision when grace ends, termination
//! warnings, a `Terminate` decision after `terminate_after_days`, and an
//! `Unsuspend` decision as soon as a payment or adjustment lifts the balance.
//! Notices go to the `outbox` (kind `billing.notice`) for mail and the portal.
//!
//! # API for the app façade
//!
//! Transactions: functions taking `&Connection` run inside the caller's
//! transaction (`store.write(|tx| cs_billing::wallet::record_payment(tx, …))`)
//! so the change, its activity row and outbox record commit together.
//! Functions taking `&impl Db` (a [`cs_store::Store`]) manage their own
//! transactions, chunked.
//!
//! - Scheduler, every hour and at start-up: [`run_due`]`(&store, now, &mut |p| …)`
//!   → [`RunReport`] (hours billed, invoices issued, dunning decisions); the
//!   callback gets a [`Progress`] after every committed chunk (catch-up).
//! - Servers: [`meters::open_server`]`(tx, server_id, created_at)` when created
//!   and [`meters::close_server`]`(tx, server_id, deleted_at)` when deleted —
//!   both optional, as `run_due` follows `servers` through triggers (a failed
//!   server is never charged); [`meters::record_resize`]`(tx, server_id,
//!   new_plan, at, actor)` is required on a resize (refused, with nothing
//!   written, if the new plan cannot price an add-on the server has);
//!   [`meters::enable_addon`] / [`meters::disable_addon`]`(tx, server_id,
//!   Item::Backups | Item::Ipv4, slot, at, actor)`.
//! - Prices: [`prices::set_provider_price`], [`prices::add_price_rule`],
//!   [`prices::pending_price_changes`], [`prices::apply_price_changes`]`(tx, now, actor)`.
//! - Money: [`wallet::record_payment`]`(tx, &NewPayment, now, actor)`,
//!   [`wallet::record_adjustment`]`(tx, &NewAdjustment, now, actor)`,
//!   [`wallet::refund`]`(tx, &NewRefund, now, actor)`; payments and
//!   adjustments return dunning decisions (an `Unsuspend` when a payment
//!   clears the debt). A reused reference with other content is refused.
//! - Dunning: [`dunning::pending_decisions`]`(conn)`; after acting at the
//!   provider, [`dunning::complete_decision`]`(tx, id, Outcome::Done | Failed, now, actor)`;
//!   [`dunning::set_customer_profile`] for a customer's threshold and tax region.
//! - Documents: [`documents::issue_monthly_invoices`]`(&store, month, now)` (also
//!   automatic in `run_due`), [`documents::void_invoice`],
//!   [`documents::issue_credit_note`], [`documents::list_documents`],
//!   [`documents::get_document`], [`documents::set_tax_rate`].
//! - Screens: [`wallet::list_wallets`], [`wallet::wallet`],
//!   [`wallet::wallet_entries`], [`documents::list_documents`].
//! - Settings: [`BillingSettings::load`] / [`BillingSettings::save`] (`billing.*` keys).
//! - Health: [`verify::verify`]`(conn)`, [`verify::unbilled_meters`]`(conn, hour)`.
//!
//! Errors are [`BillingError`], one variant per case a caller acts on:
//! `IdempotencyConflict` (the reference was used for another payment),
//! `NotMetered` and `NoPrice` (a resize or an add-on the engine cannot bill),
//! `NotFound`, `NotBilledYet`, `Setting`, and one per refused input.
//!
//! # Tests and tools
//!
//! `tests/it` walks scenarios month by month with exact figures, checks
//! documents, wallets and dunning, and runs a proptest of random histories
//! against [`verify`]. `cargo xtask crash-test 20` SIGKILLs
//! `src/bin/billing-crash-child.rs` at random points and checks the
//! invariants after every kill; `cargo run --release -p xtask -- bench
//! billing` prints the figures recorded in `BENCH.md`. The same code also runs
//! as `cargo run --release -p cs-billing --example billing-xtask -- crash-test
//! 20` (or `-- bench`), which needs no other workspace crate.

pub mod bench;
pub mod db;
pub mod documents;
pub mod dunning;
pub mod error;
pub mod journal;
pub mod ledger;
pub mod meters;
pub mod prices;
pub mod run;
pub mod settings;
pub mod verify;
pub mod wallet;

pub use db::{Db, SecondConnection};
pub use error::{BillingError, Result};
pub use run::{bill_through, run_due, run_due_chunked, BillReport, Progress, RunReport};
pub use settings::BillingSettings;
