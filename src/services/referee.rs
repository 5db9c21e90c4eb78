//! The referred user's side of their referral: who invited them and when, declining it while
//! it is pending (closed with no credit; the referrer sees it as declined), and erasing the
//! addresses, browsers and referers recorded for their visits (the hits stay, as counts).
use crate::entities::referrals::ReferralStatus;
use crate::entities::{referral_hits, referrals, users};
use crate::error::{Error, Result};
use crate::outbox::{emit_referral, EventType};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};

/// The audit action of a referral its referred user declined (status `rejected`, decided by
/// that user).
pub const DECLINE: &str = "decline_referral";

/// A user's referral as they see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyReferral {
    pub referral: referrals::Model,
    /// The referrer's username (`None` when their account was deleted).
    pub referrer: Option<String>,
    /// Whether the user asked their referrer to see "a friend" instead of their username.
    pub hidden: bool,
}

impl MyReferral {
    /// `pending`, `confirmed`, `rejected`, or `declined` (rejected by the user themself).
    pub fn status(&self) -> &'static str {
        status_of(&self.referral)
    }
}

/// A referral's status as its people read it: `pending`, `confirmed`, `rejected`, or
/// `declined` (rejected by the referred user themself).
pub fn status_of(r: &referrals::Model) -> &'static str {
    if r.status == ReferralStatus::Rejected && r.decided_by == Some(r.referred_user_id) {
        "declined"
    } else {
        r.status.as_str()
    }
}

/// The referral of `user_id`, if they were referred.
pub async fn my_referral(db: &impl ConnectionTrait, user_id: i32) -> Result<Option<MyReferral>> {
    let Some(referral) = super::referrals::find_for_referred(db, user_id).await? else {
        return Ok(None);
    };
    let referrer = match referral.referrer_user_id {
        Some(id) => users::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|u| u.username),
        None => None,
    };
    let hidden = users::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .is_some_and(|u| u.hidden_from_referrer);
    Ok(Some(MyReferral {
        referral,
        referrer,
        hidden,
    }))
}

/// Declines `user_id`'s pending referral: it is closed with no credit, decided by them.
///
/// Errors: `NotFound` without a referral; `Conflict` once it is confirmed (settled) or
/// already closed.
pub async fn decline<C>(db: &C, user_id: i32) -> Result<()>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    let now = super::now();
    // The conditional write first: a confirmation at the same moment wins or loses whole.
    let changed = referrals::Entity::update_many()
        .col_expr(
            referrals::Column::Status,
            Expr::value(ReferralStatus::Rejected),
        )
        .col_expr(referrals::Column::DecidedAt, Expr::value(now))
        .col_expr(referrals::Column::DecidedBy, Expr::value(user_id))
        .filter(referrals::Column::ReferredUserId.eq(user_id))
        .filter(referrals::Column::Status.eq(ReferralStatus::Pending))
        .exec(&txn)
        .await?
        .rows_affected;
    let referral = referrals::Entity::find()
        .filter(referrals::Column::ReferredUserId.eq(user_id))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("You were not referred by anyone.".into()))?;
    if changed == 0 {
        return Err(Error::Conflict(match referral.status {
            ReferralStatus::Confirmed => {
                "Your referral is already confirmed: it is settled and can't be declined.".into()
            }
            _ => "Your referral is already closed.".into(),
        }));
    }
    super::audit::record(&txn, user_id, DECLINE, "referrals", referral.id, "").await?;
    emit_referral(&txn, referral.id, &[(EventType::ReferralRejected, None)]).await?;
    txn.commit().await?;
    Ok(())
}

/// Whether the referred user of `referral_id` asked that their referrer see "a friend"
/// instead of their username.
pub async fn hidden_from_referrer(db: &impl ConnectionTrait, referral_id: i32) -> Result<bool> {
    let Some(referral) = referrals::Entity::find_by_id(referral_id).one(db).await? else {
        return Ok(false);
    };
    Ok(users::Entity::find_by_id(referral.referred_user_id)
        .one(db)
        .await?
        .is_some_and(|u| u.hidden_from_referrer))
}

/// Hides `user_id`'s username from whoever referred them (`hidden`), or shows it again.
pub async fn set_hidden_from_referrer(
    db: &impl ConnectionTrait,
    user_id: i32,
    hidden: bool,
) -> Result<()> {
    let changed = users::Entity::update_many()
        .col_expr(users::Column::HiddenFromReferrer, Expr::value(hidden))
        .col_expr(users::Column::UpdatedAt, Expr::value(super::now()))
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?
        .rows_affected;
    if changed == 0 {
        return Err(Error::NotFound("No such user.".into()));
    }
    Ok(())
}

/// Wipes the address, browser and referer of every hit of `user_id`. Returns how many hits.
pub async fn erase_visit_data(db: &impl ConnectionTrait, user_id: i32) -> Result<u64> {
    Ok(referral_hits::Entity::update_many()
        .col_expr(referral_hits::Column::Ip, Expr::value(None::<String>))
        .col_expr(referral_hits::Column::UserAgent, Expr::value(""))
        .col_expr(referral_hits::Column::HttpReferer, Expr::value(""))
        .col_expr(referral_hits::Column::UpdatedAt, Expr::value(super::now()))
        .filter(referral_hits::Column::HitUserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected)
}
