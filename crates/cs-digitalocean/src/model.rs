//! Typed requests and responses of the DigitalOcean endpoints ContainerStacks uses.
//!
//! Decoding is lenient on purpose: unknown fields are ignored and most fields are optional
//! or defaulted, because DigitalOcean adds fields often and omits some on older objects.
//! Prices are decoded into integer micro-units ([`Micros`]) from their decimal text, never
//! through a float.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

// ---------------------------------------------------------------- pagination

/// One page of a collection: its items, `meta.total` and the page `links.pages.next`
/// points at (DigitalOcean leaves `next` out on the last page).
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub next: Option<u32>,
    pub last: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
struct Links {
    #[serde(default)]
    pages: PageLinks,
}

#[derive(Debug, Default, Deserialize)]
struct PageLinks {
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    last: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Meta {
    #[serde(default)]
    total: u64,
}

/// The `page` number of a page link (`https://api.digitalocean.com/v2/droplets?page=2&per_page=200`).
pub fn page_of(link: &str) -> Option<u32> {
    let query = link.split_once('?')?.1;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("page="))
        .and_then(|v| v.parse().ok())
}

/// Decodes a collection answer whose items are under `key` (`droplets`, `regions` …).
pub(crate) fn decode_page<T: serde::de::DeserializeOwned>(
    body: &[u8],
    key: &str,
    current: u32,
) -> Result<Page<T>, String> {
    let mut v: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let items = match v.get_mut(key).map(serde_json::Value::take) {
        Some(serde_json::Value::Null) | None => Vec::new(),
        Some(items) => serde_json::from_value(items).map_err(|e| format!("{key}: {e}"))?,
    };
    let links: Links = v
        .get_mut("links")
        .map(serde_json::Value::take)
        .and_then(|l| serde_json::from_value(l).ok())
        .unwrap_or_default();
    let meta: Meta = v
        .get_mut("meta")
        .map(serde_json::Value::take)
        .and_then(|m| serde_json::from_value(m).ok())
        .unwrap_or_default();
    let next = links
        .pages
        .next
        .as_deref()
        .map(|l| page_of(l).unwrap_or(current + 1));
    Ok(Page {
        items,
        total: meta.total,
        next,
        last: links.pages.last.as_deref().and_then(page_of),
    })
}

// ---------------------------------------------------------------- money

/// A decimal in millionths (of a US dollar for prices, of a terabyte for transfer):
/// `0.00893` is `8_930`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Micros(pub i64);

impl Micros {
    /// Parses decimal text (`"5.0"`, `"0.00892999954521656"`, `"1e-5"`), rounding to the
    /// nearest millionth, half away from zero.
    ///
    /// DigitalOcean prints hourly prices as the single-precision value of the published
    /// price at full length (`0.00892999954521656` for 0.00893). Published prices have at
    /// most five decimals and the single-precision error is below a millionth, so rounding
    /// the text recovers the published price exactly; no binary float is involved.
    pub fn parse_rounded(s: &str) -> Option<Micros> {
        let s = s.trim();
        let (neg, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (mantissa, exp) = match s.find(['e', 'E']) {
            Some(i) => (&s[..i], s[i + 1..].parse::<i32>().ok()?),
            None => (s, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        // All digits, and where the decimal point falls among them.
        let digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
        let point = i64::try_from(int.len()).ok()? + i64::from(exp);
        // Keep the digits down to the millionths; the next one decides the rounding.
        let keep = point + 6;
        let mut value: i64 = 0;
        for k in 0..keep.max(0) {
            let d = usize::try_from(k)
                .ok()
                .and_then(|k| digits.get(k))
                .copied()
                .unwrap_or(0);
            value = value.checked_mul(10)?.checked_add(i64::from(d))?;
        }
        let next = usize::try_from(keep)
            .ok()
            .and_then(|k| digits.get(k))
            .copied()
            .unwrap_or(0);
        if keep >= 0 && next >= 5 {
            value = value.checked_add(1)?;
        }
        Some(Micros(if neg { -value } else { value }))
    }

    /// Exact parse: `None` when the text has more than six decimals.
    pub fn parse_exact(s: &str) -> Option<Micros> {
        let rounded = Self::parse_rounded(s)?;
        let frac = s.trim().split_once('.').map_or("", |(_, f)| f);
        let frac = frac.split(['e', 'E']).next().unwrap_or("");
        (frac.trim_end_matches('0').len() <= 6 && !s.contains(['e', 'E'])).then_some(rounded)
    }
}

fn number_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::String(s) => Some(s),
        _ => None,
    })
}

