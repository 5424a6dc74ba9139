//! Customer accounts: one sign-in per invited contact, with its password
//! hash, its TOTP state and its recovery codes.
//!
//! An account is created when its contact accepts an invitation. Its
//! organization and role are the contact record's (read on every request by
//! [`super::sessions::lookup`]), so a change the desktop pushes applies at
//! once. Removing the contact closes the account ([`close_for_contact`]).

use chrono::{DateTime, Utc};
use cs_sync::record::{ContactV1, Envelope, Kind, Record};

use super::{hash_token, new_id, Result, StorageError};
use crate::db::{DbError, Row, Tx};
use crate::params;

/// The contact record `contact` of the tenant, wherever its organization
/// is now, with that organization's id. For sign-in and links only: what a
/// customer reads goes through the projection with the session's scope.
pub fn contact(
    tx: &mut dyn Tx,
    tenant_id: &str,
    contact: &str,
) -> Result<Option<(String, ContactV1)>> {
    let Some(r) = tx.query_opt(
        "SELECT org, seq, at, version, body FROM records
         WHERE tenant_id = $1 AND kind = 'contact' AND entity = $2",
        params![tenant_id, contact],
    )?
    else {
        return Ok(None);
    };
    let Some(org) = r.opt_text(0)? else {
        return Ok(None);
    };
    let envelope = Envelope {
        seq: r.int(1)? as u64,
        at: r.time(2)?,
        kind: Kind::Contact.as_str().to_string(),
        v: r.int(3)? as u32,
        id: contact.to_string(),
        org: Some(org.clone()),
        body: serde_json::from_str(&r.text(4)?).ok(),
    };
    match envelope.decode() {
        Ok(Some(Record::Contact(c))) => Ok(Some((org, c))),
        Ok(_) => Ok(None),
        Err(e) => Err(StorageError::Sync(e.into())),
    }
}

/// Follows a contact record the desktop changed: the account's organization
/// and name (used for links and mails; requests read the record itself).
pub fn follow_contact(
    tx: &mut dyn Tx,
    tenant_id: &str,
    contact: &str,
    org: &str,
    name: &str,
) -> Result<()> {
    tx.execute(
        "UPDATE accounts SET org = $3, name = $4 WHERE tenant_id = $1 AND contact = $2",
        params![tenant_id, contact, org, name],
    )?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub tenant_id: String,
    pub contact: String,
    pub org: String,
    pub name: String,
    pub email: String,
    pub password_hash: String,
    pub totp_secret: Option<Vec<u8>>,
    pub totp_enabled: bool,
    pub totp_last_step: Option<i64>,
    pub totp_pending: Option<Vec<u8>>,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, tenant_id, contact, org, name, email, password_hash, totp_secret, \
     totp_enabled_at, totp_last_step, totp_pending, created_at, disabled_at";

fn account(r: &Row) -> Result<Account> {
    Ok(Account {
        id: r.text(0)?,
        tenant_id: r.text(1)?,
        contact: r.text(2)?,
        org: r.text(3)?,
        name: r.text(4)?,
        email: r.text(5)?,
        password_hash: r.text(6)?,
        totp_secret: r.opt_bytes(7)?,
        totp_enabled: r.opt_int(8)?.is_some(),
        totp_last_step: r.opt_int(9)?,
        totp_pending: r.opt_bytes(10)?,
        created_at: r.time(11)?,
        disabled_at: r.opt_time(12)?,
    })
}

/// What an email address is looked up by: trimmed, lower case.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A light check of an email address (the relay has the last word).
pub fn check_email(email: &str) -> std::result::Result<(), String> {
    let e = email.trim();
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        })
        && !e
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
    if ok {
        Ok(())
    } else {
        Err("enter an email address like name@example.com".into())
    }
}

