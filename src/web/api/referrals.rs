//! `/api/v1/referrals`: the list in keyset pages, one referral with its conversions, and the
//! dashboard's decisions (confirm, reject, unconfirm) taken by the key.
use super::{caller, from_error, json, page_of, problem, Problem};
use crate::entities::{conversions, referrals, users};
use crate::error::Error;
use crate::services::api_keys::Scope;
use crate::services::referrals::{Actor, Outcome};
use crate::web::HypeState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A referral: who referred whom, its status and flags.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Referral {
    pub id: i32,
    /// `pending`, `confirmed` or `rejected`.
    pub status: String,
    /// Why it looks like a self-referral (`owner_hit`, `same_ip`); confirming a flagged
    /// referral takes `"override": true`.
    pub flags: Vec<String>,
    /// The referrer's username (none when their account was deleted).
    pub referrer: Option<String>,
    pub referred: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The conversions the product reported for the referred user (on a single referral).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversions: Option<Vec<Conversion>>,
}

/// A conversion as the referral shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Conversion {
    pub id: i64,
    pub event: String,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// One page of referrals, oldest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReferralPage {
    pub data: Vec<Referral>,
    /// Pass as `cursor` for the next page; none on the last page.
    pub next_cursor: Option<String>,
}

/// What a decision did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DecisionAnswer {
    /// False when the referral already was so (nothing written).
    pub changed: bool,
    pub referral: Referral,
}

/// The body of `POST /api/v1/referrals/{id}/confirm` (it may be empty).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmBody {
    /// Confirm a flagged referral too (the audit log records the override).
    #[serde(rename = "override", default)]
    pub override_flags: bool,
}

/// The filters of `GET /api/v1/referrals`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ReferralFilter {
    /// `pending`, `confirmed` or `rejected`.
    #[param(pattern = "^(pending|confirmed|rejected)$")]
    status: Option<String>,
    /// The referrer's username.
    referrer: Option<String>,
    /// Referrals created at or after this time (RFC 3339).
    since: Option<DateTime<Utc>>,
    /// 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u64>,
    /// The `next_cursor` of the page before.
    #[param(pattern = "^[0-9]+$")]
    cursor: Option<String>,
}

