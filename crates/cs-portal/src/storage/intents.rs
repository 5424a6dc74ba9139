//! Intents: customers' requests waiting for the reseller's desktop
//! ([`cs_sync::intent`]).
//!
//! An intent is `requested` when a customer asks, handed to the desktop by
//! [`deliver`] (oldest first, again on every fetch until the desktop's answer
//! arrives) and `applied` or `refused` once the desktop's `intent_result`
//! record is pushed ([`decide`], from the push's transaction). One that was
//! never handed out expires after the reseller's hold time
//! ([`cs_sync::record::PolicyV1`]): nothing was done, and the customer is told
//! so. Once handed out an intent no longer expires: the desktop may be
//! carrying it out.

use chrono::{DateTime, Duration, Utc};
use cs_sync::intent::{Intent, IntentEnvelope, MAX_INTENTS};
use cs_sync::record::{IntentOutcomeV1, IntentResultV1, Kind, Record};
use uuid::Uuid;

use super::projection::{self, Scope};
use super::{Result, StorageError};
use crate::db::{Notice, Row, Tx};
use crate::params;

/// How long a request waits for an offline desktop when the reseller set
/// nothing.
pub const DEFAULT_HOLD_MINUTES: u32 = 60;
/// The desktop counts as online when it called the sync API this recently
/// (it asks for intents at least every 25 s).
pub const ONLINE_WITHIN: Duration = Duration::seconds(90);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Requested,
    Applied,
    Refused,
    Expired,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Requested => "requested",
            State::Applied => "applied",
            State::Refused => "refused",
            State::Expired => "expired",
        }
    }

    fn parse(s: &str) -> Result<State> {
        Ok(match s {
            "requested" => State::Requested,
            "applied" => State::Applied,
            "refused" => State::Refused,
            "expired" => State::Expired,
            other => {
                return Err(StorageError::Conflict(format!(
                    "stored intent state {other:?}"
                )))
            }
        })
    }
}

/// An intent as the customer's pages show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub envelope: IntentEnvelope,
    pub requested_by: String,
    pub state: State,
    pub reason: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// Who asks: from the caller's session, never from the request.
pub struct Asker<'a> {
    pub tenant: &'a str,
    pub org: &'a str,
    pub account: &'a str,
    pub contact: &'a str,
    pub name: &'a str,
}

/// The reseller's hold time (minutes; 0 refuses requests while offline).
pub fn hold_minutes(tx: &mut dyn Tx, tenant: &str) -> Result<u32> {
    Ok(
        match projection::get(tx, Scope::Tenant(tenant), Kind::Policy, "policy")? {
            Some(e) => match projection::decode(&e)? {
                Record::Policy(p) => p.intent_hold_minutes,
                _ => DEFAULT_HOLD_MINUTES,
            },
            None => DEFAULT_HOLD_MINUTES,
        },
    )
}

/// When the tenant's desktop last called the sync API.
pub fn desktop_last_seen(tx: &mut dyn Tx, tenant: &str) -> Result<Option<DateTime<Utc>>> {
    Ok(tx
        .query_one(
            "SELECT max(last_used_at) FROM sync_tokens WHERE tenant_id = $1 AND revoked_at IS NULL",
            params![tenant],
        )?
        .opt_time(0)?)
}

pub fn is_online(last_seen: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_seen.is_some_and(|t| now - t <= ONLINE_WITHIN)
}

/// Records a request; the caller checked it against what the portal holds.
pub fn create(
    tx: &mut dyn Tx,
    asker: &Asker<'_>,
    intent: &Intent,
    now: DateTime<Utc>,
) -> Result<Stored> {
    let envelope = IntentEnvelope::new(Uuid::now_v7(), now, asker.org, asker.contact, intent);
    tx.execute(
        "INSERT INTO intents (id, tenant_id, org, account_id, contact, requested_by, kind, version,
             body, server, created_at, state)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'requested')",
        params![
            envelope.id.to_string(),
            asker.tenant,
            asker.org,
            asker.account,
            asker.contact,
            asker.name,
            envelope.kind.clone(),
            i64::from(envelope.v),
            envelope.body.to_string(),
            intent.server(),
            now
        ],
    )?;
    // Wakes the desktop's waiting fetch, and the customer's pages.
    tx.notify(Notice {
        tenant: asker.tenant.to_string(),
        org: None,
        what: "intent".into(),
    })?;
    tx.notify(Notice {
        tenant: asker.tenant.to_string(),
        org: Some(asker.org.to_string()),
        what: "server".into(),
    })?;
    Ok(Stored {
        envelope,
        requested_by: asker.name.to_string(),
        state: State::Requested,
        reason: None,
        decided_at: None,
    })
}

/// Expires the tenant's requests that were never handed to the desktop and
/// are older than the hold time; tells their organizations' pages.
pub fn expire(tx: &mut dyn Tx, tenant: &str, now: DateTime<Utc>) -> Result<u64> {
    let hold = hold_minutes(tx, tenant)?;
    let cutoff = now - Duration::minutes(i64::from(hold));
    let orgs = tx.query(
        "UPDATE intents SET state = 'expired', decided_at = $3,
             reason = 'The provider''s system was offline, so nothing was done. Ask again when it is back.'
         WHERE tenant_id = $1 AND state = 'requested' AND delivered_at IS NULL AND created_at < $2
         RETURNING org",
        params![tenant, cutoff, now],
    )?;
    let n = orgs.len() as u64;
    let mut seen: Vec<String> = Vec::new();
    for r in orgs {
        let org = r.text(0)?;
        if !seen.contains(&org) {
            tx.notify(Notice {
                tenant: tenant.to_string(),
                org: Some(org.clone()),
                what: "server".into(),
            })?;
            seen.push(org);
        }
    }
    Ok(n)
}

