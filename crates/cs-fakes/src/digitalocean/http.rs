//! Routes, authentication, scopes, rate limits and fault injection of the fake.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State as AxState};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{json, Value};

use super::state::{ApiError, ApiResult, State, TokenRec};
use super::{
    catalogue, metrics, render, ConnKill, FaultKind, FaultRule, RateDecision, RecordedRequest,
    Shared,
};

type Sh = AxState<Arc<Shared>>;
type Q = Query<HashMap<String, String>>;

/// Who is calling.
#[derive(Clone)]
pub(crate) struct Caller {
    pub token: TokenRec,
}

/// A handler's answer: a status and a body (none for 204), or an error.
struct Reply(ApiResult<(StatusCode, Value)>);

impl Reply {
    fn ok(v: Value) -> Self {
        Reply(Ok((StatusCode::OK, v)))
    }
    fn with(status: u16, r: ApiResult<Value>) -> Self {
        Reply(r.map(|v| (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), v)))
    }
    fn no_content(r: ApiResult<()>) -> Self {
        Reply(r.map(|()| (StatusCode::NO_CONTENT, Value::Null)))
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        match self.0 {
            Ok((StatusCode::NO_CONTENT, _)) => StatusCode::NO_CONTENT.into_response(),
            Ok((status, v)) => (status, Json(v)).into_response(),
            Err(e) => error_response(&e),
        }
    }
}

static REQUESTS: AtomicU64 = AtomicU64::new(1);

fn error_response(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let n = REQUESTS.fetch_add(1, Ordering::Relaxed);
    let request_id = State::uuid_like(0x5eed, n);
    (status, Json(render::error(e.id, &e.message, &request_id))).into_response()
}

fn parse_body(bytes: &Bytes) -> ApiResult<Value> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(bytes)
        .map_err(|_| ApiError::bad_request("The request body is not valid JSON."))
}

fn id_of(raw: &str) -> ApiResult<u64> {
    raw.parse().map_err(|_| ApiError::not_found())
}

/// The server the client called, for links (`http://127.0.0.1:PORT`).
fn base(headers: &HeaderMap) -> String {
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/account", get(account))
        .route("/account/keys", get(ssh_keys).post(add_ssh_key))
        .route(
            "/account/keys/{key}",
            get(ssh_key).put(rename_ssh_key).delete(delete_ssh_key),
        )
        .route("/regions", get(regions))
        .route("/sizes", get(sizes))
        .route("/images", get(images))
        .route("/images/{image}", get(image_one))
        .route("/droplets", get(droplets).post(create_droplet))
        .route("/droplets/{id}", get(droplet_one).delete(delete_droplet))
        .route("/droplets/{id}/backups", get(droplet_backups))
        .route("/droplets/{id}/snapshots", get(droplet_snapshots))
        .route(
            "/droplets/{id}/actions",
            get(droplet_actions).post(post_droplet_action),
        )
        .route("/droplets/{id}/actions/{action}", get(droplet_action_one))
        .route("/droplets/{id}/firewalls", get(droplet_firewalls))
        .route("/actions", get(actions))
        .route("/actions/{id}", get(action_one))
        .route("/snapshots", get(snapshots))
        .route("/snapshots/{id}", get(snapshot_one).delete(delete_snapshot))
        .route("/reserved_ips", get(reserved_ips).post(create_reserved_ip))
        .route(
            "/reserved_ips/{ip}",
            get(reserved_ip_one).delete(delete_reserved_ip),
        )
        .route(
            "/reserved_ips/{ip}/actions",
            get(reserved_ip_actions).post(post_reserved_ip_action),
        )
        .route("/firewalls", get(firewalls).post(create_firewall))
        .route(
            "/firewalls/{id}",
            get(firewall_one)
                .put(update_firewall)
                .delete(delete_firewall),
        )
        .route(
            "/firewalls/{id}/droplets",
            post(add_firewall_droplets).delete(remove_firewall_droplets),
        )
        .route("/monitoring/metrics/droplet/{metric}", get(droplet_metric))
        .fallback(|| async { error_response(&ApiError::not_found()) });
    Router::new()
        .nest("/v2", api)
        .merge(control_router())
        .fallback(|| async { error_response(&ApiError::not_found()) })
        .layer(middleware::from_fn_with_state(shared.clone(), gate))
        .with_state(shared)
}

