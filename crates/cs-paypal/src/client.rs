//! The HTTP client: configuration, OAuth2 token cache, retries with a stable request id.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::error::{ApiError, PayPalError};
use crate::orders::{Capture, CreateOrder, Order, Refund, RefundRequest};
use crate::webhook::WebhookHeaders;

/// A secret string (client secret, access token). `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// Which PayPal to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Environment {
    Sandbox,
    Live,
    /// Any other base URL: the fake in tests and demo mode, or a recording proxy.
    Custom(String),
}

impl Environment {
    pub fn base_url(&self) -> &str {
        match self {
            Self::Sandbox => "https://api-m.sandbox.paypal.com",
            Self::Live => "https://api-m.paypal.com",
            Self::Custom(url) => url.trim_end_matches('/'),
        }
    }
}

/// How failed calls are retried. Every retry of a POST reuses its `PayPal-Request-Id`, so
/// PayPal applies the operation at most once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first (1 disables retries).
    pub max_attempts: u32,
    /// Delay before the first retry; doubled for each further retry.
    pub base_delay: Duration,
    /// Upper bound of one delay, also for a server's `Retry-After`.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    fn delay(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(16));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// Everything the client needs. The secret is redacted in `Debug`.
#[derive(Debug, Clone)]
pub struct PayPalConfig {
    pub environment: Environment,
    pub client_id: String,
    pub client_secret: Secret,
    pub retry: RetryPolicy,
    /// Timeout of one HTTP attempt.
    pub timeout: Duration,
    /// A token is renewed this long before PayPal says it expires.
    pub token_refresh_margin: Duration,
}

