//! [`DigitalOceanProvider`]: the DigitalOcean implementation of [`cs_provider::Provider`].
//!
//! An adapter over [`DigitalOceanClient`]; the client already paces, retries and never
//! creates twice. This module translates, and says where DigitalOcean differs
//! ([`capabilities`]) instead of pretending:
//!
//! - **Ids.** Provider ids are DigitalOcean's numeric Droplet ids as decimal text (a
//!   non-number cannot exist there: [`ProviderError::NotFound`]); firewall ids are UUIDs.
//! - **Money.** Prices arrive as exact micro-units of a US dollar. Hourly prices stay in
//!   micro-units; monthly prices become cents by exact division (a price that is not a
//!   whole number of cents leaves the size out of the catalogue, logged, never rounded).
//!   The backups price is DigitalOcean's weekly plan, 20 % of the size's price, and the
//!   provider asks for weekly backups so that is what DigitalOcean bills.
//! - **Status.** DigitalOcean's Droplet status (`new`, `active`, `off`) says nothing about
//!   actions in flight, so the provider remembers the actions it started and, while one
//!   is in progress, reports the transitional status (`shutting_down`, `rebooting`,
//!   `resizing` …). Reading a list costs its pages plus one request per such action.
//! - **Credentials.** A root password is set through cloud-init user data
//!   ([`crate::userdata`]); SSH keys are registered on the account by fingerprint first.
//! - **Reverse DNS** comes from the Droplet's name; it cannot be set per address.
//! - **Firewalls** only allow: a DROP policy with ACCEPT rules maps exactly; an ACCEPT
//!   policy becomes allow-everything rules, and DROP rules are refused.
//! - **Events** are DigitalOcean's actions, named in the trait's (Linode's) vocabulary.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cs_core::Currency;
use cs_provider as p;
use cs_provider::{NoteTopic, Provider, ProviderError, ProviderNote, ProviderResult, ReverseDns};

use crate::api::WriteAccess;
use crate::model as m;
use crate::{ApiToken, ClientConfig, DigitalOceanClient, DigitalOceanError, Micros};

/// DigitalOcean bills in US dollars.
pub const DIGITALOCEAN_CURRENCY: &str = "USD";

/// DigitalOcean's weekly backups cost this share of the Droplet's price, in percent
/// (daily backups cost 30 %; the provider always asks for weekly).
pub const WEEKLY_BACKUP_PERCENT: i64 = 20;

/// What [`DigitalOceanProvider::connect`] learned about the token's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSummary {
    pub email: String,
    pub uuid: String,
    /// The team the token belongs to, when it is a team token.
    pub team: Option<String>,
    /// `active` or `warning` (a locked account is refused).
    pub status: String,
    pub status_message: String,
    pub droplet_limit: u32,
    pub reserved_ip_limit: u32,
    pub email_verified: bool,
    /// The API root the provider talks to.
    pub base_url: String,
}

/// An action the provider started and has not yet seen finish.
#[derive(Debug, Clone)]
struct Pending {
    action_id: u64,
    kind: String,
    /// The snapshot's name, for snapshot actions.
    label: Option<String>,
    started: DateTime<Utc>,
}

/// The DigitalOcean provider: a [`DigitalOceanClient`] behind the [`Provider`] trait.
pub struct DigitalOceanProvider {
    client: DigitalOceanClient,
    /// Droplet id → the last action this provider started on it, until it is seen over.
    pending: Mutex<HashMap<u64, Pending>>,
    /// Droplet name → tags of the create request, so a lookup by name can pick ours among
    /// Droplets of the same name.
    created_tags: Mutex<HashMap<String, Vec<String>>>,
}

impl std::fmt::Debug for DigitalOceanProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DigitalOceanProvider")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl DigitalOceanProvider {
    /// Checks `token` against DigitalOcean (the account, and that the token may write)
    /// and returns a provider with a summary of the account. `base_url` defaults to
    /// DigitalOcean's production API. An invalid or read-only token, or a locked account,
    /// is refused with [`ProviderError::Auth`] saying why and what to do.
    pub async fn connect(
        base_url: Option<String>,
        token: ApiToken,
    ) -> Result<(DigitalOceanProvider, AccountSummary), ProviderError> {
        let mut config = ClientConfig::new(token);
        if let Some(url) = base_url {
            config = config.with_base_url(url);
        }
        Self::connect_with(config).await
    }

    /// [`DigitalOceanProvider::connect`] with every client setting.
    pub async fn connect_with(
        config: ClientConfig,
    ) -> Result<(DigitalOceanProvider, AccountSummary), ProviderError> {
        let client = DigitalOceanClient::new(config).map_err(map_error)?;
        let account = client.account().await.map_err(map_error)?;
        if account.status == m::AccountStatus::Locked {
            return Err(ProviderError::Auth(format!(
                "the DigitalOcean account {} is locked{}: resolve it in the DigitalOcean control panel, then connect again",
                account.email,
                if account.status_message.trim().is_empty() {
                    String::new()
                } else {
                    format!(" ({})", account.status_message.trim().trim_end_matches('.'))
                }
            )));
        }
        if client.check_write_access().await.map_err(map_error)? == WriteAccess::ReadOnly {
            return Err(map_error(DigitalOceanError::ReadOnlyToken));
        }
        let summary = AccountSummary {
            email: account.email,
            uuid: account.uuid,
            team: account.team.map(|t| t.name).filter(|n| !n.is_empty()),
            status: account.status.as_str().to_owned(),
            status_message: account.status_message.trim().to_owned(),
            droplet_limit: account.droplet_limit,
            reserved_ip_limit: account.floating_ip_limit,
            email_verified: account.email_verified,
            base_url: client.base_url().to_owned(),
        };
        Ok((DigitalOceanProvider::new(client), summary))
    }

    /// Wraps a client without checking its token.
    pub fn new(client: DigitalOceanClient) -> DigitalOceanProvider {
        DigitalOceanProvider {
            client,
            pending: Mutex::new(HashMap::new()),
            created_tags: Mutex::new(HashMap::new()),
        }
    }

    pub fn client(&self) -> &DigitalOceanClient {
        &self.client
    }

    fn remember(&self, droplet: u64, action: &m::Action, label: Option<&str>) {
        lock(&self.pending).insert(
            droplet,
            Pending {
                action_id: action.id,
                kind: action.kind.clone(),
                label: label.map(str::to_owned),
                started: action.started_at.unwrap_or_else(Utc::now),
            },
        );
    }

    /// The kind of the action this provider started on `droplet`, if it is still in
    /// progress (one request); forgotten once it is over.
    async fn in_flight(&self, droplet: u64) -> ProviderResult<Option<Pending>> {
        let Some(p) = lock(&self.pending).get(&droplet).cloned() else {
            return Ok(None);
        };
        match self.client.get_action(p.action_id).await {
            Ok(a) if a.in_progress() => Ok(Some(p)),
            Ok(_) | Err(DigitalOceanError::NotFound { .. }) => {
                let mut map = lock(&self.pending);
                if map
                    .get(&droplet)
                    .is_some_and(|q| q.action_id == p.action_id)
                {
                    map.remove(&droplet);
                }
                Ok(None)
            }
            Err(e) => Err(map_error(e)),
        }
    }

    /// The actions in flight on these Droplets (one request per remembered action). Read
    /// *before* the Droplets: an action that ends in between then shows its new state
    /// with a transitional status for one observation, never an old state as final.
    async fn in_flight_of(&self, ids: &[u64]) -> ProviderResult<HashMap<u64, String>> {
        let mut out = HashMap::new();
        for id in ids {
            if let Some(p) = self.in_flight(*id).await? {
                out.insert(*id, p.kind);
            }
        }
        Ok(out)
    }

    fn remembered(&self) -> Vec<u64> {
        lock(&self.pending).keys().copied().collect()
    }

    async fn act(&self, id: &str, action: m::DropletAction) -> ProviderResult<m::Action> {
        let n = droplet_id(id)?;
        let label = match &action {
            m::DropletAction::Snapshot { name } => Some(name.clone()),
            _ => None,
        };
        let a = self
            .client
            .droplet_action(n, &action)
            .await
            .map_err(|e| map_action_error(e, &action))?;
        self.remember(n, &a, label.as_deref());
        Ok(a)
    }
}

