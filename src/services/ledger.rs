//! The reward ledger: append-only entries; a balance is their sum.
use crate::entities::reward_ledger;
use crate::error::Result;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;

/// Credits `user_id` with `amount` for a confirmation of `referral_id`. The n-th credit of a
/// referral carries the idempotency key `referral-<id>-credit-<n>`, so two writers that both
/// think they add the n-th collide on the ledger's unique key instead of crediting twice.
pub async fn credit_referral(
    db: &impl ConnectionTrait,
    user_id: i32,
    referral_id: i32,
    amount: i64,
    reason: String,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let credits = reward_ledger::Entity::find()
        .filter(reward_ledger::Column::ReferralId.eq(referral_id))
        .filter(reward_ledger::Column::Amount.gt(0))
        .count(db)
        .await?;
    reward_ledger::Entity::insert(reward_ledger::ActiveModel {
        user_id: Set(user_id),
        amount: Set(amount),
        reason: Set(reason),
        referral_id: Set(Some(referral_id)),
        idempotency_key: Set(format!("referral-{referral_id}-credit-{}", credits + 1)),
        created_at: Set(at),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Reverses the last credit of `referral_id`, if it has one, with a new negative entry (the
/// ledger is never edited). Keyed `referral-<id>-reversal-<n>` like the credits. Returns the
/// points taken back, if any.
pub async fn reverse_last_credit(
    db: &impl ConnectionTrait,
    referral_id: i32,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Option<i64>> {
    let last_credit = reward_ledger::Entity::find()
        .filter(reward_ledger::Column::ReferralId.eq(referral_id))
        .filter(reward_ledger::Column::Amount.gt(0))
        .order_by_desc(reward_ledger::Column::Id)
        .one(db)
        .await?;
    let Some(credit) = last_credit else {
        return Ok(None);
    };
    let reversals = reward_ledger::Entity::find()
        .filter(reward_ledger::Column::ReferralId.eq(referral_id))
        .filter(reward_ledger::Column::Amount.lt(0))
        .count(db)
        .await?;
    reward_ledger::Entity::insert(reward_ledger::ActiveModel {
        user_id: Set(credit.user_id),
        amount: Set(-credit.amount),
        reason: Set(format!("Reversal: {}", credit.reason)),
        referral_id: Set(Some(referral_id)),
        idempotency_key: Set(format!("referral-{referral_id}-reversal-{}", reversals + 1)),
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
