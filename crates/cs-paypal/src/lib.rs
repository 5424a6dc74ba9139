//! PayPal REST client for ContainerStacks: OAuth2 client credentials with a cached token,
//! Orders v2 (create, get, capture), Payments v2 refunds (full and partial), and webhook
//! verification, both through PayPal's verify-webhook-signature API and offline (CRC32 of
//! the raw body, RSA-SHA256, certificates fetched only from PayPal's hosts and cached).
//!
//! Main types: [`PayPalClient`] (configured by [`PayPalConfig`] for [`Environment::Sandbox`],
//! [`Environment::Live`] or a custom base URL such as the fake in `cs-fakes`),
//! [`RequestId`] (the `PayPal-Request-Id` idempotency key of every POST, reused on every
//! retry), [`WebhookVerifier`] and [`WebhookEvent`], and the typed [`PayPalError`].
//!
//! Money is [`Amount`]: integer minor units converted exactly to PayPal's decimal strings,
//! never floats. Secrets ([`Secret`]: the client secret and access tokens) are redacted in
//! `Debug` and never put in errors or logs.
//!
//! This crate does not credit wallets or store anything: deciding that a capture or a
//! webhook event is applied exactly once (keyed by capture id and event id) belongs to the
//! application, which stores request ids before sending and event ids under a UNIQUE key.

mod amount;
mod client;
mod error;
mod orders;
mod webhook;

pub use amount::{currency_decimals, Amount, AmountError, WireMoney};
pub use client::{Environment, PayPalClient, PayPalConfig, RequestId, RetryPolicy, Secret};
pub use error::{ApiError, ErrorDetail, PayPalError};
pub use orders::{
    Capture, CaptureStatus, CreateOrder, Link, Order, OrderStatus, Payments, PurchaseUnit, Refund,
    RefundRequest, RefundStatus,
};
pub use webhook::{
    signed_message, CertPolicy, EventKind, WebhookError, WebhookEvent, WebhookHeaders,
    WebhookVerifier, PAYPAL_CERT_HOSTS,
};
