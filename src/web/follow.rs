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
/// nothing recorded. A bot (`crate::bots`): redirect, a hit marked as a bot's and nothing else. Otherwise the hit is committed before the 302 leaves. A database failure
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
    let next_target = next_raw
        .as_deref()
        .and_then(|raw| Target::of_next(&state.config, raw));

    let link = match state.links.enabled_link(&state.db, identifier).await {
        Ok(Some(link)) => link,
        Ok(None) => {
            let target = next_target.unwrap_or_else(|| Target::fallback(&state.config));
            return redirect(&target.location(None), None);
        }
        Err(error) => {
            state.hits.health().observe(&error);
            tracing::error!(%error, "could not look up a referral link");
            return unavailable();
        }
    };
    let target = next_target
        .or_else(|| {
            let destination = link.destination.as_deref()?;
            state
                .config
                .allowed_external(destination)
                .map(Target::External)
        })
        .unwrap_or_else(|| Target::fallback(&state.config));
    if request.method == Method::HEAD {
        return redirect(&target.location(None), None);
    }

    let user_agent = header_bytes(headers, header::USER_AGENT);
    // A bot's hit belongs to nobody (no visitor, no user, no cookie, no click for the product),
    // so it can never be claimed or attributed.
    let is_bot = crate::bots::is_bot(&user_agent);
    let user_id = user_id.filter(|_| !is_bot);
    let (visitor_id, new_cookie) = if is_bot || user_id.is_some() {
        (None, None)
    } else {
        match state.signer.visitor(headers) {
            Some(visitor) => (Some(visitor), None),
            None => {
                let visitor = Uuid::now_v7();
                let cookie = set_cookie(&state.config, &state.signer.sign(visitor));
                (Some(visitor), Some(cookie))
            }
        }
    };
    let hit = NewHit {
        link_id: link.id,
        visitor_id,
        user_id,
        ip: ip.map(|ip| ip.to_string()),
        user_agent,
        referer: header_bytes(headers, header::REFERER),
        next: next_raw.unwrap_or_default().into_bytes(),
        is_bot,
    };
    match state.hits.record(hit).await {
        Ok(hit_id) => redirect(&target.location((!is_bot).then_some(hit_id)), new_cookie),
        Err(WriteError::Overloaded) => {
            tracing::warn!("hit queue full: answering 503");
            unavailable()
        }
        Err(_) => unavailable(),
    }
}

/// Where a visit goes: a same-site path, or a URL on one of the product's allowed hosts.
enum Target {
    Local(String),
    External(url::Url),
}

impl Target {
    /// A safe `next`: a same-site path, or an absolute URL on an allowed host.
    fn of_next(config: &crate::HypeConfig, raw: &str) -> Option<Self> {
        safe_next(raw)
            .map(Self::Local)
            .or_else(|| config.allowed_external(raw).map(Self::External))
    }

    fn fallback(config: &crate::HypeConfig) -> Self {
        Self::Local(config.default_redirect.clone())
    }

    /// The Location: an external URL carries `hype_click=<hit id>` when a hit was recorded,
    /// so the product can name the click when it reports a conversion.
    fn location(self, hit_id: Option<Uuid>) -> String {
        match (self, hit_id) {
            (Self::Local(path), _) => path,
            (Self::External(url), None) => url.into(),
            (Self::External(mut url), Some(id)) => {
                let kept: Vec<(String, String)> = url
                    .query_pairs()
                    .filter(|(k, _)| k != CLICK_PARAM)
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                url.query_pairs_mut()
                    .clear()
                    .extend_pairs(kept)
                    .append_pair(CLICK_PARAM, &id.to_string());
                url.into()
            }
        }
    }
}

/// The query parameter that carries the hit's id to the product.
pub const CLICK_PARAM: &str = "hype_click";

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
