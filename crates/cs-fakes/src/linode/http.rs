//! Routes, authentication, rate limits and fault injection of the fake.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State as AxState};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use serde_json::{json, Value};

use super::state::{ApiError, ApiResult, TokenRec};
use super::{catalogue, filter, render, ConnKill, FaultKind, FaultRule, RecordedRequest, Shared};

type Sh = AxState<Arc<Shared>>;
type Q = Query<HashMap<String, String>>;

/// Linode's rate-limit classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Class {
    Create,
    Stats,
    Paginated,
    Other,
}

/// Who is calling.
#[derive(Clone)]
pub(crate) struct Caller {
    pub token: Option<TokenRec>,
}

impl Caller {
    fn username(&self) -> String {
        self.token
            .as_ref()
            .map_or_else(|| "anonymous".to_owned(), |t| t.username.clone())
    }
}

struct Reply(ApiResult<Value>);

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        match self.0 {
            Ok(v) => (StatusCode::OK, Json(v)).into_response(),
            Err(e) => error_response(&e),
        }
    }
}

fn error_response(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(e.body())).into_response()
}

fn parse_body(bytes: &Bytes) -> ApiResult<Value> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(bytes).map_err(|_| ApiError::new(400, "Invalid JSON"))
}

fn list(
    items: Vec<Value>,
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    filterable: &[&str],
) -> ApiResult<Value> {
    let items = match headers.get("X-Filter").and_then(|v| v.to_str().ok()) {
        Some(f) => filter::apply(items, f, filterable)?,
        None => items,
    };
    filter::page(
        items,
        q.get("page").map(String::as_str),
        q.get("page_size").map(String::as_str),
    )
}

fn id_of(raw: &str) -> ApiResult<u64> {
    raw.parse().map_err(|_| ApiError::not_found())
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/profile", get(profile))
        .route("/profile/tokens", get(profile_tokens))
        .route("/regions", get(regions))
        .route("/regions/{id}", get(region))
        .route("/linode/types", get(types))
        .route("/linode/types/{id}", get(type_one))
        .route("/images", get(images))
        .route("/images/{id}", get(image_one))
        .route("/linode/stackscripts", get(stackscripts))
        .route("/linode/stackscripts/{id}", get(stackscript_one))
        .route("/linode/instances", get(instances).post(create_instance))
        .route(
            "/linode/instances/{id}",
            get(instance_one)
                .put(update_instance)
                .delete(delete_instance),
        )
        .route("/linode/instances/{id}/{action}", post(instance_action))
        .route(
            "/linode/instances/{id}/backups",
            get(backups).post(snapshot),
        )
        .route(
            "/linode/instances/{id}/backups/enable",
            post(backups_enable),
        )
        .route(
            "/linode/instances/{id}/backups/cancel",
            post(backups_cancel),
        )
        .route("/linode/instances/{id}/backups/{backup}", get(backup_one))
        .route(
            "/linode/instances/{id}/backups/{backup}/restore",
            post(backup_restore),
        )
        .route("/linode/instances/{id}/ips", get(ips).post(add_ip))
        .route(
            "/linode/instances/{id}/ips/{address}",
            get(ip_one).put(set_rdns),
        )
        .route("/linode/instances/{id}/firewalls", get(instance_firewalls))
        .route("/linode/instances/{id}/stats", get(stats))
        .route("/linode/instances/{id}/transfer", get(transfer))
        .route(
            "/networking/firewalls",
            get(firewalls).post(create_firewall),
        )
        .route(
            "/networking/firewalls/{id}",
            get(firewall_one)
                .put(update_firewall)
                .delete(delete_firewall),
        )
        .route(
            "/networking/firewalls/{id}/rules",
            get(rules).put(set_rules),
        )
        .route(
            "/networking/firewalls/{id}/devices",
            get(devices).post(add_device),
        )
        .route(
            "/networking/firewalls/{id}/devices/{device}",
            get(device_one).delete(remove_device),
        )
        .route("/account/events", get(events))
        .route("/account/events/{id}", get(event_one))
        .route("/account/transfer", get(account_transfer))
        .fallback(|| async { error_response(&ApiError::not_found()) });
    Router::new()
        .nest("/v4", api)
        .merge(control_router())
        .fallback(|| async { error_response(&ApiError::not_found()) })
        .layer(middleware::from_fn_with_state(shared.clone(), gate))
        .with_state(shared)
}

