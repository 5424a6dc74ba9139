//! Integration tests of cs-invoice: one binary, one module per concern.

mod fixtures;
mod tools;

mod export;
mod pdf;
mod peppol;
mod ubl;