// ---------------------------------------------------------------- errors

/// Maps a client error onto the provider's closed set of cases.
pub fn map_error(e: DigitalOceanError) -> ProviderError {
    match e {
        DigitalOceanError::InvalidToken
        | DigitalOceanError::Forbidden { .. }
        | DigitalOceanError::ReadOnlyToken => ProviderError::Auth(e.to_string()),
        DigitalOceanError::NotFound { what } => ProviderError::NotFound(what),
        DigitalOceanError::Validation { ref message, .. } => ProviderError::Validation {
            field: field_of(message).to_owned(),
            message: message.trim_end_matches('.').to_owned(),
        },
        DigitalOceanError::Busy => ProviderError::Busy,
        DigitalOceanError::RateLimited { retry_after } => {
            // Round up: retrying early only earns another 429.
            let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            ProviderError::RateLimited {
                retry_after_s: secs.max(1),
            }
        }
        DigitalOceanError::Server { .. }
        | DigitalOceanError::Timeout
        | DigitalOceanError::Transport(_)
        | DigitalOceanError::Decode(_)
        | DigitalOceanError::ActionTimedOut { .. } => ProviderError::Unavailable(e.to_string()),
        DigitalOceanError::ActionErrored { .. } => ProviderError::Unavailable(e.to_string()),
        DigitalOceanError::Config(message) => ProviderError::Validation {
            field: "settings".to_owned(),
            message,
        },
    }
}

/// DigitalOcean's validation messages name no field; guess it from the words, for the
/// form to highlight (`request` when nothing fits).
fn field_of(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    if m.contains("size") {
        "type"
    } else if m.contains("region") {
        "region"
    } else if m.contains("image") {
        "image"
    } else if m.contains("ssh key") || m.contains("ssh_key") {
        "authorized_keys"
    } else if m.contains("user_data") || m.contains("user data") {
        "user_data"
    } else if m.contains("hostname") || m.contains("name") {
        "label"
    } else if m.contains("tag") {
        "tags"
    } else if m.contains("limit") {
        "account"
    } else {
        "request"
    }
}

/// Action refusals worded for what to do on DigitalOcean.
fn map_action_error(e: DigitalOceanError, action: &m::DropletAction) -> ProviderError {
    match (&e, action) {
        (DigitalOceanError::Validation { message, .. }, m::DropletAction::Resize { .. })
            if message.to_ascii_lowercase().contains("power it off") =>
        {
            ProviderError::Validation {
                field: "status".to_owned(),
                message: "DigitalOcean resizes only powered-off Droplets: shut the server down, resize it, then boot it".to_owned(),
            }
        }
        _ => map_error(e),
    }
}

fn r<T>(result: Result<T, DigitalOceanError>) -> ProviderResult<T> {
    result.map_err(map_error)
}

fn droplet_id(id: &str) -> ProviderResult<u64> {
    id.trim()
        .parse::<u64>()
        .map_err(|_| ProviderError::NotFound(format!("Droplet {id}")))
}

// ---------------------------------------------------------------- money

/// A DigitalOcean price: hourly stays in micro-units, monthly becomes cents. `None` when
/// the monthly price is not a whole number of cents.
pub fn price_from_digitalocean(hourly: Micros, monthly: Micros) -> Option<p::Price> {
    let per_minor = cs_core::money::MICROS_PER_UNIT / 10i64.pow(Currency::USD.exponent());
    (monthly.0 % per_minor == 0).then(|| p::Price {
        monthly_minor: monthly.0 / per_minor,
        hourly_micros: hourly.0,
    })
}

/// The weekly backups price: exactly 20 % of `price`, or `None` when that is not a whole
/// number of cents (monthly) and micro-units (hourly).
pub fn weekly_backups_price(price: p::Price) -> Option<p::Price> {
    let share =
        |v: i64| (v * WEEKLY_BACKUP_PERCENT % 100 == 0).then(|| v * WEEKLY_BACKUP_PERCENT / 100);
    Some(p::Price {
        monthly_minor: share(price.monthly_minor)?,
        hourly_micros: share(price.hourly_micros)?,
    })
}

fn map_size(s: m::Size) -> Option<p::InstanceType> {
    let Some(price) = price_from_digitalocean(s.price_hourly, s.price_monthly) else {
        tracing::warn!(size = %s.slug, monthly = s.price_monthly.0, "DigitalOcean size has a sub-cent monthly price; left out of the catalogue");
        return None;
    };
    let Some(backups_price) = weekly_backups_price(price) else {
        tracing::warn!(size = %s.slug, "20 % of the DigitalOcean size's price is not a whole number of cents; left out of the catalogue");
        return None;
    };
    let memory = if s.memory.is_multiple_of(1024) {
        format!("{} GB", s.memory / 1024)
    } else {
        format!("{} MB", s.memory)
    };
    Some(p::InstanceType {
        label: format!(
            "{} {memory} / {} vCPU{} / {} GB",
            if s.description.is_empty() {
                "Droplet"
            } else {
                &s.description
            },
            s.vcpus,
            if s.vcpus == 1 { "" } else { "s" },
            s.disk
        ),
        id: s.slug,
        vcpus: s.vcpus,
        memory_mb: clamp_u32(s.memory),
        disk_mb: clamp_u32(s.disk.saturating_mul(1024)),
        // Terabytes (in millionths) to gigabytes.
        transfer_gb: clamp_u32(u64::try_from(s.transfer.0 / 1000).unwrap_or(0)),
        currency: DIGITALOCEAN_CURRENCY.to_owned(),
        price,
        region_prices: vec![],
        backups_price,
        // DigitalOcean sells some sizes in some regions only; an unavailable size
        // in none.
        regions: Some(if s.available { s.regions } else { vec![] }),
    })
}

fn clamp_u32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// The country of a DigitalOcean region, from its slug's city code (DigitalOcean does not
/// send one); empty for a city this table does not know yet.
pub fn country_of(region: &str) -> &'static str {
    let city: String = region
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    match city.as_str() {
        "nyc" | "sfo" | "atl" | "ric" => "us",
        "ams" => "nl",
        "sgp" => "sg",
        "lon" => "gb",
        "fra" => "de",
        "tor" => "ca",
        "blr" => "in",
        "syd" => "au",
        _ => "",
    }
}

