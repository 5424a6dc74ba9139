//! Tenants (resellers), pairing codes and sync tokens.
//!
//! A pairing code is printed once to the portal's operator, lives a day and
//! is used once; redeeming it gives the desktop a sync token. Only hashes of
//! both are stored. A tenant's tokens can be revoked (then the desktop must
//! pair again with a new code).

use chrono::{DateTime, Duration, Utc};
use cs_sync::protocol::{ErrorBody, ErrorCode, Held};
use rand::Rng;

use super::{hash_token, new_id, new_token, Result, StorageError};
use crate::db::{Row, Tx};
use crate::params;

/// How long a pairing code can be used.
pub const PAIRING_CODE_TTL: Duration = Duration::hours(24);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: String,
    /// The first segment of the tenant's customer URLs.
    pub slug: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub held: Option<Held>,
    pub last_push_at: Option<DateTime<Utc>>,
    pub desktop_name: Option<String>,
    pub desktop_version: Option<String>,
    /// Why this tenant's sync is stopped, until a push succeeds.
    pub stopped: Option<ErrorBody>,
}

const COLUMNS: &str = "id, slug, name, created_at, stream, held_through, last_push_at, \
     desktop_name, desktop_version, stopped_code, stopped_message, stopped_record";

fn tenant(r: &Row) -> Result<Tenant> {
    let held = match r.opt_text(4)? {
        Some(stream) => Some(Held {
            stream: stream.parse().map_err(|_| {
                StorageError::Conflict(format!("stored stream {stream} is not a UUID"))
            })?,
            through: r.int(5)? as u64,
        }),
        None => None,
    };
    let stopped = match r.opt_text(9)? {
        Some(code) => Some(ErrorBody {
            code: serde_json::from_value(serde_json::Value::String(code))
                .unwrap_or(ErrorCode::Internal),
            message: r.opt_text(10)?.unwrap_or_default(),
            held_through: None,
            record: r.opt_int(11)?.map(|s| s as u64),
        }),
        None => None,
    };
    Ok(Tenant {
        id: r.text(0)?,
        slug: r.text(1)?,
        name: r.text(2)?,
        created_at: r.time(3)?,
        held,
        last_push_at: r.opt_time(6)?,
        desktop_name: r.opt_text(7)?,
        desktop_version: r.opt_text(8)?,
        stopped,
    })
}

/// Checks a tenant's short name: 2–40 lower-case letters, digits and inner
/// dashes (it is a URL segment).
pub fn check_slug(slug: &str) -> std::result::Result<(), String> {
    let ok = (2..=40).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    let reserved = ["api", "sync", "assets", "healthz", "static"];
    if !ok {
        return Err(format!(
            "{slug:?} is not a short name: use 2–40 lower-case letters, digits and dashes"
        ));
    }
    if reserved.contains(&slug) {
        return Err(format!("{slug:?} is reserved: choose another short name"));
    }
    Ok(())
}

pub fn create(tx: &mut dyn Tx, slug: &str, name: &str, now: DateTime<Utc>) -> Result<Tenant> {
    check_slug(slug).map_err(StorageError::Conflict)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(StorageError::Conflict(
            "a tenant's name must have 1 to 120 characters".into(),
        ));
    }
    let id = new_id();
    match tx.execute(
        "INSERT INTO tenants (id, slug, name, created_at) VALUES ($1, $2, $3, $4)",
        params![&id, slug, name, now],
    ) {
        Err(crate::db::DbError::Unique(_)) => {
            return Err(StorageError::Conflict(format!(
                "a tenant named {slug:?} exists already"
            )))
        }
        other => other?,
    };
    by_id(tx, &id)?.ok_or(StorageError::NotFound)
}

pub fn list(tx: &mut dyn Tx) -> Result<Vec<Tenant>> {
    tx.query(&format!("SELECT {COLUMNS} FROM tenants ORDER BY slug"), &[])?
        .iter()
        .map(tenant)
        .collect()
}

pub fn by_id(tx: &mut dyn Tx, id: &str) -> Result<Option<Tenant>> {
    tx.query_opt(
        &format!("SELECT {COLUMNS} FROM tenants WHERE id = $1"),
        params![id],
    )?
    .as_ref()
    .map(tenant)
    .transpose()
}

