//! Time, passed in. Nothing in the domain reads the system clock: the shells
//! hand a [`Clock`] to the façade, and tests hand it a [`FixedClock`] they move
//! by hand.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// A point in time, always UTC.
pub type Timestamp = DateTime<Utc>;

/// The source of "now" for everything that needs it.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// A clock that only moves when told to; the test clock of billing scenarios.
#[derive(Debug)]
pub struct FixedClock(Mutex<Timestamp>);

impl FixedClock {
    pub fn new(at: Timestamp) -> Self {
        FixedClock(Mutex::new(at))
    }

    pub fn set(&self, at: Timestamp) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let start = Utc.with_ymd_and_hms(2026, 1, 31, 10, 30, 0).unwrap();
        let clock = FixedClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::hours(1));
        assert_eq!(
            clock.now(),
            Utc.with_ymd_and_hms(2026, 1, 31, 11, 30, 0).unwrap()
        );
    }
}