// ------------------------------------------------------------------ the gate

fn classify(method: &Method, rel: &str) -> Class {
    let segs: Vec<&str> = rel.trim_matches('/').split('/').collect();
    if method == Method::POST && rel == "/linode/instances" {
        return Class::Create;
    }
    if method == Method::GET && rel.ends_with("/stats") {
        return Class::Stats;
    }
    let collection = matches!(
        rel,
        "/profile/tokens"
            | "/linode/instances"
            | "/regions"
            | "/linode/types"
            | "/images"
            | "/linode/stackscripts"
            | "/networking/firewalls"
            | "/account/events"
    ) || matches!(
        segs.as_slice(),
        ["networking", "firewalls", _, "devices"] | ["linode", "instances", _, "firewalls"]
    );
    if method == Method::GET && collection {
        Class::Paginated
    } else {
        Class::Other
    }
}

/// `(area, write)` the token needs, or `None` for endpoints any caller may use.
fn scope_for(method: &Method, rel: &str) -> Option<(&'static str, bool)> {
    let write = method != Method::GET;
    let area = if rel.starts_with("/images") {
        "images"
    } else if rel.starts_with("/linode/stackscripts") {
        "stackscripts"
    } else if rel.starts_with("/linode/instances") {
        "linodes"
    } else if rel.starts_with("/networking/firewalls") {
        "firewall"
    } else if rel.starts_with("/account/events") {
        "events"
    } else if rel.starts_with("/profile/tokens") {
        // Linode documents `account:read_only` for listing tokens.
        "account"
    } else if rel.starts_with("/account") {
        "account"
    } else {
        return None;
    };
    Some((area, write))
}

fn is_public(rel: &str) -> bool {
    rel.starts_with("/regions") || rel.starts_with("/linode/types")
}