/// The live (not closed) account signing in with `email` at `tenant`.
pub fn by_email(tx: &mut dyn Tx, tenant_id: &str, email: &str) -> Result<Option<Account>> {
    tx.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM accounts WHERE tenant_id = $1 AND email_key = $2 AND disabled_at IS NULL"
        ),
        params![tenant_id, email_key(email)],
    )?
    .as_ref()
    .map(account)
    .transpose()
}

pub fn by_id(tx: &mut dyn Tx, id: &str) -> Result<Option<Account>> {
    tx.query_opt(
        &format!("SELECT {COLUMNS} FROM accounts WHERE id = $1"),
        params![id],
    )?
    .as_ref()
    .map(account)
    .transpose()
}

pub fn by_contact(tx: &mut dyn Tx, tenant_id: &str, contact: &str) -> Result<Option<Account>> {
    tx.query_opt(
        &format!("SELECT {COLUMNS} FROM accounts WHERE tenant_id = $1 AND contact = $2"),
        params![tenant_id, contact],
    )?
    .as_ref()
    .map(account)
    .transpose()
}

/// Why an account cannot take an email address.
fn email_taken() -> StorageError {
    StorageError::Conflict(
        "this email address already signs in to another account on this portal".into(),
    )
}

/// Creates the account of `contact` (accepting an invitation), or sets the
/// new password of its existing account (an invitation sent again). Either
/// way the account is open afterwards.
#[allow(clippy::too_many_arguments)]
pub fn accept_invitation(
    tx: &mut dyn Tx,
    tenant_id: &str,
    contact: &str,
    org: &str,
    name: &str,
    email: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<Account> {
    let existing = by_contact(tx, tenant_id, contact)?;
    let result = match &existing {
        Some(a) if a.disabled_at.is_none() => tx.execute(
            "UPDATE accounts SET password_hash = $2, org = $3, name = $4 WHERE id = $1",
            params![&a.id, password_hash, org, name],
        ),
        // A closed account stays closed: its contact was removed, and a new
        // contact is a new entity with its own account.
        Some(_) => {
            return Err(StorageError::Conflict(
                "this account was closed: ask your provider for a new invitation".into(),
            ))
        }
        None => tx.execute(
            "INSERT INTO accounts (id, tenant_id, contact, org, name, email, email_key, password_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            params![
                new_id(),
                tenant_id,
                contact,
                org,
                name,
                email.trim(),
                email_key(email),
                password_hash,
                now
            ],
        ),
    };
    match result {
        Err(DbError::Unique(_)) => return Err(email_taken()),
        other => other?,
    };
    by_contact(tx, tenant_id, contact)?.ok_or(StorageError::NotFound)
}

pub fn set_password(tx: &mut dyn Tx, id: &str, password_hash: &str) -> Result<()> {
    tx.execute(
        "UPDATE accounts SET password_hash = $2 WHERE id = $1",
        params![id, password_hash],
    )?;
    Ok(())
}

/// Whether another account of the tenant signs in with `email`.
pub fn email_in_use(tx: &mut dyn Tx, tenant_id: &str, email: &str) -> Result<bool> {
    Ok(tx
        .query_opt(
            "SELECT id FROM accounts WHERE tenant_id = $1 AND email_key = $2",
            params![tenant_id, email_key(email)],
        )?
        .is_some())
}

pub fn set_email(tx: &mut dyn Tx, id: &str, email: &str) -> Result<()> {
    match tx.execute(
        "UPDATE accounts SET email = $2, email_key = $3 WHERE id = $1",
        params![id, email.trim(), email_key(email)],
    ) {
        Err(DbError::Unique(_)) => Err(email_taken()),
        other => other.map(|_| ()).map_err(Into::into),
    }
}

/// Keeps a new TOTP secret until a code from it enables it.
pub fn set_totp_pending(tx: &mut dyn Tx, id: &str, secret: &[u8]) -> Result<()> {
    tx.execute(
        "UPDATE accounts SET totp_pending = $2 WHERE id = $1",
        params![id, secret.to_vec()],
    )?;
    Ok(())
}

