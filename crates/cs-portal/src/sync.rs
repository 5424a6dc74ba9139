//! The sync API desktops call: pairing, pushes, status and the intents
//! customers asked for ([`cs_sync::protocol`] and [`cs_sync::intent`] say
//! what they mean).
//!
//! Every answer is JSON; every refusal is an [`ErrorBody`] with a status that
//! tells a client whether to re-send (409), fix something (4xx) or retry
//! (429, 5xx). A push refused because a record cannot be read stops the
//! tenant's sync: the refusal is recorded on the tenant (shown by
//! `containerstacks-portal tenant list` and `GET /sync/v1/status`) until a
//! push succeeds.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use cs_sync::protocol::{
    ErrorBody, ErrorCode, PairRequest, PairResponse, PushRequest, StatusResponse, MAX_PUSH_BYTES,
};

use crate::storage::{intents, limits, projection, tenants, StorageError};
use crate::Portal;

/// A refusal of the sync API.
pub struct SyncError(pub ErrorBody);

impl From<StorageError> for SyncError {
    fn from(e: StorageError) -> SyncError {
        match e {
            StorageError::Sync(body) => SyncError(body),
            other => {
                tracing::error!(error = %other, "sync request failed");
                SyncError(ErrorBody::new(
                    ErrorCode::Internal,
                    "the portal could not store the records: try again later",
                ))
            }
        }
    }
}

impl From<crate::db::DbError> for SyncError {
    fn from(e: crate::db::DbError) -> SyncError {
        StorageError::from(e).into()
    }
}

impl IntoResponse for SyncError {
    fn into_response(self) -> Response {
        let status = match self.0.code {
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::PairingCode => StatusCode::FORBIDDEN,
            ErrorCode::Gap | ErrorCode::StreamChanged => StatusCode::CONFLICT,
            ErrorCode::Protocol | ErrorCode::BadBatch => StatusCode::BAD_REQUEST,
            ErrorCode::Unsupported | ErrorCode::Malformed => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, Json(self.0)).into_response()
    }
}

fn refuse(code: ErrorCode, message: impl Into<String>) -> SyncError {
    SyncError(ErrorBody::new(code, message))
}

/// Reads a JSON body, with a clear refusal for anything else.
fn json<T: serde::de::DeserializeOwned>(body: &Bytes, limit: usize) -> Result<T, SyncError> {
    if body.len() > limit {
        return Err(refuse(
            ErrorCode::TooLarge,
            format!("the request has {} bytes; send at most {limit}", body.len()),
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        refuse(
            ErrorCode::BadBatch,
            format!("the request is not the JSON this portal expects: {e}"),
        )
    })
}

/// The tenant whose sync token the request carries.
async fn tenant(portal: &Portal, headers: &HeaderMap) -> Result<tenants::Tenant, SyncError> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            refuse(
                ErrorCode::Unauthorized,
                "the request carries no sync token: pair the desktop with the portal",
            )
        })?
        .to_string();
    let now = portal.now();
    portal
        .db
        .run(true, move |tx| tenants::by_token(tx, &token, now))
        .await?
        .ok_or_else(|| {
            refuse(
                ErrorCode::Unauthorized,
                "the portal does not know this sync token (revoked or never issued): pair the desktop again with a new code",
            )
        })
}

/// Attempts at pairing codes per client address and hour: the codes are
/// short, so guessing must be slow.
const PAIR_ATTEMPTS_PER_HOUR: i64 = 20;

