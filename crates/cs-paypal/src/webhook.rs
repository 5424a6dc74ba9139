//! Webhook deliveries: headers, offline verification, and the event type.
//!
//! PayPal signs `transmission_id|transmission_time|webhook_id|crc32(raw body)` with
//! RSA-SHA256 (`SHA256withRSA`) and names the signing certificate by URL. The signature does
//! not cover that URL, so the URL is the sender's choice; [`WebhookVerifier`] therefore
//! accepts a delivery only when all of this holds:
//!
//! 1. the certificate URL is on PayPal's own hosts over HTTPS ([`CertPolicy`]), checked
//!    before anything is fetched;
//! 2. `PAYPAL-TRANSMISSION-TIME` is within [`TRANSMISSION_WINDOW`] (±5 minutes) of the
//!    caller's time, so a captured delivery cannot be replayed later;
//! 3. the certificate chains to a trusted root (Mozilla's roots, `webpki-roots`), is within
//!    its validity dates at the caller's time, is a TLS server certificate and is issued to
//!    `messageverificationcerts.paypal.com` (or `.sandbox.paypal.com`), checked with
//!    `rustls-webpki`, the verifier rustls itself uses;
//! 4. the signature verifies with that certificate's key;
//! 5. the transmission was not accepted before by this verifier (a replay inside the
//!    window). Event ids are still deduplicated by the application: PayPal retries an event
//!    with a fresh transmission, and a restart forgets the transmissions seen.
//!
//! # Why offline, and not PayPal's verify-webhook-signature API
//!
//! Both are documented by PayPal. We verify offline in production because it needs no
//! OAuth token, no call to PayPal and no PayPal availability per delivery (a delivery is
//! never refused because PayPal's API was slow or rate limited), because its result does not
//! depend on PayPal re-serializing the event we send back, and because each step above is
//! ours to test. The API stays available as [`crate::PayPalClient::verify_webhook_signature`]
//! as a cross-check. What offline verification must then do itself — the certificate chain,
//! its dates, its name, and freshness — is listed above and refused with a distinct
//! [`WebhookError`] each. It fails closed: should PayPal ever sign with a chain outside
//! Mozilla's roots (webpki-roots follows Mozilla's removals), deliveries are refused with
//! `CertUntrusted` and PayPal keeps retrying while the payment poller still moves payments
//! on; the fix is a newer webpki-roots, never a weaker check.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use cs_core::Money;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName, SignatureVerificationAlgorithm, UnixTime};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::amount::{AmountError, WireMoney};

/// The hosts PayPal serves webhook certificates from.
pub const PAYPAL_CERT_HOSTS: [&str; 2] = ["api.paypal.com", "api.sandbox.paypal.com"];

/// The names PayPal's webhook signing certificates are issued to (live, sandbox).
pub const PAYPAL_SIGNING_NAMES: [&str; 2] = [
    "messageverificationcerts.paypal.com",
    "messageverificationcerts.sandbox.paypal.com",
];

/// How far `PAYPAL-TRANSMISSION-TIME` may be from the receiver's time, either way. PayPal
/// sends a delivery as it signs it; five minutes absorb clock skew and queueing.
pub const TRANSMISSION_WINDOW: chrono::Duration = chrono::Duration::minutes(5);

const CERT_PATH_PREFIX: &str = "/v1/notifications/certs/";
const MAX_CERT_BYTES: usize = 64 * 1024;
const MAX_CACHED_CERTS: usize = 32;
/// Transmissions remembered for replay detection (only those inside the window are kept).
const MAX_SEEN_TRANSMISSIONS: usize = 10_000;

/// Chain and leaf signature algorithms accepted (those of the public web PKI).
static CHAIN_ALGS: &[&dyn SignatureVerificationAlgorithm] = &[
    webpki::ring::RSA_PKCS1_2048_8192_SHA256,
    webpki::ring::RSA_PKCS1_2048_8192_SHA384,
    webpki::ring::RSA_PKCS1_2048_8192_SHA512,
    webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
    webpki::ring::ECDSA_P256_SHA256,
    webpki::ring::ECDSA_P256_SHA384,
    webpki::ring::ECDSA_P384_SHA256,
    webpki::ring::ECDSA_P384_SHA384,
];

