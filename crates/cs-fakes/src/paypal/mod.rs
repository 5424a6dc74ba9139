//! A stateful fake PayPal speaking the REST wire format of Orders v2, Payments v2 and the
//! webhook API, for tests and demo mode.
//!
//! It keeps real state: OAuth2 tokens (HTTP basic auth on `/v1/oauth2/token`), orders that go
//! CREATED → APPROVED (a GET on the order's `approve` link plays the payer's click) →
//! COMPLETED, captures, full and partial refunds refused exactly as PayPal refuses them
//! (`422 UNPROCESSABLE_ENTITY` with `REFUND_AMOUNT_EXCEEDED` or `CAPTURE_FULLY_REFUNDED`), and
//! `PayPal-Request-Id` replay (the same id on the same endpoint answers the stored response
//! and has no new effect). Amounts follow PayPal's currency list and decimals (no decimals
//! for HUF, JPY and TWD), refused with the issue each API documents. Webhook events are
//! recorded for every state change and delivered on demand, signed at a chosen transmission
//! time with the fake's own certificate chain, which it serves itself; see [`webhooks`].
//!
//! Faults can be injected ([`Fault`]) to test retries: errors before the effect, rate
//! limits, and a response lost after the effect happened.

mod state;
pub mod webhooks;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use tokio::task::JoinHandle;

pub use state::{Fault, LoggedRequest};
pub use webhooks::{SignedDelivery, WebhookCert};

/// How the fake is set up.
#[derive(Debug, Clone)]
pub struct FakePayPalConfig {
    pub client_id: String,
    pub client_secret: String,
    /// Lifetime announced in `expires_in` and enforced on API calls.
    pub token_ttl: Duration,
    /// The id PayPal would give the merchant's webhook (alphanumeric, as in the spec).
    pub webhook_id: String,
    /// The certificate chain deliveries are signed with.
    pub webhook_cert: WebhookCert,
}

impl Default for FakePayPalConfig {
    fn default() -> Self {
        Self {
            client_id: "AcsFakeClientId0001".into(),
            client_secret: "EcsFakeClientSecret0001".into(),
            token_ttl: Duration::from_secs(32_400),
            webhook_id: "1JE4291016473214C".into(),
            webhook_cert: WebhookCert::Valid,
        }
    }
}

/// A running fake PayPal on `127.0.0.1:<random port>`. Stops when dropped.
pub struct FakePayPal {
    addr: SocketAddr,
    state: Arc<state::Shared>,
    server: JoinHandle<()>,
}

