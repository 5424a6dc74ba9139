//! Dunning: what happens when a prepaid wallet runs dry.
//!
//! A customer is in one of four states. `Good`: nothing to do (a low-balance
//! warning is sent once each time the balance falls to the customer's
//! threshold). `Grace`: the balance reached the suspension limit; the customer
//! has `grace_hours` to pay. `Suspended`: grace ran out; the customer's
//! servers are powered off, still billed (they exist at the provider), and
//! warnings are sent on the configured days before termination. `Terminated`:
//! suspended for `terminate_after_days`; the servers are deleted. A balance
//! back above the limit returns the customer to `Good` and, if suspended,
//! releases the servers.
//!
//! [`step`] is the whole policy as a pure function of the current state, the
//! balance and the time; the billing engine stores the state and turns the
//! returned [`DunningAction`] into a recorded decision the app carries out.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// The longest grace period a reseller may set (a year).
pub const MAX_GRACE_HOURS: i64 = 24 * 366;
/// The longest a customer may stay suspended before termination (a year).
pub const MAX_TERMINATE_AFTER_DAYS: i64 = 366;
/// The most termination warning days.
pub const MAX_TERMINATION_WARNINGS: usize = 10;
/// The largest low-balance threshold or suspension limit, either sign, in
/// major units: anything beyond is a typo.
pub const MAX_THRESHOLD_MAJOR: i64 = 1_000_000;

/// `t + d`, or the last representable time when that overflows: a policy
/// read from an old database may hold any number, and the scheduler must
/// never panic on it ("never" is the honest answer to a far-off deadline).
fn later(t: Timestamp, d: Duration) -> Timestamp {
    t.checked_add_signed(d)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}

/// `t - d`, or the first representable time when that overflows.
fn earlier(t: Timestamp, d: Duration) -> Timestamp {
    t.checked_sub_signed(d)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
}

/// When a grace period that started at `since` ends, without overflowing.
pub fn grace_end(since: Timestamp, grace_hours: i64) -> Timestamp {
    later(since, in_hours(grace_hours))
}

fn in_hours(h: i64) -> Duration {
    Duration::try_hours(h).unwrap_or(if h < 0 { Duration::MIN } else { Duration::MAX })
}

fn in_days(d: i64) -> Duration {
    Duration::try_days(d).unwrap_or(if d < 0 { Duration::MIN } else { Duration::MAX })
}

/// The thresholds, all settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DunningPolicy {
    /// Warn when the balance falls to this (minor units).
    pub low_balance_threshold_minor: i64,
    /// The limit: at or below it the grace period starts (minor units).
    pub suspend_at_minor: i64,
    pub grace_hours: i64,
    pub terminate_after_days: i64,
    /// Days before termination on which a warning is sent, e.g. `[7, 3, 1]`.
    pub termination_warning_days: Vec<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DunningState {
    Good,
    Grace { since: Timestamp },
    Suspended { since: Timestamp },
    Terminated { at: Timestamp },
}

impl DunningState {
    pub fn as_str(&self) -> &'static str {
        match self {
            DunningState::Good => "good",
            DunningState::Grace { .. } => "grace",
            DunningState::Suspended { .. } => "suspended",
            DunningState::Terminated { .. } => "terminated",
        }
    }
}

/// A customer's dunning record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerDunning {
    pub state: DunningState,
    /// A low-balance warning was sent and the balance has not recovered since.
    pub low_warned: bool,
    /// How many termination warnings were sent in the current suspension.
    pub termination_warnings_sent: u32,
}

impl Default for CustomerDunning {
    fn default() -> Self {
        CustomerDunning {
            state: DunningState::Good,
            low_warned: false,
            termination_warnings_sent: 0,
        }
    }
}

/// Something to tell the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
pub enum Notice {
    LowBalance {
        balance_minor: i64,
        threshold_minor: i64,
    },
    GraceStarted {
        balance_minor: i64,
        suspend_at: Timestamp,
    },
    Suspended {
        balance_minor: i64,
        terminate_at: Timestamp,
    },
    TerminationWarning {
        balance_minor: i64,
        terminate_at: Timestamp,
        days_left: i64,
    },
    Terminated {
        balance_minor: i64,
    },
    Restored {
        balance_minor: i64,
    },
}