/// Why a webhook delivery was not accepted. Answer the sender with 400 for all of them:
/// PayPal retries with a fresh transmission, and a genuine event is then accepted.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("webhook delivery lacks the {0} header: it was not sent by PayPal")]
    MissingHeader(&'static str),
    #[error("webhook signed with {0:?}, only SHA256withRSA is accepted: refuse the delivery")]
    UnsupportedAlgorithm(String),
    #[error("webhook certificate URL {url:?} is not on a PayPal host ({reason}): the delivery is forged or misconfigured and was refused")]
    CertUrlNotAllowed { url: String, reason: &'static str },
    #[error(
        "the webhook transmission time {0:?} is not an RFC 3339 time: the delivery was refused"
    )]
    BadTransmissionTime(String),
    #[error("the webhook was sent at {sent}, {age_s} s before this computer's time, outside the 5-minute window: a replay or a late delivery, refused (PayPal retries with a fresh one; if every delivery is refused, check this computer's clock)")]
    TransmissionTooOld { sent: String, age_s: i64 },
    #[error("the webhook claims to be sent at {sent}, {ahead_s} s after this computer's time, outside the 5-minute window: refused (if every delivery is refused, check this computer's clock)")]
    TransmissionInFuture { sent: String, ahead_s: i64 },
    #[error("could not fetch the webhook certificate from {url} ({message}): PayPal will retry the delivery, nothing to do unless it keeps failing")]
    CertFetch { url: String, message: String },
    #[error("the webhook certificate is unusable ({0}): the delivery was refused")]
    CertInvalid(String),
    #[error("the webhook certificate is outside its validity period: the delivery was refused (if PayPal's certificate is current, check this computer's clock)")]
    CertExpired,
    #[error("the webhook certificate does not chain to a trusted root ({0}): the delivery is forged and was refused")]
    CertUntrusted(String),
    #[error("the webhook certificate is not issued to PayPal's webhook signing name: the delivery is forged and was refused")]
    CertWrongName,
    #[error("the webhook signature is not valid base64: the delivery was refused")]
    BadSignatureEncoding,
    #[error("the webhook signature does not match the body and headers: the delivery is forged or was altered, and was refused")]
    SignatureMismatch,
    #[error("webhook transmission {0} was accepted before: this is a replay, refused")]
    Replayed(String),
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

/// Where certificates may come from, and what they must chain to.
#[derive(Debug, Clone)]
pub struct CertPolicy {
    hosts: Vec<String>,
    test_origin: Option<url::Url>,
}

impl Default for CertPolicy {
    /// PayPal's hosts over HTTPS; chains to Mozilla's roots. What production uses.
    fn default() -> Self {
        Self {
            hosts: PAYPAL_CERT_HOSTS.iter().map(|h| (*h).to_owned()).collect(),
            test_origin: None,
        }
    }
}

impl CertPolicy {
    /// Also accepts certificates from one exact origin (scheme, host and port), HTTP
    /// allowed: a test double such as the fake PayPal, which signs with a chain of its own.
    /// A certificate file from that origin must end with its root, and the chain is checked
    /// against **that** root instead of the public ones; dates, name, key usage and the
    /// signature are checked as in production. Only tests and demo mode (a custom base URL)
    /// set this: whoever runs the test origin can sign anything.
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
        self.check_source(cert_url).map(|(url, _)| url)
    }

    /// The URL, and whether it is the test origin.
    fn check_source(&self, cert_url: &str) -> Result<(url::Url, Source), WebhookError> {
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
                return Ok((url, Source::TestOrigin));
            }
        }
        if url.scheme() != "https" {
            return Err(refuse("not HTTPS"));
        }
        if url.port().is_some() {
            return Err(refuse("non-default port"));
        }
        match url.host_str() {
            Some(host) if self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) => {
                Ok((url, Source::PayPal))
            }
            _ => Err(refuse("host not allow-listed")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    PayPal,
    TestOrigin,
}

/// A downloaded certificate file (leaf first, then its issuers), kept as DER and checked
/// again on every delivery, since validity depends on the time of the delivery.
struct CachedChain {
    certs: Vec<CertificateDer<'static>>,
    source: Source,
}

