//! Webhook deliveries: headers, offline signature verification, and the event type.
//!
//! PayPal signs `transmission_id|transmission_time|webhook_id|crc32(raw body)` with
//! RSA-SHA256 (`SHA256withRSA`) and names the signing certificate by URL. The signature does
//! not cover that URL, so the URL is the attacker's choice: we fetch certificates only from
//! PayPal's own hosts over HTTPS (plus one explicitly configured test origin) and cache them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use cs_core::Money;

use crate::amount::{AmountError, WireMoney};

/// The hosts PayPal serves webhook certificates from.
pub const PAYPAL_CERT_HOSTS: [&str; 2] = ["api.paypal.com", "api.sandbox.paypal.com"];

const CERT_PATH_PREFIX: &str = "/v1/notifications/certs/";
const MAX_CERT_BYTES: usize = 64 * 1024;
const MAX_CACHED_CERTS: usize = 32;

/// Why a webhook delivery was not accepted. Answer the sender with 400 for all of them:
/// PayPal retries, and a genuine event is then verified on the next delivery.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("webhook delivery lacks the {0} header: it was not sent by PayPal")]
    MissingHeader(&'static str),
    #[error("webhook signed with {0:?}, only SHA256withRSA is accepted: refuse the delivery")]
    UnsupportedAlgorithm(String),
    #[error("webhook certificate URL {url:?} is not on a PayPal host ({reason}): the delivery is forged or misconfigured and was refused")]
    CertUrlNotAllowed { url: String, reason: &'static str },
    #[error("could not fetch the webhook certificate from {url} ({message}): PayPal will retry the delivery, nothing to do unless it keeps failing")]
    CertFetch { url: String, message: String },
    #[error("the webhook certificate is unusable ({0}): the delivery was refused")]
    CertInvalid(String),
    #[error("the webhook certificate is outside its validity period: the delivery was refused")]
    CertExpired,
    #[error("the webhook signature is not valid base64: the delivery was refused")]
    BadSignatureEncoding,
    #[error("the webhook signature does not match the body and headers: the delivery is forged or was altered, and was refused")]
    SignatureMismatch,
    #[error("the webhook body is not a PayPal event ({0})")]
    MalformedEvent(String),
}

/// The `PAYPAL-*` headers of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookHeaders {
    pub transmission_id: String,
    pub transmission_time: String,
    pub transmission_sig: String,
    pub cert_url: String,
    pub auth_algo: String,
}

impl WebhookHeaders {
    /// Header names, lower case.
    pub const TRANSMISSION_ID: &'static str = "paypal-transmission-id";
    pub const TRANSMISSION_TIME: &'static str = "paypal-transmission-time";
    pub const TRANSMISSION_SIG: &'static str = "paypal-transmission-sig";
    pub const CERT_URL: &'static str = "paypal-cert-url";
    pub const AUTH_ALGO: &'static str = "paypal-auth-algo";

    /// Reads the headers through `get(lower_case_name)`, e.g.
    /// `WebhookHeaders::from_lookup(|n| headers.get(n).and_then(|v| v.to_str().ok()))`.
    pub fn from_lookup<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, WebhookError> {
        let need = |name: &'static str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .ok_or(WebhookError::MissingHeader(name))
        };
        Ok(Self {
            transmission_id: need(Self::TRANSMISSION_ID)?,
            transmission_time: need(Self::TRANSMISSION_TIME)?,
            transmission_sig: need(Self::TRANSMISSION_SIG)?,
            cert_url: need(Self::CERT_URL)?,
            auth_algo: need(Self::AUTH_ALGO)?,
        })
    }

    /// The exact string PayPal signs.
    pub fn signed_message(&self, webhook_id: &str, raw_body: &[u8]) -> String {
        signed_message(
            &self.transmission_id,
            &self.transmission_time,
            webhook_id,
            raw_body,
        )
    }
}

/// `transmission_id|transmission_time|webhook_id|crc32` with the CRC32 (IEEE) of the raw
/// body as an unsigned decimal.
pub fn signed_message(
    transmission_id: &str,
    transmission_time: &str,
    webhook_id: &str,
    raw_body: &[u8],
) -> String {
    format!(
        "{transmission_id}|{transmission_time}|{webhook_id}|{}",
        crc32fast::hash(raw_body)
    )
}

/// Where certificates may come from.
#[derive(Debug, Clone)]
pub struct CertPolicy {
    hosts: Vec<String>,
    test_origin: Option<url::Url>,
}

