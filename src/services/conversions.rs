//! Conversions the product reports through the API, exactly once per API key and
//! `Idempotency-Key`: the first request is recorded and answered 201; a retry with the same
//! body gets the same answer (200); another body under the same key is refused. With
//! `HYPE_AUTO_CONFIRM=conversion` the first conversion of a referee confirms their pending,
//! unflagged referral (one confirmation and one credit however many arrive at once).
use crate::config::{AutoConfirm, HypeConfig};
use crate::entities::{api_keys, conversions, referrals, users};
use crate::error::{Error, Result};
use crate::services::referrals::{Actor, Outcome};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait, TryInsertResult,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who converted: exactly one of `username`, `email`, `external_id` and `click_id`, or
/// `click_id` with `external_id` (a customer who never signed up on hype).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    #[schema(pattern = r"^[A-Za-z0-9._-]{3,32}$")]
    pub username: Option<String>,
    #[schema(format = "email")]
    pub email: Option<String>,
    /// The product's id for the customer.
    #[schema(pattern = r"^[!-.0-~]{1,128}$")]
    pub external_id: Option<String>,
    /// The `hype_click` of the URL the visitor landed on.
    #[schema(format = "uuid")]
    pub click_id: Option<String>,
}

/// The body of `POST /api/v1/conversions`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConversion {
    pub customer: Customer,
    /// What happened, as the product calls it: `purchase`, `subscription.started`.
    #[schema(pattern = r"^[A-Za-z0-9_.:-]{1,64}$", example = "purchase")]
    pub event: String,
    /// In the currency's minor unit (4900 = 49.00).
    #[schema(minimum = 0, example = 4900)]
    pub amount: Option<i64>,
    /// ISO 4217, three capital letters.
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: Option<String>,
    /// When it happened (RFC 3339); default: now.
    pub occurred_at: Option<DateTime<Utc>>,
}

/// The answer to `POST /api/v1/conversions`, stored and replayed for a retry.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConversionAnswer {
    pub conversion: RecordedConversion,
    /// The customer's referral, if they have one.
    pub referral: Option<TouchedReferral>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecordedConversion {
    pub id: i64,
    pub event: String,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub customer: CustomerName,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CustomerName {
    pub username: String,
    pub external_id: Option<String>,
}

/// The referral a conversion touched.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TouchedReferral {
    pub id: i32,
    /// `pending`, `confirmed` or `rejected`.
    pub status: String,
    pub flagged: bool,
    pub confirmed_by_this_conversion: bool,
}

/// The answer: `Created` the first time (201), `Replayed` for a retry (200).
#[derive(Debug)]
pub enum Recorded {
    Created(ConversionAnswer),
    Replayed(ConversionAnswer),
}

/// Records a conversion under `idempotency_key` for `key` (see the module).
///
/// Errors: `Invalid` for a malformed key or body, an unknown customer, or a key used before
/// with another body; nothing is written then.
pub async fn record<C>(
    db: &C,
    config: &HypeConfig,
    key: &api_keys::Model,
    idempotency_key: &str,
    body: &Value,
) -> Result<Recorded>
where
    C: ConnectionTrait + TransactionTrait,
{
    let idempotency_key = idempotency_key.trim();
    if idempotency_key.is_empty()
        || idempotency_key.len() > 255
        || !idempotency_key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(Error::invalid(
            "The Idempotency-Key header is required: 1 to 255 visible ASCII characters, the \
             same for every retry of one conversion (a UUID is a good choice).",
        ));
    }
    // serde_json's maps are sorted: the same JSON hashes the same whatever its key order.
    let request_hash = super::sha256_hex(&body.to_string());
    if let Some(earlier) = stored(db, key.id, idempotency_key).await? {
        return replay(earlier, &request_hash);
    }
    let conversion: NewConversion = serde_json::from_value(body.clone())
        .map_err(|e| Error::invalid(format!("The body is not a conversion: {e}.")))?;
    validate(&conversion)?;
    let customer = find_customer(db, config, &conversion.customer).await?;
    let now = super::now();
    // Microseconds, as both databases keep it: the answer shows what was stored.
    let occurred_at = conversion.occurred_at.map_or(now, |at| {
        use chrono::{DurationRound, TimeDelta};
        at.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(at)
    });

    // A user's referral is recorded once; its status is read again after any confirmation.
    let referral = referrals::Entity::find()
        .filter(referrals::Column::ReferredUserId.eq(customer.id))
        .one(db)
        .await?;
    let txn = db.begin().await?;
    // The write comes first (see `accounts::redeem`); a concurrent request with the same key
    // waits here for this one's commit, then inserts nothing and replays its answer.
    let inserted = conversions::Entity::insert(conversions::ActiveModel {
        api_key_id: Set(key.id),
        idempotency_key: Set(idempotency_key.to_owned()),
        request_hash: Set(request_hash.clone()),
        referred_user_id: Set(customer.id),
        referral_id: Set(referral.as_ref().map(|r| r.id)),
        event: Set(conversion.event.clone()),
        amount: Set(conversion.amount),
        currency: Set(conversion.currency.clone()),
        occurred_at: Set(occurred_at),
        response: Set(String::new()),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            conversions::Column::ApiKeyId,
            conversions::Column::IdempotencyKey,
        ])
        .do_nothing()
        .to_owned(),
    )
    .do_nothing()
    .exec(&txn)
    .await?;
    let TryInsertResult::Inserted(inserted) = inserted else {
        drop(txn);
        let earlier = stored(db, key.id, idempotency_key)
            .await?
            .ok_or_else(|| Error::Internal("a conflicting conversion vanished".into()))?;
        return replay(earlier, &request_hash);
    };
    let id = inserted.last_insert_id;
    let mut confirmed_now = false;
    if let Some(referral) = &referral {
        let confirmable = referral.status == referrals::ReferralStatus::Pending
            && referral.flags.is_empty()
            && referral.referrer_user_id.is_some();
        if config.auto_confirm == AutoConfirm::Conversion && confirmable {
            let outcome = super::referrals::confirm(
                &txn,
                referral.id,
                Actor::api_key(&key.name),
                false,
                super::referrals::Rewards::of(config),
            )
            .await?;
            confirmed_now = matches!(outcome, Outcome::Changed);
        }
    }
    let referral = match referral {
        Some(r) => referrals::Entity::find_by_id(r.id).one(&txn).await?,
        None => None,
    };
    let response = ConversionAnswer {
        conversion: RecordedConversion {
            id,
            event: conversion.event,
            amount: conversion.amount,
            currency: conversion.currency,
            occurred_at,
            customer: CustomerName {
                username: customer.username,
                external_id: customer.external_id,
            },
        },
        referral: referral.map(|r| TouchedReferral {
            id: r.id,
            status: r.status.as_str().to_owned(),
            flagged: !r.flags.is_empty(),
            confirmed_by_this_conversion: confirmed_now,
        }),
    };
    let stored_answer = serde_json::to_string(&response)
        .map_err(|e| Error::Internal(format!("a conversion answer did not serialise: {e}")))?;
    conversions::Entity::update_many()
        .col_expr(conversions::Column::Response, Expr::value(stored_answer))
        .filter(conversions::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Recorded::Created(response))
}

