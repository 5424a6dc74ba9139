//! The pure domain of ContainerStacks.
//!
//! This crate holds the nouns every other crate speaks: typed ids ([`ids`]),
//! [`Money`] and sub-cent [`Rate`]s with the one rounding rule
//! ([`money::round_half_away`]), the kinds of billing document
//! ([`DocumentKind`]), the [`Clock`] through which time is passed
//! in, organizations and their users with roles, plans, and the lifecycles
//! with their allowed transitions: servers ([`ServerStatus`]), payments and
//! refunds ([`payment`]) and mails in the outbox ([`mail`]). Validation of user input lives here too, as
//! plain functions returning [`ValidationError`]s that name the offending field.
//!
//! It deliberately does no I/O: no files, no network, no database, and it never
//! reads the system clock or a random source. Callers pass time in through a
//! [`Clock`] and ids in from outside, so every rule here can be tested across
//! months in milliseconds.

pub mod clock;
pub mod document;
pub mod dunning;
pub mod ids;
pub mod ledger;
pub mod mail;
pub mod metering;
pub mod money;
pub mod numbering;
pub mod org;
pub mod payment;
pub mod plan;
pub mod pricing;
pub mod server;
pub mod tax;
pub mod validate;

pub use clock::{Clock, FixedClock, Timestamp};
pub use document::DocumentKind;
pub use ids::{OrganizationId, PlanId, ServerId, UserId};
pub use money::{Currency, Money, MoneyError, Rate};
pub use org::{NewOrganization, Organization, Role, User};
pub use plan::{NewPlan, Plan, ProviderKind};
pub use server::{PowerAction, Server, ServerStatus, TransitionError};
pub use validate::{ValidationError, ValidationErrors};
