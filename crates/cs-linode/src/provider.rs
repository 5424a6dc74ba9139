//! [`LinodeProvider`]: the Linode implementation of [`cs_provider::Provider`].
//!
//! A thin, stateless-by-design adapter over [`LinodeClient`]: every trait method is one
//! (occasionally two) client calls, and every type is mapped field by field. The client
//! already paces, retries and never creates twice; this module only translates:
//!
//! - **Ids.** Provider ids are Linode's numeric ids as decimal text. An id that is not a
//!   number cannot exist at Linode and is reported as [`ProviderError::NotFound`].
//! - **Money.** Linode's decimal prices arrive as exact micro-units ([`Micros`]). Hourly
//!   prices stay in micro-units; monthly prices become minor units (cents) by exact
//!   division. A monthly price that is not a whole number of cents cannot be represented
//!   without rounding; such a plan is left out of the catalogue (and logged) rather than
//!   silently rounded. No float is involved anywhere.
//! - **Errors.** [`LinodeError`] maps onto [`ProviderError`] (see [`map_error`]); messages
//!   keep the client's "what to do next" wording, including the scope to add.
//! - **Reverse DNS.** The trait sets rDNS by address alone; Linode's endpoint needs the
//!   instance. The adapter remembers which instance each address it has seen belongs to,
//!   and otherwise finds it in the instance list.
//! - **Events.** Linode updates an event in place (`started` → `finished` keep the same
//!   id), so a poller that only asks for ids after the last one it saw sees the start of
//!   a long operation but not its end; reconciliation must keep reading instance status
//!   (as the app does) rather than rely on `finished` events.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cs_core::{Currency, ProviderKind};
use cs_provider as p;
use cs_provider::{Provider, ProviderError, ProviderResult};

use crate::model as m;
use crate::{ApiToken, ClientConfig, LinodeClient, LinodeError, Micros};

/// Linode bills in US dollars.
pub const LINODE_CURRENCY: &str = "USD";

/// What [`LinodeProvider::connect`] learned about the token's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSummary {
    pub username: String,
    pub email: Option<String>,
    /// A restricted user only sees what their grants allow, whatever the token's scopes.
    pub restricted: bool,
    /// The token has every scope (`*`).
    pub full_access: bool,
    /// Scopes as Linode reports them (`linodes:read_write` …); `["*"]` for full access.
    pub scopes: Vec<String>,
    /// The API root the provider talks to.
    pub base_url: String,
}

/// The Linode provider: a [`LinodeClient`] behind the [`Provider`] trait. Cheap to clone
/// the client inside; the provider itself is shared as `Arc<dyn Provider>`.
pub struct LinodeProvider {
    client: LinodeClient,
    /// `X-Filter` for [`Provider::stackscripts`]; `None` lists every visible StackScript.
    stackscript_filter: Option<String>,
    /// Address (canonical text, no prefix) → instance id, learned from every answer that
    /// shows an instance's addresses. Only a hint: a stale entry is corrected on use.
    addresses: Mutex<HashMap<String, u64>>,
}

impl std::fmt::Debug for LinodeProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinodeProvider")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

/// Default StackScript filter: the reseller's own scripts. Linode's public list holds
/// thousands of community scripts, far too many to offer or to fetch on every refresh.
pub const DEFAULT_STACKSCRIPT_FILTER: &str = r#"{"mine":true}"#;

impl LinodeProvider {
    /// Checks `token` against Linode (`GET /profile` and the token's scopes) and returns a
    /// provider with a summary of the account. `base_url` defaults to Linode's production
    /// API. An invalid token, or one missing a scope ContainerStacks needs
    /// ([`m::RESELLER_SCOPES`]), is refused with [`ProviderError::Auth`] whose message names
    /// every scope to add.
    pub async fn connect(
        base_url: Option<String>,
        token: ApiToken,
    ) -> Result<(LinodeProvider, AccountSummary), ProviderError> {
        let mut config = ClientConfig::new(token);
        if let Some(url) = base_url {
            config = config.with_base_url(url);
        }
        Self::connect_with(config).await
    }

    /// [`LinodeProvider::connect`] with every client setting (timeouts, retries, pacing).
    pub async fn connect_with(
        config: ClientConfig,
    ) -> Result<(LinodeProvider, AccountSummary), ProviderError> {
        let client = LinodeClient::new(config).map_err(map_error)?;
        let profile = client
            .check_token(m::RESELLER_SCOPES)
            .await
            .map_err(map_error)?;
        let scopes = profile.scopes.listed();
        let summary = AccountSummary {
            username: profile.username,
            email: profile.email,
            restricted: profile.restricted,
            full_access: profile.scopes.all,
            scopes,
            base_url: client.base_url().to_owned(),
        };
        Ok((LinodeProvider::new(client), summary))
    }

    /// Wraps a client without checking its token.
    pub fn new(client: LinodeClient) -> LinodeProvider {
        LinodeProvider {
            client,
            stackscript_filter: Some(DEFAULT_STACKSCRIPT_FILTER.to_owned()),
            addresses: Mutex::new(HashMap::new()),
        }
    }