async fn stored(
    db: &impl ConnectionTrait,
    key_id: i32,
    idempotency_key: &str,
) -> Result<Option<conversions::Model>> {
    Ok(conversions::Entity::find()
        .filter(conversions::Column::ApiKeyId.eq(key_id))
        .filter(conversions::Column::IdempotencyKey.eq(idempotency_key))
        .one(db)
        .await?)
}

fn replay(earlier: conversions::Model, request_hash: &str) -> Result<Recorded> {
    if earlier.request_hash != request_hash {
        return Err(Error::invalid(
            "This Idempotency-Key was used before with another body. Send the same body to \
             retry that conversion, or a new key for a new one.",
        ));
    }
    let response = serde_json::from_str(&earlier.response)
        .map_err(|e| Error::Internal(format!("a stored conversion answer is not JSON: {e}")))?;
    Ok(Recorded::Replayed(response))
}

fn validate(conversion: &NewConversion) -> Result<()> {
    let event = conversion.event.trim();
    if event.is_empty()
        || event.len() > 64
        || !event
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
    {
        return Err(Error::invalid(
            "`event` has 1 to 64 letters, digits, '_', '.', ':' or '-', as in \"purchase\".",
        ));
    }
    if conversion.amount.is_some_and(|a| a < 0) {
        return Err(Error::invalid(
            "`amount` is a whole number of the currency's minor unit, 0 or more.",
        ));
    }
    if let Some(currency) = &conversion.currency {
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Error::invalid(
                "`currency` is an ISO 4217 code: three capital letters, as in \"EUR\".",
            ));
        }
    }
    Ok(())
}

async fn find_customer<C>(db: &C, config: &HypeConfig, customer: &Customer) -> Result<users::Model>
where
    C: ConnectionTrait + TransactionTrait,
{
    let named = [
        customer.username.is_some(),
        customer.email.is_some(),
        customer.external_id.is_some() && customer.click_id.is_none(),
        customer.click_id.is_some(),
    ]
    .into_iter()
    .filter(|n| *n)
    .count();
    if named != 1 {
        return Err(Error::invalid(
            "Name the customer by exactly one of `username`, `email`, `external_id` or \
             `click_id` (which `external_id` may accompany).",
        ));
    }
    let unknown = || {
        Error::invalid(
            "No user is that customer: check the username, e-mail address or external id.",
        )
    };
    if let Some(click_id) = &customer.click_id {
        return super::external_users::customer_for_click(
            db,
            config,
            click_id,
            customer.external_id.as_deref(),
        )
        .await;
    }
    let found = match (&customer.username, &customer.email, &customer.external_id) {
        (Some(username), _, _) => super::users::find_by_username(db, username).await?,
        (_, Some(email), _) => super::users::find_by_email(db, email).await?,
        (_, _, Some(id)) => super::external_users::find(db, id).await?,
        _ => None,
    };
    found.filter(|u| u.deleted_at.is_none()).ok_or_else(unknown)
}