pub async fn pair(
    State(portal): State<Arc<Portal>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Result<Json<PairResponse>, SyncError> {
    let request: PairRequest = json(&body, 4096)?;
    let now = portal.now();
    let key = format!("pair:ip:{}", peer.ip());
    let allowed = portal
        .db
        .run(true, move |tx| {
            limits::hit(
                tx,
                &key,
                chrono::Duration::hours(1),
                PAIR_ATTEMPTS_PER_HOUR,
                now,
            )
        })
        .await?;
    if !allowed {
        return Err(refuse(
            ErrorCode::RateLimited,
            "too many pairing attempts from this address: wait an hour",
        ));
    }
    let (tenant, token) = portal
        .db
        .run(true, move |tx| {
            tenants::pair(
                tx,
                &request.code,
                &request.desktop_name,
                &request.desktop_version,
                now,
            )
        })
        .await?;
    tracing::info!(tenant = %tenant.slug, "a desktop paired");
    Ok(Json(PairResponse {
        tenant: tenant.slug,
        tenant_name: tenant.name,
        token,
    }))
}

pub async fn push(
    State(portal): State<Arc<Portal>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, SyncError> {
    let tenant = tenant(&portal, &headers).await?;
    let request: PushRequest = json(&body, MAX_PUSH_BYTES)?;
    let now = portal.now();
    let tenant_id = tenant.id.clone();
    let p = portal.clone();
    let result = portal
        .db
        .run(true, move |tx| {
            projection::apply_push(tx, &tenant_id, &request, now, p.effects.as_ref())
        })
        .await;
    match result {
        Ok(answer) => {
            // An invitation in the push queued its mail.
            portal.mail_wake.notify_one();
            Ok(Json(answer).into_response())
        }
        Err(StorageError::Sync(body)) => {
            if body.stops_sync() {
                tracing::warn!(tenant = %tenant.slug, code = ?body.code, message = %body.message, "a push was refused; the tenant's sync stops");
                let tenant_id = tenant.id.clone();
                let stopped = body.clone();
                portal
                    .db
                    .run(true, move |tx| {
                        tenants::set_stopped(tx, &tenant_id, Some(&stopped))
                    })
                    .await?;
            }
            Err(SyncError(body))
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn status(
    State(portal): State<Arc<Portal>>,
    headers: HeaderMap,
) -> Result<Json<StatusResponse>, SyncError> {
    let t = tenant(&portal, &headers).await?;
    Ok(Json(StatusResponse {
        tenant: t.slug,
        tenant_name: t.name,
        stream: t.held.map(|h| h.stream),
        held_through: t.held.map_or(0, |h| h.through),
        stopped: t.stopped,
    }))
}

/// `?wait=SECS` of `GET /sync/v1/intents`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wait {
    #[serde(default)]
    pub wait: u64,
}

/// `GET /sync/v1/intents?wait=SECS`: the intents waiting for the desktop,
/// oldest first; with `wait`, answers as soon as one arrives (from any
/// portal process) or after that many seconds with none.
pub async fn intents(
    State(portal): State<Arc<Portal>>,
    headers: HeaderMap,
    Query(q): Query<Wait>,
) -> Result<Json<cs_sync::intent::IntentsResponse>, SyncError> {
    let tenant = tenant(&portal, &headers).await?;
    let wait = std::time::Duration::from_secs(q.wait.min(cs_sync::intent::MAX_WAIT_SECS));
    let deadline = tokio::time::Instant::now() + wait;
    // Listen before reading, so an intent committed between the read and the
    // wait is not missed.
    let mut notices = portal.db.subscribe();
    // After the wait ended: one last read (an intent may have arrived just
    // then), whatever it finds.
    let mut last = false;
    loop {
        let now = portal.now();
        let id = tenant.id.clone();
        let waiting = portal
            .db
            .run(true, move |tx| intents::deliver(tx, &id, now))
            .await?;
        if !waiting.is_empty() || last || tokio::time::Instant::now() >= deadline {
            return Ok(Json(cs_sync::intent::IntentsResponse { intents: waiting }));
        }
        // Until an intent of this tenant is recorded, or the wait ends.
        let arrived = tokio::time::timeout_at(deadline, async {
            loop {
                match notices.recv().await {
                    Ok(n) if n.tenant == tenant.id && n.what == "intent" => return,
                    Ok(_) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => return,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                        std::future::pending::<()>().await
                    }
                }
            }
        })
        .await;
        last = arrived.is_err();
    }
}
