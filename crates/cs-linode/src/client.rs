//! The HTTP machinery: authentication, pacing, retries, error decoding, pagination.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::error::LinodeError;
use crate::model::Page;
use crate::ratelimit::{route_key, LimitClass, Limiter, RateHeaders, RateLimits};
use crate::token::ApiToken;

/// Linode's production API root.
pub const DEFAULT_BASE_URL: &str = "https://api.linode.com/v4";

/// Largest page Linode serves.
pub const MAX_PAGE_SIZE: u32 = 500;

/// How failed requests are retried.
///
/// Waits grow exponentially and are jittered (each is drawn between half its ceiling and
/// the ceiling), so clients that failed together do not come back together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first one included.
    pub max_attempts: u32,
    /// Ceiling of the wait after the first failure; doubled after each further one.
    pub base_backoff: Duration,
    /// Cap of every backoff ceiling, the rate-limit one included.
    pub max_backoff: Duration,
    /// Ceiling of the first wait after a 429 that says nothing of when to come back (no
    /// `Retry-After`, no `X-RateLimit-Reset`, as Linode often answers); doubled after each
    /// further failure up to `max_backoff`.
    pub rate_limit_backoff: Duration,
    /// Longest `Retry-After` (or reset) the client is willing to sleep; a longer one is
    /// returned as [`LinodeError::RateLimited`] so the caller can schedule the work later.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            rate_limit_backoff: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The ceiling of the wait before attempt `attempt + 1` after a failure of attempt
    /// `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        exponential(self.base_backoff, attempt, self.max_backoff)
    }

    /// The same for a 429 without any hint of when to come back.
    pub fn rate_limit_backoff(&self, attempt: u32) -> Duration {
        exponential(self.rate_limit_backoff, attempt, self.max_backoff)
    }
}

fn exponential(base: Duration, attempt: u32, cap: Duration) -> Duration {
    let factor = 1u32
        .checked_shl(attempt.saturating_sub(1).min(16))
        .unwrap_or(u32::MAX);
    base.saturating_mul(factor).min(cap)
}

/// A wait drawn uniformly between half of `ceiling` and `ceiling` ("equal jitter": the wait
/// still grows with the ceiling, but clients that failed together spread out).
pub(crate) fn jittered(ceiling: Duration) -> Duration {
    let half = ceiling / 2;
    let span = u64::try_from((ceiling - half).as_nanos()).unwrap_or(u64::MAX);
    half + Duration::from_nanos(if span == 0 {
        0
    } else {
        next_random() % (span + 1)
    })
}

/// SplitMix64 over a process-wide counter seeded from the clock: jitter needs spread, not
/// unpredictability.
fn next_random() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
    static SEED: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = *SEED.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut z = seed.wrapping_add(n.wrapping_add(1).wrapping_mul(GOLDEN));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Everything needed to build a [`LinodeClient`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// API root including the version, e.g. `https://api.linode.com/v4` or a fake's URL.
    pub base_url: String,
    pub token: ApiToken,
    /// Whole-request timeout.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub retry: RetryPolicy,
    pub rate_limits: RateLimits,
    /// Page size for collection `GET`s (1..=500).
    pub page_size: u32,
    pub user_agent: String,
}

impl ClientConfig {
    /// Production defaults for `token`.
    pub fn new(token: ApiToken) -> Self {
        ClientConfig {
            base_url: DEFAULT_BASE_URL.to_owned(),
            token,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            rate_limits: RateLimits::default(),
            page_size: MAX_PAGE_SIZE,
            user_agent: format!("ContainerStacks/{}", env!("CARGO_PKG_VERSION")),
        }
    }

    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }
}

/// A Linode API v4 client. Cheap to clone; clones share the connection pool and rate limiter.
#[derive(Clone)]
pub struct LinodeClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
    pub(crate) auth: HeaderValue,
    pub(crate) retry: RetryPolicy,
    pub(crate) page_size: u32,
    pub(crate) limiter: Limiter,
    /// Kept only to recognise the token in `GET /profile/tokens` (redacted `Debug`).
    pub(crate) token: ApiToken,
}

impl std::fmt::Debug for LinodeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinodeClient")
            .field("base_url", &self.inner.base_url)
            .finish_non_exhaustive()
    }
}

/// A decoded-or-not answer.
pub(crate) struct Answer {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// A failed attempt, and whether Linode may have applied it anyway.
pub(crate) struct Failure {
    pub error: LinodeError,
    /// True when the request may have reached Linode and been applied (timeout, dropped
    /// connection, 5xx). False when it certainly was not (429, busy, refused connection).
    pub ambiguous: bool,
    /// For a 429: when Linode said to come back (`Retry-After`, else `X-RateLimit-Reset`).
    pub wait_hint: Option<Duration>,
}

/// One request to send.
pub(crate) struct Call {
    pub method: Method,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<serde_json::Value>,
    pub filter: Option<String>,
    pub class: LimitClass,
    /// Safe to repeat after an ambiguous failure (reads, idempotent writes).
    pub repeatable: bool,
    /// What the request is about, for `NotFound` messages ("Linode 123").
    pub what: String,
}

impl Call {
    pub fn get(path: impl Into<String>, what: impl Into<String>) -> Self {
        Call {
            method: Method::GET,
            path: path.into(),
            query: Vec::new(),
            body: None,
            filter: None,
            class: LimitClass::Other,
            repeatable: true,
            what: what.into(),
        }
    }

