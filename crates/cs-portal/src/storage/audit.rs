//! The audit log: who did what on the portal, when, and from which address.
//! Written in the transaction of the action it records.

use chrono::{DateTime, Utc};

use super::{new_id, Result};
use crate::db::Tx;
use crate::params;

/// One audited action.
pub struct Entry<'a> {
    pub tenant_id: &'a str,
    pub account_id: Option<&'a str>,
    /// `sign_in`, `password_changed`, `account_closed` …
    pub action: &'a str,
    /// What else matters, in words (never a secret).
    pub detail: &'a str,
    /// The client's address, or `desktop` for an effect of a push.
    pub ip: &'a str,
}

pub fn record(tx: &mut dyn Tx, e: Entry<'_>, now: DateTime<Utc>) -> Result<()> {
    tx.execute(
        "INSERT INTO audit (id, tenant_id, account_id, action, detail, ip, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        params![
            new_id(),
            e.tenant_id,
            e.account_id,
            e.action,
            e.detail,
            e.ip,
            now
        ],
    )?;
    Ok(())
}

/// An audit row as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub account_id: Option<String>,
    pub action: String,
    pub detail: String,
    pub ip: String,
    pub at: DateTime<Utc>,
}

/// A tenant's audit log, oldest first.
pub fn list(tx: &mut dyn Tx, tenant_id: &str) -> Result<Vec<Row>> {
    tx.query(
        "SELECT account_id, action, detail, ip, at FROM audit WHERE tenant_id = $1 ORDER BY at, id",
        params![tenant_id],
    )?
    .iter()
    .map(|r| {
        Ok(Row {
            account_id: r.opt_text(0)?,
            action: r.text(1)?,
            detail: r.text(2)?,
            ip: r.text(3)?,
            at: r.time(4)?,
        })
    })
    .collect()
}
