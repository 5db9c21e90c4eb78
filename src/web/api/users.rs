//! `/api/v1/users/{external_id}` (referrers the product knows by its own id: create or update,
//! give a link, read the balance) and `/api/v1/links/{identifier}`.
use super::{body_of, caller, from_error, json, page_of, problem, Problem};
use crate::entities::{referral_links, reward_ledger, users};
use crate::error::Error;
use crate::services::api_keys::Scope;
use crate::services::external_users::{self, Upserted};
use crate::services::links::{self, NewLink};
use crate::types::Identifier;
use crate::web::HypeState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A user the product knows by its own id.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiUser {
    pub external_id: String,
    pub username: String,
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The body of `PUT /api/v1/users/{external_id}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    /// 3 to 32 letters, digits, '.', '_' or '-'; unique on hype.
    #[schema(example = "alice", pattern = r"^[A-Za-z0-9._-]{3,32}$")]
    pub username: String,
    /// Where hype's mails to them go (confirmed by them before any notice is sent).
    #[schema(format = "email", max_length = 254)]
    pub email: Option<String>,
}

/// The body of `POST /api/v1/users/{external_id}/links` (it may be empty).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// A vanity identifier; none (or blank) picks a random one.
    #[schema(pattern = r"^[A-Za-z0-9_-]{0,50}$")]
    pub identifier: Option<String>,
    #[schema(max_length = 100)]
    pub label: Option<String>,
    /// Where `/ref` sends visitors: a URL on one of `HYPE_ALLOWED_REDIRECT_HOSTS`.
    #[schema(format = "uri", max_length = 2000)]
    pub destination: Option<String>,
}

/// A referral link and what it did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiLink {
    pub identifier: String,
    /// The URL to share.
    pub url: String,
    /// The owner's username.
    pub owner: Option<String>,
    /// The owner's external id, when the product created them.
    pub owner_external_id: Option<String>,
    pub label: String,
    pub destination: Option<String>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub counts: LinkCounts,
}

/// What a link did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LinkCounts {
    pub hits: i64,
    /// Distinct people: a signed-in user once, an anonymous browser once.
    pub visitors: i64,
    /// Users whose referral this link won.
    pub signups: i64,
    pub confirmed: i64,
}

/// A user's points and their ledger, newest first, in keyset pages.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Balance {
    pub external_id: String,
    pub username: String,
    /// The sum of every entry.
    pub balance: i64,
    pub ledger: Vec<LedgerEntry>,
    /// Pass as `cursor` for older entries; none on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LedgerEntry {
    pub id: i32,
    /// Points: positive for a credit, negative for a reversal.
    pub amount: i64,
    pub reason: String,
    pub referral_id: Option<i32>,
    pub created_at: DateTime<Utc>,
}

/// The paging of the ledger.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct LedgerPage {
    /// 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u64>,
    /// The `next_cursor` of the page before.
    #[param(pattern = "^[0-9]+$")]
    cursor: Option<String>,
}

fn api_user(user: users::Model) -> ApiUser {
    ApiUser {
        external_id: user.external_id.unwrap_or_default(),
        username: user.username,
        email: user.email,
        created_at: user.created_at,
    }
}

fn no_such_user() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "No user has this external id: create them with PUT /api/v1/users/{external_id}.",
    )
}

/// Create or update a referrer
///
/// Creates the user the product calls `external_id` (201), or updates their username and
/// address (200). They have no password: they can't log in until they set one through
/// "forgot password".
#[utoipa::path(
    put,
    path = "/api/v1/users/{external_id}",
    tag = "users",
    params(("external_id" = String, Path, description = "The product's id for the user: 1 to 128 visible ASCII characters, no '/'")),
    request_body = UserBody,
    responses(
        (status = 201, description = "Created", body = ApiUser),
        (status = 200, description = "Updated", body = ApiUser),
        (status = 401, description = "No key, or an unknown or revoked one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks `users:write`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another user has the username or the address", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A malformed id, username or address", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
pub(super) async fn upsert(
    State(state): State<HypeState>,
    headers: HeaderMap,
    Path(external_id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(refused) = caller(&state, &headers, Scope::UsersWrite).await {
        return refused;
    }
    let body: UserBody = match body_of(&body, None) {
        Ok(body) => body,
        Err(refused) => return refused.into_response(),
    };
    let upserted = external_users::upsert(
        &state.db,
        &external_id,
        &body.username,
        body.email.as_deref(),
    )
    .await;
    match upserted {
        Ok((user, Upserted::Created)) => json(StatusCode::CREATED, &api_user(user)),
        Ok((user, Upserted::Updated)) => json(StatusCode::OK, &api_user(user)),
        Err(error) => from_error(error),
    }
}

/// Give a referrer a link
#[utoipa::path(
    post,
    path = "/api/v1/users/{external_id}/links",
    tag = "links",
    params(("external_id" = String, Path, description = "The product's id for the user")),
    request_body(content = Option<LinkBody>, description = "Optional: identifier, label, destination"),
    responses(
        (status = 201, description = "Created", body = ApiLink),
        (status = 401, description = "No key, or an unknown or revoked one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks `links:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No user has this external id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The identifier is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A malformed identifier, label or destination", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
pub(super) async fn create_link(
    State(state): State<HypeState>,
    headers: HeaderMap,
    Path(external_id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(refused) = caller(&state, &headers, Scope::LinksWrite).await {
        return refused;
    }
    let body: LinkBody = match body_of(&body, Some(LinkBody::default())) {
        Ok(body) => body,
        Err(refused) => return refused.into_response(),
    };
    let created = async {
        let identifier = Identifier::parse_optional(body.identifier.as_deref())?;
        let destination = match body.destination.as_deref() {
            Some(raw) => links::destination(&state.config, raw)?,
            None => None,
        };
        let Some(owner) = external_users::find(&state.db, &external_id).await? else {
            return Ok(None);
        };
        let new = NewLink {
            identifier,
            label: body.label.clone().unwrap_or_default(),
            disabled: false,
            destination,
        };
        let link = links::create(&state.db, owner.id, new).await?;
        // This instance may remember the identifier as unknown.
        state.links.forget_all();
        Ok::<_, Error>(Some(api_link(
            &state,
            link,
            Some(owner),
            Default::default(),
        )))
    };
    match created.await {
        Ok(Some(link)) => json(StatusCode::CREATED, &link),
        Ok(None) => no_such_user(),
        Err(error) => from_error(error),
    }
}

fn api_link(
    state: &HypeState,
    link: referral_links::Model,
    owner: Option<users::Model>,
    counts: crate::services::link_counts::LinkStats,
) -> ApiLink {
    ApiLink {
        url: state.config.link_url(&link.identifier),
        identifier: link.identifier,
        owner: owner.as_ref().map(|o| o.username.clone()),
        owner_external_id: owner.and_then(|o| o.external_id),
        label: link.label,
        destination: link.destination,
        disabled: link.disabled,
        created_at: link.created_at,
        counts: LinkCounts {
            hits: counts.hits,
            visitors: counts.visitors,
            signups: counts.signups,
            confirmed: counts.confirmed,
        },
    }
}

/// Get a link with its counts
#[utoipa::path(
    get,
    path = "/api/v1/links/{identifier}",
    tag = "links",
    params(("identifier" = String, Path, description = "The link's identifier (any case)")),
    responses(
        (status = 200, description = "The link", body = ApiLink),
        (status = 401, description = "No key, or an unknown or revoked one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks `links:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such link", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
pub(super) async fn link(
    State(state): State<HypeState>,
    headers: HeaderMap,
    Path(identifier): Path<String>,
) -> Response {
    if let Err(refused) = caller(&state, &headers, Scope::LinksRead).await {
        return refused;
    }
    let found = async {
        let Some(link) = links::find(&state.db, &identifier).await? else {
            return Ok(None);
        };
        let owner = match link.user_id {
            Some(id) => crate::services::users::find_by_id(&state.db, id).await?,
            None => None,
        };
        let counts = crate::services::link_counts::for_links(&state.db, &[link.id])
            .await?
            .remove(&link.id)
            .unwrap_or_default();
        Ok::<_, Error>(Some(api_link(&state, link, owner, counts)))
    };
    match found.await {
        Ok(Some(link)) => json(StatusCode::OK, &link),
        Ok(None) => problem(StatusCode::NOT_FOUND, "No such link."),
        Err(error) => from_error(error),
    }
}

/// Get a referrer's balance and ledger
#[utoipa::path(
    get,
    path = "/api/v1/users/{external_id}/balance",
    tag = "users",
    params(
        ("external_id" = String, Path, description = "The product's id for the user"),
        LedgerPage,
    ),
    responses(
        (status = 200, description = "The balance and a page of the ledger, newest first", body = Balance),
        (status = 401, description = "No key, or an unknown or revoked one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks `referrals:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No user has this external id", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown or malformed parameter", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
pub(super) async fn balance(
    State(state): State<HypeState>,
    headers: HeaderMap,
    Path(external_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Err(refused) = caller(&state, &headers, Scope::ReferralsRead).await {
        return refused;
    }
    let (limit, cursor) = match page_of(&query, &[]) {
        Ok(page) => page,
        Err(refused) => return refused.into_response(),
    };
    let found = async {
        let Some(user) = external_users::find(&state.db, &external_id).await? else {
            return Ok(None);
        };
        let balance = crate::services::ledger::balance(&state.db, user.id).await?;
        let mut find = reward_ledger::Entity::find()
            .filter(reward_ledger::Column::UserId.eq(user.id))
            .order_by_desc(reward_ledger::Column::Id)
            .limit(limit + 1);
        if let Some(before) = cursor {
            let before = i32::try_from(before).unwrap_or(i32::MAX);
            find = find.filter(reward_ledger::Column::Id.lt(before));
        }
        let mut rows = find.all(&state.db).await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        Ok::<_, Error>(Some(Balance {
            external_id: user.external_id.unwrap_or_default(),
            username: user.username,
            balance,
            next_cursor: more
                .then(|| rows.last().map(|r| r.id.to_string()))
                .flatten(),
            ledger: rows
                .into_iter()
                .map(|r| LedgerEntry {
                    id: r.id,
                    amount: r.amount,
                    reason: r.reason,
                    referral_id: r.referral_id,
                    created_at: r.created_at,
                })
                .collect(),
        }))
    };
    match found.await {
        Ok(Some(balance)) => json(StatusCode::OK, &balance),
        Ok(None) => no_such_user(),
        Err(error) => from_error(error),
    }
}
