//! The customer API (`/api/v1/…`, API.md): handlers only. Who the caller is
//! was settled by [`crate::auth::guard`] before a handler runs; every read
//! of the projection takes its tenant and organization from the caller's
//! session ([`crate::auth::Caller`]).

pub mod account;
pub mod actions;
pub mod branding;
pub mod customer;
mod documents;
pub mod session;

use chrono::Duration;
use serde::Serialize;

use crate::db::Tx;
use crate::http::ApiError;
use crate::storage::projection::{self, Scope};
use crate::storage::{limits, tenants, Result as StorageResult};
use crate::Portal;
use cs_sync::record::{Kind, Record};

/// Money on the wire: the amount in minor units as a string, never a float.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Money {
    pub minor: String,
    pub currency: String,
}

impl Money {
    pub fn new(minor: i64, currency: &str) -> Money {
        Money {
            minor: minor.to_string(),
            currency: currency.to_string(),
        }
    }
}

/// One rate limit: at most `max` attempts under `key` per `window`.
pub struct Limit {
    pub key: String,
    pub window: Duration,
    pub max: i64,
}

impl Limit {
    pub fn new(key: impl Into<String>, window: Duration, max: i64) -> Limit {
        Limit {
            key: key.into(),
            window,
            max,
        }
    }
}

/// Counts one attempt under each limit (in the database, so every portal
/// process counts the same) and refuses with `Retry-After` when one is over.
pub async fn limit(portal: &Portal, list: Vec<Limit>) -> Result<(), ApiError> {
    let now = portal.now();
    let over = portal
        .db
        .run(true, move |tx| {
            let mut over: Option<Duration> = None;
            for l in &list {
                if !limits::hit(tx, &l.key, l.window, l.max, now)? {
                    let wait = limits::retry_after(l.window, now);
                    over = Some(over.map_or(wait, |o| o.max(wait)));
                }
            }
            Ok::<_, crate::storage::StorageError>(over)
        })
        .await?;
    match over {
        Some(wait) => Err(ApiError::rate_limited(wait)),
        None => Ok(()),
    }
}

/// Forgets the attempts under `key` (a successful sign-in).
pub async fn clear_limit(portal: &Portal, key: String) -> Result<(), ApiError> {
    portal
        .db
        .run(true, move |tx| limits::clear(tx, &key))
        .await?;
    Ok(())
}

/// Rate limits of API.md's sensitive routes.
pub mod rates {
    use chrono::Duration;

    pub const WINDOW: Duration = Duration::minutes(15);
    /// Sign-in attempts per account (email) and window.
    pub const SIGN_IN_PER_ACCOUNT: i64 = 10;
    /// Sign-in attempts per client address and window.
    pub const SIGN_IN_PER_ADDRESS: i64 = 100;
    /// Second-factor codes per account and window.
    pub const CODES_PER_ACCOUNT: i64 = 10;
    pub const CODES_PER_ADDRESS: i64 = 100;
    /// Password checks of a signed-in account (changing the password, the
    /// email, two-factor) per window.
    pub const PASSWORD_CHECKS_PER_ACCOUNT: i64 = 10;
    /// Uses of mailed links per client address and window.
    pub const TOKENS_PER_ADDRESS: i64 = 30;
    pub const RESET_WINDOW: Duration = Duration::hours(1);
    /// Password-reset mails per account (email) and hour.
    pub const RESETS_PER_ACCOUNT: i64 = 3;
    pub const RESETS_PER_ADDRESS: i64 = 20;
}

/// A tenant by the short name in a public URL.
pub async fn tenant_by_slug(portal: &Portal, slug: String) -> Result<tenants::Tenant, ApiError> {
    portal
        .db
        .run(false, move |tx| tenants::by_slug(tx, &slug))
        .await?
        .ok_or_else(|| ApiError::not_found("portal"))
}

/// The reseller as customers see it: the branding record, or the tenant's
/// name until the desktop pushed one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brand {
    pub slug: String,
    pub name: String,
    /// `#rrggbb`, checked (it goes into mails' style attributes).
    pub accent: String,
    pub logo: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
}

pub const DEFAULT_ACCENT: &str = "#2563eb";

fn is_hex_colour(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit())
}

impl Brand {
    pub fn load(tx: &mut dyn Tx, tenant: &tenants::Tenant) -> StorageResult<Brand> {
        let record = projection::get(tx, Scope::Tenant(&tenant.id), Kind::Branding, "branding")?
            .map(|e| projection::decode(&e))
            .transpose()?;
        let mut brand = Brand {
            slug: tenant.slug.clone(),
            name: tenant.name.clone(),
            accent: DEFAULT_ACCENT.into(),
            logo: None,
            email: None,
            website: None,
        };
        if let Some(Record::Branding(b)) = record {
            if !b.name.trim().is_empty() {
                brand.name = b.name;
            }
            if is_hex_colour(&b.accent) {
                brand.accent = b.accent.to_ascii_lowercase();
            }
            brand.logo = b
                .logo
                .filter(|l| l.len() == 64 && l.chars().all(|c| c.is_ascii_hexdigit()));
            brand.email = b.email;
            brand.website = b.website;
        }
        Ok(brand)
    }

    pub fn load_by_id(tx: &mut dyn Tx, tenant_id: &str) -> StorageResult<Brand> {
        let tenant =
            tenants::by_id(tx, tenant_id)?.ok_or(crate::storage::StorageError::NotFound)?;
        Brand::load(tx, &tenant)
    }
}

/// The name of an organization of the tenant, from its record.
pub fn organization_name(tx: &mut dyn Tx, tenant_id: &str, org: &str) -> StorageResult<String> {
    let record = projection::get(
        tx,
        Scope::Organization {
            tenant: tenant_id,
            org,
        },
        Kind::Organization,
        org,
    )?
    .map(|e| projection::decode(&e))
    .transpose()?;
    Ok(match record {
        Some(Record::Organization(o)) => o.name,
        _ => String::new(),
    })
}