async fn names(
    db: &impl ConnectionTrait,
    rows: &[referrals::Model],
) -> Result<HashMap<i32, String>, Error> {
    let ids = rows
        .iter()
        .flat_map(|r| [Some(r.referred_user_id), r.referrer_user_id])
        .flatten()
        .collect::<Vec<_>>();
    Ok(users::Entity::find()
        .filter(users::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect())
}

fn referral_of(r: &referrals::Model, names: &HashMap<i32, String>) -> Referral {
    Referral {
        id: r.id,
        status: r.status.as_str().to_owned(),
        flags: r
            .flags
            .split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect(),
        referrer: r.referrer_user_id.and_then(|id| names.get(&id).cloned()),
        referred: names.get(&r.referred_user_id).cloned(),
        created_at: r.created_at,
        decided_at: r.decided_at,
        conversions: None,
    }
}

/// The referral `id` with its conversions; `None` when there is none.
async fn load(db: &impl ConnectionTrait, id: i32) -> Result<Option<Referral>, Error> {
    let Some(row) = referrals::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let names = names(db, std::slice::from_ref(&row)).await?;
    let conversions = conversions::Entity::find()
        .filter(conversions::Column::ReferralId.eq(id))
        .order_by_asc(conversions::Column::Id)
        .all(db)
        .await?;
    let mut referral = referral_of(&row, &names);
    referral.conversions = Some(
        conversions
            .into_iter()
            .map(|c| Conversion {
                id: c.id,
                event: c.event,
                amount: c.amount,
                currency: c.currency,
                occurred_at: c.occurred_at,
            })
            .collect(),
    );
    Ok(Some(referral))
}

fn no_such_referral() -> Response {
    problem(StatusCode::NOT_FOUND, "No such referral.")
}

/// Get a referral
///
/// The referral and the conversions reported for its referred user.
#[utoipa::path(
    get,
    path = "/api/v1/referrals/{id}",
    tag = "referrals",
    params(("id" = i32, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "The referral", body = Referral),
        (status = 401, description = "No key, or an unknown or revoked one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks `referrals:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
pub(super) async fn show(
    State(state): State<HypeState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = caller(&state, &headers, Scope::ReferralsRead).await {
        return refused;
    }
    let Ok(id) = id.parse::<i32>() else {
        return no_such_referral();
    };
    match load(&state.db, id).await {
        Ok(Some(referral)) => json(StatusCode::OK, &referral),
        Ok(None) => no_such_referral(),
        Err(error) => from_error(error),
    }
}

/// List referrals
///
/// Oldest first, in keyset pages: pass the `next_cursor` of a page as `cursor` for the next.
#[utoipa::path(
    get,
    path = "/api/v1/referrals",
    tag = "referrals",
    params(ReferralFilter),
    responses(
        (status = 200, description = "A page of referrals", body = ReferralPage),
        (status = 401, description = "No key, or an unknown or revoked one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks `referrals:read`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown or malformed parameter", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
pub(super) async fn list(
    State(state): State<HypeState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Err(refused) = caller(&state, &headers, Scope::ReferralsRead).await {
        return refused;
    }
    let invalid = |m: &str| problem(StatusCode::UNPROCESSABLE_ENTITY, m);
    let (limit, cursor) = match page_of(&query, &["status", "referrer", "since"]) {
        Ok(page) => page,
        Err(refused) => return refused.into_response(),
    };
    let status = match query.get("status").map(String::as_str) {
        None => None,
        Some("pending") => Some(referrals::ReferralStatus::Pending),
        Some("confirmed") => Some(referrals::ReferralStatus::Confirmed),
        Some("rejected") => Some(referrals::ReferralStatus::Rejected),
        Some(_) => return invalid("`status` is pending, confirmed or rejected."),
    };
    let since = match query.get("since").map(|s| DateTime::parse_from_rfc3339(s)) {
        None => None,
        Some(Ok(at)) => Some(at.with_timezone(&Utc)),
        Some(Err(_)) => return invalid("`since` is an RFC 3339 time, as in 2026-12-01T00:00:00Z."),
    };
    let page = async {
        let after = i32::try_from(cursor.unwrap_or(0)).unwrap_or(i32::MAX);
        let mut find = referrals::Entity::find()
            .filter(referrals::Column::Id.gt(after))
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
                None => {
                    return Ok(ReferralPage {
                        data: Vec::new(),
                        next_cursor: None,
                    })
                }
            }
        }
        let mut rows = find.all(&state.db).await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let names = names(&state.db, &rows).await?;
        Ok::<_, Error>(ReferralPage {
            next_cursor: more
                .then(|| rows.last().map(|r| r.id.to_string()))
                .flatten(),
            data: rows.iter().map(|r| referral_of(r, &names)).collect(),
        })
    };
    match page.await {
        Ok(page) => json(StatusCode::OK, &page),
        Err(error) => from_error(error),
    }
}

/// A decision through the key: `decide` runs it for `actor`, then the referral is answered.
async fn decided<F, Fut>(state: HypeState, headers: HeaderMap, id: String, decide: F) -> Response
where
    F: FnOnce(HypeState, i32, Actor) -> Fut,
    Fut: std::future::Future<Output = Result<Outcome, Error>>,
{
    let key = match caller(&state, &headers, Scope::ReferralsWrite).await {
        Ok(key) => key,
        Err(refused) => return refused,
    };
    let Ok(id) = id.parse::<i32>() else {
        return no_such_referral();
    };
    let outcome = match decide(state.clone(), id, Actor::api_key(&key.name)).await {
        Ok(outcome) => outcome,
        Err(error) => return from_error(error),
    };
    match load(&state.db, id).await {
        Ok(Some(referral)) => json(
            StatusCode::OK,
            &DecisionAnswer {
                changed: outcome == Outcome::Changed,
                referral,
            },
        ),
        Ok(None) => no_such_referral(),
        Err(error) => from_error(error),
    }
}

/// Confirm a referral
///
/// Confirms it and credits the referrer, exactly once: confirming a confirmed referral
/// changes nothing (`changed: false`). A flagged referral needs `{"override": true}`.
#[utoipa::path(
    post,
    path = "/api/v1/referrals/{id}/confirm",
    tag = "referrals",
    params(("id" = i32, Path, description = "The referral's id")),
    request_body(content = Option<ConfirmBody>, description = "Optional: `{\"override\": true}` for a flagged referral"),
    responses(
        (status = 200, description = "Confirmed, or already so", body = DecisionAnswer),
        (status = 401, description = "No key, or an unknown or revoked one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks `referrals:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Flagged (send the override), or without a referrer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A body that is not `{\"override\": bool}`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
pub(super) async fn confirm(
    State(state): State<HypeState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    // Read after the key is checked (in `decided`): a caller without one gets 401, not 422.
    decided(state, headers, id, |state, id, actor| async move {
        let body: ConfirmBody = serde_json::from_slice(&body).or_else(|e| {
            match body.iter().all(u8::is_ascii_whitespace) {
                true => Ok(ConfirmBody::default()),
                false => Err(Error::invalid(format!(
                    "The body is `{{\"override\": true}}`, or empty: {e}."
                ))),
            }
        })?;
        let reward = crate::services::referrals::Rewards::of(&state.config);
        crate::services::referrals::confirm(&state.db, id, actor, body.override_flags, reward).await
    })
    .await
}

/// Reject a referral
///
/// Closes it with no credit; a confirmed referral's credit is reversed.
#[utoipa::path(
    post,
    path = "/api/v1/referrals/{id}/reject",
    tag = "referrals",
    params(("id" = i32, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "Rejected, or already so", body = DecisionAnswer),
        (status = 401, description = "No key, or an unknown or revoked one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks `referrals:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
pub(super) async fn reject(
    State(state): State<HypeState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    decided(state, headers, id, |state, id, actor| async move {
        crate::services::referrals::reject(&state.db, id, actor).await
    })
    .await
}

/// Unconfirm a referral
///
/// Takes a confirmation back: pending again, the credit reversed. A referral that is not
/// confirmed is left as it is (`changed: false`).
#[utoipa::path(
    post,
    path = "/api/v1/referrals/{id}/unconfirm",
    tag = "referrals",
    params(("id" = i32, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "Pending again, or was not confirmed", body = DecisionAnswer),
        (status = 401, description = "No key, or an unknown or revoked one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks `referrals:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such referral", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
pub(super) async fn unconfirm(
    State(state): State<HypeState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    decided(state, headers, id, |state, id, actor| async move {
        crate::services::referrals::unconfirm(&state.db, id, actor).await
    })
    .await
}
