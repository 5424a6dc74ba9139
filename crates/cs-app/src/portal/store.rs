//! The SQL of the portal area: `portal_outbox` (the latest record of every
//! customer-facing entity) and `portal_link` (the paired portal).

use cs_core::Timestamp;
use cs_store::rusqlite::{params, Connection, OptionalExtension};
use cs_store::{fmt_ts, parse_ts};
use cs_sync::record::{Envelope, Kind, Record};
use uuid::Uuid;

use crate::{AppError, AppResult};

/// Writes the new state of an entity (`None`: it is gone) unless it is what
/// the outbox holds already. A change takes the next sequence number, so the
/// entity is pushed again; the record it replaces is dropped. Returns whether
/// anything changed.
pub(crate) fn put(
    c: &Connection,
    kind: Kind,
    id: &str,
    org: Option<&str>,
    at: Timestamp,
    record: Option<&Record>,
) -> AppResult<bool> {
    let (v, body) = match record {
        Some(r) => {
            let (v, body) = r.encode();
            (v, Some(body.to_string()))
        }
        None => (kind.newest_version(), None),
    };
    let current: Option<(Option<String>, Option<String>)> = c
        .prepare_cached("SELECT body, org FROM portal_outbox WHERE kind = ?1 AND id = ?2")?
        .query_row(params![kind.as_str(), id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match &current {
        // Unchanged: nothing to push.
        Some((b, o)) if *b == body && o.as_deref() == org => return Ok(false),
        // A tombstone of something the portal never had.
        None if body.is_none() => return Ok(false),
        _ => {}
    }
    c.prepare_cached(
        "INSERT INTO portal_outbox (kind, id, seq, at, org, v, body)
         VALUES (?1, ?2, (SELECT coalesce(max(seq), 0) + 1 FROM portal_outbox), ?3, ?4, ?5, ?6)
         ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, at = excluded.at,
           org = excluded.org, v = excluded.v, body = excluded.body",
    )?
    .execute(params![kind.as_str(), id, fmt_ts(&at), org, v, body])?;
    Ok(true)
}

/// The highest sequence number ever written (0 when none).
pub(crate) fn newest_seq(c: &Connection) -> AppResult<u64> {
    let n: i64 = c
        .prepare_cached("SELECT coalesce(max(seq), 0) FROM portal_outbox")?
        .query_row([], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// How many records the outbox holds and the bytes of their JSON bodies.
pub(crate) fn size(c: &Connection) -> AppResult<(u64, u64)> {
    let (n, bytes): (i64, i64) = c
        .prepare_cached("SELECT count(*), coalesce(sum(length(body)), 0) FROM portal_outbox")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok((
        u64::try_from(n).unwrap_or(0),
        u64::try_from(bytes).unwrap_or(0),
    ))
}

/// How many records wait above `after`.
pub(crate) fn count_after(c: &Connection, after: u64) -> AppResult<u64> {
    let n: i64 = c
        .prepare_cached("SELECT count(*) FROM portal_outbox WHERE seq > ?1")?
        .query_row([seq_param(after)], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The records above `after`, ascending, at most `limit`.
pub(crate) fn after(c: &Connection, after: u64, limit: usize) -> AppResult<Vec<Envelope>> {
    let mut stmt = c.prepare_cached(
        "SELECT seq, at, kind, v, id, org, body FROM portal_outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![seq_param(after), limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(seq, at, kind, v, id, org, body)| {
            Ok(Envelope {
                seq: u64::try_from(seq).unwrap_or(0),
                at: parse_ts(&at)?,
                kind,
                v: u32::try_from(v).unwrap_or(0),
                id,
                org,
                body: body
                    .map(|b| serde_json::from_str(&b))
                    .transpose()
                    .map_err(|e| {
                        AppError::Internal(format!("a portal record is unreadable: {e}"))
                    })?,
            })
        })
        .collect()
}

fn seq_param(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

/// The paired portal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Link {
    pub url: String,
    pub tenant: String,
    pub tenant_name: String,
    pub stream: Uuid,
    pub held_through: u64,
    pub paired_at: Timestamp,
    pub last_push_at: Option<Timestamp>,
    pub last_error: Option<String>,
    pub stopped: bool,
}

pub(crate) fn link(c: &Connection) -> AppResult<Option<Link>> {
    let row = c
        .prepare_cached(
            "SELECT url, tenant, tenant_name, stream, held_through, paired_at, last_push_at, last_error, stopped FROM portal_link",
        )?
        .query_row([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, i64>(8)?,
            ))
        })
        .optional()?;
    row.map(
        |(url, tenant, tenant_name, stream, held, paired, pushed, error, stopped)| {
            Ok(Link {
                url,
                tenant,
                tenant_name,
                stream: Uuid::parse_str(&stream)
                    .map_err(|e| AppError::Internal(format!("portal stream id: {e}")))?,
                held_through: u64::try_from(held).unwrap_or(0),
                paired_at: parse_ts(&paired)?,
                last_push_at: pushed.as_deref().map(parse_ts).transpose()?,
                last_error: error,
                stopped: stopped != 0,
            })
        },
    )
    .transpose()
}

/// Replaces the link (pairing).
pub(crate) fn set_link(c: &Connection, l: &Link) -> AppResult<()> {
    c.execute("DELETE FROM portal_link", [])?;
    c.execute(
        "INSERT INTO portal_link (one, url, tenant, tenant_name, stream, held_through, paired_at, last_push_at, last_error, stopped)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            l.url,
            l.tenant,
            l.tenant_name,
            l.stream.to_string(),
            seq_param(l.held_through),
            fmt_ts(&l.paired_at),
            l.last_push_at.as_ref().map(fmt_ts),
            l.last_error,
            i64::from(l.stopped)
        ],
    )?;
    Ok(())
}

pub(crate) fn clear_link(c: &Connection) -> AppResult<()> {
    c.execute("DELETE FROM portal_link", [])?;
    Ok(())
}

/// Starts a new stream from 0 (after a restore): the portal's next push
/// replaces everything it holds with the outbox's records.
pub(crate) fn restart_stream(c: &Connection, stream: Uuid) -> AppResult<()> {
    c.execute(
        "UPDATE portal_link SET stream = ?1, held_through = 0, last_error = NULL, stopped = 0",
        params![stream.to_string()],
    )?;
    Ok(())
}

/// A push was answered: the portal holds `stream` through `held`.
pub(crate) fn pushed(c: &Connection, stream: Uuid, held: u64, at: Timestamp) -> AppResult<()> {
    c.execute(
        "UPDATE portal_link SET stream = ?1, held_through = ?2, last_push_at = ?3, last_error = NULL, stopped = 0",
        params![stream.to_string(), seq_param(held), fmt_ts(&at)],
    )?;
    Ok(())
}

/// The wallet record the outbox holds for an organization.
pub(crate) fn wallet(c: &Connection, org: &str) -> AppResult<Option<cs_sync::record::WalletV1>> {
    let body: Option<Option<String>> = c
        .prepare_cached("SELECT body FROM portal_outbox WHERE kind = 'wallet' AND id = ?1")?
        .query_row([org], |r| r.get(0))
        .optional()?;
    Ok(body.flatten().and_then(|b| serde_json::from_str(&b).ok()))
}

/// Lets a stopped sync try again.
pub(crate) fn resume(c: &Connection) -> AppResult<()> {
    c.execute("UPDATE portal_link SET stopped = 0", [])?;
    Ok(())
}

/// A push failed: `stopped` when a person must act before the next one.
pub(crate) fn failed(c: &Connection, message: &str, stopped: bool) -> AppResult<()> {
    c.execute(
        "UPDATE portal_link SET last_error = ?1, stopped = ?2",
        params![message, i64::from(stopped)],
    )?;
    Ok(())
}

/// An intent's state on the desktop (`portal_intents`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntentState {
    /// Checked and being carried out (or the app stopped while it was).
    Applying,
    Applied,
    Refused,
}

impl IntentState {
    fn as_str(self) -> &'static str {
        match self {
            IntentState::Applying => "applying",
            IntentState::Applied => "applied",
            IntentState::Refused => "refused",
        }
    }
}

