//! Hourly metering with a monthly cap, as pure arithmetic on hour indices.
//!
//! An *hour index* is the number of whole UTC hours since 1970-01-01T00:00Z, so
//! hour `h` covers `[h·3600 s, (h+1)·3600 s)`. A billable thing (a server, a
//! backup add-on, an extra IPv4 address: a *meter*) is charged for every hour
//! in which it existed for some positive time: the hour it was created in, and
//! the hour it was deleted in unless the deletion fell exactly on the hour.
//!
//! The charge of one hour is its hourly rate, cut so that the meter's charges
//! within one UTC calendar month never exceed the monthly price in effect for
//! that hour: `charge = min(rate, max(0, cap − charged_so_far_this_month))`.
//! After a resize the new, higher or lower, cap applies to the month's running
//! total, so a month's total never exceeds the highest cap in effect in it.
//!
//! [`bill_hours`] walks a meter from its watermark (the last hour billed) to a
//! target hour and returns the *intervals* to add: contiguous hours at one
//! price within one month, which is exactly one invoice line. It also splits
//! the amounts per UTC day for the ledger. This module does no I/O and never
//! reads the clock.

use chrono::{Datelike, TimeZone, Utc};

use crate::Timestamp;

/// Whole UTC hours since the Unix epoch.
pub type Hour = i64;

const SECONDS_PER_HOUR: i64 = 3600;

/// The hour a timestamp falls in.
pub fn hour_of(t: Timestamp) -> Hour {
    t.timestamp().div_euclid(SECONDS_PER_HOUR)
}

/// The first instant of an hour.
pub fn hour_start(h: Hour) -> Timestamp {
    Utc.timestamp_opt(h * SECONDS_PER_HOUR, 0)
        .single()
        .unwrap_or_default()
}

/// The first hour a thing created at `t` is charged for.
pub fn first_billable_hour(created_at: Timestamp) -> Hour {
    hour_of(created_at)
}

/// The last hour a thing deleted at `t` is charged for: the hour of deletion
/// if it had started (any time at all spent in it), else the hour before.
pub fn last_billable_hour(deleted_at: Timestamp) -> Hour {
    let h = hour_of(deleted_at);
    if hour_start(h) == deleted_at {
        h - 1
    } else {
        h
    }
}

/// The newest hour that is over at `now` and may therefore be billed.
pub fn last_complete_hour(now: Timestamp) -> Hour {
    hour_of(now) - 1
}

/// The first hour that starts at or after `t`: a change made at `t` (a
/// resize, an applied price change) takes effect from this hour on, so the
/// hour in progress keeps the old rate.
pub fn next_hour_after(t: Timestamp) -> Hour {
    hour_of(t) + 1
}

/// A UTC calendar month as `year * 12 + (month - 1)`.
pub type Month = i64;

pub fn month_of_hour(h: Hour) -> Month {
    let t = hour_start(h);
    i64::from(t.year()) * 12 + i64::from(t.month0())
}

pub fn month_of(t: Timestamp) -> Month {
    i64::from(t.year()) * 12 + i64::from(t.month0())
}

/// (year, month 1–12) of a month index.
pub fn month_parts(m: Month) -> (i32, u32) {
    (m.div_euclid(12) as i32, m.rem_euclid(12) as u32 + 1)
}

pub fn month_index(year: i32, month: u32) -> Month {
    i64::from(year) * 12 + i64::from(month) - 1
}

pub fn month_start(m: Month) -> Timestamp {
    let (y, mo) = month_parts(m);
    Utc.with_ymd_and_hms(y, mo, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// The first hour of a month.
pub fn month_first_hour(m: Month) -> Hour {
    hour_of(month_start(m))
}

/// The last hour of a month.
pub fn month_last_hour(m: Month) -> Hour {
    month_first_hour(m + 1) - 1
}

/// Days since the epoch (UTC) of the day an hour falls in.
pub fn day_of_hour(h: Hour) -> i64 {
    h.div_euclid(24)
}

/// The price of a meter from `from_hour` on (until the next one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeterPrice {
    pub from_hour: Hour,
    pub hourly_micros: i64,
    pub monthly_micros: i64,
}

/// Where a meter's billing stands: the last hour billed and the running total
/// of the month that hour is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watermark {
    pub last_hour: Hour,
    pub month_to_date_micros: i64,
}

