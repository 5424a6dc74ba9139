//! Secrets — provider tokens, the PayPal client secret, the SMTP password,
//! the portal sync token — behind one small interface, [`SecretStore`].
//!
//! [`Keyring`] keeps them in the operating system's keyring (Secret Service on
//! Linux, e.g. GNOME Keyring or KWallet; Keychain on macOS; Credential Manager
//! on Windows), which persists them encrypted outside our database.
//! [`MemorySecrets`] is for unit tests. A [`SecretValue`] never prints itself:
//! its `Debug` is redacted and it is not `Serialize`, so it cannot reach
//! SQLite, a log line, an export or an error message by accident.
//!
//! Keys are short names chosen by the caller, e.g. `linode/<account-id>` or
//! `smtp/password`; this crate does not interpret them.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

/// A secret's value. Read it with [`SecretValue::expose`] at the one place it
/// is sent to the service that needs it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    pub fn new(value: impl Into<String>) -> SecretValue {
        SecretValue(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the system keyring is not available ({0}): on Linux, install and unlock GNOME Keyring or KWallet (a Secret Service), then try again")]
    Unavailable(String),
    #[error("the system keyring refused access to {key}: unlock the keyring and try again")]
    Denied { key: String },
    #[error("the system keyring failed for {key}: {message}")]
    Other { key: String, message: String },
}

/// Where secrets live. Implementations must be safe to share between threads.
pub trait SecretStore: Send + Sync {
    fn get(&self, key: &str) -> Result<Option<SecretValue>, SecretError>;
    fn set(&self, key: &str, value: &SecretValue) -> Result<(), SecretError>;
    /// Removes the secret; removing a missing one is not an error.
    fn delete(&self, key: &str) -> Result<(), SecretError>;
}

/// The OS keyring, under one service name (the app uses `containerstacks`;
/// tests use their own so they never touch a user's secrets).
#[derive(Debug, Clone)]
pub struct Keyring {
    service: String,
}

impl Keyring {
    pub fn new(service: impl Into<String>) -> Keyring {
        Keyring {
            service: service.into(),
        }
    }

    fn entry(&self, key: &str) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(&self.service, key).map_err(|e| map_err(key, e))
    }
}

fn map_err(key: &str, e: keyring::Error) -> SecretError {
    match e {
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            let text = inner.to_string();
            if text.contains("locked") || text.contains("denied") || text.contains("dismissed") {
                SecretError::Denied {
                    key: key.to_string(),
                }
            } else {
                SecretError::Unavailable(text)
            }
        }
        other => SecretError::Other {
            key: key.to_string(),
            message: other.to_string(),
        },
    }
}

impl SecretStore for Keyring {
    fn get(&self, key: &str) -> Result<Option<SecretValue>, SecretError> {
        match self.entry(key)?.get_password() {
            Ok(v) => Ok(Some(SecretValue(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_err(key, e)),
        }
    }

    fn set(&self, key: &str, value: &SecretValue) -> Result<(), SecretError> {
        self.entry(key)?
            .set_password(value.expose())
            .map_err(|e| map_err(key, e))?;
        tracing::info!(key, "secret stored in the system keyring");
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), SecretError> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_err(key, e)),
        }
    }
}

/// Secrets in memory, for unit tests of code that uses a [`SecretStore`].
#[derive(Debug, Default)]
pub struct MemorySecrets(Mutex<HashMap<String, SecretValue>>);

impl SecretStore for MemorySecrets {
    fn get(&self, key: &str) -> Result<Option<SecretValue>, SecretError> {
        Ok(self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned())
    }
    fn set(&self, key: &str, value: &SecretValue) -> Result<(), SecretError> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.to_string(), value.clone());
        Ok(())
    }
    fn delete(&self, key: &str) -> Result<(), SecretError> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let v = SecretValue::new("tok-123456");
        assert_eq!(format!("{v:?}"), "SecretValue(<redacted>)");
    }

    #[test]
    fn memory_store_round_trip() {
        let s = MemorySecrets::default();
        assert!(s.get("a").unwrap().is_none());
        s.set("a", &SecretValue::new("x")).unwrap();
        assert_eq!(s.get("a").unwrap().unwrap().expose(), "x");
        s.delete("a").unwrap();
        s.delete("a").unwrap();
        assert!(s.get("a").unwrap().is_none());
    }
}