/// A received intent, as `portal_intents` keeps it.
pub(crate) struct IntentRow<'a> {
    pub id: &'a str,
    pub organization: &'a str,
    pub contact: &'a str,
    pub kind: &'a str,
    pub server: Option<&'a str>,
}

/// Whether the intent was received before (applied, refused or being
/// applied): the desktop then never applies it again.
pub(crate) fn intent_known(c: &Connection, id: &str) -> AppResult<bool> {
    Ok(
        c.prepare_cached("SELECT 1 FROM portal_intents WHERE id = ?1")?
            .query_row([id], |_| Ok(()))
            .optional()?
            .is_some(),
    )
}

/// Records a received intent in `state` (`reason` for a refusal).
pub(crate) fn intent_received(
    c: &Connection,
    row: &IntentRow<'_>,
    state: IntentState,
    reason: Option<&str>,
    at: Timestamp,
) -> AppResult<()> {
    let decided = (state != IntentState::Applying).then(|| fmt_ts(&at));
    c.prepare_cached(
        "INSERT INTO portal_intents (id, received_at, organization_id, contact, kind, server_id, state, reason, decided_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        row.id,
        fmt_ts(&at),
        row.organization,
        row.contact,
        row.kind,
        row.server,
        state.as_str(),
        reason,
        decided
    ])?;
    Ok(())
}

/// Ends an intent that was being applied.
pub(crate) fn intent_decided(
    c: &Connection,
    id: &str,
    state: IntentState,
    reason: Option<&str>,
    at: Timestamp,
) -> AppResult<()> {
    c.prepare_cached(
        "UPDATE portal_intents SET state = ?2, reason = ?3, decided_at = ?4
         WHERE id = ?1 AND state = 'applying'",
    )?
    .execute(params![id, state.as_str(), reason, fmt_ts(&at)])?;
    Ok(())
}

/// The intents left `applying` (the app stopped while carrying them out):
/// id and organization.
pub(crate) fn intents_applying(c: &Connection) -> AppResult<Vec<(String, String)>> {
    let mut st = c.prepare_cached(
        "SELECT id, organization_id FROM portal_intents WHERE state = 'applying' ORDER BY received_at",
    )?;
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Every intent's id, state and reason, oldest first (tests).
pub(crate) fn intents_all(c: &Connection) -> AppResult<Vec<(String, String, Option<String>)>> {
    let mut st =
        c.prepare_cached("SELECT id, state, reason FROM portal_intents ORDER BY received_at, id")?;
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