// ---------------------------------------------------------------- mapping

fn epoch() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

/// DigitalOcean's status, refined by an action in flight, in the trait's vocabulary.
pub fn map_status(status: &m::DropletStatus, action_in_flight: Option<&str>) -> p::InstanceStatus {
    use p::InstanceStatus as P;
    match (status, action_in_flight) {
        (m::DropletStatus::New, _) => P::Provisioning,
        (_, Some("power_on")) => P::Booting,
        (_, Some("shutdown" | "power_off")) => P::ShuttingDown,
        (_, Some("reboot" | "power_cycle" | "password_reset")) => P::Rebooting,
        (_, Some("resize")) => P::Resizing,
        (_, Some("rebuild")) => P::Rebuilding,
        (_, Some("restore")) => P::Restoring,
        (m::DropletStatus::Active, _) => P::Running,
        (m::DropletStatus::Off, _) => P::Offline,
        // Archived: destroyed but kept by DigitalOcean; it does not run.
        (m::DropletStatus::Archive, _) => P::Stopped,
        (m::DropletStatus::Other(other), _) => {
            tracing::warn!(status = %other, "unknown DigitalOcean status; treated as an operation in progress");
            P::Migrating
        }
    }
}

fn map_droplet(d: m::Droplet, action_in_flight: Option<&str>) -> p::Instance {
    let mut ipv4: Vec<String> = d.public_ipv4().map(str::to_owned).into_iter().collect();
    ipv4.extend(d.private_ipv4().map(str::to_owned));
    p::Instance {
        status: map_status(&d.status, action_in_flight),
        ipv6: d.public_ipv6().map(str::to_owned),
        // Switching backups is an action: while it runs, the Droplet's features still
        // say the old state, but the switch was accepted.
        backups_enabled: match action_in_flight {
            Some("enable_backups") => true,
            Some("disable_backups") => false,
            _ => d.backups_enabled(),
        },
        image: d
            .image
            .slug
            .clone()
            .or_else(|| d.image.id.map(|i| i.to_string()))
            .unwrap_or_default(),
        id: d.id.to_string(),
        label: d.name,
        region: d.region.slug,
        instance_type: d.size_slug,
        ipv4,
        tags: d.tags,
        created: d.created_at.unwrap_or_else(epoch),
    }
}

fn v4_prefix(netmask: Option<&str>) -> u8 {
    netmask
        .and_then(|m| m.parse::<std::net::Ipv4Addr>().ok())
        .map_or(32, |m| u32::from(m).count_ones() as u8)
}

fn map_backup(b: m::DropletImageRecord, kind: &str) -> p::Backup {
    p::Backup {
        id: b.id.to_string(),
        label: Some(b.name).filter(|n| !n.is_empty()),
        kind: kind.to_owned(),
        // DigitalOcean lists a backup or snapshot once it is usable.
        status: "successful".to_owned(),
        created: b.created_at.unwrap_or_else(epoch),
    }
}

/// The trait's (Linode's) name for a DigitalOcean action type.
pub fn event_action(kind: &str) -> String {
    match kind {
        "create" => "linode_create",
        "destroy" => "linode_delete",
        "power_on" => "linode_boot",
        "shutdown" | "power_off" => "linode_shutdown",
        "reboot" | "power_cycle" => "linode_reboot",
        "resize" => "linode_resize",
        "rebuild" => "linode_rebuild",
        "enable_backups" => "backups_enable",
        "disable_backups" => "backups_cancel",
        "snapshot" => "linode_snapshot",
        "restore" => "backups_restore",
        "password_reset" => "password_reset",
        "rename" => "linode_update",
        "assign_ip" | "unassign_ip" => "ipaddress_update",
        other => return other.to_owned(),
    }
    .to_owned()
}

fn map_event(a: m::Action) -> p::ProviderEvent {
    let droplet = matches!(a.resource_type.as_deref(), Some("droplet"));
    p::ProviderEvent {
        id: a.id,
        action: event_action(&a.kind),
        entity_id: a.resource_id.filter(|_| droplet).map(|id| id.to_string()),
        status: match a.status {
            m::ActionStatus::InProgress => "started",
            m::ActionStatus::Completed => "finished",
            m::ActionStatus::Errored => "failed",
            m::ActionStatus::Other(_) => "notification",
        }
        .to_owned(),
        created: a.started_at.unwrap_or_else(epoch),
    }
}

// ---------------------------------------------------------------- firewalls

const EVERYWHERE: [&str; 2] = ["0.0.0.0/0", "::/0"];

fn allow_all() -> Vec<(m::Protocol, String)> {
    vec![
        (m::Protocol::Tcp, "0".to_owned()),
        (m::Protocol::Udp, "0".to_owned()),
        (m::Protocol::Icmp, "0".to_owned()),
    ]
}

fn everywhere() -> m::RuleTarget {
    m::RuleTarget {
        addresses: EVERYWHERE.iter().map(|s| (*s).to_owned()).collect(),
        ..Default::default()
    }
}

fn is_everywhere(t: &m::RuleTarget) -> bool {
    EVERYWHERE
        .iter()
        .all(|a| t.addresses.iter().any(|x| x == a))
}

/// A rule target as the trait's addresses: Droplets and tags a rule names in
/// DigitalOcean's console are kept as `droplet:<id>` and `tag:<name>` so that saving the
/// rules back does not drop them.
fn target_addresses(t: &m::RuleTarget) -> Vec<String> {
    let mut out = t.addresses.clone();
    out.extend(t.droplet_ids.iter().map(|d| format!("droplet:{d}")));
    out.extend(t.tags.iter().map(|t| format!("tag:{t}")));
    out.extend(
        t.load_balancer_uids
            .iter()
            .map(|l| format!("load_balancer:{l}")),
    );
    out.extend(t.kubernetes_ids.iter().map(|k| format!("kubernetes:{k}")));
    out
}

fn target_from(addresses: &[String]) -> ProviderResult<m::RuleTarget> {
    let mut t = m::RuleTarget::default();
    for a in addresses.iter().map(|a| a.trim()).filter(|a| !a.is_empty()) {
        if let Some(d) = a.strip_prefix("droplet:") {
            t.droplet_ids
                .push(d.parse().map_err(|_| ProviderError::Validation {
                    field: "addresses".to_owned(),
                    message: format!("`{a}` names no Droplet: use droplet:<id>"),
                })?);
        } else if let Some(tag) = a.strip_prefix("tag:") {
            t.tags.push(tag.to_owned());
        } else if let Some(lb) = a.strip_prefix("load_balancer:") {
            t.load_balancer_uids.push(lb.to_owned());
        } else if let Some(k) = a.strip_prefix("kubernetes:") {
            t.kubernetes_ids.push(k.to_owned());
        } else {
            t.addresses.push(a.to_owned());
        }
    }
    if t == m::RuleTarget::default() {
        return Err(ProviderError::Validation {
            field: "addresses".to_owned(),
            message: "every DigitalOcean firewall rule needs addresses: add 0.0.0.0/0 and ::/0 for everyone".to_owned(),
        });
    }
    Ok(t)
}

fn protocol_text(p: m::Protocol) -> &'static str {
    match p {
        m::Protocol::Tcp => "TCP",
        m::Protocol::Udp => "UDP",
        m::Protocol::Icmp => "ICMP",
    }
}