impl<'de> Deserialize<'de> for Micros {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Some(text) = number_text(d)? else {
            return Ok(Micros(0));
        };
        Micros::parse_rounded(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a decimal number")))
    }
}

// ---------------------------------------------------------------- account

/// `GET /v2/account`.
#[derive(Debug, Clone, Deserialize)]
pub struct Account {
    #[serde(default)]
    pub droplet_limit: u32,
    #[serde(default)]
    pub floating_ip_limit: u32,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub uuid: String,
    #[serde(default)]
    pub email_verified: bool,
    #[serde(default)]
    pub status: AccountStatus,
    #[serde(default)]
    pub status_message: String,
    #[serde(default)]
    pub team: Option<Team>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Team {
    #[serde(default)]
    pub uuid: String,
    #[serde(default)]
    pub name: String,
}

/// `active`, `warning` (e.g. a payment problem) or `locked` (nothing can be created).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AccountStatus {
    #[default]
    Active,
    Warning,
    Locked,
    Other(String),
}

impl AccountStatus {
    pub fn as_str(&self) -> &str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Warning => "warning",
            AccountStatus::Locked => "locked",
            AccountStatus::Other(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for AccountStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.as_str() {
            "active" => AccountStatus::Active,
            "warning" => AccountStatus::Warning,
            "locked" => AccountStatus::Locked,
            _ => AccountStatus::Other(s),
        })
    }
}

// ---------------------------------------------------------------- catalogue

#[derive(Debug, Clone, Deserialize)]
pub struct Region {
    pub slug: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub available: bool,
    /// Sizes that can be created here.
    #[serde(default)]
    pub sizes: Vec<String>,
}

/// A Droplet size (plan). Prices are the same in every region where it is offered.
#[derive(Debug, Clone, Deserialize)]
pub struct Size {
    pub slug: String,
    /// Megabytes.
    #[serde(default)]
    pub memory: u64,
    #[serde(default)]
    pub vcpus: u32,
    /// Gigabytes.
    #[serde(default)]
    pub disk: u64,
    /// Monthly transfer in millionths of a terabyte.
    #[serde(default)]
    pub transfer: Micros,
    #[serde(default)]
    pub price_monthly: Micros,
    #[serde(default)]
    pub price_hourly: Micros,
    /// Regions where it can be created.
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default = "yes")]
    pub available: bool,
    /// `Basic`, `General Purpose`, `CPU-Optimized` …
    #[serde(default)]
    pub description: String,
}

fn yes() -> bool {
    true
}

/// An image: a distribution (`type: base`), a 1-Click application, or the account's own
/// snapshot, backup or custom image.
#[derive(Debug, Clone, Deserialize)]
pub struct Image {
    pub id: u64,
    #[serde(default)]
    pub name: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub distribution: String,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub public: bool,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub min_disk_size: Option<u64>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// Which images `GET /v2/images` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageList {
    Distribution,
    Application,
    /// The account's own (snapshots, backups, custom images).
    Private,
    All,
}

// ---------------------------------------------------------------- SSH keys

#[derive(Debug, Clone, Deserialize)]
pub struct SshKey {
    pub id: u64,
    #[serde(default)]
    pub fingerprint: String,
    #[serde(default)]
    pub public_key: String,
    #[serde(default)]
    pub name: String,
}

/// An SSH key as a Droplet create request names it: by id or MD5 fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SshKeyRef {
    Id(u64),
    Fingerprint(String),
}

impl Serialize for SshKeyRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            SshKeyRef::Id(id) => s.serialize_u64(*id),
            SshKeyRef::Fingerprint(f) => s.serialize_str(f),
        }
    }
}

// ---------------------------------------------------------------- droplets