    /// Sets the `X-Filter` used to list StackScripts (`None`: every visible one).
    pub fn with_stackscript_filter(mut self, filter: Option<String>) -> LinodeProvider {
        self.stackscript_filter = filter;
        self
    }

    pub fn client(&self) -> &LinodeClient {
        &self.client
    }

    fn remember(&self, instance: &m::Instance) {
        let mut map = self.addresses.lock().unwrap_or_else(|e| e.into_inner());
        for a in instance.ipv4.iter().chain(instance.ipv6.iter()) {
            if let Some(key) = canonical_address(a) {
                map.insert(key, instance.id);
            }
        }
    }

    fn remember_address(&self, address: &str, id: u64) {
        if let Some(key) = canonical_address(address) {
            self.addresses
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key, id);
        }
    }

    fn forget_address(&self, key: &str) {
        self.addresses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }

    fn instance(&self, i: m::Instance) -> p::Instance {
        self.remember(&i);
        map_instance(i)
    }

    /// The instance an address belongs to: from memory, else from the instance list.
    async fn owner_of(&self, key: &str, address: &str) -> ProviderResult<u64> {
        let known = self
            .addresses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .copied();
        if let Some(id) = known {
            return Ok(id);
        }
        let all = self.client.list_instances(None).await.map_err(map_error)?;
        for i in &all {
            self.remember(i);
        }
        all.iter()
            .find(|i| {
                i.ipv4
                    .iter()
                    .chain(i.ipv6.iter())
                    .any(|a| canonical_address(a).as_deref() == Some(key))
            })
            .map(|i| i.id)
            .ok_or_else(|| {
                ProviderError::NotFound(format!("address {address} on any of your Linodes"))
            })
    }

    async fn firewall_with_devices(&self, fw: m::Firewall) -> ProviderResult<p::Firewall> {
        let rules = match fw.rules {
            Some(r) => r,
            None => self
                .client
                .get_firewall_rules(fw.id)
                .await
                .map_err(map_error)?,
        };
        let devices = self
            .client
            .list_firewall_devices(fw.id)
            .await
            .map_err(map_error)?;
        Ok(p::Firewall {
            id: fw.id.to_string(),
            label: fw.label,
            rules: rules_from_linode(&rules),
            instance_ids: devices
                .into_iter()
                .filter(|d| d.entity.kind == "linode")
                .map(|d| d.entity.id.to_string())
                .collect(),
        })
    }
}

// ---------------------------------------------------------------- errors

/// Maps a client error onto the provider's closed set of cases.
pub fn map_error(e: LinodeError) -> ProviderError {
    match e {
        LinodeError::InvalidToken | LinodeError::ForbiddenScope { .. } => ProviderError::Auth(e.to_string()),
        LinodeError::NotFound { what } => ProviderError::NotFound(what),
        LinodeError::Validation { field, reason } => {
            ProviderError::Validation { field: field.unwrap_or_else(|| "request".to_owned()), message: reason }
        }
        LinodeError::RdnsNeedsForwardDns { address, rdns } => ProviderError::Validation {
            field: "rdns".to_owned(),
            message: format!(
                "Linode sets reverse DNS {rdns} for {address} only once {rdns} resolves to {address}: create the forward DNS record (A for IPv4, AAAA for IPv6) for {rdns} pointing at {address} first, wait until it resolves, then set the reverse DNS again"
            ),
        },
        LinodeError::Busy => ProviderError::Busy,
        LinodeError::RateLimited { retry_after } => {
            // Round up: retrying early only earns another 429.
            let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            ProviderError::RateLimited { retry_after_s: secs.max(1) }
        }
        LinodeError::Server { .. } | LinodeError::Timeout | LinodeError::Transport(_) | LinodeError::Decode(_) => {
            ProviderError::Unavailable(e.to_string())
        }
        LinodeError::Config(message) => ProviderError::Validation { field: "settings".to_owned(), message },
    }
}

fn r<T>(result: Result<T, LinodeError>) -> ProviderResult<T> {
    result.map_err(map_error)
}

/// A Linode id from a provider id; a non-number cannot exist at Linode.
fn linode_id(id: &str, what: &str) -> ProviderResult<u64> {
    id.trim()
        .parse::<u64>()
        .map_err(|_| ProviderError::NotFound(format!("{what} {id}")))
}

// ---------------------------------------------------------------- money

/// A Linode price in exact provider units: hourly stays in micro-units, monthly becomes
/// minor units. `None` when the monthly price is not a whole number of minor units.
pub fn price_from_linode(hourly: Micros, monthly: Micros) -> Option<p::Price> {
    let per_minor = cs_core::money::MICROS_PER_UNIT / 10i64.pow(Currency::USD.exponent());
    if monthly.0 % per_minor != 0 {
        return None;
    }
    Some(p::Price {
        monthly_minor: monthly.0 / per_minor,
        hourly_micros: hourly.0,
    })
}

