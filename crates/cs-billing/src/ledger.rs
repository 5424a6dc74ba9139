//! The double-entry ledger in SQLite: accounts, transactions, entries.
//!
//! [`post`] writes one balanced transaction under its idempotency key: the key
//! is UNIQUE in `ledger_txns`, and a second post with the same key succeeds
//! only if its content (kind, organization, currency, entries) is the same —
//! then nothing is written and the first transaction is returned. Different
//! content under a used key is [`BillingError::IdempotencyConflict`].
//!
//! Hourly usage is the one exception to append-only: [`UsagePoster::accrue_usage`] adds to
//! the *open* usage transaction of an organization and UTC day (key
//! `usage:<org>:<currency>:<date>`), moving the same amount from the wallet to
//! revenue, so the transaction sums to zero after every update. Account
//! balances are cached in `ledger_accounts.balance_micros` by triggers, and
//! [`crate::verify`] checks the cache against the entries.

use std::collections::HashMap;

use cs_core::ledger::{check_balanced, AccountKind, Entry};
use cs_core::metering::Month;
use cs_core::{Currency, OrganizationId, Timestamp};
use cs_store::fmt_ts;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::error::{BillingError, Result};

/// What a transaction records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TxnKind {
    Usage,
    Payment,
    Adjustment,
    Invoice,
    CreditNote,
    Refund,
}

impl TxnKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            TxnKind::Usage => "usage",
            TxnKind::Payment => "payment",
            TxnKind::Adjustment => "adjustment",
            TxnKind::Invoice => "invoice",
            TxnKind::CreditNote => "credit_note",
            TxnKind::Refund => "refund",
        }
    }

    pub fn parse(s: &str) -> Option<TxnKind> {
        [
            TxnKind::Usage,
            TxnKind::Payment,
            TxnKind::Adjustment,
            TxnKind::Invoice,
            TxnKind::CreditNote,
            TxnKind::Refund,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// An account: its kind, and the organization for customer accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AccountRef {
    pub kind: AccountKind,
    pub organization: Option<OrganizationId>,
}

impl AccountRef {
    pub fn wallet(org: OrganizationId) -> AccountRef {
        AccountRef {
            kind: AccountKind::Wallet,
            organization: Some(org),
        }
    }
    pub fn house(kind: AccountKind) -> AccountRef {
        AccountRef {
            kind,
            organization: None,
        }
    }
}

/// A transaction to post.
#[derive(Debug, Clone)]
pub struct NewTxn {
    pub idem_key: String,
    pub kind: TxnKind,
    pub organization: Option<OrganizationId>,
    pub currency: Currency,
    pub at: Timestamp,
    pub month: Option<Month>,
    pub memo: String,
    pub actor: String,
    pub document_id: Option<String>,
    pub entries: Vec<Entry<AccountRef>>,
}

/// The result of [`post`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    New(i64),
    /// The key was used before with the same content; nothing was written.
    AlreadyPosted(i64),
}

impl Posted {
    pub fn txn_id(&self) -> i64 {
        match self {
            Posted::New(id) | Posted::AlreadyPosted(id) => *id,
        }
    }
}