/// Rules of one direction from DigitalOcean: `(policy, rules)`. Allow-everything rules
/// for TCP, UDP and ICMP are an ACCEPT policy.
fn direction_from(
    rules: Vec<(m::Protocol, String, m::RuleTarget)>,
) -> (String, Vec<p::FirewallRule>) {
    let open = allow_all().iter().all(|(proto, ports)| {
        rules.iter().any(|(p, po, t)| {
            p == proto
                && (po == ports || po.is_empty() || *p == m::Protocol::Icmp)
                && is_everywhere(t)
        })
    });
    let rules = rules
        .into_iter()
        .filter(|(p, po, t)| {
            !(open && (po == "0" || po.is_empty() || *p == m::Protocol::Icmp) && is_everywhere(t))
        })
        .map(|(proto, ports, t)| p::FirewallRule {
            label: String::new(),
            action: "ACCEPT".to_owned(),
            protocol: protocol_text(proto).to_owned(),
            ports: if ports == "0" || proto == m::Protocol::Icmp {
                String::new()
            } else {
                ports
            },
            addresses: target_addresses(&t),
        })
        .collect();
    (if open { "ACCEPT" } else { "DROP" }.to_owned(), rules)
}

fn rules_from_do(fw: &m::Firewall) -> p::FirewallRules {
    let (inbound_policy, inbound) = direction_from(
        fw.inbound_rules
            .iter()
            .map(|r| (r.protocol, r.ports.clone(), r.sources.clone()))
            .collect(),
    );
    let (outbound_policy, outbound) = direction_from(
        fw.outbound_rules
            .iter()
            .map(|r| (r.protocol, r.ports.clone(), r.destinations.clone()))
            .collect(),
    );
    p::FirewallRules {
        inbound_policy,
        outbound_policy,
        inbound,
        outbound,
    }
}

/// One direction to DigitalOcean's allow rules: `(protocol, ports, target)` each.
fn direction_to(
    policy: &str,
    rules: &[p::FirewallRule],
    which: &str,
) -> ProviderResult<Vec<(m::Protocol, String, m::RuleTarget)>> {
    let refuse = |message: String| ProviderError::Validation {
        field: format!("{which}_policy"),
        message,
    };
    let mut out = Vec::new();
    for r in rules {
        if !r.action.trim().eq_ignore_ascii_case("ACCEPT") {
            return Err(refuse(format!(
                "DigitalOcean firewalls only allow traffic (everything not allowed is dropped): remove the {} rule {}",
                r.action.trim(),
                if r.label.is_empty() { "" } else { &r.label }
            ).trim_end().to_owned()));
        }
        let protocol = match r.protocol.trim().to_ascii_uppercase().as_str() {
            "TCP" => m::Protocol::Tcp,
            "UDP" => m::Protocol::Udp,
            "ICMP" => m::Protocol::Icmp,
            other => {
                return Err(ProviderError::Validation {
                    field: "protocol".to_owned(),
                    message: format!(
                        "DigitalOcean firewalls filter TCP, UDP and ICMP, not `{other}`"
                    ),
                })
            }
        };
        let target = target_from(&r.addresses)?;
        if protocol == m::Protocol::Icmp {
            out.push((protocol, "0".to_owned(), target));
            continue;
        }
        // DigitalOcean takes one port or range per rule: "22, 80, 443" is three rules.
        let ports: Vec<&str> = r
            .ports
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        if ports.is_empty() {
            out.push((protocol, "0".to_owned(), target.clone()));
        }
        for port in ports {
            out.push((protocol, port.to_owned(), target.clone()));
        }
    }
    match policy.trim().to_ascii_uppercase().as_str() {
        "DROP" => Ok(out),
        // Accept everything: DigitalOcean's allow-everything rules (which make the others moot).
        "ACCEPT" => Ok(allow_all()
            .into_iter()
            .map(|(p, ports)| (p, ports, everywhere()))
            .collect()),
        other => Err(refuse(format!(
            "`{other}` is not a firewall policy: use ACCEPT or DROP"
        ))),
    }
}

fn request_from(
    name: &str,
    rules: &p::FirewallRules,
    droplet_ids: Vec<u64>,
    tags: Vec<String>,
) -> ProviderResult<m::FirewallRequest> {
    let valid_name = name.len() >= 2
        && name.len() <= 255
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if !valid_name {
        return Err(ProviderError::Validation {
            field: "label".to_owned(),
            message: format!("`{name}` is not a DigitalOcean firewall name: use letters, digits, dots and dashes, starting with a letter or digit"),
        });
    }
    Ok(m::FirewallRequest {
        name: name.to_owned(),
        inbound_rules: direction_to(&rules.inbound_policy, &rules.inbound, "inbound")?
            .into_iter()
            .map(|(protocol, ports, sources)| m::InboundRule {
                protocol,
                ports,
                sources,
            })
            .collect(),
        outbound_rules: direction_to(&rules.outbound_policy, &rules.outbound, "outbound")?
            .into_iter()
            .map(|(protocol, ports, destinations)| m::OutboundRule {
                protocol,
                ports,
                destinations,
            })
            .collect(),
        droplet_ids,
        tags,
    })
}

fn map_firewall(fw: m::Firewall) -> p::Firewall {
    p::Firewall {
        rules: rules_from_do(&fw),
        id: fw.id,
        label: fw.name,
        instance_ids: fw.droplet_ids.iter().map(u64::to_string).collect(),
    }
}

// ---------------------------------------------------------------- stats

/// CPU use in percent of one core from DigitalOcean's cumulative per-mode counters: the
/// busy seconds (every mode but idle) gained between two samples over the seconds between
/// them.
#[allow(clippy::float_arithmetic)] // metrics, not money: the trait's samples are f64
fn cpu_percent(series: &[m::MetricSeries]) -> Vec<p::Sample> {
    let mut busy: std::collections::BTreeMap<i64, f64> = std::collections::BTreeMap::new();
    for s in series {
        if s.labels.get("mode").map(String::as_str) == Some("idle") {
            continue;
        }
        for pt in &s.points {
            *busy.entry(pt.at).or_insert(0.0) += pt.value;
        }
    }
    busy.iter()
        .zip(busy.iter().skip(1))
        .filter_map(|((t0, b0), (t1, b1))| {
            let dt = (t1 - t0) as f64;
            let used = b1 - b0;
            let at = DateTime::from_timestamp(*t1, 0)?;
            (dt > 0.0 && used >= 0.0).then(|| p::Sample {
                at,
                value: (used / dt * 100.0 * 100.0).round() / 100.0,
            })
        })
        .collect()
}

#[allow(clippy::float_arithmetic)] // metrics, not money
fn mbps_to_bits(series: &[m::MetricSeries]) -> Vec<p::Sample> {
    series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter_map(|pt| {
            Some(p::Sample {
                at: DateTime::from_timestamp(pt.at, 0)?,
                value: (pt.value * 1_000_000.0).round(),
            })
        })
        .collect()
}

