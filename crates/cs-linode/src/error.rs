//! The client's error type: one variant per class of failure a caller branches on.
//!
//! Messages say what happened and what to do next. They never contain the token: the
//! token only travels in a sensitive header and is never formatted.

use std::time::Duration;

use serde::Deserialize;

/// One entry of Linode's `{"errors":[{"reason","field"}]}` body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiErrorDetail {
    pub reason: String,
    #[serde(default)]
    pub field: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ApiErrorBody {
    #[serde(default)]
    pub errors: Vec<ApiErrorDetail>,
}

/// Everything a Linode call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum LinodeError {
    /// 401: the token is wrong, expired or revoked.
    #[error("Linode rejected the API token (invalid, expired or revoked): create a personal access token in Cloud Manager and paste it in Settings → Providers")]
    InvalidToken,

    /// 403: the token is valid but lacks the scope this operation needs.
    #[error("the Linode token is not allowed to do this ({reason}): {}", match required_scopes { Some(s) => format!("give the token the scope `{s}` (or create a new token with it) in Cloud Manager → API Tokens"), None => "give the token read/write access to this kind of resource in Cloud Manager → API Tokens".to_owned() })]
    ForbiddenScope {
        /// The scope(s) Linode said it accepts for this operation (`X-Accepted-OAuth-Scopes`).
        required_scopes: Option<String>,
        reason: String,
    },

    /// 404: the object does not exist (or is not visible to this token).
    #[error(
        "Linode has no {what}: it was deleted or never existed; refresh the list and try again"
    )]
    NotFound { what: String },

    /// 400 (and 422) for a specific field or request: fix the input.
    #[error("Linode refused the request{}: {reason}; correct the value and try again", field.as_deref().map(|f| format!(" because of `{f}`")).unwrap_or_default())]
    Validation {
        field: Option<String>,
        reason: String,
    },

    /// rDNS update refused because no forward record resolves the name to the address.
    #[error("Linode refused reverse DNS `{rdns}` for {address}: it needs forward DNS first; create an A/AAAA record for {rdns} pointing at {address}, wait until it resolves, then set the reverse DNS again")]
    RdnsNeedsForwardDns { address: String, rdns: String },

    /// `400 Linode busy.`: another operation is running on the instance. Retryable.
    #[error("the Linode is busy with another operation: wait a minute and try again")]
    Busy,

    /// 429: the per-token rate limit was hit.
    #[error("Linode rate limit reached: wait {} s and try again", retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration },

    /// 5xx from Linode.
    #[error("Linode had a server error ({status}{}): try again later, and check status.linode.com if it persists", if reason.is_empty() { String::new() } else { format!(": {reason}") })]
    Server { status: u16, reason: String },

    /// No answer in time. For a create, the instance may or may not exist.
    #[error("Linode did not answer in time: check your connection and try again")]
    Timeout,

    /// Connection-level failure (DNS, TLS, connection reset).
    #[error("could not talk to Linode ({0}): check your internet connection and try again")]
    Transport(String),

    /// The answer was not what the API documents.
    #[error("Linode sent an answer this version does not understand ({0}): update ContainerStacks or report the problem")]
    Decode(String),

    /// The client was used wrongly (e.g. an empty token, a bad base URL).
    #[error("the Linode client is misconfigured: {0}")]
    Config(String),
}

impl LinodeError {
    /// Whether retrying the same request later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            LinodeError::Busy
                | LinodeError::RateLimited { .. }
                | LinodeError::Server { .. }
                | LinodeError::Timeout
                | LinodeError::Transport(_)
        )
    }

    /// Classifies an error answer from its status and body alone (no headers), e.g. for
    /// recorded answers.
    pub fn from_api(status: u16, body: &[u8]) -> Self {
        Self::from_response(status, body, None, None, "object")
    }

    /// Builds the error for an HTTP error status and its (possibly empty) body.
    pub(crate) fn from_response(
        status: u16,
        body: &[u8],
        retry_after: Option<Duration>,
        accepted_scopes: Option<String>,
        what: &str,
    ) -> Self {
        let details = serde_json::from_slice::<ApiErrorBody>(body)
            .map(|b| b.errors)
            .unwrap_or_default();
        let first = details.first().cloned();
        let reason = details
            .iter()
            .map(|d| d.reason.trim_end_matches('.').to_owned())
            .collect::<Vec<_>>()
            .join("; ");
        match status {
            401 => LinodeError::InvalidToken,
            403 => LinodeError::ForbiddenScope {
                required_scopes: accepted_scopes.filter(|s| !s.trim().is_empty()),
                reason: if reason.is_empty() {
                    "forbidden".to_owned()
                } else {
                    reason
                },
            },
            404 => LinodeError::NotFound {
                what: what.to_owned(),
            },
            429 => LinodeError::RateLimited {
                retry_after: retry_after.unwrap_or(Duration::from_secs(1)),
            },
            400 if details.iter().any(|d| d.reason.trim() == "Linode busy.") => LinodeError::Busy,
            400..=499 => LinodeError::Validation {
                field: first.and_then(|d| d.field),
                reason: if reason.is_empty() {
                    format!("HTTP {status}{}", snippet(body))
                } else {
                    reason
                },
            },
            _ => LinodeError::Server { status, reason },
        }
    }
}

/// The start of a body that is not Linode's error format (e.g. from a proxy), for messages.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let cut: String = text.chars().take(300).collect();
    format!(" ({cut})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_each_class() {
        let e = |s, b: &str| LinodeError::from_response(s, b.as_bytes(), None, None, "Linode 7");
        assert!(matches!(
            e(401, r#"{"errors":[{"reason":"Invalid Token"}]}"#),
            LinodeError::InvalidToken
        ));
        assert!(matches!(
            e(400, r#"{"errors":[{"reason":"Linode busy."}]}"#),
            LinodeError::Busy
        ));
        match e(
            400,
            r#"{"errors":[{"reason":"region is not valid","field":"region"}]}"#,
        ) {
            LinodeError::Validation { field, reason } => {
                assert_eq!(field.as_deref(), Some("region"));
                assert_eq!(reason, "region is not valid");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            e(404, r#"{"errors":[{"reason":"Not found"}]}"#),
            LinodeError::NotFound { .. }
        ));
        assert!(matches!(
            e(503, ""),
            LinodeError::Server { status: 503, .. }
        ));
        let f =
            LinodeError::from_response(403, b"{}", None, Some("linodes:read_write".into()), "x");
        assert!(f.to_string().contains("linodes:read_write"), "{f}");
        assert!(!f.to_string().ends_with('.'));
    }
}
