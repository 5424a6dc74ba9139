//! The client's error type: one variant per class of failure a caller branches on.
//!
//! DigitalOcean answers errors as `{"id","message","request_id"}`; the `id` names the
//! class (`unauthorized`, `forbidden`, `not_found`, `unprocessable_entity`,
//! `too_many_requests`, `server_error` …) and the request id is what DigitalOcean's
//! support asks for, so it is kept in the messages that may end in a ticket. Messages say
//! what happened and what to do next. They never contain the token: it only travels in a
//! sensitive header and is never formatted.

use std::time::Duration;

use serde::Deserialize;

/// DigitalOcean's error body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ApiErrorBody {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub request_id: Option<String>,
}

/// Everything a DigitalOcean call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum DigitalOceanError {
    /// 401: the token is wrong, expired or revoked.
    #[error("DigitalOcean rejected the API token (invalid, expired or revoked): create a personal access token in the DigitalOcean control panel (API → Tokens) and paste it in Settings → Providers")]
    InvalidToken,

    /// 403: the token is valid but lacks the scope this operation needs. DigitalOcean does
    /// not say which; `scope` is the one its specification documents for the endpoint.
    #[error("the DigitalOcean token is not allowed to do this ({}): give the token Full Access, or the custom scope `{scope}`, in the control panel (API → Tokens) and paste it again in Settings → Providers", message.trim_end_matches('.'))]
    Forbidden {
        scope: &'static str,
        message: String,
    },

    /// The token can read but not write (found when connecting).
    #[error("the DigitalOcean token is read-only: ContainerStacks creates and manages Droplets, so create a token with Full Access (or with the create, update and delete scopes of droplet, ssh_key, reserved_ip, firewall and tag) and paste it in Settings → Providers")]
    ReadOnlyToken,

    /// 404: the object does not exist (or is not visible to this token).
    #[error("DigitalOcean has no {what}: it was deleted or never existed; refresh the list and try again")]
    NotFound { what: String },

    /// 400, 422 and other 4xx answers about the request itself: fix the input.
    #[error("DigitalOcean refused the request: {}; correct it and try again", message.trim_end_matches('.'))]
    Validation {
        /// DigitalOcean's error id (`unprocessable_entity`, `bad_request` …).
        id: String,
        message: String,
        request_id: Option<String>,
    },

    /// 422 "… already has a pending event": another action is still running on the
    /// Droplet. Retryable.
    #[error("the Droplet is busy with another action: wait until it completes and try again")]
    Busy,

    /// 429: the hourly budget or the burst limit of the token was used up.
    #[error("DigitalOcean rate limit reached: wait {} s and try again", retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration },

    /// 5xx from DigitalOcean.
    #[error("DigitalOcean had a server error ({status}{}{}): try again later, and check status.digitalocean.com if it persists", if message.is_empty() { String::new() } else { format!(": {}", message.trim_end_matches('.')) }, request_id.as_deref().map(|r| format!(", request {r}")).unwrap_or_default())]
    Server {
        status: u16,
        message: String,
        request_id: Option<String>,
    },

    /// An action ended `errored`.
    #[error("DigitalOcean could not complete the {kind} action {action_id} (it errored): try again, and quote the action id to DigitalOcean's support if it fails again")]
    ActionErrored { action_id: u64, kind: String },

    /// An action was still `in-progress` when the caller stopped waiting.
    #[error("DigitalOcean's {kind} action {action_id} is still in progress after {} s: it may still finish; look again in a minute", waited.as_secs())]
    ActionTimedOut {
        action_id: u64,
        kind: String,
        waited: Duration,
    },

    /// No answer in time. For a create, the Droplet may or may not exist.
    #[error("DigitalOcean did not answer in time: check your connection and try again")]
    Timeout,

    /// Connection-level failure (DNS, TLS, connection reset).
    #[error("could not talk to DigitalOcean ({0}): check your internet connection and try again")]
    Transport(String),

    /// The answer was not what the API documents.
    #[error("DigitalOcean sent an answer this version does not understand ({0}): update ContainerStacks or report the problem")]
    Decode(String),

    /// The client was used wrongly (an empty token, a bad base URL).
    #[error("the DigitalOcean client is misconfigured: {0}")]
    Config(String),
}

