//! The reward ledger: append-only entries; a balance is their sum.
use crate::entities::reward_ledger;
use crate::error::Result;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::HashMap;

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
