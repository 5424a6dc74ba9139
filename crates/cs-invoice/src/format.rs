//! Text formatting of amounts, hours, rates and dates, shared by the PDF and the CSVs.
//!
//! Integer arithmetic only: a minor-unit amount is split into units and decimals, never
//! divided as a float.

use chrono::NaiveDate;

use crate::model::Currency;

/// `123456` EUR → `"1,234.56"`; `-5` → `"-0.05"`; JPY `1200` → `"1,200"`.
pub fn amount(minor: i64, currency: Currency) -> String {
    grouped_decimal(minor, currency.exponent(), true)
}

/// Like [`amount`] without thousands separators, as CSV and UBL want it: `"1234.56"`.
pub fn amount_plain(minor: i64, currency: Currency) -> String {
    grouped_decimal(minor, currency.exponent(), false)
}

/// An amount in micro-units of the major unit, plain, with the currency's decimals and
/// as many more as a fraction of a minor unit needs: EUR `16_740_000` → `"16.74"`,
/// `16_742_500` → `"16.7425"`, `-5_000` → `"-0.005"`.
pub fn micros_plain(micros: i64, currency: Currency) -> String {
    let mut s = grouped_decimal(micros, 6, false);
    let keep = currency.exponent() as usize;
    let dot = s.find('.').unwrap_or(s.len());
    while s.len() > dot + 1 + keep && s.ends_with('0') {
        s.pop();
    }
    if keep == 0 && s.ends_with('.') {
        s.pop();
    }
    s
}

/// Hours at the given number of decimals (0–3): `720_000` → `"720.00"` with 2.
pub fn hours(hours_milli: i64, decimals: u32) -> String {
    let decimals = decimals.min(3);
    let scaled = hours_milli / 10_i64.pow(3 - decimals);
    grouped_decimal(scaled, decimals, true)
}

/// The fewest decimals (at least `min`) that show every quantity exactly.
pub fn hours_decimals(values: impl IntoIterator<Item = i64>, min: u32) -> u32 {
    let mut d = min.min(3);
    for v in values {
        let needed = if v % 10 != 0 {
            3
        } else if v % 100 != 0 {
            2
        } else if v % 1000 != 0 {
            1
        } else {
            0
        };
        d = d.max(needed);
    }
    d
}

/// A rate in micro-units, with trailing zeros removed down to the currency's minor digits:
/// `7_500` USD → `"0.0075"`, `5_000_000` → `"5.00"`.
pub fn rate(unit_rate_micro: i64, currency: Currency) -> String {
    let mut decimals = 6;
    let mut v = unit_rate_micro;
    while decimals > currency.exponent() && v % 10 == 0 {
        v /= 10;
        decimals -= 1;
    }
    grouped_decimal(v, decimals, true)
}

/// The fewest decimals (at least the currency's) that show every rate exactly, so a rate
/// column lines up.
pub fn rate_decimals(rates_micro: impl IntoIterator<Item = i64>, currency: Currency) -> u32 {
    let mut d = currency.exponent();
    for r in rates_micro {
        let mut needed = 6;
        let mut v = r;
        while needed > 0 && v % 10 == 0 {
            v /= 10;
            needed -= 1;
        }
        d = d.max(needed);
    }
    d
}

/// A rate in micro-units at exactly `decimals` decimals (≤ 6), for a column.
pub fn rate_fixed(unit_rate_micro: i64, decimals: u32) -> String {
    let decimals = decimals.min(6);
    grouped_decimal(unit_rate_micro / 10_i64.pow(6 - decimals), decimals, true)
}

/// Plain decimal for UBL: a rate in micro-units with trailing zeros trimmed (at least 2
/// decimals): `7_500` → `"0.0075"`.
pub fn rate_plain(unit_rate_micro: i64) -> String {
    let mut decimals = 6;
    let mut v = unit_rate_micro;
    while decimals > 2 && v % 10 == 0 {
        v /= 10;
        decimals -= 1;
    }
    grouped_decimal(v, decimals, false)
}

/// Basis points as a percentage: `1900` → `"19"`, `2150` → `"21.5"`, `0` → `"0"`.
pub fn percent(bp: u32) -> String {
    let whole = bp / 100;
    let frac = bp % 100;
    if frac == 0 {
        whole.to_string()
    } else if frac.is_multiple_of(10) {
        format!("{whole}.{}", frac / 10)
    } else {
        format!("{whole}.{frac:02}")
    }
}

/// ISO date, unambiguous for every reader: `2025-03-31`.
pub fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn grouped_decimal(value: i64, decimals: u32, group: bool) -> String {
    let negative = value < 0;
    let abs = value.unsigned_abs();
    let pow = 10_u64.pow(decimals);
    let units = abs / pow;
    let frac = abs % pow;
    let digits = units.to_string();
    let mut out = String::with_capacity(digits.len() + 8);
    if negative {
        out.push('-');
    }
    if group {
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
    } else {
        out.push_str(&digits);
    }
    if decimals > 0 {
        out.push('.');
        out.push_str(&format!("{frac:0width$}", width = decimals as usize));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_format_with_the_currency_minor_unit() {
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(amount(123_456, eur), "1,234.56");
        assert_eq!(amount(-5, eur), "-0.05");
        assert_eq!(amount(0, eur), "0.00");
        assert_eq!(amount_plain(123_456_789, eur), "1234567.89");
        assert_eq!(amount(1_200, Currency::parse("JPY").unwrap()), "1,200");
        assert_eq!(grouped_decimal(1_234, 3, true), "1.234");
    }

    #[test]
    fn hours_rates_and_percentages() {
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(hours(720_000, 2), "720.00");
        assert_eq!(hours(1_234_500, 1), "1,234.5");
        assert_eq!(hours_decimals([720_000, 12_500], 2), 2);
        assert_eq!(hours_decimals([720_005], 2), 3);
        assert_eq!(rate(7_500, usd), "0.0075");
        assert_eq!(rate(5_000_000, usd), "5.00");
        assert_eq!(rate_plain(36_000), "0.036");
        assert_eq!(rate_decimals([36_000, 7_500], usd), 4);
        assert_eq!(rate_fixed(36_000, 4), "0.0360");
        assert_eq!(percent(1900), "19");
        assert_eq!(percent(2150), "21.5");
        assert_eq!(percent(725), "7.25");
    }
}
