//! Prepaid wallets: payments, adjustments, refunds, balances and statements.
//!
//! One wallet per organization and currency (a ledger account of kind
//! `wallet`). Staff record manual payments (bank transfer, cash) with their
//! reference, which is the idempotency key: recording the same payment twice
//! returns the first, recording a different payment under a used reference is
//! refused. Every payment gets a receipt; every payment and adjustment is
//! written to the activity log; a payment that lifts the balance above the
//! suspension limit returns the `Unsuspend` decision at once.

use cs_core::ledger::{AccountKind, Entry};
use cs_core::money::{micros_to_minor_rounded, MICROS_PER_UNIT};
use cs_core::{Currency, Money, OrganizationId, Timestamp};
use cs_store::activity::{append, NewActivity};
use cs_store::parse_ts;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::documents::{self, DocumentSummary, LineDraft};
use crate::dunning::{self, Decision};
use crate::error::{BillingError, Result};
use crate::ledger::{balance_micros, post, AccountRef, NewTxn, Posted, TxnKind};
use crate::settings::BillingSettings;
use cs_core::DocumentKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    BankTransfer,
    Cash,
    Paypal,
    Other,
}

impl PaymentMethod {
    pub fn as_str(&self) -> &'static str {
        match self {
            PaymentMethod::BankTransfer => "bank_transfer",
            PaymentMethod::Cash => "cash",
            PaymentMethod::Paypal => "paypal",
            PaymentMethod::Other => "other",
        }
    }
    pub fn display(&self) -> &'static str {
        match self {
            PaymentMethod::BankTransfer => "bank transfer",
            PaymentMethod::Cash => "cash",
            PaymentMethod::Paypal => "PayPal",
            PaymentMethod::Other => "other means",
        }
    }
}

/// A payment received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub organization_id: OrganizationId,
    pub amount: Money,
    pub method: PaymentMethod,
    /// The bank reference, cash receipt number or PayPal capture id: unique
    /// per method, and the idempotency key of the payment.
    pub reference: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentRecorded {
    pub txn_id: i64,
    /// The same payment had been recorded before; nothing new was written.
    pub already_recorded: bool,
    pub receipt: DocumentSummary,
    pub balance: Money,
    pub decisions: Vec<Decision>,
}

fn per_minor(c: Currency) -> i64 {
    MICROS_PER_UNIT / 10i64.pow(c.exponent())
}

/// Records a payment into the organization's wallet, with its receipt.
pub fn record_payment(
    conn: &Connection,
    p: &NewPayment,
    now: Timestamp,
    actor: &str,
) -> Result<PaymentRecorded> {
    let reference = p.reference.trim();
    if reference.is_empty() {
        return Err(BillingError::MissingReference);
    }
    if p.amount.minor <= 0 {
        return Err(BillingError::NonPositivePayment);
    }
    let cust = documents::customer(conn, p.organization_id)?;
    let key = format!("payment:{}:{reference}", p.method.as_str());
    let micros = p
        .amount
        .minor
        .checked_mul(per_minor(p.amount.currency))
        .ok_or(BillingError::AmountTooLarge)?;
    let receipt_id = uuid::Uuid::new_v4().to_string();
    let posted = post(
        conn,
        &NewTxn {
            idem_key: key.clone(),
            kind: TxnKind::Payment,
            organization: Some(p.organization_id),
            currency: p.amount.currency,
            at: now,
            month: None,
            memo: format!("Payment by {}, ref {reference}", p.method.display()),
            actor: actor.to_string(),
            document_id: Some(receipt_id.clone()),
            entries: vec![
                Entry {
                    account: AccountRef::wallet(p.organization_id),
                    amount_micros: micros,
                },
                Entry {
                    account: AccountRef::house(AccountKind::PaymentClearing),
                    amount_micros: -micros,
                },
            ],
        },
    )?;
    let receipt_key = format!("receipt:{key}");
    let balance = wallet_balance(conn, p.organization_id, p.amount.currency)?;
    if let Posted::AlreadyPosted(txn_id) = posted {
        let id: String = conn.query_row(
            "SELECT id FROM documents WHERE idem_key = ?1",
            [&receipt_key],
            |r| r.get(0),
        )?;
        return Ok(PaymentRecorded {
            txn_id,
            already_recorded: true,
            receipt: documents::get_summary(conn, &id)?,
            balance,
            decisions: Vec::new(),
        });
    }
    let settings = BillingSettings::load(conn)?;
    let treatment = cs_core::tax::TaxTreatment::NotTaxed;
    let lines = [LineDraft {
        description: format!("Prepayment to the wallet by {}, ref {reference} (tax is charged on the usage invoices)", p.method.display()),
        server_id: None,
        item: None,
        quantity_hours: None,
        unit_rate_micros: None,
        amount_micros: micros,
        capped: false,
    }];
    let receipt = documents::write_and_issue(
        conn,
        &settings,
        &receipt_id,
        DocumentKind::Receipt,
        &receipt_key,
        p.organization_id,
        p.amount.currency,
        None,
        &cust,
        &treatment,
        &lines,
        None,
        None,
        Some(reference),
        p.note.as_deref(),
        Some(posted.txn_id()),
        now,
    )?;
    append(
        conn,
        &NewActivity {
            at: now,
            actor,
            action: "payment.recorded",
            subject_kind: "organization",
            subject_id: Some(p.organization_id.to_string()),
            organization_id: Some(p.organization_id.to_string()),
            summary: format!(
                "Recorded {} by {} from {} (ref {reference}); balance {}",
                p.amount,
                p.method.display(),
                cust.name,
                balance
            ),
        },
    )?;
    let decisions = dunning::evaluate(conn, p.organization_id, now)?
        .into_iter()
        .collect();
    Ok(PaymentRecorded {
        txn_id: posted.txn_id(),
        already_recorded: false,
        receipt,
        balance,
        decisions,
    })
}

