//! Users the product knows by its own id (`users.external_id`): referrers it creates through
//! `PUT /api/v1/users/{external_id}`, and customers who converted without signing up on hype,
//! named by the click (`hype_click`) that brought them. Neither has a password: they cannot
//! log in until they set one through "forgot password" (which needs an address).
use crate::config::HypeConfig;
use crate::entities::{referral_hits, users};
use crate::error::{Error, Result};
use crate::types::{Email, Username};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait,
};

/// The longest external id accepted.
pub const MAX_EXTERNAL_ID: usize = 128;

/// Checks an external id: 1 to 128 visible ASCII characters, no `/`.
pub fn parse_external_id(raw: &str) -> Result<&str> {
    if raw.is_empty()
        || raw.len() > MAX_EXTERNAL_ID
        || !raw.bytes().all(|b| b.is_ascii_graphic() && b != b'/')
    {
        return Err(Error::invalid(
            "An external id has 1 to 128 visible ASCII characters, without '/', as in \
             \"cust_42\".",
        ));
    }
    Ok(raw)
}

/// The user the product calls `external_id` (not a deleted one); `None` for a malformed id.
pub async fn find(db: &impl ConnectionTrait, external_id: &str) -> Result<Option<users::Model>> {
    if parse_external_id(external_id).is_err() {
        return Ok(None);
    }
    Ok(users::Entity::find()
        .filter(users::Column::ExternalId.eq(external_id))
        .filter(users::Column::DeletedAt.is_null())
        .one(db)
        .await?)
}

/// What [`upsert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
}

