//! Referrals: who referred a new user (decided once, at sign-up, from their claimed hits), and
//! the admin's decisions on them. Confirming credits the referrer exactly once: the conditional
//! status update and the ledger's unique idempotency key decide, not checks in Rust.
use crate::config::HypeConfig;
use crate::entities::referrals::ReferralStatus;
use crate::entities::{referral_hits, referral_links, referrals, reward_ledger, users};
use crate::error::{Error, Result};
use sea_orm::sea_query::{Alias, Expr, JoinType, OnConflict, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};

/// Suspected self-referral: the new user shares an address with the referrer.
pub const FLAG_SAME_IP: &str = "same_ip";
/// Suspected self-referral: the winning hit came from the link owner's own browser — a visitor
/// id the owner signed in with (some of that visitor's hits are claimed by the owner).
pub const FLAG_OWNER_HIT: &str = "owner_hit";

/// Records the referral of a just-signed-up user, if any of their claimed hits wins the
/// attribution. A user is referred at most once: a second call changes nothing.
pub async fn attribute_signup(
    db: &impl ConnectionTrait,
    config: &HypeConfig,
    user_id: i32,
) -> Result<Option<referrals::Model>> {
    let Some((hit, link)) = super::hits::winning_hit_for_user(db, config, user_id).await? else {
        return Ok(None);
    };
    let flags = flags_for(db, user_id, link.user_id, &hit).await?;
    referrals::Entity::insert(referrals::ActiveModel {
        referred_user_id: Set(user_id),
        referrer_user_id: Set(link.user_id),
        referral_hit_id: Set(Some(hit.id)),
        status: Set(ReferralStatus::Pending),
        flags: Set(flags),
        created_at: Set(super::now()),
        decided_at: Set(None),
        decided_by: Set(None),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(referrals::Column::ReferredUserId)
            .do_nothing()
            .to_owned(),
    )
    .do_nothing()
    .exec(db)
    .await?;
    find_for_referred(db, user_id).await
}

pub async fn find_for_referred(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Option<referrals::Model>> {
    Ok(referrals::Entity::find()
        .filter(referrals::Column::ReferredUserId.eq(user_id))
        .one(db)
        .await?)
}

/// Why a referral looks like a self-referral (comma-separated flags; empty when it doesn't).
async fn flags_for(
    db: &impl ConnectionTrait,
    referred_id: i32,
    referrer_id: Option<i32>,
    hit: &referral_hits::Model,
) -> Result<String> {
    let Some(referrer_id) = referrer_id else {
        return Ok(String::new());
    };
    let mut flags = Vec::new();
    if let Some(visitor) = hit.visitor_id {
        let owners_browser = referral_hits::Entity::find()
            .filter(referral_hits::Column::VisitorId.eq(visitor))
            .filter(referral_hits::Column::HitUserId.eq(referrer_id))
            .one(db)
            .await?
            .is_some();
        if owners_browser {
            flags.push(FLAG_OWNER_HIT);
        }
    }
    let referred = users::Entity::find_by_id(referred_id).one(db).await?;
    let referrer = users::Entity::find_by_id(referrer_id).one(db).await?;
    if let (Some(referred), Some(referrer)) = (referred, referrer) {
        let owner_ips: Vec<&str> = [&referrer.signup_ip, &referrer.last_login_ip]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        let visitor_ips = [&referred.signup_ip, &referred.last_login_ip, &hit.ip];
        if visitor_ips
            .into_iter()
            .flatten()
            .any(|ip| owner_ips.contains(&ip.as_str()))
        {
            flags.push(FLAG_SAME_IP);
        }
    }
    Ok(flags.join(","))
}

/// What a decision did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The status changed (and the ledger with it).
    Changed,
    /// It already was so: nothing written.
    Unchanged,
}

/// An admin's decision on a referral, as the dashboard's forms name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Confirm an unflagged referral.
    Confirm,
    /// Confirm a flagged one too (the audit log records the override).
    ConfirmOverride,
    Reject,
    /// Take a confirmation back (the credit is reversed).
    Unconfirm,
}