/// Turns the pending secret on, remembering the step its first code used.
/// `false` when the pending secret changed meanwhile (another setup).
pub fn enable_totp(
    tx: &mut dyn Tx,
    id: &str,
    secret: &[u8],
    step: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE accounts SET totp_secret = totp_pending, totp_pending = NULL,
             totp_enabled_at = $3, totp_last_step = $4
         WHERE id = $1 AND totp_pending = $2",
        params![id, secret.to_vec(), now, step],
    )? == 1)
}

pub fn disable_totp(tx: &mut dyn Tx, id: &str) -> Result<()> {
    tx.execute(
        "UPDATE accounts SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL,
             totp_pending = NULL
         WHERE id = $1",
        params![id],
    )?;
    tx.execute(
        "DELETE FROM recovery_codes WHERE account_id = $1",
        params![id],
    )?;
    Ok(())
}

/// Takes the TOTP step of a correct code: `false` when that step, or a
/// later one, was used already (a replayed code).
pub fn take_totp_step(tx: &mut dyn Tx, id: &str, step: i64) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE accounts SET totp_last_step = $2
         WHERE id = $1 AND totp_enabled_at IS NOT NULL
           AND (totp_last_step IS NULL OR totp_last_step < $2)",
        params![id, step],
    )? == 1)
}

/// Recovery codes: ten per account, 80 random bits each. They are stored
/// as SHA-256 of the account id and the normalized code: with 80 bits of
/// entropy a guess costs 2^80 hashes whatever the hash's speed, so a slow
/// hash would add nothing but work at every sign-in.
pub const RECOVERY_CODES: usize = 10;

/// Crockford's base-32 alphabet (no I, L, O, U).
const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn normalize_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

fn recovery_hash(account_id: &str, code: &str) -> String {
    hash_token(&format!("{account_id}:{}", normalize_recovery_code(code)))
}

/// Replaces the account's recovery codes with ten new ones, returned once
/// (`XXXX-XXXX-XXXX-XXXX`).
pub fn new_recovery_codes(tx: &mut dyn Tx, id: &str) -> Result<Vec<String>> {
    use rand::Rng;
    tx.execute(
        "DELETE FROM recovery_codes WHERE account_id = $1",
        params![id],
    )?;
    let mut rng = rand::rng();
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let raw: String = (0..16)
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
            .collect();
        let code = format!(
            "{}-{}-{}-{}",
            &raw[..4],
            &raw[4..8],
            &raw[8..12],
            &raw[12..]
        );
        tx.execute(
            "INSERT INTO recovery_codes (account_id, code_hash) VALUES ($1, $2)",
            params![id, recovery_hash(id, &code)],
        )?;
        codes.push(code);
    }
    Ok(codes)
}

/// Uses a recovery code once: `false` when it is unknown or used.
pub fn use_recovery_code(
    tx: &mut dyn Tx,
    id: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE recovery_codes SET used_at = $3
         WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL",
        params![id, recovery_hash(id, code), now],
    )? == 1)
}

/// How many unused recovery codes the account has left.
pub fn recovery_codes_left(tx: &mut dyn Tx, id: &str) -> Result<i64> {
    Ok(tx
        .query_one(
            "SELECT count(*) FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL",
            params![id],
        )?
        .int(0)?)
}

/// Closes the account of a removed contact: it can no longer sign in, its
/// sessions and pending links stop working, and its email address is free
/// for a new account. Returns the closed account's id.
pub fn close_for_contact(
    tx: &mut dyn Tx,
    tenant_id: &str,
    contact: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    let Some(row) = tx.query_opt(
        "UPDATE accounts SET disabled_at = $3, email_key = 'closed:' || id
         WHERE tenant_id = $1 AND contact = $2 AND disabled_at IS NULL
         RETURNING id",
        params![tenant_id, contact, now],
    )?
    else {
        return Ok(None);
    };
    let id = row.text(0)?;
    super::sessions::revoke_all(tx, &id, None, now)?;
    super::tokens::invalidate_account(tx, &id, now)?;
    Ok(Some(id))
}
