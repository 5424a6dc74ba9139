//! DigitalOcean API v2 client for ContainerStacks: typed, paginated, rate-limit aware,
//! and the DigitalOcean implementation of the provider trait.
//!
//! [`DigitalOceanClient`] covers what a reseller sells: the account (status, email,
//! Droplet limit, and whether the token may write), the catalogue (regions, sizes with
//! monthly and hourly prices, distribution and 1-Click images), SSH keys, Droplets (create
//! with SSH keys, cloud-init user data, tags and the default VPC; list, get, delete),
//! Droplet actions (power, reboot, resize with or without disk, rebuild, password reset,
//! backups, snapshot, restore, rename) and following an action to completion, backups and
//! snapshots, reserved IPs, cloud firewalls and the monitoring series. Collections are
//! fetched 200 a page through `links.pages` and `meta.total`. Failures come back as
//! [`DigitalOceanError`], one variant per class a caller acts on, decoded from
//! DigitalOcean's `{"id","message","request_id"}`. The client paces itself to 5,000
//! requests an hour and 250 a minute, keeps account of the `ratelimit-*` headers, retries
//! 429 and 5xx with backoff and jitter, and never creates a Droplet twice: after an
//! ambiguous failure it looks the Droplet up by its unique name and tag before trying
//! again. The token ([`ApiToken`]) is redacted in `Debug` and never appears in errors or
//! logs.
//!
//! [`DigitalOceanProvider`] implements `cs_provider::Provider` on top of the client, and
//! its [`capabilities`] say, as data for the UI, where DigitalOcean differs from the
//! trait's Linode-shaped vocabulary (no StackScripts, rescue or chosen root password on a
//! running server; reverse DNS from the Droplet's name; allow-only firewalls; no
//! per-server transfer; disk use instead of disk I/O). The client knows nothing of money
//! rounding or persistence, and nothing polls in the background.

mod api;
mod client;
mod error;
pub mod model;
mod provider;
mod ratelimit;
mod token;
pub mod userdata;

pub use api::{ssh_fingerprint, CreatedDroplet, WriteAccess};
pub use client::{ClientConfig, DigitalOceanClient, RetryPolicy, DEFAULT_BASE_URL, MAX_PAGE_SIZE};
pub use error::{ApiErrorBody, DigitalOceanError};
pub use model::*;
pub use provider::{
    capabilities, country_of, event_action, map_error, map_status, price_from_digitalocean,
    weekly_backups_price, AccountSummary, DigitalOceanProvider, DIGITALOCEAN_CURRENCY,
    WEEKLY_BACKUP_PERCENT,
};
pub use ratelimit::{Limit, RateLimitStatus, RateLimits};
pub use token::ApiToken;
