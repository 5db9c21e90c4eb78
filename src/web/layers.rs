//! Middleware: `?ref=` on any page becomes a visit through `/ref`, and a signed-in request
//! that still carries the visitor cookie claims that visitor's hits.
use super::auth::AuthSession;
use super::follow::redirect;
use super::visitor::{delete_cookie, read_cookie};
use super::HypeState;
use crate::services::{hits, links};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;

/// `GET /any/page?ref=ID&x=1` → `302 /ref/ID?next=%2Fany%2Fpage%3Fx%3D1` when ID is an enabled
/// link; anything else (unknown link, other methods, `/ref` itself) passes through.
pub async fn ref_param_redirect(
    State(state): State<HypeState>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let path = request.uri().path();
    if path.starts_with("/ref/") || path.starts_with("/api/") || path.starts_with("/pkg/") {
        return next.run(request).await;
    }
    let Some(query) = request.uri().query() else {
        return next.run(request).await;
    };
    let mut identifier = None;
    let mut kept = Vec::new();
    for segment in query.split('&') {
        let key = segment.split('=').next().unwrap_or_default();
        let is_ref = url::form_urlencoded::parse(key.as_bytes())
            .next()
            .is_some_and(|(k, _)| k == "ref");
        if is_ref {
            if identifier.is_none() {
                identifier = url::form_urlencoded::parse(segment.as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned());
            }
        } else if !segment.is_empty() {
            kept.push(segment);
        }
    }
    let Some(identifier) = identifier else {
        return next.run(request).await;
    };
    let link = match links::find_enabled(&state.db, &identifier).await {
        Ok(Some(link)) => link,
        Ok(None) => return next.run(request).await,
        Err(error) => {
            tracing::warn!(%error, "?ref= lookup failed; serving the page without it");
            return next.run(request).await;
        }
    };
    let mut original = path.to_owned();
    if !kept.is_empty() {
        original.push('?');
        original.push_str(&kept.join("&"));
    }
    let encoded: String = url::form_urlencoded::byte_serialize(original.as_bytes()).collect();
    redirect(&format!("/ref/{}?next={encoded}", link.identifier), None)
}

/// For a signed-in request carrying the visitor cookie: claims that visitor's hits for the user,
/// then deletes the cookie. A forged or malformed cookie is just deleted.
pub async fn claim_visitor_hits(
    State(state): State<HypeState>,
    auth: AuthSession,
    request: Request,
    next: Next,
) -> Response {
    let cookie = match &auth.user {
        Some(user) => claim_from_headers(&state, user.id, request.headers()).await,
        None => None,
    };
    let mut response = next.run(request).await;
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// Claims the hits of the visitor named by the request's cookie for `user_id`. Returns the
/// `Set-Cookie` that deletes the cookie, or `None` when there was no cookie — or when the
/// claim failed, so the cookie stays for a later request to retry.
pub async fn claim_from_headers(
    state: &HypeState,
    user_id: i32,
    headers: &HeaderMap,
) -> Option<HeaderValue> {
    let value = read_cookie(headers, &state.config.cookie_name)?;
    if let Some(visitor) = state.signer.verify(value) {
        if let Err(error) = hits::claim(&state.db, visitor, user_id).await {
            tracing::error!(%error, user_id, "claiming a visitor's hits failed");
            return None;
        }
    }
    Some(delete_cookie(&state.config))
}