/// A manual correction of a wallet by staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAdjustment {
    pub organization_id: OrganizationId,
    /// Positive credits the wallet, negative debits it.
    pub amount: Money,
    pub reason: String,
    /// Idempotency key chosen by the caller (a UUID made when the form opened).
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdjustmentRecorded {
    pub txn_id: i64,
    pub already_recorded: bool,
    pub balance: Money,
    pub decisions: Vec<Decision>,
}

pub fn record_adjustment(
    conn: &Connection,
    a: &NewAdjustment,
    now: Timestamp,
    actor: &str,
) -> Result<AdjustmentRecorded> {
    if a.reason.trim().is_empty() {
        return Err(BillingError::MissingReason {
            what: "an adjustment",
        });
    }
    if a.amount.minor == 0 {
        return Err(BillingError::ZeroAdjustment);
    }
    let cust = documents::customer(conn, a.organization_id)?;
    let micros = a
        .amount
        .minor
        .checked_mul(per_minor(a.amount.currency))
        .ok_or(BillingError::AmountTooLarge)?;
    let posted = post(
        conn,
        &NewTxn {
            idem_key: format!("adjustment:{}", a.key),
            kind: TxnKind::Adjustment,
            organization: Some(a.organization_id),
            currency: a.amount.currency,
            at: now,
            month: None,
            memo: format!("Adjustment: {}", a.reason.trim()),
            actor: actor.to_string(),
            document_id: None,
            entries: vec![
                Entry {
                    account: AccountRef::wallet(a.organization_id),
                    amount_micros: micros,
                },
                Entry {
                    account: AccountRef::house(AccountKind::Adjustments),
                    amount_micros: -micros,
                },
            ],
        },
    )?;
    let balance = wallet_balance(conn, a.organization_id, a.amount.currency)?;
    if let Posted::AlreadyPosted(txn_id) = posted {
        return Ok(AdjustmentRecorded {
            txn_id,
            already_recorded: true,
            balance,
            decisions: Vec::new(),
        });
    }
    append(
        conn,
        &NewActivity {
            at: now,
            actor,
            action: "wallet.adjusted",
            subject_kind: "organization",
            subject_id: Some(a.organization_id.to_string()),
            organization_id: Some(a.organization_id.to_string()),
            summary: format!(
                "Adjusted the wallet of {} by {}: {}; balance {}",
                cust.name,
                a.amount,
                a.reason.trim(),
                balance
            ),
        },
    )?;
    let decisions = dunning::evaluate(conn, a.organization_id, now)?
        .into_iter()
        .collect();
    Ok(AdjustmentRecorded {
        txn_id: posted.txn_id(),
        already_recorded: false,
        balance,
        decisions,
    })
}

/// Money paid back out of a wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefund {
    pub organization_id: OrganizationId,
    pub amount: Money,
    pub method: PaymentMethod,
    /// The refund's own id (PayPal refund id, bank reference): its idempotency key.
    pub reference: String,
    pub reason: String,
    /// The receipt of the payment being paid back: the credit note names it
    /// as the document it corrects.
    pub receipt_id: String,
}

