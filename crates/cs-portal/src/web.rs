//! The customer web UI's files, embedded at build time from `ui/dist-portal/`
//! (see `build.rs`): hashed assets cached for good, every other path under
//! `/{tenant}/…` answered with the single page's `index.html`, and `/` sent
//! to the only tenant when there is one.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::api::branding::with_csrf_cookie;
use crate::http::ApiError;
use crate::storage::tenants;
use crate::Portal;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/ui_files.rs"));
}

pub use embedded::BUILT;

/// The page served when the UI was not built with the portal.
const NOT_BUILT: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Customer portal</title></head>\n<body><h1>The portal's web UI is not built</h1>\n<p>Run <code>npm run build:portal</code> in <code>ui/</code>, then build <code>containerstacks-portal</code> again: it embeds <code>ui/dist-portal/</code>.</p></body></html>\n";

/// The page at `/` when the portal serves several resellers.
const CHOOSE: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Customer portal</title></head>\n<body><h1>Customer portal</h1>\n<p>Open the link your provider gave you: it names your provider's portal.</p></body></html>\n";

fn file(path: &str) -> Option<&'static [u8]> {
    embedded::FILES
        .binary_search_by(|(p, _)| (*p).cmp(path))
        .ok()
        .map(|i| embedded::FILES[i].1)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, e)| e) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("txt") => "text/plain; charset=utf-8",
        Some("webmanifest") => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

fn serve_file(path: &str, bytes: &'static [u8], immutable: bool) -> Response {
    let cache = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type(path)),
            (header::CACHE_CONTROL, cache),
        ],
        bytes,
    )
        .into_response()
}

fn html(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// The single page, with the CSRF cookie sign-in needs.
fn index(portal: &Portal, headers: &HeaderMap) -> Response {
    let response = match file("index.html") {
        Some(bytes) if BUILT => serve_file("index.html", bytes, false),
        _ => html(StatusCode::OK, NOT_BUILT),
    };
    with_csrf_cookie(portal, headers, response)
}

/// `GET /`: the only tenant's portal, or a word on where to go.
pub async fn root(State(portal): State<Arc<Portal>>) -> Result<Response, ApiError> {
    let list = portal.db.run(false, tenants::list).await?;
    Ok(match list.as_slice() {
        [only] => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/{}/", only.slug))],
        )
            .into_response(),
        _ => html(StatusCode::OK, CHOOSE),
    })
}

/// `GET /assets/{*path}`: Vite's hashed files, cached for good.
pub async fn asset(Path(path): Path<String>) -> Response {
    let full = format!("assets/{path}");
    match file(&full) {
        Some(bytes) => serve_file(&full, bytes, true),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

/// Reserved first segments that are never a tenant's pages.
fn reserved(segment: &str) -> bool {
    tenants::check_slug(segment).is_err()
}

/// `GET /{tenant}` and `GET /{tenant}/{*rest}`: a file of the UI's root
/// (`favicon.svg`), or the single page, which routes on the client.
pub async fn page(State(portal): State<Arc<Portal>>, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    if let Some(bytes) = file(path).filter(|_| path != "index.html") {
        return serve_file(path, bytes, false);
    }
    let first = path.split('/').next().unwrap_or("");
    if reserved(first) {
        return not_found(uri).await;
    }
    index(&portal, &headers)
}

/// Anything else: a JSON 404 under the APIs, a plain one elsewhere.
pub async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") || uri.path().starts_with("/sync/") {
        ApiError::not_found("route").into_response()
    } else {
        (StatusCode::NOT_FOUND, "no such page").into_response()
    }
}
