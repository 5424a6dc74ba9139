//! The wire contract between the ContainerStacks desktop and its hosted portal.
//!
//! The desktop is the source of truth for customers, servers and money. Every
//! customer-facing change it makes is written, in the same transaction as the
//! change, to its sync outbox as a record: the new state of one entity (an
//! organization, a server, a document …) or a tombstone once the entity is
//! gone. The desktop pushes those records to the portal in sequence order;
//! the portal keeps, per tenant, the latest record of every entity — its
//! projection of the desktop's state — and serves customers from it.
//!
//! - [`record`]: one versioned Rust type per record kind ([`record::Record`]),
//!   and the [`Envelope`] that carries a record with its sequence number.
//! - [`intent`]: what customers ask for on the portal, for the desktop to
//!   carry out and answer with a record.
//! - [`protocol`]: the pairing and push messages, and the two pure decisions
//!   both sides take: which records of a push the portal applies
//!   ([`protocol::plan_push`]) and where the desktop continues after an answer
//!   ([`protocol::next_after`]).
//!
//! **API boundary:** the JSON of every type in this crate is a wire format that
//! desktops and portals of different releases exchange. A record's fields never
//! change within a version: a change is a new version of the kind (a new
//! struct), and readers keep decoding every older version. The tests pin the
//! JSON of each type.
//!
//! It does no I/O and knows nothing of SQLite, HTTP or the desktop's domain
//! types: each side maps its own types to these.

pub mod intent;
pub mod protocol;
pub mod record;

pub use protocol::{ErrorBody, ErrorCode, PushRequest, PushResponse};
pub use record::{DecodeError, Envelope, Kind, Record};
