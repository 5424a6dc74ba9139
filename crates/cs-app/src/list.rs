//! What every paginated list command shares: the page position and size a
//! command takes, checked once here. The pagination itself is
//! `cs_store::page` (keyset on an indexed order).

use cs_store::page::{Cursor, MAX_LIMIT};

use crate::{AppError, AppResult};

/// Rows per page when the UI does not say.
pub const DEFAULT_LIMIT: u32 = 50;

/// The cursor a previous page returned, decoded.
pub(crate) fn cursor(after: Option<&str>) -> AppResult<Option<Cursor>> {
    match after.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Cursor::decode(s).map(Some).ok_or_else(|| {
            AppError::validation(
                "after",
                "This list position is not one the app wrote: reload the list from the start",
            )
        }),
    }
}

/// The page size asked for, at most [`MAX_LIMIT`].
pub(crate) fn limit(limit: Option<u32>) -> AppResult<u32> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n @ 1..=MAX_LIMIT) => Ok(n),
        Some(n) => Err(AppError::validation(
            "limit",
            format!("A page holds 1 to {MAX_LIMIT} rows, not {n}: ask for fewer and follow `next`"),
        )),
    }
}

/// The search box's text, `None` when blank.
pub(crate) fn search(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}
