//! DTOs of the provider screens: Settings → Providers (the Linode account and
//! the cached catalogue) and the server tabs (backups, network, firewalls)
//! plus the extra create and lifecycle options. Re-exported by `dto`.

use serde::{Deserialize, Serialize};
use specta::Type;

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

/// A new firewall from a server's Firewall tab: created on the server's
/// account and, with `attach`, attached to the server at once.
#[derive(Debug, Clone, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct NewFirewallInput {
    pub label: String,
    pub rules: FirewallRulesDto,
    pub attach: bool,
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

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct BackupDto {
    pub id: String,
    pub label: Option<String>,
    /// `auto` or `snapshot`.
    pub kind: String,
    /// `pending`, `running`, `successful`, `failed`.
    pub status: String,
    pub created: String,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ServerBackupsDto {
    pub enabled: bool,
    pub backups: Vec<BackupDto>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct IpAddressDto {
    pub address: String,
    /// `ipv4` or `ipv6`.
    pub kind: String,
    pub public: bool,
    pub rdns: Option<String>,
    pub gateway: Option<String>,
    pub prefix: u8,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ServerNetworkDto {
    pub addresses: Vec<IpAddressDto>,
    /// This month's transfer, GB with two decimals.
    pub transfer_used_gb: String,
    pub transfer_quota_gb: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FirewallRuleDto {
    pub label: String,
    /// `ACCEPT` or `DROP`.
    pub action: String,
    /// `TCP`, `UDP` or `ICMP`.
    pub protocol: String,
    /// "22", "80,443", "1024-65535"; empty for ICMP or every port.
    pub ports: String,
    /// Addresses or networks (`0.0.0.0/0`, `::/0`, `203.0.113.0/24`).
    pub addresses: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FirewallRulesDto {
    pub inbound_policy: String,
    pub outbound_policy: String,
    pub inbound: Vec<FirewallRuleDto>,
    pub outbound: Vec<FirewallRuleDto>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct FirewallDto {
    pub id: String,
    pub label: String,
    pub rules: FirewallRulesDto,
    /// How many servers it protects.
    pub instance_count: u32,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ServerFirewallsDto {
    pub attached: Vec<FirewallDto>,
    /// Firewalls of the account not attached to this server.
    pub available: Vec<FirewallDto>,
    /// Whether a firewall can be detached here (Linode only).
    pub can_detach: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct StackScriptField {
    pub name: String,
    pub value: String,
}

/// Create options beyond the plan, region, image and credentials.
#[derive(Debug, Clone, Default, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct CreateOptionsInput {
    pub stackscript_id: Option<String>,
    pub stackscript_data: Vec<StackScriptField>,
    /// cloud-init user data (plain text); only for images that read it.
    pub user_data: Option<String>,
    pub firewall_id: Option<String>,
    /// The Linode account the server goes on; needed only when more than
    /// one is connected.
    #[serde(default)]
    pub account_id: Option<String>,
}

#[derive(Clone, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct RebuildInput {
    pub image: String,
    /// Handed to the provider and forgotten: never stored or logged.
    pub root_password: Option<String>,
    pub ssh_key: Option<String>,
}

impl std::fmt::Debug for RebuildInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RebuildInput")
            .field("image", &self.image)
            .field(
                "root_password",
                &self.root_password.as_ref().map(|_| "<redacted>"),
            )
            .field("ssh_key", &self.ssh_key.is_some())
            .finish()
    }
}
