//! The sync protocol: pairing, then pushes of records in sequence order.
//!
//! The desktop dials out; the reseller's machine opens no port.
//!
//! **Pairing.** The portal's operator gets a one-time pairing code for a tenant
//! (`containerstacks-portal` prints it). The reseller pastes it with the
//! portal's URL into the desktop, which sends a [`PairRequest`] to
//! `POST /sync/v1/pair` and receives the tenant and a sync token
//! ([`PairResponse`]). The token goes to the OS keyring; the portal keeps only
//! its hash. Every later call carries it as `Authorization: Bearer …`.
//!
//! **Streams.** The desktop's records form a stream named by a UUID the
//! desktop chose when it paired (and chooses again whenever its own sequence
//! may have gone back, e.g. after restoring a backup). The portal remembers,
//! per tenant, the stream it follows and the highest sequence number it holds
//! of it (`held_through`).
//!
//! **Pushes.** `POST /sync/v1/push` sends a [`PushRequest`]: the records with
//! sequence numbers in `(after, last]`, ascending. A batch is *complete* for
//! its range: every record of the range the desktop still has is in it (the
//! desktop drops a record once a newer record of the same entity exists, so
//! sequence numbers may skip). The portal applies a batch in one transaction,
//! following [`plan_push`]:
//!
//! - same stream, `after <= held_through`: the records above `held_through`
//!   are applied (the rest are duplicates), and `held_through` becomes `last`;
//! - same stream, `after > held_through`: a gap — nothing is applied and the
//!   answer says what the portal holds, so the desktop goes back and re-sends
//!   (this is also how a portal restored from an old backup is refilled);
//! - another stream (or none yet): only a push from the beginning
//!   (`after == 0`) is applied, after the tenant's projection is emptied —
//!   a full re-snapshot. Anything else is answered with
//!   [`ErrorCode::StreamChanged`] and `held_through = 0`.
//!
//! The desktop moves its cursor with [`next_after`]. Lost, duplicated,
//! reordered or repeated messages, and either side restarting at any point,
//! all end in the same state: after the desktop's last push is answered, the
//! portal holds the latest record of every entity.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::record::{DecodeError, Envelope, Record};

/// The protocol version both sides speak; sent with every push.
pub const PROTOCOL_VERSION: u32 = 1;
/// The most records one push may carry.
pub const MAX_BATCH_RECORDS: usize = 500;
/// The largest push body the portal reads, in bytes.
pub const MAX_PUSH_BYTES: usize = 16 * 1024 * 1024;

/// `POST /sync/v1/pair`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairRequest {
    /// The one-time code the portal printed.
    pub code: String,
    /// How the portal's operator will see this desktop, e.g. the reseller's name.
    pub desktop_name: String,
    pub desktop_version: String,
}

/// The answer to a pairing: who the desktop now is on this portal.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairResponse {
    /// The tenant's short name, the first segment of its customers' URLs.
    pub tenant: String,
    pub tenant_name: String,
    /// The sync token: shown once, kept by the desktop in the OS keyring.
    pub token: String,
}

impl std::fmt::Debug for PairResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PairResponse")
            .field("tenant", &self.tenant)
            .field("tenant_name", &self.tenant_name)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// `POST /sync/v1/push`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub protocol: u32,
    pub stream: Uuid,
    /// The records are those above this sequence number …
    pub after: u64,
    /// … up to and including this one (`last >= after`; an empty batch with
    /// `last == after` asks the portal what it holds).
    pub last: u64,
    pub records: Vec<Envelope>,
}

/// The portal holds every record of `stream` up to `held_through`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushResponse {
    pub stream: Uuid,
    pub held_through: u64,
}

/// `GET /sync/v1/status`: what the portal holds for the token's tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusResponse {
    pub tenant: String,
    pub tenant_name: String,
    pub stream: Option<Uuid>,
    pub held_through: u64,
    /// The error that stopped this tenant's sync, until a push succeeds.
    pub stopped: Option<ErrorBody>,
}

/// Every refusal of the sync API, as `{code, message, …}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The token is unknown or revoked: pair again.
    Unauthorized,
    /// The pairing code is unknown, used or expired.
    PairingCode,
    /// The desktop speaks a protocol version this portal does not.
    Protocol,
    /// The push is not a well-formed batch (order, range, size).
    BadBatch,
    /// The batch starts above what the portal holds: re-send from `held_through`.
    Gap,
    /// The portal follows another stream (or none): re-send everything from 0.
    StreamChanged,
    /// A record this portal cannot read (unknown kind or newer version).
    Unsupported,
    /// A record that does not decode as its kind and version.
    Malformed,
    TooLarge,
    RateLimited,
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    /// For `gap` and `stream_changed`: where the desktop must continue from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_through: Option<u64>,
    /// For `unsupported` and `malformed`: the record's sequence number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ErrorBody {
        ErrorBody {
            code,
            message: message.into(),
            held_through: None,
            record: None,
        }
    }

    /// Whether the desktop must stop pushing until a person acts (upgrade,
    /// pair again), rather than continue or retry.
    pub fn stops_sync(&self) -> bool {
        matches!(
            self.code,
            ErrorCode::Unauthorized
                | ErrorCode::Protocol
                | ErrorCode::BadBatch
                | ErrorCode::Unsupported
                | ErrorCode::Malformed
                | ErrorCode::PairingCode
                | ErrorCode::TooLarge
        )
    }
}

