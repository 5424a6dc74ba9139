//! The integration tests of the billing engine: real SQLite files, time
//! walked with explicit timestamps.

mod documents;
mod price_copy;
mod pricing;
mod properties;
mod scenarios;
mod settings;
mod support;
mod wallets;
