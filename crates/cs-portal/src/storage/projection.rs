//! The projection: per tenant, the latest record of every live entity the
//! desktop pushed, and the pushes that keep it so.
//!
//! [`apply_push`] runs the protocol's decision ([`cs_sync::protocol`]) inside
//! the transaction that applies the batch, with the tenant's row locked, so
//! two pushes of one tenant (two portal processes, a retried request) are
//! applied one after the other and each exactly once. Reads take the tenant
//! and, for a customer's records, the organization — both from the session.
//! An `intent_result` record also answers its intent ([`intents::decide`]).

use chrono::{DateTime, Utc};
use cs_sync::protocol::{decode_batch, plan_push, ErrorBody, Held, PushRequest, PushResponse};
use cs_sync::record::{Envelope, Kind, Record};

use super::{intents, tenants, Result, StorageError};
use crate::db::{Dialect, Notice, Row, Tx};
use crate::params;

/// Applies a push for `tenant_id` and says what the portal now holds. A
/// refused push ([`StorageError::Sync`]) writes nothing.
pub fn apply_push(
    tx: &mut dyn Tx,
    tenant_id: &str,
    push: &PushRequest,
    now: DateTime<Utc>,
    effects: &dyn Effects,
) -> Result<PushResponse> {
    let held = lock_tenant(tx, tenant_id)?;
    let plan = plan_push(held, push).map_err(StorageError::Sync)?;
    let records = decode_batch(push).map_err(StorageError::Sync)?;
    if plan.reset {
        tx.execute(
            "DELETE FROM records WHERE tenant_id = $1",
            params![tenant_id],
        )?;
        tx.notify(Notice {
            tenant: tenant_id.to_string(),
            org: None,
            what: "reset".into(),
        })?;
    }
    let mut touched: Vec<(Option<String>, Kind)> = Vec::new();
    for (envelope, record) in records {
        if envelope.seq <= plan.apply_above {
            continue;
        }
        // decode_batch has read the kind already.
        let kind = envelope.kind().map_err(|e| StorageError::Sync(e.into()))?;
        match &record {
            Some(record) => {
                put(tx, tenant_id, kind, envelope, record)?;
                if let Record::IntentResult(result) = record {
                    intents::decide(tx, tenant_id, &envelope.id, result)?;
                }
            }
            None => {
                tx.execute(
                    "DELETE FROM records WHERE tenant_id = $1 AND kind = $2 AND entity = $3",
                    params![tenant_id, kind.as_str(), &envelope.id],
                )?;
            }
        }
        effects.applied(tx, tenant_id, envelope, record.as_ref(), now)?;
        let key = (envelope.org.clone(), kind);
        if !touched.contains(&key) {
            touched.push(key);
        }
    }
    for (org, kind) in touched {
        tx.notify(Notice {
            tenant: tenant_id.to_string(),
            org,
            what: kind.as_str().to_string(),
        })?;
    }
    let Held { stream, through } = plan.held_after;
    tx.execute(
        "UPDATE tenants SET stream = $2, held_through = $3, last_push_at = $4,
             stopped_code = NULL, stopped_message = NULL, stopped_record = NULL
         WHERE id = $1",
        params![tenant_id, stream.to_string(), through, now],
    )?;
    Ok(PushResponse {
        stream,
        held_through: through,
    })
}

/// What else happens when a record is applied (an invitation mails its
/// contact, a removed contact loses its sign-in). Runs in the same
/// transaction.
pub trait Effects: Send + Sync {
    fn applied(
        &self,
        tx: &mut dyn Tx,
        tenant_id: &str,
        envelope: &Envelope,
        record: Option<&Record>,
        now: DateTime<Utc>,
    ) -> Result<()>;
}

/// No effects (tests of the projection alone).
pub struct NoEffects;

impl Effects for NoEffects {
    fn applied(
        &self,
        _: &mut dyn Tx,
        _: &str,
        _: &Envelope,
        _: Option<&Record>,
        _: DateTime<Utc>,
    ) -> Result<()> {
        Ok(())
    }
}

/// Reads what the tenant holds with its row locked against concurrent pushes.
fn lock_tenant(tx: &mut dyn Tx, tenant_id: &str) -> Result<Option<Held>> {
    // SQLite's write transaction already excludes every other writer.
    let lock = if tx.dialect() == Dialect::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    tx.query_opt(
        &format!("SELECT id FROM tenants WHERE id = $1{lock}"),
        params![tenant_id],
    )?
    .ok_or(StorageError::NotFound)?;
    Ok(tenants::by_id(tx, tenant_id)?
        .ok_or(StorageError::NotFound)?
        .held)
}

fn put(tx: &mut dyn Tx, tenant_id: &str, kind: Kind, e: &Envelope, record: &Record) -> Result<()> {
    let body = e.body.as_ref().map(|b| b.to_string()).unwrap_or_default();
    tx.execute(
        "INSERT INTO records (tenant_id, kind, entity, org, seq, version, at, sort_key, body)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (tenant_id, kind, entity) DO UPDATE SET
             org = excluded.org, seq = excluded.seq, version = excluded.version,
             at = excluded.at, sort_key = excluded.sort_key, body = excluded.body",
        params![
            tenant_id,
            kind.as_str(),
            &e.id,
            e.org.clone(),
            e.seq,
            i64::from(e.v),
            e.at,
            sort_key(&e.id, record),
            body
        ],
    )?;
    Ok(())
}

