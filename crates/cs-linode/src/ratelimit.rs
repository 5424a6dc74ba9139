//! Client-side token buckets, so the client slows itself down before Linode answers 429:
//! one per documented rate-limit class (the built-in budgets), and one per route learned
//! from the `X-RateLimit-*` headers of Linode's answers (its real limit for that
//! operation, what is left of the window and when it resets).
//!
//! Buckets use `tokio::time`, so tests with a paused clock run instantly. They only pace
//! this process: other programs using the same token still share Linode's budget, which
//! is why 429s are honoured as well (`Retry-After`, else the reset, else backoff).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
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

impl RateLimits {
    fn of(&self, class: LimitClass) -> Limit {
        match class {
            LimitClass::CreateInstance => self.create_instance,
            LimitClass::Stats => self.stats,
            LimitClass::PaginatedGet => self.paginated_get,
            LimitClass::Other => self.other,
        }
    }
}

/// What an answer says about the rate limit: Linode documents `X-RateLimit-Limit`,
/// `X-RateLimit-Remaining`, `X-RateLimit-Reset` (epoch seconds) and `Retry-After`; real
/// answers often carry only `X-RateLimit-Limit`, 429s included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RateHeaders {
    /// Requests allowed per window on this endpoint.
    pub limit: Option<u32>,
    /// Requests left in the current window.
    pub remaining: Option<u32>,
    /// Time until the current window resets.
    pub reset_in: Option<Duration>,
    /// `Retry-After`, in seconds or as an HTTP date.
    pub retry_after: Option<Duration>,
}

impl RateHeaders {
    /// Reads the headers; `now` turns the epoch-second reset and a dated `Retry-After` into
    /// waits. Values that do not parse are ignored.
    pub fn read(headers: &HeaderMap, now: SystemTime) -> Self {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let number = |name: &str| text(name).and_then(|v| v.parse::<u64>().ok());
        let now_unix = now.duration_since(UNIX_EPOCH).unwrap_or_default();
        let reset_in = text("X-RateLimit-Reset")
            // Epoch seconds; a fractional part, if any, is dropped.
            .and_then(|v| v.split('.').next()?.parse::<u64>().ok())
            .map(|epoch| Duration::from_secs(epoch).saturating_sub(now_unix));
        let retry_after = text("Retry-After").and_then(|v| match v.parse::<u64>() {
            Ok(secs) => Some(Duration::from_secs(secs)),
            Err(_) => {
                let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
                let at = Duration::from_secs(u64::try_from(at.timestamp()).ok()?);
                Some(at.saturating_sub(now_unix))
            }
        });
        RateHeaders {
            limit: number("X-RateLimit-Limit").and_then(|v| u32::try_from(v).ok()),
            remaining: number("X-RateLimit-Remaining").and_then(|v| u32::try_from(v).ok()),
            reset_in,
            retry_after,
        }
    }

    /// How long a 429 asks the client to wait, when it says: `Retry-After`, else the reset.
    pub fn wait_hint(&self) -> Option<Duration> {
        self.retry_after.or(self.reset_in)
    }
}

/// The key of a route's learned bucket: the method and the path with ids, addresses and
/// image ids replaced, so `GET /linode/instances/123` and `…/456` share one limit, as at
/// Linode, where each operation has its own.
pub(crate) fn route_key(method: &str, path: &str) -> String {
    let mut key = String::with_capacity(method.len() + path.len() + 1);
    key.push_str(method);
    key.push(' ');
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        key.push('/');
        let id = seg.bytes().all(|b| b.is_ascii_digit()) || seg.contains(['.', ':', '%']);
        key.push_str(if id { "{id}" } else { seg });
    }
    key
}

#[derive(Debug)]
struct Bucket {
    limit: Limit,
    available: u32,
    last_refill: Instant,
    /// Nothing is let through before this; then `after_block` tokens are available.
    blocked_until: Option<Instant>,
    after_block: u32,
}

