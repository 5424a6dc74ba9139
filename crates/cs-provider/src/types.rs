//! The provider's nouns, shaped after what Linode offers (the richest provider
//! we sell) so that no provider needs a second vocabulary.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A secret handed to a provider (root password). Its `Debug` is redacted and
/// it has no `Serialize`, so it cannot reach a log or the database by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub id: String,
    pub label: String,
    /// ISO 3166-1 alpha-2, lower case as Linode sends it.
    pub country: String,
    pub available: bool,
}

/// A provider price: monthly in minor units, hourly in micro-units of the
/// major unit (the fixed scale of `cs_core::Rate`), both in `currency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    pub monthly_minor: i64,
    pub hourly_micros: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionPrice {
    pub region: String,
    pub price: Price,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceType {
    pub id: String,
    pub label: String,
    pub vcpus: u32,
    pub memory_mb: u32,
    pub disk_mb: u32,
    pub transfer_gb: u32,
    /// ISO 4217 code of every price of this type.
    pub currency: String,
    pub price: Price,
    /// Regions where the price differs from `price`.
    pub region_prices: Vec<RegionPrice>,
    pub backups_price: Price,
    /// The regions where this type can be created; `None` when the provider's
    /// type does not say (Linode's and the Sandbox's are sold in every region).
    /// Catalogues cached before this field existed read as `None`.
    #[serde(default)]
    pub regions: Option<Vec<String>>,
}

impl InstanceType {
    /// The price in `region`, which may differ from the base price.
    pub fn price_in(&self, region: &str) -> Price {
        self.region_prices
            .iter()
            .find(|p| p.region == region)
            .map(|p| p.price)
            .unwrap_or(self.price)
    }

    /// Whether a server of this type can be created in `region`.
    pub fn offered_in(&self, region: &str) -> bool {
        self.regions
            .as_ref()
            .is_none_or(|rs| rs.iter().any(|r| r == region))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub id: String,
    pub label: String,
    pub vendor: String,
    /// Whether the image reads cloud-init user data.
    pub cloud_init: bool,
    pub deprecated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackScript {
    pub id: String,
    pub label: String,
    pub description: String,
    pub images: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateInstance {
    /// Unique per account; the key that makes a create safe to retry.
    pub label: String,
    pub region: String,
    pub instance_type: String,
    pub image: String,
    pub root_password: Option<Secret>,
    pub authorized_keys: Vec<String>,
    pub stackscript_id: Option<String>,
    pub stackscript_data: Vec<(String, String)>,
    /// cloud-init user data, plain text (the client encodes it).
    pub user_data: Option<String>,
    pub firewall_id: Option<String>,
    pub tags: Vec<String>,
    pub backups_enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuild {
    pub image: String,
    pub root_password: Option<Secret>,
    pub authorized_keys: Vec<String>,
}

/// Provider-side status, in Linode's vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanceStatus {
    Provisioning,
    Booting,
    Running,
    Rebooting,
    ShuttingDown,
    Offline,
    Deleting,
    Migrating,
    Rebuilding,
    Resizing,
    Restoring,
    Stopped,
    Failed,
}

impl InstanceStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            InstanceStatus::Provisioning => "provisioning",
            InstanceStatus::Booting => "booting",
            InstanceStatus::Running => "running",
            InstanceStatus::Rebooting => "rebooting",
            InstanceStatus::ShuttingDown => "shutting_down",
            InstanceStatus::Offline => "offline",
            InstanceStatus::Deleting => "deleting",
            InstanceStatus::Migrating => "migrating",
            InstanceStatus::Rebuilding => "rebuilding",
            InstanceStatus::Resizing => "resizing",
            InstanceStatus::Restoring => "restoring",
            InstanceStatus::Stopped => "stopped",
            InstanceStatus::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    pub id: String,
    pub label: String,
    pub region: String,
    pub instance_type: String,
    pub image: String,
    pub status: InstanceStatus,
    pub ipv4: Vec<String>,
    pub ipv6: Option<String>,
    pub backups_enabled: bool,
    pub tags: Vec<String>,
    pub created: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backup {
    pub id: String,
    pub label: Option<String>,
    /// `auto` or `snapshot`.
    pub kind: String,
    /// `pending`, `running`, `successful`, `failed`.
    pub status: String,
    pub created: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpAddress {
    pub address: String,
    /// `ipv4` or `ipv6`.
    pub kind: String,
    pub public: bool,
    pub rdns: Option<String>,
    pub gateway: Option<String>,
    pub prefix: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallRule {
    pub label: String,
    /// `ACCEPT` or `DROP`.
    pub action: String,
    /// `TCP`, `UDP`, `ICMP`.
    pub protocol: String,
    /// e.g. "22", "80,443", "1024-65535"; empty for ICMP.
    pub ports: String,
    pub addresses: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallRules {
    pub inbound_policy: String,
    pub outbound_policy: String,
    pub inbound: Vec<FirewallRule>,
    pub outbound: Vec<FirewallRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Firewall {
    pub id: String,
    pub label: String,
    pub rules: FirewallRules,
    pub instance_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFirewall {
    pub label: String,
    pub rules: FirewallRules,
}

/// One sample of a metric series. Metrics are measurements, not money, so
/// they are floating point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub at: DateTime<Utc>,
    pub value: f64,
}

/// Usage over the last day, at the provider's sampling interval. A provider
/// leaves empty the series it does not measure ([`Capabilities`] says which).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// CPU use in percent of one core (can exceed 100 with several cores).
    pub cpu_percent: Vec<Sample>,
    pub network_in_bits_per_s: Vec<Sample>,
    pub network_out_bits_per_s: Vec<Sample>,
    pub disk_io_blocks_per_s: Vec<Sample>,
    /// Used space of the root filesystem in percent (DigitalOcean measures
    /// this rather than disk I/O).
    #[serde(default)]
    pub disk_used_percent: Vec<Sample>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub used_bytes: u64,
    pub quota_gb: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderEvent {
    pub id: u64,
    /// Linode's action names: `linode_create`, `linode_boot`, `linode_shutdown`, …
    pub action: String,
    /// The instance concerned, when there is one.
    pub entity_id: Option<String>,
    /// `scheduled`, `started`, `finished`, `failed`, `notification`.
    pub status: String,
    pub created: DateTime<Utc>,
}

/// Where reverse DNS of a server's addresses comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReverseDns {
    /// Set per address with [`crate::Provider::set_reverse_dns`].
    PerAddress,
    /// The provider publishes the server's name as the PTR record of its own
    /// addresses when the name is a fully qualified domain name; it cannot be
    /// set per address (DigitalOcean).
    FromServerName,
}

/// The part of the product a [`ProviderNote`] concerns, so the UI shows it
/// where it applies (the account form, the plan form, a server tab).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteTopic {
    Account,
    Catalogue,
    Create,
    Lifecycle,
    Backups,
    Network,
    Firewalls,
    Stats,
}

/// One difference, in a sentence the UI can show as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderNote {
    pub topic: NoteTopic,
    pub text: String,
}

/// What a provider offers of the trait's vocabulary (shaped after Linode, the
/// richest provider). A `false` means the matching method answers
/// [`crate::ProviderError::Unsupported`] (or, for a series, leaves it empty),
/// so the UI can hide the control and show the note instead of a broken tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Linode's StackScripts (`stackscripts()` lists them, `create_instance` runs one).
    pub stackscripts: bool,
    /// `rescue()` boots a rescue system.
    pub rescue: bool,
    /// `reset_root_password()` sets a password the caller chooses.
    pub set_root_password: bool,
    /// `rebuild()` takes a new root password and SSH keys.
    pub rebuild_sets_credentials: bool,
    /// `resize()` works on a running server (false: power it off first).
    pub resize_running: bool,
    /// `restore_backup()` can restore onto another server than the backup's own.
    pub restore_to_other_server: bool,
    /// `take_snapshot()` needs backups enabled on the server.
    pub snapshots_need_backups: bool,
    pub reverse_dns: ReverseDns,
    /// Most extra public IPv4 addresses `allocate_ipv4()` adds to one server;
    /// `None` when the provider decides case by case.
    pub extra_ipv4_max: Option<u32>,
    /// Firewall rules and policies may DROP (false: rules only allow, and
    /// everything not allowed is dropped).
    pub firewall_drop_rules: bool,
    /// Firewall rules keep their labels.
    pub firewall_rule_labels: bool,
    /// `transfer()` reports the server's own transfer this month.
    pub transfer: bool,
    /// Which [`Stats`] series are filled.
    pub disk_io_stats: bool,
    pub disk_usage_stats: bool,
    /// One sentence per difference worth telling the user.
    pub notes: Vec<ProviderNote>,
}

impl Default for Capabilities {
    /// Linode's (and the Sandbox's) offer: everything the trait names.
    fn default() -> Self {
        Capabilities {
            stackscripts: true,
            rescue: true,
            set_root_password: true,
            rebuild_sets_credentials: true,
            resize_running: true,
            restore_to_other_server: true,
            snapshots_need_backups: true,
            reverse_dns: ReverseDns::PerAddress,
            extra_ipv4_max: None,
            firewall_drop_rules: true,
            firewall_rule_labels: true,
            transfer: true,
            disk_io_stats: true,
            disk_usage_stats: false,
            notes: Vec::new(),
        }
    }
}

impl Capabilities {
    /// The notes about one part of the product.
    pub fn notes_on(&self, topic: NoteTopic) -> impl Iterator<Item = &str> {
        self.notes
            .iter()
            .filter(move |n| n.topic == topic)
            .map(|n| n.text.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_found_by_topic_and_stats_read_without_disk_usage() {
        let mut c = Capabilities::default();
        assert_eq!(c.reverse_dns, ReverseDns::PerAddress);
        c.notes.push(ProviderNote {
            topic: NoteTopic::Network,
            text: "PTR comes from the name".into(),
        });
        assert_eq!(
            c.notes_on(NoteTopic::Network).collect::<Vec<_>>(),
            ["PTR comes from the name"]
        );
        assert_eq!(c.notes_on(NoteTopic::Stats).count(), 0);
        // Stats serialized before `disk_used_percent` existed still read.
        let old = r#"{"cpu_percent":[],"network_in_bits_per_s":[],"network_out_bits_per_s":[],"disk_io_blocks_per_s":[]}"#;
        let s: Stats = serde_json::from_str(old).unwrap();
        assert!(s.disk_used_percent.is_empty());
    }
}
