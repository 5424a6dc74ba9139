//! Billing settings in the façade (Settings → Billing): the dunning policy,
//! number formats and tax rates, checked field by field and saved with the
//! engine's `BillingSettings`.

use cs_billing::documents;
use cs_billing::settings::BillingSettings;
use cs_core::{Currency, Money, Rate};

use crate::dto::*;
use crate::{map, App, AppError, AppResult, Subject};

fn parse_percent(field: &str, s: &str) -> AppResult<i64> {
    let r = Rate::parse(s, Currency::USD).map_err(|_| {
        AppError::validation(
            field,
            format!("{s:?} is not a percentage: write e.g. 21 or 7.7"),
        )
    })?;
    // Rate keeps six decimals; a percentage in ppm needs four.
    if r.micros < 0 || r.micros > 100_000_000 || r.micros % 100 != 0 {
        return Err(AppError::validation(
            field,
            "A tax rate is between 0 and 100 percent, with at most four decimals",
        ));
    }
    Ok(r.micros / 100)
}

impl App {
    pub fn billing_settings(&self) -> AppResult<BillingSettingsDto> {
        self.store.read(|c| {
            let s = BillingSettings::load(c)?;
            let m = |minor| Money::new(minor, s.currency).to_decimal_string();
            Ok(BillingSettingsDto {
                seller_country: s.seller_country.clone(),
                low_balance_threshold: m(s.low_balance_threshold_minor),
                suspend_at: m(s.suspend_at_minor),
                grace_hours: s.grace_hours.clamp(0, u32::MAX as i64) as u32,
                terminate_after_days: s.terminate_after_days.clamp(0, u32::MAX as i64) as u32,
                termination_warning_days: s
                    .termination_warning_days
                    .iter()
                    .map(|d| (*d).clamp(0, u32::MAX as i64) as u32)
                    .collect(),
                invoice_number_format: s.invoice_number_format.clone(),
                receipt_number_format: s.receipt_number_format.clone(),
                credit_note_number_format: s.credit_note_number_format.clone(),
                auto_invoice: s.auto_invoice,
                tax_rates: documents::list_tax_rates(c)?
                    .into_iter()
                    .map(|(country, region, name, ppm)| TaxRateDto {
                        country,
                        region,
                        name,
                        rate_percent: map::ppm_percent(ppm),
                    })
                    .collect(),
            })
        })
    }

    pub fn update_billing_settings(
        &self,
        input: BillingSettingsDto,
    ) -> AppResult<BillingSettingsDto> {
        let currency = self.currency()?;
        let mut e = cs_core::ValidationErrors::new();
        let mut money = |field: &str, v: &str| match Money::parse(v, currency) {
            Ok(m) => m.minor,
            Err(err) => {
                e.add(field, format!("{err}"));
                0
            }
        };
        let low = money("lowBalanceThreshold", &input.low_balance_threshold);
        let suspend_at = money("suspendAt", &input.suspend_at);
        let country = input.seller_country.trim().to_ascii_uppercase();
        if !cs_core::org::is_country_code(&country) {
            e.add(
                "sellerCountry",
                format!("{:?} is not an ISO 3166 country code", input.seller_country),
            );
        }
        if low < suspend_at {
            e.add(
                "lowBalanceThreshold",
                "The low-balance warning must come at or before the suspension limit",
            );
        }
        let mut rates = vec![];
        for (i, r) in input.tax_rates.iter().enumerate() {
            let c = r.country.trim().to_ascii_uppercase();
            if !cs_core::org::is_country_code(&c) {
                e.add(
                    &format!("taxRates.{i}.country"),
                    format!("{:?} is not a country code", r.country),
                );
                continue;
            }
            let region = cs_core::validate::optional_text(
                &mut e,
                &format!("taxRates.{i}.region"),
                "The region",
                &r.region,
                80,
            )
            .unwrap_or_default();
            let name = cs_core::validate::optional_text(
                &mut e,
                &format!("taxRates.{i}.name"),
                "The tax name",
                &r.name,
                80,
            )
            .unwrap_or_default();
            match parse_percent(&format!("taxRates.{i}.ratePercent"), &r.rate_percent) {
                Ok(ppm) => rates.push((c, region, name, ppm)),
                Err(AppError::Validation(v)) => e.0.extend(v.0),
                Err(other) => return Err(other),
            }
        }
        if !e.is_empty() {
            return Err(AppError::Validation(e));
        }
        let now = self.now();
        self.write(|tx| {
            let mut s = BillingSettings::load(tx)?;
            s.seller_country = country.clone();
            s.low_balance_threshold_minor = low;
            s.suspend_at_minor = suspend_at;
            s.grace_hours = i64::from(input.grace_hours);
            s.terminate_after_days = i64::from(input.terminate_after_days);
            s.termination_warning_days = input
                .termination_warning_days
                .iter()
                .map(|d| i64::from(*d))
                .collect();
            s.invoice_number_format = input.invoice_number_format.trim().to_string();
            s.receipt_number_format = input.receipt_number_format.trim().to_string();
            s.credit_note_number_format = input.credit_note_number_format.trim().to_string();
            s.auto_invoice = input.auto_invoice;
            s.validate()?;
            s.save(tx)?;
            for (c, region, name, ppm) in &rates {
                documents::set_tax_rate(
                    tx,
                    c,
                    (!region.is_empty()).then_some(region.as_str()),
                    if name.is_empty() { "VAT" } else { name },
                    *ppm,
                )?;
            }
            tx.record(
                now,
                "billing.settings_updated",
                Subject::settings(None),
                format!(
                    "Updated billing settings: grace {} h, termination after {} days",
                    s.grace_hours, s.terminate_after_days
                ),
            )
        })?;
        self.billing_settings()
    }
}
