//! The admin's decisions: confirm (exactly once), reject, unconfirm, and confirming from a
//! hit. Confirming credits the referrer exactly once: the conditional status update and the
//! ledger's unique idempotency key decide, not checks in Rust.
use super::attribution::{record_pending, Rule};
use super::listing::find_for_referred;
use crate::entities::referrals::ReferralStatus;
use crate::entities::{referral_hits, referral_links, referrals, users};
use crate::error::{Error, Result};
use crate::outbox::{emit_referral, EventType};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait,
};

/// Who decides: an admin, or the product through an API key (named in the audit log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user: Option<i32>,
    pub api_key: Option<String>,
}

impl From<i32> for Actor {
    fn from(admin_id: i32) -> Self {
        Self {
            user: Some(admin_id),
            api_key: None,
        }
    }
}

impl Actor {
    pub fn api_key(name: &str) -> Self {
        Self {
            user: None,
            api_key: Some(name.to_owned()),
        }
    }

    /// The audit detail, prefixed with the key when the decision came through one.
    fn detail(&self, detail: String) -> String {
        match (&self.api_key, detail.is_empty()) {
            (Some(key), true) => format!("API key \"{key}\""),
            (Some(key), false) => format!("API key \"{key}\": {detail}"),
            (None, _) => detail,
        }
    }
}

/// The points a confirmation credits: the referrer's, and the referred user's (0: none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rewards {
    pub referrer: i64,
    pub referee: i64,
}

impl Rewards {
    /// The points `config` sets (`HYPE_REWARD_POINTS`, `HYPE_REFEREE_REWARD_POINTS`).
    pub fn of(config: &crate::config::HypeConfig) -> Self {
        Self {
            referrer: config.reward_points,
            referee: config.referee_reward_points,
        }
    }
}

impl From<i64> for Rewards {
    /// The referrer's points alone.
    fn from(referrer: i64) -> Self {
        Self {
            referrer,
            referee: 0,
        }
    }
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
    rewards: impl Into<Rewards>,
) -> Result<Outcome>
where
    C: ConnectionTrait + TransactionTrait,
{
    match decision {
        Decision::Confirm | Decision::ConfirmOverride => {
            let override_flags = decision == Decision::ConfirmOverride;
            confirm(db, referral_id, admin_id, override_flags, rewards).await
        }
        Decision::Reject => reject(db, referral_id, admin_id).await,
        Decision::Unconfirm => unconfirm(db, referral_id, admin_id).await,
    }
}

