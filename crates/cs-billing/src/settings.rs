//! Billing settings, stored in the `settings` table under `billing.*` keys.
//! Every threshold of the dunning policy and every number format is one of
//! them; a missing key means its default.

use cs_core::dunning::{
    DunningPolicy, MAX_GRACE_HOURS, MAX_TERMINATE_AFTER_DAYS, MAX_TERMINATION_WARNINGS,
    MAX_THRESHOLD_MAJOR,
};
use cs_core::numbering::NumberFormat;
use cs_core::Currency;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::error::{BillingError, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingSettings {
    /// The reseller's currency: wallets and new prices are in it.
    pub currency: Currency,
    /// The reseller's country (ISO 3166-1 alpha-2), for reverse charge.
    pub seller_country: String,
    /// Default low-balance warning threshold; a customer may have their own.
    pub low_balance_threshold_minor: i64,
    /// The limit: at or below this balance the grace period starts.
    pub suspend_at_minor: i64,
    pub grace_hours: i64,
    pub terminate_after_days: i64,
    pub termination_warning_days: Vec<i64>,
    pub invoice_number_format: String,
    pub receipt_number_format: String,
    pub credit_note_number_format: String,
    /// Issue last month's invoices automatically in `run_due`.
    pub auto_invoice: bool,
}

impl Default for BillingSettings {
    fn default() -> Self {
        BillingSettings {
            currency: Currency::USD,
            seller_country: "US".into(),
            low_balance_threshold_minor: 1_000,
            suspend_at_minor: 0,
            grace_hours: 72,
            terminate_after_days: 14,
            termination_warning_days: vec![7, 3, 1],
            invoice_number_format: "INV-{YYYY}-{SEQ:6}".into(),
            receipt_number_format: "RCT-{YYYY}-{SEQ:6}".into(),
            credit_note_number_format: "CN-{YYYY}-{SEQ:6}".into(),
            auto_invoice: true,
        }
    }
}

const KEYS: &[&str] = &[
    "billing.currency",
    "billing.seller_country",
    "billing.low_balance_threshold_minor",
    "billing.suspend_at_minor",
    "billing.grace_hours",
    "billing.terminate_after_days",
    "billing.termination_warning_days",
    "billing.number_format.invoice",
    "billing.number_format.receipt",
    "billing.number_format.credit_note",
    "billing.auto_invoice",
];

fn bad(key: &str, value: &str, hint: &str) -> BillingError {
    BillingError::Setting {
        key: key.into(),
        value: value.into(),
        hint: hint.into(),
    }
}

fn int(key: &str, v: &str) -> Result<i64> {
    v.trim()
        .parse()
        .map_err(|_| bad(key, v, "expected a whole number"))
}

impl BillingSettings {
    pub fn load(conn: &Connection) -> Result<BillingSettings> {
        let mut s = BillingSettings::default();
        for key in KEYS {
            let Some(v) = cs_store::settings::get(conn, key)? else {
                continue;
            };
            match *key {
                "billing.currency" => {
                    s.currency = Currency::parse(&v).map_err(|e| bad(key, &v, &e.to_string()))?
                }
                "billing.seller_country" => s.seller_country = v,
                "billing.low_balance_threshold_minor" => {
                    s.low_balance_threshold_minor = int(key, &v)?
                }
                "billing.suspend_at_minor" => s.suspend_at_minor = int(key, &v)?,
                "billing.grace_hours" => s.grace_hours = int(key, &v)?,
                "billing.terminate_after_days" => s.terminate_after_days = int(key, &v)?,
                "billing.termination_warning_days" => {
                    s.termination_warning_days = v
                        .split(',')
                        .filter(|d| !d.trim().is_empty())
                        .map(|d| int(key, d))
                        .collect::<Result<Vec<_>>>()?
                }
                "billing.number_format.invoice" => s.invoice_number_format = v,
                "billing.number_format.receipt" => s.receipt_number_format = v,
                "billing.number_format.credit_note" => s.credit_note_number_format = v,
                "billing.auto_invoice" => s.auto_invoice = v == "true",
                _ => {}
            }
        }
        Ok(s)
    }

    /// Checks and stores every setting.
    pub fn save(&self, conn: &Connection) -> Result<()> {
        self.validate()?;
        let days = self
            .termination_warning_days
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let values = [
            self.currency.code().to_string(),
            self.seller_country.to_ascii_uppercase(),
            self.low_balance_threshold_minor.to_string(),
            self.suspend_at_minor.to_string(),
            self.grace_hours.to_string(),
            self.terminate_after_days.to_string(),
            days,
            self.invoice_number_format.clone(),
            self.receipt_number_format.clone(),
            self.credit_note_number_format.clone(),
            self.auto_invoice.to_string(),
        ];
        for (k, v) in KEYS.iter().zip(values.iter()) {
            cs_store::settings::set(conn, k, v)?;
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<()> {
        if self.seller_country.len() != 2 {
            return Err(bad(
                "billing.seller_country",
                &self.seller_country,
                "use a two-letter country code such as DE or US",
            ));
        }
        if self.grace_hours < 0 {
            return Err(bad(
                "billing.grace_hours",
                &self.grace_hours.to_string(),
                "grace cannot be negative; 0 suspends at once",
            ));
        }
        if self.grace_hours > MAX_GRACE_HOURS {
            return Err(bad(
                "billing.grace_hours",
                &self.grace_hours.to_string(),
                &format!("grace is at most {MAX_GRACE_HOURS} hours (a year)"),
            ));
        }
        if self.terminate_after_days < 1 {
            return Err(bad(
                "billing.terminate_after_days",
                &self.terminate_after_days.to_string(),
                "keep servers suspended at least one day",
            ));
        }
        if self.terminate_after_days > MAX_TERMINATE_AFTER_DAYS {
            return Err(bad(
                "billing.terminate_after_days",
                &self.terminate_after_days.to_string(),
                &format!("servers are terminated at most {MAX_TERMINATE_AFTER_DAYS} days after suspension"),
            ));
        }
        let days = &self.termination_warning_days;
        if days.len() > MAX_TERMINATION_WARNINGS
            || days
                .iter()
                .any(|d| !(1..=MAX_TERMINATE_AFTER_DAYS).contains(d))
        {
            return Err(bad(
                "billing.termination_warning_days",
                &days.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "),
                &format!(
                    "warn on at most {MAX_TERMINATION_WARNINGS} days, each 1 to {MAX_TERMINATE_AFTER_DAYS} days before termination"
                ),
            ));
        }
        let limit = MAX_THRESHOLD_MAJOR.saturating_mul(10i64.pow(self.currency.exponent()));
        for (k, v) in [
            (
                "billing.low_balance_threshold_minor",
                self.low_balance_threshold_minor,
            ),
            ("billing.suspend_at_minor", self.suspend_at_minor),
        ] {
            if !(-limit..=limit).contains(&v) {
                return Err(bad(
                    k,
                    &cs_core::Money::new(v, self.currency).to_decimal_string(),
                    &format!(
                        "use an amount between -{MAX_THRESHOLD_MAJOR} and {MAX_THRESHOLD_MAJOR} {}",
                        self.currency
                    ),
                ));
            }
        }
        if self.low_balance_threshold_minor < self.suspend_at_minor {
            return Err(bad(
                "billing.low_balance_threshold_minor",
                &self.low_balance_threshold_minor.to_string(),
                "the warning threshold must not be below the suspension limit, or customers get no warning",
            ));
        }
        let mut formats: Vec<(&str, &str, NumberFormat)> = Vec::new();
        for (k, kind, f) in [
            (
                "billing.number_format.invoice",
                "invoice",
                &self.invoice_number_format,
            ),
            (
                "billing.number_format.receipt",
                "receipt",
                &self.receipt_number_format,
            ),
            (
                "billing.number_format.credit_note",
                "credit note",
                &self.credit_note_number_format,
            ),
        ] {
            let parsed = NumberFormat::parse(f).map_err(|e| bad(k, f, &e.to_string()))?;
            // Numbers are unique across every kind of document: two formats
            // that can render the same number would make issuing fail.
            for (_, other_kind, other) in &formats {
                if let Some(example) = parsed.clash_with(other) {
                    return Err(bad(
                        k,
                        f,
                        &format!(
                            "it can give the same number as the {other_kind} format {:?} (e.g. {example}); give each kind of document its own fixed text, e.g. INV- and RCT-",
                            other.as_str()
                        ),
                    ));
                }
            }
            formats.push((k, kind, parsed));
        }
        Ok(())
    }

    /// The dunning policy for a customer with an optional own threshold.
    pub fn policy(&self, own_threshold_minor: Option<i64>) -> DunningPolicy {
        DunningPolicy {
            low_balance_threshold_minor: own_threshold_minor
                .unwrap_or(self.low_balance_threshold_minor),
            suspend_at_minor: self.suspend_at_minor,
            grace_hours: self.grace_hours,
            terminate_after_days: self.terminate_after_days,
            termination_warning_days: self.termination_warning_days.clone(),
        }
    }
}
