//! Money as integers, never floats.
//!
//! [`Money`] is an amount in the currency's minor unit (cents for USD, none for
//! JPY). [`Rate`] is a price that needs sub-cent precision — Linode bills
//! `g6-nanode-1` at 0.0075 USD an hour — kept in **micro-units of the major
//! unit** (1 USD = 1 000 000 micros). The scale is fixed forever: a stored
//! `Rate` never changes meaning. Rates are rounded to `Money` exactly once,
//! when an invoice line is finalized, by the billing engine.
//!
//! Decimal strings ("12.50", "0.0075") are parsed exactly with no float in
//! between; anything that is not a plain decimal with at most the allowed
//! number of fraction digits is refused.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Micro-units in one major unit: the fixed scale of [`Rate`].
pub const MICROS_PER_UNIT: i64 = 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error(
        "{0:?} is not a currency we know: use a three-letter ISO 4217 code such as USD or EUR"
    )]
    UnknownCurrency(String),
    #[error("{0:?} is not an amount: write digits with an optional decimal point, e.g. 12.50")]
    NotAnAmount(String),
    #[error("{value:?} has more than {max} digits after the decimal point")]
    TooPrecise { value: String, max: u32 },
    #[error("the amount is too large: check for an extra zero")]
    Overflow,
    #[error("cannot combine {0} with {1}: amounts are in different currencies")]
    CurrencyMismatch(Currency, Currency),
}

/// An ISO 4217 currency with its number of minor-unit digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency {
    code: [u8; 3],
    exponent: u8,
}

/// The currencies we accept, with their ISO 4217 minor-unit exponents. A
/// reseller works in one of these; the list is closed so a typo is an error.
const CURRENCIES: &[(&str, u8)] = &[
    ("USD", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("CHF", 2),
    ("CAD", 2),
    ("AUD", 2),
    ("NZD", 2),
    ("SEK", 2),
    ("NOK", 2),
    ("DKK", 2),
    ("PLN", 2),
    ("CZK", 2),
    ("HUF", 2),
    ("RON", 2),
    ("BGN", 2),
    ("INR", 2),
    ("SGD", 2),
    ("HKD", 2),
    ("BRL", 2),
    ("MXN", 2),
    ("ZAR", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("ISK", 0),
    ("CLP", 0),
];

impl Currency {
    pub const USD: Currency = Currency {
        code: *b"USD",
        exponent: 2,
    };
    pub const EUR: Currency = Currency {
        code: *b"EUR",
        exponent: 2,
    };

    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        let upper = code.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == upper)
            .map(|(c, e)| {
                let b = c.as_bytes();
                Currency {
                    code: [b[0], b[1], b[2]],
                    exponent: *e,
                }
            })
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_string()))
    }

    pub fn code(&self) -> &str {
        // Only ever built from the ASCII table above.
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// Digits after the decimal point in this currency (2 for USD, 0 for JPY).
    pub fn exponent(&self) -> u32 {
        u32::from(self.exponent)
    }

    fn minor_per_major(&self) -> i64 {
        10i64.pow(self.exponent())
    }

    /// Micro-units in one minor unit (10 000 for USD, 1 000 000 for JPY).
    pub fn micros_per_minor(&self) -> i64 {
        MICROS_PER_UNIT / self.minor_per_major()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Currency::parse(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_string()
    }
}

/// An amount in a currency's minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    pub fn zero(currency: Currency) -> Money {
        Money { minor: 0, currency }
    }

    /// Parses a decimal in major units ("12.50") exactly.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let minor = parse_scaled(text, currency.exponent())?;
        Ok(Money { minor, currency })
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money {
            minor,
            currency: self.currency,
        })
    }

    pub fn is_negative(&self) -> bool {
        self.minor < 0
    }

    /// The amount as a plain decimal in major units, e.g. "12.50".
    pub fn to_decimal_string(&self) -> String {
        format_scaled(self.minor, self.currency.exponent())
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}

/// A price per unit (an hour, usually) in micro-units of the major unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rate {
    pub micros: i64,
    pub currency: Currency,
}

impl Rate {
    pub fn new(micros: i64, currency: Currency) -> Rate {
        Rate { micros, currency }
    }

    /// Parses a decimal in major units with up to six fraction digits ("0.0075").
    pub fn parse(text: &str, currency: Currency) -> Result<Rate, MoneyError> {
        Ok(Rate {
            micros: parse_scaled(text, 6)?,
            currency,
        })
    }

    /// The rate as a plain decimal in major units, trailing zeros beyond the
    /// currency's own precision removed: 7500 micros USD → "0.0075".
    pub fn to_decimal_string(&self) -> String {
        let full = format_scaled(self.micros, 6);
        let keep = self.currency.exponent() as usize;
        let (int, frac) = full.split_once('.').unwrap_or((&full, ""));
        let trimmed = frac.trim_end_matches('0');
        let frac = if trimmed.len() < keep {
            &frac[..keep]
        } else {
            trimmed
        };
        if frac.is_empty() {
            int.to_string()
        } else {
            format!("{int}.{frac}")
        }
    }