impl Bucket {
    fn new(limit: Limit) -> Self {
        Bucket {
            limit,
            available: limit.capacity,
            last_refill: Instant::now(),
            blocked_until: None,
            after_block: 0,
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
        if let Some(until) = self.blocked_until {
            if now < until {
                return Err(until - now);
            }
            self.blocked_until = None;
            self.available = self.after_block.min(self.limit.capacity);
            self.last_refill = until;
        }
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

    /// Lets nothing through until `until` (a later block wins), then `then` tokens.
    fn block(&mut self, until: Instant, then: u32) {
        if self.blocked_until.is_none_or(|b| b < until) {
            self.blocked_until = Some(until);
            self.after_block = then;
        }
        self.available = 0;
    }

    /// Takes what an answer said: the endpoint's limit, what is left, when it resets (a
    /// reset further away than `max_wait` is taken as clock skew and cut to it).
    fn learn(&mut self, h: &RateHeaders, now: Instant, max_wait: Duration) {
        if let Some(limit) = h.limit.filter(|l| *l > 0) {
            if limit != self.limit.capacity {
                self.refill(now);
                self.limit.capacity = limit;
                self.available = self.available.min(limit);
            }
        }
        if let Some(remaining) = h.remaining {
            self.refill(now);
            self.available = self.available.min(remaining);
            if remaining == 0 {
                // The window frees no request before it resets.
                if let Some(reset_in) = h.reset_in {
                    self.block(now + reset_in.min(max_wait), self.limit.capacity);
                }
            }
        }
    }
}

/// The four class buckets (the documented budgets, configurable), and one bucket per route
/// learned from Linode's answers: each route is paced both by its class and by the limit,
/// the remaining count and the reset Linode reports for it.
#[derive(Debug)]
pub(crate) struct Limiter {
    limits: RateLimits,
    /// The longest reset the limiter waits for (the client's `max_retry_after`).
    max_reset_wait: Duration,
    create: Mutex<Bucket>,
    stats: Mutex<Bucket>,
    paginated: Mutex<Bucket>,
    other: Mutex<Bucket>,
    routes: Mutex<HashMap<String, Arc<Mutex<Bucket>>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Buckets hold plain numbers: a panic elsewhere leaves nothing half-updated.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Limiter {
    pub(crate) fn new(limits: RateLimits, max_reset_wait: Duration) -> Self {
        Limiter {
            limits,
            max_reset_wait,
            create: Mutex::new(Bucket::new(limits.create_instance)),
            stats: Mutex::new(Bucket::new(limits.stats)),
            paginated: Mutex::new(Bucket::new(limits.paginated_get)),
            other: Mutex::new(Bucket::new(limits.other)),
            routes: Mutex::new(HashMap::new()),
        }
    }

    fn class_bucket(&self, class: LimitClass) -> &Mutex<Bucket> {
        match class {
            LimitClass::CreateInstance => &self.create,
            LimitClass::Stats => &self.stats,
            LimitClass::PaginatedGet => &self.paginated,
            LimitClass::Other => &self.other,
        }
    }

    fn route(&self, route: &str) -> Option<Arc<Mutex<Bucket>>> {
        lock(&self.routes).get(route).cloned()
    }

    /// The route's bucket, made on first use with `limit` (else the class's budget), and
    /// whether it was made now.
    fn route_or_new(
        &self,
        class: LimitClass,
        route: &str,
        limit: Option<u32>,
    ) -> (Arc<Mutex<Bucket>>, bool) {
        let mut routes = lock(&self.routes);
        if let Some(b) = routes.get(route) {
            return (b.clone(), false);
        }
        let mut l = self.limits.of(class);
        if let Some(capacity) = limit.filter(|c| *c > 0) {
            l.capacity = capacity;
        }
        let b = Arc::new(Mutex::new(Bucket::new(l)));
        routes.insert(route.to_owned(), b.clone());
        (b, true)
    }

    /// Waits until a request of `class` on `route` may be sent.
    pub(crate) async fn acquire(&self, class: LimitClass, route: &str) {
        take(self.class_bucket(class), class).await;
        if let Some(b) = self.route(route) {
            take(&b, class).await;
        }
    }

    /// Adjusts the route's bucket to what an answer's headers said.
    pub(crate) fn observe(&self, class: LimitClass, route: &str, h: &RateHeaders) {
        if h.limit.is_none() && h.remaining.is_none() {
            return;
        }
        let (bucket, fresh) = self.route_or_new(class, route, h.limit);
        let mut b = lock(&bucket);
        if fresh {
            // This answer's request already used one.
            b.available = b.available.saturating_sub(1);
        }
        b.learn(h, Instant::now(), self.max_reset_wait);
    }

    /// After a 429: nothing more on this route for `wait`, from any task of this client.
    pub(crate) fn hold(&self, class: LimitClass, route: &str, wait: Duration) {
        let (bucket, _) = self.route_or_new(class, route, None);
        lock(&bucket).block(Instant::now() + wait, 1);
    }
}

async fn take(bucket: &Mutex<Bucket>, class: LimitClass) {
    loop {
        let wait = match lock(bucket).try_take(Instant::now()) {
            Ok(()) => return,
            Err(wait) => wait,
        };
        tracing::debug!(
            ?class,
            wait_ms = wait.as_millis() as u64,
            "pacing to stay under the Linode rate limit"
        );
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTE: &str = "POST /linode/instances";

    #[tokio::test(start_paused = true)]
    async fn bucket_paces_to_the_documented_create_limit() {
        let limiter = Limiter::new(RateLimits::default(), Duration::from_secs(120));
        let start = Instant::now();
        for _ in 0..20 {
            limiter.acquire(LimitClass::CreateInstance, ROUTE).await;
        }
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "a full bucket lets a burst of 20 through"
        );
        limiter.acquire(LimitClass::CreateInstance, ROUTE).await;
        // One token comes back every 15 s / 20 = 750 ms.
        assert_eq!(start.elapsed(), Duration::from_millis(750));
        for _ in 0..20 {
            limiter.acquire(LimitClass::CreateInstance, ROUTE).await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(750 * 21));
        // Other classes are independent.
        let t = Instant::now();
        limiter.acquire(LimitClass::Other, "GET /profile").await;
        assert_eq!(t.elapsed(), Duration::ZERO);
    }

    fn limit(n: u32) -> RateHeaders {
        RateHeaders {
            limit: Some(n),
            ..RateHeaders::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_reported_limit_below_the_budget_paces_that_route_only() {
        let limiter = Limiter::new(RateLimits::default(), Duration::from_secs(120));
        // Recorded: Linode answered `X-RateLimit-Limit: 8` to creating a Linode, where the
        // documented budget is 20 per 15 s.
        limiter.observe(LimitClass::CreateInstance, ROUTE, &limit(8));
        let start = Instant::now();
        for _ in 0..7 {
            limiter.acquire(LimitClass::CreateInstance, ROUTE).await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO, "8 per window, one used");
        limiter.acquire(LimitClass::CreateInstance, ROUTE).await;
        assert_eq!(start.elapsed(), Duration::from_millis(15_000 / 8));
        // Another route of the class keeps the class budget.
        let t = Instant::now();
        limiter
            .acquire(
                LimitClass::CreateInstance,
                "POST /linode/instances/{id}/clone",
            )
            .await;
        assert_eq!(t.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_left_waits_for_the_reset_and_a_429_holds_the_route() {
        let limiter = Limiter::new(RateLimits::default(), Duration::from_secs(120));
        let route = "GET /images";
        limiter.observe(
            LimitClass::PaginatedGet,
            route,
            &RateHeaders {
                limit: Some(20),
                remaining: Some(0),
                reset_in: Some(Duration::from_secs(12)),
                retry_after: None,
            },
        );
        let start = Instant::now();
        limiter.acquire(LimitClass::PaginatedGet, route).await;
        assert_eq!(start.elapsed(), Duration::from_secs(12));
        // After the reset the window is whole again.
        for _ in 0..19 {
            limiter.acquire(LimitClass::PaginatedGet, route).await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(12));
        // A reset further away than the client waits for anything is clock skew: cut.
        limiter.observe(
            LimitClass::PaginatedGet,
            route,
            &RateHeaders {
                limit: Some(20),
                remaining: Some(0),
                reset_in: Some(Duration::from_secs(3600)),
                retry_after: None,
            },
        );
        let t = Instant::now();
        limiter.acquire(LimitClass::PaginatedGet, route).await;
        assert_eq!(t.elapsed(), Duration::from_secs(120));

        let t = Instant::now();
        limiter.hold(LimitClass::Other, "GET /profile", Duration::from_secs(3));
        limiter.acquire(LimitClass::Other, "GET /profile").await;
        assert_eq!(t.elapsed(), Duration::from_secs(3), "held after a 429");
    }

    #[test]
    fn routes_share_a_bucket_per_operation() {
        assert_eq!(
            route_key("GET", "/linode/instances/123/ips/192.0.2.7"),
            "GET /linode/instances/{id}/ips/{id}"
        );
        assert_eq!(
            route_key("GET", "/images/linode%2Fdebian12"),
            "GET /images/{id}"
        );
        assert_eq!(route_key("POST", "/linode/instances"), ROUTE);
    }

    #[test]
    fn headers_are_read_as_linode_documents_them() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit", "400".parse().unwrap());
        assert_eq!(RateHeaders::read(&h, now), limit(400));
        assert_eq!(RateHeaders::read(&h, now).wait_hint(), None);
        h.insert("X-RateLimit-Remaining", "0".parse().unwrap());
        h.insert("X-RateLimit-Reset", "1000007".parse().unwrap());
        let r = RateHeaders::read(&h, now);
        assert_eq!(
            (r.remaining, r.reset_in),
            (Some(0), Some(Duration::from_secs(7)))
        );
        assert_eq!(r.wait_hint(), Some(Duration::from_secs(7)));
        h.insert("Retry-After", "3".parse().unwrap());
        assert_eq!(
            RateHeaders::read(&h, now).wait_hint(),
            Some(Duration::from_secs(3)),
            "Retry-After comes first"
        );
        // An HTTP date works too; one in the past means now.
        h.insert(
            "Retry-After",
            "Mon, 12 Jan 1970 13:46:50 GMT".parse().unwrap(),
        );
        assert_eq!(
            RateHeaders::read(&h, now).retry_after,
            Some(Duration::from_secs(10))
        );
        h.insert("Retry-After", "soon".parse().unwrap());
        assert_eq!(RateHeaders::read(&h, now).retry_after, None);
    }
}
