//! DTOs of the plans area (re-exported by `crate::dto`): plans, their prices per region and version, pending price changes, and a server's add-ons.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::dto::{MoneyDto, RateDto};

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

/// An hourly rate and its monthly cap.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UnitPriceDto {
    pub hourly: RateDto,
    pub monthly: MoneyDto,
}

/// A reseller price rule: a markup over the provider's price, or fixed.
#[derive(Debug, Clone, Serialize, Type, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PriceRuleDto {
    /// "markup" or "fixed".
    pub mode: String,
    /// Percent as a decimal string (e.g. "25" or "-10.5"), for a markup.
    pub markup_percent: Option<String>,
    /// For a fixed price.
    pub price: Option<UnitPriceDto>,
}

/// One region's row of a plan's price table for one item.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct RegionPricingDto {
    pub region: String,
    /// What the provider charges, when its catalogue says.
    pub provider_price: Option<UnitPriceDto>,
    /// The rule in force now: "region" (its own), "default" (the plan-wide
    /// rule) or "plan" (no rule: the plan's own fixed price).
    pub rule_scope: String,
    pub rule: Option<PriceRuleDto>,
    /// What a new server (or add-on) is billed now; none when it cannot be
    /// priced (see `problem`).
    pub customer_price: Option<UnitPriceDto>,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ItemPricingDto {
    /// "server", "backups" or "ipv4".
    pub item: String,
    pub label: String,
    /// Whether the provider's catalogue prices this item (a markup needs it).
    pub provider_priced: bool,
    pub regions: Vec<RegionPricingDto>,
}

/// One version of a plan's price.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PriceVersionDto {
    pub id: String,
    pub item: String,
    /// None: every region without a rule of its own.
    pub region: Option<String>,
    pub rule: PriceRuleDto,
    pub effective_from: String,
    pub created_at: String,
    pub created_by: String,
    /// "scheduled" (not in effect yet), "active" (in force in its scope) or
    /// "superseded".
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PlanPricingDto {
    pub plan_id: String,
    pub plan_name: String,
    pub provider: String,
    pub provider_type: String,
    pub currency: String,
    /// Why provider prices may be missing or old (e.g. Linode not connected).
    pub provider_note: Option<String>,
    pub items: Vec<ItemPricingDto>,
    pub versions: Vec<PriceVersionDto>,
    /// Running servers of this plan whose billed price differs from now's.
    pub pending: PendingPriceChangesDto,
}

#[derive(Debug, Clone, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PriceVersionInput {
    /// "server", "backups" or "ipv4".
    pub item: String,
    /// None or empty: every region without a rule of its own.
    pub region: Option<String>,
    /// "markup" or "fixed".
    pub mode: String,
    /// Percent, e.g. "25" or "12.5" (for a markup).
    pub markup_percent: Option<String>,
    /// Decimal major units (for a fixed price).
    pub hourly_price: Option<String>,
    pub monthly_price: Option<String>,
    /// RFC 3339; none or empty: now.
    pub effective_from: Option<String>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PendingPriceChangeDto {
    pub server_id: String,
    pub server_label: String,
    pub organization_name: String,
    pub plan_id: String,
    pub plan_name: String,
    pub item: String,
    pub billed: UnitPriceDto,
    pub current: UnitPriceDto,
    /// When the new price would start (the next hour).
    pub from: String,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PendingPriceChangesDto {
    /// Distinct servers with at least one pending change.
    pub servers: u32,
    pub changes: Vec<PendingPriceChangeDto>,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AppliedPriceChangesDto {
    pub servers: u32,
    pub changes: u32,
    /// When the new prices start (the next hour).
    pub from: String,
}

/// An add-on of a server and its billing.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ServerAddonDto {
    /// "backups" or "ipv4".
    pub item: String,
    pub label: String,
    pub enabled: bool,
    /// When billing started (the hour), if enabled.
    pub billed_from: Option<String>,
    /// The billed price when enabled, else what enabling would cost now.
    pub price: Option<UnitPriceDto>,
    /// Why it cannot be enabled (no price for it on the plan, say).
    pub problem: Option<String>,
    /// Whether switching it also acts at the provider (backups) or only
    /// changes billing (extra IPv4).
    pub at_provider: bool,
    pub note: String,
}