/// The requests waiting for the desktop, oldest first, marked as handed out.
pub fn deliver(tx: &mut dyn Tx, tenant: &str, now: DateTime<Utc>) -> Result<Vec<IntentEnvelope>> {
    expire(tx, tenant, now)?;
    let rows = tx.query(
        "SELECT id, created_at, org, contact, kind, version, body FROM intents
         WHERE tenant_id = $1 AND state = 'requested'
         ORDER BY created_at, id LIMIT $2",
        params![tenant, MAX_INTENTS as i64],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(envelope(r, 0)?);
    }
    if !out.is_empty() {
        tx.execute(
            "UPDATE intents SET delivered_at = $2
             WHERE tenant_id = $1 AND state = 'requested' AND delivered_at IS NULL",
            params![tenant, now],
        )?;
    }
    Ok(out)
}

/// The desktop's answer to an intent (from a pushed `intent_result`).
/// An answer to an intent the portal does not know, or one already
/// answered, changes nothing.
pub fn decide(tx: &mut dyn Tx, tenant: &str, id: &str, result: &IntentResultV1) -> Result<()> {
    let state = match result.outcome {
        IntentOutcomeV1::Applied => State::Applied,
        IntentOutcomeV1::Refused => State::Refused,
    };
    let org = tx.query_opt(
        "UPDATE intents SET state = $3, reason = $4, decided_at = $5
         WHERE tenant_id = $1 AND id = $2 AND state = 'requested'
         RETURNING org",
        params![
            tenant,
            id,
            state.as_str(),
            result.reason.clone(),
            result.decided_at
        ],
    )?;
    if let Some(r) = org {
        tx.notify(Notice {
            tenant: tenant.to_string(),
            org: Some(r.text(0)?),
            what: "server".into(),
        })?;
    }
    Ok(())
}

/// Whether a request about `server` still waits (and has not expired).
pub fn waiting_for_server(
    tx: &mut dyn Tx,
    tenant: &str,
    org: &str,
    server: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    expire(tx, tenant, now)?;
    Ok(tx
        .query_opt(
            "SELECT id FROM intents
             WHERE tenant_id = $1 AND org = $2 AND server = $3 AND state = 'requested' LIMIT 1",
            params![tenant, org, server],
        )?
        .is_some())
}

/// The newest requests about one of the organization's servers.
pub fn of_server(
    tx: &mut dyn Tx,
    tenant: &str,
    org: &str,
    server: &str,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<Vec<Stored>> {
    let hold = hold_minutes(tx, tenant)?;
    let cutoff = now - Duration::minutes(i64::from(hold));
    let rows = tx.query(
        "SELECT id, created_at, org, contact, kind, version, body,
                requested_by, state, reason, decided_at, delivered_at FROM intents
         WHERE tenant_id = $1 AND org = $2 AND server = $3
         ORDER BY created_at DESC, id DESC LIMIT $4",
        params![tenant, org, server, i64::from(limit)],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let envelope = envelope(r, 0)?;
        let mut state = State::parse(&r.text(8)?)?;
        let mut reason = r.opt_text(9)?;
        let mut decided_at = r.opt_time(10)?;
        // A read does not write: an expiry not yet recorded shows as one.
        if state == State::Requested && r.opt_time(11)?.is_none() && envelope.at < cutoff {
            state = State::Expired;
            reason = Some(
                "The provider's system was offline, so nothing was done. Ask again when it is back."
                    .into(),
            );
            decided_at = Some(envelope.at + Duration::minutes(i64::from(hold)));
        }
        out.push(Stored {
            envelope,
            requested_by: r.text(7)?,
            state,
            reason,
            decided_at,
        });
    }
    Ok(out)
}

/// The state of every intent of a tenant, oldest first (tests).
pub fn all(tx: &mut dyn Tx, tenant: &str) -> Result<Vec<(String, State, Option<String>)>> {
    tx.query(
        "SELECT id, state, reason FROM intents WHERE tenant_id = $1 ORDER BY created_at, id",
        params![tenant],
    )?
    .iter()
    .map(|r| Ok((r.text(0)?, State::parse(&r.text(1)?)?, r.opt_text(2)?)))
    .collect()
}

fn envelope(r: &Row, at: usize) -> Result<IntentEnvelope> {
    let id = r.text(at)?;
    Ok(IntentEnvelope {
        id: id
            .parse()
            .map_err(|_| StorageError::Conflict(format!("stored intent id {id} is not a UUID")))?,
        at: r.time(at + 1)?,
        org: r.text(at + 2)?,
        by: r.text(at + 3)?,
        kind: r.text(at + 4)?,
        v: r.int(at + 5)? as u32,
        body: serde_json::from_str(&r.text(at + 6)?)
            .map_err(|e| StorageError::Conflict(format!("a stored intent is not JSON: {e}")))?,
    })
}
