//! Refuses cross-site state-changing requests (403) by `Sec-Fetch-Site` and `Origin`.
use super::HypeState;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn reject_cross_site(
    State(state): State<HypeState>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) || request.uri().path() == "/unsubscribe"
    {
        // An unsubscribe link carries its own authority (see `unsubscribe`).
        return next.run(request).await;
    }
    if is_cross_site(&state, request.headers()) {
        return (
            StatusCode::FORBIDDEN,
            "Cross-site requests can't change anything here.",
        )
            .into_response();
    }
    next.run(request).await
}

fn is_cross_site(state: &HypeState, headers: &header::HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        if site.as_bytes().eq_ignore_ascii_case(b"cross-site") {
            return true;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Some(origin) = origin.to_str().ok().and_then(|o| url::Url::parse(o).ok()) else {
        // `Origin: null` (sandboxed frames, privacy redirects) or garbage.
        return true;
    };
    let origin_authority = authority(&origin);
    if origin_authority == authority(&state.config.public_url) {
        return false;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    origin_authority != host.to_ascii_lowercase()
}

fn authority(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}