/// Checks `chain` at `now`; returns nothing but the verdict, the leaf is `chain.certs[0]`.
fn check_chain(chain: &CachedChain, now: DateTime<Utc>) -> Result<(), WebhookError> {
    let (leaf, rest) = chain
        .certs
        .split_first()
        .ok_or_else(|| WebhookError::CertInvalid("empty certificate file".into()))?;
    let leaf = webpki::EndEntityCert::try_from(leaf)
        .map_err(|e| WebhookError::CertInvalid(format!("the certificate does not parse: {e}")))?;
    let served_root;
    let anchors: &[rustls_pki_types::TrustAnchor<'_>] = match chain.source {
        Source::PayPal => webpki_roots::TLS_SERVER_ROOTS,
        Source::TestOrigin => {
            let root = rest.last().ok_or_else(|| {
                WebhookError::CertUntrusted("the test origin served no root".into())
            })?;
            served_root = [webpki::anchor_from_trusted_cert(root).map_err(|e| {
                WebhookError::CertInvalid(format!("the test origin's root does not parse: {e}"))
            })?];
            &served_root
        }
    };
    let time = UnixTime::since_unix_epoch(Duration::from_secs(
        u64::try_from(now.timestamp()).unwrap_or(0),
    ));
    leaf.verify_for_usage(
        CHAIN_ALGS,
        anchors,
        rest,
        time,
        webpki::KeyUsage::server_auth(),
        None,
        None,
    )
    .map_err(|e| match e {
        webpki::Error::CertExpired { .. } | webpki::Error::CertNotValidYet { .. } => {
            WebhookError::CertExpired
        }
        e => WebhookError::CertUntrusted(e.to_string()),
    })?;
    let named = PAYPAL_SIGNING_NAMES.iter().any(|name| {
        ServerName::try_from(*name)
            .ok()
            .is_some_and(|n| leaf.verify_is_valid_for_subject_name(&n).is_ok())
    });
    if !named {
        return Err(WebhookError::CertWrongName);
    }
    Ok(())
}

/// Verifies deliveries for one webhook offline. Share one verifier (it caches certificates
/// and remembers the transmissions it accepted).
pub struct WebhookVerifier {
    webhook_id: String,
    policy: CertPolicy,
    http: reqwest::Client,
    certs: Mutex<HashMap<String, Arc<CachedChain>>>,
    cert_fetches: AtomicU64,
    /// Accepted transmission id → its transmission time.
    seen: std::sync::Mutex<HashMap<String, DateTime<Utc>>>,
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
            seen: std::sync::Mutex::new(HashMap::new()),
        }
    }

    pub fn webhook_id(&self) -> &str {
        &self.webhook_id
    }

    /// How many certificates were downloaded so far (the rest came from the cache).
    pub fn cert_fetches(&self) -> u64 {
        self.cert_fetches.load(Ordering::Relaxed)
    }

    /// Verifies one delivery received at `now` (the caller's clock) and returns its event.
    /// `raw_body` must be the exact bytes received: re-serialized JSON changes the CRC and
    /// fails. The checks, in order, are listed in the module documentation.
    ///
    /// A verified event may still be a duplicate: PayPal delivers at least once, in any
    /// order, each time as a new transmission. Deduplicate on [`WebhookEvent::id`].
    pub async fn verify(
        &self,
        headers: &WebhookHeaders,
        raw_body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<WebhookEvent, WebhookError> {
        if !headers.auth_algo.eq_ignore_ascii_case("SHA256withRSA") {
            return Err(WebhookError::UnsupportedAlgorithm(
                headers.auth_algo.clone(),
            ));
        }
        let (url, source) = self.policy.check_source(&headers.cert_url)?;
        let sent = check_transmission_time(&headers.transmission_time, now)?;
        let signature = base64::engine::general_purpose::STANDARD
            .decode(headers.transmission_sig.as_bytes())
            .map_err(|_| WebhookError::BadSignatureEncoding)?;
        let chain = self.certificate(&url, source).await?;
        check_chain(&chain, now)?;
        let leaf = webpki::EndEntityCert::try_from(&chain.certs[0])
            .map_err(|e| WebhookError::CertInvalid(e.to_string()))?;
        let message = headers.signed_message(&self.webhook_id, raw_body);
        leaf.verify_signature(
            webpki::ring::RSA_PKCS1_2048_8192_SHA256,
            message.as_bytes(),
            &signature,
        )
        .map_err(|_| WebhookError::SignatureMismatch)?;
        let event = WebhookEvent::parse(raw_body)?;
        self.remember(&headers.transmission_id, sent, now)?;
        Ok(event)
    }

    /// Records an accepted transmission; refuses one accepted before.
    fn remember(
        &self,
        transmission_id: &str,
        sent: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), WebhookError> {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.contains_key(transmission_id) {
            return Err(WebhookError::Replayed(transmission_id.to_owned()));
        }
        // Transmissions older than the window are refused by their time already.
        let horizon = now - TRANSMISSION_WINDOW;
        seen.retain(|_, at| *at >= horizon);
        if seen.len() >= MAX_SEEN_TRANSMISSIONS {
            if let Some(oldest) = seen
                .iter()
                .min_by_key(|(_, at)| **at)
                .map(|(k, _)| k.clone())
            {
                seen.remove(&oldest);
            }
        }
        seen.insert(transmission_id.to_owned(), sent);
        Ok(())
    }

    async fn certificate(
        &self,
        url: &url::Url,
        source: Source,
    ) -> Result<Arc<CachedChain>, WebhookError> {
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
        // PayPal serves the signing certificate first, followed by its issuers.
        let chain = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| WebhookError::CertInvalid(format!("not a PEM certificate file: {e}")))?;
        if chain.is_empty() {
            return Err(WebhookError::CertInvalid(
                "no certificate in the file".into(),
            ));
        }
        let cached = Arc::new(CachedChain {
            certs: chain,
            source,
        });
        if certs.len() >= MAX_CACHED_CERTS {
            certs.clear();
        }
        certs.insert(key, Arc::clone(&cached));
        Ok(cached)
    }
}

