//! `GET /ref/{identifier}`: record the visit, then redirect to a safe `next`.
use super::auth::AuthSession;
use super::client_ip::client_ip;
use super::safe_redirect::safe_next;
use super::visitor::set_cookie;
use super::HypeState;
use crate::services::hits::NewHit;
use crate::writer::WriteError;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use uuid::Uuid;

/// Follows a referral link.
///
/// Unknown or disabled link: redirect, no hit, the visitor cookie untouched. `HEAD`: redirect,
/// nothing recorded. Otherwise the hit is committed before the 302 leaves. A database failure
/// answers 503: a redirect would claim a hit that was not stored.
pub async fn follow_link(
    State(state): State<HypeState>,
    auth: AuthSession,
    Path(identifier): Path<String>,
    request: Request,
) -> Response {
    let (parts, _body) = request.into_parts();
    follow(
        &state,
        auth.user.as_ref().map(|u| u.id),
        &identifier,
        &parts,
    )
    .await
}

/// The visit itself, for `user_id` or (when `None`) an anonymous visitor; usable without the
/// session layers, which an anonymous visitor with no session cookie does not need.
pub async fn follow(
    state: &HypeState,
    user_id: Option<i32>,
    identifier: &str,
    request: &Parts,
) -> Response {
    let headers = &request.headers;
    let peer = request
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let ip = client_ip(peer, headers, &state.config);
    if let (Some(limiter), Some(ip)) = (&state.limiter, ip) {
        if !limiter.allow(ip) {
            return too_many();
        }
    }
    if state.database_down() {
        return unavailable();
    }
    let next_raw = next_param(request.uri.query());
    let target = next_raw
        .as_deref()
        .and_then(safe_next)
        .unwrap_or_else(|| state.config.default_redirect.clone());

    let link_id = match state.links.enabled_link_id(&state.db, identifier).await {
        Ok(Some(id)) => id,
        Ok(None) => return redirect(&target, None),
        Err(error) => {
            state.hits.health().observe(&error);
            tracing::error!(%error, "could not look up a referral link");
            return unavailable();
        }
    };
    if request.method == Method::HEAD {
        return redirect(&target, None);
    }

    let (visitor_id, new_cookie) = match user_id {
        Some(_) => (None, None),
        None => match state.signer.visitor(headers) {
            Some(visitor) => (Some(visitor), None),
            None => {
                let visitor = Uuid::now_v7();
                let cookie = set_cookie(&state.config, &state.signer.sign(visitor));
                (Some(visitor), Some(cookie))
            }
        },
    };
    let hit = NewHit {
        link_id,
        visitor_id,
        user_id,
        ip: ip.map(|ip| ip.to_string()),
        user_agent: header_bytes(headers, header::USER_AGENT),
        referer: header_bytes(headers, header::REFERER),
        next: next_raw.unwrap_or_default().into_bytes(),
    };
    match state.hits.record(hit).await {
        Ok(_) => redirect(&target, new_cookie),
        Err(WriteError::Overloaded) => {
            tracing::warn!("hit queue full: answering 503");
            unavailable()
        }
        Err(_) => unavailable(),
    }
}

/// The first `next` query parameter, decoded.
fn next_param(query: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned())
}

fn header_bytes(headers: &axum::http::HeaderMap, name: header::HeaderName) -> Vec<u8> {
    headers
        .get(name)
        .map(|v| v.as_bytes().to_vec())
        .unwrap_or_default()
}

/// A 302 that no cache keeps (a cached redirect would skip the hit).
pub(crate) fn redirect(target: &str, cookie: Option<HeaderValue>) -> Response {
    let location = HeaderValue::from_str(target).unwrap_or_else(|_| HeaderValue::from_static("/"));
    let mut response = (
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// 503 with `Retry-After`: the hit was not stored, and the visitor may simply try again.
pub fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, HeaderValue::from_static("5"))],
        "The referral service is temporarily unavailable. Please try again in a moment.",
    )
        .into_response()
}

fn too_many() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, HeaderValue::from_static("1"))],
        "Too many visits from your address. Please try again in a moment.",
    )
        .into_response()
}
