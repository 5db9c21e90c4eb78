//! The admin overview: totals, hits per day for 30 days and the top referrers, read from the
//! running totals where they are kept.
use crate::entities::{referral_links, referrals, users};
use crate::error::Result;
use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, JoinType, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overview {
    pub users: u64,
    pub links: u64,
    pub hits_today: u64,
    pub hits_7d: u64,
    pub hits_30d: u64,
    pub unique_visitors: i64,
    pub referred_signups: u64,
    pub pending: u64,
    pub confirmed: u64,
    /// Hits per UTC day for the last 30 days, oldest first, days without hits included.
    pub daily: Vec<(NaiveDate, i64)>,
    /// (username, confirmed referrals), best first, at most 10.
    pub top_referrers: Vec<(String, i64)>,
}

pub async fn overview(db: &impl ConnectionTrait) -> Result<Overview> {
    let now = super::now();
    let today = now.date_naive();
    let count_status = |status: referrals::ReferralStatus| {
        referrals::Entity::find()
            .filter(referrals::Column::Status.eq(status))
            .count(db)
    };
    // Hits per day and distinct people come from the running totals, not from the hits.
    let (counted, visitors) =
        super::running_totals::read(db, today - chrono::Duration::days(29)).await?;
    let daily: Vec<(NaiveDate, i64)> = (0..30)
        .rev()
        .map(|back| {
            let day = today - chrono::Duration::days(back);
            (day, counted.get(&day).copied().unwrap_or(0))
        })
        .collect();
    let hits_in_last = |days: usize| -> u64 {
        daily
            .iter()
            .rev()
            .take(days)
            .map(|(_, n)| *n.max(&0) as u64)
            .sum()
    };
    let (hits_today, hits_7d, hits_30d) = (hits_in_last(1), hits_in_last(7), hits_in_last(30));

    #[derive(FromQueryResult)]
    struct Top {
        username: String,
        n: i64,
    }
    let (r, u) = (Alias::new("r"), Alias::new("u"));
    let mut top = Query::select();
    top.expr_as(
        Expr::col((u.clone(), users::Column::Username)),
        Alias::new("username"),
    )
    .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
    .from_as(referrals::Entity, r.clone())
    .join_as(
        JoinType::InnerJoin,
        users::Entity,
        u.clone(),
        Expr::col((u.clone(), users::Column::Id))
            .equals((r.clone(), referrals::Column::ReferrerUserId)),
    )
    .and_where(Expr::col((r, referrals::Column::Status)).eq(referrals::ReferralStatus::Confirmed))
    .group_by_col((u.clone(), users::Column::Username))
    .order_by_expr(Expr::cust("COUNT(*)"), Order::Desc)
    .order_by((u, users::Column::Username), Order::Asc)
    .limit(10);
    let top_referrers = Top::find_by_statement(db.get_database_backend().build(&top))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.username, t.n))
        .collect();

    Ok(Overview {
        users: users::Entity::find().count(db).await?,
        links: referral_links::Entity::find().count(db).await?,
        hits_today,
        hits_7d,
        hits_30d,
        unique_visitors: visitors,
        referred_signups: referrals::Entity::find().count(db).await?,
        pending: count_status(referrals::ReferralStatus::Pending).await?,
        confirmed: count_status(referrals::ReferralStatus::Confirmed).await?,
        daily,
        top_referrers,
    })
}
