//! What every browser-facing answer shares: the error body of API.md, JSON
//! bodies read with a size limit and no unknown fields, the client's address,
//! cookies, and the security headers.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::db::DbError;
use crate::storage::StorageError;
use crate::Portal;

/// The largest JSON body the customer API reads.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// A refusal: `{ code, message, fields? }` with its status (API.md, Errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: BTreeMap<String, String>,
    /// Seconds, for `Retry-After`.
    pub retry_after: Option<u64>,
}

#[derive(Serialize)]
struct ErrorJson<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    fields: &'a BTreeMap<String, String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: BTreeMap::new(),
            retry_after: None,
        }
    }

    /// A wrong field: `fields` names it.
    pub fn field(field: &str, message: impl Into<String>) -> ApiError {
        let message = message.into();
        let mut e = ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid",
            format!("{field}: {message}"),
        );
        e.fields.insert(field.to_string(), message);
        e
    }

    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid", message)
    }

    pub fn signed_out() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "signed_out",
            "you are not signed in (or the session ended): sign in again",
        )
    }

    pub fn invalid_credentials() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "the email address or the password is wrong: try again, or reset the password",
        )
    }

    pub fn invalid_code() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_code",
            "the code is wrong, used already or expired: enter the current code from your app, or an unused recovery code",
        )
    }

    pub fn second_factor() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "second_factor",
            "enter the code from your authenticator app first",
        )
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "your role in your organization does not include this: ask your organization's admin",
        )
    }

    pub fn csrf() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "the request lacks this page's security token: reload the page and try again",
        )
    }

    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("there is no such {what}"),
        )
    }

    pub fn expired() -> ApiError {
        ApiError::new(
            StatusCode::GONE,
            "expired",
            "this link was used already or has expired: ask for a new one",
        )
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "conflict", message)
    }

    pub fn rate_limited(retry_after: chrono::Duration) -> ApiError {
        let seconds = (retry_after.num_milliseconds().max(0) as u64)
            .div_ceil(1000)
            .max(1);
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many attempts: try again in {}", in_words(seconds)),
        );
        e.retry_after = Some(seconds);
        e
    }

    pub fn too_large() -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the request body is larger than {MAX_BODY_BYTES} bytes: send less"),
        )
    }

    pub fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the portal failed to answer: try again in a moment",
        )
    }
}

fn in_words(seconds: u64) -> String {
    match seconds {
        0..=90 => format!("{seconds} seconds"),
        _ => format!("{} minutes", seconds.div_ceil(60)),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&ErrorJson {
            code: self.code,
            message: &self.message,
            fields: &self.fields,
        })
        .unwrap_or_default();
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
        if let Some(s) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        response
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> ApiError {
        match e {
            StorageError::Conflict(message) => ApiError::conflict(message),
            StorageError::NotFound => ApiError::not_found("thing"),
            other => {
                tracing::error!(error = %other, "a customer request failed");
                ApiError::internal()
            }
        }
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> ApiError {
        StorageError::from(e).into()
    }
}

/// A JSON body: at most [`MAX_BODY_BYTES`], JSON, of exactly the fields `T`
/// declares (its struct says `deny_unknown_fields`).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| ApiError::too_large())?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Reads a body; names the field a mistake is in when serde says which.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        let text = e.to_string();
        // serde names fields in backticks: "missing field `password`",
        // "unknown field `x`, expected one of …", "invalid type … for `code`".
        let field = text
            .split('`')
            .nth(1)
            .filter(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_alphanumeric()));
        let message = text.split(" at line ").next().unwrap_or(&text).to_string();
        match (e.classify(), field) {
            (serde_json::error::Category::Data, Some(f)) => ApiError::field(f, message),
            _ => ApiError::invalid(format!(
                "the body is not the JSON this route expects: {message}"
            )),
        }
    })
}

/// Who is asking: the client's address and browser, for rate limits, the
/// session list and the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub ip: String,
    pub user_agent: String,
}

impl Client {
    pub fn from_parts(parts: &Parts, behind_proxy: bool) -> Client {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        // Behind a load balancer the peer is the balancer; the client is the
        // last address it appended (earlier ones are the client's to forge).
        let ip = if behind_proxy {
            parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .rfind(|s| s.parse::<std::net::IpAddr>().is_ok())
                .map(str::to_string)
                .unwrap_or(peer)
        } else {
            peer
        };
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_control())
            .take(300)
            .collect();
        Client { ip, user_agent }
    }
}

impl FromRequestParts<Arc<Portal>> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, portal: &Arc<Portal>) -> Result<Self, ApiError> {
        Ok(Client::from_parts(parts, portal.behind_proxy))
    }
}

/// The value of cookie `name`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "cs_session";
/// The double-submit CSRF cookie's name (readable by the page's script).
pub const CSRF_COOKIE: &str = "cs_csrf";

/// A `Set-Cookie` value: `SameSite=Strict; Path=/`, `HttpOnly` when
/// `http_only`, `Secure` unless the portal is plain http on loopback.
/// `None` deletes the cookie.
pub fn set_cookie(
    portal: &Portal,
    name: &str,
    value: Option<&str>,
    http_only: bool,
) -> HeaderValue {
    let mut c = match value {
        Some(v) => format!("{name}={v}; Path=/; SameSite=Strict"),
        None => format!("{name}=; Path=/; SameSite=Strict; Max-Age=0"),
    };
    if http_only {
        c.push_str("; HttpOnly");
    }
    if portal.secure_cookies() {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).expect("cookie values are URL-safe base64")
}

/// Whether a request changes state (and so needs the CSRF checks).
pub fn is_state_changing(method: &axum::http::Method) -> bool {
    !matches!(
        *method,
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    )
}

/// The checks every state-changing browser request passes whatever its
/// route: a JSON content type (a form or a simple cross-site request cannot
/// send one) and, when the browser names it, our own origin.
pub fn check_browser_write(portal: &Portal, headers: &HeaderMap) -> Result<(), ApiError> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        if origin.as_bytes() != portal.origin().as_bytes() {
            return Err(ApiError::csrf());
        }
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid",
            "send the body as JSON, with Content-Type: application/json",
        ));
    }
    Ok(())
}

/// The Content-Security-Policy of every answer: scripts, styles and
/// connections only from the portal itself, no inline script, no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Adds the security headers to every answer, and `Cache-Control: no-store`
/// to the APIs' (unless a handler chose a cache policy itself).
pub async fn security_headers(
    axum::extract::State(portal): axum::extract::State<Arc<Portal>>,
    req: Request,
    next: Next,
) -> Response {
    let api = req.uri().path().starts_with("/api/") || req.uri().path().starts_with("/sync/");
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name: HeaderName, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(
        h,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if portal.https() {
        set(
            h,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        );
    }
    if api && !h.contains_key(header::CACHE_CONTROL) {
        set(h, header::CACHE_CONTROL, "no-store");
    }
    response
}

/// A JSON answer with a status.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (status, [(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "an answer did not serialize");
            ApiError::internal().into_response()
        }
    }
}

/// An empty answer.
pub fn empty(status: StatusCode) -> Response {
    (status, Body::empty()).into_response()
}
