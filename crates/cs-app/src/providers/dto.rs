//! DTOs of the providers area (re-exported by `crate::dto`): providers: the catalogue (regions, types, images, StackScripts), its cache status, the Linode and DigitalOcean accounts, and what each provider offers (`ProviderCapabilitiesDto`).

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
    /// The regions where this type can be created; none: every region.
    pub regions: Option<Vec<String>>,
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

/// One connected DigitalOcean account as Settings → Providers shows it.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct DigitalOceanAccountDto {
    pub id: String,
    /// The reseller's name for it (the team name or the email by default).
    pub label: String,
    /// False when its token is missing from the keyring (Replace token).
    pub connected: bool,
    pub email: Option<String>,
    /// The team the token belongs to, for a team token.
    pub team: Option<String>,
    /// The account's status at the last check: `active` or `warning`.
    pub status: Option<String>,
    /// DigitalOcean's message about that status, if any.
    pub status_note: Option<String>,
    /// How many Droplets the account may have.
    pub droplet_limit: Option<u32>,
    /// The API root when it is not DigitalOcean's (e.g. the fake DigitalOcean).
    pub base_url: Option<String>,
    /// Set, permanently, while the account talks to an API root other than
    /// DigitalOcean's (its token is sent there).
    pub api_root_warning: Option<String>,
    pub connected_at: String,
    pub token_checked_at: Option<String>,
    /// Live servers on this account.
    pub servers: u32,
    pub catalogue: CatalogueStatusDto,
    /// What differs from Linode, for the account and its catalogue.
    pub notes: Vec<String>,
}

/// "Add DigitalOcean account".
#[derive(Clone, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AddDigitalOceanAccountInput {
    /// Kept in the keyring only; never stored or logged.
    pub token: String,
    /// The reseller's name for the account; the team name or email when empty.
    pub label: Option<String>,
    /// Another API root (the fake DigitalOcean); DigitalOcean's when empty.
    pub base_url: Option<String>,
}

impl std::fmt::Debug for AddDigitalOceanAccountInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddDigitalOceanAccountInput")
            .field("token", &"<redacted>")
            .field("label", &self.label)
            .field("base_url", &self.base_url)
            .finish()
    }
}

/// One difference of a provider, where the UI shows it.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ProviderNoteDto {
    /// `account`, `catalogue`, `create`, `lifecycle`, `backups`, `network`,
    /// `firewalls` or `stats`.
    pub topic: String,
    pub text: String,
}

/// What a provider offers of what the app can do (Linode and the Sandbox
/// offer everything), so the UI hides a control and shows the note instead
/// of a tab that fails (`cs_provider::Capabilities`).
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ProviderCapabilitiesDto {
    pub stackscripts: bool,
    pub rescue: bool,
    /// A root password the reseller chooses can be set on a running server.
    pub set_root_password: bool,
    /// A rebuild takes a new root password and SSH key.
    pub rebuild_sets_credentials: bool,
    /// A running server can be resized (false: power it off first).
    pub resize_running: bool,
    /// Reverse DNS is set per address (false: it comes from the server's name).
    pub rdns_per_address: bool,
    /// The most extra IPv4 addresses one server may have; `None`: no fixed limit.
    pub extra_ipv4_max: Option<u32>,
    pub firewall_drop_rules: bool,
    pub firewall_rule_labels: bool,
    /// The server's own transfer this month is known.
    pub transfer: bool,
    pub disk_io_stats: bool,
    pub disk_usage_stats: bool,
    pub notes: Vec<ProviderNoteDto>,
}