fn map_type(t: m::LinodeType) -> Option<p::InstanceType> {
    let Some(price) = price_from_linode(t.price.hourly, t.price.monthly) else {
        tracing::warn!(plan = %t.id, monthly = t.price.monthly.0, "Linode plan has a sub-cent monthly price; left out of the catalogue");
        return None;
    };
    let mut region_prices = Vec::new();
    for rp in &t.region_prices {
        let Some(rprice) = price_from_linode(rp.hourly, rp.monthly) else {
            tracing::warn!(plan = %t.id, region = %rp.id, "Linode region price is not a whole number of cents; plan left out of the catalogue");
            return None;
        };
        if rprice != price {
            region_prices.push(p::RegionPrice {
                region: rp.id.clone(),
                price: rprice,
            });
        }
    }
    let backups_price = match &t.addons.backups {
        Some(b) => match price_from_linode(b.price.hourly, b.price.monthly) {
            Some(bp) => bp,
            None => {
                tracing::warn!(plan = %t.id, "Linode backup price is not a whole number of cents; plan left out of the catalogue");
                return None;
            }
        },
        None => p::Price {
            monthly_minor: 0,
            hourly_micros: 0,
        },
    };
    Some(p::InstanceType {
        id: t.id,
        label: t.label,
        vcpus: t.vcpus,
        memory_mb: clamp_u32(t.memory),
        disk_mb: clamp_u32(t.disk),
        transfer_gb: clamp_u32(t.transfer),
        currency: LINODE_CURRENCY.to_owned(),
        price,
        region_prices,
        backups_price,
        // Linode's type object does not list regions (availability per
        // region is a separate endpoint this client does not read).
        regions: None,
    })
}

fn clamp_u32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

// ---------------------------------------------------------------- mapping

fn epoch() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

/// Linode's status vocabulary onto the provider's. Statuses the trait has no word for are
/// mapped to the nearest transitional one so reconciliation keeps polling; a billing
/// suspension is a powered-off instance.
pub fn map_status(s: &m::InstanceStatus) -> p::InstanceStatus {
    use m::InstanceStatus as L;
    use p::InstanceStatus as P;
    match s {
        L::Running => P::Running,
        L::Offline => P::Offline,
        L::Booting => P::Booting,
        L::Rebooting => P::Rebooting,
        L::ShuttingDown => P::ShuttingDown,
        L::Provisioning => P::Provisioning,
        L::Deleting => P::Deleting,
        L::Migrating => P::Migrating,
        L::Rebuilding => P::Rebuilding,
        L::Restoring => P::Restoring,
        L::Resizing => P::Resizing,
        L::Stopped => P::Stopped,
        L::BillingSuspension => P::Stopped,
        L::Cloning | L::Busy => P::Migrating,
        L::Other(other) => {
            tracing::warn!(status = %other, "unknown Linode status; treated as an operation in progress");
            P::Migrating
        }
    }
}

fn map_instance(i: m::Instance) -> p::Instance {
    // Public addresses first: callers show the first one.
    let (mut ipv4, private): (Vec<String>, Vec<String>) =
        i.ipv4.into_iter().partition(|a| !is_private_v4(a));
    ipv4.extend(private);
    p::Instance {
        id: i.id.to_string(),
        label: i.label,
        region: i.region,
        instance_type: i.type_id.unwrap_or_default(),
        image: i.image.unwrap_or_default(),
        status: map_status(&i.status),
        ipv4,
        ipv6: i.ipv6,
        backups_enabled: i.backups.enabled,
        tags: i.tags,
        created: i.created.or(i.updated).unwrap_or_else(epoch),
    }
}

fn is_private_v4(a: &str) -> bool {
    a.parse::<std::net::Ipv4Addr>()
        .is_ok_and(|ip| ip.is_private() || ip.is_link_local())
}

/// An address in canonical text without a `/prefix`, so `2600:3c03::1/128` and
/// `2600:3c03:0::1` compare equal.
fn canonical_address(a: &str) -> Option<String> {
    let bare = a.split('/').next().unwrap_or(a).trim();
    bare.parse::<IpAddr>().ok().map(|ip| ip.to_string())
}

fn map_ip(ip: m::IpAddress, default_kind: &str) -> p::IpAddress {
    let kind = ip.kind.clone().unwrap_or_else(|| default_kind.to_owned());
    let default_prefix = if kind == "ipv6" { 128 } else { 32 };
    p::IpAddress {
        address: ip.address,
        public: ip.public,
        rdns: ip.rdns,
        gateway: ip.gateway,
        prefix: ip
            .prefix
            .and_then(|v| u8::try_from(v).ok())
            .unwrap_or(default_prefix),
        kind,
    }
}

fn map_backup(b: m::Backup, default_kind: &str) -> p::Backup {
    p::Backup {
        id: b.id.to_string(),
        label: b.label,
        kind: b.kind.unwrap_or_else(|| default_kind.to_owned()),
        status: b.status,
        created: b.created.or(b.finished).unwrap_or_else(epoch),
    }
}

fn action_text(a: Option<&m::FirewallAction>) -> String {
    // Linode's default policy for a new firewall is ACCEPT.
    a.map_or("ACCEPT", m::FirewallAction::as_str).to_owned()
}