/// DigitalOcean's Droplet status. It says nothing about actions in flight: a Droplet
/// being rebooted stays `active`, one shutting down stays `active` until it is `off`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DropletStatus {
    New,
    Active,
    Off,
    Archive,
    Other(String),
}

impl DropletStatus {
    pub fn as_str(&self) -> &str {
        match self {
            DropletStatus::New => "new",
            DropletStatus::Active => "active",
            DropletStatus::Off => "off",
            DropletStatus::Archive => "archive",
            DropletStatus::Other(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for DropletStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.as_str() {
            "new" => DropletStatus::New,
            "active" => DropletStatus::Active,
            "off" => DropletStatus::Off,
            "archive" => DropletStatus::Archive,
            _ => DropletStatus::Other(s),
        })
    }
}

fn default_status() -> DropletStatus {
    DropletStatus::New
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NetworkV4 {
    pub ip_address: String,
    #[serde(default)]
    pub netmask: Option<String>,
    #[serde(default)]
    pub gateway: Option<String>,
    /// `public` or `private`.
    #[serde(default, rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NetworkV6 {
    pub ip_address: String,
    #[serde(default)]
    pub netmask: Option<u8>,
    #[serde(default)]
    pub gateway: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Networks {
    #[serde(default, deserialize_with = "null_as_default")]
    pub v4: Vec<NetworkV4>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub v6: Vec<NetworkV6>,
}

/// The parts of a nested region object a Droplet needs.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RegionRef {
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub name: String,
}

/// The image a Droplet was built from.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DropletImage {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub distribution: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BackupWindow {
    #[serde(default)]
    pub start: Option<DateTime<Utc>>,
    #[serde(default)]
    pub end: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Droplet {
    pub id: u64,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub memory: u64,
    #[serde(default)]
    pub vcpus: u32,
    #[serde(default)]
    pub disk: u64,
    #[serde(default)]
    pub locked: bool,
    #[serde(default = "default_status")]
    pub status: DropletStatus,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub features: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub backup_ids: Vec<u64>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub snapshot_ids: Vec<u64>,
    #[serde(default)]
    pub next_backup_window: Option<BackupWindow>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub image: DropletImage,
    #[serde(default)]
    pub size_slug: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub networks: Networks,
    #[serde(default, deserialize_with = "null_as_default")]
    pub region: RegionRef,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
    #[serde(default)]
    pub vpc_uuid: Option<String>,
}

impl Droplet {
    pub fn public_ipv4(&self) -> Option<&str> {
        self.networks
            .v4
            .iter()
            .find(|n| n.kind == "public")
            .map(|n| n.ip_address.as_str())
    }

    pub fn private_ipv4(&self) -> Option<&str> {
        self.networks
            .v4
            .iter()
            .find(|n| n.kind == "private")
            .map(|n| n.ip_address.as_str())
    }

    pub fn public_ipv6(&self) -> Option<&str> {
        self.networks
            .v6
            .iter()
            .find(|n| n.kind == "public" || n.kind.is_empty())
            .map(|n| n.ip_address.as_str())
    }

    pub fn backups_enabled(&self) -> bool {
        self.features.iter().any(|f| f == "backups")
    }

    /// The reverse DNS DigitalOcean publishes for this Droplet's own addresses: its name,
    /// when the name is a fully qualified domain name (see [`ptr_from_name`]).
    pub fn reverse_dns(&self) -> Option<String> {
        ptr_from_name(&self.name)
    }
}

/// DigitalOcean sets the PTR record of a Droplet's public addresses from the Droplet's
/// name when that name is a fully qualified domain name (`mail.example.com`), and has no
/// other way to set reverse DNS: renaming the Droplet is how it changes. A name without a
/// dot publishes nothing. Reserved IPs get no PTR record of their own.
pub fn ptr_from_name(name: &str) -> Option<String> {
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    let labels_ok = name.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    let tld_ok = name
        .rsplit('.')
        .next()
        .is_some_and(|t| t.chars().any(|c| c.is_ascii_alphabetic()));
    (name.contains('.') && name.len() <= 253 && labels_ok && tld_ok).then_some(name)
}

/// An image reference in a create or rebuild request: a slug or a numeric id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    Slug(String),
    Id(u64),
}

impl ImageRef {
    /// Numeric text is an id (a snapshot or backup), anything else a slug.
    pub fn parse(s: &str) -> ImageRef {
        match s.trim().parse::<u64>() {
            Ok(id) => ImageRef::Id(id),
            Err(_) => ImageRef::Slug(s.trim().to_owned()),
        }
    }
}

impl Serialize for ImageRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ImageRef::Slug(slug) => s.serialize_str(slug),
            ImageRef::Id(id) => s.serialize_u64(*id),
        }
    }
}

