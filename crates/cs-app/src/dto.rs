//! Command DTOs: the wire types between the façade and its shells (the
//! desktop UI through Tauri commands, the daemon's CLI). They are built from
//! domain values at the boundary and never stored. TypeScript bindings are
//! generated from them (`ui/src/bindings.ts`), so renaming a field here is a
//! change to the UI's contract.
//!
//! Money crosses as decimal strings with the minor-unit integer beside it, so
//! no side ever holds money in a float.

use serde::{Deserialize, Serialize};
use specta::Type;

#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MoneyDto {
    /// Integer minor units, as a string (JavaScript numbers are floats).
    pub minor: String,
    pub currency: String,
    /// Plain decimal in major units, e.g. "12.50".
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RateDto {
    /// Integer micro-units of the major unit, as a string.
    pub micros: String,
    pub currency: String,
    /// Plain decimal in major units with the precision it needs, e.g. "0.0075".
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub database_path: String,
    pub log_dir: String,
    pub currency: String,
    pub providers: Vec<ProviderInfo>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ProviderInfo {
    pub kind: String,
    pub name: String,
    pub connected: bool,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct StatusCount {
    pub status: String,
    pub count: u32,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    pub organizations: u32,
    pub plans: u32,
    pub live_servers: u32,
    pub servers_by_status: Vec<StatusCount>,
    /// What the live servers bring in per month at their plans' prices.
    pub monthly_revenue: MoneyDto,
    pub recent_activity: Vec<ActivityDto>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationDto {
    pub id: String,
    pub name: String,
    pub country: String,
    pub tax_id: Option<String>,
    pub contact_name: String,
    pub contact_email: String,
    pub live_servers: u32,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationDetail {
    pub organization: OrganizationDto,
    pub servers: Vec<ServerDto>,
    pub activity: Vec<ActivityDto>,
}

#[derive(Debug, Clone, Default, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationInput {
    pub name: String,
    pub contact_name: String,
    pub contact_email: String,
    pub country: String,
    pub tax_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct RegionPriceDto {
    pub region: String,
    pub monthly: MoneyDto,
    pub hourly: RateDto,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PlanDto {
    pub id: String,
    pub name: String,
    pub provider: String,
    pub provider_type: String,
    pub provider_type_label: Option<String>,
    pub regions: Vec<String>,
    pub monthly: MoneyDto,
    pub hourly: RateDto,
    /// The provider's own price for the type in each of the plan's regions,
    /// when the catalogue knows it.
    pub provider_prices: Vec<RegionPriceDto>,
    pub active: bool,
    pub live_servers: u32,
    pub created_at: String,
}

#[derive(Debug, Clone, Default, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PlanInput {
    pub name: String,
    pub provider: String,
    pub provider_type: String,
    pub regions: Vec<String>,
    /// Decimal in major units, e.g. "12.00".
    pub monthly_price: String,
    /// Decimal in major units with up to six decimals, e.g. "0.018".
    pub hourly_price: String,
}

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
pub struct CatalogDto {
    pub provider: String,
    pub regions: Vec<RegionDto>,
    pub types: Vec<InstanceTypeDto>,
    pub images: Vec<ImageDto>,
}

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

impl std::fmt::Debug for ServerInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerInput")
            .field("organization_id", &self.organization_id)
            .field("plan_id", &self.plan_id)
            .field("label", &self.label)
            .field("region", &self.region)
            .field("image", &self.image)
            .field("root_password", &self.root_password.as_ref().map(|_| "<redacted>"))
            .field("ssh_key", &self.ssh_key.is_some())
            .finish()
    }
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
    pub transfer_used_gb: String,
    pub transfer_quota_gb: u32,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ServerDetail {
    pub server: ServerDto,
    pub activity: Vec<ActivityDto>,
}

#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ActivityDto {
    pub seq: String,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject_kind: String,
    pub subject_id: Option<String>,
    pub organization_id: Option<String>,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SettingsDto {
    pub currency: String,
    /// Whether the currency can still be changed (no plan exists yet).
    pub currency_locked: bool,
    pub reseller_name: String,
}

#[derive(Debug, Clone, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SettingsInput {
    pub currency: String,
    pub reseller_name: String,
}

/// The error every command returns: a code the UI branches on, a message for
/// people, and per-field messages for forms.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDto {
    /// One of `validation`, `not_found`, `conflict`, `provider`, `unavailable`, `internal`.
    pub code: String,
    pub message: String,
    pub fields: Vec<FieldErrorDto>,
}

#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FieldErrorDto {
    pub field: String,
    pub message: String,
}
