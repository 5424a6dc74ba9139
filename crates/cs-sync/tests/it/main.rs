//! cs-sync's integration tests: the pinned JSON of every record and message,
//! and the protocol's decisions.

mod intents;
mod protocol;
mod records;