impl DigitalOceanError {
    /// Whether retrying the same request later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            DigitalOceanError::Busy
                | DigitalOceanError::RateLimited { .. }
                | DigitalOceanError::Server { .. }
                | DigitalOceanError::Timeout
                | DigitalOceanError::Transport(_)
        )
    }

    /// Classifies an error answer from its status and body alone (no headers), e.g. for
    /// recorded answers.
    pub fn from_api(status: u16, body: &[u8]) -> Self {
        Self::from_response(status, body, None, "object", "account:read")
    }

    /// Builds the error for an HTTP error status and its (possibly empty) body.
    pub(crate) fn from_response(
        status: u16,
        body: &[u8],
        retry_after: Option<Duration>,
        what: &str,
        scope: &'static str,
    ) -> Self {
        let parsed = serde_json::from_slice::<ApiErrorBody>(body).unwrap_or_default();
        let message = if parsed.message.trim().is_empty() {
            snippet(body)
        } else {
            parsed.message.trim().to_owned()
        };
        match status {
            401 => DigitalOceanError::InvalidToken,
            403 => DigitalOceanError::Forbidden {
                scope,
                message: if message.is_empty() {
                    "forbidden".to_owned()
                } else {
                    message
                },
            },
            404 => DigitalOceanError::NotFound {
                what: what.to_owned(),
            },
            429 => DigitalOceanError::RateLimited {
                retry_after: retry_after.unwrap_or(Duration::from_secs(1)),
            },
            422 if message.to_ascii_lowercase().contains("pending event") => {
                DigitalOceanError::Busy
            }
            400..=499 => DigitalOceanError::Validation {
                id: if parsed.id.is_empty() {
                    format!("http_{status}")
                } else {
                    parsed.id
                },
                message: if message.is_empty() {
                    format!("HTTP {status}")
                } else {
                    message
                },
                request_id: parsed.request_id,
            },
            _ => DigitalOceanError::Server {
                status,
                message,
                request_id: parsed.request_id,
            },
        }
    }
}

/// The start of a body that is not DigitalOcean's error format (e.g. from a proxy).
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    text.trim().chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(status: u16, body: &str) -> DigitalOceanError {
        DigitalOceanError::from_response(
            status,
            body.as_bytes(),
            None,
            "Droplet 7",
            "droplet:update",
        )
    }

    #[test]
    fn decodes_each_class_and_messages_end_without_a_period() {
        assert!(matches!(
            e(
                401,
                r#"{"id":"unauthorized","message":"Unable to authenticate you"}"#
            ),
            DigitalOceanError::InvalidToken
        ));
        let f = e(
            403,
            r#"{"id":"forbidden","message":"You do not have access for the attempted action."}"#,
        );
        assert!(f.to_string().contains("`droplet:update`"), "{f}");
        assert!(
            f.to_string()
                .contains("(You do not have access for the attempted action)"),
            "{f}"
        );
        assert!(matches!(
            e(404, r#"{"id":"not_found","message":"The resource you were accessing could not be found."}"#),
            DigitalOceanError::NotFound { what } if what == "Droplet 7"
        ));
        assert!(matches!(
            e(
                422,
                r#"{"id":"unprocessable_entity","message":"Droplet already has a pending event."}"#
            ),
            DigitalOceanError::Busy
        ));
        match e(
            422,
            r#"{"id":"unprocessable_entity","message":"You specified an invalid size for Droplet creation.","request_id":"r-1"}"#,
        ) {
            v @ DigitalOceanError::Validation { .. } => {
                assert_eq!(
                    v.to_string(),
                    "DigitalOcean refused the request: You specified an invalid size for Droplet creation; correct it and try again"
                );
                let DigitalOceanError::Validation { id, request_id, .. } = v else {
                    unreachable!()
                };
                assert_eq!(id, "unprocessable_entity");
                assert_eq!(request_id.as_deref(), Some("r-1"));
            }
            other => panic!("{other:?}"),
        }
        let s = e(
            503,
            r#"{"id":"server_error","message":"Server was unable to give you a response.","request_id":"abc"}"#,
        );
        assert_eq!(
            s.to_string(),
            "DigitalOcean had a server error (503: Server was unable to give you a response, request abc): try again later, and check status.digitalocean.com if it persists"
        );
        assert!(
            matches!(e(502, "<html>bad gateway</html>"), DigitalOceanError::Server { status: 502, message, .. } if message.contains("bad gateway"))
        );
        for err in [
            DigitalOceanError::InvalidToken,
            DigitalOceanError::ReadOnlyToken,
            DigitalOceanError::Busy,
            DigitalOceanError::Timeout,
            DigitalOceanError::ActionErrored {
                action_id: 1,
                kind: "power_on".into(),
            },
        ] {
            assert!(!err.to_string().ends_with('.'), "{err}");
        }
    }
}
