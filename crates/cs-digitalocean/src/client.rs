//! The HTTP machinery: authentication, pacing, rate-limit accounting, retries with
//! backoff and jitter, error decoding, pagination.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, RETRY_AFTER};
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::error::DigitalOceanError;
use crate::model::{decode_page, Page};
use crate::ratelimit::{Limiter, RateLimitStatus, RateLimits};
use crate::token::ApiToken;

/// DigitalOcean's production API root.
pub const DEFAULT_BASE_URL: &str = "https://api.digitalocean.com/v2";

/// Largest page DigitalOcean serves.
pub const MAX_PAGE_SIZE: u32 = 200;

/// How failed requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first one included.
    pub max_attempts: u32,
    /// Wait after the first failure; doubled after each further one, then jittered.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// Longest wait for the rate limit the client accepts; a longer one is returned as
    /// [`DigitalOceanError::RateLimited`] so the caller can schedule the work later.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The backoff ceiling before attempt `attempt + 1` after a failure of attempt
    /// `attempt` (1-based): the base doubled per attempt, capped.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1).min(16))
            .unwrap_or(u32::MAX);
        self.base_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }

    /// The wait actually used: between half the backoff and all of it ("equal jitter"),
    /// so that many clients failing together do not come back together.
    pub fn jittered(&self, attempt: u32) -> Duration {
        let ceiling = self.backoff(attempt);
        let half = ceiling / 2;
        let spread = u64::try_from((ceiling - half).as_micros()).unwrap_or(u64::MAX);
        half + Duration::from_micros(rand::random_range(0..=spread))
    }
}

/// Everything needed to build a [`DigitalOceanClient`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// API root including the version, e.g. `https://api.digitalocean.com/v2` or a fake's.
    pub base_url: String,
    pub token: ApiToken,
    /// Whole-request timeout.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub retry: RetryPolicy,
    pub rate_limits: RateLimits,
    /// Page size for collection `GET`s (1..=200).
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

/// A DigitalOcean API v2 client. Cheap to clone; clones share the connection pool, the
/// pacing and the rate-limit accounting.
#[derive(Clone)]
pub struct DigitalOceanClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
    pub(crate) auth: HeaderValue,
    pub(crate) retry: RetryPolicy,
    pub(crate) page_size: u32,
    pub(crate) limiter: Limiter,
    /// What DigitalOcean said in the last answer that carried the headers.
    pub(crate) status: Mutex<Option<RateLimitStatus>>,
}

impl std::fmt::Debug for DigitalOceanClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DigitalOceanClient")
            .field("base_url", &self.inner.base_url)
            .finish_non_exhaustive()
    }
}

/// A successful answer.
pub(crate) struct Answer {
    pub body: Vec<u8>,
}

/// A failed attempt, and whether DigitalOcean may have applied it anyway.
pub(crate) struct Failure {
    pub error: DigitalOceanError,
    /// True when the request may have reached DigitalOcean and been applied (timeout,
    /// dropped connection, 5xx). False when it certainly was not (429, 4xx, refused
    /// connection).
    pub ambiguous: bool,
}

/// One request to send.
pub(crate) struct Call {
    pub method: Method,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<serde_json::Value>,
    /// Safe to repeat after an ambiguous failure (reads, idempotent writes).
    pub repeatable: bool,
    /// What the request is about, for `NotFound` messages ("Droplet 123").
    pub what: String,
    /// The custom scope DigitalOcean documents for the endpoint, for 403 messages.
    pub scope: &'static str,
}

impl Call {
    pub fn get(path: impl Into<String>, what: impl Into<String>, scope: &'static str) -> Self {
        Call {
            method: Method::GET,
            path: path.into(),
            query: Vec::new(),
            body: None,
            repeatable: true,
            what: what.into(),
            scope,
        }
    }

    pub fn write(
        method: Method,
        path: impl Into<String>,
        body: Option<serde_json::Value>,
        what: impl Into<String>,
        scope: &'static str,
    ) -> Self {
        Call {
            method,
            body,
            ..Call::get(path, what, scope)
        }
    }