/// Used space of the root filesystem (`mountpoint` `/`), in percent.
#[allow(clippy::float_arithmetic)] // metrics, not money
fn disk_used_percent(free: &[m::MetricSeries], size: &[m::MetricSeries]) -> Vec<p::Sample> {
    let root = |series: &[m::MetricSeries]| {
        series
            .iter()
            .find(|s| s.labels.get("mountpoint").map(String::as_str) == Some("/"))
            .or_else(|| series.first())
            .map(|s| {
                s.points
                    .iter()
                    .map(|p| (p.at, p.value))
                    .collect::<HashMap<_, _>>()
            })
            .unwrap_or_default()
    };
    let (free, size) = (root(free), root(size));
    let mut out: Vec<p::Sample> = free
        .iter()
        .filter_map(|(t, f)| {
            let s = *size.get(t)?;
            let at = DateTime::from_timestamp(*t, 0)?;
            (s > 0.0).then(|| p::Sample {
                at,
                value: ((s - f) / s * 100.0 * 100.0).round() / 100.0,
            })
        })
        .collect();
    out.sort_by_key(|s| s.at);
    out
}

// ---------------------------------------------------------------- capabilities

fn note(topic: NoteTopic, text: &str) -> ProviderNote {
    ProviderNote {
        topic,
        text: text.to_owned(),
    }
}

/// How DigitalOcean differs from the trait's (Linode's) vocabulary.
pub fn capabilities() -> p::Capabilities {
    p::Capabilities {
        stackscripts: false,
        rescue: false,
        set_root_password: false,
        rebuild_sets_credentials: false,
        resize_running: false,
        restore_to_other_server: false,
        snapshots_need_backups: false,
        reverse_dns: ReverseDns::FromServerName,
        extra_ipv4_max: Some(1),
        firewall_drop_rules: false,
        firewall_rule_labels: false,
        transfer: false,
        disk_io_stats: false,
        disk_usage_stats: true,
        notes: vec![
            note(NoteTopic::Account, "DigitalOcean does not tell which scopes a token has: ContainerStacks checks that the token can create Droplets, and a custom-scoped token that lacks another scope is refused on first use with the scope it needs"),
            note(NoteTopic::Catalogue, "DigitalOcean has no StackScripts: configure servers with cloud-init user data"),
            note(NoteTopic::Catalogue, "Each size is offered in some regions only; its price is the same in all of them"),
            note(NoteTopic::Create, "The root password is set by cloud-init from user data, which stays readable from inside the server: SSH keys are safer"),
            note(NoteTopic::Create, "Without SSH keys DigitalOcean also emails a root password to the account owner"),
            note(NoteTopic::Lifecycle, "Resizing needs the server powered off, grows its disk, and cannot be undone to a smaller plan"),
            note(NoteTopic::Lifecycle, "DigitalOcean cannot set a chosen root password on an existing server (it emails a new one to the account owner), has no rescue mode in its API, and a rebuild keeps the server's SSH keys"),
            note(NoteTopic::Backups, "Backups are weekly, billed by DigitalOcean at 20% of the server's price; snapshots work without backups; a backup restores only onto its own server"),
            note(NoteTopic::Network, "Reverse DNS comes from the server's name: name the server with the host name wanted (like mail.example.com); it cannot be set per address"),
            note(NoteTopic::Network, "One extra IPv4 address per server, as a reserved IP, without reverse DNS of its own"),
            note(NoteTopic::Firewalls, "DigitalOcean firewalls only allow traffic: everything not allowed is dropped, and rules have no labels"),
            note(NoteTopic::Stats, "Graphs need DigitalOcean's monitoring agent, which ContainerStacks installs on the servers it creates; disk shows space used, not I/O"),
            note(NoteTopic::Stats, "DigitalOcean pools transfer across the account, so there is no per-server transfer figure"),
        ],
    }
}

// ---------------------------------------------------------------- the trait

#[async_trait]
impl Provider for DigitalOceanProvider {
    fn capabilities(&self) -> p::Capabilities {
        capabilities()
    }

    async fn regions(&self) -> ProviderResult<Vec<p::Region>> {
        let regions = r(self.client.list_regions().await)?;
        Ok(regions
            .into_iter()
            .map(|x| p::Region {
                country: country_of(&x.slug).to_owned(),
                available: x.available,
                id: x.slug,
                label: x.name,
            })
            .collect())
    }

    async fn instance_types(&self) -> ProviderResult<Vec<p::InstanceType>> {
        let sizes = r(self.client.list_sizes().await)?;
        Ok(sizes.into_iter().filter_map(map_size).collect())
    }

    /// Distribution images, then 1-Click applications (two lists).
    async fn images(&self) -> ProviderResult<Vec<p::Image>> {
        let mut out = Vec::new();
        for (which, application) in [
            (m::ImageList::Distribution, false),
            (m::ImageList::Application, true),
        ] {
            for i in r(self.client.list_images(which).await)? {
                if i.status.as_deref().is_some_and(|s| s != "available") {
                    continue;
                }
                out.push(p::Image {
                    label: if application || i.distribution.is_empty() {
                        i.name.clone()
                    } else {
                        format!("{} {}", i.distribution, i.name)
                    },
                    id: i.slug.clone().unwrap_or_else(|| i.id.to_string()),
                    vendor: i.distribution,
                    // DigitalOcean's public images all read user data through cloud-init.
                    cloud_init: true,
                    deprecated: false,
                });
            }
        }
        Ok(out)
    }

    /// DigitalOcean has no StackScripts.
    async fn stackscripts(&self) -> ProviderResult<Vec<p::StackScript>> {
        Ok(vec![])
    }

    async fn create_instance(&self, req: &p::CreateInstance) -> ProviderResult<p::Instance> {
        if req.stackscript_id.is_some() || !req.stackscript_data.is_empty() {
            return Err(ProviderError::Unsupported(
                "StackScripts (DigitalOcean has none: use cloud-init user data)",
            ));
        }
        // A firewall that does not exist is refused before anything is created.
        if let Some(fw) = &req.firewall_id {
            r(self.client.get_firewall(fw).await)?;
        }
        let mut ssh_keys = Vec::new();
        for key in &req.authorized_keys {
            let k = self.client.ensure_ssh_key(key).await.map_err(|e| match e {
                DigitalOceanError::Validation { message, .. } => ProviderError::Validation {
                    field: "authorized_keys".to_owned(),
                    message,
                },
                other => map_error(other),
            })?;
            ssh_keys.push(m::SshKeyRef::Fingerprint(k.fingerprint));
        }
        let user_data = crate::userdata::build(
            req.user_data.as_deref(),
            req.root_password.as_ref().map(p::Secret::expose),
        )
        .map_err(|e| ProviderError::Validation {
            field: match e {
                crate::userdata::UserDataError::PasswordControlCharacter => "root_pass",
                crate::userdata::UserDataError::TooLarge(_) => "user_data",
            }
            .to_owned(),
            message: e.to_string(),
        })?;
        let mut create = m::CreateDroplet::new(
            &req.label,
            &req.region,
            &req.instance_type,
            m::ImageRef::parse(&req.image),
        );
        create.ssh_keys = ssh_keys;
        create.user_data = user_data;
        create.tags = req.tags.clone();
        create.backups = req.backups_enabled;
        create.backup_policy = req.backups_enabled.then(m::BackupPolicy::weekly);
        create.ipv6 = true;
        create.monitoring = true;
        lock(&self.created_tags).insert(req.label.to_ascii_lowercase(), req.tags.clone());
        let created = r(self.client.create_droplet(&create).await)?;
        let id = created.droplet.id;
        if let Some(fw) = &req.firewall_id {
            // DigitalOcean's create takes no firewall: the Droplet joins it right after.
            if let Err(e) = self.client.add_droplets_to_firewall(fw, &[id]).await {
                tracing::error!(droplet = id, firewall = %fw, error = %e, "the new Droplet could not join its firewall");
                return Err(ProviderError::Unavailable(format!(
                    "Droplet {id} was created but could not join firewall {fw} ({e}): attach the firewall from the server's Firewall tab"
                )));
            }
        }
        Ok(map_droplet(created.droplet, None))
    }