/// What a list of this kind is sorted by.
fn sort_key(id: &str, record: &Record) -> String {
    match record {
        Record::Server(s) => format!("{}\u{1f}{id}", s.label.to_lowercase()),
        Record::Document(d) => format!("{}\u{1f}{}", d.issue_date, d.number),
        Record::WalletTransaction(t) => format!("{:015}\u{1f}{id}", t.at.timestamp_millis()),
        Record::Contact(c) => format!("{}\u{1f}{id}", c.name.to_lowercase()),
        Record::Plan(p) => format!("{}\u{1f}{id}", p.name.to_lowercase()),
        _ => id.to_string(),
    }
}

/// Whose records a read may return: the tenant's shared records (branding,
/// plans), or one customer organization's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    Tenant(&'a str),
    Organization { tenant: &'a str, org: &'a str },
}

/// One entity of `kind` within `scope`: `None` when it does not exist there
/// (another customer's record answers the same as a missing one).
pub fn get(
    tx: &mut dyn Tx,
    scope: Scope<'_>,
    kind: Kind,
    entity: &str,
) -> Result<Option<Envelope>> {
    let row = match scope {
        Scope::Tenant(tenant) if !kind.is_scoped() => tx.query_opt(
            "SELECT kind, entity, org, seq, version, at, body FROM records
             WHERE tenant_id = $1 AND kind = $2 AND entity = $3",
            params![tenant, kind.as_str(), entity],
        )?,
        Scope::Organization { tenant, org } if kind.is_scoped() => tx.query_opt(
            "SELECT kind, entity, org, seq, version, at, body FROM records
             WHERE tenant_id = $1 AND kind = $2 AND entity = $3 AND org = $4",
            params![tenant, kind.as_str(), entity, org],
        )?,
        _ => None,
    };
    row.as_ref().map(envelope).transpose()
}

/// A page of one kind's records within `scope`, in sort order (newest first
/// when `newest_first`), after the `after` sort key.
pub fn list(
    tx: &mut dyn Tx,
    scope: Scope<'_>,
    kind: Kind,
    newest_first: bool,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<Envelope>> {
    let (order, cmp) = if newest_first {
        ("DESC", "<")
    } else {
        ("ASC", ">")
    };
    let rows = match scope {
        Scope::Tenant(tenant) if !kind.is_scoped() => tx.query(
            &format!(
                "SELECT kind, entity, org, seq, version, at, body FROM records
                 WHERE tenant_id = $1 AND kind = $2 AND org IS NULL AND ($3 = '' OR sort_key {cmp} $3)
                 ORDER BY sort_key {order} LIMIT $4"
            ),
            params![tenant, kind.as_str(), after.unwrap_or(""), i64::from(limit)],
        )?,
        Scope::Organization { tenant, org } if kind.is_scoped() => tx.query(
            &format!(
                "SELECT kind, entity, org, seq, version, at, body FROM records
                 WHERE tenant_id = $1 AND org = $2 AND kind = $3 AND ($4 = '' OR sort_key {cmp} $4)
                 ORDER BY sort_key {order} LIMIT $5"
            ),
            params![tenant, org, kind.as_str(), after.unwrap_or(""), i64::from(limit)],
        )?,
        _ => Vec::new(),
    };
    rows.iter().map(envelope).collect()
}

/// The sort key of an entity, for the next page's `after`.
pub fn sort_key_of(
    tx: &mut dyn Tx,
    tenant: &str,
    kind: Kind,
    entity: &str,
) -> Result<Option<String>> {
    Ok(tx
        .query_opt(
            "SELECT sort_key FROM records WHERE tenant_id = $1 AND kind = $2 AND entity = $3",
            params![tenant, kind.as_str(), entity],
        )?
        .map(|r| r.text(0))
        .transpose()?)
}

/// Every record of a tenant, in sequence order (tests compare it with the
/// desktop's projection).
pub fn all(tx: &mut dyn Tx, tenant: &str) -> Result<Vec<Envelope>> {
    tx.query(
        "SELECT kind, entity, org, seq, version, at, body FROM records WHERE tenant_id = $1 ORDER BY seq",
        params![tenant],
    )?
    .iter()
    .map(envelope)
    .collect()
}

fn envelope(r: &Row) -> Result<Envelope> {
    envelope_at(r, 0)
}

/// A record from the columns `kind, entity, org, seq, version, at, body` of
/// `r`, starting at column `at`.
pub(crate) fn envelope_at(r: &Row, at: usize) -> Result<Envelope> {
    let body: serde_json::Value = serde_json::from_str(&r.text(at + 6)?)
        .map_err(|e| StorageError::Conflict(format!("a stored record is not JSON: {e}")))?;
    Ok(Envelope {
        kind: r.text(at)?,
        id: r.text(at + 1)?,
        org: r.opt_text(at + 2)?,
        seq: r.int(at + 3)? as u64,
        v: r.int(at + 4)? as u32,
        at: r.time(at + 5)?,
        body: Some(body),
    })
}

/// Decodes a stored record (it was decoded when pushed, so a failure here
/// means the database was changed behind the portal's back).
pub fn decode(e: &Envelope) -> Result<Record> {
    e.decode()
        .map_err(|err| StorageError::Sync(ErrorBody::from(err)))?
        .ok_or(StorageError::NotFound)
}
