//! Typed requests and responses of the Linode endpoints ContainerStacks uses.
//!
//! Decoding is lenient on purpose: unknown fields are ignored and most fields are optional
//! or defaulted, because Linode adds fields often and sometimes omits documented ones.
//! Prices are decoded into integer micro-units ([`Price`]), never floats. Linode's closed
//! vocabularies (instance statuses, firewall actions and protocols, scope levels) are open
//! enums: a value this version does not know is kept in `Other` and shown as Linode sent
//! it, so one new value never makes a whole answer undecodable.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::time;

/// A string enum whose values come from Linode: each known value has a variant, and any
/// other value is kept verbatim in `Other`, so a value Linode adds later is shown as it is
/// instead of making the whole answer undecodable. Written back, `Other` is sent unchanged.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        ///
        /// Unknown values are kept verbatim in `Other`.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
            /// A value this version does not know, exactly as Linode sent it.
            Other(String),
        }

        impl $name {
            /// The value as Linode spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Other(s) => s,
                }
            }

            /// The variant spelled `s` (exactly, as Linode sends it), else `Other(s)`.
            pub fn from_wire(s: &str) -> Self {
                match s {
                    $($text => $name::$variant,)+
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok($name::from_wire(&wire_text(d)?))
            }
        }
    };
}

/// A string, or a number taken as its decimal text (`50` and `"50"` alike).
fn wire_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct Text;
    impl serde::de::Visitor<'_> for Text {
        type Value = String;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string or a number")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_owned())
        }
        fn visit_string<E: serde::de::Error>(self, v: String) -> Result<String, E> {
            Ok(v)
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
    }
    d.deserialize_any(Text)
}

// ---------------------------------------------------------------- pagination

/// One page of a paginated list: `{data, page, pages, results}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    #[serde(default = "one")]
    pub page: u32,
    #[serde(default = "one")]
    pub pages: u32,
    #[serde(default)]
    pub results: u64,
}

fn one() -> u32 {
    1
}

// ---------------------------------------------------------------- money

/// A price in millionths of the currency unit (USD at Linode): `0.0075` is `7_500`.
///
/// Linode sends prices as JSON numbers; they are converted from their decimal text, so no
/// binary floating point is ever involved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Micros(pub i64);

impl Micros {
    /// Parses a decimal such as `"0.0075"`, `"5"`, `"-1.5"`; more than six decimals is refused.
    pub fn parse_decimal(s: &str) -> Option<Micros> {
        let s = s.trim();
        let (neg, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() > 6
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let int: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let mut frac_micros: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse().ok()?
        };
        for _ in frac.len()..6 {
            frac_micros *= 10;
        }
        let v = int.checked_mul(1_000_000)?.checked_add(frac_micros)?;
        Some(Micros(if neg { -v } else { v }))
    }
}

impl<'de> Deserialize<'de> for Micros {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let text = match &v {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => return Ok(Micros(0)),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "price is not a number: {other}"
                )))
            }
        };
        Micros::parse_decimal(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "price `{text}` is not a decimal with at most 6 places"
            ))
        })
    }
}

/// Hourly and monthly price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub struct Price {
    #[serde(default)]
    pub hourly: Micros,
    #[serde(default)]
    pub monthly: Micros,
}

/// A price that applies in one region instead of the base price.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RegionPrice {
    pub id: String,
    #[serde(default)]
    pub hourly: Micros,
    #[serde(default)]
    pub monthly: Micros,
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

// ---------------------------------------------------------------- profile

/// `GET /profile`, plus the token's scopes from the `X-OAuth-Scopes` header.
#[derive(Debug, Clone, Deserialize)]
pub struct Profile {
    #[serde(default)]
    pub uid: Option<u64>,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub restricted: bool,
    #[serde(default)]
    pub timezone: Option<String>,
    /// Filled from the `X-OAuth-Scopes` response header, not from the body.
    #[serde(skip)]
    pub scopes: TokenScopes,
}