impl Default for CertPolicy {
    fn default() -> Self {
        Self {
            hosts: PAYPAL_CERT_HOSTS.iter().map(|h| (*h).to_owned()).collect(),
            test_origin: None,
        }
    }
}

impl CertPolicy {
    /// Also trusts one exact origin (scheme, host and port), HTTP allowed, e.g. the
    /// loopback address of the fake PayPal. Only tests and demo mode set this.
    pub fn with_test_origin(mut self, origin: &str) -> Result<Self, WebhookError> {
        let url = url::Url::parse(origin).map_err(|_| WebhookError::CertUrlNotAllowed {
            url: origin.to_owned(),
            reason: "the test origin is not a URL",
        })?;
        self.test_origin = Some(url);
        Ok(self)
    }

    /// Checks a certificate URL before anything is fetched from it.
    pub fn check(&self, cert_url: &str) -> Result<url::Url, WebhookError> {
        let refuse = |reason| WebhookError::CertUrlNotAllowed {
            url: cert_url.to_owned(),
            reason,
        };
        let url = url::Url::parse(cert_url).map_err(|_| refuse("not a URL"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse("credentials in the URL"));
        }
        if !url.path().starts_with(CERT_PATH_PREFIX) || url.path().contains("..") {
            return Err(refuse("not a certificate path"));
        }
        if let Some(origin) = &self.test_origin {
            if url.origin() == origin.origin() {
                return Ok(url);
            }
        }
        if url.scheme() != "https" {
            return Err(refuse("not HTTPS"));
        }
        if url.port().is_some() {
            return Err(refuse("non-default port"));
        }
        match url.host_str() {
            Some(host) if self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) => Ok(url),
            _ => Err(refuse("host not allow-listed")),
        }
    }
}

struct CachedCert {
    /// PKCS#1 `RSAPublicKey` DER.
    public_key: Vec<u8>,
    not_before: Duration,
    not_after: Duration,
}

/// Verifies deliveries for one webhook offline. Share one verifier (it caches certificates).
pub struct WebhookVerifier {
    webhook_id: String,
    policy: CertPolicy,
    http: reqwest::Client,
    certs: Mutex<HashMap<String, Arc<CachedCert>>>,
    cert_fetches: AtomicU64,
}

impl std::fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("webhook_id", &self.webhook_id)
            .field("policy", &self.policy)
            .finish()
    }
}

impl WebhookVerifier {
    /// `webhook_id` is the id PayPal gave the webhook in the developer dashboard.
    pub fn new(webhook_id: impl Into<String>, policy: CertPolicy) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            // A redirect could lead away from the allow-listed host.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client with a timeout always builds");
        Self {
            webhook_id: webhook_id.into(),
            policy,
            http,
            certs: Mutex::new(HashMap::new()),
            cert_fetches: AtomicU64::new(0),
        }
    }

    pub fn webhook_id(&self) -> &str {
        &self.webhook_id
    }

    /// How many certificates were downloaded so far (the rest came from the cache).
    pub fn cert_fetches(&self) -> u64 {
        self.cert_fetches.load(Ordering::Relaxed)
    }

    /// Verifies one delivery and returns its event. `raw_body` must be the exact bytes
    /// received: re-serialized JSON changes the CRC and fails.
    ///
    /// A verified event may still be a duplicate: PayPal delivers at least once, in any
    /// order. Deduplicate on [`WebhookEvent::id`].
    pub async fn verify(
        &self,
        headers: &WebhookHeaders,
        raw_body: &[u8],
    ) -> Result<WebhookEvent, WebhookError> {
        if !headers.auth_algo.eq_ignore_ascii_case("SHA256withRSA") {
            return Err(WebhookError::UnsupportedAlgorithm(
                headers.auth_algo.clone(),
            ));
        }
        let url = self.policy.check(&headers.cert_url)?;
        let signature = base64::engine::general_purpose::STANDARD
            .decode(headers.transmission_sig.as_bytes())
            .map_err(|_| WebhookError::BadSignatureEncoding)?;
        let cert = self.certificate(&url).await?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        if now < cert.not_before || now > cert.not_after {
            return Err(WebhookError::CertExpired);
        }
        let message = headers.signed_message(&self.webhook_id, raw_body);
        aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            &cert.public_key,
        )
        .verify(message.as_bytes(), &signature)
        .map_err(|_| WebhookError::SignatureMismatch)?;
        WebhookEvent::parse(raw_body)
    }

    async fn certificate(&self, url: &url::Url) -> Result<Arc<CachedCert>, WebhookError> {
        let key = url.as_str().to_owned();
        let mut certs = self.certs.lock().await;
        if let Some(c) = certs.get(&key) {
            return Ok(Arc::clone(c));
        }
        let fetch_error = |message: String| WebhookError::CertFetch {
            url: key.clone(),
            message,
        };
        self.cert_fetches.fetch_add(1, Ordering::Relaxed);
        let resp = self
            .http
            .get(url.clone())
            .send()
            .await
            .map_err(|e| fetch_error(e.to_string()))?;
        if !resp.status().is_success() {
            return Err(fetch_error(format!("HTTP {}", resp.status().as_u16())));
        }
        if resp
            .content_length()
            .is_some_and(|l| l > MAX_CERT_BYTES as u64)
        {
            return Err(WebhookError::CertInvalid(
                "certificate file too large".into(),
            ));
        }
        let pem = resp.bytes().await.map_err(|e| fetch_error(e.to_string()))?;
        if pem.len() > MAX_CERT_BYTES {
            return Err(WebhookError::CertInvalid(
                "certificate file too large".into(),
            ));
        }
        let cert = Arc::new(parse_certificate(&pem)?);
        if certs.len() >= MAX_CACHED_CERTS {
            certs.clear();
        }
        certs.insert(key, Arc::clone(&cert));
        Ok(cert)
    }
}

