//! Where each secret lives in the OS keyring: the one place that names the
//! keys. Every key starts with `db/<database id>/`, the random id this
//! database was given at its first open (setting `database.id`), so two
//! installations on one machine (two data folders) never share a secret.
//!
//! Keys of before this scheme (`smtp/password`, `paypal/secret`,
//! `linode/<account id>/token`) are moved once at start
//! ([`App::move_legacy_secrets`](crate::App)): read the old key, write the new
//! one, delete the old; a later start finds nothing to move.

use cs_secrets::SecretStore;
use cs_store::{settings, Store};

use crate::{AppError, AppResult};

/// The setting that holds this database's id.
pub(crate) const DATABASE_ID_KEY: &str = "database.id";

/// The keyring keys of one database's secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretKeys {
    database_id: String,
}

impl SecretKeys {
    pub fn new(database_id: impl Into<String>) -> SecretKeys {
        SecretKeys {
            database_id: database_id.into(),
        }
    }

    /// The id of the database these keys belong to.
    pub fn database_id(&self) -> &str {
        &self.database_id
    }

    fn key(&self, rest: &str) -> String {
        format!("db/{}/{rest}", self.database_id)
    }

    /// The SMTP password of Settings → Email.
    pub fn smtp_password(&self) -> String {
        self.key("smtp/password")
    }

    /// The PayPal REST app's secret.
    pub fn paypal_secret(&self) -> String {
        self.key("paypal/secret")
    }

    /// The personal access token of one Linode account.
    pub fn linode_token(&self, account_id: &str) -> String {
        self.key(&format!("linode/{account_id}/token"))
    }

    /// The personal access token of one DigitalOcean account.
    pub fn digitalocean_token(&self, account_id: &str) -> String {
        self.key(&format!("digitalocean/{account_id}/token"))
    }

    /// The sync token of the paired customer portal.
    pub fn portal_token(&self) -> String {
        self.key("portal/token")
    }
}

/// The keys of before secrets were keyed by database.
pub mod legacy {
    /// The SMTP password.
    pub const SMTP_PASSWORD: &str = "smtp/password";
    /// The PayPal secret.
    pub const PAYPAL_SECRET: &str = "paypal/secret";
    /// The token of the single Linode account of before migration 0009.
    pub const LINODE_TOKEN: &str = "linode/token";

    /// A Linode account's token.
    pub fn linode_token(account_id: &str) -> String {
        format!("linode/{account_id}/token")
    }
}

/// This database's id, created (a random UUID) at its first open.
pub(crate) fn database_id(store: &Store) -> AppResult<String> {
    if let Some(id) = store.read(|c| Ok::<_, AppError>(settings::get(c, DATABASE_ID_KEY)?))? {
        return Ok(id);
    }
    store.write(|tx| {
        // Another opener may have won the race: keep its id.
        if let Some(id) = settings::get(tx, DATABASE_ID_KEY)? {
            return Ok::<_, AppError>(id);
        }
        let id = crate::new_uuid().to_string();
        settings::set(tx, DATABASE_ID_KEY, &id)?;
        Ok(id)
    })
}

/// Moves one secret from `old` to `new` once: a value already at `new` wins
/// (a move interrupted after the write); the old key is deleted either way.
/// Returns whether anything was at `old`.
pub(crate) fn move_secret(secrets: &dyn SecretStore, old: &str, new: &str) -> AppResult<bool> {
    let Some(value) = secrets.get(old)? else {
        return Ok(false);
    };
    if secrets.get(new)?.is_none() {
        secrets.set(new, &value)?;
    }
    secrets.delete(old)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cs_secrets::{MemorySecrets, SecretValue};

    #[test]
    fn every_key_names_the_database() {
        let k = SecretKeys::new("0d5f");
        assert_eq!(k.smtp_password(), "db/0d5f/smtp/password");
        assert_eq!(k.paypal_secret(), "db/0d5f/paypal/secret");
        assert_eq!(k.linode_token("a1"), "db/0d5f/linode/a1/token");
        assert_eq!(k.portal_token(), "db/0d5f/portal/token");
        assert_eq!(k.digitalocean_token("a2"), "db/0d5f/digitalocean/a2/token");
        assert_ne!(
            SecretKeys::new("one").smtp_password(),
            SecretKeys::new("two").smtp_password()
        );
    }

    #[test]
    fn a_secret_is_moved_once_and_a_newer_value_wins() {
        let s = MemorySecrets::default();
        s.set("old", &SecretValue::new("v1".to_string())).unwrap();
        assert!(move_secret(&s, "old", "new").unwrap());
        assert_eq!(s.get("new").unwrap().unwrap().expose(), "v1");
        assert!(s.get("old").unwrap().is_none());
        // Idempotent: nothing left to move.
        assert!(!move_secret(&s, "old", "new").unwrap());
        assert_eq!(s.get("new").unwrap().unwrap().expose(), "v1");
        // A move interrupted after the write: the new value stays.
        s.set("old", &SecretValue::new("stale".to_string()))
            .unwrap();
        assert!(move_secret(&s, "old", "new").unwrap());
        assert_eq!(s.get("new").unwrap().unwrap().expose(), "v1");
        assert!(s.get("old").unwrap().is_none());
    }
}