/// One Personal Access Token of the user (`GET /profile/tokens`). Linode never returns the
/// secret again: `token` holds only its first 16 characters, which is how the token in use
/// is recognised ([`PersonalAccessToken::is_prefix_of`]).
#[derive(Debug, Clone, Deserialize)]
pub struct PersonalAccessToken {
    pub id: u64,
    #[serde(default)]
    pub label: Option<String>,
    /// The scopes it was created with, space-separated (`*` for all).
    #[serde(default)]
    pub scopes: Option<String>,
    /// The token's first 16 characters.
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default, deserialize_with = "time::opt")]
    pub created: Option<DateTime<Utc>>,
    /// `None`: it never expires.
    #[serde(default, deserialize_with = "time::opt")]
    pub expiry: Option<DateTime<Utc>>,
}

impl PersonalAccessToken {
    /// True when this listed token is `secret` (its listed prefix starts `secret`).
    pub fn is_prefix_of(&self, secret: &str) -> bool {
        match self.token.as_deref() {
            Some(prefix) if prefix.len() >= 8 => secret.starts_with(prefix),
            _ => false,
        }
    }
}

open_enum! {
    /// Access level of a scope (`linodes:read_only`).
    Access {
        ReadOnly = "read_only",
        ReadWrite = "read_write",
    }
}

impl Access {
    /// Whether a scope at this level grants `wanted`. A level this version does not know
    /// grants nothing it relies on; it is still kept and shown as Linode sent it.
    pub fn grants(&self, wanted: &Access) -> bool {
        match (self, wanted) {
            (Access::ReadWrite, Access::ReadWrite | Access::ReadOnly) => true,
            (Access::ReadOnly, Access::ReadOnly) => true,
            (Access::Other(have), Access::Other(want)) => have == want,
            _ => false,
        }
    }

    /// The stronger of two levels for the same area (a known level over an unknown one).
    fn stronger(self, other: Access) -> Access {
        if self.grants(&other) || matches!(other, Access::Other(_)) {
            self
        } else {
            other
        }
    }
}

/// The scopes of a token, as Linode reports them in `X-OAuth-Scopes`
/// (`*` for a full-access token, otherwise e.g. `linodes:read_write events:read_only`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenScopes {
    pub all: bool,
    pub scopes: BTreeMap<String, Access>,
}

impl TokenScopes {
    /// Parses the header value; scopes are separated by spaces or commas. An area without
    /// a level counts as `read_write`; an unknown level is kept as sent.
    pub fn parse(header: &str) -> Self {
        let mut out = TokenScopes::default();
        for item in header.split([' ', ',']).filter(|s| !s.is_empty()) {
            if item == "*" {
                out.all = true;
                continue;
            }
            let (name, level) = item.split_once(':').unwrap_or((item, "read_write"));
            let level = Access::from_wire(level);
            let merged = match out.scopes.remove(name) {
                Some(before) => before.stronger(level),
                None => level,
            };
            out.scopes.insert(name.to_owned(), merged);
        }
        out
    }

    /// Whether the token grants `access` on `area` (e.g. `("linodes", ReadWrite)`).
    pub fn allows(&self, area: &str, access: Access) -> bool {
        self.all
            || self
                .scopes
                .get(area)
                .is_some_and(|have| have.grants(&access))
    }

    /// The scopes (`area:read_write`) in `needed` that the token lacks, to tell the user what to add.
    pub fn missing(&self, needed: &[(&str, Access)]) -> Vec<String> {
        needed
            .iter()
            .filter(|(area, access)| !self.allows(area, access.clone()))
            .map(|(area, access)| format!("{area}:{access}"))
            .collect()
    }

    /// Each scope as `area:level`, levels as Linode sent them (`["*"]` for full access).
    pub fn listed(&self) -> Vec<String> {
        if self.all {
            return vec!["*".to_owned()];
        }
        self.scopes
            .iter()
            .map(|(area, access)| format!("{area}:{access}"))
            .collect()
    }
}

/// Scopes a reseller's token needs for everything ContainerStacks does.
pub const RESELLER_SCOPES: &[(&str, Access)] = &[
    ("linodes", Access::ReadWrite),
    ("firewall", Access::ReadWrite),
    ("ips", Access::ReadWrite),
    ("events", Access::ReadOnly),
    ("images", Access::ReadOnly),
    ("stackscripts", Access::ReadOnly),
    ("account", Access::ReadOnly),
];