impl Decision {
    /// What the referral became, for messages: `confirmed`, `rejected`, `unconfirmed`.
    pub fn past_tense(self) -> &'static str {
        match self {
            Self::Confirm | Self::ConfirmOverride => "confirmed",
            Self::Reject => "rejected",
            Self::Unconfirm => "unconfirmed",
        }
    }
}

impl std::str::FromStr for Decision {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "confirm" => Ok(Self::Confirm),
            "confirm_override" => Ok(Self::ConfirmOverride),
            "reject" => Ok(Self::Reject),
            "unconfirm" => Ok(Self::Unconfirm),
            _ => Err(Error::invalid(
                "The action is confirm, confirm_override, reject or unconfirm.",
            )),
        }
    }
}

/// Carries out `decision` on one referral (see [`confirm`], [`reject`], [`unconfirm`]).
pub async fn decide<C>(
    db: &C,
    referral_id: i32,
    admin_id: i32,
    decision: Decision,
    reward: i64,
) -> Result<Outcome>
where
    C: ConnectionTrait + TransactionTrait,
{
    match decision {
        Decision::Confirm | Decision::ConfirmOverride => {
            let override_flags = decision == Decision::ConfirmOverride;
            confirm(db, referral_id, admin_id, override_flags, reward).await
        }
        Decision::Reject => reject(db, referral_id, admin_id).await,
        Decision::Unconfirm => unconfirm(db, referral_id, admin_id).await,
    }
}