// ------------------------------------------------------------------ the gate

/// The scope an endpoint needs, as the specification's `security` lists it.
fn scope_for(method: &Method, rel: &str) -> &'static str {
    let segs: Vec<&str> = rel.trim_matches('/').split('/').collect();
    let verb = |read, create, update, delete| match *method {
        Method::GET | Method::HEAD => read,
        Method::POST => create,
        Method::PUT | Method::PATCH => update,
        _ => delete,
    };
    match segs.as_slice() {
        ["account"] => "account:read",
        ["account", "keys", ..] => verb(
            "ssh_key:read",
            "ssh_key:create",
            "ssh_key:update",
            "ssh_key:delete",
        ),
        ["regions"] => "regions:read",
        ["sizes"] => "sizes:read",
        ["images", ..] => "image:read",
        ["droplets", _, "actions", ..] => verb(
            "droplet:read",
            "droplet:update",
            "droplet:update",
            "droplet:update",
        ),
        ["droplets", _, "firewalls"] => "firewall:read",
        ["droplets", ..] => verb(
            "droplet:read",
            "droplet:create",
            "droplet:update",
            "droplet:delete",
        ),
        ["actions", ..] => "actions:read",
        ["snapshots", ..] => verb(
            "snapshot:read",
            "snapshot:create",
            "snapshot:update",
            "snapshot:delete",
        ),
        ["reserved_ips", _, "actions"] => verb(
            "reserved_ip:read",
            "reserved_ip:update",
            "reserved_ip:update",
            "reserved_ip:update",
        ),
        ["reserved_ips", ..] => verb(
            "reserved_ip:read",
            "reserved_ip:create",
            "reserved_ip:update",
            "reserved_ip:delete",
        ),
        ["firewalls", _, "droplets"] => "firewall:update",
        ["firewalls", ..] => verb(
            "firewall:read",
            "firewall:create",
            "firewall:update",
            "firewall:delete",
        ),
        ["monitoring", ..] => "monitoring:read",
        _ => "account:read",
    }
}

async fn gate(AxState(shared): Sh, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let Some(rel) = path.strip_prefix("/v2").map(str::to_owned) else {
        return next.run(req).await;
    };
    let method = req.method().clone();
    let index = shared.record(RecordedRequest {
        method: method.to_string(),
        path: rel.clone(),
        query: req.uri().query().map(str::to_owned),
        status: None,
    });
    let kill = req.extensions().get::<ConnKill>().cloned();
    let faults = shared.draw_faults(method.as_str(), &rel);
    for f in &faults {
        if let FaultKind::Latency(d) = f {
            tokio::time::sleep(*d).await;
        }
    }

    // Authentication: every endpoint needs a token.
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned());
    let Some((bearer, token)) =
        bearer.and_then(|b| shared.state().tokens.get(&b).cloned().map(|t| (b, t)))
    else {
        let resp = error_response(&ApiError::new(
            401,
            "unauthorized",
            "Unable to authenticate you",
        ));
        return finish(&shared, index, resp);
    };

    // Rate limits, per token.
    let ssh_key_list = method == Method::GET && rel == "/account/keys";
    let (limit, remaining, reset) = match shared.take_rate(&bearer, ssh_key_list) {
        RateDecision::Allowed(l, r, reset) => (l, r, reset),
        RateDecision::Refused {
            limit,
            reset_epoch,
            retry_after,
        } => {
            let mut resp = error_response(&ApiError::new(
                429,
                "too_many_requests",
                "API Rate limit exceeded.",
            ));
            rate_headers(&mut resp, limit, 0, reset_epoch);
            if let Some(secs) = retry_after {
                resp.headers_mut()
                    .insert("retry-after", HeaderValue::from(secs));
            }
            return finish(&shared, index, resp);
        }
    };

    // Scopes.
    let scope = scope_for(&method, &rel);
    if !token.allows(scope) {
        let mut resp = error_response(&ApiError::new(
            403,
            "forbidden",
            "You do not have access for the attempted action.",
        ));
        rate_headers(&mut resp, limit, remaining, reset);
        return finish(&shared, index, resp);
    }

    // Injected faults that refuse the request before it is applied.
    let mut after_apply: Option<FaultKind> = None;
    for f in &faults {
        let resp = match f {
            FaultKind::ServerError(code) => Some(error_response(&ApiError::new(
                *code,
                "server_error",
                "Server was unable to give you a response.",
            ))),
            FaultKind::RateLimited { retry_after_secs } => {
                let mut r = error_response(&ApiError::new(
                    429,
                    "too_many_requests",
                    "API Rate limit exceeded.",
                ));
                rate_headers(&mut r, limit, 0, reset);
                if let Some(secs) = retry_after_secs {
                    r.headers_mut()
                        .insert("retry-after", HeaderValue::from(*secs));
                }
                shared.set_status(index, Some(429));
                return r;
            }
            FaultKind::DropBeforeApply => {
                shared.set_status(index, None);
                return hang_up(kill).await;
            }
            FaultKind::DropAfterApply | FaultKind::ServerErrorAfterApply(_) => {
                after_apply = Some(f.clone());
                None
            }
            FaultKind::Latency(_) => None,
        };
        if let Some(mut r) = resp {
            rate_headers(&mut r, limit, remaining, reset);
            return finish(&shared, index, r);
        }
    }

    req.extensions_mut().insert(Caller { token });
    let mut resp = next.run(req).await;
    if resp.status().is_success() {
        match after_apply {
            Some(FaultKind::DropAfterApply) => {
                shared.set_status(index, None);
                return hang_up(kill).await;
            }
            Some(FaultKind::ServerErrorAfterApply(code)) => {
                resp = error_response(&ApiError::new(
                    code,
                    "server_error",
                    "Server was unable to give you a response.",
                ));
            }
            _ => {}
        }
    }
    rate_headers(&mut resp, limit, remaining, reset);
    finish(&shared, index, resp)
}

