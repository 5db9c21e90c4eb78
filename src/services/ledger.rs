//! The reward ledger: append-only entries; a balance is their sum.
use crate::entities::{referrals, reward_ledger, users};
use crate::error::Result;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;

/// Who a referral's ledger entry is for. Each has its own series of idempotency keys:
/// `referral-<id>-credit-<n>` and `referral-<id>-reversal-<n>` for the referrer,
/// `referral-<id>-referee-credit-<n>` and `referral-<id>-referee-reversal-<n>` for the
/// referred user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Referrer,
    Referee,
}

impl Party {
    fn key_prefix(self) -> &'static str {
        match self {
            Self::Referrer => "",
            Self::Referee => "referee-",
        }
    }

    /// This party's entries of a referral whose referred user is `referee_id`.
    fn entries(self, referral_id: i32, referee_id: i32) -> sea_orm::Select<reward_ledger::Entity> {
        let of_referral =
            reward_ledger::Entity::find().filter(reward_ledger::Column::ReferralId.eq(referral_id));
        match self {
            Self::Referrer => of_referral.filter(reward_ledger::Column::UserId.ne(referee_id)),
            Self::Referee => of_referral.filter(reward_ledger::Column::UserId.eq(referee_id)),
        }
    }
}

/// A credit for a confirmed referral.
#[derive(Debug, Clone)]
pub struct Credit {
    pub party: Party,
    /// Who is credited.
    pub user_id: i32,
    pub referral_id: i32,
    /// The referral's referred user.
    pub referee_id: i32,
    pub amount: i64,
    pub reason: String,
}

/// Writes `credit`. The n-th credit of a party on a referral carries the n-th key of its
/// series, so two writers that both think they add the n-th collide on the ledger's unique key
/// instead of crediting twice.
pub async fn credit_referral(
    db: &impl ConnectionTrait,
    credit: Credit,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let Credit {
        party, referral_id, ..
    } = credit;
    let credits = party
        .entries(referral_id, credit.referee_id)
        .filter(reward_ledger::Column::Amount.gt(0))
        .count(db)
        .await?;
    let prefix = party.key_prefix();
    reward_ledger::Entity::insert(reward_ledger::ActiveModel {
        user_id: Set(credit.user_id),
        amount: Set(credit.amount),
        reason: Set(credit.reason),
        referral_id: Set(Some(referral_id)),
        idempotency_key: Set(format!(
            "referral-{referral_id}-{prefix}credit-{}",
            credits + 1
        )),
        created_at: Set(at),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Reverses `party`'s last credit on `referral_id` (whose referred user is `referee_id`) with
/// a new negative entry, the ledger being never edited, unless every credit of theirs is
/// reversed already. Returns the points taken back, if any.
pub async fn reverse_last_credit(
    db: &impl ConnectionTrait,
    party: Party,
    referral_id: i32,
    referee_id: i32,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Option<i64>> {
    let entries = || party.entries(referral_id, referee_id);
    let credits = entries()
        .filter(reward_ledger::Column::Amount.gt(0))
        .count(db)
        .await?;
    let reversals = entries()
        .filter(reward_ledger::Column::Amount.lt(0))
        .count(db)
        .await?;
    if credits <= reversals {
        return Ok(None);
    }
    let Some(credit) = entries()
        .filter(reward_ledger::Column::Amount.gt(0))
        .order_by_desc(reward_ledger::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let prefix = party.key_prefix();
    reward_ledger::Entity::insert(reward_ledger::ActiveModel {
        user_id: Set(credit.user_id),
        amount: Set(-credit.amount),
        reason: Set(format!("Reversal: {}", credit.reason)),
        referral_id: Set(Some(referral_id)),
        idempotency_key: Set(format!(
            "referral-{referral_id}-{prefix}reversal-{}",
            reversals + 1
        )),
        created_at: Set(at),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(Some(credit.amount))
}

pub async fn balance(db: &impl ConnectionTrait, user_id: i32) -> Result<i64> {
    Ok(balances(db, &[user_id])
        .await?
        .get(&user_id)
        .copied()
        .unwrap_or(0))
}

#[derive(FromQueryResult)]
struct BalanceRow {
    user_id: i32,
    balance: i64,
}

/// The balance of each of `user_ids` (absent: zero).
pub async fn balances(db: &impl ConnectionTrait, user_ids: &[i32]) -> Result<HashMap<i32, i64>> {
    if user_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = reward_ledger::Entity::find()
        .select_only()
        .column(reward_ledger::Column::UserId)
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(amount), 0) AS BIGINT)"),
            "balance",
        )
        .filter(reward_ledger::Column::UserId.is_in(user_ids.iter().copied()))
        .group_by(reward_ledger::Column::UserId)
        .into_model::<BalanceRow>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.user_id, r.balance)).collect())
}

/// A user's entries, newest first.
pub async fn entries(db: &impl ConnectionTrait, user_id: i32) -> Result<Vec<reward_ledger::Model>> {
    Ok(reward_ledger::Entity::find()
        .filter(reward_ledger::Column::UserId.eq(user_id))
        .order_by_desc(reward_ledger::Column::Id)
        .limit(500)
        .all(db)
        .await?)
}

/// `user_id`'s entries, newest first, as that user is shown them: where the person they
/// referred asked to be hidden from them, the reason says "a friend" instead of a username.
pub async fn entries_shown(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Vec<reward_ledger::Model>> {
    let mut entries = entries(db, user_id).await?;
    let referral_ids: Vec<i32> = entries.iter().filter_map(|e| e.referral_id).collect();
    if referral_ids.is_empty() {
        return Ok(entries);
    }
    let referred: HashMap<i32, i32> = referrals::Entity::find()
        .filter(referrals::Column::Id.is_in(referral_ids))
        .filter(referrals::Column::ReferredUserId.ne(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.referred_user_id))
        .collect();
    let hidden: HashMap<i32, String> = users::Entity::find()
        .filter(users::Column::Id.is_in(referred.values().copied()))
        .filter(users::Column::HiddenFromReferrer.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    for entry in &mut entries {
        let name = entry
            .referral_id
            .and_then(|id| referred.get(&id))
            .and_then(|referee| hidden.get(referee));
        if let Some(name) = name {
            entry.reason = hide_referred(&entry.reason, name);
        }
    }
    Ok(entries)
}

/// `reason` with "Referral of <username> confirmed" made "Referral of a friend confirmed".
pub fn hide_referred(reason: &str, username: &str) -> String {
    reason.replace(
        &format!("Referral of {username} confirmed"),
        &format!("Referral of {} confirmed", super::HIDDEN_REFEREE),
    )
}