/// Parses `PAYPAL-TRANSMISSION-TIME` and checks it is within the window around `now`.
fn check_transmission_time(
    transmission_time: &str,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, WebhookError> {
    let sent = DateTime::parse_from_rfc3339(transmission_time)
        .map_err(|_| WebhookError::BadTransmissionTime(transmission_time.to_owned()))?
        .with_timezone(&Utc);
    let age = now - sent;
    if age > TRANSMISSION_WINDOW {
        return Err(WebhookError::TransmissionTooOld {
            sent: transmission_time.to_owned(),
            age_s: age.num_seconds(),
        });
    }
    if -age > TRANSMISSION_WINDOW {
        return Err(WebhookError::TransmissionInFuture {
            sent: transmission_time.to_owned(),
            ahead_s: (-age).num_seconds(),
        });
    }
    Ok(sent)
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

    fn chain_of(pem: &str, source: Source) -> CachedChain {
        CachedChain {
            certs: CertificateDer::pem_slice_iter(pem.as_bytes())
                .collect::<Result<_, _>>()
                .unwrap(),
            source,
        }
    }

    /// A certificate file from PayPal's host must chain to Mozilla's roots: a root shipped
    /// in the file (what the fake serves) counts only for the test origin.
    #[tokio::test]
    async fn chains_from_paypal_hosts_need_a_public_root() {
        let fake = cs_fakes::paypal::FakePayPal::start().await.unwrap();
        let now = Utc::now();
        check_chain(&chain_of(&fake.cert_pem(), Source::TestOrigin), now).unwrap();
        let err = check_chain(&chain_of(&fake.cert_pem(), Source::PayPal), now).unwrap_err();
        assert!(matches!(err, WebhookError::CertUntrusted(_)), "{err:?}");
        // Only the signing certificate, as PayPal serves it, from the test origin: no root.
        let leaf_only: String = fake
            .cert_pem()
            .split_inclusive("-----END CERTIFICATE-----\n")
            .next()
            .unwrap()
            .to_owned();
        let err = check_chain(&chain_of(&leaf_only, Source::TestOrigin), now).unwrap_err();
        assert!(matches!(err, WebhookError::CertUntrusted(_)), "{err:?}");
    }

    #[test]
    fn the_transmission_window_is_five_minutes_each_way() {
        let now = DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        for ok in [
            "2026-03-01T12:00:00Z",
            "2026-03-01T11:55:00Z",
            "2026-03-01T12:05:00Z",
            "2026-03-01T13:04:59+01:00",
            "2026-03-01T11:59:59.123Z",
        ] {
            assert!(check_transmission_time(ok, now).is_ok(), "{ok}");
        }
        assert!(matches!(
            check_transmission_time("2026-03-01T11:54:59Z", now),
            Err(WebhookError::TransmissionTooOld { age_s: 301, .. })
        ));
        assert!(matches!(
            check_transmission_time("2026-03-01T12:05:01Z", now),
            Err(WebhookError::TransmissionInFuture { ahead_s: 301, .. })
        ));
        for bad in [
            "",
            "2026-03-01 12:00:00",
            "1772366400",
            "2026-03-01T12:00:00",
        ] {
            assert!(
                matches!(
                    check_transmission_time(bad, now),
                    Err(WebhookError::BadTransmissionTime(_))
                ),
                "{bad:?}"
            );
        }
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
