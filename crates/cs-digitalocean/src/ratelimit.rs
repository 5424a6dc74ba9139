//! Rate limits: the client paces itself to DigitalOcean's documented limits (5,000
//! requests an hour and 250 a minute per token) and keeps account of what DigitalOcean
//! says in every answer's `ratelimit-limit`, `ratelimit-remaining` and `ratelimit-reset`.
//!
//! DigitalOcean counts each request for one hour after it was made (there is no fixed
//! window), so the pacing keeps the send times of the last hour and the last minute and
//! waits for the oldest to expire, exactly as the API does. The pacing only knows this
//! process's requests: other programs using the same token share the budget, which is
//! why the headers (and 429 with `retry-after`) are honoured as well. Waits use
//! `tokio::time`, so tests with a paused clock run instantly.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Mutex;
use tokio::time::Instant;

/// `capacity` requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub capacity: u32,
    pub window: Duration,
}

impl Limit {
    pub const fn new(capacity: u32, window: Duration) -> Self {
        Limit { capacity, window }
    }
}

/// The limits the client paces itself to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub hourly: Limit,
    pub burst: Limit,
}

impl Default for RateLimits {
    /// DigitalOcean's documented limits.
    fn default() -> Self {
        RateLimits {
            hourly: Limit::new(5000, Duration::from_secs(3600)),
            burst: Limit::new(250, Duration::from_secs(60)),
        }
    }
}

/// What DigitalOcean last said about the token's budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitStatus {
    /// Requests allowed per hour (`ratelimit-limit`).
    pub limit: u32,
    /// Requests left before DigitalOcean answers 429 (`ratelimit-remaining`).
    pub remaining: u32,
    /// When the oldest counted request expires (`ratelimit-reset`).
    pub reset: DateTime<Utc>,
}

impl RateLimitStatus {
    /// Reads the three headers; `None` when any is missing or malformed.
    pub fn from_headers(headers: &reqwest::header::HeaderMap) -> Option<RateLimitStatus> {
        let num = |name: &str| -> Option<i64> {
            headers.get(name)?.to_str().ok()?.trim().parse::<i64>().ok()
        };
        Some(RateLimitStatus {
            limit: u32::try_from(num("ratelimit-limit")?).ok()?,
            remaining: u32::try_from(num("ratelimit-remaining")?).ok()?,
            reset: DateTime::from_timestamp(num("ratelimit-reset")?, 0)?,
        })
    }
}

#[derive(Debug)]
struct Window {
    limit: Limit,
    sent: VecDeque<Instant>,
}

impl Window {
    fn new(limit: Limit) -> Self {
        Window {
            limit,
            sent: VecDeque::new(),
        }
    }

    /// Forgets expired sends; how long until one more may be sent.
    fn wait(&mut self, now: Instant) -> Duration {
        while self
            .sent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.limit.window)
        {
            self.sent.pop_front();
        }
        if (self.sent.len() as u32) < self.limit.capacity.max(1) {
            return Duration::ZERO;
        }
        let oldest = *self.sent.front().expect("full window is not empty");
        (oldest + self.limit.window).saturating_duration_since(now)
    }
}

/// The two sliding windows.
#[derive(Debug)]
pub(crate) struct Limiter {
    windows: Mutex<(Window, Window)>,
}

impl Limiter {
    pub(crate) fn new(limits: RateLimits) -> Self {
        Limiter {
            windows: Mutex::new((Window::new(limits.hourly), Window::new(limits.burst))),
        }
    }

    /// Waits until a request may be sent under both limits, and counts it.
    pub(crate) async fn acquire(&self) {
        loop {
            let wait = {
                let mut w = self.windows.lock().await;
                let now = Instant::now();
                let wait = w.0.wait(now).max(w.1.wait(now));
                if wait.is_zero() {
                    w.0.sent.push_back(now);
                    w.1.sent.push_back(now);
                    return;
                }
                wait
            };
            tracing::debug!(
                wait_ms = wait.as_millis() as u64,
                "pacing to stay under the DigitalOcean rate limit"
            );
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn paces_to_the_burst_limit_then_the_hourly_budget() {
        let limiter = Limiter::new(RateLimits::default());
        let start = Instant::now();
        for _ in 0..250 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO, "250 go out at once");
        limiter.acquire().await;
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(60),
            "the 251st waits for the first to leave the minute"
        );
        // Keep sending: each minute lets 250 more through until 5,000 in the hour.
        for _ in 0..(5000 - 251) {
            limiter.acquire().await;
        }
        let at_5000 = start.elapsed();
        assert_eq!(at_5000, Duration::from_secs(60 * 19));
        limiter.acquire().await;
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(3600),
            "the 5,001st waits for the first request's hour to pass"
        );
    }

    #[test]
    fn reads_the_headers() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("ratelimit-limit", "5000".parse().unwrap());
        h.insert("ratelimit-remaining", "4816".parse().unwrap());
        h.insert("ratelimit-reset", "1444931833".parse().unwrap());
        let s = RateLimitStatus::from_headers(&h).unwrap();
        assert_eq!((s.limit, s.remaining), (5000, 4816));
        assert_eq!(s.reset.timestamp(), 1_444_931_833);
        h.remove("ratelimit-reset");
        assert_eq!(RateLimitStatus::from_headers(&h), None);
    }
}
