//! Typed errors of the PayPal client.
//!
//! Messages never contain the client secret or an access token: they are built only from
//! the HTTP status, PayPal's error body (name, message, issues, debug id) and our own text.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// One entry of PayPal's `details` array (`error_details` in the specs).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ErrorDetail {
    /// The unique, fine-grained error code, e.g. `REFUND_AMOUNT_EXCEEDED`.
    pub issue: String,
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// PayPal's standard error body: `{ name, message, debug_id, details[] }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ApiError {
    /// e.g. `UNPROCESSABLE_ENTITY`, `INVALID_REQUEST`, `RESOURCE_NOT_FOUND`.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub message: String,
    /// PayPal's correlation id: quote it to PayPal support.
    #[serde(default)]
    pub debug_id: Option<String>,
    #[serde(default)]
    pub details: Vec<ErrorDetail>,
}

impl ApiError {
    /// The first issue code, which is what callers branch on.
    pub fn issue(&self) -> Option<&str> {
        self.details.first().map(|d| d.issue.as_str())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.is_empty() {
            f.write_str("no error name")?;
        } else {
            f.write_str(&self.name)?;
        }
        for d in &self.details {
            write!(f, "; {}", d.issue)?;
            if let Some(field) = &d.field {
                write!(f, " at {field}")?;
            }
            if let Some(desc) = &d.description {
                write!(f, " ({desc})")?;
            }
        }
        if let Some(id) = &self.debug_id {
            write!(f, "; debug id {id}")?;
        }
        Ok(())
    }
}

/// Everything a PayPal call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum PayPalError {
    /// The OAuth2 token request was refused: wrong client id / secret or wrong environment.
    #[error("PayPal refused the REST app credentials (HTTP {status}, {reason}): check the client id, the secret and sandbox/live in Settings → Payments")]
    AuthFailed { status: u16, reason: String },

    /// 400: the request is malformed or violates PayPal's schema.
    #[error("PayPal rejected the request as invalid ({api}): this is a bug in the request we built, report it with the debug id")]
    Validation { api: ApiError },

    /// 422: well-formed but refused by business rules (over-refund, order not approved …).
    #[error("PayPal refused the operation ({api}): check the order or capture state before trying again")]
    Unprocessable { api: ApiError },

    /// 404: no such order, capture or refund for these credentials.
    #[error("PayPal does not know this {resource} ({api}): check the id and that sandbox/live matches where it was created")]
    NotFound {
        resource: &'static str,
        api: ApiError,
    },

    /// 409: a previous request for the same resource is still in progress.
    #[error("PayPal is still processing a previous request for this resource ({api}): retry later with the same PayPal-Request-Id")]
    Conflict { api: ApiError },

    /// 403: the REST app lacks the permission for this call.
    #[error("PayPal denied this call to the REST app ({api}): enable the feature for the app in the PayPal developer dashboard")]
    Forbidden { api: ApiError },

    /// 429 after all retries.
    #[error("PayPal is rate limiting this app: wait {} s and try again", retry_after.map(|d| d.as_secs()).unwrap_or(60))]
    RateLimited { retry_after: Option<Duration> },

    /// 5xx after all retries.
    #[error("PayPal had a server error (HTTP {status}{}): try again later with the same request id", debug_id.as_deref().map(|d| format!(", debug id {d}")).unwrap_or_default())]
    Server {
        status: u16,
        debug_id: Option<String>,
    },

    /// Could not reach PayPal, or the connection broke.
    #[error("could not reach PayPal ({message}): check the internet connection and try again")]
    Transport { message: String },

    /// PayPal answered something we could not decode.
    #[error("PayPal sent an unexpected answer (HTTP {status}: {message}): report this with the time of the call")]
    Decode { status: u16, message: String },

    /// Another HTTP status we have no better mapping for.
    #[error("PayPal answered HTTP {status} ({api}): report this with the debug id")]
    Unexpected { status: u16, api: ApiError },

    /// An amount could not cross between our money and PayPal's (currency not supported,
    /// a fraction PayPal cannot carry, an unreadable value from PayPal).
    #[error("{0}")]
    Amount(#[from] crate::amount::AmountError),

    /// The client was configured wrongly (bad base URL …).
    #[error("PayPal client configuration is invalid: {0}")]
    Config(String),
}

impl PayPalError {
    /// PayPal's error body, when there is one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Validation { api }
            | Self::Unprocessable { api }
            | Self::NotFound { api, .. }
            | Self::Conflict { api }
            | Self::Forbidden { api }
            | Self::Unexpected { api, .. } => Some(api),
            _ => None,
        }
    }

    /// The first fine-grained issue, e.g. `Some("REFUND_AMOUNT_EXCEEDED")`.
    pub fn issue(&self) -> Option<&str> {
        self.api_error().and_then(ApiError::issue)
    }

    /// Whether retrying the same request (with the same request id) may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. }
                | Self::Server { .. }
                | Self::Transport { .. }
                | Self::Conflict { .. }
        )
    }
}
