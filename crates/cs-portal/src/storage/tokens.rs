//! Single-use tokens mailed to customers: invitations (7 days), password
//! resets (1 hour) and email confirmations (24 hours). Only their SHA-256 is
//! stored; a token is taken once, atomically, and then never works again.

use chrono::{DateTime, Duration, Utc};

use super::{hash_token, new_token, Result};
use crate::db::{Row, Tx};
use crate::params;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Invitation,
    PasswordReset,
    EmailChange,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Invitation => "invitation",
            Purpose::PasswordReset => "password_reset",
            Purpose::EmailChange => "email_change",
        }
    }

    /// How long a token of this purpose works.
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::Invitation => Duration::days(7),
            Purpose::PasswordReset => Duration::hours(1),
            Purpose::EmailChange => Duration::hours(24),
        }
    }
}

/// A token's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub tenant_id: String,
    pub account_id: Option<String>,
    pub contact: Option<String>,
    /// For an invitation: the contact's organization.
    pub org: Option<String>,
    /// Where it was mailed (for an email change: the new address).
    pub email: String,
    /// For an invitation: the invitation record's id.
    pub source: Option<String>,
    pub expires_at: DateTime<Utc>,
}

fn read(r: &Row) -> Result<Token> {
    Ok(Token {
        tenant_id: r.text(0)?,
        account_id: r.opt_text(1)?,
        contact: r.opt_text(2)?,
        org: r.opt_text(3)?,
        email: r.text(4)?,
        source: r.opt_text(5)?,
        expires_at: r.time(6)?,
    })
}

const COLUMNS: &str = "tenant_id, account_id, contact, org, email, source, expires_at";

/// What a new token is for.
pub struct Issue<'a> {
    pub purpose: Purpose,
    pub tenant_id: &'a str,
    pub account_id: Option<&'a str>,
    pub contact: Option<&'a str>,
    pub org: Option<&'a str>,
    pub email: &'a str,
    pub source: Option<&'a str>,
}

/// Issues a token; `None` when one was issued for the same source already
/// (an invitation record pushed again).
pub fn issue(tx: &mut dyn Tx, t: Issue<'_>, now: DateTime<Utc>) -> Result<Option<String>> {
    let (token, hash) = new_token();
    let n = tx.execute(
        "INSERT INTO tokens (token_hash, purpose, tenant_id, account_id, contact, org, email,
             source, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (tenant_id, purpose, source) DO NOTHING",
        params![
            hash,
            t.purpose.as_str(),
            t.tenant_id,
            t.account_id,
            t.contact,
            t.org,
            t.email,
            t.source,
            now,
            now + t.purpose.lifetime()
        ],
    )?;
    Ok((n == 1).then_some(token))
}

/// A token of `purpose` that is still good, without using it.
pub fn peek(
    tx: &mut dyn Tx,
    purpose: Purpose,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Token>> {
    tx.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM tokens
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3"
        ),
        params![hash_token(token), purpose.as_str(), now],
    )?
    .as_ref()
    .map(read)
    .transpose()
}

/// Uses a token of `purpose`: its row if it was still good (it is not any
/// more), `None` if it is unknown, used or expired.
pub fn take(
    tx: &mut dyn Tx,
    purpose: Purpose,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Token>> {
    tx.query_opt(
        &format!(
            "UPDATE tokens SET used_at = $3
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
             RETURNING {COLUMNS}"
        ),
        params![hash_token(token), purpose.as_str(), now],
    )?
    .as_ref()
    .map(read)
    .transpose()
}

/// Ends every pending token of an account (a closed account, a password
/// set by another way).
pub fn invalidate_account(tx: &mut dyn Tx, account_id: &str, now: DateTime<Utc>) -> Result<u64> {
    Ok(tx.execute(
        "UPDATE tokens SET used_at = $2 WHERE account_id = $1 AND used_at IS NULL",
        params![account_id, now],
    )?)
}

/// Ends every pending token of one purpose of an account (the other reset
/// links once one was used).
pub fn invalidate_purpose(
    tx: &mut dyn Tx,
    account_id: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(tx.execute(
        "UPDATE tokens SET used_at = $3 WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL",
        params![account_id, purpose.as_str(), now],
    )?)
}

/// Ends the pending invitations of a contact (removed on the desktop).
pub fn invalidate_contact(
    tx: &mut dyn Tx,
    tenant_id: &str,
    contact: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(tx.execute(
        "UPDATE tokens SET used_at = $3 WHERE tenant_id = $1 AND contact = $2 AND used_at IS NULL",
        params![tenant_id, contact, now],
    )?)
}

/// Ends the token of one invitation (withdrawn on the desktop).
pub fn invalidate_source(
    tx: &mut dyn Tx,
    tenant_id: &str,
    purpose: Purpose,
    source: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(tx.execute(
        "UPDATE tokens SET used_at = $4
         WHERE tenant_id = $1 AND purpose = $2 AND source = $3 AND used_at IS NULL",
        params![tenant_id, purpose.as_str(), source, now],
    )?)
}