impl FakePayPal {
    /// Starts the fake with the default credentials.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(FakePayPalConfig::default()).await
    }

    pub async fn start_with(config: FakePayPalConfig) -> std::io::Result<Self> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts the fake on a chosen address (port 0: any free port).
    pub async fn start_on(config: FakePayPalConfig, addr: SocketAddr) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let signer = webhooks::Signer::generate(&base_url, config.webhook_cert)
            .map_err(std::io::Error::other)?;
        let state = Arc::new(state::Shared {
            base_url,
            config,
            signer,
            inner: Mutex::new(state::Inner::default()),
        });
        let app = router(Arc::clone(&state));
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!("fake PayPal stopped: {e}");
            }
        });
        Ok(Self {
            addr,
            state,
            server,
        })
    }

    /// `http://127.0.0.1:<port>`: pass it as the client's custom environment.
    pub fn base_url(&self) -> &str {
        &self.state.base_url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn client_id(&self) -> &str {
        &self.state.config.client_id
    }

    pub fn client_secret(&self) -> &str {
        &self.state.config.client_secret
    }

    pub fn webhook_id(&self) -> &str {
        &self.state.config.webhook_id
    }

    /// How many tokens were issued.
    pub fn tokens_issued(&self) -> u64 {
        self.state.lock().tokens_issued
    }

    /// Number of captures and refunds that really happened (replays do not count).
    pub fn capture_count(&self) -> usize {
        self.state.lock().captures.len()
    }

    pub fn refund_count(&self) -> usize {
        self.state.lock().refunds.len()
    }

    pub fn order_count(&self) -> usize {
        self.state.lock().orders.len()
    }

    /// Every request received, in order (token, API, approval and certificate requests).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state.lock().requests.clone()
    }

    /// Makes the next API request (not token, approval or certificate) fail as described.
    pub fn inject(&self, fault: Fault) {
        self.state.lock().faults.push_back(fault);
    }

    /// Expires every issued token now, as if PayPal had revoked them.
    pub fn revoke_tokens(&self) {
        self.state.lock().tokens.clear();
    }

    /// How often the webhook certificate was downloaded.
    pub fn cert_fetches(&self) -> u64 {
        self.state.lock().cert_fetches
    }

    /// The URL the signing certificate is served at (the `PAYPAL-CERT-URL` of deliveries).
    pub fn cert_url(&self) -> String {
        self.state.signer.cert_url.clone()
    }

    /// The certificate file served at [`cert_url`](Self::cert_url), PEM: the signing
    /// certificate, its intermediate and its root.
    pub fn cert_pem(&self) -> String {
        self.state.signer.cert_pem.clone()
    }

    /// All webhook events produced so far, oldest first, as PayPal would send them.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.state.lock().events.clone()
    }

    /// Signs one delivery of `event` (fresh transmission id, transmitted now, like each
    /// PayPal retry) and remembers it for the verify-webhook-signature endpoint.
    pub fn sign_event(&self, event: &serde_json::Value) -> SignedDelivery {
        self.sign_event_at(event, chrono::Utc::now())
    }

    /// [`sign_event`](Self::sign_event) with the transmission time `at`: a test whose
    /// receiver runs on a fixed clock signs at that clock's time, and stale or future
    /// deliveries are made this way.
    pub fn sign_event_at(
        &self,
        event: &serde_json::Value,
        at: chrono::DateTime<chrono::Utc>,
    ) -> SignedDelivery {
        let body = serde_json::to_vec(event).expect("json value serializes");
        self.sign_body_at(body, at)
    }

    /// Signs arbitrary bytes as a delivery body, transmitted now.
    pub fn sign_body(&self, body: Vec<u8>) -> SignedDelivery {
        self.sign_body_at(body, chrono::Utc::now())
    }

    /// Signs arbitrary bytes as a delivery body transmitted at `at`.
    pub fn sign_body_at(&self, body: Vec<u8>, at: chrono::DateTime<chrono::Utc>) -> SignedDelivery {
        let delivery = self
            .state
            .signer
            .sign(&self.state.config.webhook_id, body, at);
        self.state
            .lock()
            .transmissions
            .insert(delivery.transmission_id.clone(), delivery.clone());
        delivery
    }

    /// POSTs one delivery to `target_url` and returns the HTTP status the target answered.
    pub async fn deliver(
        &self,
        target_url: &str,
        delivery: &SignedDelivery,
    ) -> Result<u16, String> {
        webhooks::post_delivery(target_url, delivery).await
    }

    /// Delivers every event in `events` `copies` times each, every delivery freshly signed,
    /// in an order shuffled by `seed` (so duplicates and out-of-order arrival both happen).
    /// Returns the target's status for each delivery, in sending order.
    pub async fn deliver_shuffled(
        &self,
        target_url: &str,
        events: &[serde_json::Value],
        copies: usize,
        seed: u64,
    ) -> Result<Vec<u16>, String> {
        let mut plan: Vec<&serde_json::Value> = events
            .iter()
            .flat_map(|e| std::iter::repeat_n(e, copies))
            .collect();
        webhooks::shuffle(&mut plan, seed);
        let mut statuses = Vec::with_capacity(plan.len());
        for event in plan {
            let delivery = self.sign_event(event);
            statuses.push(self.deliver(target_url, &delivery).await?);
        }
        Ok(statuses)
    }
}

impl Drop for FakePayPal {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn router(state: Arc<state::Shared>) -> Router {
    use state::handlers as h;
    Router::new()
        .route("/v1/oauth2/token", post(h::token))
        .route("/v2/checkout/orders", post(h::create_order))
        .route("/v2/checkout/orders/{id}", get(h::get_order))
        .route("/v2/checkout/orders/{id}/capture", post(h::capture_order))
        .route("/v2/payments/captures/{id}", get(h::get_capture))
        .route("/v2/payments/captures/{id}/refund", post(h::refund_capture))
        .route("/v2/payments/refunds/{id}", get(h::get_refund))
        .route(
            "/v1/notifications/verify-webhook-signature",
            post(h::verify_webhook_signature),
        )
        .route("/v1/notifications/certs/{name}", get(h::cert))
        .route("/checkoutnow", get(h::approve))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            h::log_request,
        ))
        .with_state(state)
}
