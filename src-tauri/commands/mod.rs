//! The Tauri commands, one module per area of the façade (`cs_app`'s
//! `customers`, `plans`, `servers`, `billing`, `documents`, `payments`,
//! `mail`, `providers`, `portal`, `backup`, and the app-wide ones). Each command parses its
//! arguments, calls the façade and maps the error to `{code, message,
//! fields}`; no business logic lives here.

use cs_app::dto::{ErrorCode, ErrorDto};
use cs_app::AppError;

pub mod app;
pub mod backup;
pub mod billing;
pub mod customers;
pub mod documents;
pub mod mail;
pub mod payments;
pub mod plans;
pub mod portal;
pub mod providers;
pub mod servers;
pub mod updates;

type CmdResult<T> = Result<T, ErrorDto>;

/// Maps a façade error for the UI, logging the ones that are our fault.
fn fail(e: AppError) -> ErrorDto {
    if e.code() == ErrorCode::Internal {
        tracing::error!(error = %e, "command failed");
    }
    e.to_dto()
}