/// A value Linode may not document yet (as `ALL` and protocol numbers were not): letters,
/// digits, `-` and `_`, short. Linode itself judges it and names the field if it refuses.
fn is_wire_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// ACCEPT or DROP in any case; any other word is passed on as it is (a rule read from
/// Linode with a value this version does not know must be writable back unchanged).
fn parse_action(s: &str, field: &str) -> ProviderResult<m::FirewallAction> {
    let s = s.trim();
    match m::FirewallAction::from_wire(&s.to_ascii_uppercase()) {
        m::FirewallAction::Other(_) if is_wire_token(s) => {
            Ok(m::FirewallAction::Other(s.to_owned()))
        }
        m::FirewallAction::Other(_) => Err(ProviderError::Validation {
            field: field.to_owned(),
            message: format!("`{s}` is not a firewall action: use ACCEPT or DROP"),
        }),
        known => Ok(known),
    }
}

/// The known names in any case, an IP protocol number (0–255, e.g. `50` for ESP) or
/// another word Linode may know, passed on as it is.
fn parse_protocol(s: &str) -> ProviderResult<m::FirewallProtocol> {
    let s = s.trim();
    let refuse = || {
        ProviderError::Validation {
        field: "protocol".to_owned(),
        message: format!(
            "`{s}` is not a firewall protocol: use TCP, UDP, ICMP, IPENCAP, ALL or an IP protocol number from 0 to 255"
        ),
    }
    };
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return match s.parse::<u8>() {
            Ok(n) => Ok(m::FirewallProtocol::Other(n.to_string())),
            Err(_) => Err(refuse()),
        };
    }
    match m::FirewallProtocol::from_wire(&s.to_ascii_uppercase()) {
        m::FirewallProtocol::Other(_) if is_wire_token(s) => {
            Ok(m::FirewallProtocol::Other(s.to_owned()))
        }
        m::FirewallProtocol::Other(_) => Err(refuse()),
        known => Ok(known),
    }
}

fn rule_from_linode(r: &m::FirewallRule) -> p::FirewallRule {
    let mut addresses: Vec<String> = r.addresses.ipv4.clone().unwrap_or_default();
    addresses.extend(r.addresses.ipv6.clone().unwrap_or_default());
    p::FirewallRule {
        label: r.label.clone().unwrap_or_default(),
        action: action_text(Some(&r.action)),
        protocol: r.protocol.as_str().to_owned(),
        ports: r.ports.clone().unwrap_or_default(),
        addresses,
    }
}

fn rules_from_linode(r: &m::FirewallRules) -> p::FirewallRules {
    p::FirewallRules {
        inbound_policy: action_text(r.inbound_policy.as_ref()),
        outbound_policy: action_text(r.outbound_policy.as_ref()),
        inbound: r.inbound.iter().map(rule_from_linode).collect(),
        outbound: r.outbound.iter().map(rule_from_linode).collect(),
    }
}

fn rule_to_linode(r: &p::FirewallRule) -> ProviderResult<m::FirewallRule> {
    let (v6, v4): (Vec<String>, Vec<String>) = r
        .addresses
        .iter()
        .map(|a| a.trim().to_owned())
        .partition(|a| a.contains(':'));
    let ports = r.ports.trim();
    Ok(m::FirewallRule {
        action: parse_action(&r.action, "action")?,
        protocol: parse_protocol(&r.protocol)?,
        ports: (!ports.is_empty()).then(|| ports.to_owned()),
        addresses: m::RuleAddresses {
            ipv4: (!v4.is_empty()).then_some(v4),
            ipv6: (!v6.is_empty()).then_some(v6),
        },
        label: (!r.label.trim().is_empty()).then(|| r.label.trim().to_owned()),
        description: None,
    })
}

fn rules_to_linode(r: &p::FirewallRules) -> ProviderResult<m::FirewallRules> {
    Ok(m::FirewallRules {
        inbound_policy: Some(parse_action(&r.inbound_policy, "inbound_policy")?),
        outbound_policy: Some(parse_action(&r.outbound_policy, "outbound_policy")?),
        inbound: r
            .inbound
            .iter()
            .map(rule_to_linode)
            .collect::<ProviderResult<_>>()?,
        outbound: r
            .outbound
            .iter()
            .map(rule_to_linode)
            .collect::<ProviderResult<_>>()?,
        version: None,
        fingerprint: None,
    })
}

