//! DTOs of the servers area (re-exported by `crate::dto`): servers: the list and detail, the create form with its options, power actions, stats, and the server tabs (backups, network, firewalls, rebuild).

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::dto::{ActivityDto, MoneyDto, ProviderCapabilitiesDto, RateDto, StackScriptField};

#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ServerDto {
    pub id: String,
    pub label: String,
    pub organization_id: String,
    pub organization_name: String,
    pub plan_id: String,
    pub plan_name: String,
    pub provider: String,
    pub provider_id: Option<String>,
    /// The label of the Linode or DigitalOcean account it lives on; `None` on the Sandbox.
    pub account_label: Option<String>,
    pub provider_type: String,
    pub region: String,
    pub image: String,
    pub status: String,
    pub ipv4: Option<String>,
    pub ipv6: Option<String>,
    pub monthly: MoneyDto,
    pub hourly: RateDto,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
}

/// The orders the servers list offers.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ServerSortKey {
    #[default]
    Created,
    Label,
    Status,
    Region,
}

/// Which servers by their life.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ServerStateFilter {
    #[default]
    Live,
    Deleted,
    All,
}

/// A page of the servers list: where it starts, its size, filters, search, order.
#[derive(Debug, Clone, Default, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ServerListInput {
    /// The `next` of the page above; absent for the first.
    #[serde(default)]
    pub after: Option<String>,
    /// The `prev` of the page below, to read back up the list.
    #[serde(default)]
    pub before: Option<String>,
    /// 1 to 100 rows (50 when absent).
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub sort: ServerSortKey,
    #[serde(default)]
    pub desc: bool,
    /// A prefix of the label or of the IPv4 address.
    #[serde(default)]
    pub search: Option<String>,
    #[serde(default)]
    pub state: ServerStateFilter,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub organization_id: Option<String>,
    #[serde(default)]
    pub plan_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ServerPage {
    pub rows: Vec<ServerDto>,
    /// The `after` of the next page; `None` at the end.
    pub next: Option<String>,
    /// The `before` of the page above; `None` at the start.
    pub prev: Option<String>,
    /// How many servers match the filters and search.
    pub total: u32,
}

#[derive(Clone, Default, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ServerInput {
    pub organization_id: String,
    pub plan_id: String,
    pub label: String,
    pub region: String,
    pub image: String,
    /// Handed to the provider and forgotten: never stored or logged.
    pub root_password: Option<String>,
    pub ssh_key: Option<String>,
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

#[derive(Debug, Clone, Copy, Deserialize, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ServerAction {
    Boot,
    Reboot,
    Shutdown,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct MetricPoint {
    /// Unix time in seconds.
    pub t: u32,
    pub v: f64,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ServerStatsDto {
    pub cpu_percent: Vec<MetricPoint>,
    pub network_in_bits_per_s: Vec<MetricPoint>,
    pub network_out_bits_per_s: Vec<MetricPoint>,
    /// Disk I/O in blocks per second (empty where the provider measures disk use instead).
    pub disk_io_blocks_per_s: Vec<MetricPoint>,
    /// Used space of the root filesystem in percent (DigitalOcean).
    pub disk_used_percent: Vec<MetricPoint>,
    /// `None` where the provider has no per-server transfer (DigitalOcean).
    pub transfer_used_gb: Option<String>,
    pub transfer_quota_gb: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ServerDetail {
    pub server: ServerDto,
    pub activity: Vec<ActivityDto>,
    /// What the server's provider offers: the tabs hide what it lacks.
    pub capabilities: ProviderCapabilitiesDto,
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
    /// This month's transfer, GB with two decimals; `None` where the provider
    /// has no per-server transfer (DigitalOcean).
    pub transfer_used_gb: Option<String>,
    pub transfer_quota_gb: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FirewallRuleDto {
    pub label: String,
    /// `ACCEPT` or `DROP`.
    pub action: String,
    /// `TCP`, `UDP`, `ICMP`, `IPENCAP`, `ALL` or an IP protocol number
    /// (`50`); shown as the provider sent it, unknown values included.
    pub protocol: String,
    /// "22", "80,443", "1024-65535" (TCP and UDP only); empty for every port.
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

/// A new firewall from a server's Firewall tab: created on the server's
/// account and, with `attach`, attached to the server at once.
#[derive(Debug, Clone, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct NewFirewallInput {
    pub label: String,
    pub rules: FirewallRulesDto,
    pub attach: bool,
}

#[derive(Clone, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct RebuildInput {
    pub image: String,
    /// Handed to the provider and forgotten: never stored or logged.
    pub root_password: Option<String>,
    pub ssh_key: Option<String>,
}

impl std::fmt::Debug for ServerInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerInput")
            .field("organization_id", &self.organization_id)
            .field("plan_id", &self.plan_id)
            .field("label", &self.label)
            .field("region", &self.region)
            .field("image", &self.image)
            .field(
                "root_password",
                &self.root_password.as_ref().map(|_| "<redacted>"),
            )
            .field("ssh_key", &self.ssh_key.is_some())
            .finish()
    }
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
