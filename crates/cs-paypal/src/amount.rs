//! Money on PayPal's wire: a decimal string with the currency's number of decimals.
//!
//! We keep amounts as integers in minor units and convert exactly, never through floats.

use serde::{Deserialize, Serialize};

/// An amount in the smallest unit of `currency_code` (cents for USD, yen for JPY).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Amount {
    pub currency_code: String,
    pub minor: i64,
}

/// Why an amount cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("currency code {0:?} is not a three-letter ISO 4217 code")]
    BadCurrency(String),
    #[error("{value:?} is not a valid {currency} amount with {decimals} decimals")]
    BadValue {
        value: String,
        currency: String,
        decimals: u32,
    },
    #[error("the amount is too large")]
    Overflow,
}

/// Decimals PayPal uses for a currency. PayPal rejects decimals for HUF, JPY and TWD.
pub fn currency_decimals(currency_code: &str) -> u32 {
    match currency_code {
        "HUF" | "JPY" | "TWD" => 0,
        _ => 2,
    }
}

impl Amount {
    pub fn new(currency_code: impl Into<String>, minor: i64) -> Result<Self, AmountError> {
        let currency_code = currency_code.into();
        if currency_code.len() != 3 || !currency_code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(AmountError::BadCurrency(currency_code));
        }
        Ok(Self {
            currency_code,
            minor,
        })
    }

    /// The `value` string PayPal expects, e.g. `12.05` for 1205 USD cents.
    pub fn to_value(&self) -> String {
        let decimals = currency_decimals(&self.currency_code);
        if decimals == 0 {
            return self.minor.to_string();
        }
        let scale = 10u64.pow(decimals);
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = decimals as usize
        )
    }

    /// Parses PayPal's `value` string exactly. Fewer decimals than the currency uses are
    /// accepted (`"5"` or `"5.5"` USD), more are refused.
    pub fn from_value(currency_code: &str, value: &str) -> Result<Self, AmountError> {
        let decimals = currency_decimals(currency_code);
        let bad = || AmountError::BadValue {
            value: value.to_owned(),
            currency: currency_code.to_owned(),
            decimals,
        };
        let (negative, digits) = match value.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, value),
        };
        let (int_part, frac_part) = match digits.split_once('.') {
            Some((i, f)) => (i, f),
            None => (digits, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (int_part.is_empty() && frac_part.is_empty())
            || !all_digits(int_part)
            || !all_digits(frac_part)
            || frac_part.len() > decimals as usize
            || (digits.contains('.') && frac_part.is_empty())
        {
            return Err(bad());
        }
        let mut minor: i64 = 0;
        for b in int_part.bytes() {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i64::from(b - b'0')))
                .ok_or(AmountError::Overflow)?;
        }
        for i in 0..decimals as usize {
            let digit = frac_part.as_bytes().get(i).map_or(0, |b| b - b'0');
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i64::from(digit)))
                .ok_or(AmountError::Overflow)?;
        }
        if negative {
            minor = -minor;
        }
        Self::new(currency_code, minor)
    }

    pub(crate) fn to_wire(&self) -> WireMoney {
        WireMoney {
            currency_code: self.currency_code.clone(),
            value: self.to_value(),
        }
    }
}

/// PayPal's `money` object exactly as on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireMoney {
    pub currency_code: String,
    pub value: String,
}

impl WireMoney {
    pub fn to_amount(&self) -> Result<Amount, AmountError> {
        Amount::from_value(&self.currency_code, &self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_exactly() {
        for (cur, minor, text) in [
            ("USD", 1205, "12.05"),
            ("USD", 5, "0.05"),
            ("USD", -250, "-2.50"),
            ("EUR", 10_000_000_000, "100000000.00"),
            ("JPY", 1500, "1500"),
        ] {
            let a = Amount::new(cur, minor).unwrap();
            assert_eq!(a.to_value(), text);
            assert_eq!(Amount::from_value(cur, text).unwrap(), a);
        }
    }

    #[test]
    fn short_fractions_are_scaled_and_long_ones_refused() {
        assert_eq!(Amount::from_value("USD", "5").unwrap().minor, 500);
        assert_eq!(Amount::from_value("USD", "5.5").unwrap().minor, 550);
        assert!(Amount::from_value("USD", "5.555").is_err());
        assert!(Amount::from_value("JPY", "5.5").is_err());
        assert!(Amount::from_value("USD", "1e3").is_err());
        assert!(Amount::from_value("USD", "5.").is_err());
        assert!(Amount::from_value("USD", "").is_err());
        assert!(Amount::from_value("USD", "99999999999999999999").is_err());
        assert!(Amount::new("usd", 1).is_err());
    }
}
