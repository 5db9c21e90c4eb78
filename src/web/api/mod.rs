//! `/api/v1`: JSON for the product's servers, authenticated by an API key
//! (`Authorization: Bearer hype_…`, see `services::api_keys`). A missing or unknown key is 401,
//! a missing scope 403, a key past its allowance (`HYPE_API_REQUESTS_PER_KEY`) 429; every
//! error is `application/problem+json` (RFC 9457). Bodies are limited to [`BODY_LIMIT`]. CORS
//! headers are sent only to the origins of `HYPE_API_CORS_ORIGINS`. The OpenAPI document is
//! generated from the handlers below (`openapi`).
mod conversions;
pub mod openapi;
mod referrals;
mod users;

use super::HypeState;
use crate::entities::api_keys;
use crate::error::Error;
use crate::services::api_keys::{authenticate, scopes_of, Scope};
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use serde::Serialize;
use std::collections::HashMap;
use std::time::Instant;

/// The largest request body accepted.
pub const BODY_LIMIT: usize = 16 * 1024;
/// The most items one page of a list holds.
pub const MAX_PAGE: u64 = 100;

pub fn routes(state: &HypeState) -> Router<HypeState> {
    let router = Router::new()
        .route("/api/v1/conversions", post(conversions::create))
        .route("/api/v1/referrals", get(referrals::list))
        .route("/api/v1/referrals/{id}", get(referrals::show))
        .route("/api/v1/referrals/{id}/confirm", post(referrals::confirm))
        .route("/api/v1/referrals/{id}/reject", post(referrals::reject))
        .route(
            "/api/v1/referrals/{id}/unconfirm",
            post(referrals::unconfirm),
        )
        .route("/api/v1/users/{external_id}", put(users::upsert))
        .route(
            "/api/v1/users/{external_id}/links",
            post(users::create_link),
        )
        .route("/api/v1/users/{external_id}/balance", get(users::balance))
        .route("/api/v1/links/{identifier}", get(users::link))
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/docs", get(openapi::page))
        .route("/api/v1/{*rest}", axum::routing::any(not_found))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    match cors(&state.config.api_cors_origins) {
        Some(layer) => router.layer(layer),
        None => router,
    }
}

/// CORS for the configured origins only; `None` (no headers at all) when there are none.
fn cors(origins: &[String]) -> Option<tower_http::cors::CorsLayer> {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    (!origins.is_empty()).then(|| {
        tower_http::cors::CorsLayer::new()
            .allow_origin(origins)
            .allow_methods([Method::GET, Method::POST, Method::PUT])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::HeaderName::from_static("idempotency-key"),
            ])
            .max_age(std::time::Duration::from_secs(600))
    })
}

async fn not_found() -> Response {
    problem(StatusCode::NOT_FOUND, "No such API endpoint.")
}

/// An RFC 9457 problem.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What went wrong and what to do about it.
    pub detail: String,
}

/// An RFC 9457 problem response.
pub fn problem(status: StatusCode, detail: &str) -> Response {
    let body = Problem {
        kind: "about:blank".into(),
        title: status.canonical_reason().unwrap_or("Error").into(),
        status: status.as_u16(),
        detail: detail.into(),
    };
    let body = serde_json::to_string(&body).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body,
    )
        .into_response()
}

fn from_error(error: Error) -> Response {
    match error {
        Error::Invalid(m) => problem(StatusCode::UNPROCESSABLE_ENTITY, &m),
        Error::NotFound(m) => problem(StatusCode::NOT_FOUND, &m),
        Error::Conflict(m) => problem(StatusCode::CONFLICT, &m),
        Error::BadCredentials => problem(StatusCode::UNAUTHORIZED, "Wrong credentials."),
        Error::Throttled { message, .. } => problem(StatusCode::TOO_MANY_REQUESTS, &message),
        Error::Busy { .. } => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "The server is busy. Retry in a moment.",
        ),
        error => {
            tracing::error!(%error, "an API request failed");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something failed on our side; it is logged. Retry in a moment (with the same \
                 Idempotency-Key for a conversion).",
            )
        }
    }
}

/// A JSON answer with `status`.
fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    (status, axum::Json(body)).into_response()
}

/// The live key the request carries, if it may do `scope` and has requests left.
async fn caller(
    state: &HypeState,
    headers: &HeaderMap,
    scope: Scope,
) -> Result<api_keys::Model, Response> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(presented) = presented else {
        return Err(problem(
            StatusCode::UNAUTHORIZED,
            "Send an API key as `Authorization: Bearer hype_…` (admins create keys at /admin/api-keys).",
        ));
    };
    let key = authenticate(&state.db, presented)
        .await
        .map_err(from_error)?
        .ok_or_else(|| {
            problem(
                StatusCode::UNAUTHORIZED,
                "This API key is unknown or revoked.",
            )
        })?;
    if let Some(throttle) = &state.api_throttle {
        let name = key.id.to_string();
        let now = Instant::now();
        if let Some(wait) = throttle.wait(&name, now) {
            let mut refused = problem(
                StatusCode::TOO_MANY_REQUESTS,
                "This API key has made too many requests: retry after the number of seconds in \
                 Retry-After.",
            );
            let seconds = wait.as_secs().max(1);
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                refused.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return Err(refused);
        }
        throttle.record(&name, now);
    }
    if !scopes_of(&key).contains(&scope) {
        return Err(problem(
            StatusCode::FORBIDDEN,
            &format!(
                "This API key lacks the scope `{}` (it has: {}).",
                scope.as_str(),
                key.scopes
            ),
        ));
    }
    Ok(key)
}

/// A request refused before any work: its status and what to tell the developer.
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        problem(self.0, &self.1)
    }
}

/// A keyset page's `limit` and `cursor` (absent: 50 and the start), after checking that the
/// query names only `allowed` parameters.
fn page_of(
    query: &HashMap<String, String>,
    allowed: &[&str],
) -> Result<(u64, Option<i64>), Refusal> {
    let invalid = |m: &str| Refusal(StatusCode::UNPROCESSABLE_ENTITY, m.to_owned());
    if let Some(unknown) = query
        .keys()
        .find(|k| !allowed.contains(&k.as_str()) && !matches!(k.as_str(), "limit" | "cursor"))
    {
        let mut known: Vec<&str> = allowed.to_vec();
        known.extend(["limit", "cursor"]);
        return Err(invalid(&format!(
            "Unknown parameter `{unknown}`: use {}.",
            known.join(", ")
        )));
    }
    let limit = match query.get("limit").map(|l| l.parse::<u64>()) {
        None => 50,
        Some(Ok(n)) if (1..=MAX_PAGE).contains(&n) => n,
        Some(_) => return Err(invalid("`limit` is a whole number from 1 to 100.")),
    };
    let cursor = match query.get("cursor").map(|c| c.parse::<i64>()) {
        None => None,
        Some(Ok(n)) if n >= 0 => Some(n),
        Some(_) => return Err(invalid("`cursor` is the `next_cursor` of the page before.")),
    };
    Ok((limit, cursor))
}

/// A JSON request body, or a 400 that says what is wrong with it. An empty body is `T`'s
/// default where `T` has one.
fn body_of<T: serde::de::DeserializeOwned>(body: &[u8], empty: Option<T>) -> Result<T, Refusal> {
    if body.iter().all(u8::is_ascii_whitespace) {
        if let Some(empty) = empty {
            return Ok(empty);
        }
    }
    serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => Refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("The body is not what this endpoint takes: {e}."),
        ),
        _ => Refusal(
            StatusCode::BAD_REQUEST,
            format!("The body is not JSON: {e}."),
        ),
    })
}