// ---------------------------------------------------------------- catalogue

#[derive(Debug, Clone, Deserialize)]
pub struct Region {
    pub id: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub country: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub capabilities: Vec<String>,
    #[serde(default)]
    pub status: String,
}

/// A Linode plan (`g6-standard-1` …) with its base and region-specific prices.
#[derive(Debug, Clone, Deserialize)]
pub struct LinodeType {
    pub id: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub class: String,
    #[serde(default)]
    pub disk: u64,
    #[serde(default)]
    pub memory: u64,
    #[serde(default)]
    pub vcpus: u32,
    #[serde(default)]
    pub gpus: u32,
    #[serde(default)]
    pub transfer: u64,
    #[serde(default)]
    pub network_out: u64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub price: Price,
    #[serde(default, deserialize_with = "null_as_default")]
    pub region_prices: Vec<RegionPrice>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub addons: TypeAddons,
    #[serde(default)]
    pub successor: Option<String>,
}

impl LinodeType {
    /// The price in `region`: the region-specific price when Linode lists one, else the base price.
    pub fn price_in(&self, region: &str) -> Price {
        self.region_prices
            .iter()
            .find(|p| p.id == region)
            .map(|p| Price {
                hourly: p.hourly,
                monthly: p.monthly,
            })
            .unwrap_or(self.price)
    }