fn parse_certificate(pem: &[u8]) -> Result<CachedCert, WebhookError> {
    use x509_cert::der::oid::db::rfc5912::RSA_ENCRYPTION;
    let chain = x509_cert::Certificate::load_pem_chain(pem)
        .map_err(|e| WebhookError::CertInvalid(format!("not a PEM certificate: {e}")))?;
    // PayPal serves the signing certificate first, followed by its issuers.
    let leaf = chain
        .first()
        .ok_or_else(|| WebhookError::CertInvalid("empty certificate file".into()))?;
    let tbs = &leaf.tbs_certificate;
    let spki = &tbs.subject_public_key_info;
    if spki.algorithm.oid != RSA_ENCRYPTION {
        return Err(WebhookError::CertInvalid(format!(
            "key algorithm {} is not RSA",
            spki.algorithm.oid
        )));
    }
    let public_key = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| WebhookError::CertInvalid("public key is not byte aligned".into()))?
        .to_vec();
    Ok(CachedCert {
        public_key,
        not_before: tbs.validity.not_before.to_unix_duration(),
        not_after: tbs.validity.not_after.to_unix_duration(),
    })
}

/// A webhook event. `id` is the deduplication key: PayPal may deliver the same event many
/// times and in any order, and every delivery of one event has the same `id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    pub id: String,
    pub event_type: String,
    #[serde(default)]
    pub resource_type: Option<String>,
    #[serde(default)]
    pub create_time: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub resource: serde_json::Value,
}

/// The event types the application acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    OrderApproved,
    OrderCompleted,
    CaptureCompleted,
    CapturePending,
    CaptureDenied,
    CaptureRefunded,
    CaptureReversed,
    Other,
}

impl WebhookEvent {
    pub fn parse(raw_body: &[u8]) -> Result<Self, WebhookError> {
        let event: Self = serde_json::from_slice(raw_body)
            .map_err(|e| WebhookError::MalformedEvent(e.to_string()))?;
        if event.id.is_empty() || event.event_type.is_empty() {
            return Err(WebhookError::MalformedEvent(
                "empty id or event_type".into(),
            ));
        }
        Ok(event)
    }

    pub fn kind(&self) -> EventKind {
        match self.event_type.as_str() {
            "CHECKOUT.ORDER.APPROVED" => EventKind::OrderApproved,
            "CHECKOUT.ORDER.COMPLETED" => EventKind::OrderCompleted,
            "PAYMENT.CAPTURE.COMPLETED" => EventKind::CaptureCompleted,
            "PAYMENT.CAPTURE.PENDING" => EventKind::CapturePending,
            "PAYMENT.CAPTURE.DENIED" => EventKind::CaptureDenied,
            "PAYMENT.CAPTURE.REFUNDED" => EventKind::CaptureRefunded,
            "PAYMENT.CAPTURE.REVERSED" => EventKind::CaptureReversed,
            _ => EventKind::Other,
        }
    }

    /// `resource.id`: the order, capture or refund the event is about.
    pub fn resource_id(&self) -> Option<&str> {
        self.resource.get("id").and_then(|v| v.as_str())
    }