/// Records money paid back out of a wallet (e.g. a PayPal refund) with a
/// credit note; a retried refund with the same reference is recorded once.
pub fn refund(
    conn: &Connection,
    r: &NewRefund,
    now: Timestamp,
    actor: &str,
) -> Result<DocumentSummary> {
    let (org, amount, method, reference, reason) = (
        r.organization_id,
        r.amount,
        r.method,
        r.reference.as_str(),
        r.reason.as_str(),
    );
    if amount.minor <= 0 || reference.trim().is_empty() || reason.trim().is_empty() {
        return Err(BillingError::IncompleteRefund);
    }
    let key = format!("refund:{}:{}", method.as_str(), reference.trim());
    if let Some(id) = conn
        .query_row(
            "SELECT id FROM documents WHERE idem_key = ?1",
            [&key],
            |r| r.get::<_, String>(0),
        )
        .optional()?
    {
        return documents::get_summary(conn, &id);
    }
    let micros = amount
        .minor
        .checked_mul(per_minor(amount.currency))
        .ok_or(BillingError::AmountTooLarge)?;
    let id = uuid::Uuid::new_v4().to_string();
    let posted = post(
        conn,
        &NewTxn {
            idem_key: key.clone(),
            kind: TxnKind::Refund,
            organization: Some(org),
            currency: amount.currency,
            at: now,
            month: None,
            memo: format!(
                "Refund by {}, ref {}: {}",
                method.display(),
                reference.trim(),
                reason.trim()
            ),
            actor: actor.to_string(),
            document_id: Some(id.clone()),
            entries: vec![
                Entry {
                    account: AccountRef::wallet(org),
                    amount_micros: -micros,
                },
                Entry {
                    account: AccountRef::house(AccountKind::PaymentClearing),
                    amount_micros: micros,
                },
            ],
        },
    )?;
    let settings = BillingSettings::load(conn)?;
    let cust = documents::customer(conn, org)?;
    let lines = [LineDraft {
        description: format!(
            "Refund of prepaid balance by {}, ref {}",
            method.display(),
            reference.trim()
        ),
        server_id: None,
        item: None,
        quantity_hours: None,
        unit_rate_micros: None,
        amount_micros: -micros,
        capped: false,
    }];
    let s = documents::write_and_issue(
        conn,
        &settings,
        &id,
        DocumentKind::CreditNote,
        &key,
        org,
        amount.currency,
        None,
        &cust,
        &cs_core::tax::TaxTreatment::NotTaxed,
        &lines,
        None,
        Some(r.receipt_id.as_str()),
        Some(reference.trim()),
        Some(reason.trim()),
        Some(posted.txn_id()),
        now,
    )?;
    append(
        conn,
        &NewActivity {
            at: now,
            actor,
            action: "wallet.refunded",
            subject_kind: "organization",
            subject_id: Some(org.to_string()),
            organization_id: Some(org.to_string()),
            summary: format!(
                "Refunded {amount} to {} by {} (ref {}): {}",
                cust.name,
                method.display(),
                reference.trim(),
                reason.trim()
            ),
        },
    )?;
    Ok(s)
}

/// The balance, rounded to the minor unit (half away from zero) for display
/// and dunning; the ledger keeps micro-units.
pub fn wallet_balance(conn: &Connection, org: OrganizationId, currency: Currency) -> Result<Money> {
    let micros = balance_micros(conn, AccountRef::wallet(org), currency)?;
    Ok(Money::new(
        micros_to_minor_rounded(micros, currency),
        currency,
    ))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WalletView {
    pub organization_id: String,
    pub organization_name: String,
    pub currency: Currency,
    pub balance_micros: i64,
    pub balance_minor: i64,
    pub low_balance_threshold_minor: i64,
    /// Dunning state: good, grace, suspended, terminated.
    pub state: String,
    pub state_since: Option<Timestamp>,
}

/// Every organization's wallet in the reseller's currency (organizations
/// without any movement show a zero balance), by organization name.
pub fn list_wallets(conn: &Connection) -> Result<Vec<WalletView>> {
    let s = BillingSettings::load(conn)?;
    let balances: std::collections::HashMap<String, i64> = conn
        .prepare_cached(
            "SELECT organization_id, balance_micros FROM ledger_accounts WHERE kind = 'wallet' AND currency = ?1",
        )?
        .query_map([s.currency.code()], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    type Dunning = (Option<i64>, String, Option<String>);
    let customers: std::collections::HashMap<String, Dunning> = conn
        .prepare_cached(
            "SELECT organization_id, low_balance_threshold_minor, state, state_since FROM billing_customers",
        )?
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))?
        .collect::<rusqlite::Result<_>>()?;
    cs_store::orgs::list_organizations(conn)?
        .into_iter()
        .map(|o| {
            let id = o.id.to_string();
            let micros = balances.get(&id).copied().unwrap_or(0);
            let (threshold, state, since) =
                customers
                    .get(&id)
                    .cloned()
                    .unwrap_or((None, "good".into(), None));
            Ok(WalletView {
                organization_id: id,
                organization_name: o.name,
                currency: s.currency,
                balance_micros: micros,
                balance_minor: micros_to_minor_rounded(micros, s.currency),
                low_balance_threshold_minor: threshold.unwrap_or(s.low_balance_threshold_minor),
                state,
                state_since: since.as_deref().map(parse_ts).transpose()?,
            })
        })
        .collect()
}

