//! Plans: what the reseller sells. A plan maps to one provider instance type,
//! is offered in one or more regions, and has a monthly price and an hourly
//! rate (the hourly rate is billed for every started hour, the monthly price is
//! the cap in a calendar month).
//!
//! Whether the type and regions exist is checked by the façade against the
//! provider's catalogue; this module checks everything that needs no catalogue.

use serde::{Deserialize, Serialize};

use crate::ids::PlanId;
use crate::money::{Currency, Money, Rate};
use crate::validate::{required_text, ValidationErrors};
use crate::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    Sandbox,
    Linode,
    /// Stored and sent as `digitalocean`, like `as_str`.
    #[serde(rename = "digitalocean")]
    DigitalOcean,
}

impl ProviderKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ProviderKind::Sandbox => "sandbox",
            ProviderKind::Linode => "linode",
            ProviderKind::DigitalOcean => "digitalocean",
        }
    }

    pub fn parse(s: &str) -> Option<ProviderKind> {
        match s {
            "sandbox" => Some(ProviderKind::Sandbox),
            "linode" => Some(ProviderKind::Linode),
            "digitalocean" => Some(ProviderKind::DigitalOcean),
            _ => None,
        }
    }

    pub fn display_name(&self) -> &'static str {
        match self {
            ProviderKind::Sandbox => "Sandbox",
            ProviderKind::Linode => "Linode",
            ProviderKind::DigitalOcean => "DigitalOcean",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub id: PlanId,
    pub name: String,
    pub provider: ProviderKind,
    /// The provider's instance type, e.g. `g6-standard-1`.
    pub provider_type: String,
    pub regions: Vec<String>,
    pub monthly: Money,
    pub hourly: Rate,
    pub active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The most a plan may cost per month, in major units: anything above is a
/// typo (an extra zero), not a price.
pub const MAX_MONTHLY_MAJOR: i64 = 100_000;

/// What a user typed to define or edit a plan. Prices are decimal strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPlan {
    pub name: String,
    pub provider: String,
    pub provider_type: String,
    pub regions: Vec<String>,
    pub monthly_price: String,
    pub hourly_price: String,
}

/// A plan input that passed every catalogue-free check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPlan {
    pub name: String,
    pub provider: ProviderKind,
    pub provider_type: String,
    pub regions: Vec<String>,
    pub monthly: Money,
    pub hourly: Rate,
}

impl NewPlan {
    pub fn validate(&self, currency: Currency) -> Result<ValidPlan, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = required_text(&mut e, "name", "Plan name", &self.name, 80);
        let provider = ProviderKind::parse(self.provider.trim());
        if provider.is_none() {
            e.add(
                "provider",
                format!(
                    "{:?} is not a provider: choose Sandbox, Linode or DigitalOcean",
                    self.provider
                ),
            );
        }
        let provider_type = self.provider_type.trim().to_string();
        if provider_type.is_empty() {
            e.add(
                "provider_type",
                "Choose the provider's instance type this plan sells",
            );
        }
        let mut regions: Vec<String> = self
            .regions
            .iter()
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .collect();
        regions.sort();
        regions.dedup();
        if regions.is_empty() {
            e.add("regions", "Choose at least one region");
        }
        let monthly = match Money::parse(&self.monthly_price, currency) {
            Ok(m) if m.minor < 0 => {
                e.add("monthly_price", "Monthly price cannot be negative");
                None
            }
            Ok(m) if m.minor == 0 => {
                e.add("monthly_price", "Monthly price must be more than zero");
                None
            }
            Ok(m) if m.minor > MAX_MONTHLY_MAJOR * 10i64.pow(currency.exponent()) => {
                e.add("monthly_price", format!("Monthly price is above {MAX_MONTHLY_MAJOR} {currency}: check for an extra zero"));
                None
            }
            Ok(m) => Some(m),
            Err(err) => {
                e.add("monthly_price", format!("Monthly price: {err}"));
                None
            }
        };
        let hourly = match Rate::parse(&self.hourly_price, currency) {
            Ok(r) if r.micros <= 0 => {
                e.add("hourly_price", "Hourly price must be more than zero");
                None
            }
            Ok(r) => Some(r),
            Err(err) => {
                e.add("hourly_price", format!("Hourly price: {err}"));
                None
            }
        };
        if let (Some(m), Some(h)) = (monthly, hourly) {
            // An hourly rate above the monthly cap would make the cap apply in
            // the first hour: certainly a mistake.
            if let Ok(one_hour) = h.times_hours_rounded(1) {
                if one_hour.minor > m.minor {
                    e.add(
                        "hourly_price",
                        "Hourly price is higher than the monthly price: check both figures",
                    );
                }
            }
        }
        match (provider, monthly, hourly) {
            (Some(provider), Some(monthly), Some(hourly)) if e.is_empty() => Ok(ValidPlan {
                name,
                provider,
                provider_type,
                regions,
                monthly,
                hourly,
            }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> NewPlan {
        NewPlan {
            name: "Starter".into(),
            provider: "sandbox".into(),
            provider_type: "sb-small".into(),
            regions: vec!["eu-west".into(), " eu-west ".into(), "us-east".into()],
            monthly_price: "7.00".into(),
            hourly_price: "0.0105".into(),
        }
    }

    #[test]
    fn accepts_a_sane_plan() {
        let p = input().validate(Currency::USD).unwrap();
        assert_eq!(p.regions, ["eu-west", "us-east"]);
        assert_eq!(p.monthly.minor, 700);
        assert_eq!(p.hourly.micros, 10_500);
    }

    #[test]
    fn refuses_negative_absurd_and_malformed_prices() {
        for (monthly, hourly, field) in [
            ("-5", "0.01", "monthly_price"),
            ("1000000", "0.01", "monthly_price"),
            ("abc", "0.01", "monthly_price"),
            ("5", "-0.01", "hourly_price"),
            ("5", "0.0000001", "hourly_price"),
            ("5", "10", "hourly_price"),
        ] {
            let mut p = input();
            p.monthly_price = monthly.into();
            p.hourly_price = hourly.into();
            let e = p.validate(Currency::USD).unwrap_err();
            assert!(
                e.0.iter().any(|x| x.field == field),
                "{monthly} {hourly}: {e:?}"
            );
        }
    }

    #[test]
    fn refuses_empty_name_and_regions() {
        let mut p = input();
        p.name = "  ".into();
        p.regions = vec![];
        p.provider = "aws".into();
        let e = p.validate(Currency::USD).unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(fields, ["name", "provider", "regions"]);
    }
}
