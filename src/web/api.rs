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
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{json, Value};

/// The largest request body accepted.
pub const BODY_LIMIT: usize = 16 * 1024;

pub fn routes() -> Router<HypeState> {
    Router::new()
        .route("/api/v1/conversions", post(create_conversion))
        .route("/api/v1/referrals", get(list_referrals))
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

/// The most referrals one page of `GET /api/v1/referrals` holds.
pub const MAX_PAGE: u64 = 100;

/// `GET /api/v1/referrals` (scope `referrals:read`): oldest first, in keyset pages. Filters:
/// `status`, `referrer` (a username), `since` (RFC 3339, on creation); `limit` (1 to 100,
/// default 50) and `cursor` (the `next_cursor` of the page before).
async fn list_referrals(
    State(state): State<HypeState>,
    headers: HeaderMap,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if let Err(refused) = caller(&state, &headers, Scope::ReferralsRead).await {
        return refused;
    }
    let invalid = |m: &str| problem(StatusCode::UNPROCESSABLE_ENTITY, m);
    if let Some(unknown) = query.keys().find(|k| {
        !matches!(
            k.as_str(),
            "status" | "referrer" | "since" | "limit" | "cursor"
        )
    }) {
        return invalid(&format!(
            "Unknown parameter `{unknown}`: use status, referrer, since, limit or cursor."
        ));
    }
    let limit = match query.get("limit").map(|l| l.parse::<u64>()) {
        None => 50,
        Some(Ok(n)) if (1..=MAX_PAGE).contains(&n) => n,
        Some(_) => return invalid("`limit` is a whole number from 1 to 100."),
    };
    let cursor = match query.get("cursor").map(|c| c.parse::<i32>()) {
        None => 0,
        Some(Ok(n)) if n >= 0 => n,
        Some(_) => return invalid("`cursor` is the `next_cursor` of the page before."),
    };
    let status = match query.get("status").map(String::as_str) {
        None => None,
        Some("pending") => Some(referrals::ReferralStatus::Pending),
        Some("confirmed") => Some(referrals::ReferralStatus::Confirmed),
        Some("rejected") => Some(referrals::ReferralStatus::Rejected),
        Some(_) => return invalid("`status` is pending, confirmed or rejected."),
    };
    let since = match query
        .get("since")
        .map(|s| chrono::DateTime::parse_from_rfc3339(s))
    {
        None => None,
        Some(Ok(at)) => Some(at.with_timezone(&chrono::Utc)),
        Some(Err(_)) => return invalid("`since` is an RFC 3339 time, as in 2026-12-01T00:00:00Z."),
    };
    let page = async {
        let mut find = referrals::Entity::find()
            .filter(referrals::Column::Id.gt(cursor))
            .order_by_asc(referrals::Column::Id)
            .limit(limit + 1);
        if let Some(status) = status {
            find = find.filter(referrals::Column::Status.eq(status));
        }
        if let Some(since) = since {
            find = find.filter(referrals::Column::CreatedAt.gte(since));
        }
        if let Some(name) = query.get("referrer") {
            match crate::services::users::find_by_username(&state.db, name).await? {
                Some(user) => find = find.filter(referrals::Column::ReferrerUserId.eq(user.id)),
                None => return Ok((Vec::new(), None, Default::default())),
            }
        }
        let mut rows = find.all(&state.db).await?;
        let next = (rows.len() as u64 > limit).then(|| {
            rows.truncate(limit as usize);
            rows.last().map(|r| r.id.to_string())
        });
        let ids = rows
            .iter()
            .flat_map(|r| [Some(r.referred_user_id), r.referrer_user_id])
            .flatten()
            .collect::<Vec<_>>();
        let names: std::collections::HashMap<i32, String> = users::Entity::find()
            .filter(users::Column::Id.is_in(ids))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.username))
            .collect();
        Ok::<_, Error>((rows, next.flatten(), names))
    };
    match page.await {
        Ok((rows, next, names)) => axum::Json(json!({
            "data": rows.iter().map(|r| json!({
                "id": r.id,
                "status": r.status.as_str(),
                "flags": r.flags.split(',').filter(|f| !f.is_empty()).collect::<Vec<_>>(),
                "referrer": r.referrer_user_id.and_then(|id| names.get(&id)),
                "referred": names.get(&r.referred_user_id),
                "created_at": r.created_at,
                "decided_at": r.decided_at,
            })).collect::<Vec<_>>(),
            "next_cursor": next,
        }))
        .into_response(),
        Err(error) => from_error(error),
    }
}
