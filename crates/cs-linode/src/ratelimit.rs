//! Client-side token buckets, one per Linode rate-limit class, so the client slows itself
//! down before Linode answers 429.
//!
//! Buckets use `tokio::time`, so tests with a paused clock run instantly. They only pace
//! this process: other programs using the same token still share Linode's budget, which
//! is why 429 + `Retry-After` is honoured as well.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// The documented per-token limit classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitClass {
    /// `POST /linode/instances`: 20 per 15 s.
    CreateInstance,
    /// `GET /linode/instances/{id}/stats`: 50 per minute.
    Stats,
    /// Paginated collection `GET`s: 200 per minute.
    PaginatedGet,
    /// Everything else: 1600 per minute.
    Other,
}

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
    pub create_instance: Limit,
    pub stats: Limit,
    pub paginated_get: Limit,
    pub other: Limit,
}

impl Default for RateLimits {
    /// Linode's documented limits.
    fn default() -> Self {
        RateLimits {
            create_instance: Limit::new(20, Duration::from_secs(15)),
            stats: Limit::new(50, Duration::from_secs(60)),
            paginated_get: Limit::new(200, Duration::from_secs(60)),
            other: Limit::new(1600, Duration::from_secs(60)),
        }
    }
}

#[derive(Debug)]
struct Bucket {
    limit: Limit,
    available: u32,
    last_refill: Instant,
}

impl Bucket {
    fn new(limit: Limit) -> Self {
        Bucket {
            limit,
            available: limit.capacity,
            last_refill: Instant::now(),
        }
    }

    /// Time for one token to come back.
    fn interval(&self) -> Duration {
        self.limit.window / self.limit.capacity.max(1)
    }

    fn refill(&mut self, now: Instant) {
        let interval = self.interval();
        if interval.is_zero() {
            self.available = self.limit.capacity;
            self.last_refill = now;
            return;
        }
        let elapsed = now.saturating_duration_since(self.last_refill);
        let earned = (elapsed.as_nanos() / interval.as_nanos()) as u64;
        if earned == 0 {
            return;
        }
        let new = (u64::from(self.available) + earned).min(u64::from(self.limit.capacity));
        self.available = new as u32;
        if self.available == self.limit.capacity {
            self.last_refill = now;
        } else {
            self.last_refill += interval * (earned as u32);
        }
    }

    /// Takes a token, or says how long to wait for the next one.
    fn try_take(&mut self, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        if self.available > 0 {
            self.available -= 1;
            Ok(())
        } else {
            Err((self.last_refill + self.interval())
                .saturating_duration_since(now)
                .max(Duration::from_millis(1)))
        }
    }
}

/// The four buckets.
#[derive(Debug)]
pub(crate) struct Limiter {
    create: Mutex<Bucket>,
    stats: Mutex<Bucket>,
    paginated: Mutex<Bucket>,
    other: Mutex<Bucket>,
}

impl Limiter {
    pub(crate) fn new(limits: RateLimits) -> Self {
        Limiter {
            create: Mutex::new(Bucket::new(limits.create_instance)),
            stats: Mutex::new(Bucket::new(limits.stats)),
            paginated: Mutex::new(Bucket::new(limits.paginated_get)),
            other: Mutex::new(Bucket::new(limits.other)),
        }
    }

    /// Waits until a request of `class` may be sent.
    pub(crate) async fn acquire(&self, class: LimitClass) {
        let bucket = match class {
            LimitClass::CreateInstance => &self.create,
            LimitClass::Stats => &self.stats,
            LimitClass::PaginatedGet => &self.paginated,
            LimitClass::Other => &self.other,
        };
        loop {
            let wait = {
                let mut b = bucket.lock().await;
                match b.try_take(Instant::now()) {
                    Ok(()) => return,
                    Err(wait) => wait,
                }
            };
            tracing::debug!(
                ?class,
                wait_ms = wait.as_millis() as u64,
                "pacing to stay under the Linode rate limit"
            );
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn bucket_paces_to_the_documented_create_limit() {
        let limiter = Limiter::new(RateLimits::default());
        let start = Instant::now();
        for _ in 0..20 {
            limiter.acquire(LimitClass::CreateInstance).await;
        }
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "a full bucket lets a burst of 20 through"
        );
        limiter.acquire(LimitClass::CreateInstance).await;
        // One token comes back every 15 s / 20 = 750 ms.
        assert_eq!(start.elapsed(), Duration::from_millis(750));
        for _ in 0..20 {
            limiter.acquire(LimitClass::CreateInstance).await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(750 * 21));
        // Other classes are independent.
        let t = Instant::now();
        limiter.acquire(LimitClass::Other).await;
        assert_eq!(t.elapsed(), Duration::ZERO);
    }
}
