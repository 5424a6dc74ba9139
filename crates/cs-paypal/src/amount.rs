//! Money on PayPal's wire, and the one place where our amounts and PayPal's meet.
//!
//! Our [`Money`] counts in the ISO 4217 minor unit of its currency (cs-core gives HUF two
//! decimals). PayPal writes amounts as decimal strings with **its own** number of decimals
//! per currency, which is not always ISO's: PayPal takes HUF, JPY and TWD in whole units
//! only and refuses a decimal point for them. Every amount the client sends is a
//! [`PayPalAmount`] built from `Money` here, and every amount it reads (orders, captures,
//! refunds, webhook events) becomes `Money` here, so the two scales are converted in
//! exactly one place. The conversion is exact or refused: 100.00 HUF is sent as `"100"`,
//! 100.50 HUF cannot be sent at all, and nothing is ever rounded.
//!
//! Which currencies PayPal supports, and with how many decimals, follows PayPal's REST
//! currency-code reference (<https://developer.paypal.com/reference/currency-codes/>).

use std::fmt;

use cs_core::{Currency, Money};
use serde::{Deserialize, Serialize};

/// What the amount is for; named in errors so the message says what could not be done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// An order: the customer pays us.
    Payment,
    /// A refund of a capture: we pay the customer back.
    Refund,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Payment => "take payments",
            Self::Refund => "refund",
        })
    }
}

/// Whether PayPal accepts a currency for payments and refunds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurrencySupport {
    /// PayPal takes and refunds it, with `decimals` digits after the point on the wire.
    Supported { decimals: u32 },
    /// PayPal takes it, but only an account registered in `country` holds it as such:
    /// any other account gets the money converted into its primary currency (with
    /// PayPal's conversion fee). Usable; worth a warning in Settings.
    InCountryOnly {
        decimals: u32,
        country: &'static str,
    },
    /// PayPal does not accept this currency.
    Unsupported,
}

impl CurrencySupport {
    /// Whether payment links and refunds can be made in this currency.
    pub fn is_usable(&self) -> bool {
        !matches!(self, Self::Unsupported)
    }

    /// PayPal's number of decimals for the currency, when PayPal supports it.
    pub fn decimals(&self) -> Option<u32> {
        match *self {
            Self::Supported { decimals } | Self::InCountryOnly { decimals, .. } => Some(decimals),
            Self::Unsupported => None,
        }
    }
}

/// PayPal's REST currencies with its decimals on the wire and where they are restricted
/// (<https://developer.paypal.com/reference/currency-codes/>): HUF, JPY and TWD "do not
/// support decimals"; BRL, CNY and MYR are held "for in-country PayPal accounts only".
/// INR is absent: PayPal stopped domestic payments in India on 1 April 2021, so no
/// account can receive INR. RUB is absent: PayPal no longer serves Russia.
const PAYPAL_CURRENCIES: &[(&str, u32, Option<&str>)] = &[
    ("AUD", 2, None),
    ("BRL", 2, Some("Brazil")),
    ("CAD", 2, None),
    ("CHF", 2, None),
    ("CNY", 2, Some("China")),
    ("CZK", 2, None),
    ("DKK", 2, None),
    ("EUR", 2, None),
    ("GBP", 2, None),
    ("HKD", 2, None),
    ("HUF", 0, None),
    ("ILS", 2, None),
    ("JPY", 0, None),
    ("MXN", 2, None),
    ("MYR", 2, Some("Malaysia")),
    ("NOK", 2, None),
    ("NZD", 2, None),
    ("PHP", 2, None),
    ("PLN", 2, None),
    ("SEK", 2, None),
    ("SGD", 2, None),
    ("THB", 2, None),
    ("TWD", 0, None),
    ("USD", 2, None),
];

fn support_of_code(code: &str) -> CurrencySupport {
    match PAYPAL_CURRENCIES.iter().find(|(c, _, _)| *c == code) {
        Some((_, decimals, None)) => CurrencySupport::Supported {
            decimals: *decimals,
        },
        Some((_, decimals, Some(country))) => CurrencySupport::InCountryOnly {
            decimals: *decimals,
            country,
        },
        None => CurrencySupport::Unsupported,
    }
}

/// Whether PayPal can be used in `currency` (the question Settings → Payments and the
/// currency setting ask).
pub fn currency_support(currency: Currency) -> CurrencySupport {
    support_of_code(currency.code())
}