/// Builds Linode's create request from the provider's.
pub fn create_request(req: &p::CreateInstance) -> ProviderResult<m::CreateInstance> {
    let stackscript_id = match &req.stackscript_id {
        Some(s) => Some(s.trim().parse::<u64>().map_err(|_| ProviderError::Validation {
            field: "stackscript_id".to_owned(),
            message: format!("`{s}` is not a Linode StackScript id: pick a StackScript from the catalogue"),
        })?),
        None => None,
    };
    let firewall_id = match &req.firewall_id {
        Some(s) => Some(
            s.trim()
                .parse::<u64>()
                .map_err(|_| ProviderError::Validation {
                    field: "firewall_id".to_owned(),
                    message: format!(
                        "`{s}` is not a Linode firewall id: pick a firewall from the list"
                    ),
                })?,
        ),
        None => None,
    };
    let stackscript_data: BTreeMap<String, String> = req.stackscript_data.iter().cloned().collect();
    Ok(m::CreateInstance {
        region: req.region.clone(),
        type_id: req.instance_type.clone(),
        label: req.label.clone(),
        deploy: m::InstanceDeploy {
            image: Some(req.image.clone()),
            root_pass: req.root_password.as_ref().map(|s| s.expose().to_owned()),
            authorized_keys: req.authorized_keys.clone(),
            stackscript_id,
            stackscript_data: (!stackscript_data.is_empty()).then_some(stackscript_data),
            metadata: req
                .user_data
                .as_deref()
                .map(m::InstanceMetadata::from_cloud_config),
            booted: None,
        },
        tags: req.tags.clone(),
        firewall_id,
        backups_enabled: Some(req.backups_enabled),
        private_ip: None,
    })
}

/// Turns Linode's samples (thousandths) into the trait's metric samples. Several series
/// (IPv4 and IPv6 traffic) are summed per timestamp, in integers, before converting.
#[allow(clippy::float_arithmetic)] // metrics, not money: the trait's samples are f64
fn samples(series: &[&[m::Sample]]) -> Vec<p::Sample> {
    let mut sum: BTreeMap<i64, i64> = BTreeMap::new();
    for s in series {
        for x in s.iter() {
            let v = sum.entry(x.at_ms).or_insert(0);
            *v = v.saturating_add(x.value_milli);
        }
    }
    sum.into_iter()
        .filter_map(|(at_ms, milli)| {
            Some(p::Sample {
                at: DateTime::from_timestamp_millis(at_ms)?,
                value: milli as f64 / 1000.0,
            })
        })
        .collect()
}

fn map_event(e: m::Event) -> p::ProviderEvent {
    p::ProviderEvent {
        id: e.id,
        entity_id: e.linode_id().map(|id| id.to_string()),
        action: e.action,
        status: e.status,
        created: e.created.unwrap_or_else(epoch),
    }
}

// ---------------------------------------------------------------- the trait

impl LinodeProvider {
    pub fn kind(&self) -> ProviderKind {
        ProviderKind::Linode
    }
}

#[async_trait]
impl Provider for LinodeProvider {
    async fn regions(&self) -> ProviderResult<Vec<p::Region>> {
        let regions = r(self.client.list_regions().await)?;
        Ok(regions
            .into_iter()
            .map(|x| p::Region {
                available: x.status == "ok"
                    && (x.capabilities.is_empty() || x.capabilities.iter().any(|c| c == "Linodes")),
                id: x.id,
                label: x.label,
                country: x.country.to_ascii_lowercase(),
            })
            .collect())
    }

    async fn instance_types(&self) -> ProviderResult<Vec<p::InstanceType>> {
        let types = r(self.client.list_types().await)?;
        Ok(types.into_iter().filter_map(map_type).collect())
    }

    async fn images(&self) -> ProviderResult<Vec<p::Image>> {
        let images = r(self.client.list_images().await)?;
        Ok(images
            .into_iter()
            // Private images still being created (or failed) cannot be deployed.
            .filter(|i| i.status.is_empty() || i.status == "available")
            .map(|i| p::Image {
                cloud_init: i.capabilities.iter().any(|c| c == "cloud-init"),
                vendor: i.vendor.unwrap_or_default(),
                id: i.id,
                label: i.label,
                deprecated: i.deprecated,
            })
            .collect())
    }

    async fn stackscripts(&self) -> ProviderResult<Vec<p::StackScript>> {
        let scripts = r(self
            .client
            .list_stackscripts(self.stackscript_filter.clone())
            .await)?;
        Ok(scripts
            .into_iter()
            .map(|s| p::StackScript {
                id: s.id.to_string(),
                label: s.label,
                description: s.description,
                images: s.images,
            })
            .collect())
    }

    async fn create_instance(&self, request: &p::CreateInstance) -> ProviderResult<p::Instance> {
        let req = create_request(request)?;
        let created = r(self.client.create_instance(&req).await)?;
        Ok(self.instance(created))
    }

    async fn find_instance_by_label(&self, label: &str) -> ProviderResult<Option<p::Instance>> {
        let found = r(self.client.find_instance_by_label(label).await)?;
        Ok(found.map(|i| self.instance(i)))
    }

    async fn get_instance(&self, id: &str) -> ProviderResult<p::Instance> {
        let n = linode_id(id, "Linode")?;
        Ok(self.instance(r(self.client.get_instance(n).await)?))
    }

    async fn list_instances(&self) -> ProviderResult<Vec<p::Instance>> {
        let all = r(self.client.list_instances(None).await)?;
        Ok(all.into_iter().map(|i| self.instance(i)).collect())
    }

    async fn boot(&self, id: &str) -> ProviderResult<()> {
        r(self.client.boot_instance(linode_id(id, "Linode")?).await)
    }

    async fn shutdown(&self, id: &str) -> ProviderResult<()> {
        r(self
            .client
            .shutdown_instance(linode_id(id, "Linode")?)
            .await)
    }