    /// Droplet names are not unique at DigitalOcean; the tags of this provider's create
    /// request pick ours. Several Droplets of that name and no tags to tell them apart is
    /// an error rather than a guess.
    async fn find_instance_by_label(&self, label: &str) -> ProviderResult<Option<p::Instance>> {
        let tags = lock(&self.created_tags)
            .get(&label.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default();
        let found: Vec<m::Droplet> = r(self.client.list_droplets_by_name(label).await)?
            .into_iter()
            .filter(|d| {
                d.name.eq_ignore_ascii_case(label) && tags.iter().all(|t| d.tags.contains(t))
            })
            .collect();
        match found.len() {
            0 => Ok(None),
            1 => {
                let d = found.into_iter().next().expect("one");
                let busy = self.in_flight(d.id).await?;
                Ok(Some(map_droplet(d, busy.as_ref().map(|p| p.kind.as_str()))))
            }
            n => Err(ProviderError::Validation {
                field: "label".to_owned(),
                message: format!("{n} Droplets are named {label} at DigitalOcean: rename the ones ContainerStacks did not create"),
            }),
        }
    }

    async fn get_instance(&self, id: &str) -> ProviderResult<p::Instance> {
        let n = droplet_id(id)?;
        let busy = self.in_flight(n).await?;
        let d = r(self.client.get_droplet(n).await)?;
        Ok(map_droplet(d, busy.as_ref().map(|p| p.kind.as_str())))
    }

    /// Every Droplet: one request per 200, plus one per action this provider started that
    /// has not been seen finished.
    async fn list_instances(&self) -> ProviderResult<Vec<p::Instance>> {
        let busy = self.in_flight_of(&self.remembered()).await?;
        let all = r(self.client.list_droplets().await)?;
        Ok(all
            .into_iter()
            .map(|d| {
                let kind = busy.get(&d.id).map(String::as_str);
                map_droplet(d, kind)
            })
            .collect())
    }

    async fn boot(&self, id: &str) -> ProviderResult<()> {
        self.act(id, m::DropletAction::PowerOn).await.map(|_| ())
    }

    /// A graceful shutdown (DigitalOcean's `shutdown`; `power_off` is the client's hard one).
    async fn shutdown(&self, id: &str) -> ProviderResult<()> {
        self.act(id, m::DropletAction::Shutdown).await.map(|_| ())
    }

    async fn reboot(&self, id: &str) -> ProviderResult<()> {
        self.act(id, m::DropletAction::Reboot).await.map(|_| ())
    }

    async fn delete(&self, id: &str) -> ProviderResult<()> {
        let n = droplet_id(id)?;
        r(self.client.delete_droplet(n).await)?;
        lock(&self.pending).remove(&n);
        Ok(())
    }

    /// Resizes CPU, memory and disk (the plan's disk is part of what is sold). DigitalOcean
    /// refuses a running Droplet; the refusal says to shut it down first.
    async fn resize(&self, id: &str, instance_type: &str) -> ProviderResult<()> {
        self.act(
            id,
            m::DropletAction::Resize {
                size: instance_type.to_owned(),
                disk: true,
            },
        )
        .await
        .map(|_| ())
    }

    async fn rebuild(&self, id: &str, request: &p::Rebuild) -> ProviderResult<()> {
        if request.root_password.is_some() || !request.authorized_keys.is_empty() {
            return Err(ProviderError::Unsupported(
                "a new root password or SSH keys on rebuild (DigitalOcean keeps the Droplet's SSH keys)",
            ));
        }
        self.act(
            id,
            m::DropletAction::Rebuild {
                image: m::ImageRef::parse(&request.image),
            },
        )
        .await
        .map(|_| ())
    }

    async fn rescue(&self, _id: &str) -> ProviderResult<()> {
        Err(ProviderError::Unsupported(
            "rescue mode (DigitalOcean's recovery console is only in its control panel)",
        ))
    }

    async fn reset_root_password(&self, _id: &str, _password: &p::Secret) -> ProviderResult<()> {
        Err(ProviderError::Unsupported(
            "setting a chosen root password (DigitalOcean's password reset emails a generated one to the account owner)",
        ))
    }

    /// Weekly backups, which DigitalOcean bills at 20 % of the Droplet's price.
    async fn enable_backups(&self, id: &str) -> ProviderResult<()> {
        self.act(
            id,
            m::DropletAction::EnableBackups {
                policy: Some(m::BackupPolicy::weekly()),
            },
        )
        .await
        .map(|_| ())
    }

    async fn cancel_backups(&self, id: &str) -> ProviderResult<()> {
        self.act(id, m::DropletAction::DisableBackups)
            .await
            .map(|_| ())
    }

    /// Backups (`auto`), snapshots, and a snapshot this provider started that is still
    /// being taken (`pending`, its id the action's: `action-<id>`).
    async fn list_backups(&self, id: &str) -> ProviderResult<Vec<p::Backup>> {
        let n = droplet_id(id)?;
        let mut out: Vec<p::Backup> = r(self.client.list_droplet_backups(n).await)?
            .into_iter()
            .map(|b| map_backup(b, "auto"))
            .collect();
        out.extend(
            r(self.client.list_droplet_snapshots(n).await)?
                .into_iter()
                .map(|b| map_backup(b, "snapshot")),
        );
        if let Some(p) = self.in_flight(n).await?.filter(|p| p.kind == "snapshot") {
            out.push(pending_snapshot(&p));
        }
        Ok(out)
    }

    /// Starts a snapshot; DigitalOcean makes the image when the action completes, so the
    /// answer is the pending snapshot (`action-<id>`), listed with its image id later.
    async fn take_snapshot(&self, id: &str, label: &str) -> ProviderResult<p::Backup> {
        let a = self
            .act(
                id,
                m::DropletAction::Snapshot {
                    name: label.to_owned(),
                },
            )
            .await?;
        Ok(pending_snapshot(&Pending {
            action_id: a.id,
            kind: a.kind,
            label: Some(label.to_owned()),
            started: a.started_at.unwrap_or_else(Utc::now),
        }))
    }

    /// A backup is restored with DigitalOcean's `restore`; a snapshot by rebuilding the
    /// Droplet from it. Both only onto the Droplet they were taken of.
    async fn restore_backup(
        &self,
        id: &str,
        backup_id: &str,
        target_instance: &str,
    ) -> ProviderResult<()> {
        let n = droplet_id(id)?;
        if droplet_id(target_instance)? != n {
            return Err(ProviderError::Unsupported(
                "restoring onto another server (DigitalOcean restores a backup only onto its own Droplet)",
            ));
        }
        if backup_id.starts_with("action-") {
            return Err(ProviderError::Validation {
                field: "backup_id".to_owned(),
                message:
                    "the snapshot is still being taken: restore it once it is listed with its size"
                        .to_owned(),
            });
        }
        let image: u64 = backup_id
            .trim()
            .parse()
            .map_err(|_| ProviderError::NotFound(format!("backup {backup_id}")))?;
        if r(self.client.list_droplet_backups(n).await)?
            .iter()
            .any(|b| b.id == image)
        {
            return self
                .act(id, m::DropletAction::Restore { image })
                .await
                .map(|_| ());
        }
        if r(self.client.list_droplet_snapshots(n).await)?
            .iter()
            .any(|b| b.id == image)
        {
            return self
                .act(
                    id,
                    m::DropletAction::Rebuild {
                        image: m::ImageRef::Id(image),
                    },
                )
                .await
                .map(|_| ());
        }
        Err(ProviderError::NotFound(format!(
            "backup or snapshot {backup_id} of Droplet {id}"
        )))
    }

    /// The Droplet's public and private IPv4, its IPv6 and its reserved IP. Reverse DNS
    /// of its own public addresses is its name when that is a host name.
    async fn ips(&self, id: &str) -> ProviderResult<Vec<p::IpAddress>> {
        let n = droplet_id(id)?;
        let d = r(self.client.get_droplet(n).await)?;
        let ptr = d.reverse_dns();
        let mut out: Vec<p::IpAddress> = d
            .networks
            .v4
            .iter()
            .map(|net| {
                let public = net.kind == "public";
                p::IpAddress {
                    address: net.ip_address.clone(),
                    kind: "ipv4".to_owned(),
                    public,
                    rdns: if public { ptr.clone() } else { None },
                    gateway: net.gateway.clone(),
                    prefix: v4_prefix(net.netmask.as_deref()),
                }
            })
            .collect();
        out.extend(d.networks.v6.iter().map(|net| p::IpAddress {
            address: net.ip_address.clone(),
            kind: "ipv6".to_owned(),
            public: true,
            rdns: ptr.clone(),
            gateway: net.gateway.clone(),
            prefix: net.netmask.unwrap_or(64),
        }));
        for rip in r(self.client.list_reserved_ips().await)? {
            if rip.droplet.as_ref().is_some_and(|x| x.id == n) {
                out.push(p::IpAddress {
                    address: rip.ip,
                    kind: "ipv4".to_owned(),
                    public: true,
                    rdns: None,
                    gateway: None,
                    prefix: 32,
                });
            }
        }
        Ok(out)
    }

    /// A reserved IP assigned to the Droplet (DigitalOcean allows one per Droplet).
    async fn allocate_ipv4(&self, id: &str) -> ProviderResult<p::IpAddress> {
        let n = droplet_id(id)?;
        let rip = r(self
            .client
            .create_reserved_ip(&m::NewReservedIp::Droplet(n))
            .await)?;
        Ok(p::IpAddress {
            address: rip.ip,
            kind: "ipv4".to_owned(),
            public: true,
            rdns: None,
            gateway: None,
            prefix: 32,
        })
    }

    async fn set_reverse_dns(
        &self,
        _address: &str,
        _rdns: Option<&str>,
    ) -> ProviderResult<p::IpAddress> {
        Err(ProviderError::Unsupported(
            "setting reverse DNS per address (DigitalOcean publishes the Droplet's name as the PTR record of its addresses: name the server with the host name wanted)",
        ))
    }

    async fn firewalls(&self) -> ProviderResult<Vec<p::Firewall>> {
        Ok(r(self.client.list_firewalls().await)?
            .into_iter()
            .map(map_firewall)
            .collect())
    }

    async fn create_firewall(&self, request: &p::NewFirewall) -> ProviderResult<p::Firewall> {
        let req = request_from(request.label.trim(), &request.rules, vec![], vec![])?;
        Ok(map_firewall(r(self.client.create_firewall(&req).await)?))
    }

    /// Replaces the rules and keeps the firewall's name, Droplets and tags (DigitalOcean's
    /// update replaces everything it is sent).
    async fn set_firewall_rules(
        &self,
        firewall_id: &str,
        rules: &p::FirewallRules,
    ) -> ProviderResult<p::Firewall> {
        let current = r(self.client.get_firewall(firewall_id).await)?;
        let req = request_from(&current.name, rules, current.droplet_ids, current.tags)?;
        Ok(map_firewall(r(self
            .client
            .update_firewall(firewall_id, &req)
            .await)?))
    }

    /// Idempotent: DigitalOcean keeps a Droplet that is already attached.
    async fn attach_firewall(&self, firewall_id: &str, instance_id: &str) -> ProviderResult<()> {
        let n = droplet_id(instance_id)?;
        r(self
            .client
            .add_droplets_to_firewall(firewall_id, &[n])
            .await)
    }

    /// The last day of CPU (percent of one core), public bandwidth (bits per second) and
    /// root filesystem use (percent); disk I/O is not measured by DigitalOcean.
    async fn stats(&self, id: &str) -> ProviderResult<p::Stats> {
        let n = droplet_id(id)?;
        let end = Utc::now().timestamp();
        let start = end - 86_400;
        let c = &self.client;
        let cpu = r(c.droplet_cpu(n, start, end).await)?;
        let inbound = r(c
            .droplet_bandwidth(n, m::Interface::Public, m::Direction::Inbound, start, end)
            .await)?;
        let outbound = r(c
            .droplet_bandwidth(n, m::Interface::Public, m::Direction::Outbound, start, end)
            .await)?;
        let free = r(c.droplet_filesystem_free(n, start, end).await)?;
        let size = r(c.droplet_filesystem_size(n, start, end).await)?;
        Ok(p::Stats {
            cpu_percent: cpu_percent(&cpu),
            network_in_bits_per_s: mbps_to_bits(&inbound),
            network_out_bits_per_s: mbps_to_bits(&outbound),
            disk_io_blocks_per_s: vec![],
            disk_used_percent: disk_used_percent(&free, &size),
        })
    }

    async fn transfer(&self, _id: &str) -> ProviderResult<p::Transfer> {
        Err(ProviderError::Unsupported(
            "per-server transfer (DigitalOcean pools transfer across the account and reports no per-Droplet figure)",
        ))
    }

    /// DigitalOcean's actions after `after`, oldest first; with no `after`, every action,
    /// which on an old account is many pages (DigitalOcean keeps them all): a poller
    /// starts its cursor from the newest id of `client().list_actions_page(1)` instead.
    async fn events(&self, after: Option<u64>) -> ProviderResult<Vec<p::ProviderEvent>> {
        let mut actions = match after {
            Some(a) => r(self.client.list_actions_after(a).await)?,
            None => r(self.client.list_actions_after(0).await)?,
        };
        actions.sort_by_key(|a| a.id);
        Ok(actions.into_iter().map(map_event).collect())
    }
}

fn pending_snapshot(p: &Pending) -> p::Backup {
    p::Backup {
        id: format!("action-{}", p.action_id),
        label: p.label.clone(),
        kind: "snapshot".to_owned(),
        status: "pending".to_owned(),
        created: p.started,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn prices_convert_exactly_and_backups_are_a_fifth() {
        let p = price_from_digitalocean(Micros(8_930), Micros(6_000_000)).unwrap();
        assert_eq!(
            p,
            p::Price {
                monthly_minor: 600,
                hourly_micros: 8_930
            }
        );
        assert_eq!(
            weekly_backups_price(p),
            Some(p::Price {
                monthly_minor: 120,
                hourly_micros: 1_786
            })
        );
        assert_eq!(
            price_from_digitalocean(Micros(1), Micros(5_005_000)),
            None,
            "sub-cent monthly prices are not rounded"
        );
        assert_eq!(
            weekly_backups_price(p::Price {
                monthly_minor: 401,
                hourly_micros: 5_950
            }),
            None,
            "a fifth of 4.01 is not whole cents"
        );
    }

    #[test]
    fn statuses_follow_actions_in_flight() {
        use m::DropletStatus as D;
        use p::InstanceStatus as P;
        assert_eq!(map_status(&D::New, None), P::Provisioning);
        assert_eq!(map_status(&D::Active, None), P::Running);
        assert_eq!(map_status(&D::Active, Some("shutdown")), P::ShuttingDown);
        assert_eq!(map_status(&D::Off, Some("power_on")), P::Booting);
        assert_eq!(map_status(&D::Off, Some("resize")), P::Resizing);
        assert_eq!(map_status(&D::Active, Some("snapshot")), P::Running);
        assert_eq!(map_status(&D::Off, None), P::Offline);
        assert_eq!(map_status(&D::Archive, None), P::Stopped);
    }

    #[test]
    fn errors_map_to_each_class() {
        assert!(
            matches!(map_error(DigitalOceanError::InvalidToken), ProviderError::Auth(m) if m.contains("Settings → Providers"))
        );
        assert!(
            matches!(map_error(DigitalOceanError::ReadOnlyToken), ProviderError::Auth(m) if m.contains("read-only"))
        );
        let f = map_error(DigitalOceanError::Forbidden {
            scope: "firewall:create",
            message: "You do not have access for the attempted action.".into(),
        });
        assert!(
            matches!(&f, ProviderError::Auth(m) if m.contains("`firewall:create`")),
            "{f:?}"
        );
        assert_eq!(
            map_error(DigitalOceanError::NotFound {
                what: "Droplet 7".into()
            }),
            ProviderError::NotFound("Droplet 7".into())
        );
        assert_eq!(
            map_error(DigitalOceanError::Validation {
                id: "unprocessable_entity".into(),
                message: "You specified an invalid size for Droplet creation.".into(),
                request_id: None
            }),
            ProviderError::Validation {
                field: "type".into(),
                message: "You specified an invalid size for Droplet creation".into()
            }
        );
        assert_eq!(map_error(DigitalOceanError::Busy), ProviderError::Busy);
        assert_eq!(
            map_error(DigitalOceanError::RateLimited {
                retry_after: Duration::from_millis(1500)
            }),
            ProviderError::RateLimited { retry_after_s: 2 }
        );
        for e in [
            DigitalOceanError::Server {
                status: 502,
                message: String::new(),
                request_id: None,
            },
            DigitalOceanError::Timeout,
            DigitalOceanError::Transport("reset".into()),
            DigitalOceanError::ActionErrored {
                action_id: 1,
                kind: "power_on".into(),
            },
        ] {
            assert!(matches!(map_error(e), ProviderError::Unavailable(_)));
        }
        let resize = map_action_error(
            DigitalOceanError::Validation {
                id: "unprocessable_entity".into(),
                message: "Droplet is currently on. Please power it off to run this event.".into(),
                request_id: None,
            },
            &m::DropletAction::Resize {
                size: "s".into(),
                disk: true,
            },
        );
        assert!(
            matches!(&resize, ProviderError::Validation { field, message } if field == "status" && message.contains("shut the server down")),
            "{resize:?}"
        );
    }

    #[test]
    fn firewall_policies_and_port_lists_translate_both_ways() {
        let rules = p::FirewallRules {
            inbound_policy: "DROP".into(),
            outbound_policy: "ACCEPT".into(),
            inbound: vec![p::FirewallRule {
                label: "web".into(),
                action: "ACCEPT".into(),
                protocol: "TCP".into(),
                ports: "22, 80, 443".into(),
                addresses: vec!["0.0.0.0/0".into(), "::/0".into(), "tag:lb".into()],
            }],
            outbound: vec![],
        };
        let req = request_from("web-fw", &rules, vec![7], vec![]).unwrap();
        assert_eq!(req.inbound_rules.len(), 3, "one DigitalOcean rule per port");
        assert_eq!(req.inbound_rules[1].ports, "80");
        assert_eq!(req.inbound_rules[0].sources.tags, vec!["lb".to_owned()]);
        assert_eq!(
            req.outbound_rules.len(),
            3,
            "ACCEPT becomes allow-all for TCP, UDP and ICMP"
        );
        let fw = m::Firewall {
            id: "f".into(),
            status: "succeeded".into(),
            created_at: None,
            pending_changes: vec![],
            name: req.name.clone(),
            droplet_ids: req.droplet_ids.clone(),
            tags: vec![],
            inbound_rules: req.inbound_rules.clone(),
            outbound_rules: req.outbound_rules.clone(),
        };
        let back = rules_from_do(&fw);
        assert_eq!(back.inbound_policy, "DROP");
        assert_eq!(back.outbound_policy, "ACCEPT");
        assert!(back.outbound.is_empty());
        assert_eq!(back.inbound.len(), 3);
        assert_eq!(back.inbound[2].ports, "443");
        assert!(back.inbound[0].addresses.contains(&"tag:lb".to_owned()));
        assert!(
            back.inbound[0].label.is_empty(),
            "DigitalOcean keeps no labels"
        );

        let mut drop_rule = rules.clone();
        drop_rule.inbound[0].action = "DROP".into();
        assert!(
            matches!(request_from("web-fw", &drop_rule, vec![], vec![]), Err(ProviderError::Validation { message, .. }) if message.contains("only allow"))
        );
        assert!(
            matches!(request_from("web fw", &rules, vec![], vec![]), Err(ProviderError::Validation { field, .. }) if field == "label")
        );
    }

    #[test]
    fn cpu_percent_comes_from_counter_differences() {
        let series = |mode: &str, values: &[(i64, f64)]| m::MetricSeries {
            labels: [("mode".to_owned(), mode.to_owned())].into_iter().collect(),
            points: values
                .iter()
                .map(|(at, value)| m::MetricPoint {
                    at: *at,
                    value: *value,
                })
                .collect(),
        };
        let s = cpu_percent(&[
            series("idle", &[(0, 1000.0), (300, 1240.0)]),
            series("user", &[(0, 100.0), (300, 145.0)]),
            series("system", &[(0, 10.0), (300, 25.0)]),
        ]);
        // 60 busy seconds in 300: 20 % of one core.
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].value, 20.0);
        assert_eq!(country_of("nyc3"), "us");
        assert_eq!(country_of("fra1"), "de");
        assert_eq!(country_of("zzz9"), "");
        assert_eq!(event_action("enable_backups"), "backups_enable");
        assert_eq!(event_action("mystery"), "mystery");
    }
}