    /// The order id: the resource for `CHECKOUT.ORDER.*`, else
    /// `supplementary_data.related_ids.order_id`.
    pub fn order_id(&self) -> Option<&str> {
        if self.event_type.starts_with("CHECKOUT.ORDER.") {
            return self.resource_id();
        }
        self.resource
            .pointer("/supplementary_data/related_ids/order_id")
            .and_then(|v| v.as_str())
    }

    /// The capture id: the resource for capture events, the `up` link for refunds and
    /// reversals (whose resource is the refund).
    pub fn capture_id(&self) -> Option<&str> {
        match self.kind() {
            EventKind::CaptureCompleted | EventKind::CapturePending | EventKind::CaptureDenied => {
                self.resource_id()
            }
            EventKind::CaptureRefunded | EventKind::CaptureReversed => self
                .resource
                .get("links")
                .and_then(|l| l.as_array())
                .and_then(|links| {
                    links
                        .iter()
                        .find(|l| l.get("rel").and_then(|r| r.as_str()) == Some("up"))
                })
                .and_then(|l| l.get("href").and_then(|h| h.as_str()))
                .and_then(|href| href.trim_end_matches('/').rsplit('/').next()),
            _ => None,
        }
    }

    /// The refund id for refund and reversal events.
    pub fn refund_id(&self) -> Option<&str> {
        match self.kind() {
            EventKind::CaptureRefunded | EventKind::CaptureReversed => self.resource_id(),
            _ => None,
        }
    }

    /// `resource.amount` (capture or refund amount) in our minor units, when present.
    pub fn amount(&self) -> Option<Result<Money, AmountError>> {
        let money: WireMoney = serde_json::from_value(self.resource.get("amount")?.clone()).ok()?;
        Some(money.to_money())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_message_uses_unsigned_decimal_crc32() {
        // CRC32("hello") = 0x3610A686 = 907060870
        assert_eq!(
            signed_message("tid", "2024-01-01T00:00:00Z", "WH1", b"hello"),
            "tid|2024-01-01T00:00:00Z|WH1|907060870"
        );
    }

    #[test]
    fn only_paypal_hosts_over_https_are_allowed() {
        let p = CertPolicy::default();
        assert!(p
            .check("https://api.paypal.com/v1/notifications/certs/CERT-1")
            .is_ok());
        assert!(p
            .check("https://api.sandbox.paypal.com/v1/notifications/certs/CERT-1")
            .is_ok());
        for bad in [
            "http://api.paypal.com/v1/notifications/certs/CERT-1",
            "https://api.paypal.com.evil.example/v1/notifications/certs/CERT-1",
            "https://evil.example/v1/notifications/certs/CERT-1",
            "https://api.paypal.com:8443/v1/notifications/certs/CERT-1",
            "https://user@api.paypal.com/v1/notifications/certs/CERT-1",
            "https://api.paypal.com/v1/oauth2/token",
            "http://127.0.0.1:8080/v1/notifications/certs/CERT-1",
            "not a url",
        ] {
            assert!(
                matches!(p.check(bad), Err(WebhookError::CertUrlNotAllowed { .. })),
                "{bad}"
            );
        }
        let t = CertPolicy::default()
            .with_test_origin("http://127.0.0.1:8080")
            .unwrap();
        assert!(t
            .check("http://127.0.0.1:8080/v1/notifications/certs/CERT-1")
            .is_ok());
        assert!(t
            .check("http://127.0.0.1:8081/v1/notifications/certs/CERT-1")
            .is_err());
        assert!(t
            .check("http://localhost:8080/v1/notifications/certs/CERT-1")
            .is_err());
    }

    #[test]
    fn refund_events_point_to_their_capture() {
        let raw = br#"{"id":"WH-1","event_type":"PAYMENT.CAPTURE.REFUNDED","resource":{"id":"R1","amount":{"currency_code":"USD","value":"2.50"},"links":[{"rel":"self","href":"https://x/v2/payments/refunds/R1"},{"rel":"up","href":"https://x/v2/payments/captures/C1"}]}}"#;
        let e = WebhookEvent::parse(raw).unwrap();
        assert_eq!(e.kind(), EventKind::CaptureRefunded);
        assert_eq!(e.refund_id(), Some("R1"));
        assert_eq!(e.capture_id(), Some("C1"));
        assert_eq!(e.amount().unwrap().unwrap().minor, 250);
        assert_eq!(e.amount().unwrap().unwrap().currency.code(), "USD");
    }
}