/// Creates the user the product calls `external_id`, or updates their username and address (a
/// changed address must be confirmed again).
///
/// Errors: `Invalid` for a malformed id, username or address; `Conflict` when another user has
/// the username or the address.
pub async fn upsert<C>(
    db: &C,
    external_id: &str,
    username: &str,
    email: Option<&str>,
) -> Result<(users::Model, Upserted)>
where
    C: ConnectionTrait + TransactionTrait,
{
    let external_id = parse_external_id(external_id)?;
    let username = Username::parse(username)?;
    let email = Email::parse_optional(email)?;
    // Twice at most: a concurrent PUT of the same id may create the user between our look and
    // our insert, and is then updated instead.
    for _ in 0..2 {
        if let Some(user) = find(db, external_id).await? {
            return update(db, user, &username, email.as_ref()).await;
        }
        check_free(db, None, &username, email.as_ref()).await?;
        let now = super::now();
        let txn = db.begin().await?;
        let inserted = users::ActiveModel {
            username: Set(username.as_str().to_owned()),
            email: Set(email.as_ref().map(|e| e.as_str().to_owned())),
            password_hash: Set(super::accounts::NO_PASSWORD.to_owned()),
            is_admin: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            external_id: Set(Some(external_id.to_owned())),
            ..Default::default()
        }
        .insert(&txn)
        .await;
        match inserted {
            Ok(user) => {
                crate::outbox::emit_user_created(&txn, &user).await?;
                txn.commit().await?;
                return Ok((user, Upserted::Created));
            }
            Err(e) if Error::is_unique_violation(&e) => {
                drop(txn);
                if find(db, external_id).await?.is_none() {
                    return Err(taken());
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(taken())
}

fn taken() -> Error {
    Error::Conflict("That username or e-mail address belongs to another user.".into())
}

async fn check_free(
    db: &impl ConnectionTrait,
    user_id: Option<i32>,
    username: &Username,
    email: Option<&Email>,
) -> Result<()> {
    let other = |u: &users::Model| Some(u.id) != user_id;
    if let Some(user) = super::users::find_by_username(db, username.as_str()).await? {
        if other(&user) {
            return Err(Error::Conflict(format!(
                "The username \"{}\" belongs to another user.",
                username.as_str()
            )));
        }
    }
    if let Some(email) = email {
        if let Some(user) = super::users::find_by_email(db, email.as_str()).await? {
            if other(&user) {
                return Err(Error::Conflict(
                    "That e-mail address belongs to another user.".into(),
                ));
            }
        }
    }
    Ok(())
}

async fn update<C>(
    db: &C,
    user: users::Model,
    username: &Username,
    email: Option<&Email>,
) -> Result<(users::Model, Upserted)>
where
    C: ConnectionTrait + TransactionTrait,
{
    let email_changed = match (user.email.as_deref(), email) {
        (Some(old), Some(new)) => !old.eq_ignore_ascii_case(new.as_str()),
        (None, None) => false,
        _ => true,
    };
    let email_changed_only_in_case =
        !email_changed && user.email.as_deref() != email.map(Email::as_str);
    if user.username == username.as_str() && !email_changed && !email_changed_only_in_case {
        return Ok((user, Upserted::Updated));
    }
    check_free(db, Some(user.id), username, email.filter(|_| email_changed)).await?;
    let email = email.map(|e| e.as_str().to_owned());
    let mut update = users::Entity::update_many()
        .col_expr(users::Column::Username, Expr::value(username.as_str()))
        .col_expr(users::Column::Email, Expr::value(email.clone()))
        .col_expr(users::Column::UpdatedAt, Expr::value(super::now()))
        .filter(users::Column::Id.eq(user.id));
    if email_changed {
        update = update.col_expr(
            users::Column::EmailConfirmedAt,
            Expr::value(None::<chrono::DateTime<chrono::Utc>>),
        );
    }
    update.exec(db).await.map_err(|e| {
        if Error::is_unique_violation(&e) {
            taken()
        } else {
            e.into()
        }
    })?;
    let user = super::users::find_by_id(db, user.id)
        .await?
        .ok_or_else(|| Error::NotFound("No such user.".into()))?;
    Ok((user, Upserted::Updated))
}

/// The customer a conversion names by `click_id` (the `hype_click` of a visit), with the
/// product's `external_id` for them when it has one:
///
/// - with `external_id`: that customer, created if new (username `customer-…`, no password);
///   the click's visitor journey (every unclaimed hit of its browser) is claimed for them and
///   their referral is decided by the usual rule within the window;
/// - without: whoever already claimed the click.
///
/// Errors: `Invalid` for an unknown click, one older than the attribution window, one claimed
/// by another user, or an unclaimed one without `external_id`. Nothing is written then.
pub async fn customer_for_click<C>(
    db: &C,
    config: &HypeConfig,
    click_id: &str,
    external_id: Option<&str>,
) -> Result<users::Model>
where
    C: ConnectionTrait + TransactionTrait,
{
    let unknown = || {
        Error::invalid(
            "Unknown `click_id`: pass the `hype_click` value of the URL the visitor landed on.",
        )
    };
    let click = uuid::Uuid::parse_str(click_id.trim()).map_err(|_| unknown())?;
    let hit = referral_hits::Entity::find_by_id(click)
        .one(db)
        .await?
        .ok_or_else(unknown)?;
    if hit.is_bot {
        return Err(Error::invalid(
            "This click was a bot's (a link preview or a crawler): it can't name a customer.",
        ));
    }
    if hit.created_at < super::now() - config.attribution_window() {
        return Err(Error::invalid(format!(
            "This click is older than the attribution window ({} days): it can no longer \
             name a customer.",
            config.attribution_window_days
        )));
    }
    let claimed_by_other = || {
        Error::invalid("This click is already claimed by another customer: nothing was recorded.")
    };
    let Some(external_id) = external_id else {
        let owner = match hit.hit_user_id {
            Some(id) => super::users::find_by_id(db, id).await?,
            None => None,
        };
        return owner.filter(|u| u.deleted_at.is_none()).ok_or_else(|| {
            Error::invalid(
                "Nobody has claimed this click yet: send the customer's `external_id` with \
                 `click_id`.",
            )
        });
    };
    let external_id = parse_external_id(external_id)?;
    let existing = find(db, external_id).await?;
    if hit
        .hit_user_id
        .is_some_and(|owner| Some(owner) != existing.as_ref().map(|u| u.id))
    {
        return Err(claimed_by_other());
    }
    let customer = match existing {
        Some(user) => user,
        None => {
            let name = format!("customer-{}", &super::sha256_hex(external_id)[..12]);
            upsert(db, external_id, &name, None).await?.0
        }
    };
    if let Some(visitor) = hit.visitor_id {
        super::hits::claim(db, visitor, customer.id).await?;
    }
    // Another customer's claim may have won the race for this click.
    let hit = referral_hits::Entity::find_by_id(click)
        .one(db)
        .await?
        .ok_or_else(unknown)?;
    if hit.hit_user_id != Some(customer.id) {
        return Err(claimed_by_other());
    }
    super::referrals::attribute_signup(db, config, customer.id).await?;
    Ok(customer)
}
