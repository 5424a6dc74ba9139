//! DTOs of the providers area (re-exported by `crate::dto`): providers: the catalogue (regions, types, images, StackScripts), its cache status, and the Linode accounts.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::dto::{MoneyDto, RateDto, RegionPriceDto};

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct RegionDto {
    pub id: String,
    pub label: String,
    pub country: String,
    pub available: bool,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct InstanceTypeDto {
    pub id: String,
    pub label: String,
    pub vcpus: u32,
    pub memory_mb: u32,
    pub disk_gb: u32,
    pub transfer_gb: u32,
    pub monthly: MoneyDto,
    pub hourly: RateDto,
    pub region_prices: Vec<RegionPriceDto>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ImageDto {
    pub id: String,
    pub label: String,
    pub vendor: String,
    pub cloud_init: bool,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct CatalogueDto {
    pub provider: String,
    pub regions: Vec<RegionDto>,
    pub types: Vec<InstanceTypeDto>,
    pub images: Vec<ImageDto>,
    pub stackscripts: Vec<StackScriptDto>,
    /// When the cached catalogue was imported; `None` for the Sandbox's live one.
    pub refreshed_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct StackScriptDto {
    pub id: String,
    pub label: String,
    pub description: String,
    /// Images it can deploy.
    pub images: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct StackScriptField {
    pub name: String,
    pub value: String,
}

/// When a provider's catalogue was last imported, and what it holds.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CatalogueStatusDto {
    pub provider: String,
    /// The last successful refresh; `None` when it never was imported.
    pub refreshed_at: Option<String>,
    pub attempted_at: Option<String>,
    /// Why the last attempt failed (the previous catalogue stays in use).
    pub last_error: Option<String>,
    pub regions: u32,
    pub types: u32,
    pub images: u32,
    pub stackscripts: u32,
}

/// One connected Linode account as Settings → Providers shows it.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct LinodeAccountDto {
    pub id: String,
    /// The reseller's name for it (the Linode username by default).
    pub label: String,
    /// False when its token is missing from the keyring (Replace token).
    pub connected: bool,
    pub username: Option<String>,
    pub email: Option<String>,
    /// A restricted user sees only what its grants allow.
    pub restricted: bool,
    /// The token's scopes (`linodes:read_write` …); `["*"]` for every scope.
    pub scopes: Vec<String>,
    /// The API root when it is not Linode's (e.g. the fake Linode).
    pub base_url: Option<String>,
    /// Set, permanently, while the account talks to an API root other than
    /// Linode's (its token is sent there): what it is and how to undo it.
    pub api_root_warning: Option<String>,
    pub connected_at: Option<String>,
    /// When the token expires; `None` with `tokenExpiryKnown` = never.
    pub token_expiry: Option<String>,
    pub token_expiry_known: bool,
    /// Why the expiry is unknown.
    pub token_expiry_note: Option<String>,
    pub token_checked_at: Option<String>,
    pub token_expired: bool,
    /// Set when the token has expired or expires within 14 days: what to do.
    pub token_warning: Option<String>,
    /// Live servers on this account.
    pub servers: u32,
    pub catalogue: CatalogueStatusDto,
}

/// "Add Linode account".
#[derive(Clone, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AddLinodeAccountInput {
    /// Kept in the keyring only; never stored or logged.
    pub token: String,
    /// The reseller's name for the account; the Linode username when empty.
    pub label: Option<String>,
    /// Another API root (the fake Linode); Linode's when empty.
    pub base_url: Option<String>,
}

impl std::fmt::Debug for AddLinodeAccountInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddLinodeAccountInput")
            .field("token", &"<redacted>")
            .field("label", &self.label)
            .field("base_url", &self.base_url)
            .finish()
    }
}
