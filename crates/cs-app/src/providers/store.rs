//! The SQL of the providers area: `provider_accounts` (migration 0009),
//! `provider_catalogue` and `provider_catalogue_refresh` (0008), and
//! `provider_event_cursor` (0008); migration 0022 let accounts be
//! DigitalOcean's too. Catalogues and event cursors are keyed by provider
//! key: `sandbox`, `linode:<account id>` or `digitalocean:<account id>`.

use std::collections::HashMap;

use cs_core::Timestamp;
use cs_store::fmt_ts;
use cs_store::rusqlite::{params, Connection, OptionalExtension, Row};

use crate::{AppError, AppResult};

/// One row of `provider_accounts`.
#[derive(Debug, Clone)]
pub(crate) struct AccountRow {
    pub id: String,
    /// `linode` or `digitalocean`.
    pub provider: String,
    pub label: String,
    pub base_url: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub restricted: bool,
    pub scopes: Vec<String>,
    pub token_expiry: Option<String>,
    pub token_expiry_known: bool,
    pub token_expiry_note: Option<String>,
    pub token_checked_at: Option<String>,
    pub legacy_token: bool,
    pub connected_at: String,
    /// DigitalOcean: the account's UUID, status (`active`, `warning`), the
    /// status message and the Droplet limit.
    pub account_uuid: Option<String>,
    pub account_status: Option<String>,
    pub account_status_note: Option<String>,
    pub droplet_limit: Option<i64>,
}

/// What a DigitalOcean token check learned about the account.
#[derive(Debug, Clone)]
pub(crate) struct DigitalOceanCheck<'a> {
    pub uuid: &'a str,
    pub email: &'a str,
    pub team: Option<&'a str>,
    pub status: &'a str,
    pub status_note: Option<&'a str>,
    pub droplet_limit: u32,
    pub at: Timestamp,
}

/// What a token check learned about an account.
#[derive(Debug, Clone)]
pub(crate) struct TokenCheck<'a> {
    pub username: &'a str,
    pub email: Option<&'a str>,
    pub restricted: bool,
    pub scopes: &'a [String],
    pub expiry_known: bool,
    pub expiry: Option<String>,
    pub expiry_note: Option<String>,
    pub at: Timestamp,
}

const ACCOUNT_COLUMNS: &str = "id, label, base_url, username, email, restricted, scopes, token_expiry, token_expiry_known, token_expiry_note, token_checked_at, legacy_token, connected_at, provider, account_uuid, account_status, account_status_note, droplet_limit";

fn account_row(r: &Row<'_>) -> cs_store::rusqlite::Result<AccountRow> {
    let scopes: String = r.get(6)?;
    Ok(AccountRow {
        id: r.get(0)?,
        label: r.get(1)?,
        base_url: r.get(2)?,
        username: r.get(3)?,
        email: r.get(4)?,
        restricted: r.get::<_, i64>(5)? != 0,
        scopes: serde_json::from_str(&scopes).unwrap_or_default(),
        token_expiry: r.get(7)?,
        token_expiry_known: r.get::<_, i64>(8)? != 0,
        token_expiry_note: r.get(9)?,
        token_checked_at: r.get(10)?,
        legacy_token: r.get::<_, i64>(11)? != 0,
        connected_at: r.get(12)?,
        provider: r.get(13)?,
        account_uuid: r.get(14)?,
        account_status: r.get(15)?,
        account_status_note: r.get(16)?,
        droplet_limit: r.get(17)?,
    })
}

/// The live (not removed) Linode accounts, oldest first.
pub(crate) fn live_accounts(c: &Connection) -> AppResult<Vec<AccountRow>> {
    live_accounts_of(c, "linode")
}