    /// The backup add-on price in `region`, if backups are offered.
    pub fn backup_price_in(&self, region: &str) -> Option<Price> {
        let b = self.addons.backups.as_ref()?;
        Some(
            b.region_prices
                .iter()
                .find(|p| p.id == region)
                .map(|p| Price {
                    hourly: p.hourly,
                    monthly: p.monthly,
                })
                .unwrap_or(b.price),
        )
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TypeAddons {
    #[serde(default)]
    pub backups: Option<AddonPrice>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AddonPrice {
    #[serde(default, deserialize_with = "null_as_default")]
    pub price: Price,
    #[serde(default, deserialize_with = "null_as_default")]
    pub region_prices: Vec<RegionPrice>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Image {
    pub id: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub vendor: Option<String>,
    #[serde(default)]
    pub is_public: bool,
    #[serde(default)]
    pub deprecated: bool,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub status: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub capabilities: Vec<String>,
    #[serde(default, deserialize_with = "time::opt")]
    pub created: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time::opt")]
    pub eol: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StackScript {
    pub id: u64,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub images: Vec<String>,
    #[serde(default)]
    pub is_public: bool,
    #[serde(default)]
    pub mine: bool,
    #[serde(default)]
    pub script: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub user_defined_fields: Vec<UserDefinedField>,
    #[serde(default)]
    pub deployments_total: u64,
    #[serde(default, deserialize_with = "time::opt")]
    pub created: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time::opt")]
    pub updated: Option<DateTime<Utc>>,
}

/// A `<UDF>` input a StackScript asks for; its `name` is the key in `stackscript_data`.
#[derive(Debug, Clone, Deserialize)]
pub struct UserDefinedField {
    pub name: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub example: Option<String>,
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default, rename = "oneOf")]
    pub one_of: Option<String>,
    #[serde(default, rename = "manyOf")]
    pub many_of: Option<String>,
}

// ---------------------------------------------------------------- instances

open_enum! {
    /// Instance status as Linode reports it.
    InstanceStatus {
        Running = "running",
        Offline = "offline",
        Booting = "booting",
        Rebooting = "rebooting",
        ShuttingDown = "shutting_down",
        Provisioning = "provisioning",
        Deleting = "deleting",
        Migrating = "migrating",
        Rebuilding = "rebuilding",
        Cloning = "cloning",
        Restoring = "restoring",
        Resizing = "resizing",
        Stopped = "stopped",
        Busy = "busy",
        BillingSuspension = "billing_suspension",
    }
}

fn unknown_status() -> InstanceStatus {
    InstanceStatus::Other("unknown".to_owned())
}

impl InstanceStatus {
    /// Whether the instance is settled (not in the middle of an operation).
    pub fn is_settled(&self) -> bool {
        matches!(
            self,
            InstanceStatus::Running | InstanceStatus::Offline | InstanceStatus::Stopped
        )
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct InstanceSpecs {
    #[serde(default)]
    pub disk: u64,
    #[serde(default)]
    pub memory: u64,
    #[serde(default)]
    pub vcpus: u32,
    #[serde(default)]
    pub gpus: u32,
    #[serde(default)]
    pub transfer: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct InstanceBackups {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub available: bool,
    #[serde(default, deserialize_with = "time::opt")]
    pub last_successful: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Instance {
    pub id: u64,
    #[serde(default)]
    pub label: String,
    /// Missing in some answers (e.g. an update echo); then `Other("unknown")`.
    #[serde(default = "unknown_status")]
    pub status: InstanceStatus,
    #[serde(default)]
    pub region: String,
    #[serde(default, rename = "type")]
    pub type_id: Option<String>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub ipv4: Vec<String>,
    #[serde(default)]
    pub ipv6: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub specs: InstanceSpecs,
    #[serde(default, deserialize_with = "null_as_default")]
    pub backups: InstanceBackups,
    #[serde(default)]
    pub has_user_data: bool,
    #[serde(default, deserialize_with = "time::opt")]
    pub created: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time::opt")]
    pub updated: Option<DateTime<Utc>>,
}

/// How the root account is made reachable on a new or rebuilt instance.
#[derive(Clone, Default, Serialize)]
pub struct InstanceDeploy {
    /// Image to deploy (e.g. `linode/debian12`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Root password; redacted in `Debug`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_pass: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authorized_keys: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stackscript_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stackscript_data: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<InstanceMetadata>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booted: Option<bool>,
}

impl std::fmt::Debug for InstanceDeploy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceDeploy")
            .field("image", &self.image)
            .field("root_pass", &self.root_pass.as_ref().map(|_| "<redacted>"))
            .field("authorized_keys", &self.authorized_keys.len())
            .field("stackscript_id", &self.stackscript_id)
            .field(
                "stackscript_data",
                &self
                    .stackscript_data
                    .as_ref()
                    .map(|d| d.keys().cloned().collect::<Vec<_>>()),
            )
            .field("metadata", &self.metadata.is_some())
            .finish()
    }
}

/// cloud-init user data, sent base64-encoded as Linode requires.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceMetadata {
    pub user_data: String,
}

impl InstanceMetadata {
    /// Encodes a cloud-config document (plain text) for `metadata.user_data`.
    pub fn from_cloud_config(text: &str) -> Self {
        use base64::Engine as _;
        InstanceMetadata {
            user_data: base64::engine::general_purpose::STANDARD.encode(text.as_bytes()),
        }
    }
}

/// `POST /linode/instances`.
#[derive(Debug, Clone, Serialize)]
pub struct CreateInstance {
    pub region: String,
    #[serde(rename = "type")]
    pub type_id: String,
    /// Must be unique on the account: the client uses it to find an instance whose create
    /// answer was lost, so a retry never creates two.
    pub label: String,
    #[serde(flatten)]
    pub deploy: InstanceDeploy,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firewall_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backups_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_ip: Option<bool>,
}

/// `PUT /linode/instances/{id}`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UpdateInstance {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

/// `POST /linode/instances/{id}/rebuild` (image and root password are required by Linode).
#[derive(Debug, Clone, Serialize)]
pub struct RebuildInstance {
    #[serde(flatten)]
    pub deploy: InstanceDeploy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MigrationType {
    Warm,
    Cold,
}

// ---------------------------------------------------------------- backups

#[derive(Debug, Clone, Deserialize)]
pub struct Backup {
    pub id: u64,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub status: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub available: bool,
    #[serde(default, deserialize_with = "time::opt")]
    pub created: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time::opt")]
    pub finished: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SnapshotSlots {
    #[serde(default)]
    pub current: Option<Backup>,
    #[serde(default)]
    pub in_progress: Option<Backup>,
}

/// `GET /linode/instances/{id}/backups`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Backups {
    #[serde(default, deserialize_with = "null_as_default")]
    pub automatic: Vec<Backup>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub snapshot: SnapshotSlots,
}

// ---------------------------------------------------------------- IPs

#[derive(Debug, Clone, Deserialize)]
pub struct IpAddress {
    pub address: String,
    #[serde(default)]
    pub gateway: Option<String>,
    #[serde(default)]
    pub subnet_mask: Option<String>,
    #[serde(default)]
    pub prefix: Option<u32>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub public: bool,
    #[serde(default)]
    pub rdns: Option<String>,
    #[serde(default)]
    pub linode_id: Option<u64>,
    #[serde(default)]
    pub region: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Ipv4Addresses {
    #[serde(default, deserialize_with = "null_as_default")]
    pub public: Vec<IpAddress>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub private: Vec<IpAddress>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub shared: Vec<IpAddress>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub reserved: Vec<IpAddress>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Ipv6Addresses {
    #[serde(default)]
    pub slaac: Option<IpAddress>,
    #[serde(default)]
    pub link_local: Option<IpAddress>,
}

/// `GET /linode/instances/{id}/ips`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InstanceIps {
    #[serde(default, deserialize_with = "null_as_default")]
    pub ipv4: Ipv4Addresses,
    #[serde(default, deserialize_with = "null_as_default")]
    pub ipv6: Ipv6Addresses,
}

// ---------------------------------------------------------------- firewalls

open_enum! {
    /// What a rule or a policy does with matching traffic.
    FirewallAction {
        Accept = "ACCEPT",
        Drop = "DROP",
    }
}

open_enum! {
    /// The traffic a rule matches. The spec lists `TCP`, `UDP`, `ICMP` and `IPENCAP`; Linode
    /// also accepts and sends `ALL` and IP protocol numbers (`"50"`, `"6"` …), kept in `Other`.
    FirewallProtocol {
        Tcp = "TCP",
        Udp = "UDP",
        Icmp = "ICMP",
        Ipencap = "IPENCAP",
        All = "ALL",
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleAddresses {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv4: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallRule {
    pub action: FirewallAction,
    pub protocol: FirewallProtocol,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<String>,
    #[serde(default)]
    pub addresses: RuleAddresses,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A firewall's rule set. Linode requires both policies when rules are written; some
/// answers (a Linode's firewall list) omit them, hence `Option`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallRules {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound_policy: Option<FirewallAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound_policy: Option<FirewallAction>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub inbound: Vec<FirewallRule>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub outbound: Vec<FirewallRule>,
    /// Read-only, ignored by Linode when sent.
    #[serde(default, skip_serializing)]
    pub version: Option<u64>,
    #[serde(default, skip_serializing)]
    pub fingerprint: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Firewall {
    pub id: u64,
    pub label: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub rules: Option<FirewallRules>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
    #[serde(default, deserialize_with = "time::opt")]
    pub created: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time::opt")]
    pub updated: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CreateFirewall {
    pub label: String,
    pub rules: FirewallRules,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub devices: Option<FirewallDevicesInput>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct FirewallDevicesInput {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub linodes: Vec<u64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct UpdateFirewall {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `enabled` or `disabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DeviceEntity {
    pub id: u64,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FirewallDevice {
    pub id: u64,
    pub entity: DeviceEntity,
    #[serde(default, deserialize_with = "time::opt")]
    pub created: Option<DateTime<Utc>>,
}

// ---------------------------------------------------------------- stats, transfer

/// A `[epoch_ms, value]` sample. Values stay as Linode's decimal text turned into
/// thousandths (e.g. 0.42 % CPU is 420), keeping the crate free of float arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub at_ms: i64,
    pub value_milli: i64,
}

impl<'de> Deserialize<'de> for Sample {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw: Vec<serde_json::Number> = Vec::deserialize(d)?;
        if raw.len() != 2 {
            return Err(serde::de::Error::custom(
                "a stats sample must be [timestamp, value]",
            ));
        }
        let at_ms = raw[0]
            .as_i64()
            .or_else(|| raw[0].as_u64().map(|v| v as i64))
            .or_else(|| {
                raw[0]
                    .to_string()
                    .split('.')
                    .next()
                    .and_then(|s| s.parse().ok())
            });
        let value = number_to_milli(&raw[1]);
        match (at_ms, value) {
            (Some(at_ms), Some(value_milli)) => Ok(Sample { at_ms, value_milli }),
            _ => Err(serde::de::Error::custom(format!(
                "bad stats sample [{}, {}]",
                raw[0], raw[1]
            ))),
        }
    }
}

fn number_to_milli(n: &serde_json::Number) -> Option<i64> {
    let text = n.to_string();
    if text.contains(['e', 'E']) {
        // Tiny or huge values in exponent form: Linode's stats never need that precision.
        return Some(0);
    }
    let (neg, t) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.as_str()),
    };
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let mut frac3: String = frac.chars().take(3).collect();
    while frac3.len() < 3 {
        frac3.push('0');
    }
    let v = int
        .parse::<i64>()
        .ok()?
        .checked_mul(1000)?
        .checked_add(frac3.parse::<i64>().ok()?)?;
    Some(if neg { -v } else { v })
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct IoStats {
    #[serde(default, deserialize_with = "null_as_default")]
    pub io: Vec<Sample>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub swap: Vec<Sample>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NetStats {
    #[serde(default, rename = "in", deserialize_with = "null_as_default")]
    pub r#in: Vec<Sample>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub out: Vec<Sample>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub private_in: Vec<Sample>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub private_out: Vec<Sample>,
}

/// `GET /linode/instances/{id}/stats`: the last 24 h in 5-minute samples.
/// CPU is percent; network is bits per second; disk I/O is blocks per second.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InstanceStats {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub cpu: Vec<Sample>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub io: IoStats,
    #[serde(default, deserialize_with = "null_as_default")]
    pub netv4: NetStats,
    #[serde(default, deserialize_with = "null_as_default")]
    pub netv6: NetStats,
}

/// Linode answers `/stats` either bare (as the spec documents) or wrapped in
/// `{"title", "data": …}` (as recorded answers show); both are accepted.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum StatsEnvelope {
    Wrapped {
        #[serde(default)]
        title: Option<String>,
        data: InstanceStats,
    },
    Bare(InstanceStats),
}

impl StatsEnvelope {
    pub fn into_stats(self) -> InstanceStats {
        match self {
            StatsEnvelope::Wrapped { title, mut data } => {
                if data.title.is_none() {
                    data.title = title;
                }
                data
            }
            StatsEnvelope::Bare(s) => s,
        }
    }
}

/// `GET /linode/instances/{id}/transfer` (this month, in bytes).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InstanceTransfer {
    #[serde(default)]
    pub used: u64,
    #[serde(default)]
    pub quota: u64,
    #[serde(default)]
    pub billable: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RegionTransfer {
    pub id: String,
    #[serde(default)]
    pub used: u64,
    #[serde(default)]
    pub quota: u64,
    #[serde(default)]
    pub billable: u64,
}

/// `GET /account/transfer` (this month, in GB).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AccountTransfer {
    #[serde(default)]
    pub used: u64,
    #[serde(default)]
    pub quota: u64,
    #[serde(default)]
    pub billable: u64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub region_transfers: Vec<RegionTransfer>,
}

// ---------------------------------------------------------------- events

/// Entity ids are integers for most entities and strings for some (images, for example).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum EntityId {
    Int(u64),
    Text(String),
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventEntity {
    #[serde(default)]
    pub id: Option<EntityId>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    pub id: u64,
    pub action: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub entity: Option<EventEntity>,
    #[serde(default)]
    pub secondary_entity: Option<EventEntity>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub percent_complete: Option<u32>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub seen: bool,
    #[serde(default)]
    pub read: bool,
    #[serde(default, deserialize_with = "time::opt")]
    pub created: Option<DateTime<Utc>>,
}

impl Event {
    /// The instance id, when the event is about a Linode.
    pub fn linode_id(&self) -> Option<u64> {
        let e = self.entity.as_ref()?;
        match (e.kind.as_deref(), &e.id) {
            (Some("linode"), Some(EntityId::Int(id))) => Some(*id),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_are_exact() {
        assert_eq!(Micros::parse_decimal("0.0075"), Some(Micros(7_500)));
        assert_eq!(Micros::parse_decimal("5"), Some(Micros(5_000_000)));
        assert_eq!(Micros::parse_decimal("0.036"), Some(Micros(36_000)));
        assert_eq!(Micros::parse_decimal("-1.5"), Some(Micros(-1_500_000)));
        assert_eq!(Micros::parse_decimal("0.0000001"), None);
        let p: Price = serde_json::from_str(r#"{"hourly":0.0075,"monthly":5}"#).unwrap();
        assert_eq!(
            p,
            Price {
                hourly: Micros(7_500),
                monthly: Micros(5_000_000)
            }
        );
    }

    #[test]
    fn scopes_parse_and_check() {
        let s = TokenScopes::parse("linodes:read_write events:read_only");
        assert!(s.allows("linodes", Access::ReadOnly));
        assert!(!s.allows("events", Access::ReadWrite));
        assert_eq!(
            s.missing(&[("firewall", Access::ReadWrite)]),
            vec!["firewall:read_write"]
        );
        assert!(TokenScopes::parse("*").allows("anything", Access::ReadWrite));
        // A level this version does not know is shown as sent and grants nothing assumed.
        let s = TokenScopes::parse(
            "ips:read_only,ips:owner vpc:owner linodes:read_only linodes:read_write",
        );
        assert_eq!(
            s.listed(),
            ["ips:read_only", "linodes:read_write", "vpc:owner"]
        );
        assert!(!s.allows("vpc", Access::ReadOnly));
    }

    #[test]
    fn deploy_debug_hides_root_pass() {
        let d = InstanceDeploy {
            root_pass: Some("s3cr3t-Pass!".into()),
            ..Default::default()
        };
        assert!(!format!("{d:?}").contains("s3cr3t"));
    }

    #[test]
    fn values_linode_adds_later_are_kept_as_sent() {
        // A rule list as Linode answers it, with protocols beyond the spec's four.
        let rules: FirewallRules = serde_json::from_str(
            r#"{"inbound": [
                {"protocol": "ALL", "addresses": {"ipv4": ["0.0.0.0/0"]}, "action": "ACCEPT"},
                {"protocol": "50", "addresses": {"ipv4": ["0.0.0.0/0"]}, "action": "ACCEPT"},
                {"protocol": 47, "addresses": {}, "action": "REJECT"}],
              "inbound_policy": "DROP", "outbound": null, "outbound_policy": "ACCEPT"}"#,
        )
        .unwrap();
        let shown: Vec<String> = rules
            .inbound
            .iter()
            .map(|r| format!("{} {}", r.action, r.protocol))
            .collect();
        assert_eq!(shown, ["ACCEPT ALL", "ACCEPT 50", "REJECT 47"]);
        assert_eq!(rules.inbound[0].protocol, FirewallProtocol::All);
        assert_eq!(
            rules.inbound[1].protocol,
            FirewallProtocol::Other("50".into())
        );
        // Written back, unknown values are sent exactly as they came.
        let back = serde_json::to_value(&rules.inbound[2]).unwrap();
        assert_eq!(back["protocol"], "47");
        assert_eq!(back["action"], "REJECT");

        let i: InstanceStatus = serde_json::from_str(r#""hibernating""#).unwrap();
        assert_eq!(i.as_str(), "hibernating");
        assert_eq!(
            serde_json::from_str::<InstanceStatus>(r#""running""#).unwrap(),
            InstanceStatus::Running
        );
    }

    #[test]
    fn samples_are_milli() {
        let s: Sample = serde_json::from_str("[1521483600000, 0.42]").unwrap();
        assert_eq!(
            s,
            Sample {
                at_ms: 1521483600000,
                value_milli: 420
            }
        );
    }
}