impl From<DecodeError> for ErrorBody {
    fn from(e: DecodeError) -> ErrorBody {
        let (code, seq) = match &e {
            DecodeError::UnknownKind { seq, .. } => (ErrorCode::Unsupported, *seq),
            DecodeError::UnsupportedVersion { seq, .. } => (ErrorCode::Unsupported, *seq),
            DecodeError::Malformed { seq, .. } => (ErrorCode::Malformed, *seq),
        };
        ErrorBody {
            code,
            message: e.to_string(),
            held_through: None,
            record: Some(seq),
        }
    }
}

/// What the portal holds of a tenant's desktop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    pub stream: Uuid,
    pub through: u64,
}

/// What the portal does with a push it accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyPlan {
    /// Empty the tenant's projection first (a new stream, pushed from 0).
    pub reset: bool,
    /// Apply only the records above this sequence number.
    pub apply_above: u64,
    /// What the portal holds once the batch is applied.
    pub held_after: Held,
}

/// Checks a push's shape and decides, against what the portal holds, what to
/// apply. Pure: both portal back ends and the simulation call it.
pub fn plan_push(held: Option<Held>, push: &PushRequest) -> Result<ApplyPlan, ErrorBody> {
    check_shape(push)?;
    match held {
        Some(h) if h.stream == push.stream => {
            if push.after > h.through {
                return Err(ErrorBody {
                    held_through: Some(h.through),
                    ..ErrorBody::new(
                        ErrorCode::Gap,
                        format!(
                            "this portal holds records up to {}, and the push starts after {}: send from {}",
                            h.through, push.after, h.through
                        ),
                    )
                });
            }
            Ok(ApplyPlan {
                reset: false,
                apply_above: h.through,
                held_after: Held {
                    stream: h.stream,
                    through: h.through.max(push.last),
                },
            })
        }
        _ if push.after == 0 => Ok(ApplyPlan {
            reset: true,
            apply_above: 0,
            held_after: Held {
                stream: push.stream,
                through: push.last,
            },
        }),
        _ => Err(ErrorBody {
            held_through: Some(0),
            ..ErrorBody::new(
                ErrorCode::StreamChanged,
                "this portal holds nothing of this desktop's current stream: send everything from the beginning",
            )
        }),
    }
}

/// Decodes every record of a push, so that nothing of a batch is applied when
/// one record cannot be read.
pub fn decode_batch(push: &PushRequest) -> Result<Vec<(&Envelope, Option<Record>)>, ErrorBody> {
    push.records.iter().map(|e| Ok((e, e.decode()?))).collect()
}

fn check_shape(push: &PushRequest) -> Result<(), ErrorBody> {
    let bad = |m: String| Err(ErrorBody::new(ErrorCode::BadBatch, m));
    if push.protocol != PROTOCOL_VERSION {
        return Err(ErrorBody::new(
            ErrorCode::Protocol,
            format!(
                "the desktop speaks sync protocol {} and this portal speaks {PROTOCOL_VERSION}: upgrade the older side",
                push.protocol
            ),
        ));
    }
    if push.last < push.after {
        return bad(format!(
            "the batch ends at {} before it starts after {}",
            push.last, push.after
        ));
    }
    if push.records.len() > MAX_BATCH_RECORDS {
        return bad(format!(
            "the batch has {} records; send at most {MAX_BATCH_RECORDS}",
            push.records.len()
        ));
    }
    let mut previous = push.after;
    for r in &push.records {
        if r.seq <= previous {
            return bad(format!(
                "record {} is out of order (after {previous})",
                r.seq
            ));
        }
        if r.seq > push.last {
            return bad(format!(
                "record {} is beyond the batch's end {}",
                r.seq, push.last
            ));
        }
        previous = r.seq;
    }
    Ok(())
}

/// The desktop's next push: `records` are the records it still holds above
/// `after`, ascending, at most [`MAX_BATCH_RECORDS`] of them (the batch is
/// complete for its range because they are all the records of that range).
pub fn batch(stream: Uuid, after: u64, records: Vec<Envelope>) -> PushRequest {
    debug_assert!(records.len() <= MAX_BATCH_RECORDS);
    debug_assert!(records.windows(2).all(|w| w[0].seq < w[1].seq));
    PushRequest {
        protocol: PROTOCOL_VERSION,
        stream,
        after,
        last: records.last().map_or(after, |r| r.seq),
        records,
    }
}

/// Where the desktop continues after a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Push the records above `after` next (what the portal holds).
    Continue { after: u64 },
    /// Start a new stream and push everything from 0: the portal holds more
    /// of this stream than the desktop ever wrote (the desktop's store was
    /// restored from a backup).
    NewStream,
    /// Stop and tell the reseller; try again only after a person acted or
    /// after a long wait.
    Stop(ErrorBody),
    /// A passing failure (network, 5xx, rate limit): retry the same push later.
    Retry,
}

/// The desktop's decision after an answer to `sent`. `newest` is the highest
/// sequence number the desktop has ever written.
pub fn next_after(
    sent: &PushRequest,
    newest: u64,
    answer: Result<&PushResponse, &ErrorBody>,
) -> Next {
    match answer {
        Ok(r) if r.stream != sent.stream => Next::Stop(ErrorBody::new(
            ErrorCode::Internal,
            "the portal answered for another stream than the one pushed",
        )),
        Ok(r) if r.held_through > newest => Next::NewStream,
        Ok(r) => Next::Continue {
            after: r.held_through,
        },
        Err(e) => match (e.code, e.held_through) {
            (ErrorCode::Gap, Some(h)) if h > newest => Next::NewStream,
            (ErrorCode::Gap, Some(h)) => Next::Continue { after: h },
            (ErrorCode::StreamChanged, _) => Next::Continue { after: 0 },
            (ErrorCode::RateLimited | ErrorCode::Internal, _) => Next::Retry,
            _ if e.stops_sync() => Next::Stop(e.clone()),
            _ => Next::Retry,
        },
    }
}