/// The live accounts of one provider (`linode`, `digitalocean`), oldest first.
pub(crate) fn live_accounts_of(c: &Connection, provider: &str) -> AppResult<Vec<AccountRow>> {
    let mut stmt = c.prepare_cached(&format!("SELECT {ACCOUNT_COLUMNS} FROM provider_accounts WHERE provider = ?1 AND removed_at IS NULL ORDER BY connected_at, rowid"))?;
    let rows = stmt
        .query_map([provider], account_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// A live account of any provider.
pub(crate) fn account(c: &Connection, id: &str) -> AppResult<Option<AccountRow>> {
    Ok(c.query_row(
        &format!(
            "SELECT {ACCOUNT_COLUMNS} FROM provider_accounts WHERE id = ?1 AND removed_at IS NULL"
        ),
        [id],
        account_row,
    )
    .optional()?)
}

/// A live account of one provider.
pub(crate) fn account_of(
    c: &Connection,
    id: &str,
    provider: &str,
) -> AppResult<Option<AccountRow>> {
    Ok(account(c, id)?.filter(|a| a.provider == provider))
}

/// An account's label, removed accounts included (their deleted servers
/// still name them).
pub(crate) fn account_label(c: &Connection, id: &str) -> AppResult<Option<String>> {
    Ok(c.query_row(
        "SELECT label FROM provider_accounts WHERE id = ?1",
        [id],
        |r| r.get(0),
    )
    .optional()?)
}

/// Every account's label, removed ones included.
pub(crate) fn account_labels(c: &Connection) -> AppResult<HashMap<String, String>> {
    let mut stmt = c.prepare_cached("SELECT id, label FROM provider_accounts")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// A newly connected Linode account.
pub(crate) fn insert_account(
    c: &Connection,
    id: &str,
    label: &str,
    base_url: Option<&str>,
    check: &TokenCheck<'_>,
) -> AppResult<()> {
    let scopes = serde_json::to_string(check.scopes).unwrap_or_else(|_| "[]".into());
    c.execute(
        "INSERT INTO provider_accounts (id, provider, label, base_url, username, email, restricted, scopes, token_expiry, token_expiry_known, token_expiry_note, token_checked_at, connected_at)
         VALUES (?1, 'linode', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
        params![id, label, base_url, check.username, check.email, check.restricted as i64, scopes, check.expiry, check.expiry_known as i64, check.expiry_note, fmt_ts(&check.at)],
    )?;
    Ok(())
}

/// A newly connected DigitalOcean account.
pub(crate) fn insert_digitalocean_account(
    c: &Connection,
    id: &str,
    label: &str,
    base_url: Option<&str>,
    check: &DigitalOceanCheck<'_>,
) -> AppResult<()> {
    c.execute(
        "INSERT INTO provider_accounts (id, provider, label, base_url, username, email, account_uuid, account_status, account_status_note, droplet_limit, token_expiry_known, token_checked_at, connected_at)
         VALUES (?1, 'digitalocean', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, ?10)",
        params![id, label, base_url, check.team, check.email, check.uuid, check.status, check.status_note, check.droplet_limit, fmt_ts(&check.at)],
    )?;
    Ok(())
}

/// What the latest DigitalOcean token check learned.
pub(crate) fn save_digitalocean_check(
    c: &Connection,
    id: &str,
    check: &DigitalOceanCheck<'_>,
) -> AppResult<()> {
    c.execute(
        "UPDATE provider_accounts SET username = ?2, email = ?3, account_status = ?4, account_status_note = ?5, droplet_limit = ?6, token_checked_at = ?7 WHERE id = ?1",
        params![id, check.team, check.email, check.status, check.status_note, check.droplet_limit, fmt_ts(&check.at)],
    )?;
    Ok(())
}

/// What the latest token check learned.
pub(crate) fn save_token_check(c: &Connection, id: &str, check: &TokenCheck<'_>) -> AppResult<()> {
    let scopes = serde_json::to_string(check.scopes).unwrap_or_else(|_| "[]".into());
    c.execute(
        "UPDATE provider_accounts SET username = ?2, email = ?3, restricted = ?4, scopes = ?5, token_expiry = ?6, token_expiry_known = ?7, token_expiry_note = ?8, token_checked_at = ?9 WHERE id = ?1",
        params![id, check.username, check.email, check.restricted as i64, scopes, check.expiry, check.expiry_known as i64, check.expiry_note, fmt_ts(&check.at)],
    )?;
    Ok(())
}

/// The token of the account of before 0009 was moved to its own key.
pub(crate) fn clear_legacy_token(c: &Connection, id: &str) -> AppResult<()> {
    c.execute(
        "UPDATE provider_accounts SET legacy_token = 0 WHERE id = ?1",
        [id],
    )?;
    Ok(())
}

/// Marks an account removed and forgets its catalogue and event cursor.
pub(crate) fn remove_account(c: &Connection, id: &str, key: &str, at: Timestamp) -> AppResult<()> {
    c.execute(
        "UPDATE provider_accounts SET removed_at = ?2 WHERE id = ?1",
        params![id, fmt_ts(&at)],
    )?;
    c.execute("DELETE FROM provider_catalogue WHERE provider = ?1", [key])?;
    c.execute(
        "DELETE FROM provider_catalogue_refresh WHERE provider = ?1",
        [key],
    )?;
    c.execute(
        "DELETE FROM provider_event_cursor WHERE provider = ?1",
        [key],
    )?;
    Ok(())
}

// ------------------------------------------------------------ catalogue

/// The cached items of one kind (`region`, `type`, `image`, `stackscript`),
/// in the provider's order.
pub(crate) fn catalogue_items<T: serde::de::DeserializeOwned>(
    c: &Connection,
    key: &str,
    kind: &str,
) -> AppResult<Vec<T>> {
    let mut stmt = c.prepare_cached(
        "SELECT data FROM provider_catalogue WHERE provider = ?1 AND kind = ?2 ORDER BY position",
    )?;
    let rows: Vec<String> = stmt
        .query_map(params![key, kind], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    rows.iter()
        .map(|d| {
            serde_json::from_str(d).map_err(|e| {
                AppError::Internal(format!(
                    "the cached {key} {kind} catalogue is unreadable ({e}): refresh the catalogue"
                ))
            })
        })
        .collect()
}

/// How many items of one kind are cached.
pub(crate) fn catalogue_count(c: &Connection, key: &str, kind: &str) -> AppResult<i64> {
    Ok(c.query_row(
        "SELECT count(*) FROM provider_catalogue WHERE provider = ?1 AND kind = ?2",
        params![key, kind],
        |r| r.get(0),
    )?)
}

/// Forgets a provider's cached catalogue (before a refresh writes it again).
pub(crate) fn clear_catalogue(c: &Connection, key: &str) -> AppResult<()> {
    c.execute("DELETE FROM provider_catalogue WHERE provider = ?1", [key])?;
    Ok(())
}

/// Caches items of one kind, in the order given.
pub(crate) fn put_catalogue_items<T: serde::Serialize>(
    c: &Connection,
    key: &str,
    kind: &str,
    list: &[T],
    id: impl Fn(&T) -> &str,
) -> AppResult<()> {
    let mut stmt = c.prepare_cached("INSERT INTO provider_catalogue (provider, kind, id, position, data) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for (i, item) in list.iter().enumerate() {
        let data = serde_json::to_string(item).map_err(|e| AppError::Internal(e.to_string()))?;
        stmt.execute(params![key, kind, id(item), i as i64, data])?;
    }
    Ok(())
}

/// When a catalogue was last refreshed and tried, and the error of the last
/// failed try.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RefreshState {
    pub refreshed_at: Option<String>,
    pub attempted_at: Option<String>,
    pub last_error: Option<String>,
}

pub(crate) fn refresh_state(c: &Connection, key: &str) -> AppResult<RefreshState> {
    Ok(c
        .query_row(
            "SELECT refreshed_at, attempted_at, last_error FROM provider_catalogue_refresh WHERE provider = ?1",
            [key],
            |r| {
                Ok(RefreshState {
                    refreshed_at: r.get(0)?,
                    attempted_at: Some(r.get(1)?),
                    last_error: r.get(2)?,
                })
            },
        )
        .optional()?
        .unwrap_or_default())
}

/// A refresh that worked at `at`.
pub(crate) fn refreshed(c: &Connection, key: &str, at: Timestamp) -> AppResult<()> {
    c.execute(
        "INSERT INTO provider_catalogue_refresh (provider, refreshed_at, attempted_at, last_error) VALUES (?1, ?2, ?2, NULL)
         ON CONFLICT (provider) DO UPDATE SET refreshed_at = excluded.refreshed_at, attempted_at = excluded.attempted_at, last_error = NULL",
        params![key, fmt_ts(&at)],
    )?;
    Ok(())
}

/// A refresh that failed at `at`: the previous catalogue stays in use.
pub(crate) fn refresh_failed(
    c: &Connection,
    key: &str,
    at: Timestamp,
    error: &str,
) -> AppResult<()> {
    c.execute(
        "INSERT INTO provider_catalogue_refresh (provider, refreshed_at, attempted_at, last_error) VALUES (?1, NULL, ?2, ?3)
         ON CONFLICT (provider) DO UPDATE SET attempted_at = excluded.attempted_at, last_error = excluded.last_error",
        params![key, fmt_ts(&at), error],
    )?;
    Ok(())
}

// ------------------------------------------------------------ event feed

/// The id of the newest event of an account's feed already handled.
pub(crate) fn event_cursor(c: &Connection, key: &str) -> AppResult<Option<i64>> {
    Ok(c.query_row(
        "SELECT last_event_id FROM provider_event_cursor WHERE provider = ?1",
        [key],
        |r| r.get(0),
    )
    .optional()?)
}

/// Moves the cursor forward (never back) to `last_event_id`.
pub(crate) fn save_event_cursor(
    c: &Connection,
    key: &str,
    last_event_id: i64,
    at: Timestamp,
) -> AppResult<()> {
    c.execute(
        "INSERT INTO provider_event_cursor (provider, last_event_id, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (provider) DO UPDATE SET last_event_id = max(last_event_id, excluded.last_event_id), updated_at = excluded.updated_at",
        params![key, last_event_id, fmt_ts(&at)],
    )?;
    Ok(())
}