async fn gate(AxState(shared): Sh, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let Some(rel) = path.strip_prefix("/v4").map(str::to_owned) else {
        return next.run(req).await;
    };
    let method = req.method().clone();
    let index = shared.record(RecordedRequest {
        method: method.to_string(),
        path: rel.clone(),
        query: req.uri().query().map(str::to_owned),
        status: None,
        at: std::time::Instant::now(),
    });
    let kill = req.extensions().get::<ConnKill>().cloned();
    let faults = shared.draw_faults(method.as_str(), &rel);
    for f in &faults {
        if let FaultKind::Latency(d) = f {
            tokio::time::sleep(*d).await;
        }
    }

    // Authentication.
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned());
    let token = match &bearer {
        Some(t) => match shared.state().tokens.get(t).cloned() {
            Some(rec) => Some(rec),
            None => {
                return finish(
                    &shared,
                    index,
                    error_response(&ApiError::new(401, "Invalid Token")),
                    None,
                )
            }
        },
        None if is_public(&rel) => None,
        None => {
            return finish(
                &shared,
                index,
                error_response(&ApiError::new(401, "Invalid Token")),
                None,
            )
        }
    };

    // Rate limits, per token and class.
    let class = classify(&method, &rel);
    let key = bearer.clone().unwrap_or_else(|| "anonymous".into());
    let (limit, remaining, reset) = match shared.take_rate(&key, class) {
        Ok(v) => v,
        Err((limit, wait)) => {
            let secs = wait.as_millis().div_ceil(1000).max(1) as u64;
            let mut resp = error_response(&ApiError::new(429, "Too many requests"));
            rate_headers(&mut resp, limit, 0, wait);
            resp.headers_mut()
                .insert("Retry-After", HeaderValue::from(secs));
            return finish(&shared, index, resp, token.as_ref());
        }
    };

    // Scopes.
    let needed = scope_for(&method, &rel);
    if let (Some((area, write)), Some(t)) = (needed, &token) {
        if !t.allows(area, write) {
            let scope = format!("{area}:{}", if write { "read_write" } else { "read_only" });
            let mut resp = error_response(&ApiError::new(
                403,
                "Your OAuth token is not authorized to use this endpoint.",
            ));
            if let Ok(v) = HeaderValue::from_str(&scope) {
                resp.headers_mut().insert("X-Accepted-OAuth-Scopes", v);
            }
            return finish(&shared, index, resp, token.as_ref());
        }
    }

    // Injected faults that refuse the request before it is applied.
    let mut drop_after = false;
    for f in &faults {
        let resp = match f {
            FaultKind::Busy => Some(error_response(&ApiError::busy())),
            FaultKind::ServerError(code) => Some(error_response(&ApiError::new(
                *code,
                "Please try again later",
            ))),
            FaultKind::RateLimited { retry_after_secs } => {
                let mut r = error_response(&ApiError::new(429, "Too many requests"));
                r.headers_mut()
                    .insert("Retry-After", HeaderValue::from(*retry_after_secs));
                Some(r)
            }
            FaultKind::RateLimitedWithoutRetryAfter { reset_secs } => {
                let mut r = error_response(&ApiError::new(429, "Too many requests"));
                match reset_secs {
                    Some(n) => rate_headers(&mut r, limit, 0, Duration::from_secs(*n)),
                    None => {
                        r.headers_mut()
                            .insert("X-RateLimit-Limit", HeaderValue::from(limit));
                    }
                }
                return finish(&shared, index, r, token.as_ref());
            }
            FaultKind::DropBeforeApply => {
                shared.set_status(index, None);
                return hang_up(kill).await;
            }
            FaultKind::DropAfterApply => {
                drop_after = true;
                None
            }
            FaultKind::Latency(_) => None,
        };
        if let Some(mut r) = resp {
            rate_headers(&mut r, limit, remaining, reset);
            return finish(&shared, index, r, token.as_ref());
        }
    }

    req.extensions_mut().insert(Caller {
        token: token.clone(),
    });
    let mut resp = next.run(req).await;
    if drop_after && resp.status().is_success() {
        shared.set_status(index, None);
        return hang_up(kill).await;
    }
    rate_headers(&mut resp, limit, remaining, reset);
    if let Some((area, write)) = needed {
        let scope = format!("{area}:{}", if write { "read_write" } else { "read_only" });
        if let Ok(v) = HeaderValue::from_str(&scope) {
            resp.headers_mut().insert("X-Accepted-OAuth-Scopes", v);
        }
    }
    finish(&shared, index, resp, token.as_ref())
}

/// Linode's documented rate-limit headers. `X-RateLimit-Reset` is the epoch second at which
/// the window frees a request, rounded up so a client that waits for it is never early.
fn rate_headers(resp: &mut Response, limit: u32, remaining: u32, reset_in: Duration) {
    let now_ms = chrono::Utc::now().timestamp_millis().max(0) as u64;
    let epoch = (now_ms + reset_in.as_millis() as u64).div_ceil(1000);
    let h = resp.headers_mut();
    h.insert("X-RateLimit-Limit", HeaderValue::from(limit));
    h.insert("X-RateLimit-Remaining", HeaderValue::from(remaining));
    h.insert("X-RateLimit-Reset", HeaderValue::from(epoch));
}

fn finish(shared: &Shared, index: usize, mut resp: Response, token: Option<&TokenRec>) -> Response {
    if let Some(t) = token {
        if let Ok(v) = HeaderValue::from_str(&t.header()) {
            resp.headers_mut().insert("X-OAuth-Scopes", v);
        }
    }
    shared.set_status(index, Some(resp.status().as_u16()));
    resp
}