fn rate_headers(resp: &mut Response, limit: u32, remaining: u32, reset_epoch: u64) {
    let h = resp.headers_mut();
    h.insert("ratelimit-limit", HeaderValue::from(limit));
    h.insert("ratelimit-remaining", HeaderValue::from(remaining));
    h.insert("ratelimit-reset", HeaderValue::from(reset_epoch));
}

fn finish(shared: &Shared, index: usize, resp: Response) -> Response {
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

// ------------------------------------------------------------------ account, catalogue

async fn account(AxState(sh): Sh) -> Reply {
    Reply::ok(json!({ "account": render::account(&sh.state()) }))
}

async fn regions(q: Q, headers: HeaderMap) -> Reply {
    let items = catalogue::REGIONS
        .iter()
        .map(catalogue::region_json)
        .collect();
    Reply::ok(render::page(
        "regions",
        items,
        &q,
        &base(&headers),
        "/regions",
    ))
}

async fn sizes(q: Q, headers: HeaderMap) -> Reply {
    let items = catalogue::SIZES.iter().map(catalogue::size_json).collect();
    Reply::ok(render::page("sizes", items, &q, &base(&headers), "/sizes"))
}

/// Distribution images, application images, or the account's own (`private=true`).
async fn images(AxState(sh): Sh, q: Q, headers: HeaderMap) -> Reply {
    let s = sh.state();
    let created = State::ts(&s.started);
    let private = q.get("private").is_some_and(|v| v == "true");
    let kind = q.get("type").map(String::as_str);
    let mut items: Vec<Value> = Vec::new();
    if !private {
        items.extend(
            catalogue::IMAGES
                .iter()
                .filter(|i| match kind {
                    Some("application") => i.application,
                    Some("distribution") => !i.application,
                    _ => true,
                })
                .map(|i| catalogue::image_json(i, &created)),
        );
    }
    if kind.is_none() {
        items.extend(s.images.values().map(render::image));
    }
    Reply::ok(render::page(
        "images",
        items,
        &q,
        &base(&headers),
        "/images",
    ))
}

async fn image_one(AxState(sh): Sh, Path(key): Path<String>) -> Reply {
    let s = sh.state();
    let created = State::ts(&s.started);
    if let Some(i) = catalogue::image(&key) {
        return Reply::ok(json!({ "image": catalogue::image_json(i, &created) }));
    }
    Reply(
        id_of(&key)
            .and_then(|id| s.images.get(&id).ok_or_else(ApiError::not_found))
            .map(|i| (StatusCode::OK, json!({ "image": render::image(i) }))),
    )
}

// ------------------------------------------------------------------ SSH keys

async fn ssh_keys(AxState(sh): Sh, q: Q, headers: HeaderMap) -> Reply {
    let s = sh.state();
    let items = s.ssh_keys.values().map(render::ssh_key).collect();
    Reply::ok(render::page(
        "ssh_keys",
        items,
        &q,
        &base(&headers),
        "/account/keys",
    ))
}

async fn add_ssh_key(AxState(sh): Sh, body: Bytes) -> Reply {
    Reply::with(
        201,
        (|| {
            let body = parse_body(&body)?;
            let mut s = sh.state();
            let id = s.add_ssh_key(&body)?;
            Ok(json!({ "ssh_key": render::ssh_key(&s.ssh_keys[&id]) }))
        })(),
    )
}

async fn ssh_key(AxState(sh): Sh, Path(key): Path<String>) -> Reply {
    let s = sh.state();
    Reply::with(
        200,
        s.ssh_key(&key)
            .map(|k| json!({ "ssh_key": render::ssh_key(k) })),
    )
}

async fn rename_ssh_key(AxState(sh): Sh, Path(key): Path<String>, body: Bytes) -> Reply {
    Reply::with(
        200,
        (|| {
            let body = parse_body(&body)?;
            let mut s = sh.state();
            let id = s.ssh_key(&key)?.id;
            let k = s.ssh_keys.get_mut(&id).expect("found");
            if let Some(n) = body.get("name").and_then(Value::as_str) {
                k.name = n.to_owned();
            }
            Ok(json!({ "ssh_key": render::ssh_key(k) }))
        })(),
    )
}

async fn delete_ssh_key(AxState(sh): Sh, Path(key): Path<String>) -> Reply {
    let mut s = sh.state();
    Reply::no_content(s.ssh_key(&key).map(|k| k.id).map(|id| {
        s.ssh_keys.remove(&id);
    }))
}

// ------------------------------------------------------------------ droplets

async fn droplets(AxState(sh): Sh, q: Q, headers: HeaderMap) -> Reply {
    let s = sh.state();
    if q.contains_key("tag_name") && q.contains_key("name") {
        return Reply(Err(ApiError::bad_request(
            "tag_name can not be combined with name",
        )));
    }
    let items: Vec<_> = s
        .droplets
        .values()
        .filter(|d| {
            q.get("tag_name").is_none_or(|t| d.tags.contains(t))
                && q.get("name").is_none_or(|n| d.name.eq_ignore_ascii_case(n))
        })
        .collect();
    Reply::ok(render::page_with(
        "droplets",
        items,
        |d| render::droplet(&s, d),
        &q,
        &base(&headers),
        "/droplets",
    ))
}

async fn create_droplet(AxState(sh): Sh, headers: HeaderMap, body: Bytes) -> Reply {
    Reply::with(
        202,
        (|| {
            let body = parse_body(&body)?;
            let mut s = sh.state();
            let (id, action) = s.create_droplet(&body)?;
            Ok(json!({
                "droplet": render::droplet(&s, s.droplet(id)?),
                "links": { "actions": [render::action_link(&base(&headers), action, "create")] },
            }))
        })(),
    )
}

async fn droplet_one(AxState(sh): Sh, Path(id): Path<String>) -> Reply {
    let s = sh.state();
    Reply::with(
        200,
        id_of(&id)
            .and_then(|id| s.droplet(id))
            .map(|d| json!({ "droplet": render::droplet(&s, d) })),
    )
}

async fn delete_droplet(AxState(sh): Sh, Path(id): Path<String>) -> Reply {
    Reply::no_content(id_of(&id).and_then(|id| sh.state().destroy(id)))
}

fn droplet_images(
    sh: &Shared,
    id: &str,
    kind: &str,
    q: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Reply {
    let s = sh.state();
    Reply::with(
        200,
        id_of(id).and_then(|id| {
            s.droplet(id)?;
            let items = s
                .images
                .values()
                .filter(|i| i.droplet_id == id && i.kind == kind)
                .map(render::image)
                .collect();
            let key = if kind == "backup" {
                "backups"
            } else {
                "snapshots"
            };
            Ok(render::page(
                key,
                items,
                q,
                &base(headers),
                &format!("/droplets/{id}/{key}"),
            ))
        }),
    )
}

async fn droplet_backups(
    AxState(sh): Sh,
    Path(id): Path<String>,
    q: Q,
    headers: HeaderMap,
) -> Reply {
    droplet_images(&sh, &id, "backup", &q, &headers)
}

async fn droplet_snapshots(
    AxState(sh): Sh,
    Path(id): Path<String>,
    q: Q,
    headers: HeaderMap,
) -> Reply {
    droplet_images(&sh, &id, "snapshot", &q, &headers)
}

async fn droplet_actions(
    AxState(sh): Sh,
    Path(id): Path<String>,
    q: Q,
    headers: HeaderMap,
) -> Reply {
    let s = sh.state();
    Reply::with(
        200,
        id_of(&id).and_then(|id| {
            s.droplet(id)?;
            let items = s
                .actions
                .values()
                .rev()
                .filter(|a| a.resource_type == "droplet" && a.resource_id == Some(id))
                .map(render::action)
                .collect();
            Ok(render::page(
                "actions",
                items,
                &q,
                &base(&headers),
                &format!("/droplets/{id}/actions"),
            ))
        }),
    )
}

/// The custom scopes some actions need beyond `droplet:update` (the specification's table).
fn extra_scope(kind: &str) -> Option<&'static str> {
    match kind {
        "restore" | "password_reset" | "rebuild" => Some("droplet:admin"),
        "resize" => Some("droplet:create"),
        "snapshot" => Some("image:create"),
        _ => None,
    }
}

async fn post_droplet_action(
    AxState(sh): Sh,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Reply {
    Reply::with(
        201,
        (|| {
            let id = id_of(&id)?;
            let body = parse_body(&body)?;
            let kind = body.get("type").and_then(Value::as_str).unwrap_or("");
            if let Some(scope) = extra_scope(kind) {
                if !c.token.allows(scope) {
                    return Err(ApiError::new(
                        403,
                        "forbidden",
                        "You do not have access for the attempted action.",
                    ));
                }
            }
            let mut s = sh.state();
            let action = s.droplet_action(id, &body)?;
            Ok(json!({ "action": render::action(s.action(action)?) }))
        })(),
    )
}

async fn droplet_action_one(AxState(sh): Sh, Path((id, action)): Path<(String, String)>) -> Reply {
    let s = sh.state();
    Reply::with(
        200,
        (|| {
            let id = id_of(&id)?;
            let a = s.action(id_of(&action)?)?;
            if a.resource_type != "droplet" || a.resource_id != Some(id) {
                return Err(ApiError::not_found());
            }
            Ok(json!({ "action": render::action(a) }))
        })(),
    )
}

async fn droplet_firewalls(
    AxState(sh): Sh,
    Path(id): Path<String>,
    q: Q,
    headers: HeaderMap,
) -> Reply {
    let s = sh.state();
    Reply::with(
        200,
        id_of(&id).and_then(|id| {
            s.droplet(id)?;
            let items = s
                .firewalls
                .iter()
                .filter(|f| f.droplet_ids.contains(&id))
                .map(render::firewall)
                .collect();
            Ok(render::page(
                "firewalls",
                items,
                &q,
                &base(&headers),
                &format!("/droplets/{id}/firewalls"),
            ))
        }),
    )
}

// ------------------------------------------------------------------ actions

async fn actions(AxState(sh): Sh, q: Q, headers: HeaderMap) -> Reply {
    let s = sh.state();
    // Newest first, as DigitalOcean lists them.
    let items: Vec<_> = s.actions.values().rev().collect();
    Reply::ok(render::page_with(
        "actions",
        items,
        render::action,
        &q,
        &base(&headers),
        "/actions",
    ))
}

async fn action_one(AxState(sh): Sh, Path(id): Path<String>) -> Reply {
    let s = sh.state();
    Reply::with(
        200,
        id_of(&id)
            .and_then(|id| s.action(id))
            .map(|a| json!({ "action": render::action(a) })),
    )
}

// ------------------------------------------------------------------ snapshots

async fn snapshots(AxState(sh): Sh, q: Q, headers: HeaderMap) -> Reply {
    let s = sh.state();
    let items = if q.get("resource_type").is_some_and(|t| t == "volume") {
        vec![]
    } else {
        s.images
            .values()
            .filter(|i| i.kind == "snapshot")
            .map(render::snapshot)
            .collect()
    };
    Reply::ok(render::page(
        "snapshots",
        items,
        &q,
        &base(&headers),
        "/snapshots",
    ))
}

async fn snapshot_one(AxState(sh): Sh, Path(id): Path<String>) -> Reply {
    let s = sh.state();
    Reply::with(
        200,
        id_of(&id)
            .and_then(|id| {
                s.images
                    .get(&id)
                    .filter(|i| i.kind == "snapshot")
                    .ok_or_else(ApiError::not_found)
            })
            .map(|i| json!({ "snapshot": render::snapshot(i) })),
    )
}

async fn delete_snapshot(AxState(sh): Sh, Path(id): Path<String>) -> Reply {
    let mut s = sh.state();
    Reply::no_content(id_of(&id).and_then(|id| match s.images.get(&id) {
        Some(i) if i.kind == "snapshot" => {
            s.images.remove(&id);
            Ok(())
        }
        _ => Err(ApiError::not_found()),
    }))
}

// ------------------------------------------------------------------ reserved IPs

async fn reserved_ips(AxState(sh): Sh, q: Q, headers: HeaderMap) -> Reply {
    let s = sh.state();
    let items = s
        .reserved_ips
        .values()
        .map(|r| render::reserved_ip(&s, r))
        .collect();
    Reply::ok(render::page(
        "reserved_ips",
        items,
        &q,
        &base(&headers),
        "/reserved_ips",
    ))
}

async fn create_reserved_ip(AxState(sh): Sh, headers: HeaderMap, body: Bytes) -> Reply {
    Reply::with(
        202,
        (|| {
            let body = parse_body(&body)?;
            let mut s = sh.state();
            let (ip, action) = s.create_reserved_ip(&body)?;
            let r = s.reserved_ips[&ip].clone();
            let links = match (action, r.droplet) {
                (Some(a), Some(d)) => json!({
                    "droplets": [{ "id": d, "rel": "droplet", "href": format!("{}/v2/droplets/{d}", base(&headers)) }],
                    "actions": [render::action_link(&base(&headers), a, "assign_ip")],
                }),
                _ => json!({}),
            };
            Ok(json!({ "reserved_ip": render::reserved_ip(&s, &r), "links": links }))
        })(),
    )
}

async fn reserved_ip_one(AxState(sh): Sh, Path(ip): Path<String>) -> Reply {
    let s = sh.state();
    Reply::with(
        200,
        s.reserved_ip(&ip)
            .map(|r| json!({ "reserved_ip": render::reserved_ip(&s, r) })),
    )
}

async fn delete_reserved_ip(AxState(sh): Sh, Path(ip): Path<String>) -> Reply {
    let mut s = sh.state();
    Reply::no_content(s.reserved_ip(&ip).map(|r| r.ip).map(|ip| {
        s.reserved_ips.remove(&ip);
    }))
}

async fn reserved_ip_actions(
    AxState(sh): Sh,
    Path(ip): Path<String>,
    q: Q,
    headers: HeaderMap,
) -> Reply {
    let s = sh.state();
    Reply::with(
        200,
        s.reserved_ip(&ip).map(|r| {
            let key = u64::from(u32::from(r.ip));
            let items = s
                .actions
                .values()
                .rev()
                .filter(|a| a.resource_type == "reserved_ip" && a.resource_id == Some(key))
                .map(render::action)
                .collect();
            render::page(
                "actions",
                items,
                &q,
                &base(&headers),
                &format!("/reserved_ips/{ip}/actions"),
            )
        }),
    )
}

async fn post_reserved_ip_action(AxState(sh): Sh, Path(ip): Path<String>, body: Bytes) -> Reply {
    Reply::with(
        201,
        (|| {
            let body = parse_body(&body)?;
            let mut s = sh.state();
            let a = s.reserved_ip_action(&ip, &body)?;
            Ok(json!({ "action": render::action(s.action(a)?) }))
        })(),
    )
}

// ------------------------------------------------------------------ firewalls

async fn firewalls(AxState(sh): Sh, q: Q, headers: HeaderMap) -> Reply {
    let s = sh.state();
    let items = s.firewalls.iter().map(render::firewall).collect();
    Reply::ok(render::page(
        "firewalls",
        items,
        &q,
        &base(&headers),
        "/firewalls",
    ))
}

async fn create_firewall(AxState(sh): Sh, body: Bytes) -> Reply {
    Reply::with(
        202,
        (|| {
            let body = parse_body(&body)?;
            let mut s = sh.state();
            let id = s.create_firewall(&body)?;
            Ok(json!({ "firewall": render::firewall(s.firewall(&id)?) }))
        })(),
    )
}

async fn firewall_one(AxState(sh): Sh, Path(id): Path<String>) -> Reply {
    let s = sh.state();
    Reply::with(
        200,
        s.firewall(&id)
            .map(|f| json!({ "firewall": render::firewall(f) })),
    )
}

async fn update_firewall(AxState(sh): Sh, Path(id): Path<String>, body: Bytes) -> Reply {
    Reply::with(
        200,
        (|| {
            let body = parse_body(&body)?;
            let mut s = sh.state();
            s.update_firewall(&id, &body)?;
            Ok(json!({ "firewall": render::firewall(s.firewall(&id)?) }))
        })(),
    )
}

async fn delete_firewall(AxState(sh): Sh, Path(id): Path<String>) -> Reply {
    Reply::no_content(sh.state().delete_firewall(&id))
}

async fn add_firewall_droplets(AxState(sh): Sh, Path(id): Path<String>, body: Bytes) -> Reply {
    Reply::no_content(parse_body(&body).and_then(|b| sh.state().firewall_droplets(&id, &b, true)))
}

async fn remove_firewall_droplets(AxState(sh): Sh, Path(id): Path<String>, body: Bytes) -> Reply {
    Reply::no_content(parse_body(&body).and_then(|b| sh.state().firewall_droplets(&id, &b, false)))
}

// ------------------------------------------------------------------ monitoring

async fn droplet_metric(AxState(sh): Sh, Path(metric): Path<String>, q: Q) -> Reply {
    let s = sh.state();
    Reply::with(
        200,
        (|| {
            let param = |name: &str| {
                q.get(name)
                    .cloned()
                    .ok_or_else(|| ApiError::bad_request(format!("{name} is required")))
            };
            let host: u64 = param("host_id")?
                .parse()
                .map_err(|_| ApiError::bad_request("host_id must be a Droplet id"))?;
            let start: i64 = param("start")?
                .parse()
                .map_err(|_| ApiError::bad_request("start must be a UNIX timestamp"))?;
            let end: i64 = param("end")?
                .parse()
                .map_err(|_| ApiError::bad_request("end must be a UNIX timestamp"))?;
            if end <= start {
                return Err(ApiError::bad_request("end must be after start"));
            }
            let d = s.droplets.get(&host);
            Ok(match metric.as_str() {
                "cpu" => metrics::cpu(d, start, end),
                "bandwidth" => {
                    let interface = param("interface")?;
                    let direction = param("direction")?;
                    if !matches!(interface.as_str(), "public" | "private")
                        || !matches!(direction.as_str(), "inbound" | "outbound")
                    {
                        return Err(ApiError::bad_request(
                            "interface must be public or private, direction inbound or outbound",
                        ));
                    }
                    metrics::bandwidth(d, &interface, &direction, start, end)
                }
                "filesystem_free" => metrics::filesystem(d, true, start, end),
                "filesystem_size" => metrics::filesystem(d, false, start, end),
                _ => return Err(ApiError::not_found()),
            })
        })(),
    )
}

// ------------------------------------------------------------------ control API (demo)

/// Unauthenticated control routes under `/__control` for the demo binary and scripts:
/// `POST /__control/tokens {"scopes":["read","write"]}`, `POST /__control/faults {…}`,
/// `DELETE /__control/faults`, `POST /__control/fail-action {"type":"power_on"}`,
/// `POST /__control/backups/nightly`, `POST /__control/console {"droplet_id", "action":
/// "delete"|"resize"|"enable_backups"|"disable_backups", "size"?}`,
/// `POST /__control/account {"status","message"}`, `GET /__control/requests`.
pub(crate) fn control_router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/__control/tokens", post(control_token))
        .route(
            "/__control/faults",
            post(control_fault).delete(control_clear_faults),
        )
        .route("/__control/fail-action", post(control_fail_action))
        .route("/__control/backups/nightly", post(control_nightly))
        .route("/__control/console", post(control_console))
        .route("/__control/account", post(control_account))
        .route("/__control/requests", get(control_requests))
        .route("/__control/health", get(|| async { "ok" }))
}

fn bad(message: &'static str) -> Response {
    (StatusCode::BAD_REQUEST, message).into_response()
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
        .unwrap_or_else(|| vec!["read".into(), "write".into()]);
    let token = super::random_token(&sh);
    super::lock(&sh.state)
        .tokens
        .insert(token.clone(), TokenRec { scopes });
    Json(json!({ "token": token })).into_response()
}

async fn control_fault(AxState(sh): Sh, body: Bytes) -> Response {
    let parsed = (|| -> Option<FaultRule> {
        let body = parse_body(&body).ok()?;
        let status = || body.get("status").and_then(Value::as_u64).unwrap_or(500) as u16;
        let kind = match body.get("kind")?.as_str()? {
            "server_error" => FaultKind::ServerError(status()),
            "server_error_after_apply" => FaultKind::ServerErrorAfterApply(status()),
            "rate_limited" => FaultKind::RateLimited {
                retry_after_secs: body.get("retry_after_secs").and_then(Value::as_u64),
            },
            "drop_before_apply" => FaultKind::DropBeforeApply,
            "drop_after_apply" => FaultKind::DropAfterApply,
            "latency" => FaultKind::Latency(Duration::from_millis(
                body.get("ms").and_then(Value::as_u64).unwrap_or(500),
            )),
            _ => return None,
        };
        let path = body.get("path")?.as_str()?;
        let mut rule = match body.get("method").and_then(Value::as_str) {
            Some(m) => FaultRule::new(kind, m, path),
            None => FaultRule::any_method(kind, path),
        };
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
        None => bad("expected {\"kind\":\"server_error|server_error_after_apply|rate_limited|drop_before_apply|drop_after_apply|latency\",\"path\":\"/droplets\",\"method\"?,\"count\"?,\"permille\"?,\"status\"?,\"retry_after_secs\"?,\"ms\"?}"),
    }
}

async fn control_clear_faults(AxState(sh): Sh) -> Response {
    super::lock(&sh.faults).clear();
    Json(json!({})).into_response()
}

async fn control_fail_action(AxState(sh): Sh, body: Bytes) -> Response {
    match parse_body(&body)
        .ok()
        .and_then(|b| b.get("type").and_then(Value::as_str).map(str::to_owned))
    {
        Some(kind) => {
            super::lock(&sh.state).fail_next.push(kind);
            Json(json!({})).into_response()
        }
        None => bad("expected {\"type\":\"power_on\"}"),
    }
}

async fn control_nightly(AxState(sh): Sh) -> Response {
    let n = sh.state().nightly_backups();
    Json(json!({ "backups": n })).into_response()
}

async fn control_console(AxState(sh): Sh, body: Bytes) -> Response {
    let body = parse_body(&body).unwrap_or(json!({}));
    let Some(id) = body.get("droplet_id").and_then(Value::as_u64) else {
        return bad("expected {\"droplet_id\":N,\"action\":\"delete|resize|enable_backups|disable_backups\",\"size\"?}");
    };
    let mut s = sh.state();
    let done = match body.get("action").and_then(Value::as_str) {
        Some("delete") => s.destroy(id).is_ok(),
        Some("resize") => {
            let size = body.get("size").and_then(Value::as_str).unwrap_or("");
            s.console_resize(id, size)
        }
        Some("enable_backups") => s.console_backups(id, true),
        Some("disable_backups") => s.console_backups(id, false),
        _ => return bad("action must be delete, resize, enable_backups or disable_backups"),
    };
    if done {
        Json(json!({})).into_response()
    } else {
        (StatusCode::NOT_FOUND, "no such Droplet (or size)").into_response()
    }
}

async fn control_account(AxState(sh): Sh, body: Bytes) -> Response {
    let body = parse_body(&body).unwrap_or(json!({}));
    let status = body
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("active");
    if !matches!(status, "active" | "warning" | "locked") {
        return bad("status must be active, warning or locked");
    }
    let message = body.get("message").and_then(Value::as_str).unwrap_or(" ");
    super::lock(&sh.state).account_status = (status.to_owned(), message.to_owned());
    Json(json!({})).into_response()
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
