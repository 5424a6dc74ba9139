//! Server-side sessions. The browser holds a random token in a cookie; the
//! database keeps only its SHA-256, with the session's stage, its CSRF token
//! and its expiry: 12 hours idle, 30 days in all, 10 minutes while the
//! second factor is awaited.

use chrono::{DateTime, Duration, Utc};
use cs_sync::record::{ContactRole, Envelope, Kind, Record};

use super::{hash_token, new_id, new_token, Result};
use crate::db::{Row, Tx};
use crate::params;

/// A session unused this long is over.
pub const IDLE: Duration = Duration::hours(12);
/// A session is over this long after sign-in, used or not.
pub const ABSOLUTE: Duration = Duration::days(30);
/// How long a password may wait for its TOTP code.
pub const SECOND_FACTOR: Duration = Duration::minutes(10);
/// `last_seen_at` is written at most this often (a write per request would
/// serialize every read on SQLite).
pub const TOUCH_EVERY: Duration = Duration::minutes(1);

/// How far a session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The password was right; the TOTP code (or a recovery code) is awaited.
    SecondFactor,
    /// Signed in.
    SignedIn,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::SecondFactor => "second_factor",
            Stage::SignedIn => "signed_in",
        }
    }

    fn parse(s: &str) -> Stage {
        if s == "signed_in" {
            Stage::SignedIn
        } else {
            Stage::SecondFactor
        }
    }
}

/// A live session with everything a request needs to know about its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Live {
    pub id: String,
    pub tenant_id: String,
    pub tenant_slug: String,
    pub tenant_name: String,
    pub account_id: String,
    pub csrf: String,
    pub stage: Stage,
    pub last_seen_at: DateTime<Utc>,
    pub email: String,
    pub two_factor: bool,
    /// From the contact record, as the desktop last pushed it.
    pub contact: String,
    pub org: String,
    pub name: String,
    pub role: ContactRole,
}

/// A session as its owner sees it in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub ip: String,
    pub user_agent: String,
}

fn clip(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// Starts a session; returns its id and the token for the cookie (shown
/// once).
pub fn create(
    tx: &mut dyn Tx,
    tenant_id: &str,
    account_id: &str,
    stage: Stage,
    ip: &str,
    user_agent: &str,
    now: DateTime<Utc>,
) -> Result<(String, String)> {
    let id = new_id();
    let (token, token_hash) = new_token();
    let (csrf, _) = new_token();
    let expires = match stage {
        Stage::SecondFactor => now + SECOND_FACTOR,
        Stage::SignedIn => now + ABSOLUTE,
    };
    tx.execute(
        "INSERT INTO sessions (id, token_hash, tenant_id, account_id, csrf, stage, created_at,
             last_seen_at, expires_at, ip, user_agent)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10)",
        params![
            &id,
            token_hash,
            tenant_id,
            account_id,
            csrf,
            stage.as_str(),
            now,
            expires,
            clip(ip, 64),
            clip(user_agent, 300)
        ],
    )?;
    Ok((id, token))
}

/// The live session of `token`: `None` when it is unknown, revoked, expired
/// (idle or absolute), or its account is closed or has no contact record.
pub fn lookup(tx: &mut dyn Tx, token: &str, now: DateTime<Utc>) -> Result<Option<Live>> {
    live(tx, "s.token_hash = $1", &hash_token(token), now)
}

/// The live session `id` (as [`lookup`]), for a stream that holds it open.
pub fn by_id(tx: &mut dyn Tx, id: &str, now: DateTime<Utc>) -> Result<Option<Live>> {
    live(tx, "s.id = $1", id, now)
}

/// The columns [`parse_live`] reads, in its order, from `sessions s`,
/// `accounts a`, `tenants t` and the contact record `c`.
const LIVE_COLUMNS: &str =
    "s.id, s.tenant_id, t.slug, t.name, s.account_id, s.csrf, s.stage, s.last_seen_at,
    s.expires_at, s.revoked_at, a.email, a.totp_enabled_at, a.disabled_at, a.contact,
    c.org, c.version, c.body, c.seq, c.at";
const LIVE_WIDTH: usize = 19;
const LIVE_FROM: &str = "FROM sessions s
    JOIN accounts a ON a.id = s.account_id
    JOIN tenants t ON t.id = s.tenant_id
    LEFT JOIN records c ON c.tenant_id = s.tenant_id AND c.kind = 'contact' AND c.entity = a.contact";

fn live(tx: &mut dyn Tx, which: &str, key: &str, now: DateTime<Utc>) -> Result<Option<Live>> {
    match tx.query_opt(
        &format!("SELECT {LIVE_COLUMNS} {LIVE_FROM} WHERE {which}"),
        params![key],
    )? {
        Some(r) => parse_live(&r, now),
        None => Ok(None),
    }
}

