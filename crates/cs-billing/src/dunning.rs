//! Dunning in the store: evaluates [`cs_core::dunning::step`] for customers,
//! keeps their state in `billing_customers`, queues notices for the customer
//! in the `outbox` (kind `billing.notice`) and records [`Decision`]s for the
//! app: suspend, unsuspend or terminate a list of servers.
//!
//! The engine does not talk to providers. The app reads pending decisions
//! ([`pending_decisions`], also returned by `run_due` and by payments), acts
//! at the provider (power off, power on is left to the customer, delete), and
//! reports back with [`complete_decision`], which marks the servers
//! `suspended`, `offline` or deleted (closing their meters) and logs it.

use cs_core::dunning::{step, CustomerDunning, DunningAction, DunningState};
use cs_core::money::micros_to_minor_rounded;
use cs_core::{OrganizationId, ServerId, Timestamp};
use cs_store::activity::{append, NewActivity};
use cs_store::sync_outbox::{self, SyncKind};
use cs_store::{fmt_ts, parse_ts};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::db::Db;
use crate::error::{BillingError, Result};
use crate::ledger::{balance_micros, AccountRef};
use crate::settings::BillingSettings;

/// Something the app must do at the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub id: i64,
    pub organization_id: OrganizationId,
    pub action: DunningAction,
    pub server_ids: Vec<ServerId>,
    pub decided_at: Timestamp,
}

/// How carrying out a decision went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Failed { note: String },
}

type CustomerRaw = (String, Option<String>, bool, u32, Option<i64>);