/// Confirms a referral: in one transaction, status `confirmed` (who, when), the hit's
/// `confirmed` timestamp, one ledger credit of `rewards.referrer` for the referrer (and one of
/// `rewards.referee`, when above 0, for the referred user), one audit entry.
///
/// Confirming a confirmed referral, or two admins confirming at once, yields `Unchanged` for
/// all but one. Errors: `NotFound`; `Conflict` for a flagged referral without `override_flags`,
/// or one without a referrer.
pub async fn confirm<C>(
    db: &C,
    referral_id: i32,
    actor: impl Into<Actor>,
    override_flags: bool,
    rewards: impl Into<Rewards>,
) -> Result<Outcome>
where
    C: ConnectionTrait + TransactionTrait,
{
    let actor = actor.into();
    let rewards = rewards.into();
    let reward = rewards.referrer;
    let txn = db.begin().await?;
    let now = crate::services::now();
    // The conditional write comes first: it takes SQLite's write lock at once (no lock
    // upgrade), and on PostgreSQL a concurrent confirm waits on the row and then finds it
    // no longer pending.
    let mut update = referrals::Entity::update_many()
        .col_expr(
            referrals::Column::Status,
            Expr::value(ReferralStatus::Confirmed),
        )
        .col_expr(referrals::Column::DecidedAt, Expr::value(now))
        .col_expr(referrals::Column::DecidedBy, Expr::value(actor.user))
        .filter(referrals::Column::Id.eq(referral_id))
        .filter(
            referrals::Column::Status.is_in([ReferralStatus::Pending, ReferralStatus::Rejected]),
        )
        .filter(referrals::Column::ReferrerUserId.is_not_null())
        // One its referred user declined stays closed.
        .filter(
            Condition::any()
                .add(referrals::Column::Status.ne(ReferralStatus::Rejected))
                .add(referrals::Column::DecidedBy.is_null())
                .add(
                    Expr::col(referrals::Column::DecidedBy)
                        .ne(Expr::col(referrals::Column::ReferredUserId)),
                ),
        );
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
            ReferralStatus::Rejected if referral.decided_by == Some(referral.referred_user_id) => {
                Err(Error::Conflict(
                    "The referred user declined this referral: it stays closed.".into(),
                ))
            }
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
    let referred_user = users::Entity::find_by_id(referral.referred_user_id)
        .one(&txn)
        .await?;
    let referred = referred_user
        .as_ref()
        .map(|u| u.username.clone())
        .unwrap_or_default();
    let referrer_name = users::Entity::find_by_id(referrer)
        .one(&txn)
        .await?
        .map(|u| u.username)
        .unwrap_or_default();
    use crate::services::ledger::{credit_referral, Credit, Party};
    let credit = |party, user_id, amount, reason| Credit {
        party,
        user_id,
        referral_id,
        referee_id: referral.referred_user_id,
        amount,
        reason,
    };
    // Written with the username; shown as "a friend" to a referrer it is hidden from.
    let reason = format!("Referral of {referred} confirmed");
    credit_referral(&txn, credit(Party::Referrer, referrer, reward, reason), now).await?;
    // A deleted account is not credited.
    let referee_credited = rewards.referee > 0
        && referred_user
            .as_ref()
            .is_some_and(|u| u.deleted_at.is_none());
    if referee_credited {
        let reason = format!("Welcome reward: you joined through {referrer_name}'s link");
        let credit = credit(
            Party::Referee,
            referral.referred_user_id,
            rewards.referee,
            reason,
        );
        credit_referral(&txn, credit, now).await?;
    }
    let action = if override_flags && !referral.flags.is_empty() {
        "confirm_referral_override"
    } else {
        "confirm_referral"
    };
    let mut detail = format!("{referred}: credited {reward} to {referrer_name}");
    if referee_credited {
        detail.push_str(&format!(" and {} to {referred}", rewards.referee));
    }
    if !referral.flags.is_empty() {
        detail.push_str(&format!("; flags overridden: {}", referral.flags));
    }
    crate::services::audit::record(
        &txn,
        actor.user,
        action,
        "referrals",
        referral_id,
        actor.detail(detail),
    )
    .await?;
    let mut events = vec![
        (EventType::ReferralConfirmed, None),
        (EventType::RewardCredited, Some(reward)),
    ];
    if referee_credited {
        events.push((EventType::RefereeRewardCredited, Some(rewards.referee)));
    }
    emit_referral(&txn, referral_id, &events).await?;
    txn.commit().await?;
    Ok(Outcome::Changed)
}

/// Takes a confirmation back: status `pending` again, the hit unconfirmed, and a reversing
/// ledger entry. `Unchanged` when the referral was not confirmed.
pub async fn unconfirm<C>(db: &C, referral_id: i32, actor: impl Into<Actor>) -> Result<Outcome>
where
    C: ConnectionTrait + TransactionTrait,
{
    let actor = actor.into();
    let pending = ReferralStatus::Pending;
    revoke(db, referral_id, &actor, pending, "unconfirm_referral").await
}