    pub fn write(
        method: Method,
        path: impl Into<String>,
        body: Option<serde_json::Value>,
        what: impl Into<String>,
    ) -> Self {
        Call {
            method,
            body,
            ..Call::get(path, what)
        }
    }

    pub fn class(mut self, class: LimitClass) -> Self {
        self.class = class;
        self
    }

    pub fn not_repeatable(mut self) -> Self {
        self.repeatable = false;
        self
    }

    /// The operation, for the rate limiter's per-route buckets.
    pub fn route(&self) -> String {
        route_key(self.method.as_str(), &self.path)
    }
}

impl LinodeClient {
    /// Builds a client. Fails only on an empty token or an unusable base URL.
    pub fn new(config: ClientConfig) -> Result<Self, LinodeError> {
        if config.token.is_empty() {
            return Err(LinodeError::Config("the API token is empty: paste a Linode personal access token in Settings → Providers".into()));
        }
        let base_url = config.base_url.trim_end_matches('/').to_owned();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(LinodeError::Config(format!(
                "base URL `{base_url}` is not an http(s) URL: use {DEFAULT_BASE_URL}"
            )));
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", config.token.expose_secret()))
            .map_err(|_| {
            LinodeError::Config(
                "the API token contains characters a token never has: paste it again".into(),
            )
        })?;
        auth.set_sensitive(true);
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|e| LinodeError::Config(format!("could not build the HTTP client: {e}")))?;
        Ok(LinodeClient {
            inner: Arc::new(Inner {
                http,
                base_url,
                auth,
                retry: config.retry,
                page_size: config.page_size.clamp(1, MAX_PAGE_SIZE),
                limiter: Limiter::new(config.rate_limits, config.retry.max_retry_after),
                token: config.token.clone(),
            }),
        })
    }

    pub(crate) fn token_secret(&self) -> &str {
        self.inner.token.expose_secret()
    }

    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Sends `call` once (after waiting for the rate limiter), and lets the limiter learn
    /// from the answer's rate-limit headers.
    pub(crate) async fn send_once(&self, call: &Call) -> Result<Answer, Failure> {
        let route = call.route();
        self.inner.limiter.acquire(call.class, &route).await;
        let mut url = format!("{}{}", self.inner.base_url, call.path);
        // Query values are page numbers and sizes only, so no encoding is needed.
        for (i, (k, v)) in call.query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(k);
            url.push('=');
            url.push_str(v);
        }
        let mut req = self
            .inner
            .http
            .request(call.method.clone(), &url)
            .header(AUTHORIZATION, self.inner.auth.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(filter) = &call.filter {
            req = req.header("X-Filter", filter.as_str());
        }
        // Actions without parameters (shutdown, backups/enable …) are sent without a body:
        // the spec declares no request body for them, and Linode needs none.
        if let Some(body) = &call.body {
            req = req.json(body);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return Err(transport_failure(&e)),
        };
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = match resp.bytes().await {
            Ok(b) => b.to_vec(),
            Err(e) => return Err(transport_failure(&e)),
        };
        tracing::debug!(method = %call.method, path = %call.path, status = status.as_u16(), "linode request");
        let rate = RateHeaders::read(&headers, std::time::SystemTime::now());
        self.inner.limiter.observe(call.class, &route, &rate);
        if status.is_success() {
            return Ok(Answer { headers, body });
        }
        let wait_hint = (status.as_u16() == 429).then(|| rate.wait_hint()).flatten();
        let accepted = headers
            .get("X-Accepted-OAuth-Scopes")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let error =
            LinodeError::from_response(status.as_u16(), &body, wait_hint, accepted, &call.what);
        let ambiguous = matches!(error, LinodeError::Server { .. });
        Err(Failure {
            error,
            ambiguous,
            wait_hint,
        })
    }