    async fn reboot(&self, id: &str) -> ProviderResult<()> {
        r(self.client.reboot_instance(linode_id(id, "Linode")?).await)
    }

    async fn delete(&self, id: &str) -> ProviderResult<()> {
        r(self.client.delete_instance(linode_id(id, "Linode")?).await)
    }

    /// A cold resize: Linode powers the instance off, migrates it and boots it again.
    async fn resize(&self, id: &str, instance_type: &str) -> ProviderResult<()> {
        r(self
            .client
            .resize_instance(
                linode_id(id, "Linode")?,
                instance_type,
                m::MigrationType::Cold,
            )
            .await)
    }

    async fn rebuild(&self, id: &str, request: &p::Rebuild) -> ProviderResult<()> {
        let n = linode_id(id, "Linode")?;
        let req = m::RebuildInstance {
            deploy: m::InstanceDeploy {
                image: Some(request.image.clone()),
                root_pass: request
                    .root_password
                    .as_ref()
                    .map(|s| s.expose().to_owned()),
                authorized_keys: request.authorized_keys.clone(),
                ..Default::default()
            },
        };
        let rebuilt = r(self.client.rebuild_instance(n, &req).await)?;
        self.remember(&rebuilt);
        Ok(())
    }

    async fn rescue(&self, id: &str) -> ProviderResult<()> {
        r(self.client.rescue_instance(linode_id(id, "Linode")?).await)
    }

    async fn reset_root_password(&self, id: &str, password: &p::Secret) -> ProviderResult<()> {
        r(self
            .client
            .reset_root_password(linode_id(id, "Linode")?, password.expose())
            .await)
    }

    async fn enable_backups(&self, id: &str) -> ProviderResult<()> {
        r(self.client.enable_backups(linode_id(id, "Linode")?).await)
    }

    async fn cancel_backups(&self, id: &str) -> ProviderResult<()> {
        r(self.client.cancel_backups(linode_id(id, "Linode")?).await)
    }

    /// Automatic backups, then the current snapshot, then one in progress.
    async fn list_backups(&self, id: &str) -> ProviderResult<Vec<p::Backup>> {
        let b = r(self.client.list_backups(linode_id(id, "Linode")?).await)?;
        let mut out: Vec<p::Backup> = b
            .automatic
            .into_iter()
            .map(|x| map_backup(x, "auto"))
            .collect();
        out.extend(b.snapshot.current.map(|x| map_backup(x, "snapshot")));
        out.extend(b.snapshot.in_progress.map(|x| map_backup(x, "snapshot")));
        Ok(out)
    }

    async fn take_snapshot(&self, id: &str, label: &str) -> ProviderResult<p::Backup> {
        let b = r(self
            .client
            .take_snapshot(linode_id(id, "Linode")?, label)
            .await)?;
        Ok(map_backup(b, "snapshot"))
    }

    /// Restores onto `target_instance`, replacing its disks (Linode's `overwrite`).
    async fn restore_backup(
        &self,
        id: &str,
        backup_id: &str,
        target_instance: &str,
    ) -> ProviderResult<()> {
        let n = linode_id(id, "Linode")?;
        let b = linode_id(backup_id, "backup")?;
        let t = linode_id(target_instance, "Linode")?;
        r(self.client.restore_backup(n, b, t, true).await)
    }

    async fn ips(&self, id: &str) -> ProviderResult<Vec<p::IpAddress>> {
        let n = linode_id(id, "Linode")?;
        let ips = r(self.client.list_instance_ips(n).await)?;
        let v4 = ips.ipv4;
        let mut out: Vec<p::IpAddress> = v4
            .public
            .into_iter()
            .chain(v4.private)
            .chain(v4.shared)
            .chain(v4.reserved)
            .map(|ip| map_ip(ip, "ipv4"))
            .collect();
        out.extend(ips.ipv6.slaac.map(|ip| map_ip(ip, "ipv6")));
        for ip in &out {
            self.remember_address(&ip.address, n);
        }
        Ok(out)
    }

    async fn allocate_ipv4(&self, id: &str) -> ProviderResult<p::IpAddress> {
        let n = linode_id(id, "Linode")?;
        let ip = r(self.client.allocate_ipv4(n).await)?;
        self.remember_address(&ip.address, n);
        Ok(map_ip(ip, "ipv4"))
    }

    async fn set_reverse_dns(
        &self,
        address: &str,
        rdns: Option<&str>,
    ) -> ProviderResult<p::IpAddress> {
        let key = canonical_address(address).ok_or_else(|| ProviderError::Validation {
            field: "address".to_owned(),
            message: format!("`{address}` is not an IP address"),
        })?;
        let rdns = rdns.map(str::trim).filter(|s| !s.is_empty());
        let mut owner = self.owner_of(&key, address).await?;
        // Linode wants the bare address in the path.
        let bare = address.split('/').next().unwrap_or(address).trim();
        for attempt in 0..2 {
            match self.client.update_rdns(owner, bare, rdns).await {
                Ok(ip) => return Ok(map_ip(ip, if key.contains(':') { "ipv6" } else { "ipv4" })),
                // The remembered owner may be stale (address moved, instance deleted).
                Err(LinodeError::NotFound { .. }) if attempt == 0 => {
                    self.forget_address(&key);
                    let again = self.owner_of(&key, address).await?;
                    if again == owner {
                        return Err(ProviderError::NotFound(format!("address {address}")));
                    }
                    owner = again;
                }
                Err(e) => return Err(map_error(e)),
            }
        }
        Err(ProviderError::NotFound(format!("address {address}")))
    }