impl Notice {
    pub fn kind(&self) -> &'static str {
        match self {
            Notice::LowBalance { .. } => "low_balance",
            Notice::GraceStarted { .. } => "grace_started",
            Notice::Suspended { .. } => "suspended",
            Notice::TerminationWarning { .. } => "termination_warning",
            Notice::Terminated { .. } => "terminated",
            Notice::Restored { .. } => "restored",
        }
    }
}

/// What the app must do to the customer's servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DunningAction {
    Suspend,
    Unsuspend,
    Terminate,
}

impl DunningAction {
    pub fn as_str(&self) -> &'static str {
        match self {
            DunningAction::Suspend => "suspend",
            DunningAction::Unsuspend => "unsuspend",
            DunningAction::Terminate => "terminate",
        }
    }

    pub fn parse(s: &str) -> Option<DunningAction> {
        [
            DunningAction::Suspend,
            DunningAction::Unsuspend,
            DunningAction::Terminate,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// The outcome of one evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub next: CustomerDunning,
    pub notices: Vec<Notice>,
    pub action: Option<DunningAction>,
}

/// Evaluates the policy at `now` for a customer whose balance is `balance_minor`.
pub fn step(
    current: CustomerDunning,
    balance_minor: i64,
    policy: &DunningPolicy,
    now: Timestamp,
) -> Step {
    let mut next = current;
    let mut notices = Vec::new();
    let mut action = None;
    let above_limit = balance_minor > policy.suspend_at_minor;

    if balance_minor <= policy.low_balance_threshold_minor {
        if !next.low_warned && above_limit {
            notices.push(Notice::LowBalance {
                balance_minor,
                threshold_minor: policy.low_balance_threshold_minor,
            });
        }
        next.low_warned = true;
    } else {
        next.low_warned = false;
    }

    let grace = in_hours(policy.grace_hours);
    let terminate_after = in_days(policy.terminate_after_days);
    match current.state {
        DunningState::Good | DunningState::Terminated { .. } if above_limit => {
            next.state = DunningState::Good;
        }
        DunningState::Terminated { .. } => {}
        DunningState::Good => {
            next.state = DunningState::Grace { since: now };
            notices.push(Notice::GraceStarted {
                balance_minor,
                suspend_at: later(now, grace),
            });
            if policy.grace_hours <= 0 {
                return step(next, balance_minor, policy, now).merge_notices(notices);
            }
        }
        DunningState::Grace { .. } if above_limit => {
            next.state = DunningState::Good;
            notices.push(Notice::Restored { balance_minor });
        }
        DunningState::Grace { since } => {
            if now >= later(since, grace) {
                next.state = DunningState::Suspended { since: now };
                next.termination_warnings_sent = 0;
                action = Some(DunningAction::Suspend);
                notices.push(Notice::Suspended {
                    balance_minor,
                    terminate_at: later(now, terminate_after),
                });
            }
        }
        DunningState::Suspended { .. } if above_limit => {
            next.state = DunningState::Good;
            next.termination_warnings_sent = 0;
            action = Some(DunningAction::Unsuspend);
            notices.push(Notice::Restored { balance_minor });
        }
        DunningState::Suspended { since } => {
            let terminate_at = later(since, terminate_after);
            if now >= terminate_at {
                next.state = DunningState::Terminated { at: now };
                action = Some(DunningAction::Terminate);
                notices.push(Notice::Terminated { balance_minor });
            } else {
                let mut days: Vec<i64> = policy
                    .termination_warning_days
                    .iter()
                    .copied()
                    .filter(|d| *d > 0)
                    .collect();
                days.sort_unstable_by(|a, b| b.cmp(a));
                days.dedup();
                // How many warning days have been reached; send one warning
                // (the latest) when that count grew, however many were passed.
                let due = days
                    .iter()
                    .filter(|d| now >= earlier(terminate_at, in_days(**d)))
                    .count() as u32;
                if due > current.termination_warnings_sent {
                    let left = terminate_at - now;
                    let days_left = (left.num_hours() + 23) / 24;
                    notices.push(Notice::TerminationWarning {
                        balance_minor,
                        terminate_at,
                        days_left,
                    });
                    next.termination_warnings_sent = due;
                }
            }
        }
    }
    Step {
        next,
        notices,
        action,
    }
}

impl Step {
    fn merge_notices(mut self, mut before: Vec<Notice>) -> Step {
        before.append(&mut self.notices);
        self.notices = before;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn policy() -> DunningPolicy {
        DunningPolicy {
            low_balance_threshold_minor: 500,
            suspend_at_minor: 0,
            grace_hours: 48,
            terminate_after_days: 14,
            termination_warning_days: vec![7, 3, 1],
        }
    }

    #[test]
    fn walks_from_warning_to_termination_and_back() {
        let p = policy();
        let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let s = step(CustomerDunning::default(), 400, &p, t0);
        assert_eq!(s.notices.len(), 1);
        assert_eq!(s.notices[0].kind(), "low_balance");
        let again = step(s.next, 300, &p, t0);
        assert!(again.notices.is_empty(), "warned once per crossing");
        let g = step(again.next, 0, &p, t0);
        assert_eq!(g.next.state, DunningState::Grace { since: t0 });
        assert_eq!(step(g.next, -10, &p, t0 + Duration::hours(47)).action, None);
        let s = step(g.next, -10, &p, t0 + Duration::hours(48));
        assert_eq!(s.action, Some(DunningAction::Suspend));
        let suspended_at = t0 + Duration::hours(48);
        let w = step(s.next, -20, &p, suspended_at + Duration::days(6));
        assert!(w.notices.is_empty());
        let w = step(w.next, -20, &p, suspended_at + Duration::days(8));
        assert_eq!(
            w.notices,
            vec![Notice::TerminationWarning {
                balance_minor: -20,
                terminate_at: suspended_at + Duration::days(14),
                days_left: 6
            }]
        );
        let w = step(w.next, -20, &p, suspended_at + Duration::days(9));
        assert!(w.notices.is_empty(), "one warning per warning day");
        let w2 = step(w.next, -20, &p, suspended_at + Duration::days(12));
        assert_eq!(w2.notices.len(), 1);
        let t = step(w2.next, -20, &p, suspended_at + Duration::days(14));
        assert_eq!(t.action, Some(DunningAction::Terminate));
        let paid = step(w2.next, 1_000, &p, suspended_at + Duration::days(13));
        assert_eq!(paid.action, Some(DunningAction::Unsuspend));
        assert_eq!(paid.next.state, DunningState::Good);
    }

    #[test]
    fn huge_settings_never_overflow_a_date() {
        // The reproduction: 4294967295 hours of grace made the scheduler
        // panic on `DateTime + TimeDelta`.
        let p = DunningPolicy {
            grace_hours: i64::from(u32::MAX),
            terminate_after_days: i64::MAX,
            termination_warning_days: vec![i64::MAX, 1],
            ..policy()
        };
        let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let g = step(CustomerDunning::default(), -1, &p, t0);
        assert_eq!(g.next.state, DunningState::Grace { since: t0 });
        assert_eq!(g.action, None);
        let later = t0 + Duration::days(365 * 100);
        assert_eq!(step(g.next, -1, &p, later).action, None);
        let suspended = CustomerDunning {
            state: DunningState::Suspended { since: t0 },
            ..CustomerDunning::default()
        };
        let s = step(suspended, -1, &p, later);
        assert_eq!(s.action, None);
    }

    #[test]
    fn zero_grace_suspends_at_once() {
        let p = DunningPolicy {
            grace_hours: 0,
            ..policy()
        };
        let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let s = step(CustomerDunning::default(), -1, &p, t0);
        assert_eq!(s.action, Some(DunningAction::Suspend));
        assert_eq!(
            s.notices.iter().map(Notice::kind).collect::<Vec<_>>(),
            vec!["grace_started", "suspended"]
        );
    }
}
