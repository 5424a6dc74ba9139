//! cs-portal's integration tests: one binary. The storage tests run on both
//! databases — an SQLite file and a throwaway PostgreSQL cluster started by
//! the tests themselves (`cs_portal::testing::Cluster`).

mod simulation;
mod storage;
mod support;
mod sync_api;