/// Closes the connection without an answer.
async fn hang_up(kill: Option<ConnKill>) -> Response {
    if let Some(k) = kill {
        k.0.notify_one();
    }
    // The connection task drops this future when it closes the socket.
    std::future::pending::<()>().await;
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

// ------------------------------------------------------------------ catalogue

async fn profile(Extension(c): Extension<Caller>) -> Reply {
    Reply(
        c.token
            .as_ref()
            .map(render::profile)
            .ok_or_else(|| ApiError::new(401, "Invalid Token")),
    )
}

/// The caller's user's tokens; like Linode, only the first 16 characters of each secret.
async fn profile_tokens(
    AxState(sh): Sh,
    Extension(c): Extension<Caller>,
    q: Q,
    headers: HeaderMap,
) -> Reply {
    let Some(me) = c.token.as_ref() else {
        return Reply(Err(ApiError::new(401, "Invalid Token")));
    };
    let s = sh.state();
    let mut mine: Vec<(&String, &TokenRec)> = s
        .tokens
        .iter()
        .filter(|(_, t)| t.username == me.username)
        .collect();
    mine.sort_by_key(|(_, t)| t.id);
    let items = mine
        .into_iter()
        .map(|(secret, t)| render::token(&s, secret, t))
        .collect();
    Reply(list(items, &q, &headers, &["label", "created"]))
}

async fn regions(q: Q, headers: HeaderMap) -> Reply {
    let items = catalogue::REGIONS
        .iter()
        .map(catalogue::region_json)
        .collect();
    Reply(list(items, &q, &headers, &["id", "country", "label"]))
}

async fn region(Path(id): Path<String>) -> Reply {
    Reply(
        catalogue::region(&id)
            .map(render_region)
            .ok_or_else(ApiError::not_found),
    )
}

fn render_region(r: &catalogue::Region) -> Value {
    catalogue::region_json(r)
}

async fn types(q: Q, headers: HeaderMap) -> Reply {
    let items = catalogue::PLANS.iter().map(catalogue::plan_json).collect();
    Reply(list(
        items,
        &q,
        &headers,
        &["id", "class", "label", "vcpus", "memory", "disk"],
    ))
}

async fn type_one(Path(id): Path<String>) -> Reply {
    Reply(
        catalogue::plan(&id)
            .map(catalogue::plan_json)
            .ok_or_else(ApiError::not_found),
    )
}

async fn images(AxState(sh): Sh, q: Q, headers: HeaderMap) -> Reply {
    let s = sh.state();
    let created = s.ts(&s.started);
    let items = catalogue::IMAGES
        .iter()
        .map(|i| catalogue::image_json(i, &created))
        .collect();
    Reply(list(
        items,
        &q,
        &headers,
        &["id", "label", "vendor", "is_public", "deprecated", "type"],
    ))
}

async fn image_one(AxState(sh): Sh, Path(id): Path<String>) -> Reply {
    let s = sh.state();
    let created = s.ts(&s.started);
    Reply(
        catalogue::image(&id)
            .map(|i| catalogue::image_json(i, &created))
            .ok_or_else(ApiError::not_found),
    )
}

async fn stackscripts(AxState(sh): Sh, q: Q, headers: HeaderMap) -> Reply {
    let s = sh.state();
    let created = s.ts(&s.started);
    let items = catalogue::STACKSCRIPTS
        .iter()
        .map(|x| catalogue::stackscript_json(x, &created))
        .collect();
    Reply(list(
        items,
        &q,
        &headers,
        &["id", "label", "is_public", "mine", "username"],
    ))
}

async fn stackscript_one(AxState(sh): Sh, Path(id): Path<String>) -> Reply {
    let s = sh.state();
    let created = s.ts(&s.started);
    Reply(
        id_of(&id)
            .and_then(|id| catalogue::stackscript(id).ok_or_else(ApiError::not_found))
            .map(|x| catalogue::stackscript_json(x, &created)),
    )
}

// ------------------------------------------------------------------ instances

async fn instances(AxState(sh): Sh, q: Q, headers: HeaderMap) -> Reply {
    let s = sh.state();
    let items = s
        .instances
        .values()
        .map(|i| render::instance(&s, i))
        .collect();
    Reply(list(
        items,
        &q,
        &headers,
        &[
            "id", "label", "region", "status", "tags", "type", "image", "group",
        ],
    ))
}

async fn create_instance(AxState(sh): Sh, Extension(c): Extension<Caller>, body: Bytes) -> Reply {
    Reply((|| {
        let body = parse_body(&body)?;
        let mut s = sh.state();
        let id = s.create_instance(&body, &c.username())?;
        Ok(render::instance(&s, s.instance(id)?))
    })())
}

async fn instance_one(AxState(sh): Sh, Path(id): Path<String>) -> Reply {
    let s = sh.state();
    Reply(
        id_of(&id)
            .and_then(|id| s.instance(id))
            .map(|i| render::instance(&s, i)),
    )
}

async fn update_instance(
    AxState(sh): Sh,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Reply {
    Reply((|| {
        let id = id_of(&id)?;
        let body = parse_body(&body)?;
        let mut s = sh.state();
        s.instance(id)?;
        if let Some(label) = body.get("label").and_then(Value::as_str) {
            super::state::validate_label(label)?;
            if s.instances.values().any(|i| i.label == label && i.id != id) {
                return Err(ApiError::field(
                    400,
                    "label",
                    "Label must be unique among your linodes",
                ));
            }
        }
        let inst = s.instances.get_mut(&id).ok_or_else(ApiError::not_found)?;
        if let Some(label) = body.get("label").and_then(Value::as_str) {
            inst.label = label.to_owned();
        }
        if let Some(tags) = body.get("tags").and_then(Value::as_array) {
            inst.tags = tags
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
        }
        inst.updated = chrono::Utc::now();
        let label = inst.label.clone();
        s.event(
            "linode_update",
            Some((id, label, "linode")),
            &c.username(),
            false,
        );
        Ok(render::instance(&s, s.instance(id)?))
    })())
}

async fn delete_instance(
    AxState(sh): Sh,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Reply {
    Reply(
        id_of(&id)
            .and_then(|id| sh.state().delete_instance(id, &c.username()))
            .map(|()| json!({})),
    )
}

async fn instance_action(
    AxState(sh): Sh,
    Extension(c): Extension<Caller>,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    Reply((|| {
        let id = id_of(&id)?;
        let body = parse_body(&body)?;
        let mut s = sh.state();
        let user = c.username();
        match action.as_str() {
            "boot" | "shutdown" | "reboot" | "rescue" => {
                s.power(id, &action, &user).map(|()| json!({}))
            }
            "resize" => s.resize(id, &body, &user).map(|()| json!({})),
            "password" => s.reset_password(id, &body, &user).map(|()| json!({})),
            "rebuild" => {
                s.rebuild(id, &body, &user)?;
                Ok(render::instance(&s, s.instance(id)?))
            }
            _ => Err(ApiError::not_found()),
        }
    })())
}

// ------------------------------------------------------------------ backups

async fn backups(AxState(sh): Sh, Path(id): Path<String>) -> Reply {
    let s = sh.state();
    Reply(
        id_of(&id)
            .and_then(|id| s.instance(id))
            .map(|i| render::backups(&s, i)),
    )
}

async fn snapshot(
    AxState(sh): Sh,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Reply {
    Reply((|| {
        let id = id_of(&id)?;
        let body = parse_body(&body)?;
        let label = body
            .get("label")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::field(400, "label", "label is required"))?;
        let mut s = sh.state();
        let bid = s.snapshot(id, label, &c.username())?;
        Ok(render::backup(&s, s.find_backup(id, bid)?))
    })())
}

async fn backups_enable(
    AxState(sh): Sh,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Reply {
    Reply(
        id_of(&id)
            .and_then(|id| sh.state().enable_backups(id, &c.username()))
            .map(|()| json!({})),
    )
}

async fn backups_cancel(
    AxState(sh): Sh,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Reply {
    Reply(
        id_of(&id)
            .and_then(|id| sh.state().cancel_backups(id, &c.username()))
            .map(|()| json!({})),
    )
}

async fn backup_one(AxState(sh): Sh, Path((id, backup)): Path<(String, String)>) -> Reply {
    let s = sh.state();
    Reply((|| {
        Ok(render::backup(
            &s,
            s.find_backup(id_of(&id)?, id_of(&backup)?)?,
        ))
    })())
}

async fn backup_restore(
    AxState(sh): Sh,
    Extension(c): Extension<Caller>,
    Path((id, backup)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    Reply((|| {
        let body = parse_body(&body)?;
        sh.state()
            .restore(id_of(&id)?, id_of(&backup)?, &body, &c.username())?;
        Ok(json!({}))
    })())
}

// ------------------------------------------------------------------ IPs

async fn ips(AxState(sh): Sh, Path(id): Path<String>) -> Reply {
    let s = sh.state();
    Reply(
        id_of(&id)
            .and_then(|id| s.instance(id))
            .map(render::instance_ips),
    )
}

async fn add_ip(
    AxState(sh): Sh,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Reply {
    Reply((|| {
        let id = id_of(&id)?;
        let body = parse_body(&body)?;
        let mut s = sh.state();
        let addr = s.add_ip(id, &body, &c.username())?;
        let inst = s.instance(id)?;
        let ip = inst
            .ips
            .iter()
            .find(|i| i.address == addr)
            .ok_or_else(ApiError::not_found)?;
        Ok(render::ipv4(inst, ip))
    })())
}

async fn ip_one(AxState(sh): Sh, Path((id, address)): Path<(String, String)>) -> Reply {
    let s = sh.state();
    Reply((|| {
        let inst = s.instance(id_of(&id)?)?;
        let ip = inst
            .ips
            .iter()
            .find(|i| i.address.to_string() == address)
            .ok_or_else(ApiError::not_found)?;
        Ok(render::ipv4(inst, ip))
    })())
}

async fn set_rdns(
    AxState(sh): Sh,
    Extension(c): Extension<Caller>,
    Path((id, address)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    Reply((|| {
        let id = id_of(&id)?;
        let body = parse_body(&body)?;
        let mut s = sh.state();
        s.set_rdns(id, &address, &body, &c.username())?;
        let inst = s.instance(id)?;
        let ip = inst
            .ips
            .iter()
            .find(|i| i.address.to_string() == address)
            .ok_or_else(ApiError::not_found)?;
        Ok(render::ipv4(inst, ip))
    })())
}

async fn instance_firewalls(
    AxState(sh): Sh,
    Path(id): Path<String>,
    q: Q,
    headers: HeaderMap,
) -> Reply {
    let s = sh.state();
    Reply((|| {
        let id = id_of(&id)?;
        s.instance(id)?;
        let items = s
            .firewalls
            .values()
            .filter(|f| f.devices.iter().any(|d| d.1 == id))
            .map(|f| render::firewall(&s, f))
            .collect();
        list(items, &q, &headers, &["id", "label", "status"])
    })())
}

async fn stats(AxState(sh): Sh, Path(id): Path<String>) -> Reply {
    let s = sh.state();
    Reply(
        id_of(&id)
            .and_then(|id| s.instance(id))
            .and_then(render::stats),
    )
}

async fn transfer(AxState(sh): Sh, Path(id): Path<String>) -> Reply {
    let s = sh.state();
    Reply(
        id_of(&id)
            .and_then(|id| s.instance(id))
            .map(render::transfer),
    )
}

// ------------------------------------------------------------------ firewalls

async fn firewalls(AxState(sh): Sh, q: Q, headers: HeaderMap) -> Reply {
    let s = sh.state();
    let items = s
        .firewalls
        .values()
        .map(|f| render::firewall(&s, f))
        .collect();
    Reply(list(
        items,
        &q,
        &headers,
        &["id", "label", "status", "tags"],
    ))
}

async fn create_firewall(AxState(sh): Sh, Extension(c): Extension<Caller>, body: Bytes) -> Reply {
    Reply((|| {
        let body = parse_body(&body)?;
        let mut s = sh.state();
        let id = s.create_firewall(&body, &c.username())?;
        Ok(render::firewall(&s, s.firewall(id)?))
    })())
}

async fn firewall_one(AxState(sh): Sh, Path(id): Path<String>) -> Reply {
    let s = sh.state();
    Reply(
        id_of(&id)
            .and_then(|id| s.firewall(id))
            .map(|f| render::firewall(&s, f)),
    )
}

async fn update_firewall(
    AxState(sh): Sh,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Reply {
    Reply((|| {
        let id = id_of(&id)?;
        let body = parse_body(&body)?;
        let mut s = sh.state();
        s.update_firewall(id, &body, &c.username())?;
        Ok(render::firewall(&s, s.firewall(id)?))
    })())
}

async fn delete_firewall(
    AxState(sh): Sh,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Reply {
    Reply(
        id_of(&id)
            .and_then(|id| sh.state().delete_firewall(id, &c.username()))
            .map(|()| json!({})),
    )
}

async fn rules(AxState(sh): Sh, Path(id): Path<String>) -> Reply {
    let s = sh.state();
    Reply(id_of(&id).and_then(|id| s.firewall(id)).map(render::rules))
}

async fn set_rules(
    AxState(sh): Sh,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Reply {
    Reply((|| {
        let id = id_of(&id)?;
        let body = parse_body(&body)?;
        let mut s = sh.state();
        s.set_rules(id, &body, &c.username())?;
        Ok(render::rules(s.firewall(id)?))
    })())
}

async fn devices(AxState(sh): Sh, Path(id): Path<String>, q: Q, headers: HeaderMap) -> Reply {
    let s = sh.state();
    Reply((|| {
        let fw = s.firewall(id_of(&id)?)?;
        let items = fw.devices.iter().map(|d| render::device(&s, d)).collect();
        list(items, &q, &headers, &["id"])
    })())
}

async fn add_device(
    AxState(sh): Sh,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Reply {
    Reply((|| {
        let id = id_of(&id)?;
        let body = parse_body(&body)?;
        let mut s = sh.state();
        let dev = s.add_device(id, &body, &c.username())?;
        let fw = s.firewall(id)?;
        let d = fw
            .devices
            .iter()
            .find(|d| d.0 == dev)
            .ok_or_else(ApiError::not_found)?;
        Ok(render::device(&s, d))
    })())
}

async fn device_one(AxState(sh): Sh, Path((id, device)): Path<(String, String)>) -> Reply {
    let s = sh.state();
    Reply((|| {
        let fw = s.firewall(id_of(&id)?)?;
        let dev = id_of(&device)?;
        let d = fw
            .devices
            .iter()
            .find(|d| d.0 == dev)
            .ok_or_else(ApiError::not_found)?;
        Ok(render::device(&s, d))
    })())
}

async fn remove_device(
    AxState(sh): Sh,
    Extension(c): Extension<Caller>,
    Path((id, device)): Path<(String, String)>,
) -> Reply {
    Reply((|| {
        sh.state()
            .remove_device(id_of(&id)?, id_of(&device)?, &c.username())?;
        Ok(json!({}))
    })())
}

// ------------------------------------------------------------------ account

async fn events(AxState(sh): Sh, q: Q, headers: HeaderMap) -> Reply {
    let s = sh.state();
    let items = s
        .events
        .iter()
        .rev()
        .map(|e| render::event(&s, e))
        .collect();
    Reply(list(
        items,
        &q,
        &headers,
        &[
            "id",
            "action",
            "created",
            "entity.id",
            "entity.type",
            "status",
            "seen",
            "read",
            "username",
        ],
    ))
}

async fn event_one(AxState(sh): Sh, Path(id): Path<String>) -> Reply {
    let s = sh.state();
    Reply(
        id_of(&id)
            .and_then(|id| {
                s.events
                    .iter()
                    .find(|e| e.id == id)
                    .ok_or_else(ApiError::not_found)
            })
            .map(|e| render::event(&s, e)),
    )
}

async fn account_transfer(AxState(sh): Sh) -> Reply {
    Reply(Ok(render::account_transfer(&sh.state())))
}

// ------------------------------------------------------------------ control API (demo)

/// Unauthenticated control routes under `/__control` for the demo binary and scripts:
/// `POST /__control/tokens {"scopes":["*"]}`, `POST /__control/faults {…}`,
/// `DELETE /__control/faults`, `POST /__control/dns {"name","address"}`,
/// `POST /__control/backups/nightly`, `GET /__control/requests`.
pub(crate) fn control_router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/__control/tokens", post(control_token))
        .route(
            "/__control/faults",
            post(control_fault).delete(control_clear_faults),
        )
        .route("/__control/dns", post(control_dns))
        .route("/__control/backups/nightly", post(control_nightly))
        .route("/__control/requests", get(control_requests))
        .route(
            "/__control/health",
            put(|| async { "ok" }).get(|| async { "ok" }),
        )
}

async fn control_token(AxState(sh): Sh, body: Bytes) -> Response {
    let body = parse_body(&body).unwrap_or(json!({}));
    let scopes: Vec<String> = body
        .get("scopes")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_else(|| vec!["*".into()]);
    let username = body
        .get("username")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .unwrap_or("reseller")
        .to_owned();
    // `expires_in_days` (may be negative: already expired); absent means it never expires.
    let expiry = body
        .get("expires_in_days")
        .and_then(Value::as_i64)
        .map(|d| chrono::Utc::now() + chrono::Duration::days(d));
    let token = super::random_token(&sh);
    let mut s = sh.state();
    let rec = s.new_token(&username, scopes, expiry);
    s.tokens.insert(token.clone(), rec);
    Json(json!({ "token": token })).into_response()
}

async fn control_fault(AxState(sh): Sh, body: Bytes) -> Response {
    let parsed = (|| -> Option<FaultRule> {
        let body = parse_body(&body).ok()?;
        let kind = match body.get("kind")?.as_str()? {
            "busy" => FaultKind::Busy,
            "server_error" => FaultKind::ServerError(
                body.get("status").and_then(Value::as_u64).unwrap_or(500) as u16,
            ),
            "rate_limited" => FaultKind::RateLimited {
                retry_after_secs: body
                    .get("retry_after_secs")
                    .and_then(Value::as_u64)
                    .unwrap_or(1),
            },
            "rate_limited_without_retry_after" => FaultKind::RateLimitedWithoutRetryAfter {
                reset_secs: body.get("reset_secs").and_then(Value::as_u64),
            },
            "drop_before_apply" => FaultKind::DropBeforeApply,
            "drop_after_apply" => FaultKind::DropAfterApply,
            "latency" => FaultKind::Latency(Duration::from_millis(
                body.get("ms").and_then(Value::as_u64).unwrap_or(500),
            )),
            _ => return None,
        };
        let mut rule = FaultRule::new(
            kind,
            body.get("method").and_then(Value::as_str).unwrap_or("GET"),
            body.get("path")?.as_str()?,
        );
        if body.get("method").is_none() {
            rule.method = None;
        }
        rule.count = body.get("count").and_then(Value::as_u64).map(|c| c as u32);
        rule.permille = body
            .get("permille")
            .and_then(Value::as_u64)
            .unwrap_or(0)
            .min(1000) as u32;
        Some(rule)
    })();
    match parsed {
        Some(rule) => {
            super::lock(&sh.faults).push(rule);
            Json(json!({})).into_response()
        }
        None => (StatusCode::BAD_REQUEST, "expected {\"kind\":\"busy|server_error|rate_limited|rate_limited_without_retry_after|drop_before_apply|drop_after_apply|latency\",\"path\":\"/linode/instances\",\"method\"?,\"count\"?,\"permille\"?}").into_response(),
    }
}

async fn control_clear_faults(AxState(sh): Sh) -> Response {
    super::lock(&sh.faults).clear();
    Json(json!({})).into_response()
}

async fn control_dns(AxState(sh): Sh, body: Bytes) -> Response {
    let body = parse_body(&body).unwrap_or(json!({}));
    match (
        body.get("name").and_then(Value::as_str),
        body.get("address").and_then(Value::as_str),
    ) {
        (Some(n), Some(a)) => {
            sh.state()
                .forward_dns
                .entry(n.to_ascii_lowercase())
                .or_default()
                .push(a.to_owned());
            Json(json!({})).into_response()
        }
        _ => (
            StatusCode::BAD_REQUEST,
            "expected {\"name\":\"host.example.com\",\"address\":\"203.0.113.2\"}",
        )
            .into_response(),
    }
}

async fn control_nightly(AxState(sh): Sh) -> Response {
    let n = sh.state().nightly_backups();
    Json(json!({ "backups": n })).into_response()
}

async fn control_requests(AxState(sh): Sh) -> Response {
    let log = super::lock(&sh.log);
    let items: Vec<Value> = log
        .iter()
        .map(
            |r| json!({ "method": r.method, "path": r.path, "query": r.query, "status": r.status }),
        )
        .collect();
    Json(json!({ "requests": items })).into_response()
}
