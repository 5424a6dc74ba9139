//! Intents: what a customer asked for on the portal, for the desktop to carry
//! out.
//!
//! The desktop stays the one place where servers and money change. The
//! portal records a customer's request as an [`IntentEnvelope`] with an id it
//! chooses (a UUID), after checking it against what it holds (the caller's
//! role, the server's owner and state). The desktop fetches the intents
//! waiting for it (`GET /sync/v1/intents`, [`IntentsResponse`]), checks each
//! again against its own data at the moment it applies it, applies it at
//! most once (it keys application on the id, so an intent fetched twice, or
//! again after a crash, is never applied twice) and answers with an ordinary
//! record, [`crate::record::IntentResultV1`], whose entity id is the intent's
//! id: applied, or refused with the reason in words for the customer.
//!
//! **Delivery.** The portal hands out an intent until a result for it
//! arrives; once handed out it no longer expires. An intent never handed out
//! expires after the reseller's hold time ([`crate::record::PolicyV1`]).
//!
//! **Versions.** As with records, a body's fields never change within a
//! version. A desktop that cannot read an intent (an unknown kind, a newer
//! version) refuses it with a reason that says to update the desktop; it
//! never skips one silently.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most intents one answer carries.
pub const MAX_INTENTS: usize = 500;
/// The longest a desktop's fetch waits for an intent to arrive, in seconds.
pub const MAX_WAIT_SECS: u64 = 25;

/// The kinds of intent, with their names on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntentKind {
    /// Boot, reboot or shut down a server.
    Power,
    /// Delete a server (billing stops with it).
    Delete,
}

impl IntentKind {
    pub const ALL: [IntentKind; 2] = [IntentKind::Power, IntentKind::Delete];

    pub fn as_str(self) -> &'static str {
        match self {
            IntentKind::Power => "power",
            IntentKind::Delete => "delete",
        }
    }

    pub fn parse(s: &str) -> Option<IntentKind> {
        IntentKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn newest_version(self) -> u32 {
        match self {
            IntentKind::Power => PowerV1::VERSION,
            IntentKind::Delete => DeleteServerV1::VERSION,
        }
    }
}

/// An intent body: its kind and version are part of its type.
pub trait IntentBody: Serialize + DeserializeOwned {
    const KIND: IntentKind;
    const VERSION: u32;
}

/// An intent as it travels:
/// `{"id":…,"at":…,"org":…,"by":…,"kind":…,"v":…,"body":…}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentEnvelope {
    /// Chosen by the portal; the desktop applies each id at most once.
    pub id: Uuid,
    /// When the customer asked.
    pub at: DateTime<Utc>,
    /// The organization that asked (from the customer's session).
    pub org: String,
    /// The contact who asked: the entity id of their contact record.
    pub by: String,
    pub kind: String,
    pub v: u32,
    pub body: serde_json::Value,
}

/// A decoded intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    Power(PowerV1),
    Delete(DeleteServerV1),
}

impl Intent {
    pub fn kind(&self) -> IntentKind {
        match self {
            Intent::Power(_) => IntentKind::Power,
            Intent::Delete(_) => IntentKind::Delete,
        }
    }

    /// The server the intent is about, if any.
    pub fn server(&self) -> Option<&str> {
        match self {
            Intent::Power(p) => Some(&p.server),
            Intent::Delete(d) => Some(&d.server),
        }
    }
}

/// Why an intent cannot be read: the desktop refuses it with this reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntentDecodeError {
    #[error("this request ({kind:?}) is of a kind the provider's system does not know yet: it must be updated")]
    UnknownKind { kind: String },
    #[error("this request ({kind} v{version}) is newer than the provider's system reads (up to v{newest}): it must be updated")]
    UnsupportedVersion {
        kind: &'static str,
        version: u32,
        newest: u32,
    },
    #[error("this request ({kind} v{version}) is malformed: {reason}")]
    Malformed {
        kind: &'static str,
        version: u32,
        reason: String,
    },
}

impl IntentEnvelope {
    pub fn new(
        id: Uuid,
        at: DateTime<Utc>,
        org: impl Into<String>,
        by: impl Into<String>,
        intent: &Intent,
    ) -> IntentEnvelope {
        fn enc<B: IntentBody>(b: &B) -> (u32, serde_json::Value) {
            (
                B::VERSION,
                serde_json::to_value(b).expect("intent bodies serialize"),
            )
        }
        let (v, body) = match intent {
            Intent::Power(p) => enc(p),
            Intent::Delete(d) => enc(d),
        };
        IntentEnvelope {
            id,
            at,
            org: org.into(),
            by: by.into(),
            kind: intent.kind().as_str().to_string(),
            v,
            body,
        }
    }

    pub fn decode(&self) -> Result<Intent, IntentDecodeError> {
        let kind = IntentKind::parse(&self.kind).ok_or_else(|| IntentDecodeError::UnknownKind {
            kind: self.kind.clone(),
        })?;
        let newest = kind.newest_version();
        if self.v == 0 || self.v > newest {
            return Err(IntentDecodeError::UnsupportedVersion {
                kind: kind.as_str(),
                version: self.v,
                newest,
            });
        }
        let malformed = |e: serde_json::Error| IntentDecodeError::Malformed {
            kind: kind.as_str(),
            version: self.v,
            reason: e.to_string(),
        };
        Ok(match kind {
            IntentKind::Power => {
                Intent::Power(PowerV1::deserialize(&self.body).map_err(malformed)?)
            }
            IntentKind::Delete => {
                Intent::Delete(DeleteServerV1::deserialize(&self.body).map_err(malformed)?)
            }
        })
    }
}

/// `GET /sync/v1/intents?wait=SECS`: the intents waiting for the desktop,
/// oldest first. With `wait`, an empty answer comes only after that many
/// seconds passed without an intent arriving (at most [`MAX_WAIT_SECS`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentsResponse {
    pub intents: Vec<IntentEnvelope>,
}

/// A power action on a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PowerActionV1 {
    Boot,
    Reboot,
    Shutdown,
}

impl PowerActionV1 {
    pub fn as_str(self) -> &'static str {
        match self {
            PowerActionV1::Boot => "boot",
            PowerActionV1::Reboot => "reboot",
            PowerActionV1::Shutdown => "shutdown",
        }
    }

    pub fn parse(s: &str) -> Option<PowerActionV1> {
        [
            PowerActionV1::Boot,
            PowerActionV1::Reboot,
            PowerActionV1::Shutdown,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// Boot, reboot or shut down one of the organization's servers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerV1 {
    /// The server's entity id.
    pub server: String,
    pub action: PowerActionV1,
}

impl IntentBody for PowerV1 {
    const KIND: IntentKind = IntentKind::Power;
    const VERSION: u32 = 1;
}

/// Delete one of the organization's servers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteServerV1 {
    /// The server's entity id.
    pub server: String,
}

impl IntentBody for DeleteServerV1 {
    const KIND: IntentKind = IntentKind::Delete;
    const VERSION: u32 = 1;
}