/// Confirms a referral: in one transaction, status `confirmed` (who, when), the hit's
/// `confirmed` timestamp, one ledger credit of `reward` for the referrer, one audit entry.
///
/// Confirming a confirmed referral, or two admins confirming at once, yields `Unchanged` for
/// all but one. Errors: `NotFound`; `Conflict` for a flagged referral without `override_flags`,
/// or one without a referrer.
pub async fn confirm<C>(
    db: &C,
    referral_id: i32,
    admin_id: i32,
    override_flags: bool,
    reward: i64,
) -> Result<Outcome>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    let now = super::now();
    // The conditional write comes first: it takes SQLite's write lock at once (no lock
    // upgrade), and on PostgreSQL a concurrent confirm waits on the row and then finds it
    // no longer pending.
    let mut update = referrals::Entity::update_many()
        .col_expr(
            referrals::Column::Status,
            Expr::value(ReferralStatus::Confirmed),
        )
        .col_expr(referrals::Column::DecidedAt, Expr::value(now))
        .col_expr(referrals::Column::DecidedBy, Expr::value(admin_id))
        .filter(referrals::Column::Id.eq(referral_id))
        .filter(
            referrals::Column::Status.is_in([ReferralStatus::Pending, ReferralStatus::Rejected]),
        )
        .filter(referrals::Column::ReferrerUserId.is_not_null());
    if !override_flags {
        update = update.filter(referrals::Column::Flags.eq(""));
    }
    let changed = update.exec(&txn).await?.rows_affected;
    let referral = referrals::Entity::find_by_id(referral_id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("No such referral.".into()))?;
    if changed == 0 {
        return match referral.status {
            ReferralStatus::Confirmed => Ok(Outcome::Unchanged),
            _ if referral.referrer_user_id.is_none() => Err(Error::Conflict(
                "This referral has no referrer any more (their account was deleted).".into(),
            )),
            _ => Err(Error::Conflict(format!(
                "This referral is flagged as a possible self-referral ({}): reject it, or confirm it with the override.",
                referral.flags
            ))),
        };
    }
    let referrer = referral
        .referrer_user_id
        .ok_or_else(|| Error::Internal("confirmed a referral without a referrer".into()))?;
    if let Some(hit_id) = referral.referral_hit_id {
        referral_hits::Entity::update_many()
            .col_expr(referral_hits::Column::Confirmed, Expr::value(now))
            .col_expr(referral_hits::Column::UpdatedAt, Expr::value(now))
            .filter(referral_hits::Column::Id.eq(hit_id))
            .exec(&txn)
            .await?;
    }
    let credits = reward_ledger::Entity::find()
        .filter(reward_ledger::Column::ReferralId.eq(referral_id))
        .filter(reward_ledger::Column::Amount.gt(0))
        .count(&txn)
        .await?;
    let referred = users::Entity::find_by_id(referral.referred_user_id)
        .one(&txn)
        .await?
        .map(|u| u.username)
        .unwrap_or_default();
    reward_ledger::Entity::insert(reward_ledger::ActiveModel {
        user_id: Set(referrer),
        amount: Set(reward),
        reason: Set(format!("Referral of {referred} confirmed")),
        referral_id: Set(Some(referral_id)),
        idempotency_key: Set(format!("referral-{referral_id}-credit-{}", credits + 1)),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(&txn)
    .await?;
    let action = if override_flags && !referral.flags.is_empty() {
        "confirm_referral_override"
    } else {
        "confirm_referral"
    };
    let referrer_name = users::Entity::find_by_id(referrer)
        .one(&txn)
        .await?
        .map(|u| u.username)
        .unwrap_or_default();
    let detail = if referral.flags.is_empty() {
        format!("{referred}: credited {reward} to {referrer_name}")
    } else {
        format!(
            "{referred}: credited {reward} to {referrer_name}; flags overridden: {}",
            referral.flags
        )
    };
    super::audit::record(&txn, admin_id, action, "referrals", referral_id, detail).await?;
    txn.commit().await?;
    Ok(Outcome::Changed)
}

/// Takes a confirmation back: status `pending` again, the hit unconfirmed, and a reversing
/// ledger entry. `Unchanged` when the referral was not confirmed.
pub async fn unconfirm<C>(db: &C, referral_id: i32, admin_id: i32) -> Result<Outcome>
where
    C: ConnectionTrait + TransactionTrait,
{
    revoke(
        db,
        referral_id,
        admin_id,
        ReferralStatus::Pending,
        "unconfirm_referral",
    )
    .await
}

/// Rejects a referral. A confirmed one gets a reversing ledger entry; a pending one none.
pub async fn reject<C>(db: &C, referral_id: i32, admin_id: i32) -> Result<Outcome>
where
    C: ConnectionTrait + TransactionTrait,
{
    match revoke(
        db,
        referral_id,
        admin_id,
        ReferralStatus::Rejected,
        "reject_referral",
    )
    .await?
    {
        Outcome::Changed => Ok(Outcome::Changed),
        Outcome::Unchanged => {
            let txn = db.begin().await?;
            let changed = referrals::Entity::update_many()
                .col_expr(
                    referrals::Column::Status,
                    Expr::value(ReferralStatus::Rejected),
                )
                .col_expr(referrals::Column::DecidedAt, Expr::value(super::now()))
                .col_expr(referrals::Column::DecidedBy, Expr::value(admin_id))
                .filter(referrals::Column::Id.eq(referral_id))
                .filter(referrals::Column::Status.eq(ReferralStatus::Pending))
                .exec(&txn)
                .await?
                .rows_affected;
            if changed == 0 {
                return match referrals::Entity::find_by_id(referral_id).one(&txn).await? {
                    Some(_) => Ok(Outcome::Unchanged),
                    None => Err(Error::NotFound("No such referral.".into())),
                };
            }
            super::audit::record(
                &txn,
                admin_id,
                "reject_referral",
                "referrals",
                referral_id,
                "",
            )
            .await?;
            txn.commit().await?;
            Ok(Outcome::Changed)
        }
    }
}

/// Moves a confirmed referral to `status`, reversing its last credit.
async fn revoke<C>(
    db: &C,
    referral_id: i32,
    admin_id: i32,
    status: ReferralStatus,
    action: &str,
) -> Result<Outcome>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    let now = super::now();
    let changed = referrals::Entity::update_many()
        .col_expr(referrals::Column::Status, Expr::value(status))
        .col_expr(referrals::Column::DecidedAt, Expr::value(now))
        .col_expr(referrals::Column::DecidedBy, Expr::value(admin_id))
        .filter(referrals::Column::Id.eq(referral_id))
        .filter(referrals::Column::Status.eq(ReferralStatus::Confirmed))
        .exec(&txn)
        .await?
        .rows_affected;
    if changed == 0 {
        return match referrals::Entity::find_by_id(referral_id).one(&txn).await? {
            Some(_) => Ok(Outcome::Unchanged),
            None => Err(Error::NotFound("No such referral.".into())),
        };
    }
    let referral = referrals::Entity::find_by_id(referral_id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("No such referral.".into()))?;
    if let Some(hit_id) = referral.referral_hit_id {
        referral_hits::Entity::update_many()
            .col_expr(
                referral_hits::Column::Confirmed,
                Expr::value(None::<chrono::DateTime<chrono::Utc>>),
            )
            .col_expr(referral_hits::Column::UpdatedAt, Expr::value(now))
            .filter(referral_hits::Column::Id.eq(hit_id))
            .exec(&txn)
            .await?;
    }
    let last_credit = reward_ledger::Entity::find()
        .filter(reward_ledger::Column::ReferralId.eq(referral_id))
        .filter(reward_ledger::Column::Amount.gt(0))
        .order_by_desc(reward_ledger::Column::Id)
        .one(&txn)
        .await?;
    if let Some(credit) = last_credit {
        let reversals = reward_ledger::Entity::find()
            .filter(reward_ledger::Column::ReferralId.eq(referral_id))
            .filter(reward_ledger::Column::Amount.lt(0))
            .count(&txn)
            .await?;
        reward_ledger::Entity::insert(reward_ledger::ActiveModel {
            user_id: Set(credit.user_id),
            amount: Set(-credit.amount),
            reason: Set(format!("Reversal: {}", credit.reason)),
            referral_id: Set(Some(referral_id)),
            idempotency_key: Set(format!("referral-{referral_id}-reversal-{}", reversals + 1)),
            created_at: Set(now),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await?;
    }
    super::audit::record(
        &txn,
        admin_id,
        action,
        "referrals",
        referral_id,
        "reversed the credit",
    )
    .await?;
    txn.commit().await?;
    Ok(Outcome::Changed)
}

/// Confirms the referral behind a hit from the hits browser: the referral whose winning hit is
/// this hit, created from it when the hit's user has no referral yet (a user is referred at
/// most once).
///
/// Errors: `Conflict` when the hit has no user, when its link is disabled or has no owner other
/// than that user, and when the user's referral was won by another hit (confirming it from
/// here would credit whoever that hit's link belongs to).
pub async fn confirm_hit<C>(
    db: &C,
    hit_id: uuid::Uuid,
    admin_id: i32,
    override_flags: bool,
    reward: i64,
) -> Result<Outcome>
where
    C: ConnectionTrait + TransactionTrait,
{
    let (hit, link) = referral_hits::Entity::find_by_id(hit_id)
        .find_also_related(referral_links::Entity)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("No such hit.".into()))?;
    let user_id = hit.hit_user_id.ok_or_else(|| {
        Error::Conflict("This hit has no user yet: only a claimed hit can be confirmed.".into())
    })?;
    let referral = match find_for_referred(db, user_id).await? {
        Some(referral) if referral.referral_hit_id == Some(hit.id) => referral,
        Some(_) => {
            return Err(Error::Conflict(
                "This user's referral was won by another of their hits: confirm it from the \
                 Referrals page, where its referrer is shown."
                    .into(),
            ))
        }
        None => {
            let link = link.ok_or_else(|| Error::NotFound("This hit's link is gone.".into()))?;
            if link.disabled {
                return Err(Error::Conflict(
                    "This hit's link is disabled: it earns no new referral.".into(),
                ));
            }
            let owner = link
                .user_id
                .filter(|owner| *owner != user_id)
                .ok_or_else(|| {
                    Error::Conflict("This hit's link has no owner other than its visitor.".into())
                })?;
            let flags = flags_for(db, user_id, Some(owner), &hit).await?;
            referrals::Entity::insert(referrals::ActiveModel {
                referred_user_id: Set(user_id),
                referrer_user_id: Set(Some(owner)),
                referral_hit_id: Set(Some(hit.id)),
                status: Set(ReferralStatus::Pending),
                flags: Set(flags),
                created_at: Set(super::now()),
                ..Default::default()
            })
            .on_conflict(
                OnConflict::column(referrals::Column::ReferredUserId)
                    .do_nothing()
                    .to_owned(),
            )
            .do_nothing()
            .exec(db)
            .await?;
            // Another request may have recorded this user's referral in the meantime.
            find_for_referred(db, user_id)
                .await?
                .filter(|referral| referral.referral_hit_id == Some(hit.id))
                .ok_or_else(|| {
                    Error::Conflict(
                        "This user's referral was just recorded from another hit: confirm it \
                         from the Referrals page."
                            .into(),
                    )
                })?
        }
    };
    confirm(db, referral.id, admin_id, override_flags, reward).await
}

/// A referral as the admin queue shows it.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ReferralRow {
    pub id: i32,
    pub referred: Option<String>,
    pub referrer: Option<String>,
    pub identifier: Option<String>,
    pub referral_hit_id: Option<uuid::Uuid>,
    pub hit_at: Option<chrono::DateTime<chrono::Utc>>,
    pub status: ReferralStatus,
    pub flags: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
    pub decided_by: Option<String>,
}