/// `daily` (DigitalOcean bills 30 % of the Droplet's price) or `weekly` (20 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BackupPlan {
    Daily,
    Weekly,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupPolicy {
    pub plan: BackupPlan,
    /// `SUN` … `SAT`, for weekly backups; DigitalOcean picks one when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weekday: Option<String>,
    /// 0, 4, 8, 12, 16 or 20 (UTC); DigitalOcean picks one when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hour: Option<u8>,
}

impl BackupPolicy {
    pub fn weekly() -> Self {
        BackupPolicy {
            plan: BackupPlan::Weekly,
            weekday: None,
            hour: None,
        }
    }
}

/// `POST /v2/droplets` for one Droplet. DigitalOcean allows several Droplets with the
/// same name; callers give each a unique name and tag so that a lost answer can be
/// recovered by looking the Droplet up (see `DigitalOceanClient::create_droplet`).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct CreateDroplet {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub size: String,
    pub image: ImageRef,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ssh_keys: Vec<SshKeyRef>,
    pub backups: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_policy: Option<BackupPolicy>,
    pub ipv6: bool,
    /// Installs DigitalOcean's monitoring agent (needed for the metrics endpoints).
    pub monitoring: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// cloud-init user data, plain text, at most 64 KiB. May hold a root password: it is
    /// redacted from `Debug`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_data: Option<String>,
    /// `None`: the account's default VPC of the region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_uuid: Option<String>,
}

impl fmt::Debug for CreateDroplet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateDroplet")
            .field("name", &self.name)
            .field("region", &self.region)
            .field("size", &self.size)
            .field("image", &self.image)
            .field("ssh_keys", &self.ssh_keys)
            .field("backups", &self.backups)
            .field("tags", &self.tags)
            .field("user_data", &self.user_data.as_ref().map(|_| "<redacted>"))
            .field("vpc_uuid", &self.vpc_uuid)
            .finish_non_exhaustive()
    }
}

impl CreateDroplet {
    /// A request with DigitalOcean's defaults for what it does not name.
    pub fn new(name: &str, region: &str, size: &str, image: ImageRef) -> Self {
        CreateDroplet {
            name: name.to_owned(),
            region: Some(region.to_owned()),
            size: size.to_owned(),
            image,
            ssh_keys: vec![],
            backups: false,
            backup_policy: None,
            ipv6: false,
            monitoring: false,
            tags: vec![],
            user_data: None,
            vpc_uuid: None,
        }
    }
}

// ---------------------------------------------------------------- actions

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionStatus {
    InProgress,
    Completed,
    Errored,
    Other(String),
}

impl<'de> Deserialize<'de> for ActionStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.as_str() {
            "in-progress" => ActionStatus::InProgress,
            "completed" => ActionStatus::Completed,
            "errored" => ActionStatus::Errored,
            _ => ActionStatus::Other(s),
        })
    }
}

impl ActionStatus {
    pub fn as_str(&self) -> &str {
        match self {
            ActionStatus::InProgress => "in-progress",
            ActionStatus::Completed => "completed",
            ActionStatus::Errored => "errored",
            ActionStatus::Other(s) => s,
        }
    }
}

/// An action: DigitalOcean's record of an asynchronous change (a create, a power-off,
/// a snapshot, an IP assignment …), also its account event feed.
#[derive(Debug, Clone, Deserialize)]
pub struct Action {
    pub id: u64,
    pub status: ActionStatus,
    /// `create`, `destroy`, `power_on`, `shutdown`, `resize`, `snapshot`, `assign_ip` …
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub resource_id: Option<u64>,
    /// `droplet`, `reserved_ip` (`floating_ip` on older actions), `image` …
    #[serde(default)]
    pub resource_type: Option<String>,
    #[serde(default)]
    pub region_slug: Option<String>,
}

