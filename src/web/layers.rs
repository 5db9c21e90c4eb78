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
        Some(user) => claim_from_headers(&state, &auth, user.id, request.headers()).await,
        None => None,
    };
    let mut response = next.run(request).await;
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// Where the session keeps the visitor id its browser carried when it was signed in: logging
/// out gives the browser that id back ([`browser_visitor_after_logout`]).
const BROWSER_VISITOR: &str = "hype.browser_visitor";

/// Claims the hits of the visitor named by the request's cookie for `user_id`, and remembers
/// that visitor id in the session. Returns the `Set-Cookie` that deletes the cookie, or `None`
/// when there was no cookie — or when the claim failed, so the cookie stays for a later
/// request to retry.
pub async fn claim_from_headers(
    state: &HypeState,
    auth: &AuthSession,
    user_id: i32,
    headers: &HeaderMap,
) -> Option<HeaderValue> {
    let cookie = read_cookie(headers, &state.config.cookie_name)?;
    if let Some(visitor) = state.signer.verify(cookie.value_trimmed()) {
        if let Err(error) = hits::claim(&state.db, visitor, user_id).await {
            tracing::error!(%error, user_id, "claiming a visitor's hits failed");
            return None;
        }
        if let Err(error) = auth.session.insert(BROWSER_VISITOR, visitor).await {
            tracing::warn!(%error, "remembering the browser's visitor id failed");
        }
    }
    Some(delete_cookie(&state.config))
}

/// Read before logging out: the `Set-Cookie` that gives the browser back the visitor id it
/// carried into this session, so that the same browser is the same visitor before and after a
/// sign-in. A referral whose winning hit came from a visitor id the link's owner signed in
/// with is flagged `owner_hit` (`services::referrals`).
pub async fn browser_visitor_after_logout(
    state: &HypeState,
    auth: &AuthSession,
) -> Option<HeaderValue> {
    let visitor = auth
        .session
        .get::<uuid::Uuid>(BROWSER_VISITOR)
        .await
        .ok()
        .flatten()?;
    Some(super::visitor::set_cookie(
        &state.config,
        &state.signer.sign(visitor),
    ))
}