/// Referrals with `status`, oldest first for the pending queue, newest first otherwise;
/// optionally only those whose referrer is `referrer_id`.
pub async fn list(
    db: &impl ConnectionTrait,
    status: ReferralStatus,
    referrer_id: Option<i32>,
    limit: u64,
) -> Result<Vec<ReferralRow>> {
    let (r, a, b, d, h, l) = (
        Alias::new("r"),
        Alias::new("a"),
        Alias::new("b"),
        Alias::new("d"),
        Alias::new("h"),
        Alias::new("l"),
    );
    let mut query = Query::select();
    query
        .from_as(referrals::Entity, r.clone())
        .column((r.clone(), referrals::Column::Id))
        .expr_as(
            Expr::col((a.clone(), users::Column::Username)),
            Alias::new("referred"),
        )
        .expr_as(
            Expr::col((b.clone(), users::Column::Username)),
            Alias::new("referrer"),
        )
        .expr_as(
            Expr::col((l.clone(), referral_links::Column::Identifier)),
            Alias::new("identifier"),
        )
        .column((r.clone(), referrals::Column::ReferralHitId))
        .expr_as(
            Expr::col((h.clone(), referral_hits::Column::CreatedAt)),
            Alias::new("hit_at"),
        )
        .column((r.clone(), referrals::Column::Status))
        .column((r.clone(), referrals::Column::Flags))
        .column((r.clone(), referrals::Column::CreatedAt))
        .column((r.clone(), referrals::Column::DecidedAt))
        .expr_as(
            Expr::col((d.clone(), users::Column::Username)),
            Alias::new("decided_by"),
        )
        .join_as(
            JoinType::LeftJoin,
            users::Entity,
            a.clone(),
            Expr::col((a, users::Column::Id))
                .equals((r.clone(), referrals::Column::ReferredUserId)),
        )
        .join_as(
            JoinType::LeftJoin,
            users::Entity,
            b.clone(),
            Expr::col((b, users::Column::Id))
                .equals((r.clone(), referrals::Column::ReferrerUserId)),
        )
        .join_as(
            JoinType::LeftJoin,
            users::Entity,
            d.clone(),
            Expr::col((d, users::Column::Id)).equals((r.clone(), referrals::Column::DecidedBy)),
        )
        .join_as(
            JoinType::LeftJoin,
            referral_hits::Entity,
            h.clone(),
            Expr::col((h.clone(), referral_hits::Column::Id))
                .equals((r.clone(), referrals::Column::ReferralHitId)),
        )
        .join_as(
            JoinType::LeftJoin,
            referral_links::Entity,
            l.clone(),
            Expr::col((l, referral_links::Column::Id))
                .equals((h, referral_hits::Column::ReferralLinkId)),
        )
        .and_where(Expr::col((r.clone(), referrals::Column::Status)).eq(status))
        .order_by(
            (r.clone(), referrals::Column::Id),
            if status == ReferralStatus::Pending {
                Order::Asc
            } else {
                Order::Desc
            },
        )
        .limit(limit);
    if let Some(referrer) = referrer_id {
        query.and_where(Expr::col((r, referrals::Column::ReferrerUserId)).eq(referrer));
    }
    Ok(
        ReferralRow::find_by_statement(db.get_database_backend().build(&query))
            .all(db)
            .await?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AttributionModel;
    use crate::services::hits::{self, NewHit};
    use crate::services::links::{self, NewLink};
    use crate::test_support::{memory_db, user};
    use uuid::Uuid;

    #[tokio::test]
    async fn last_click_wins_by_default_and_first_click_is_a_setting() {
        let db = memory_db().await;
        let alice = user(&db, "alice").await;
        let bob = user(&db, "bob").await;
        let newcomer = user(&db, "newcomer").await;
        let first = links::create(&db, alice.id, NewLink::default())
            .await
            .unwrap();
        let last = links::create(&db, bob.id, NewLink::default())
            .await
            .unwrap();
        let visitor = Uuid::new_v4();
        for (link, hours_ago) in [(&first, 2), (&last, 1)] {
            let id = hits::record(
                &db,
                NewHit {
                    link_id: link.id,
                    visitor_id: Some(visitor),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            backdate(&db, id, hours_ago).await;
        }
        hits::claim(&db, visitor, newcomer.id).await.unwrap();

        let first_click = HypeConfig {
            attribution_model: AttributionModel::FirstClick,
            ..Default::default()
        };
        let (_, winner) = hits::winning_hit_for_user(&db, &first_click, newcomer.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(winner.user_id, Some(alice.id));

        let referral = attribute_signup(&db, &HypeConfig::default(), newcomer.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(referral.referrer_user_id, Some(bob.id));
        assert_eq!(referral.status, ReferralStatus::Pending);
        // Once referred, always the same referral.
        let again = attribute_signup(&db, &first_click, newcomer.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again.id, referral.id);
        assert_eq!(again.referrer_user_id, Some(bob.id));
    }

    async fn backdate(db: &sea_orm::DatabaseConnection, hit: Uuid, hours: i64) {
        use crate::entities::referral_hits;
        use sea_orm::sea_query::Expr;
        referral_hits::Entity::update_many()
            .col_expr(
                referral_hits::Column::CreatedAt,
                Expr::value(crate::services::now() - chrono::Duration::hours(hours)),
            )
            .filter(referral_hits::Column::Id.eq(hit))
            .exec(db)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn hits_older_than_the_window_do_not_count() {
        let db = memory_db().await;
        let alice = user(&db, "alice").await;
        let newcomer = user(&db, "newcomer").await;
        let link = links::create(&db, alice.id, NewLink::default())
            .await
            .unwrap();
        let visitor = Uuid::new_v4();
        let id = hits::record(
            &db,
            NewHit {
                link_id: link.id,
                visitor_id: Some(visitor),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        backdate(&db, id, 24 * 366).await;
        hits::claim(&db, visitor, newcomer.id).await.unwrap();
        assert!(attribute_signup(&db, &HypeConfig::default(), newcomer.id)
            .await
            .unwrap()
            .is_none());
    }

    #[tokio::test]
    async fn a_user_without_claimed_hits_is_not_referred() {
        let db = memory_db().await;
        let loner = user(&db, "loner").await;
        assert!(attribute_signup(&db, &HypeConfig::default(), loner.id)
            .await
            .unwrap()
            .is_none());
    }

    /// alice owns a link; a newcomer followed it and signed up: one pending referral.
    async fn pending_referral(db: &sea_orm::DatabaseConnection) -> (i32, i32, referrals::Model) {
        let alice = user(db, "alice").await;
        let admin = user(db, "admin").await;
        let newcomer = user(db, "newcomer").await;
        let link = links::create(db, alice.id, NewLink::default())
            .await
            .unwrap();
        let visitor = Uuid::new_v4();
        hits::record(
            db,
            NewHit {
                link_id: link.id,
                visitor_id: Some(visitor),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        hits::claim(db, visitor, newcomer.id).await.unwrap();
        let referral = attribute_signup(db, &HypeConfig::default(), newcomer.id)
            .await
            .unwrap()
            .unwrap();
        (alice.id, admin.id, referral)
    }

    async fn ledger_sum(db: &sea_orm::DatabaseConnection, user: i32) -> i64 {
        crate::services::ledger::balance(db, user).await.unwrap()
    }

    #[tokio::test]
    async fn confirming_credits_once_and_marks_the_hit() {
        let db = memory_db().await;
        let (alice, admin, referral) = pending_referral(&db).await;
        assert_eq!(
            confirm(&db, referral.id, admin, false, 100).await.unwrap(),
            Outcome::Changed
        );
        assert_eq!(
            confirm(&db, referral.id, admin, false, 100).await.unwrap(),
            Outcome::Unchanged
        );
        assert_eq!(ledger_sum(&db, alice).await, 100);
        let stored = referrals::Entity::find_by_id(referral.id)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.status, ReferralStatus::Confirmed);
        assert_eq!(stored.decided_by, Some(admin));
        let hit = referral_hits::Entity::find_by_id(referral.referral_hit_id.unwrap())
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert!(hit.confirmed.is_some());
        let audit = crate::services::audit::list(&db, None, 10).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].action, "confirm_referral");
    }

    #[tokio::test]
    async fn unconfirming_and_rejecting_write_reversals_never_edits() {
        let db = memory_db().await;
        let (alice, admin, referral) = pending_referral(&db).await;
        confirm(&db, referral.id, admin, false, 100).await.unwrap();
        assert_eq!(
            unconfirm(&db, referral.id, admin).await.unwrap(),
            Outcome::Changed
        );
        assert_eq!(
            unconfirm(&db, referral.id, admin).await.unwrap(),
            Outcome::Unchanged
        );
        assert_eq!(ledger_sum(&db, alice).await, 0);
        // Confirm again: a second credit with its own key; then reject: a second reversal.
        confirm(&db, referral.id, admin, false, 100).await.unwrap();
        assert_eq!(ledger_sum(&db, alice).await, 100);
        assert_eq!(
            reject(&db, referral.id, admin).await.unwrap(),
            Outcome::Changed
        );
        assert_eq!(ledger_sum(&db, alice).await, 0);
        let entries = crate::services::ledger::entries(&db, alice).await.unwrap();
        let amounts: Vec<i64> = entries.iter().rev().map(|e| e.amount).collect();
        assert_eq!(amounts, vec![100, -100, 100, -100]);
        let hit = referral_hits::Entity::find_by_id(referral.referral_hit_id.unwrap())
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert!(hit.confirmed.is_none());
    }

    #[tokio::test]
    async fn rejecting_a_pending_referral_moves_no_points() {
        let db = memory_db().await;
        let (alice, admin, referral) = pending_referral(&db).await;
        assert_eq!(
            reject(&db, referral.id, admin).await.unwrap(),
            Outcome::Changed
        );
        assert_eq!(
            reject(&db, referral.id, admin).await.unwrap(),
            Outcome::Unchanged
        );
        assert_eq!(ledger_sum(&db, alice).await, 0);
        assert!(matches!(
            reject(&db, 9999, admin).await,
            Err(Error::NotFound(_))
        ));
    }

    #[tokio::test]
    async fn a_flagged_referral_needs_the_override_and_the_audit_log_says_so() {
        let db = memory_db().await;
        let (alice, admin, referral) = pending_referral(&db).await;
        crate::services::users::record_ip(&db, alice, "198.51.100.7", false)
            .await
            .unwrap();
        crate::services::users::record_ip(&db, referral.referred_user_id, "198.51.100.7", true)
            .await
            .unwrap();
        referrals::Entity::delete_by_id(referral.id)
            .exec(&db)
            .await
            .unwrap();
        let flagged = attribute_signup(&db, &HypeConfig::default(), referral.referred_user_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(flagged.flags, FLAG_SAME_IP);
        assert!(matches!(
            confirm(&db, flagged.id, admin, false, 100).await,
            Err(Error::Conflict(_))
        ));
        assert_eq!(ledger_sum(&db, alice).await, 0);
        confirm(&db, flagged.id, admin, true, 100).await.unwrap();
        assert_eq!(ledger_sum(&db, alice).await, 100);
        let audit = crate::services::audit::list(&db, None, 10).await.unwrap();
        assert_eq!(audit[0].action, "confirm_referral_override");
        assert!(audit[0].detail.contains(FLAG_SAME_IP));
    }
}