impl Action {
    pub fn in_progress(&self) -> bool {
        self.status == ActionStatus::InProgress
    }
}

/// A Droplet action (`POST /v2/droplets/{id}/actions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DropletAction {
    PowerOn,
    /// Hard power-off.
    PowerOff,
    /// Graceful shutdown; it may not succeed, in which case DigitalOcean advises a power-off.
    Shutdown,
    Reboot,
    PowerCycle,
    /// To another size; with `disk`, the disk grows too (permanent: it can never shrink).
    /// The Droplet must be powered off.
    Resize {
        size: String,
        disk: bool,
    },
    /// Reinstalls from an image (slug or id); the Droplet keeps its SSH keys.
    Rebuild {
        image: ImageRef,
    },
    /// DigitalOcean emails a new root password to the account owner.
    PasswordReset,
    EnableBackups {
        policy: Option<BackupPolicy>,
    },
    DisableBackups,
    Snapshot {
        name: String,
    },
    /// Restores one of this Droplet's own backups.
    Restore {
        image: u64,
    },
    /// Also changes the PTR record of the Droplet's addresses (see [`ptr_from_name`]).
    Rename {
        name: String,
    },
}

impl DropletAction {
    /// DigitalOcean's `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            DropletAction::PowerOn => "power_on",
            DropletAction::PowerOff => "power_off",
            DropletAction::Shutdown => "shutdown",
            DropletAction::Reboot => "reboot",
            DropletAction::PowerCycle => "power_cycle",
            DropletAction::Resize { .. } => "resize",
            DropletAction::Rebuild { .. } => "rebuild",
            DropletAction::PasswordReset => "password_reset",
            DropletAction::EnableBackups { .. } => "enable_backups",
            DropletAction::DisableBackups => "disable_backups",
            DropletAction::Snapshot { .. } => "snapshot",
            DropletAction::Restore { .. } => "restore",
            DropletAction::Rename { .. } => "rename",
        }
    }

    /// The custom scope DigitalOcean documents for it.
    pub fn scope(&self) -> &'static str {
        match self {
            DropletAction::Restore { .. }
            | DropletAction::PasswordReset
            | DropletAction::Rebuild { .. } => "droplet:admin",
            DropletAction::Resize { .. } => "droplet:create",
            DropletAction::Snapshot { .. } => "image:create",
            _ => "droplet:update",
        }
    }

    pub(crate) fn body(&self) -> serde_json::Value {
        use serde_json::json;
        let kind = self.kind();
        match self {
            DropletAction::Resize { size, disk } => {
                json!({ "type": kind, "size": size, "disk": disk })
            }
            DropletAction::Rebuild { image } => json!({ "type": kind, "image": image }),
            DropletAction::EnableBackups { policy: Some(p) } => {
                json!({ "type": kind, "backup_policy": p })
            }
            DropletAction::Snapshot { name } | DropletAction::Rename { name } => {
                json!({ "type": kind, "name": name })
            }
            DropletAction::Restore { image } => json!({ "type": kind, "image": image }),
            _ => json!({ "type": kind }),
        }
    }
}

// ---------------------------------------------------------------- backups, snapshots

/// A backup or snapshot of a Droplet, as `GET /v2/droplets/{id}/backups|snapshots` lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct DropletImageRecord {
    pub id: u64,
    #[serde(default)]
    pub name: String,
    /// `backup` or `snapshot`.
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub min_disk_size: Option<u64>,
}

/// A snapshot as `GET /v2/snapshots` lists it (ids are strings there).
#[derive(Debug, Clone, Deserialize)]
pub struct Snapshot {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub min_disk_size: Option<u64>,
    #[serde(default)]
    pub resource_id: String,
    #[serde(default)]
    pub resource_type: String,
}

// ---------------------------------------------------------------- reserved IPs

#[derive(Debug, Clone, Deserialize)]
pub struct ReservedIp {
    pub ip: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub region: RegionRef,
    /// The Droplet it is assigned to, if any.
    #[serde(default)]
    pub droplet: Option<Box<Droplet>>,
    /// An assignment is in progress.
    #[serde(default)]
    pub locked: bool,
    #[serde(default)]
    pub project_id: Option<String>,
}