/// Hours to add to one interval (one month, one price).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntervalDelta {
    pub month: Month,
    pub price_from_hour: Hour,
    pub hourly_micros: i64,
    pub monthly_micros: i64,
    pub first_hour: Hour,
    pub last_hour: Hour,
    pub hours: i64,
    pub capped_hours: i64,
    pub amount_micros: i64,
    /// The meter's month total after `last_hour`.
    pub month_to_date_micros: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeteringError {
    #[error("hour {0} has no price: the meter's first price starts later; record the price the server was created with")]
    NoPrice(Hour),
}

/// Usage of one UTC day: (days since the epoch, micro-units).
pub type DayAmount = (i64, i64);

/// Bills hours `from.last_hour + 1 ..= through` of a meter whose prices are
/// `prices` (sorted by `from_hour`). Returns the intervals to add, in order,
/// and the amounts per day `(day, micros)`, in order.
pub fn bill_hours(
    from: Watermark,
    prices: &[MeterPrice],
    through: Hour,
) -> Result<(Vec<IntervalDelta>, Vec<DayAmount>), MeteringError> {
    let (mut out, mut days) = (Vec::new(), Vec::new());
    bill_hours_into(from, prices, through, &mut out, &mut days)?;
    Ok((out, days))
}

/// [`bill_hours`] into buffers the caller reuses (the billing run bills
/// every meter with the same two): `out` and `days` are cleared first.
pub fn bill_hours_into(
    from: Watermark,
    prices: &[MeterPrice],
    through: Hour,
    out: &mut Vec<IntervalDelta>,
    days: &mut Vec<DayAmount>,
) -> Result<(), MeteringError> {
    debug_assert!(
        prices.windows(2).all(|w| w[0].from_hour < w[1].from_hour),
        "prices sorted"
    );
    out.clear();
    days.clear();
    let mut mark = from;
    let mut month = month_of_hour(from.last_hour);
    let mut h = from.last_hour + 1;
    while h <= through {
        let m = month_of_hour(h);
        if m != month {
            month = m;
            mark.month_to_date_micros = 0;
        }
        let price = prices
            .iter()
            .rev()
            .find(|p| p.from_hour <= h)
            .ok_or(MeteringError::NoPrice(h))?;
        let room = (price.monthly_micros - mark.month_to_date_micros).max(0);
        let charge = price.hourly_micros.min(room);
        mark.month_to_date_micros += charge;
        mark.last_hour = h;
        let capped = i64::from(charge < price.hourly_micros);
        match out.last_mut() {
            Some(last)
                if last.month == m
                    && last.price_from_hour == price.from_hour
                    && last.last_hour + 1 == h =>
            {
                last.last_hour = h;
                last.hours += 1;
                last.capped_hours += capped;
                last.amount_micros += charge;
                last.month_to_date_micros = mark.month_to_date_micros;
            }
            _ => out.push(IntervalDelta {
                month: m,
                price_from_hour: price.from_hour,
                hourly_micros: price.hourly_micros,
                monthly_micros: price.monthly_micros,
                first_hour: h,
                last_hour: h,
                hours: 1,
                capped_hours: capped,
                amount_micros: charge,
                month_to_date_micros: mark.month_to_date_micros,
            }),
        }
        let d = day_of_hour(h);
        match days.last_mut() {
            Some((day, micros)) if *day == d => *micros += charge,
            _ => days.push((d, charge)),
        }
        h += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Timestamp {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn started_hours_are_billable() {
        let created = ts(2026, 1, 31, 10, 30);
        assert_eq!(
            hour_start(first_billable_hour(created)),
            ts(2026, 1, 31, 10, 0)
        );
        assert_eq!(
            hour_start(last_billable_hour(ts(2026, 2, 20, 14, 20))),
            ts(2026, 2, 20, 14, 0)
        );
        assert_eq!(
            hour_start(last_billable_hour(ts(2026, 2, 20, 14, 0))),
            ts(2026, 2, 20, 13, 0)
        );
        assert_eq!(
            hour_start(next_hour_after(ts(2026, 2, 3, 9, 15))),
            ts(2026, 2, 3, 10, 0)
        );
        assert_eq!(month_parts(month_of(ts(2026, 2, 3, 0, 0))), (2026, 2));
        assert_eq!(
            month_last_hour(month_index(2026, 2)) - month_first_hour(month_index(2026, 2)) + 1,
            28 * 24
        );
    }

    #[test]
    fn the_cap_cuts_the_hour_that_reaches_it_and_resets_each_month() {
        let jan = month_index(2026, 1);
        let start = month_first_hour(jan);
        let prices = [MeterPrice {
            from_hour: start,
            hourly_micros: 10_000,
            monthly_micros: 5_005_000,
        }];
        let (iv, days) = bill_hours(
            Watermark {
                last_hour: start - 1,
                month_to_date_micros: 0,
            },
            &prices,
            month_first_hour(jan + 1) + 1,
        )
        .unwrap();
        assert_eq!(iv.len(), 2);
        assert_eq!(iv[0].hours, 744);
        assert_eq!(iv[0].amount_micros, 5_005_000);
        // 500 full hours, one hour of 5 000 micros, then 243 hours of nothing.
        assert_eq!(iv[0].capped_hours, 244);
        assert_eq!(
            (iv[1].hours, iv[1].amount_micros, iv[1].month),
            (2, 20_000, jan + 1)
        );
        assert_eq!(days.len(), 32);
        assert_eq!(days.iter().map(|d| d.1).sum::<i64>(), 5_025_000);
    }

    proptest::proptest! {
        /// Billing hour by hour, or in arbitrary steps, or all at once gives
        /// the same intervals, amounts and daily split: catch-up equals live.
        #[test]
        fn billing_in_steps_equals_billing_at_once(
            steps in proptest::collection::vec(1i64..400, 1..12),
            rates in proptest::collection::vec((1i64..40_000, 1i64..30_000_000, 0i64..2_000), 1..4),
        ) {
            let start = hour_of(ts(2026, 1, 20, 5, 0));
            let mut prices = Vec::new();
            let mut from = start;
            for (h, m, gap) in rates {
                prices.push(MeterPrice { from_hour: from, hourly_micros: h, monthly_micros: m });
                from += gap + 1;
            }
            let through = start + steps.iter().sum::<i64>() - 1;
            let (all, all_days) = bill_hours(Watermark { last_hour: start - 1, month_to_date_micros: 0 }, &prices, through).unwrap();
            let mut mark = Watermark { last_hour: start - 1, month_to_date_micros: 0 };
            let mut merged: Vec<IntervalDelta> = Vec::new();
            let mut days: Vec<DayAmount> = Vec::new();
            for s in steps {
                let (iv, d) = bill_hours(mark, &prices, mark.last_hour + s).unwrap();
                for x in iv {
                    match merged.last_mut() {
                        Some(l) if l.month == x.month && l.price_from_hour == x.price_from_hour => {
                            l.last_hour = x.last_hour;
                            l.hours += x.hours;
                            l.capped_hours += x.capped_hours;
                            l.amount_micros += x.amount_micros;
                            l.month_to_date_micros = x.month_to_date_micros;
                        }
                        _ => merged.push(x),
                    }
                    let l = merged.last().unwrap();
                    mark = Watermark { last_hour: l.last_hour, month_to_date_micros: l.month_to_date_micros };
                }
                for (day, m) in d {
                    match days.last_mut() {
                        Some((dd, mm)) if *dd == day => *mm += m,
                        _ => days.push((day, m)),
                    }
                }
            }
            proptest::prop_assert_eq!(merged, all);
            proptest::prop_assert_eq!(days, all_days);
        }
    }

    #[test]
    fn a_new_price_starts_a_new_interval() {
        let h0 = hour_of(ts(2026, 2, 3, 0, 0));
        let prices = [
            MeterPrice {
                from_hour: h0 - 10,
                hourly_micros: 7_500,
                monthly_micros: 5_000_000,
            },
            MeterPrice {
                from_hour: h0 + 2,
                hourly_micros: 15_000,
                monthly_micros: 10_000_000,
            },
        ];
        let (iv, _) = bill_hours(
            Watermark {
                last_hour: h0 - 1,
                month_to_date_micros: 100,
            },
            &prices,
            h0 + 3,
        )
        .unwrap();
        assert_eq!(iv.len(), 2);
        assert_eq!((iv[0].hours, iv[0].amount_micros), (2, 15_000));
        assert_eq!(
            (iv[1].hours, iv[1].amount_micros, iv[1].month_to_date_micros),
            (2, 30_000, 45_100)
        );
        assert!(bill_hours(
            Watermark {
                last_hour: h0 - 20,
                month_to_date_micros: 0
            },
            &prices,
            h0
        )
        .is_err());
    }
}