pub fn by_slug(tx: &mut dyn Tx, slug: &str) -> Result<Option<Tenant>> {
    tx.query_opt(
        &format!("SELECT {COLUMNS} FROM tenants WHERE slug = $1"),
        params![slug],
    )?
    .as_ref()
    .map(tenant)
    .transpose()
}

/// Crockford's base-32 without I, L, O, U: easy to read aloud and type.
const CODE_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new one-time pairing code for `tenant` (shown once; only its hash is
/// kept), like `7KQ2-M9XD-4HTA`.
pub fn new_pairing_code(tx: &mut dyn Tx, tenant_id: &str, now: DateTime<Utc>) -> Result<String> {
    let mut rng = rand::rng();
    let raw: String = (0..12)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect();
    let code = format!("{}-{}-{}", &raw[0..4], &raw[4..8], &raw[8..12]);
    tx.execute(
        "INSERT INTO pairing_codes (code_hash, tenant_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        params![hash_token(&normalize_code(&code)), tenant_id, now, now + PAIRING_CODE_TTL],
    )?;
    Ok(code)
}

/// What a person may have typed: case and dashes do not matter.
fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Redeems a pairing code: the tenant and a new sync token (shown once).
pub fn pair(
    tx: &mut dyn Tx,
    code: &str,
    desktop_name: &str,
    desktop_version: &str,
    now: DateTime<Utc>,
) -> Result<(Tenant, String)> {
    let refused = || {
        StorageError::Sync(ErrorBody::new(
            ErrorCode::PairingCode,
            "the pairing code is unknown, used or expired: print a new one on the portal",
        ))
    };
    let row = tx
        .query_opt(
            "UPDATE pairing_codes SET used_at = $2
             WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2
             RETURNING tenant_id",
            params![hash_token(&normalize_code(code)), now],
        )?
        .ok_or_else(refused)?;
    let tenant_id = row.text(0)?;
    let (token, token_hash) = new_token();
    tx.execute(
        "INSERT INTO sync_tokens (token_hash, tenant_id, created_at) VALUES ($1, $2, $3)",
        params![token_hash, &tenant_id, now],
    )?;
    tx.execute(
        "UPDATE tenants SET desktop_name = $2, desktop_version = $3 WHERE id = $1",
        params![
            &tenant_id,
            clip(desktop_name, 120),
            clip(desktop_version, 40)
        ],
    )?;
    let tenant = by_id(tx, &tenant_id)?.ok_or(StorageError::NotFound)?;
    Ok((tenant, token))
}

fn clip(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// The tenant a sync token belongs to, unless it was revoked.
pub fn by_token(tx: &mut dyn Tx, token: &str, now: DateTime<Utc>) -> Result<Option<Tenant>> {
    let Some(row) = tx.query_opt(
        "UPDATE sync_tokens SET last_used_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL RETURNING tenant_id",
        params![hash_token(token), now],
    )?
    else {
        return Ok(None);
    };
    by_id(tx, &row.text(0)?)
}

/// Revokes every sync token of a tenant; returns how many were live.
pub fn revoke_tokens(tx: &mut dyn Tx, tenant_id: &str, now: DateTime<Utc>) -> Result<u64> {
    Ok(tx.execute(
        "UPDATE sync_tokens SET revoked_at = $2 WHERE tenant_id = $1 AND revoked_at IS NULL",
        params![tenant_id, now],
    )?)
}

/// Records (or clears) the error that stops a tenant's sync.
pub fn set_stopped(tx: &mut dyn Tx, tenant_id: &str, stopped: Option<&ErrorBody>) -> Result<()> {
    let code = stopped.map(|e| {
        serde_json::to_value(e.code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    });
    tx.execute(
        "UPDATE tenants SET stopped_code = $2, stopped_message = $3, stopped_record = $4 WHERE id = $1",
        params![
            tenant_id,
            code,
            stopped.map(|e| e.message.clone()),
            stopped.and_then(|e| e.record)
        ],
    )?;
    Ok(())
}
