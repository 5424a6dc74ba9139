//! cs-portal's integration tests: one binary. The storage tests run on both
//! databases — an SQLite file and a throwaway PostgreSQL cluster started by
//! the tests themselves (`cs_portal::testing::Cluster`) — and so do the
//! end-to-end tests of the customer API, against the real server on a
//! loopback port, with mail going to the project's SMTP sink.

mod actions;
mod auth;
mod binary;
mod customer;
mod housekeeping;
mod isolation;
mod mail;
mod simulation;
mod storage;
mod support;
mod sync_api;
mod web;
mod world;