    /// Sends `call`, retrying retryable failures with backoff. A non-repeatable call is only
    /// retried when Linode certainly did not apply it.
    pub(crate) async fn execute(&self, call: &Call) -> Result<Answer, LinodeError> {
        let policy = self.inner.retry;
        let mut attempt = 1;
        loop {
            match self.send_once(call).await {
                Ok(answer) => return Ok(answer),
                Err(f) => {
                    let give_up = attempt >= policy.max_attempts
                        || !f.error.is_retryable()
                        || (f.ambiguous && !call.repeatable);
                    if give_up {
                        return Err(self.final_error(f, attempt));
                    }
                    let wait = self.wait_after(call, &f, attempt)?;
                    tracing::debug!(path = %call.path, attempt, wait_ms = wait.as_millis() as u64, error = %f.error, "retrying linode request");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    /// How long to wait before retrying after `failure`; a too-long `Retry-After` (or
    /// reset) is returned as the error itself. After a 429 the route is held for that long,
    /// so no other task of this client spends the wait asking again.
    pub(crate) fn wait_after(
        &self,
        call: &Call,
        failure: &Failure,
        attempt: u32,
    ) -> Result<Duration, LinodeError> {
        let policy = self.inner.retry;
        let LinodeError::RateLimited { .. } = failure.error else {
            return Ok(jittered(policy.backoff(attempt)));
        };
        let wait = match failure.wait_hint {
            Some(hint) if hint > policy.max_retry_after => {
                return Err(LinodeError::RateLimited { retry_after: hint })
            }
            // Linode said when: honoured as said (never less than a few milliseconds).
            Some(hint) => hint.max(policy.backoff(1).min(Duration::from_millis(50))),
            None => jittered(policy.rate_limit_backoff(attempt)),
        };
        self.inner.limiter.hold(call.class, &call.route(), wait);
        Ok(wait)
    }

    /// The error to hand back after the last attempt: a 429 that named no wait says how
    /// long the client would have waited next.
    pub(crate) fn final_error(&self, failure: Failure, attempt: u32) -> LinodeError {
        match failure.error {
            LinodeError::RateLimited { .. } if failure.wait_hint.is_none() => {
                LinodeError::RateLimited {
                    retry_after: self.inner.retry.rate_limit_backoff(attempt),
                }
            }
            error => error,
        }
    }

    pub(crate) async fn json<T: DeserializeOwned>(&self, call: Call) -> Result<T, LinodeError> {
        let answer = self.execute(&call).await?;
        decode(&answer.body, &call.what)
    }

    pub(crate) async fn no_content(&self, call: Call) -> Result<(), LinodeError> {
        self.execute(&call).await.map(|_| ())
    }

    /// Fetches every page of a collection at the configured page size.
    pub(crate) async fn list_all<T: DeserializeOwned>(
        &self,
        path: &str,
        filter: Option<String>,
        what: &str,
    ) -> Result<Vec<T>, LinodeError> {
        let mut out = Vec::new();
        let mut page = 1u32;
        loop {
            let p: Page<T> = self.list_page(path, filter.clone(), page, what).await?;
            let pages = p.pages;
            out.extend(p.data);
            if page >= pages {
                return Ok(out);
            }
            page += 1;
        }
    }

    /// Fetches one page.
    pub(crate) async fn list_page<T: DeserializeOwned>(
        &self,
        path: &str,
        filter: Option<String>,
        page: u32,
        what: &str,
    ) -> Result<Page<T>, LinodeError> {
        let mut call = Call::get(path, what).class(LimitClass::PaginatedGet);
        call.query = vec![
            ("page", page.to_string()),
            ("page_size", self.inner.page_size.to_string()),
        ];
        call.filter = filter;
        self.json(call).await
    }
}

pub(crate) fn decode<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, LinodeError> {
    serde_json::from_slice(body).map_err(|e| LinodeError::Decode(format!("{what}: {e}")))
}

fn transport_failure(e: &reqwest::Error) -> Failure {
    if e.is_timeout() {
        return Failure {
            error: LinodeError::Timeout,
            ambiguous: true,
            wait_hint: None,
        };
    }
    // The token is only ever in a header, so the URL in the message is safe to show.
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    Failure {
        error: LinodeError::Transport(text),
        ambiguous: !e.is_connect(),
        wait_hint: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy {
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
            ..Default::default()
        };
        assert_eq!(p.backoff(1), Duration::from_millis(100));
        assert_eq!(p.backoff(2), Duration::from_millis(200));
        assert_eq!(p.backoff(3), Duration::from_millis(400));
        assert_eq!(p.backoff(4), Duration::from_millis(500));
        assert_eq!(p.backoff(40), Duration::from_millis(500));
        assert_eq!(
            p.rate_limit_backoff(1),
            Duration::from_secs(1).min(p.max_backoff)
        );
        let p = RetryPolicy::default();
        let ceilings: Vec<u64> = (1..=7).map(|a| p.rate_limit_backoff(a).as_secs()).collect();
        assert_eq!(ceilings, [1, 2, 4, 8, 16, 30, 30]);
    }

    #[test]
    fn jitter_stays_between_half_the_ceiling_and_the_ceiling() {
        let ceiling = Duration::from_millis(800);
        let draws: Vec<Duration> = (0..500).map(|_| jittered(ceiling)).collect();
        assert!(draws.iter().all(|d| *d >= ceiling / 2 && *d <= ceiling));
        let low = draws.iter().filter(|d| **d < ceiling * 3 / 4).count();
        assert!(
            (100..400).contains(&low),
            "spread over the range, not one value: {low} of 500 in the lower half"
        );
        assert_eq!(jittered(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn empty_token_is_refused_and_debug_hides_token() {
        assert!(matches!(
            LinodeClient::new(ClientConfig::new(ApiToken::new(" "))),
            Err(LinodeError::Config(_))
        ));
        let c = LinodeClient::new(ClientConfig::new(ApiToken::new("tok-secret-123"))).unwrap();
        assert!(!format!("{c:?}").contains("tok-secret"));
    }
}
