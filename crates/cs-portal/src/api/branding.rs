//! A tenant's branding and logo: public, so the sign-in page can wear them.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use cs_sync::record::{Kind, Record};
use serde::Serialize;

use super::{tenant_by_slug, Brand};
use crate::http::{self, ApiError};
use crate::storage::projection::{self, Scope};
use crate::storage::{new_token, StorageError};
use crate::Portal;

/// `Branding` of API.md.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrandingBody {
    pub tenant: String,
    pub name: String,
    pub accent: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
}

/// Gives a browser the double-submit CSRF cookie it needs before signing
/// in, unless it has one.
pub fn with_csrf_cookie(portal: &Portal, request: &HeaderMap, mut response: Response) -> Response {
    if http::cookie(request, http::CSRF_COOKIE).is_none() {
        let (value, _) = new_token();
        response.headers_mut().append(
            header::SET_COOKIE,
            http::set_cookie(portal, http::CSRF_COOKIE, Some(&value), false),
        );
    }
    response
}

/// `GET /api/v1/t/{tenant}/branding`.
pub async fn branding(
    State(portal): State<Arc<Portal>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let tenant = tenant_by_slug(&portal, slug).await?;
    let brand = portal
        .db
        .run(false, move |tx| Brand::load(tx, &tenant))
        .await?;
    let body = BrandingBody {
        logo_url: brand
            .logo
            .as_ref()
            .map(|sha| format!("/api/v1/t/{}/logo/{sha}", brand.slug)),
        tenant: brand.slug,
        name: brand.name,
        accent: brand.accent,
        email: brand.email,
        website: brand.website,
    };
    Ok(with_csrf_cookie(
        &portal,
        &headers,
        http::json(StatusCode::OK, &body),
    ))
}

/// `GET /api/v1/t/{tenant}/logo/{sha256}`: content-addressed, so cached for
/// good.
pub async fn logo(
    State(portal): State<Arc<Portal>>,
    Path((slug, sha)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let tenant = tenant_by_slug(&portal, slug).await?;
    let png = portal
        .db
        .run(false, move |tx| {
            let Some(e) = projection::get(tx, Scope::Tenant(&tenant.id), Kind::Logo, &sha)? else {
                return Ok(None);
            };
            Ok::<_, StorageError>(match projection::decode(&e)? {
                Record::Logo(l) => Some(l.png),
                _ => None,
            })
        })
        .await?
        .ok_or_else(|| ApiError::not_found("logo"))?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        png,
    )
        .into_response())
}