/// Where a new reserved IP goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewReservedIp {
    /// Assigned to this Droplet (in its region).
    Droplet(u64),
    /// Reserved to a region, unassigned.
    Region(String),
}

// ---------------------------------------------------------------- firewalls

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
    Icmp,
}

/// Where a rule allows traffic from (inbound) or to (outbound).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleTarget {
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub addresses: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub droplet_ids: Vec<u64>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub load_balancer_uids: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub kubernetes_ids: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub tags: Vec<String>,
}

/// An inbound rule. DigitalOcean firewalls only allow: traffic no rule allows is dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundRule {
    pub protocol: Protocol,
    /// `"0"` for all ports, a port, or a range (`"8000-9000"`); `"0"` for ICMP.
    #[serde(default)]
    pub ports: String,
    #[serde(default)]
    pub sources: RuleTarget,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundRule {
    pub protocol: Protocol,
    #[serde(default)]
    pub ports: String,
    #[serde(default)]
    pub destinations: RuleTarget,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PendingChange {
    #[serde(default)]
    pub droplet_id: Option<u64>,
    #[serde(default)]
    pub removing: bool,
    #[serde(default)]
    pub status: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Firewall {
    pub id: String,
    /// `waiting`, `succeeded` or `failed`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub pending_changes: Vec<PendingChange>,
    #[serde(default)]
    pub name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub droplet_ids: Vec<u64>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub inbound_rules: Vec<InboundRule>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub outbound_rules: Vec<OutboundRule>,
}

/// A firewall create or (full) update. An update replaces everything, so it must carry
/// the Droplets and tags to keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FirewallRequest {
    /// Letters, digits, dots and dashes, starting with a letter or digit.
    pub name: String,
    pub inbound_rules: Vec<InboundRule>,
    pub outbound_rules: Vec<OutboundRule>,
    pub droplet_ids: Vec<u64>,
    pub tags: Vec<String>,
}

// ---------------------------------------------------------------- monitoring

/// One sample of a monitoring series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricPoint {
    /// UNIX seconds.
    pub at: i64,
    pub value: f64,
}

/// One labelled series (`{"metric": {"host_id": …, "mode": "idle"}, "values": [[t, "v"]…]}`).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSeries {
    pub labels: BTreeMap<String, String>,
    pub points: Vec<MetricPoint>,
}

impl<'de> Deserialize<'de> for MetricSeries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default)]
            metric: BTreeMap<String, serde_json::Value>,
            #[serde(default)]
            values: Vec<Vec<serde_json::Value>>,
        }
        let raw = Raw::deserialize(d)?;
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let labels = raw
            .metric
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), text(v)?)))
            .collect();
        let points = raw
            .values
            .iter()
            .filter_map(|pair| {
                let at = text(pair.first()?)?.parse::<f64>().ok()?;
                let value = text(pair.get(1)?)?.parse::<f64>().ok()?;
                // Timestamps are whole seconds; some answers print them as floats.
                #[allow(clippy::cast_possible_truncation)]
                Some(MetricPoint {
                    at: at as i64,
                    value,
                })
            })
            .collect();
        Ok(MetricSeries { labels, points })
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct MetricsEnvelope {
    #[serde(default)]
    pub data: MetricsData,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct MetricsData {
    #[serde(default)]
    pub result: Vec<MetricSeries>,
}

/// `interface` of the bandwidth metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interface {
    Public,
    Private,
}

