//! Tax determination and tax arithmetic for documents.
//!
//! A rate is in parts per million of the net amount (200 000 = 20 %, 88 750 =
//! 8.875 %). The rate comes from the customer's country, or from a region of
//! that country when one is configured (US states, Canadian provinces). A
//! business customer with a tax id in another EU member state than the seller
//! is charged no VAT under the reverse-charge rule, and the document says so.
//! Tax is computed per rate on the sum of the already-rounded net lines and
//! rounded once, half away from zero.

use serde::{Deserialize, Serialize};

use crate::money::round_half_away;

/// EU member states (ISO 3166-1 alpha-2; Greece as used in VAT ids is "EL" but
/// its country code is "GR").
pub const EU_COUNTRIES: &[&str] = &[
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
];

pub fn is_eu(country: &str) -> bool {
    EU_COUNTRIES.contains(&country.to_ascii_uppercase().as_str())
}

/// A configured rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRate {
    pub name: String,
    pub rate_ppm: i64,
}

/// How a document's lines are taxed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TaxTreatment {
    Standard {
        name: String,
        rate_ppm: i64,
    },
    /// EU B2B cross-border: no VAT charged, the customer accounts for it.
    ReverseCharge,
    /// No rate is configured for the customer's country.
    NotTaxed,
}

/// The text a reverse-charge document must carry.
pub const REVERSE_CHARGE_NOTE: &str = "Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC)";

impl TaxTreatment {
    pub fn rate_ppm(&self) -> i64 {
        match self {
            TaxTreatment::Standard { rate_ppm, .. } => *rate_ppm,
            _ => 0,
        }
    }

    pub fn label(&self) -> String {
        match self {
            TaxTreatment::Standard { name, .. } => name.clone(),
            TaxTreatment::ReverseCharge => "Reverse charge".to_string(),
            TaxTreatment::NotTaxed => "No tax".to_string(),
        }
    }
}

/// Who sells to whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxParties<'a> {
    pub seller_country: &'a str,
    pub customer_country: &'a str,
    pub customer_region: Option<&'a str>,
    pub customer_tax_id: Option<&'a str>,
}

/// Picks the treatment; `lookup(country, region)` returns a configured rate
/// (`region` `None` asks for the country-wide rate).
pub fn determine(
    parties: &TaxParties<'_>,
    mut lookup: impl FnMut(&str, Option<&str>) -> Option<TaxRate>,
) -> TaxTreatment {
    let customer = parties.customer_country.to_ascii_uppercase();
    let seller = parties.seller_country.to_ascii_uppercase();
    let has_tax_id = parties
        .customer_tax_id
        .is_some_and(|t| !t.trim().is_empty());
    if has_tax_id && customer != seller && is_eu(&customer) && is_eu(&seller) {
        return TaxTreatment::ReverseCharge;
    }
    let rate = parties
        .customer_region
        .and_then(|r| lookup(&customer, Some(r)))
        .or_else(|| lookup(&customer, None));
    match rate {
        Some(TaxRate { name, rate_ppm }) => TaxTreatment::Standard { name, rate_ppm },
        None => TaxTreatment::NotTaxed,
    }
}

/// Tax on a net amount in minor units, rounded half away from zero.
pub fn tax_minor(net_minor: i64, rate_ppm: i64) -> i64 {
    round_half_away(i128::from(net_minor) * i128::from(rate_ppm), 1_000_000) as i64
}

/// One row of a document's tax summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxTotal {
    pub name: String,
    pub rate_ppm: i64,
    pub net_minor: i64,
    pub tax_minor: i64,
}

/// Groups `(treatment label, rate, net)` lines into one total per rate.
pub fn totals<'a>(lines: impl IntoIterator<Item = (&'a str, i64, i64)>) -> Vec<TaxTotal> {
    let mut out: Vec<TaxTotal> = Vec::new();
    for (name, rate_ppm, net) in lines {
        match out
            .iter_mut()
            .find(|t| t.rate_ppm == rate_ppm && t.name == name)
        {
            Some(t) => t.net_minor += net,
            None => out.push(TaxTotal {
                name: name.to_string(),
                rate_ppm,
                net_minor: net,
                tax_minor: 0,
            }),
        }
    }
    for t in &mut out {
        t.tax_minor = tax_minor(t.net_minor, t.rate_ppm);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates(country: &str, region: Option<&str>) -> Option<TaxRate> {
        match (country, region) {
            ("DE", None) => Some(TaxRate {
                name: "VAT 19%".into(),
                rate_ppm: 190_000,
            }),
            ("FR", None) => Some(TaxRate {
                name: "TVA 20%".into(),
                rate_ppm: 200_000,
            }),
            ("US", Some("NY")) => Some(TaxRate {
                name: "NY sales tax".into(),
                rate_ppm: 88_750,
            }),
            _ => None,
        }
    }

    #[test]
    fn eu_b2b_cross_border_is_reverse_charged() {
        let p = TaxParties {
            seller_country: "DE",
            customer_country: "FR",
            customer_region: None,
            customer_tax_id: Some("FR40303265045"),
        };
        assert_eq!(determine(&p, rates), TaxTreatment::ReverseCharge);
        let domestic = TaxParties {
            customer_country: "DE",
            ..p.clone()
        };
        assert_eq!(determine(&domestic, rates).rate_ppm(), 190_000);
        let consumer = TaxParties {
            customer_tax_id: None,
            ..p
        };
        assert_eq!(determine(&consumer, rates).rate_ppm(), 200_000);
        let ny = TaxParties {
            seller_country: "US",
            customer_country: "US",
            customer_region: Some("NY"),
            customer_tax_id: None,
        };
        assert_eq!(determine(&ny, rates).rate_ppm(), 88_750);
        let tx = TaxParties {
            customer_region: Some("TX"),
            ..ny
        };
        assert_eq!(determine(&tx, rates), TaxTreatment::NotTaxed);
    }

    #[test]
    fn tax_is_rounded_once_per_rate() {
        assert_eq!(tax_minor(1_005, 190_000), 191); // 190.95
        assert_eq!(tax_minor(-1_005, 190_000), -191);
        let t = totals([("VAT 19%", 190_000, 505), ("VAT 19%", 190_000, 500)]);
        assert_eq!(
            t,
            vec![TaxTotal {
                name: "VAT 19%".into(),
                rate_ppm: 190_000,
                net_minor: 1_005,
                tax_minor: 191
            }]
        );
    }
}