    pub fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    pub fn not_repeatable(mut self) -> Self {
        self.repeatable = false;
        self
    }
}

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl DigitalOceanClient {
    /// Builds a client. Fails only on an empty token or an unusable base URL.
    pub fn new(config: ClientConfig) -> Result<Self, DigitalOceanError> {
        if config.token.is_empty() {
            return Err(DigitalOceanError::Config(
                "the API token is empty: paste a DigitalOcean personal access token in Settings → Providers".into(),
            ));
        }
        let base_url = config.base_url.trim_end_matches('/').to_owned();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(DigitalOceanError::Config(format!(
                "base URL `{base_url}` is not an http(s) URL: use {DEFAULT_BASE_URL}"
            )));
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", config.token.expose_secret()))
            .map_err(|_| {
            DigitalOceanError::Config(
                "the API token contains characters a token never has: paste it again".into(),
            )
        })?;
        auth.set_sensitive(true);
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|e| {
                DigitalOceanError::Config(format!("could not build the HTTP client: {e}"))
            })?;
        Ok(DigitalOceanClient {
            inner: Arc::new(Inner {
                http,
                base_url,
                auth,
                retry: config.retry,
                page_size: config.page_size.clamp(1, MAX_PAGE_SIZE),
                limiter: Limiter::new(config.rate_limits),
                status: Mutex::new(None),
            }),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    pub fn page_size(&self) -> u32 {
        self.inner.page_size
    }

    /// What DigitalOcean said about the token's budget in its last answer.
    pub fn rate_limit(&self) -> Option<RateLimitStatus> {
        *self.inner.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn note_rate_limit(&self, headers: &HeaderMap, success: bool) {
        if let Some(mut s) = RateLimitStatus::from_headers(headers) {
            // A 429 of the burst limit reports `remaining: 0` while the hourly budget may
            // be far from spent; only a successful answer says the budget is gone.
            if !success && s.remaining == 0 {
                s.remaining = 1;
            }
            *self.inner.status.lock().unwrap_or_else(|e| e.into_inner()) = Some(s);
        }
    }

    /// When the hourly budget is known to be spent, the wait until DigitalOcean frees a
    /// request (the oldest one expires at `ratelimit-reset`).
    fn budget_wait(&self) -> Option<Duration> {
        let s = self.rate_limit()?;
        if s.remaining > 0 {
            return None;
        }
        let wait = (s.reset - chrono::Utc::now()).to_std().ok()?;
        (!wait.is_zero()).then_some(wait)
    }

    /// Sends `call` once (after pacing, and after waiting for a spent budget).
    pub(crate) async fn send_once(&self, call: &Call) -> Result<Answer, Failure> {
        if let Some(wait) = self.budget_wait() {
            if wait > self.inner.retry.max_retry_after {
                return Err(Failure {
                    error: DigitalOceanError::RateLimited { retry_after: wait },
                    ambiguous: false,
                });
            }
            tracing::info!(
                wait_ms = wait.as_millis() as u64,
                "DigitalOcean hourly budget spent; waiting for the oldest request to expire"
            );
            tokio::time::sleep(wait).await;
            // The oldest request has expired: one more may go.
            if let Some(s) = self
                .inner
                .status
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_mut()
            {
                s.remaining = s.remaining.max(1);
            }
        }
        self.inner.limiter.acquire().await;
        let mut url = format!("{}{}", self.inner.base_url, call.path);
        for (i, (k, v)) in call.query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(k);
            url.push('=');
            url.push_str(&encode(v));
        }
        let mut req = self
            .inner
            .http
            .request(call.method.clone(), &url)
            .header(AUTHORIZATION, self.inner.auth.clone())
            .header(reqwest::header::ACCEPT, "application/json");
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
        tracing::debug!(method = %call.method, path = %call.path, status = status.as_u16(), "digitalocean request");
        self.note_rate_limit(&headers, status.is_success());
        if status.is_success() {
            return Ok(Answer { body });
        }
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs)
            .or_else(|| {
                // A 429 without `retry-after` is the hourly budget: come back when the
                // oldest request expires.
                (status.as_u16() == 429)
                    .then(|| RateLimitStatus::from_headers(&headers))
                    .flatten()
                    .and_then(|s| (s.reset - chrono::Utc::now()).to_std().ok())
            });
        let error = DigitalOceanError::from_response(
            status.as_u16(),
            &body,
            retry_after,
            &call.what,
            call.scope,
        );
        let ambiguous = matches!(error, DigitalOceanError::Server { .. });
        Err(Failure { error, ambiguous })
    }

    /// Sends `call`, retrying retryable failures with backoff. A non-repeatable call is
    /// only retried when DigitalOcean certainly did not apply it.
    pub(crate) async fn execute(&self, call: &Call) -> Result<Answer, DigitalOceanError> {
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
                        return Err(f.error);
                    }
                    let wait = self.wait_after(&f.error, attempt)?;
                    tracing::debug!(path = %call.path, attempt, wait_ms = wait.as_millis() as u64, error = %f.error, "retrying digitalocean request");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    /// How long to wait before retrying after `error`; a too-long rate-limit wait is
    /// returned as the error itself.
    pub(crate) fn wait_after(
        &self,
        error: &DigitalOceanError,
        attempt: u32,
    ) -> Result<Duration, DigitalOceanError> {
        let policy = self.inner.retry;
        match error {
            DigitalOceanError::RateLimited { retry_after }
                if *retry_after > policy.max_retry_after =>
            {
                Err(DigitalOceanError::RateLimited {
                    retry_after: *retry_after,
                })
            }
            // Wait what DigitalOcean asks, plus a little jitter so that clients limited
            // together spread out.
            DigitalOceanError::RateLimited { retry_after } => {
                Ok(*retry_after + policy.jittered(1).min(Duration::from_millis(250)))
            }
            _ => Ok(policy.jittered(attempt)),
        }
    }

    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        call: Call,
    ) -> Result<T, DigitalOceanError> {
        let answer = self.execute(&call).await?;
        decode(&answer.body, &call.what)
    }

    pub(crate) async fn no_content(&self, call: Call) -> Result<(), DigitalOceanError> {
        self.execute(&call).await.map(|_| ())
    }

    /// Fetches one page (1-based) of the collection at `path`, items under `key`.
    pub(crate) async fn list_page<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&'static str, String)],
        key: &str,
        page: u32,
        what: &str,
        scope: &'static str,
    ) -> Result<Page<T>, DigitalOceanError> {
        let mut call = Call::get(path, what, scope);
        call.query = query.to_vec();
        call.query.push(("page", page.to_string()));
        call.query
            .push(("per_page", self.inner.page_size.to_string()));
        let answer = self.execute(&call).await?;
        decode_page(&answer.body, key, page)
            .map_err(|e| DigitalOceanError::Decode(format!("{what}: {e}")))
    }

    /// Fetches every page, following `links.pages.next` until DigitalOcean stops giving
    /// one (or `meta.total` items are in hand).
    pub(crate) async fn list_all<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&'static str, String)],
        key: &str,
        what: &str,
        scope: &'static str,
    ) -> Result<Vec<T>, DigitalOceanError> {
        let mut out = Vec::new();
        let mut page = 1u32;
        loop {
            let p: Page<T> = self.list_page(path, query, key, page, what, scope).await?;
            let got = p.items.len();
            out.extend(p.items);
            match p.next {
                Some(next) if got > 0 && next > page && (out.len() as u64) < p.total.max(1) => {
                    page = next;
                }
                _ => return Ok(out),
            }
        }
    }
}