    /// The monthly equivalent used to show an hourly price next to a monthly
    /// one: `hours` × rate, rounded half away from zero to the minor unit.
    pub fn times_hours_rounded(&self, hours: i64) -> Result<Money, MoneyError> {
        let total = self.micros.checked_mul(hours).ok_or(MoneyError::Overflow)?;
        Ok(Money {
            minor: micros_to_minor_rounded(total, self.currency),
            currency: self.currency,
        })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}

/// `n / d` rounded half away from zero (`d > 0`): the one rounding rule of
/// the product. Every rounding of money (a rate to a whole micro-unit, micros
/// to the minor unit, tax, a document line) goes through here.
pub fn round_half_away(n: i128, d: i128) -> i128 {
    debug_assert!(d > 0);
    let q = n / d;
    let r = n % d;
    if r.abs() * 2 >= d {
        q + n.signum()
    } else {
        q
    }
}

/// Rounds an amount in micro-units to the currency's minor unit, half away
/// from zero ([`round_half_away`]).
pub fn micros_to_minor_rounded(micros: i64, currency: Currency) -> i64 {
    // |micros / per_minor| <= |micros|, so the quotient fits.
    round_half_away(i128::from(micros), i128::from(currency.micros_per_minor())) as i64
}

fn parse_scaled(text: &str, scale: u32) -> Result<i64, MoneyError> {
    let t = text.trim();
    let not_amount = || MoneyError::NotAnAmount(text.to_string());
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty() {
        return Err(not_amount());
    }
    if !int.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(not_amount());
    }
    if digits.ends_with('.') && frac.is_empty() && int.is_empty() {
        return Err(not_amount());
    }
    if frac.len() as u32 > scale {
        return Err(MoneyError::TooPrecise {
            value: text.to_string(),
            max: scale,
        });
    }
    let int_value: i64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| MoneyError::Overflow)?
    };
    let mut frac_value: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| not_amount())?
    };
    frac_value *= 10i64.pow(scale - frac.len() as u32);
    let value = int_value
        .checked_mul(10i64.pow(scale))
        .and_then(|v| v.checked_add(frac_value))
        .ok_or(MoneyError::Overflow)?;
    Ok(if negative { -value } else { value })
}

fn format_scaled(value: i64, scale: u32) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    if scale == 0 {
        return format!("{sign}{abs}");
    }
    let div = 10u64.pow(scale);
    format!(
        "{sign}{}.{:0width$}",
        abs / div,
        abs % div,
        width = scale as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_formats_money() {
        let m = Money::parse("12.5", Currency::USD).unwrap();
        assert_eq!(m.minor, 1250);
        assert_eq!(m.to_string(), "12.50 USD");
        assert_eq!(Money::parse("-0.07", Currency::USD).unwrap().minor, -7);
        let jpy = Currency::parse("jpy").unwrap();
        assert_eq!(Money::parse("500", jpy).unwrap().to_string(), "500 JPY");
        assert!(matches!(
            Money::parse("1.234", Currency::USD),
            Err(MoneyError::TooPrecise { .. })
        ));
        assert!(matches!(
            Money::parse("abc", Currency::USD),
            Err(MoneyError::NotAnAmount(_))
        ));
        assert!(matches!(
            Money::parse("", Currency::USD),
            Err(MoneyError::NotAnAmount(_))
        ));
        assert!(matches!(
            Money::parse("1e5", Currency::USD),
            Err(MoneyError::NotAnAmount(_))
        ));
        assert!(matches!(
            Money::parse("99999999999999999999", Currency::USD),
            Err(MoneyError::Overflow)
        ));
    }

    #[test]
    fn rates_keep_sub_cent_precision() {
        let r = Rate::parse("0.0075", Currency::USD).unwrap();
        assert_eq!(r.micros, 7500);
        assert_eq!(r.to_decimal_string(), "0.0075");
        assert_eq!(
            Rate::parse("0.03", Currency::USD)
                .unwrap()
                .to_decimal_string(),
            "0.03"
        );
        assert_eq!(
            Rate::parse("1", Currency::USD).unwrap().to_decimal_string(),
            "1.00"
        );
        // 730 hours of a nanode: 5.475 → 5.48 (half away from zero).
        assert_eq!(r.times_hours_rounded(730).unwrap().minor, 548);
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_half_away(5, 2), 3);
        assert_eq!(round_half_away(-5, 2), -3);
        assert_eq!(round_half_away(4, 3), 1);
        assert_eq!(round_half_away(-4, 3), -1);
        assert_eq!(micros_to_minor_rounded(5_000, Currency::USD), 1);
        assert_eq!(micros_to_minor_rounded(4_999, Currency::USD), 0);
        assert_eq!(micros_to_minor_rounded(-5_000, Currency::USD), -1);
        assert_eq!(
            micros_to_minor_rounded(1_500_000, Currency::parse("JPY").unwrap()),
            2
        );
    }

    #[test]
    fn unknown_currency_is_refused() {
        assert!(Currency::parse("XYZ").is_err());
        assert!(serde_json::from_str::<Currency>("\"usd\"").is_ok());
    }

    proptest! {
        #[test]
        fn money_decimal_round_trip(minor in -10_000_000_000i64..10_000_000_000i64) {
            let m = Money::new(minor, Currency::USD);
            prop_assert_eq!(Money::parse(&m.to_decimal_string(), Currency::USD).unwrap(), m);
        }

        #[test]
        fn rate_decimal_round_trip(micros in 0i64..10_000_000_000i64) {
            let r = Rate::new(micros, Currency::EUR);
            prop_assert_eq!(Rate::parse(&r.to_decimal_string(), Currency::EUR).unwrap(), r);
        }
    }
}
