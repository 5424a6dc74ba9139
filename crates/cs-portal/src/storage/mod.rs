//! Everything the portal stores, as functions over one transaction ([`Tx`](crate::db::Tx)):
//! written once, run on SQLite or PostgreSQL alike.
//!
//! - [`tenants`]: resellers, their pairing codes and sync tokens;
//! - [`projection`]: applying a desktop's push, and reading the records
//!   customers see (always by tenant and organization);
//! - [`accounts`], [`sessions`], [`tokens`]: customers' sign-ins, their
//!   server-side sessions and the single-use links mailed to them;
//! - [`intents`]: customers' requests waiting for the desktop;
//! - [`limits`]: rate-limit counters; [`audit`]: who did what;
//!   [`mail_queue`]: mail waiting for the relay; [`housekeeping`]: what
//!   is deleted when.
//!
//! Every read a customer can reach takes the tenant and organization from the
//! caller's session (see [`crate::auth`]); no function here takes them from a
//! request.

pub mod accounts;
pub mod audit;
pub mod housekeeping;
pub mod intents;
pub mod limits;
pub mod mail_queue;
pub mod projection;
pub mod sessions;
pub mod tenants;
pub mod tokens;

use crate::db::DbError;

/// What storage functions fail with.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// A push refused by the protocol (gap, unreadable record …).
    #[error("{}", .0.message)]
    Sync(cs_sync::ErrorBody),
    #[error("{0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// A fresh random token (32 bytes, URL-safe base64) and the SHA-256 hex of
/// it, which is all the database keeps.
pub fn new_token() -> (String, String) {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

/// The stored form of a token: SHA-256 in hex. Tokens are 256 random bits,
/// so a fast hash is enough (unlike passwords).
pub fn hash_token(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new id for a row the portal creates itself.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