/// The id of an account, created on first use.
pub fn account_id(conn: &Connection, account: AccountRef, currency: Currency) -> Result<i64> {
    let org = account
        .organization
        .map(|o| o.to_string())
        .unwrap_or_default();
    let mut get = conn.prepare_cached(
        "SELECT id FROM ledger_accounts WHERE kind = ?1 AND organization_id = ?2 AND currency = ?3",
    )?;
    if let Some(id) = get
        .query_row(params![account.kind.as_str(), org, currency.code()], |r| {
            r.get(0)
        })
        .optional()?
    {
        return Ok(id);
    }
    conn.prepare_cached(
        "INSERT INTO ledger_accounts (kind, organization_id, currency) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![account.kind.as_str(), org, currency.code()])?;
    Ok(conn.last_insert_rowid())
}

fn fingerprint(t: &NewTxn) -> String {
    let mut entries: Vec<String> = t
        .entries
        .iter()
        .filter(|e| e.amount_micros != 0)
        .map(|e| {
            format!(
                "{}:{}={}",
                e.account.kind.as_str(),
                e.account
                    .organization
                    .map(|o| o.to_string())
                    .unwrap_or_default(),
                e.amount_micros
            )
        })
        .collect();
    entries.sort();
    format!(
        "{}|{}|{}|{}",
        t.kind.as_str(),
        t.organization.map(|o| o.to_string()).unwrap_or_default(),
        t.currency.code(),
        entries.join(",")
    )
}

/// Posts a balanced transaction once under its idempotency key.
pub fn post(conn: &Connection, t: &NewTxn) -> Result<Posted> {
    let entries: Vec<&Entry<AccountRef>> =
        t.entries.iter().filter(|e| e.amount_micros != 0).collect();
    check_balanced(
        &entries
            .iter()
            .map(|e| Entry {
                account: e.account,
                amount_micros: e.amount_micros,
            })
            .collect::<Vec<_>>(),
    )?;
    let fp = fingerprint(t);
    let existing: Option<(i64, String)> = conn
        .prepare_cached("SELECT id, fingerprint FROM ledger_txns WHERE idem_key = ?1")?
        .query_row([&t.idem_key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((id, old)) = existing {
        if old == fp {
            return Ok(Posted::AlreadyPosted(id));
        }
        return Err(BillingError::IdempotencyConflict {
            key: t.idem_key.clone(),
            what: what_of(t.kind),
        });
    }
    conn.prepare_cached(
        "INSERT INTO ledger_txns (idem_key, kind, organization_id, currency, fingerprint, at, month, memo, actor, document_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        t.idem_key,
        t.kind.as_str(),
        t.organization.map(|o| o.to_string()),
        t.currency.code(),
        fp,
        fmt_ts(&t.at),
        t.month,
        t.memo,
        t.actor,
        t.document_id
    ])?;
    let txn_id = conn.last_insert_rowid();
    let mut ins = conn.prepare_cached(
        "INSERT INTO ledger_entries (txn_id, account_id, amount_micros) VALUES (?1, ?2, ?3)",
    )?;
    for e in entries {
        ins.execute(params![
            txn_id,
            account_id(conn, e.account, t.currency)?,
            e.amount_micros
        ])?;
    }
    check_txn_sums_to_zero(conn, txn_id)?;
    Ok(Posted::New(txn_id))
}

fn what_of(kind: TxnKind) -> &'static str {
    match kind {
        TxnKind::Usage => "usage charge",
        TxnKind::Payment => "payment",
        TxnKind::Adjustment => "adjustment",
        TxnKind::Invoice => "invoice",
        TxnKind::CreditNote => "credit note",
        TxnKind::Refund => "refund",
    }
}

/// The double-entry rule, checked in the database before commit.
pub fn check_txn_sums_to_zero(conn: &Connection, txn_id: i64) -> Result<()> {
    let sum: i64 = conn
        .prepare_cached(
            "SELECT coalesce(sum(amount_micros), 0) FROM ledger_entries WHERE txn_id = ?1",
        )?
        .query_row([txn_id], |r| r.get(0))?;
    if sum != 0 {
        return Err(BillingError::Invariant(format!(
            "ledger transaction {txn_id} sums to {sum} micros"
        )));
    }
    Ok(())
}

/// Posts a billing chunk's usage: caches account ids and day names.
#[derive(Debug, Default)]
pub struct UsagePoster {
    accounts: HashMap<(AccountKind, Option<OrganizationId>, Currency), i64>,
    /// `YYYY-MM-DD` of each day posted to (days since the epoch).
    dates: HashMap<i64, String>,
}

impl UsagePoster {
    fn account(&mut self, conn: &Connection, a: AccountRef, c: Currency) -> Result<i64> {
        if let Some(id) = self.accounts.get(&(a.kind, a.organization, c)) {
            return Ok(*id);
        }
        let id = account_id(conn, a, c)?;
        self.accounts.insert((a.kind, a.organization, c), id);
        Ok(id)
    }

    /// Caches the wallet accounts of the organizations `first..=last` (ids
    /// compared as text, the order a billing chunk reads them in) with one
    /// range read of the accounts' unique index, instead of one search per
    /// organization. Wallets not found are opened on first use as before.
    pub fn preload_wallets(&mut self, conn: &Connection, first: &str, last: &str) -> Result<()> {
        let mut stmt = conn.prepare_cached("SELECT organization_id, currency, id FROM ledger_accounts WHERE kind = 'wallet' AND organization_id BETWEEN ?1 AND ?2")?;
        let mut rows = stmt.query(params![first, last])?;
        while let Some(r) = rows.next()? {
            let (org, currency): (String, String) = (r.get(0)?, r.get(1)?);
            // A row that does not parse is not cached: posting to it searches
            // (and fails) as before.
            if let (Ok(org), Ok(currency)) =
                (org.parse::<OrganizationId>(), Currency::parse(&currency))
            {
                self.accounts
                    .insert((AccountKind::Wallet, Some(org), currency), r.get(2)?);
            }
        }
        Ok(())
    }

    /// Adds `micros` of usage on `day` (days since the epoch) to the
    /// organization's open usage transaction of that day, opening it when
    /// the day has none yet.
    ///
    /// `probably_open` only picks which statement is tried first (a search
    /// for the day's transaction, or inserting it under its UNIQUE key); the
    /// result is the same either way.
    pub fn accrue_usage(
        &mut self,
        conn: &Connection,
        org: OrganizationId,
        currency: Currency,
        day: i64,
        micros: i64,
        probably_open: bool,
    ) -> Result<()> {
        if micros == 0 {
            return Ok(());
        }
        let date = self.dates.entry(day).or_insert_with(|| {
            cs_core::metering::hour_start(day * 24)
                .format("%Y-%m-%d")
                .to_string()
        });
        let key = format!("usage:{org}:{}:{date}", currency.code());
        let find = |conn: &Connection| -> Result<Option<i64>> {
            Ok(conn
                .prepare_cached("SELECT id FROM ledger_txns WHERE idem_key = ?1")?
                .query_row([&key], |r| r.get(0))
                .optional()?)
        };
        let open = |conn: &Connection| -> Result<Option<i64>> {
            let day_start = cs_core::metering::hour_start(day * 24);
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO ledger_txns (idem_key, kind, organization_id, currency, fingerprint, at, month, memo, actor)
                     VALUES (?1, 'usage', ?2, ?3, ?1, ?4, ?5, ?6, 'system:billing') ON CONFLICT (idem_key) DO NOTHING",
                )?
                .execute(params![key, org.to_string(), currency.code(), fmt_ts(&day_start), cs_core::metering::month_of(day_start), format!("Usage {date}")])?;
            Ok((inserted == 1).then(|| conn.last_insert_rowid()))
        };
        // (transaction id, whether it was opened just now)
        let found = if probably_open {
            match find(conn)? {
                Some(id) => Some((id, false)),
                None => open(conn)?.map(|id| (id, true)),
            }
        } else {
            match open(conn)? {
                Some(id) => Some((id, true)),
                None => find(conn)?.map(|id| (id, false)),
            }
        };
        let (txn_id, opened) = found.ok_or_else(|| {
            BillingError::Invariant(format!(
                "usage transaction {key} is neither there nor insertable"
            ))
        })?;
        let wallet = self.account(conn, AccountRef::wallet(org), currency)?;
        let revenue = self.account(conn, AccountRef::house(AccountKind::Revenue), currency)?;
        // A transaction opened just now has no entries: plain inserts.
        let mut up = conn.prepare_cached(if opened {
            "INSERT INTO ledger_entries (txn_id, account_id, amount_micros) VALUES (?1, ?2, ?3)"
        } else {
            "INSERT INTO ledger_entries (txn_id, account_id, amount_micros) VALUES (?1, ?2, ?3)
             ON CONFLICT (txn_id, account_id) DO UPDATE SET amount_micros = amount_micros + excluded.amount_micros"
        })?;
        up.execute(params![txn_id, wallet, -micros])?;
        up.execute(params![txn_id, revenue, micros])?;
        debug_assert!(check_txn_sums_to_zero(conn, txn_id).is_ok());
        Ok(())
    }
}