pub(crate) fn decode<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, DigitalOceanError> {
    serde_json::from_slice(body).map_err(|e| DigitalOceanError::Decode(format!("{what}: {e}")))
}

fn transport_failure(e: &reqwest::Error) -> Failure {
    if e.is_timeout() {
        return Failure {
            error: DigitalOceanError::Timeout,
            ambiguous: true,
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
        error: DigitalOceanError::Transport(text),
        ambiguous: !e.is_connect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_jitters_within_the_upper_half() {
        let p = RetryPolicy {
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
            ..Default::default()
        };
        assert_eq!(p.backoff(1), Duration::from_millis(100));
        assert_eq!(p.backoff(3), Duration::from_millis(400));
        assert_eq!(p.backoff(40), Duration::from_millis(500));
        for attempt in 1..6 {
            for _ in 0..50 {
                let j = p.jittered(attempt);
                assert!(
                    j >= p.backoff(attempt) / 2 && j <= p.backoff(attempt),
                    "{j:?}"
                );
            }
        }
    }

    #[test]
    fn empty_token_is_refused_debug_hides_token_and_queries_are_encoded() {
        assert!(matches!(
            DigitalOceanClient::new(ClientConfig::new(ApiToken::new(" "))),
            Err(DigitalOceanError::Config(_))
        ));
        let c =
            DigitalOceanClient::new(ClientConfig::new(ApiToken::new("dop_v1_secret123"))).unwrap();
        assert!(!format!("{c:?}").contains("secret"));
        assert_eq!(encode("web 1/é&x"), "web%201%2F%C3%A9%26x");
        assert_eq!(encode("cs-0193:a_b.c~d"), "cs-0193%3Aa_b.c~d");
    }
}