    async fn firewalls(&self) -> ProviderResult<Vec<p::Firewall>> {
        let all = r(self.client.list_firewalls().await)?;
        let mut out = Vec::with_capacity(all.len());
        for fw in all {
            out.push(self.firewall_with_devices(fw).await?);
        }
        Ok(out)
    }

    async fn create_firewall(&self, request: &p::NewFirewall) -> ProviderResult<p::Firewall> {
        let req = m::CreateFirewall {
            label: request.label.clone(),
            rules: rules_to_linode(&request.rules)?,
            devices: None,
            tags: vec![],
        };
        let fw = r(self.client.create_firewall(&req).await)?;
        let rules = fw
            .rules
            .as_ref()
            .map(rules_from_linode)
            .unwrap_or_else(|| request.rules.clone());
        Ok(p::Firewall {
            id: fw.id.to_string(),
            label: fw.label,
            rules,
            instance_ids: vec![],
        })
    }

    async fn set_firewall_rules(
        &self,
        firewall_id: &str,
        rules: &p::FirewallRules,
    ) -> ProviderResult<p::Firewall> {
        let n = linode_id(firewall_id, "firewall")?;
        let written = r(self
            .client
            .set_firewall_rules(n, &rules_to_linode(rules)?)
            .await)?;
        let mut fw = r(self.client.get_firewall(n).await)?;
        fw.rules = Some(written);
        self.firewall_with_devices(fw).await
    }

    /// Idempotent: attaching an instance that is already attached succeeds.
    async fn attach_firewall(&self, firewall_id: &str, instance_id: &str) -> ProviderResult<()> {
        let f = linode_id(firewall_id, "firewall")?;
        let i = linode_id(instance_id, "Linode")?;
        match self.client.add_firewall_device(f, i).await {
            Ok(_) => Ok(()),
            Err(e @ LinodeError::Validation { .. }) => {
                let devices = r(self.client.list_firewall_devices(f).await)?;
                if devices
                    .iter()
                    .any(|d| d.entity.kind == "linode" && d.entity.id == i)
                {
                    Ok(())
                } else {
                    Err(map_error(e))
                }
            }
            Err(e) => Err(map_error(e)),
        }
    }