/// Whether any money was ever posted (a payment, an adjustment, usage…).
pub fn any_posted(conn: &Connection) -> Result<bool> {
    Ok(
        conn.query_row("SELECT EXISTS (SELECT 1 FROM ledger_txns)", [], |r| {
            r.get(0)
        })?,
    )
}

/// The balance of an account in micro-units (0 for an account never used).
pub fn balance_micros(conn: &Connection, account: AccountRef, currency: Currency) -> Result<i64> {
    let org = account
        .organization
        .map(|o| o.to_string())
        .unwrap_or_default();
    Ok(conn
        .prepare_cached("SELECT balance_micros FROM ledger_accounts WHERE kind = ?1 AND organization_id = ?2 AND currency = ?3")?
        .query_row(params![account.kind.as_str(), org, currency.code()], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// Revenue recognised in `currency` since `since` (micro-units): the credits
/// to the revenue account by transactions dated from then on.
pub fn revenue_since(conn: &Connection, currency: Currency, since: Timestamp) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT coalesce(-sum(e.amount_micros), 0) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id JOIN ledger_txns t ON t.id = e.txn_id
         WHERE a.kind = 'revenue' AND a.currency = ?1 AND t.at >= ?2",
        params![currency.code(), fmt_ts(&since)],
        |r| r.get(0),
    )?)
}
