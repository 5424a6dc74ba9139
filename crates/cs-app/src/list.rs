//! What every paginated list command shares: the page position and size a
//! command takes, checked once here. The pagination itself is
//! `cs_store::page` (keyset on an indexed order).

use cs_store::page::{Cursor, From, MAX_LIMIT};

use crate::{AppError, AppResult};

/// Rows per page when the UI does not say.
pub const DEFAULT_LIMIT: u32 = 50;

/// Where a page starts: the `next` (as `after`) or `prev` (as `before`) of
/// a page read before, or the start.
pub(crate) fn from(after: Option<&str>, before: Option<&str>) -> AppResult<From> {
    let decode = |field: &str, s: &str| {
        Cursor::decode(s).ok_or_else(|| {
            AppError::validation(
                field,
                "This list position is not one the app wrote: reload the list from the start",
            )
        })
    };
    match (
        after.filter(|s| !s.is_empty()),
        before.filter(|s| !s.is_empty()),
    ) {
        (None, None) => Ok(From::Start),
        (Some(a), None) => Ok(From::After(decode("after", a)?)),
        (None, Some(b)) => Ok(From::Before(decode("before", b)?)),
        (Some(_), Some(_)) => Err(AppError::validation(
            "before",
            "A page starts after one position or before another, not both: send one",
        )),
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