    /// CPU in percent of one core; network is public IPv4 + IPv6 traffic in bits per
    /// second; disk I/O in blocks per second. Linode keeps 24 h of 5-minute samples.
    async fn stats(&self, id: &str) -> ProviderResult<p::Stats> {
        let s = r(self.client.instance_stats(linode_id(id, "Linode")?).await)?;
        Ok(p::Stats {
            cpu_percent: samples(&[&s.cpu]),
            network_in_bits_per_s: samples(&[&s.netv4.r#in, &s.netv6.r#in]),
            network_out_bits_per_s: samples(&[&s.netv4.out, &s.netv6.out]),
            disk_io_blocks_per_s: samples(&[&s.io.io]),
            disk_used_percent: vec![],
        })
    }

    /// This month's transfer of the instance: bytes used, quota in GB.
    async fn transfer(&self, id: &str) -> ProviderResult<p::Transfer> {
        let t = r(self
            .client
            .instance_transfer(linode_id(id, "Linode")?)
            .await)?;
        Ok(p::Transfer {
            used_bytes: t.used,
            quota_gb: clamp_u32(t.quota),
        })
    }

    async fn events(&self, after: Option<u64>) -> ProviderResult<Vec<p::ProviderEvent>> {
        let filter = after.map(|a| serde_json::json!({ "id": { "+gt": a } }).to_string());
        let mut events = r(self.client.list_events(filter).await)?;
        // Linode lists newest first; the trait wants oldest first.
        events.retain(|e| after.is_none_or(|a| e.id > a));
        events.sort_by_key(|e| e.id);
        Ok(events.into_iter().map(map_event).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn prices_convert_exactly() {
        let p = price_from_linode(Micros(7_500), Micros(5_000_000)).unwrap();
        assert_eq!(
            p,
            p::Price {
                monthly_minor: 500,
                hourly_micros: 7_500
            }
        );
        let p = price_from_linode(Micros(21_000), Micros(14_400_000)).unwrap();
        assert_eq!(p.monthly_minor, 1440);
        assert_eq!(
            price_from_linode(Micros(1), Micros(5_005_000)),
            None,
            "sub-cent monthly prices are not rounded"
        );
    }

    #[test]
    fn errors_map_to_each_class() {
        assert!(
            matches!(map_error(LinodeError::InvalidToken), ProviderError::Auth(m) if m.contains("Settings → Providers"))
        );
        let f = map_error(LinodeError::ForbiddenScope {
            required_scopes: Some("firewall:read_write".into()),
            reason: "forbidden".into(),
        });
        assert!(
            matches!(&f, ProviderError::Auth(m) if m.contains("`firewall:read_write`")),
            "{f:?}"
        );
        assert_eq!(
            map_error(LinodeError::NotFound {
                what: "Linode 7".into()
            }),
            ProviderError::NotFound("Linode 7".into())
        );
        assert_eq!(
            map_error(LinodeError::Validation {
                field: Some("region".into()),
                reason: "region is not valid".into()
            }),
            ProviderError::Validation {
                field: "region".into(),
                message: "region is not valid".into()
            }
        );
        match map_error(LinodeError::RdnsNeedsForwardDns {
            address: "192.0.2.5".into(),
            rdns: "a.example.com".into(),
        }) {
            ProviderError::Validation { field, message } => {
                assert_eq!(field, "rdns");
                assert!(
                    message.contains("forward DNS record (A for IPv4, AAAA for IPv6)"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(map_error(LinodeError::Busy), ProviderError::Busy);
        assert_eq!(
            map_error(LinodeError::RateLimited {
                retry_after: Duration::from_millis(1500)
            }),
            ProviderError::RateLimited { retry_after_s: 2 }
        );
        for e in [
            LinodeError::Server {
                status: 502,
                reason: String::new(),
            },
            LinodeError::Timeout,
            LinodeError::Transport("reset".into()),
        ] {
            assert!(matches!(map_error(e), ProviderError::Unavailable(_)));
        }
    }

    #[test]
    fn firewall_values_are_written_as_linode_knows_them() {
        assert_eq!(parse_protocol(" tcp ").unwrap(), m::FirewallProtocol::Tcp);
        assert_eq!(parse_protocol("all").unwrap(), m::FirewallProtocol::All);
        assert_eq!(parse_protocol("50").unwrap().as_str(), "50");
        assert_eq!(parse_protocol("050").unwrap().as_str(), "50");
        // A word Linode may know but this version does not is passed on unchanged.
        assert_eq!(parse_protocol("GRE").unwrap().as_str(), "GRE");
        for bad in ["", "256", "tcp; drop", "UDP 53"] {
            assert!(
                matches!(parse_protocol(bad), Err(ProviderError::Validation { field, message }) if field == "protocol" && message.contains("0 to 255")),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_action("drop", "action").unwrap(),
            m::FirewallAction::Drop
        );
        assert!(parse_action("", "inbound_policy").is_err());
        assert_eq!(action_text(None), "ACCEPT");
        assert_eq!(
            action_text(Some(&m::FirewallAction::Other("REJECT".into()))),
            "REJECT"
        );
    }

    #[test]
    fn addresses_compare_canonically() {
        assert_eq!(
            canonical_address("2600:3c03:0::1/128"),
            canonical_address("2600:3c03::1")
        );
        assert_eq!(canonical_address("192.0.2.1").as_deref(), Some("192.0.2.1"));
        assert_eq!(canonical_address("web.example.com"), None);
    }

    #[test]
    fn create_request_maps_every_field() {
        let req = p::CreateInstance {
            label: "web-1".into(),
            region: "us-east".into(),
            instance_type: "g6-nanode-1".into(),
            image: "linode/debian12".into(),
            root_password: Some(p::Secret::new("Root-Pass-1234")),
            authorized_keys: vec!["ssh-ed25519 AAAA test".into()],
            stackscript_id: Some("10001".into()),
            stackscript_data: vec![("hostname".into(), "web1".into())],
            user_data: Some("#cloud-config\n".into()),
            firewall_id: Some("77".into()),
            tags: vec!["cs-1".into()],
            backups_enabled: true,
        };
        let body = serde_json::to_value(create_request(&req).unwrap()).unwrap();
        assert_eq!(body["root_pass"], "Root-Pass-1234");
        assert_eq!(body["type"], "g6-nanode-1");
        assert_eq!(body["authorized_keys"][0], "ssh-ed25519 AAAA test");
        assert_eq!(body["stackscript_id"], 10001);
        assert_eq!(body["stackscript_data"]["hostname"], "web1");
        assert_eq!(body["metadata"]["user_data"], "I2Nsb3VkLWNvbmZpZwo=");
        assert_eq!(body["firewall_id"], 77);
        assert_eq!(body["tags"][0], "cs-1");
        assert_eq!(body["backups_enabled"], true);
        let mut bad = req.clone();
        bad.stackscript_id = Some("web".into());
        assert!(
            matches!(create_request(&bad), Err(ProviderError::Validation { field, .. }) if field == "stackscript_id")
        );
    }

    #[test]
    fn samples_sum_series_per_timestamp() {
        let a = [
            m::Sample {
                at_ms: 1_000,
                value_milli: 1_500,
            },
            m::Sample {
                at_ms: 2_000,
                value_milli: 250,
            },
        ];
        let b = [m::Sample {
            at_ms: 1_000,
            value_milli: 500,
        }];
        let s = samples(&[&a, &b]);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].value, 2.0);
        assert_eq!(s[1].value, 0.25);
        assert_eq!(s[0].at.timestamp_millis(), 1_000);
    }
}