/// Why an amount cannot cross between us and PayPal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// PayPal does not accept the currency at all.
    #[error("PayPal cannot {operation} in {currency}: PayPal does not support this currency (see developer.paypal.com/reference/currency-codes); switch to a currency PayPal supports or take this payment another way")]
    CurrencyNotSupported {
        currency: Currency,
        operation: Operation,
    },
    /// The amount has a fraction PayPal cannot carry in this currency (100.50 HUF).
    #[error("{amount} cannot go through PayPal: PayPal takes {currency} only in steps of {step}, so use {below} or {above}")]
    FinerThanPayPal {
        amount: Money,
        currency: Currency,
        step: Money,
        below: Money,
        above: Money,
    },
    /// PayPal sent a currency we do not handle.
    #[error("PayPal sent an amount in {0:?}, a currency this app does not handle: check the payment in PayPal")]
    UnknownCurrency(String),
    /// PayPal sent a `value` that is not a decimal amount of its currency.
    #[error("PayPal sent {value:?}, which is not a {currency} amount with at most {decimals} decimals: check the payment in PayPal")]
    BadValue {
        value: String,
        currency: String,
        decimals: u32,
    },
    #[error("the amount is too large for PayPal or for this app")]
    Overflow,
}

/// An amount in PayPal's terms: a supported currency and a count of PayPal's smallest unit
/// for it (whole forints for HUF, cents for USD). Built only by the conversions below, so
/// holding one proves the amount can be sent exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PayPalAmount {
    currency: Currency,
    /// In units of 10^-decimals of the major unit, `decimals` being PayPal's.
    units: i64,
    decimals: u32,
}

impl PayPalAmount {
    /// The amount of an order (a payment link).
    pub fn for_order(amount: Money) -> Result<Self, AmountError> {
        Self::from_money(amount, Operation::Payment)
    }

    /// The amount of a (partial) refund.
    pub fn for_refund(amount: Money) -> Result<Self, AmountError> {
        Self::from_money(amount, Operation::Refund)
    }

    /// Converts our amount to PayPal's scale, exactly or not at all.
    pub fn from_money(amount: Money, operation: Operation) -> Result<Self, AmountError> {
        let currency = amount.currency;
        let decimals =
            currency_support(currency)
                .decimals()
                .ok_or(AmountError::CurrencyNotSupported {
                    currency,
                    operation,
                })?;
        let ours = currency.exponent();
        let units = if decimals >= ours {
            amount
                .minor
                .checked_mul(pow10(decimals - ours)?)
                .ok_or(AmountError::Overflow)?
        } else {
            let step = pow10(ours - decimals)?;
            if amount.minor % step != 0 {
                let below = amount.minor - amount.minor.rem_euclid(step);
                return Err(AmountError::FinerThanPayPal {
                    amount,
                    currency,
                    step: Money::new(step, currency),
                    below: Money::new(below, currency),
                    above: Money::new(below + step, currency),
                });
            }
            amount.minor / step
        };
        Ok(Self {
            currency,
            units,
            decimals,
        })
    }

    /// Reads PayPal's `money` object (`currency_code` and `value`). The value is parsed
    /// exactly: a sign, digits, and at most PayPal's decimals for the currency (further
    /// digits are accepted only when they are zeros, as they change nothing).
    pub fn from_wire(currency_code: &str, value: &str) -> Result<Self, AmountError> {
        let currency = Currency::parse(currency_code)
            .ok()
            .filter(|c| c.code() == currency_code)
            .ok_or_else(|| AmountError::UnknownCurrency(currency_code.to_owned()))?;
        let decimals = currency_support(currency)
            .decimals()
            .ok_or_else(|| AmountError::UnknownCurrency(currency_code.to_owned()))?;
        let bad = || AmountError::BadValue {
            value: value.to_owned(),
            currency: currency_code.to_owned(),
            decimals,
        };
        let (negative, digits) = match value.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, value),
        };
        let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int_part.is_empty()
            || !all_digits(int_part)
            || !all_digits(frac_part)
            || (digits.contains('.') && frac_part.is_empty())
            || frac_part.bytes().skip(decimals as usize).any(|b| b != b'0')
        {
            return Err(bad());
        }
        let mut units: i64 = 0;
        let frac = frac_part.as_bytes();
        let digits = int_part
            .bytes()
            .chain((0..decimals as usize).map(|i| frac.get(i).copied().unwrap_or(b'0')));
        for b in digits {
            units = units
                .checked_mul(10)
                .and_then(|m| m.checked_add(i64::from(b - b'0')))
                .ok_or(AmountError::Overflow)?;
        }
        Ok(Self {
            currency,
            units: if negative { -units } else { units },
            decimals,
        })
    }

    /// The same amount as our `Money`, exactly.
    pub fn to_money(&self) -> Result<Money, AmountError> {
        let ours = self.currency.exponent();
        let minor = if ours >= self.decimals {
            self.units
                .checked_mul(pow10(ours - self.decimals)?)
                .ok_or(AmountError::Overflow)?
        } else {
            // PayPal finer than ISO: only whole minor units are representable.
            let step = pow10(self.decimals - ours)?;
            if self.units % step != 0 {
                return Err(AmountError::BadValue {
                    value: self.value(),
                    currency: self.currency.code().to_owned(),
                    decimals: ours,
                });
            }
            self.units / step
        };
        Ok(Money::new(minor, self.currency))
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The `value` string PayPal expects: `"12.05"` USD, `"100"` HUF.
    pub fn value(&self) -> String {
        let sign = if self.units < 0 { "-" } else { "" };
        let abs = self.units.unsigned_abs();
        if self.decimals == 0 {
            return format!("{sign}{abs}");
        }
        let scale = 10u64.pow(self.decimals);
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = self.decimals as usize
        )
    }

    pub(crate) fn to_wire(self) -> WireMoney {
        WireMoney {
            currency_code: self.currency.code().to_owned(),
            value: self.value(),
        }
    }
}

