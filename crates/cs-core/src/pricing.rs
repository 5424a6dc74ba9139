//! Reseller prices: a markup over the provider's price, or a fixed price.
//!
//! A provider publishes an hourly rate and a monthly price per instance type
//! and region (and for add-ons such as backups or an extra IPv4 address). The
//! reseller's [`PriceRule`] turns that into the price the customer pays. A
//! markup is in basis points (2 500 = +25 %). The hourly rate is kept in
//! micro-units and rounded half away from zero to a whole micro-unit; the
//! monthly price, which customers see as a figure, is rounded to the
//! currency's minor unit. Price rules are versioned by the billing engine; this
//! module only computes.

use serde::{Deserialize, Serialize};

use crate::money::{micros_to_minor_rounded, round_half_away, Currency};

/// How the reseller prices one plan (or add-on) in one region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum PriceRule {
    Markup {
        markup_bp: i64,
    },
    Fixed {
        hourly_micros: i64,
        monthly_micros: i64,
    },
}

/// A price in force: hourly rate and monthly cap, both in micro-units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitPrice {
    pub hourly_micros: i64,
    pub monthly_micros: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("a markup needs the provider's price, and none is recorded for this type and region: refresh the provider catalogue or set a fixed price")]
    NoProviderPrice,
    #[error(
        "a markup of {0} basis points would make the price negative: use a markup above -10000"
    )]
    NegativeMarkup(i64),
    #[error("prices cannot be negative")]
    NegativePrice,
    #[error("the price is too large")]
    Overflow,
}

/// The customer's price under `rule`, given the provider's price if known.
pub fn resolve(
    rule: PriceRule,
    provider: Option<UnitPrice>,
    currency: Currency,
) -> Result<UnitPrice, PricingError> {
    match rule {
        PriceRule::Fixed {
            hourly_micros,
            monthly_micros,
        } => {
            if hourly_micros < 0 || monthly_micros < 0 {
                return Err(PricingError::NegativePrice);
            }
            Ok(UnitPrice {
                hourly_micros,
                monthly_micros,
            })
        }
        PriceRule::Markup { markup_bp } => {
            if markup_bp <= -10_000 {
                return Err(PricingError::NegativeMarkup(markup_bp));
            }
            let p = provider.ok_or(PricingError::NoProviderPrice)?;
            if p.hourly_micros < 0 || p.monthly_micros < 0 {
                return Err(PricingError::NegativePrice);
            }
            let factor = 10_000 + i128::from(markup_bp);
            let hourly = round_half_away(i128::from(p.hourly_micros) * factor, 10_000);
            let monthly_exact = round_half_away(i128::from(p.monthly_micros) * factor, 10_000);
            let monthly_exact = i64::try_from(monthly_exact).map_err(|_| PricingError::Overflow)?;
            let monthly = micros_to_minor_rounded(monthly_exact, currency)
                .checked_mul(currency.micros_per_minor())
                .ok_or(PricingError::Overflow)?;
            Ok(UnitPrice {
                hourly_micros: i64::try_from(hourly).map_err(|_| PricingError::Overflow)?,
                monthly_micros: monthly,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::{Money, Rate};

    /// The cases the UI's live preview (`applyMarkup`) is checked against too.
    #[test]
    fn markup_cases_shared_with_the_ui() {
        let file: serde_json::Value =
            serde_json::from_str(include_str!("pricing_cases.json")).unwrap();
        let cases = file["cases"].as_array().unwrap();
        assert!(cases.len() >= 10);
        for c in cases {
            let text = |k: &str| c[k].as_str().unwrap();
            let currency = Currency::parse(text("currency")).unwrap();
            let micros = |k: &str| Rate::parse(text(k), currency).unwrap().micros;
            let minor = |k: &str| Money::parse(text(k), currency).unwrap().minor;
            // "33.33" % is 3 333 basis points: hundredths, as cents are of a dollar.
            let markup_bp = Money::parse(text("markupPercent"), Currency::USD)
                .unwrap()
                .minor;
            let provider = UnitPrice {
                hourly_micros: micros("hourly"),
                monthly_micros: micros("monthly"),
            };
            let got = resolve(PriceRule::Markup { markup_bp }, Some(provider), currency).unwrap();
            assert_eq!(got.hourly_micros, micros("expectHourly"), "{c}");
            assert_eq!(
                got.monthly_micros,
                minor("expectMonthly") * currency.micros_per_minor(),
                "{c}"
            );
        }
    }

    #[test]
    fn markup_rounds_hourly_to_micros_and_monthly_to_cents() {
        // Linode nanode: 0.0075/h, 5.00/month; +25 %.
        let p = UnitPrice {
            hourly_micros: 7_500,
            monthly_micros: 5_000_000,
        };
        let r = resolve(
            PriceRule::Markup { markup_bp: 2_500 },
            Some(p),
            Currency::USD,
        )
        .unwrap();
        assert_eq!(
            r,
            UnitPrice {
                hourly_micros: 9_375,
                monthly_micros: 6_250_000
            }
        );
        // +33.33 %: 0.0075 × 1.3333 = 0.009999750 → 10 000 micros; 5 × 1.3333 = 6.6665 → 6.67.
        let r = resolve(
            PriceRule::Markup { markup_bp: 3_333 },
            Some(p),
            Currency::USD,
        )
        .unwrap();
        assert_eq!(
            r,
            UnitPrice {
                hourly_micros: 9_999 + 1,
                monthly_micros: 6_670_000
            }
        );
        assert_eq!(
            resolve(PriceRule::Markup { markup_bp: 10 }, None, Currency::USD),
            Err(PricingError::NoProviderPrice)
        );
        let f = PriceRule::Fixed {
            hourly_micros: 15_000,
            monthly_micros: 10_000_000,
        };
        assert_eq!(
            resolve(f, None, Currency::USD).unwrap().hourly_micros,
            15_000
        );
    }
}