/// The live session of `token` and, read in the same statement (one round
/// trip), the records of `kind` in its organization in `sort_key` order:
/// `None` as for [`lookup`]. The caller still checks the session's stage and
/// role before it answers with the records.
pub fn lookup_with_records(
    tx: &mut dyn Tx,
    token: &str,
    kind: Kind,
    now: DateTime<Utc>,
) -> Result<Option<(Live, Vec<Envelope>)>> {
    debug_assert!(kind.is_scoped(), "only an organization's records");
    let rows = tx.query(
        &format!(
            "SELECT {LIVE_COLUMNS}, r.kind, r.entity, r.org, r.seq, r.version, r.at, r.body
             {LIVE_FROM}
             LEFT JOIN records r ON r.tenant_id = s.tenant_id AND r.org = c.org AND r.kind = $2
             WHERE s.token_hash = $1
             ORDER BY r.sort_key"
        ),
        params![hash_token(token), kind.as_str()],
    )?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let Some(live) = parse_live(first, now)? else {
        return Ok(None);
    };
    let mut records = Vec::with_capacity(rows.len());
    for r in &rows {
        if r.opt_text(LIVE_WIDTH + 1)?.is_some() {
            records.push(super::projection::envelope_at(r, LIVE_WIDTH)?);
        }
    }
    Ok(Some((live, records)))
}

/// A session from a row of [`LIVE_COLUMNS`]: `None` when it is not live.
fn parse_live(r: &Row, now: DateTime<Utc>) -> Result<Option<Live>> {
    let last_seen = r.time(7)?;
    let live = r.opt_time(9)?.is_none()
        && r.time(8)? > now
        && last_seen + IDLE > now
        && r.opt_time(12)?.is_none();
    // The contact record can be missing for a while during a re-snapshot:
    // the session waits (refused) rather than ending.
    let (Some(org), Some(body)) = (r.opt_text(14)?, r.opt_text(16)?) else {
        return Ok(None);
    };
    if !live {
        return Ok(None);
    }
    let contact = r.text(13)?;
    let envelope = Envelope {
        seq: r.int(17)? as u64,
        at: r.time(18)?,
        kind: Kind::Contact.as_str().to_string(),
        v: r.int(15)? as u32,
        id: contact.clone(),
        org: Some(org.clone()),
        body: serde_json::from_str(&body).ok(),
    };
    let Ok(Some(Record::Contact(c))) = envelope.decode() else {
        tracing::error!(contact, "a stored contact record cannot be read");
        return Ok(None);
    };
    Ok(Some(Live {
        id: r.text(0)?,
        tenant_id: r.text(1)?,
        tenant_slug: r.text(2)?,
        tenant_name: r.text(3)?,
        account_id: r.text(4)?,
        csrf: r.text(5)?,
        stage: Stage::parse(&r.text(6)?),
        last_seen_at: last_seen,
        email: r.text(10)?,
        two_factor: r.opt_int(11)?.is_some(),
        contact,
        org,
        name: c.name,
        role: c.role,
    }))
}

/// Notes that the session was used (at most every [`TOUCH_EVERY`]).
pub fn touch(tx: &mut dyn Tx, id: &str, now: DateTime<Utc>) -> Result<()> {
    tx.execute(
        "UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2",
        params![id, now],
    )?;
    Ok(())
}

/// Moves a session past its second factor with a new token (the one that
/// waited for the code is no longer valid) and a new CSRF token. Returns the
/// new token for the cookie.
pub fn promote(tx: &mut dyn Tx, id: &str, now: DateTime<Utc>) -> Result<String> {
    let (token, token_hash) = new_token();
    let (csrf, _) = new_token();
    tx.execute(
        "UPDATE sessions SET token_hash = $2, csrf = $3, stage = 'signed_in', last_seen_at = $4,
             expires_at = created_at + $5
         WHERE id = $1",
        params![id, token_hash, csrf, now, ABSOLUTE.num_milliseconds()],
    )?;
    Ok(token)
}

/// Revokes one session of `account_id`: `false` when it has no such live
/// session.
pub fn revoke(tx: &mut dyn Tx, account_id: &str, id: &str, now: DateTime<Utc>) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE sessions SET revoked_at = $3
         WHERE id = $2 AND account_id = $1 AND revoked_at IS NULL",
        params![account_id, id, now],
    )? == 1)
}

/// Revokes every session of an account but `except`; returns how many.
pub fn revoke_all(
    tx: &mut dyn Tx,
    account_id: &str,
    except: Option<&str>,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(tx.execute(
        "UPDATE sessions SET revoked_at = $2
         WHERE account_id = $1 AND revoked_at IS NULL AND id <> $3",
        params![account_id, now, except.unwrap_or("")],
    )?)
}

/// The account's live sessions, most recently used first.
pub fn list(tx: &mut dyn Tx, account_id: &str, now: DateTime<Utc>) -> Result<Vec<Listed>> {
    tx.query(
        "SELECT id, created_at, last_seen_at, ip, user_agent FROM sessions
         WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > $2 AND last_seen_at > $3
         ORDER BY last_seen_at DESC, id",
        params![account_id, now, now - IDLE],
    )?
    .iter()
    .map(|r| {
        Ok(Listed {
            id: r.text(0)?,
            created_at: r.time(1)?,
            last_seen_at: r.time(2)?,
            ip: r.text(3)?,
            user_agent: r.text(4)?,
        })
    })
    .collect()
}