impl PayPalConfig {
    pub fn new(
        environment: Environment,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Self {
        Self {
            environment,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(30),
            token_refresh_margin: Duration::from_secs(60),
        }
    }
}

/// The idempotency key of one POST (`PayPal-Request-Id`). Create it and store it *before*
/// sending, then reuse it for every retry of that same operation, also after a restart:
/// PayPal answers a repeated id with the first result instead of acting twice.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId(String);

impl RequestId {
    /// A fresh random id.
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// An id stored earlier. PayPal accepts 1 to 108 characters.
    pub fn parse(value: impl Into<String>) -> Result<Self, PayPalError> {
        let value = value.into();
        if value.is_empty() || value.len() > 108 || !value.is_ascii() {
            return Err(PayPalError::Config(format!(
                "PayPal-Request-Id must be 1 to 108 ASCII characters, got {} characters",
                value.len()
            )));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for RequestId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

struct CachedToken {
    token: Secret,
    renew_at: Instant,
}

/// A PayPal REST client. Cheap to clone; clones share the token cache.
#[derive(Clone)]
pub struct PayPalClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    config: PayPalConfig,
    token: Mutex<Option<CachedToken>>,
}

impl fmt::Debug for PayPalClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayPalClient")
            .field("base_url", &self.inner.base_url)
            .field("client_id", &self.inner.config.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize, Default)]
struct OAuthError {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

/// A failed attempt that may succeed when repeated with the same request id.
enum Outcome {
    Retry {
        error: PayPalError,
        after: Option<Duration>,
    },
}

impl PayPalClient {
    pub fn new(config: PayPalConfig) -> Result<Self, PayPalError> {
        let base_url = config.environment.base_url().to_owned();
        let parsed = url::Url::parse(&base_url).map_err(|e| {
            PayPalError::Config(format!("base URL {base_url:?} is not a URL ({e})"))
        })?;
        if !matches!(parsed.scheme(), "https" | "http") {
            return Err(PayPalError::Config(format!(
                "base URL {base_url:?} must be http(s)"
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(concat!("ContainerStacks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PayPalError::Config(format!("cannot build the HTTP client ({e})")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base_url,
                config,
                token: Mutex::new(None),
            }),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Fetches an access token (or uses the cached one): "test connection". Wrong
    /// credentials fail with [`PayPalError::AuthFailed`].
    pub async fn check_credentials(&self) -> Result<(), PayPalError> {
        self.access_token().await.map(|_| ())
    }

    /// Creates an order (`POST /v2/checkout/orders`). Send the payer to
    /// [`Order::approve_url`], then [`capture_order`](Self::capture_order).
    pub async fn create_order(
        &self,
        order: &CreateOrder,
        request_id: &RequestId,
    ) -> Result<Order, PayPalError> {
        let body = serde_json::to_vec(&order.to_wire()).expect("json value serializes");
        self.call(
            Method::POST,
            "/v2/checkout/orders",
            Some(body),
            Some(request_id),
            "order",
        )
        .await
    }

    /// `GET /v2/checkout/orders/{id}`.
    pub async fn get_order(&self, order_id: &str) -> Result<Order, PayPalError> {
        let path = format!("/v2/checkout/orders/{}", path_segment(order_id)?);
        self.call(Method::GET, &path, None, None, "order").await
    }

    /// Captures an approved order (`POST /v2/checkout/orders/{id}/capture`). The capture is
    /// in `order.captures()`.
    pub async fn capture_order(
        &self,
        order_id: &str,
        request_id: &RequestId,
    ) -> Result<Order, PayPalError> {
        let path = format!("/v2/checkout/orders/{}/capture", path_segment(order_id)?);
        self.call(
            Method::POST,
            &path,
            Some(b"{}".to_vec()),
            Some(request_id),
            "order",
        )
        .await
    }

    /// `GET /v2/payments/captures/{id}`.
    pub async fn get_capture(&self, capture_id: &str) -> Result<Capture, PayPalError> {
        let path = format!("/v2/payments/captures/{}", path_segment(capture_id)?);
        self.call(Method::GET, &path, None, None, "capture").await
    }

    /// Refunds a capture, fully or partly (`POST /v2/payments/captures/{id}/refund`).
    /// Refunding more than what is left fails with [`PayPalError::Unprocessable`] and the
    /// issue `REFUND_AMOUNT_EXCEEDED` (or `CAPTURE_FULLY_REFUNDED`).
    pub async fn refund_capture(
        &self,
        capture_id: &str,
        refund: &RefundRequest,
        request_id: &RequestId,
    ) -> Result<Refund, PayPalError> {
        let path = format!("/v2/payments/captures/{}/refund", path_segment(capture_id)?);
        let body = serde_json::to_vec(&refund.to_wire()).expect("json value serializes");
        self.call(Method::POST, &path, Some(body), Some(request_id), "capture")
            .await
    }

    /// `GET /v2/payments/refunds/{id}`.
    pub async fn get_refund(&self, refund_id: &str) -> Result<Refund, PayPalError> {
        let path = format!("/v2/payments/refunds/{}", path_segment(refund_id)?);
        self.call(Method::GET, &path, None, None, "refund").await
    }

    /// Asks PayPal whether a webhook delivery is genuine
    /// (`POST /v1/notifications/verify-webhook-signature`). `raw_body` is the exact request
    /// body received. Returns `Ok(true)` only for `verification_status = SUCCESS`.
    pub async fn verify_webhook_signature(
        &self,
        headers: &WebhookHeaders,
        webhook_id: &str,
        raw_body: &[u8],
    ) -> Result<bool, PayPalError> {
        let event = std::str::from_utf8(raw_body)
            .ok()
            .and_then(|s| serde_json::value::RawValue::from_string(s.trim().to_owned()).ok())
            .ok_or_else(|| {
                PayPalError::Config(
                    "the webhook body is not JSON: it cannot be a PayPal event".into(),
                )
            })?;
        #[derive(serde::Serialize)]
        struct Body<'a> {
            auth_algo: &'a str,
            cert_url: &'a str,
            transmission_id: &'a str,
            transmission_sig: &'a str,
            transmission_time: &'a str,
            webhook_id: &'a str,
            webhook_event: &'a serde_json::value::RawValue,
        }
        let body = serde_json::to_vec(&Body {
            auth_algo: &headers.auth_algo,
            cert_url: &headers.cert_url,
            transmission_id: &headers.transmission_id,
            transmission_sig: &headers.transmission_sig,
            transmission_time: &headers.transmission_time,
            webhook_id,
            webhook_event: &event,
        })
        .expect("serializes");
        #[derive(Deserialize)]
        struct Answer {
            verification_status: String,
        }
        let answer: Answer = self
            .call(
                Method::POST,
                "/v1/notifications/verify-webhook-signature",
                Some(body),
                Some(&RequestId::new()),
                "webhook",
            )
            .await?;
        Ok(answer.verification_status == "SUCCESS")
    }

    /// Returns a valid access token, fetching one only when the cached one is about to
    /// expire. Concurrent callers wait for a single fetch.
    async fn access_token(&self) -> Result<Secret, PayPalError> {
        let mut slot = self.inner.token.lock().await;
        if let Some(cached) = slot.as_ref() {
            if Instant::now() < cached.renew_at {
                return Ok(cached.token.clone());
            }
        }
        let fetched = self.fetch_token().await?;
        let token = fetched.token.clone();
        *slot = Some(fetched);
        Ok(token)
    }

    async fn forget_token(&self) {
        *self.inner.token.lock().await = None;
    }

    async fn fetch_token(&self) -> Result<CachedToken, PayPalError> {
        let config = &self.inner.config;
        let url = format!("{}/v1/oauth2/token", self.inner.base_url);
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            config.client_id,
            config.client_secret.expose()
        ));
        let request_id = RequestId::new();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let sent = self
                .inner
                .http
                .post(&url)
                .header("Authorization", format!("Basic {basic}"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .header("PayPal-Request-Id", request_id.as_str())
                .body("grant_type=client_credentials")
                .send()
                .await;
            let outcome = match sent {
                Err(e) => Outcome::Retry {
                    error: transport(e),
                    after: None,
                },
                Ok(resp) => {
                    let status = resp.status();
                    let retry_after = retry_after(&resp);
                    let bytes = resp.bytes().await.map_err(transport)?;
                    if status.is_success() {
                        let t: TokenResponse =
                            serde_json::from_slice(&bytes).map_err(|e| PayPalError::Decode {
                                status: status.as_u16(),
                                message: format!("token response: {e}"),
                            })?;
                        let lifetime = Duration::from_secs(t.expires_in.unwrap_or(0));
                        let renew_at =
                            Instant::now() + lifetime.saturating_sub(config.token_refresh_margin);
                        tracing::debug!(
                            lifetime_s = lifetime.as_secs(),
                            "paypal: new access token"
                        );
                        return Ok(CachedToken {
                            token: Secret(t.access_token),
                            renew_at,
                        });
                    } else if status == StatusCode::TOO_MANY_REQUESTS {
                        Outcome::Retry {
                            error: PayPalError::RateLimited { retry_after },
                            after: retry_after,
                        }
                    } else if status.is_server_error() {
                        Outcome::Retry {
                            error: PayPalError::Server {
                                status: status.as_u16(),
                                debug_id: None,
                            },
                            after: None,
                        }
                    } else {
                        let e: OAuthError = serde_json::from_slice(&bytes).unwrap_or_default();
                        let reason = match (e.error.is_empty(), e.error_description.is_empty()) {
                            (false, false) => format!("{}: {}", e.error, e.error_description),
                            (false, true) => e.error,
                            _ => "no reason given".to_owned(),
                        };
                        return Err(PayPalError::AuthFailed {
                            status: status.as_u16(),
                            reason,
                        });
                    }
                }
            };
            match outcome {
                Outcome::Retry { error, after } => {
                    if attempt >= config.retry.max_attempts.max(1) {
                        return Err(error);
                    }
                    self.pause(attempt, after).await;
                }
            }
        }
    }

    async fn pause(&self, attempt: u32, after: Option<Duration>) {
        let policy = &self.inner.config.retry;
        let delay = after
            .map(|d| d.min(policy.max_delay))
            .unwrap_or_else(|| policy.delay(attempt - 1));
        tokio::time::sleep(delay).await;
    }

    /// One API call with retries. POSTs carry `request_id` on every attempt.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        request_id: Option<&RequestId>,
        resource: &'static str,
    ) -> Result<T, PayPalError> {
        let url = format!("{}{}", self.inner.base_url, path);
        let policy = self.inner.config.retry.clone();
        let mut attempt = 0;
        let mut renewed_after_401 = false;
        loop {
            attempt += 1;
            let token = self.access_token().await?;
            let mut req = self
                .inner
                .http
                .request(method.clone(), &url)
                .bearer_auth(token.expose())
                .header("Accept", "application/json")
                .header("Prefer", "return=representation");
            if let Some(id) = request_id {
                req = req.header("PayPal-Request-Id", id.as_str());
            }
            if let Some(b) = &body {
                req = req
                    .header("Content-Type", "application/json")
                    .body(b.clone());
            }
            tracing::debug!(%method, path, request_id = request_id.map(RequestId::as_str), attempt, "paypal: request");
            let outcome = match req.send().await {
                Err(e) => Outcome::Retry {
                    error: transport(e),
                    after: None,
                },
                Ok(resp) => {
                    let status = resp.status();
                    let after = retry_after(&resp);
                    let bytes = match resp.bytes().await {
                        Ok(b) => b,
                        Err(e) => {
                            let error = transport(e);
                            if attempt >= policy.max_attempts.max(1) {
                                return Err(error);
                            }
                            self.pause(attempt, None).await;
                            continue;
                        }
                    };
                    tracing::debug!(%method, path, status = status.as_u16(), "paypal: response");
                    if status.is_success() {
                        return serde_json::from_slice(&bytes).map_err(|e| PayPalError::Decode {
                            status: status.as_u16(),
                            message: format!("{resource}: {e}"),
                        });
                    }
                    let api: ApiError = serde_json::from_slice(&bytes).unwrap_or_default();
                    match status.as_u16() {
                        401 if !renewed_after_401 => {
                            // The token may have been revoked or expired early: renew once.
                            renewed_after_401 = true;
                            self.forget_token().await;
                            attempt -= 1;
                            continue;
                        }
                        401 => {
                            return Err(PayPalError::AuthFailed {
                                status: 401,
                                reason: format!("{} even with a fresh token", api.name),
                            })
                        }
                        400 => return Err(PayPalError::Validation { api }),
                        403 => return Err(PayPalError::Forbidden { api }),
                        404 => return Err(PayPalError::NotFound { resource, api }),
                        422 => return Err(PayPalError::Unprocessable { api }),
                        409 => Outcome::Retry {
                            error: PayPalError::Conflict { api },
                            after,
                        },
                        429 => Outcome::Retry {
                            error: PayPalError::RateLimited { retry_after: after },
                            after,
                        },
                        s if s >= 500 => Outcome::Retry {
                            error: PayPalError::Server {
                                status: s,
                                debug_id: api.debug_id,
                            },
                            after,
                        },
                        s => return Err(PayPalError::Unexpected { status: s, api }),
                    }
                }
            };
            match outcome {
                Outcome::Retry { error, after } => {
                    if attempt >= policy.max_attempts.max(1) {
                        return Err(error);
                    }
                    tracing::info!(%method, path, attempt, error = %error, "paypal: retrying with the same request id");
                    self.pause(attempt, after).await;
                }
            }
        }
    }
}

fn transport(e: reqwest::Error) -> PayPalError {
    // reqwest's messages hold the URL but never headers, so no token can leak here.
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    PayPalError::Transport { message }
}

fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    resp.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// PayPal ids are alphanumeric; refuse anything that could change the path.
fn path_segment(id: &str) -> Result<&str, PayPalError> {
    if !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Ok(id)
    } else {
        Err(PayPalError::Config(format!("{id:?} is not a PayPal id")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug() {
        let config = PayPalConfig::new(Environment::Sandbox, "client-id", "very-secret-value");
        let text = format!("{config:?}");
        assert!(text.contains("client-id"));
        assert!(!text.contains("very-secret-value"), "{text}");
        let client = PayPalClient::new(config).unwrap();
        assert!(!format!("{client:?}").contains("very-secret-value"));
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
        };
        assert_eq!(p.delay(0), Duration::from_millis(100));
        assert_eq!(p.delay(1), Duration::from_millis(200));
        assert_eq!(p.delay(2), Duration::from_millis(350));
    }

    #[test]
    fn ids_that_could_change_the_path_are_refused() {
        assert!(path_segment("5O190127TN364715T").is_ok());
        assert!(path_segment("../v1/oauth2/token").is_err());
        assert!(path_segment("").is_err());
        assert!(RequestId::parse("x".repeat(109)).is_err());
    }
}
