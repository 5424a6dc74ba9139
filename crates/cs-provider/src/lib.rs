//! The provider boundary: what the app needs from a cloud to resell it.
//!
//! [`Provider`] covers the whole of what a reseller sells (DESIGN §6): the
//! catalogue (regions, instance types with per-region prices, images,
//! StackScripts), the instance lifecycle (create with a root password or SSH
//! keys and StackScript / cloud-init data, boot, shut down, reboot, resize,
//! rebuild, rescue, reset the root password, delete), backups and snapshots,
//! IP addresses and reverse DNS, firewalls, usage stats, transfer and the
//! provider's event feed that reconciliation reads.
//!
//! [`sandbox::Sandbox`] is the built-in simulated provider: a new user can try
//! every feature with no account. The Linode and DigitalOcean implementations
//! live beside their clients; [`Provider::capabilities`] says where a cloud
//! offers less (or otherwise) than the trait's vocabulary. This crate does not store anything and does not know about
//! customers or billing: it speaks in provider ids.

pub mod sandbox;
mod types;

pub use types::*;

use async_trait::async_trait;

pub type ProviderResult<T> = Result<T, ProviderError>;

/// Why a provider call failed, in the closed set of cases the app acts on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("{0} was not found at the provider")]
    NotFound(String),
    #[error("the provider refused {field}: {message}")]
    Validation { field: String, message: String },
    #[error("the provider rejected our credentials: {0}")]
    Auth(String),
    #[error("the provider is rate limiting us: try again in {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    #[error("the provider is busy with another operation on this server: try again in a minute")]
    Busy,
    #[error("the provider is unavailable: {0}")]
    Unavailable(String),
    #[error("{0} is not supported by this provider")]
    Unsupported(&'static str),
}

impl ProviderError {
    /// Worth retrying later without changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ProviderError::RateLimited { .. } | ProviderError::Busy | ProviderError::Unavailable(_)
        )
    }
}

/// A cloud we resell. Every method is one provider operation; none retries a
/// create on its own (see [`Provider::find_instance_by_label`]).
///
/// Which cloud a provider is comes from the server or plan that names it (the
/// app keeps `ProviderKind` on its rows), not from the trait: a provider need
/// not be one of the kinds the app already stores.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// How this provider differs from the full vocabulary of the trait (which
    /// is shaped after Linode), as data the UI shows instead of a broken tab.
    /// The default describes Linode and the Sandbox.
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }

    // Catalogue.
    async fn regions(&self) -> ProviderResult<Vec<Region>>;
    async fn instance_types(&self) -> ProviderResult<Vec<InstanceType>>;
    async fn images(&self) -> ProviderResult<Vec<Image>>;
    async fn stackscripts(&self) -> ProviderResult<Vec<StackScript>>;

    // Instances.
    async fn create_instance(&self, request: &CreateInstance) -> ProviderResult<Instance>;
    /// Labels are unique per account: after an ambiguous create failure the
    /// caller looks the instance up by label before trying again, so a retry
    /// never makes two.
    async fn find_instance_by_label(&self, label: &str) -> ProviderResult<Option<Instance>>;
    async fn get_instance(&self, id: &str) -> ProviderResult<Instance>;
    async fn list_instances(&self) -> ProviderResult<Vec<Instance>>;
    async fn boot(&self, id: &str) -> ProviderResult<()>;
    async fn shutdown(&self, id: &str) -> ProviderResult<()>;
    async fn reboot(&self, id: &str) -> ProviderResult<()>;
    async fn delete(&self, id: &str) -> ProviderResult<()>;
    async fn resize(&self, id: &str, instance_type: &str) -> ProviderResult<()>;
    async fn rebuild(&self, id: &str, request: &Rebuild) -> ProviderResult<()>;
    async fn rescue(&self, id: &str) -> ProviderResult<()>;
    async fn reset_root_password(&self, id: &str, password: &Secret) -> ProviderResult<()>;

    // Backups.
    async fn enable_backups(&self, id: &str) -> ProviderResult<()>;
    async fn cancel_backups(&self, id: &str) -> ProviderResult<()>;
    async fn list_backups(&self, id: &str) -> ProviderResult<Vec<Backup>>;
    async fn take_snapshot(&self, id: &str, label: &str) -> ProviderResult<Backup>;
    async fn restore_backup(
        &self,
        id: &str,
        backup_id: &str,
        target_instance: &str,
    ) -> ProviderResult<()>;

    // Networking.
    async fn ips(&self, id: &str) -> ProviderResult<Vec<IpAddress>>;
    async fn allocate_ipv4(&self, id: &str) -> ProviderResult<IpAddress>;
    async fn set_reverse_dns(&self, address: &str, rdns: Option<&str>)
        -> ProviderResult<IpAddress>;
    async fn firewalls(&self) -> ProviderResult<Vec<Firewall>>;
    async fn create_firewall(&self, request: &NewFirewall) -> ProviderResult<Firewall>;
    async fn set_firewall_rules(
        &self,
        firewall_id: &str,
        rules: &FirewallRules,
    ) -> ProviderResult<Firewall>;
    async fn attach_firewall(&self, firewall_id: &str, instance_id: &str) -> ProviderResult<()>;

    // Usage and events.
    async fn stats(&self, id: &str) -> ProviderResult<Stats>;
    async fn transfer(&self, id: &str) -> ProviderResult<Transfer>;
    /// Events newer than `after` (an event id), oldest first.
    async fn events(&self, after: Option<u64>) -> ProviderResult<Vec<ProviderEvent>>;
}
