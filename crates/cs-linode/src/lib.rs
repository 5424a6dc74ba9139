//! Linode API v4 client for ContainerStacks: typed, paginated, rate-limit aware.
//!
//! [`LinodeClient`] covers what a reseller sells: the catalogue (regions, plans with
//! region-specific prices, images, StackScripts), the instance lifecycle (create with a root
//! password or SSH keys, StackScript data and cloud-init user data; boot, shut down, reboot,
//! resize, rebuild, rescue, password reset, delete), backups and snapshots, IPs and reverse
//! DNS, firewalls, stats, transfer and account events. Every collection is fetched page by
//! page at up to 500 items; `X-Filter` narrows lists. Failures come back as [`LinodeError`],
//! one variant per class a caller acts on. The client paces itself with a token bucket per
//! documented rate-limit class and one per operation learned from the `X-RateLimit-Limit`,
//! `-Remaining` and `-Reset` headers Linode sends; after a 429 it waits for `Retry-After`,
//! else the reset, else backs off exponentially with jitter; it retries 5xx, `Linode busy.`
//! and timeouts with jittered backoff, and never creates an instance twice: after an
//! ambiguous failure it looks the instance up by its unique label before trying again. The
//! token ([`ApiToken`]) is redacted in `Debug` and never appears in errors or logs.
//!
//! [`LinodeProvider`] (module `provider`) implements `cs_provider::Provider` on top of the
//! client: it maps ids, prices (exactly, to minor units and micro-units), statuses and errors
//! onto the provider trait, and [`LinodeProvider::connect`] checks a token's scopes. The client
//! itself knows nothing of money rounding or persistence, and nothing polls in the background.

mod api;
mod client;
mod error;
pub mod model;
mod provider;
mod ratelimit;
pub mod time;
mod token;

pub use api::filter_eq;
pub use client::{ClientConfig, LinodeClient, RetryPolicy, DEFAULT_BASE_URL, MAX_PAGE_SIZE};
pub use error::{ApiErrorDetail, LinodeError};
pub use model::*;
pub use provider::{
    create_request, map_error, map_status, price_from_linode, AccountSummary, LinodeProvider,
    DEFAULT_STACKSCRIPT_FILTER, LINODE_CURRENCY,
};
pub use ratelimit::{Limit, LimitClass, RateLimits};
pub use token::ApiToken;
