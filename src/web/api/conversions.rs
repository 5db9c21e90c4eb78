//! `POST /api/v1/conversions`.
use super::{caller, from_error, json, problem, Problem};
use crate::services::api_keys::Scope;
use crate::services::conversions::{record, ConversionAnswer, NewConversion, Recorded};
use crate::web::HypeState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Record a conversion
///
/// Records what the customer did in the product, exactly once per `Idempotency-Key`: a retry
/// with the same body gets the first answer again (200); another body under the same key is
/// refused (422). The customer's referral records it; with `HYPE_AUTO_CONFIRM=conversion` the
/// first conversion confirms a pending, unflagged referral.
#[utoipa::path(
    post,
    path = "/api/v1/conversions",
    tag = "conversions",
    request_body = NewConversion,
    params(
        ("Idempotency-Key" = String, Header,
         description = "The same value for every retry of one conversion (a UUID is a good choice).")
    ),
    responses(
        (status = 201, description = "Recorded", body = ConversionAnswer),
        (status = 200, description = "A retry: the first answer again", body = ConversionAnswer),
        (status = 400, description = "No Idempotency-Key, or a body that is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No key, or an unknown or revoked one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks `conversions:write`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown customer, a malformed field, or a reused Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests for this key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
pub(super) async fn create(
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
    let body: Value = match super::body_of(&body, None) {
        Ok(body) => body,
        Err(refused) => return refused.into_response(),
    };
    match record(&state.db, &state.config, &key, idempotency_key, &body).await {
        Ok(Recorded::Created(answer)) => json(StatusCode::CREATED, &answer),
        Ok(Recorded::Replayed(answer)) => json(StatusCode::OK, &answer),
        Err(error) => from_error(error),
    }
}