/// `direction` of the bandwidth metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Inbound,
    Outbound,
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_round_single_precision_noise_to_the_published_price() {
        let p = |s| Micros::parse_rounded(s).unwrap().0;
        assert_eq!(p("0.00892999954521656"), 8_930);
        assert_eq!(p("0.00743999984115362"), 7_440);
        assert_eq!(p("0.005950000137090683"), 5_950);
        assert_eq!(p("0.07142999768257141"), 71_430);
        assert_eq!(p("5.0"), 5_000_000);
        assert_eq!(p("131"), 131_000_000);
        assert_eq!(p("0.5"), 500_000);
        assert_eq!(p("1e-5"), 10);
        assert_eq!(p("2.5E2"), 250_000_000);
        assert_eq!(p("0.0000005"), 1, "half a millionth rounds away from zero");
        assert_eq!(p("-0.0000005"), -1);
        assert_eq!(Micros::parse_rounded("five"), None);
        assert_eq!(Micros::parse_rounded(""), None);
        assert_eq!(Micros::parse_exact("12.345678"), Some(Micros(12_345_678)));
        assert_eq!(Micros::parse_exact("0.00892999954521656"), None);
        let s: Size = serde_json::from_str(
            r#"{"slug":"s-1vcpu-1gb","memory":1024,"vcpus":1,"disk":25,"transfer":1.0,
                "price_monthly":6.0,"price_hourly":0.00892999954521656,"regions":["nyc3"],
                "available":true,"description":"Basic"}"#,
        )
        .unwrap();
        assert_eq!(s.price_hourly, Micros(8_930));
        assert_eq!(s.price_monthly, Micros(6_000_000));
        assert_eq!(s.transfer, Micros(1_000_000));
    }

    #[test]
    fn pages_follow_next_links() {
        let body = br#"{"droplets":[],"links":{"pages":{"last":"https://api.digitalocean.com/v2/droplets?page=25&per_page=200","next":"https://api.digitalocean.com/v2/droplets?page=3&per_page=200"}},"meta":{"total":5000}}"#;
        let p: Page<Droplet> = decode_page(body, "droplets", 2).unwrap();
        assert_eq!((p.next, p.last, p.total), (Some(3), Some(25), 5000));
        let p: Page<Droplet> = decode_page(
            br#"{"droplets":[],"links":{},"meta":{"total":0}}"#,
            "droplets",
            1,
        )
        .unwrap();
        assert_eq!(p.next, None);
    }

    #[test]
    fn reverse_dns_is_the_name_when_it_is_a_host_name() {
        assert_eq!(
            ptr_from_name("Mail.Example.com").as_deref(),
            Some("mail.example.com")
        );
        assert_eq!(ptr_from_name("web-1"), None);
        assert_eq!(ptr_from_name("10.0.0.1"), None);
        assert_eq!(ptr_from_name("bad-.example.com"), None);
    }

    #[test]
    fn requests_serialize_like_the_api_wants_and_hide_user_data() {
        let mut req = CreateDroplet::new(
            "web-1",
            "nyc3",
            "s-1vcpu-1gb",
            ImageRef::parse("ubuntu-24-04-x64"),
        );
        req.ssh_keys = vec![SshKeyRef::Fingerprint("aa:bb".into()), SshKeyRef::Id(7)];
        req.user_data = Some("#cloud-config\nchpasswd: secret-pass".into());
        req.backups = true;
        req.backup_policy = Some(BackupPolicy::weekly());
        let v = serde_json::to_value(&req).unwrap();
        assert_eq!(v["image"], "ubuntu-24-04-x64");
        assert_eq!(v["ssh_keys"], serde_json::json!(["aa:bb", 7]));
        assert_eq!(v["backup_policy"], serde_json::json!({"plan":"weekly"}));
        assert!(
            v.get("vpc_uuid").is_none(),
            "the default VPC is chosen by leaving it out"
        );
        assert!(!format!("{req:?}").contains("secret-pass"));
        assert_eq!(ImageRef::parse("12345"), ImageRef::Id(12345));
        assert_eq!(
            DropletAction::Resize {
                size: "s-2vcpu-4gb".into(),
                disk: true
            }
            .body(),
            serde_json::json!({"type":"resize","size":"s-2vcpu-4gb","disk":true})
        );
    }

    #[test]
    fn metric_values_may_be_numbers_or_text() {
        let s: MetricSeries = serde_json::from_str(
            r#"{"metric":{"host_id":"7","mode":"idle"},"values":[[1635386880,"122901.18"],["1635387000",15]]}"#,
        )
        .unwrap();
        assert_eq!(s.labels["mode"], "idle");
        assert_eq!(s.points.len(), 2);
        assert_eq!(s.points[1].at, 1_635_387_000);
    }
}
