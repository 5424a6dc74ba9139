//! PayPal REST client for ContainerStacks: OAuth2 client credentials with a cached token,
//! Orders v2 (create, get, capture), Payments v2 refunds (full and partial), and webhook
//! verification offline (CRC32 of the raw body, RSA-SHA256 with a certificate fetched only
//! from PayPal's hosts, its chain checked against Mozilla's roots, a ±5-minute window on the
//! transmission time, replays refused) and through PayPal's verify-webhook-signature API.
//!
//! Main types: [`PayPalClient`] (configured by [`PayPalConfig`] for [`Environment::Sandbox`],
//! [`Environment::Live`] or a custom base URL such as the fake in `cs-fakes`),
//! [`RequestId`] (the `PayPal-Request-Id` idempotency key of every POST, reused on every
//! retry), [`WebhookVerifier`] and [`WebhookEvent`], and the typed [`PayPalError`].
//!
//! Money is `cs_core::Money` (ISO 4217 minor units). [`PayPalAmount`] is the one place where
//! it meets PayPal's decimal strings, whose decimals are PayPal's and not always ISO's (HUF
//! has two decimals in ISO and none at PayPal): every request amount is a `PayPalAmount` made
//! from `Money`, every response amount becomes `Money` through it, exactly or with an error,
//! never rounded. [`currency_support`] says whether PayPal takes a currency at all. Secrets ([`Secret`]: the client secret and access tokens) are redacted in
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

pub use amount::{
    currency_support, AmountError, CurrencySupport, Operation, PayPalAmount, WireMoney,
};
pub use client::{Environment, PayPalClient, PayPalConfig, RequestId, RetryPolicy, Secret};
pub use error::{ApiError, ErrorDetail, PayPalError};
pub use orders::{
    Capture, CaptureStatus, CreateOrder, Link, Order, OrderStatus, Payments, PurchaseUnit, Refund,
    RefundRequest, RefundStatus,
};
pub use webhook::{
    signed_message, CertPolicy, EventKind, WebhookError, WebhookEvent, WebhookHeaders,
    WebhookVerifier, PAYPAL_CERT_HOSTS, PAYPAL_SIGNING_NAMES, TRANSMISSION_WINDOW,
};