/// Rejects a referral. A confirmed one gets a reversing ledger entry; a pending one none.
pub async fn reject<C>(db: &C, referral_id: i32, actor: impl Into<Actor>) -> Result<Outcome>
where
    C: ConnectionTrait + TransactionTrait,
{
    let actor = actor.into();
    let rejected = ReferralStatus::Rejected;
    match revoke(db, referral_id, &actor, rejected, "reject_referral").await? {
        Outcome::Changed => Ok(Outcome::Changed),
        Outcome::Unchanged => {
            let txn = db.begin().await?;
            let now = crate::services::now();
            let from = ReferralStatus::Pending;
            if !transition(&txn, referral_id, &actor, from, rejected, now).await? {
                return unchanged_or_missing(&txn, referral_id).await;
            }
            crate::services::audit::record(
                &txn,
                actor.user,
                "reject_referral",
                "referrals",
                referral_id,
                actor.detail(String::new()),
            )
            .await?;
            emit_referral(&txn, referral_id, &[(EventType::ReferralRejected, None)]).await?;
            txn.commit().await?;
            Ok(Outcome::Changed)
        }
    }
}

/// Moves a confirmed referral to `status`, reversing its last credit.
async fn revoke<C>(
    db: &C,
    referral_id: i32,
    actor: &Actor,
    status: ReferralStatus,
    action: &str,
) -> Result<Outcome>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    let now = crate::services::now();
    let from = ReferralStatus::Confirmed;
    if !transition(&txn, referral_id, actor, from, status, now).await? {
        return unchanged_or_missing(&txn, referral_id).await;
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
    use crate::services::ledger::{reverse_last_credit, Party};
    let referee = referral.referred_user_id;
    let reversed = reverse_last_credit(&txn, Party::Referrer, referral_id, referee, now).await?;
    let referee_reversed =
        reverse_last_credit(&txn, Party::Referee, referral_id, referee, now).await?;
    crate::services::audit::record(
        &txn,
        actor.user,
        action,
        "referrals",
        referral_id,
        actor.detail("reversed the credit".into()),
    )
    .await?;
    let event = match status {
        ReferralStatus::Rejected => EventType::ReferralRejected,
        _ => EventType::ReferralUnconfirmed,
    };
    let reversal = reversed.map(|points| (EventType::RewardReversed, Some(points)));
    let referee_reversal =
        referee_reversed.map(|points| (EventType::RefereeRewardReversed, Some(points)));
    let events: Vec<_> = std::iter::once((event, None))
        .chain(reversal)
        .chain(referee_reversal)
        .collect();
    emit_referral(&txn, referral_id, &events).await?;
    txn.commit().await?;
    Ok(Outcome::Changed)
}

/// The conditional write every decision but confirming starts with: `from` becomes `to`
/// (decided by `actor`, `now`). False when the referral was not `from` (or is missing).
async fn transition(
    txn: &impl ConnectionTrait,
    referral_id: i32,
    actor: &Actor,
    from: ReferralStatus,
    to: ReferralStatus,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool> {
    let changed = referrals::Entity::update_many()
        .col_expr(referrals::Column::Status, Expr::value(to))
        .col_expr(referrals::Column::DecidedAt, Expr::value(now))
        .col_expr(referrals::Column::DecidedBy, Expr::value(actor.user))
        .filter(referrals::Column::Id.eq(referral_id))
        .filter(referrals::Column::Status.eq(from))
        .exec(txn)
        .await?
        .rows_affected;
    Ok(changed > 0)
}

/// After a transition that changed nothing: `Unchanged`, or `NotFound`.
async fn unchanged_or_missing(txn: &impl ConnectionTrait, referral_id: i32) -> Result<Outcome> {
    match referrals::Entity::find_by_id(referral_id).one(txn).await? {
        Some(_) => Ok(Outcome::Unchanged),
        None => Err(Error::NotFound("No such referral.".into())),
    }
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
    rewards: impl Into<Rewards>,
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
            // Another request may have recorded this user's referral in the meantime.
            record_pending(db, user_id, Some(owner), &hit, Rule::AdminPick)
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
    confirm(db, referral.id, admin_id, override_flags, rewards).await
}