/// The Billing overview's figures over every wallet, as aggregates in SQL
/// (no wallet is read into memory but those in grace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletSummary {
    /// The sum of the wallets' balances, each rounded to minor units as
    /// [`WalletView::balance_minor`] is.
    pub total_minor: i64,
    /// Customers in good standing at or below their low-balance threshold.
    pub low: i64,
    pub suspended: i64,
    /// The wallets in grace, by customer name.
    pub in_grace: Vec<WalletView>,
}

pub fn wallet_summary(conn: &Connection) -> Result<WalletSummary> {
    let s = BillingSettings::load(conn)?;
    let (currency, per_minor, default_threshold) = (
        s.currency.code(),
        s.currency.micros_per_minor(),
        s.low_balance_threshold_minor,
    );
    // Customers with a wallet account: its balance in minor units, half away
    // from zero as `micros_to_minor_rounded`, and their dunning state (good
    // when they have none yet).
    let (with_account, total_minor, low_with_account): (i64, i64, i64) = conn
        .prepare_cached(
            "SELECT count(*), COALESCE(sum(minor), 0),
                    COALESCE(sum(state = 'good' AND minor <= COALESCE(threshold, ?3)), 0)
             FROM (SELECT CASE WHEN a.balance_micros >= 0 THEN (a.balance_micros + ?2 / 2) / ?2
                               ELSE -((?2 / 2 - a.balance_micros) / ?2) END AS minor,
                          COALESCE(bc.state, 'good') AS state,
                          bc.low_balance_threshold_minor AS threshold
                   FROM ledger_accounts a
                   LEFT JOIN billing_customers bc ON bc.organization_id = a.organization_id
                   WHERE a.kind = 'wallet' AND a.currency = ?1)",
        )?
        .query_row(params![currency, per_minor, default_threshold], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    // Customers with a dunning record but no wallet account yet: balance 0.
    let (billing_only, low_billing_only, suspended): (i64, i64, i64) = conn
        .prepare_cached(
            "SELECT COALESCE(sum(NOT has_account), 0),
                    COALESCE(sum(NOT has_account AND state = 'good' AND 0 <= COALESCE(threshold, ?2)), 0),
                    COALESCE(sum(state = 'suspended'), 0)
             FROM (SELECT bc.state, bc.low_balance_threshold_minor AS threshold,
                          EXISTS (SELECT 1 FROM ledger_accounts a
                                  WHERE a.kind = 'wallet' AND a.currency = ?1
                                    AND a.organization_id = bc.organization_id) AS has_account
                   FROM billing_customers bc)",
        )?
        .query_row(params![currency, default_threshold], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    // The others have neither: a balance of 0 and the default threshold.
    let neither = cs_store::orgs::count(conn)? - with_account - billing_only;
    let low = low_with_account
        + low_billing_only
        + if 0 <= default_threshold {
            neither.max(0)
        } else {
            0
        };
    let grace: Vec<String> = conn
        .prepare_cached("SELECT organization_id FROM billing_customers WHERE state = 'grace'")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let in_grace = grace
        .iter()
        .map(|id| {
            let org = id.parse::<OrganizationId>().map_err(|_| {
                BillingError::Store(cs_store::StoreError::Corrupt(format!(
                    "organization id {id:?}"
                )))
            })?;
            wallet(conn, org)
        })
        .collect::<Result<Vec<_>>>()?;
    // By customer name, as the customers list sorts them.
    let mut in_grace = in_grace;
    in_grace.sort_by(|a, b| {
        (a.organization_name.to_lowercase(), &a.organization_id)
            .cmp(&(b.organization_name.to_lowercase(), &b.organization_id))
    });
    Ok(WalletSummary {
        total_minor,
        low,
        suspended,
        in_grace,
    })
}

/// One organization's wallet, as [`list_wallets`] shows it (reads that
/// organization's rows only).
pub fn wallet(conn: &Connection, org: OrganizationId) -> Result<WalletView> {
    let o = cs_store::orgs::get_organization(conn, org)?.ok_or_else(|| BillingError::NotFound {
        what: "organization",
        id: org.to_string(),
    })?;
    let s = BillingSettings::load(conn)?;
    let id = org.to_string();
    let micros: i64 = conn
        .prepare_cached(
            "SELECT balance_micros FROM ledger_accounts WHERE kind = 'wallet' AND organization_id = ?1 AND currency = ?2",
        )?
        .query_row(params![id, s.currency.code()], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    let (threshold, state, since): (Option<i64>, String, Option<String>) = conn
        .prepare_cached(
            "SELECT low_balance_threshold_minor, state, state_since FROM billing_customers WHERE organization_id = ?1",
        )?
        .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
        .unwrap_or((None, "good".into(), None));
    Ok(WalletView {
        organization_id: id,
        organization_name: o.name,
        currency: s.currency,
        balance_micros: micros,
        balance_minor: micros_to_minor_rounded(micros, s.currency),
        low_balance_threshold_minor: threshold.unwrap_or(s.low_balance_threshold_minor),
        state,
        state_since: since.as_deref().map(parse_ts).transpose()?,
    })
}

/// One line of a wallet statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WalletEntry {
    pub txn_id: i64,
    pub at: Timestamp,
    pub kind: String,
    pub memo: String,
    pub amount_micros: i64,
    pub document_id: Option<String>,
}

/// One page of the wallet's movements, newest first ([`cs_store::page`];
/// a transaction moves a wallet once, so its id is both order and
/// tie-breaker, served by `ledger_entries_by_account`).
pub fn wallet_entries_page(
    conn: &Connection,
    org: OrganizationId,
    currency: Currency,
    from: &cs_store::page::From,
    limit: u32,
) -> Result<cs_store::page::Page<WalletEntry>> {
    let account: Option<i64> = conn
        .query_row(
            "SELECT id FROM ledger_accounts WHERE kind = 'wallet' AND organization_id = ?1 AND currency = ?2",
            params![org.to_string(), currency.code()],
            |r| r.get(0),
        )
        .optional()?;
    let Some(account) = account else {
        return Ok(cs_store::page::Page {
            rows: Vec::new(),
            next: None,
            prev: None,
            total: 0,
        });
    };
    let mut k = cs_store::page::Keyset {
        from: "ledger_entries e JOIN ledger_txns t ON t.id = e.txn_id",
        count_from: "ledger_entries e",
        columns: "t.id, t.at, t.kind, t.memo, e.amount_micros, t.document_id",
        // Text, as cursors carry ids; zero-padded, so it orders as the id does.
        id: "printf('%020d', e.txn_id)",
        sort: "e.txn_id",
        desc: true,
        filters: Vec::new(),
        params: Vec::new(),
    };
    k.filter(
        "e.account_id = ?",
        [rusqlite::types::Value::Integer(account)],
    );
    let page = k.read(conn, from, limit, |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, Option<String>>(5)?,
        ))
    })?;
    let rows = page
        .rows
        .into_iter()
        .map(|(txn_id, at, kind, memo, amount_micros, document_id)| {
            Ok(WalletEntry {
                txn_id,
                at: parse_ts(&at)?,
                kind,
                memo,
                amount_micros,
                document_id,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(cs_store::page::Page {
        rows,
        next: page.next,
        prev: page.prev,
        total: page.total,
    })
}

/// The wallet's movements, newest first; pass the last `txn_id` seen as
/// `before_txn` for the next page.
pub fn wallet_entries(
    conn: &Connection,
    org: OrganizationId,
    currency: Currency,
    limit: i64,
    before_txn: Option<i64>,
) -> Result<Vec<WalletEntry>> {
    let account: Option<i64> = conn
        .query_row(
            "SELECT id FROM ledger_accounts WHERE kind = 'wallet' AND organization_id = ?1 AND currency = ?2",
            params![org.to_string(), currency.code()],
            |r| r.get(0),
        )
        .optional()?;
    let Some(account) = account else {
        return Ok(Vec::new());
    };
    let mut stmt = conn.prepare(
        "SELECT t.id, t.at, t.kind, t.memo, e.amount_micros, t.document_id FROM ledger_entries e JOIN ledger_txns t ON t.id = e.txn_id
         WHERE e.account_id = ?1 AND (?2 IS NULL OR e.txn_id < ?2) ORDER BY e.txn_id DESC LIMIT ?3",
    )?;
    let rows = stmt
        .query_map(params![account, before_txn, limit], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(txn_id, at, kind, memo, amount_micros, document_id)| {
            Ok(WalletEntry {
                txn_id,
                at: parse_ts(&at)?,
                kind,
                memo,
                amount_micros,
                document_id,
            })
        })
        .collect()
}