impl fmt::Display for PayPalAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.value(), self.currency)
    }
}

fn pow10(exp: u32) -> Result<i64, AmountError> {
    10i64.checked_pow(exp).ok_or(AmountError::Overflow)
}

/// PayPal's `money` object exactly as on the wire. Read it as [`Money`] with
/// [`WireMoney::to_money`], which goes through [`PayPalAmount`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireMoney {
    pub currency_code: String,
    pub value: String,
}

impl WireMoney {
    pub fn to_paypal_amount(&self) -> Result<PayPalAmount, AmountError> {
        PayPalAmount::from_wire(&self.currency_code, &self.value)
    }

    pub fn to_money(&self) -> Result<Money, AmountError> {
        self.to_paypal_amount()?.to_money()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    fn money(text: &str, code: &str) -> Money {
        Money::parse(text, cur(code)).unwrap()
    }

    #[test]
    fn sends_and_reads_exactly() {
        for (amount, code, wire) in [
            ("12.05", "USD", "12.05"),
            ("0.05", "USD", "0.05"),
            ("-2.50", "USD", "-2.50"),
            ("100000000.00", "EUR", "100000000.00"),
            ("1500", "JPY", "1500"),
            ("100.00", "HUF", "100"),
            ("12345", "HUF", "12345"),
        ] {
            let m = money(amount, code);
            let p = PayPalAmount::for_order(m).unwrap();
            assert_eq!(p.value(), wire, "{amount} {code}");
            let back = PayPalAmount::from_wire(code, wire).unwrap();
            assert_eq!(back, p);
            assert_eq!(back.to_money().unwrap(), m, "{amount} {code}");
        }
    }

    #[test]
    fn a_fraction_paypal_cannot_carry_is_refused_not_rounded() {
        let err = PayPalAmount::for_order(money("100.50", "HUF")).unwrap_err();
        assert!(
            matches!(err, AmountError::FinerThanPayPal { .. }),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "100.50 HUF cannot go through PayPal: PayPal takes HUF only in steps of 1.00 HUF, so use 100.00 HUF or 101.00 HUF"
        );
        let err = PayPalAmount::for_refund(money("-0.01", "HUF")).unwrap_err();
        assert!(
            err.to_string().contains("use -1.00 HUF or 0.00 HUF"),
            "{err}"
        );
    }

    #[test]
    fn paypal_values_are_parsed_strictly() {
        let usd = |v| PayPalAmount::from_wire("USD", v).map(|a| a.to_money().unwrap().minor);
        assert_eq!(usd("5"), Ok(500));
        assert_eq!(usd("5.5"), Ok(550));
        assert_eq!(usd("5.500"), Ok(550), "trailing zeros change nothing");
        for bad in [
            "5.555", "1e3", "5.", ".5", "", "-", " 5", "5 ", "+5", "5,00",
        ] {
            assert!(
                matches!(
                    PayPalAmount::from_wire("USD", bad),
                    Err(AmountError::BadValue { .. })
                ),
                "{bad:?}"
            );
        }
        assert_eq!(
            PayPalAmount::from_wire("USD", "99999999999999999999"),
            Err(AmountError::Overflow)
        );
        assert_eq!(
            PayPalAmount::from_wire("HUF", "100.00")
                .unwrap()
                .to_money()
                .unwrap(),
            money("100", "HUF")
        );
        assert!(PayPalAmount::from_wire("HUF", "100.5").is_err());
        assert!(PayPalAmount::from_wire("JPY", "5.5").is_err());
        for unknown in ["usd", "XYZ", "RON", "INR", "CNY"] {
            assert!(
                matches!(
                    PayPalAmount::from_wire(unknown, "1.00"),
                    Err(AmountError::UnknownCurrency(_))
                ),
                "{unknown}"
            );
        }
    }

    #[test]
    fn the_table_is_sorted_without_duplicates() {
        assert!(PAYPAL_CURRENCIES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(PAYPAL_CURRENCIES
            .iter()
            .all(|(c, d, _)| c.len() == 3 && *d <= 2));
    }
}