fn load(conn: &Connection, org: OrganizationId) -> Result<(CustomerDunning, Option<i64>)> {
    let raw: Option<CustomerRaw> = conn
        .prepare_cached(
            "SELECT state, state_since, low_warned, termination_warnings_sent, low_balance_threshold_minor FROM billing_customers WHERE organization_id = ?1",
        )?
        .query_row([org.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .optional()?;
    decode_customer(raw)
}

/// A `billing_customers` row (none: a customer in good standing with the
/// default threshold) as its dunning record and own threshold.
fn decode_customer(raw: Option<CustomerRaw>) -> Result<(CustomerDunning, Option<i64>)> {
    let Some((state, since, low_warned, sent, threshold)) = raw else {
        return Ok((CustomerDunning::default(), None));
    };
    let since = since.as_deref().map(parse_ts).transpose()?;
    let state = match (state.as_str(), since) {
        ("grace", Some(since)) => DunningState::Grace { since },
        ("suspended", Some(since)) => DunningState::Suspended { since },
        ("terminated", Some(at)) => DunningState::Terminated { at },
        _ => DunningState::Good,
    };
    Ok((
        CustomerDunning {
            state,
            low_warned,
            termination_warnings_sent: sent,
        },
        threshold,
    ))
}

fn save(conn: &Connection, org: OrganizationId, d: &CustomerDunning) -> Result<()> {
    let since = match d.state {
        DunningState::Good => None,
        DunningState::Grace { since } | DunningState::Suspended { since } => Some(since),
        DunningState::Terminated { at } => Some(at),
    };
    conn.prepare_cached(
        "INSERT INTO billing_customers (organization_id, state, state_since, low_warned, termination_warnings_sent) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (organization_id) DO UPDATE SET state = excluded.state, state_since = excluded.state_since,
            low_warned = excluded.low_warned, termination_warnings_sent = excluded.termination_warnings_sent",
    )?
    .execute(params![org.to_string(), d.state.as_str(), since.as_ref().map(fmt_ts), d.low_warned, d.termination_warnings_sent])?;
    Ok(())
}

/// Sets a customer's own low-balance threshold (`None`: the default setting)
/// and tax region (a US state, a Canadian province; `None`: country-wide).
pub fn set_customer_profile(
    conn: &Connection,
    org: OrganizationId,
    low_balance_threshold_minor: Option<i64>,
    region: Option<&str>,
) -> Result<()> {
    conn.execute(
        "INSERT INTO billing_customers (organization_id, low_balance_threshold_minor, region) VALUES (?1, ?2, ?3)
         ON CONFLICT (organization_id) DO UPDATE SET low_balance_threshold_minor = excluded.low_balance_threshold_minor, region = excluded.region",
        params![org.to_string(), low_balance_threshold_minor, region],
    )?;
    Ok(())
}

/// The customer's dunning record.
pub fn customer_state(conn: &Connection, org: OrganizationId) -> Result<CustomerDunning> {
    Ok(load(conn, org)?.0)
}

/// The organization's servers a dunning action covers
/// (`ServerStatus::dunning_applies`), by id.
fn server_ids(
    conn: &Connection,
    org: OrganizationId,
    action: DunningAction,
) -> Result<Vec<ServerId>> {
    let mut ids: Vec<ServerId> = cs_store::servers::list_for_org(conn, org)?
        .into_iter()
        .filter(|s| s.status.dunning_applies(action))
        .map(|s| s.id)
        .collect();
    ids.sort_by_key(|id| id.to_string());
    Ok(ids)
}

/// Evaluates one customer at `now`; records and returns a decision if the
/// policy calls for one.
pub fn evaluate(
    conn: &Connection,
    org: OrganizationId,
    now: Timestamp,
) -> Result<Option<Decision>> {
    evaluate_with(conn, org, now, &BillingSettings::load(conn)?)
}

fn evaluate_with(
    conn: &Connection,
    org: OrganizationId,
    now: Timestamp,
    settings: &BillingSettings,
) -> Result<Option<Decision>> {
    let (current, threshold) = load(conn, org)?;
    let micros = balance_micros(conn, AccountRef::wallet(org), settings.currency)?;
    evaluate_loaded(conn, org, now, settings, current, threshold, micros)
}

/// [`evaluate_with`] on a customer's record, threshold and wallet balance
/// (micros) already read.
fn evaluate_loaded(
    conn: &Connection,
    org: OrganizationId,
    now: Timestamp,
    settings: &BillingSettings,
    current: CustomerDunning,
    threshold: Option<i64>,
    micros: i64,
) -> Result<Option<Decision>> {
    let balance_minor = micros_to_minor_rounded(micros, settings.currency);
    let s = step(current, balance_minor, &settings.policy(threshold), now);
    if s.next != current {
        save(conn, org, &s.next)?;
    }
    for n in &s.notices {
        sync_outbox::publish(
            conn,
            now,
            Some(org),
            SyncKind::BillingNotice,
            &org.to_string(),
            n,
        )?;
        append(
            conn,
            &NewActivity {
                at: now,
                actor: "system:billing",
                action: &format!("dunning.{}", n.kind()),
                subject_kind: "organization",
                subject_id: Some(org.to_string()),
                organization_id: Some(org.to_string()),
                summary: format!(
                    "Dunning: {} (balance {})",
                    n.kind().replace('_', " "),
                    cs_core::Money::new(balance_minor, settings.currency)
                ),
            },
        )?;
    }
    let Some(action) = s.action else {
        return Ok(None);
    };
    let ids = server_ids(conn, org, action)?;
    let json = serde_json::to_string(&ids).map_err(|e| BillingError::Invariant(e.to_string()))?;
    conn.prepare_cached("INSERT INTO dunning_decisions (organization_id, action, server_ids, decided_at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![org.to_string(), action.as_str(), json, fmt_ts(&now)])?;
    Ok(Some(Decision {
        id: conn.last_insert_rowid(),
        organization_id: org,
        action,
        server_ids: ids,
        decided_at: now,
    }))
}

/// Evaluates every customer with a wallet or a dunning record.
pub fn evaluate_all(db: &impl Db, now: Timestamp) -> Result<Vec<Decision>> {
    db.write(|conn| {
        // Dunning watches the wallets in the reseller's currency; an
        // organization billed only in another currency is not dunned.
        let settings = BillingSettings::load(conn)?;
        // Every customer's record and wallet balance in one statement (one
        // pass over the accounts instead of two lookups per customer), in
        // organization order. Evaluating a customer writes only its own
        // record, notices and decisions, so reading them all first is the
        // same as reading each just before its evaluation.
        type Row = (String, Option<i64>, Option<CustomerRaw>);
        let rows: Vec<Row> = conn
            .prepare(
                "SELECT a.organization_id, a.balance_micros,
                        c.state, c.state_since, c.low_warned, c.termination_warnings_sent, c.low_balance_threshold_minor
                 FROM ledger_accounts a LEFT JOIN billing_customers c ON c.organization_id = a.organization_id
                 WHERE a.kind = 'wallet' AND a.currency = ?1
                 UNION ALL
                 SELECT c.organization_id, NULL,
                        c.state, c.state_since, c.low_warned, c.termination_warnings_sent, c.low_balance_threshold_minor
                 FROM billing_customers c
                 WHERE c.state != 'good' AND NOT EXISTS
                    (SELECT 1 FROM ledger_accounts a WHERE a.kind = 'wallet' AND a.organization_id = c.organization_id AND a.currency = ?1)
                 ORDER BY 1",
            )?
            .query_map([settings.currency.code()], |r| {
                let state: Option<String> = r.get(2)?;
                let raw = match state {
                    Some(state) => Some((state, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
                    None => None,
                };
                Ok((r.get(0)?, r.get(1)?, raw))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::new();
        for (org, balance, raw) in rows {
            let org: OrganizationId = org.parse().map_err(|_| BillingError::Invariant(format!("organization id {org:?}")))?;
            let (current, threshold) = decode_customer(raw)?;
            out.extend(evaluate_loaded(conn, org, now, &settings, current, threshold, balance.unwrap_or(0))?);
        }
        Ok(out)
    })
}

fn decode(row: (i64, String, String, String, String)) -> Result<Decision> {
    let (id, org, action, ids, at) = row;
    Ok(Decision {
        id,
        organization_id: org
            .parse()
            .map_err(|_| BillingError::Invariant(format!("organization id {org:?}")))?,
        action: DunningAction::parse(&action)
            .ok_or_else(|| BillingError::Invariant(format!("action {action:?}")))?,
        server_ids: serde_json::from_str(&ids)
            .map_err(|e| BillingError::Invariant(e.to_string()))?,
        decided_at: parse_ts(&at)?,
    })
}

/// Decisions the app has not reported back on, oldest first.
pub fn pending_decisions(conn: &Connection) -> Result<Vec<Decision>> {
    let rows = conn
        .prepare("SELECT id, organization_id, action, server_ids, decided_at FROM dunning_decisions WHERE status = 'pending' ORDER BY id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(decode).collect()
}

/// The app reports how carrying out a decision went. On `Done` the servers
/// are marked suspended (Suspend), offline (Unsuspend: the customer boots them)
/// or deleted with billing stopped (Terminate), and the customer is notified.
pub fn complete_decision(
    conn: &Connection,
    id: i64,
    outcome: Outcome,
    now: Timestamp,
    actor: &str,
) -> Result<()> {
    let row = conn
        .query_row(
            "SELECT id, organization_id, action, server_ids, decided_at FROM dunning_decisions WHERE id = ?1 AND status = 'pending'",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?
        .ok_or_else(|| BillingError::NotFound { what: "pending dunning decision", id: id.to_string() })?;
    let d = decode(row)?;
    let org = d.organization_id.to_string();
    match &outcome {
        Outcome::Failed { note } => {
            conn.execute("UPDATE dunning_decisions SET status = 'failed', completed_at = ?2, note = ?3 WHERE id = ?1", params![id, fmt_ts(&now), note])?;
            append(
                conn,
                &NewActivity {
                    at: now,
                    actor,
                    action: &format!("dunning.{}_failed", d.action.as_str()),
                    subject_kind: "organization",
                    subject_id: Some(org.clone()),
                    organization_id: Some(org),
                    summary: format!(
                        "Could not {} {} server(s): {note}",
                        d.action.as_str(),
                        d.server_ids.len()
                    ),
                },
            )?;
            return Ok(());
        }
        Outcome::Done => {}
    }
    for s in &d.server_ids {
        let sid = s.to_string();
        // Each server moves along its own lifecycle (cs_core's
        // `ServerStatus::after_dunning`); one the action no longer covers
        // (deleted meanwhile, say) is left as it is.
        if let Some(mut server) = cs_store::servers::get(conn, *s)? {
            if let Some(next) = server.status.after_dunning(d.action) {
                server.status = next;
                server.updated_at = now;
                if next == cs_core::ServerStatus::Deleted {
                    server.deleted_at.get_or_insert(now);
                }
                cs_store::servers::update(conn, &server)?;
            }
        }
        if d.action == DunningAction::Terminate {
            crate::meters::close_server(conn, *s, now)?;
        }
        sync_outbox::publish(
            conn,
            now,
            Some(d.organization_id),
            SyncKind::ServerBillingStatus,
            &sid,
            &serde_json::json!({ "action": d.action.as_str() }),
        )?;
    }
    conn.execute(
        "UPDATE dunning_decisions SET status = 'done', completed_at = ?2 WHERE id = ?1",
        params![id, fmt_ts(&now)],
    )?;
    append(
        conn,
        &NewActivity {
            at: now,
            actor,
            action: &format!(
                "dunning.{}",
                match d.action {
                    DunningAction::Suspend => "servers_suspended",
                    DunningAction::Unsuspend => "servers_unsuspended",
                    DunningAction::Terminate => "servers_terminated",
                }
            ),
            subject_kind: "organization",
            subject_id: Some(org.clone()),
            organization_id: Some(org),
            summary: format!(
                "{} {} server(s) for an unpaid balance",
                match d.action {
                    DunningAction::Suspend => "Suspended",
                    DunningAction::Unsuspend => "Released",
                    DunningAction::Terminate => "Terminated",
                },
                d.server_ids.len()
            ),
        },
    )?;
    Ok(())
}
