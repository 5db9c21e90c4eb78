//! `/api/v1`: JSON for the product's servers, authenticated by an API key
//! (`Authorization: Bearer hype_…`, see `services::api_keys`). A missing or unknown key is 401,
//! a missing scope 403; every error is `application/problem+json` (RFC 9457). Bodies are
//! limited to [`BODY_LIMIT`]. No CORS headers are sent: browsers of other sites cannot call it.
use super::HypeState;
use crate::entities::{api_keys, conversions, referrals, users};
use crate::error::Error;
use crate::services::api_keys::{authenticate, scopes_of, Scope};
use crate::services::conversions::{record, Recorded};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};

/// The largest request body accepted.
pub const BODY_LIMIT: usize = 16 * 1024;

pub fn routes() -> Router<HypeState> {
    Router::new()
        .route("/api/v1/conversions", post(create_conversion))
        .route("/api/v1/referrals/{id}", get(referral))
        .route("/api/v1/{*rest}", axum::routing::any(not_found))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

async fn not_found() -> Response {
    problem(StatusCode::NOT_FOUND, "No such API endpoint.")
}

/// An RFC 9457 problem: `{"type", "title", "status", "detail"}`.
pub fn problem(status: StatusCode, detail: &str) -> Response {
    let body = json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
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
                "Something failed on our side; it is logged. Retry with the same Idempotency-Key.",
            )
        }
    }
}

/// The live key the request carries, if it may do `scope`.
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

/// `POST /api/v1/conversions` (scope `conversions:write`).
async fn create_conversion(
    State(state): State<HypeState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = match caller(&state, &headers, Scope::ConversionsWrite).await {
        Ok(key) => key,
        Err(refused) => return refused,
    };
    let Some(idempotency_key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "The Idempotency-Key header is required: the same value for every retry of one \
             conversion (a UUID is a good choice).",
        );
    };
    let body: Value = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => {
            return problem(
                StatusCode::BAD_REQUEST,
                &format!("The body is not JSON: {e}."),
            )
        }
    };
    let config = &state.config;
    match record(
        &state.db,
        &key,
        idempotency_key,
        &body,
        config.auto_confirm,
        config.reward_points,
    )
    .await
    {
        Ok(Recorded::Created(answer)) => (StatusCode::CREATED, axum::Json(answer)).into_response(),
        Ok(Recorded::Replayed(answer)) => (StatusCode::OK, axum::Json(answer)).into_response(),
        Err(error) => from_error(error),
    }
}

/// `GET /api/v1/referrals/{id}` (scope `referrals:read`): the referral and its conversions.
async fn referral(
    State(state): State<HypeState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = caller(&state, &headers, Scope::ReferralsRead).await {
        return refused;
    }
    let Ok(id) = id.parse::<i32>() else {
        return problem(StatusCode::NOT_FOUND, "No such referral.");
    };
    let found = async {
        let Some(referral) = referrals::Entity::find_by_id(id).one(&state.db).await? else {
            return Ok(None);
        };
        let ids = [Some(referral.referred_user_id), referral.referrer_user_id];
        let names: std::collections::HashMap<i32, String> = users::Entity::find()
            .filter(users::Column::Id.is_in(ids.into_iter().flatten()))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.username))
            .collect();
        let conversions = conversions::Entity::find()
            .filter(conversions::Column::ReferralId.eq(id))
            .order_by_asc(conversions::Column::Id)
            .all(&state.db)
            .await?;
        Ok::<_, Error>(Some(json!({
            "id": referral.id,
            "status": referral.status.as_str(),
            "flags": referral.flags.split(',').filter(|f| !f.is_empty()).collect::<Vec<_>>(),
            "referrer": referral.referrer_user_id.and_then(|id| names.get(&id)),
            "referred": names.get(&referral.referred_user_id),
            "created_at": referral.created_at,
            "decided_at": referral.decided_at,
            "conversions": conversions.iter().map(|c| json!({
                "id": c.id,
                "event": c.event,
                "amount": c.amount,
                "currency": c.currency,
                "occurred_at": c.occurred_at,
            })).collect::<Vec<_>>(),
        })))
    };
    match found.await {
        Ok(Some(body)) => axum::Json(body).into_response(),
        Ok(None) => problem(StatusCode::NOT_FOUND, "No such referral."),
        Err(error) => from_error(error),
    }
}
