//! Referrals as the admin queue and the Rewards page list them.
use crate::entities::referrals::ReferralStatus;
use crate::entities::{referral_hits, referral_links, referrals, users};
use crate::error::Result;
use sea_orm::sea_query::{Alias, Expr, JoinType, Order, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter};

/// A referral as the admin queue shows it.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ReferralRow {
    pub id: i32,
    pub referred: Option<String>,
    /// The referred user asked that their referrer see "a friend" instead of `referred`.
    pub referred_hidden: Option<bool>,
    pub referrer: Option<String>,
    pub identifier: Option<String>,
    pub referral_hit_id: Option<uuid::Uuid>,
    pub hit_at: Option<chrono::DateTime<chrono::Utc>>,
    pub status: ReferralStatus,
    pub flags: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
    pub decided_by: Option<String>,
    /// How many conversions the product reported for the referred user.
    pub conversions: i64,
    /// The latest one's event (`purchase`).
    pub last_conversion: Option<String>,
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
            Expr::col((a.clone(), users::Column::HiddenFromReferrer)),
            Alias::new("referred_hidden"),
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
        .expr_as(
            Expr::cust(
                "(SELECT CAST(COUNT(*) AS BIGINT) FROM conversions c WHERE c.referral_id = r.id)",
            ),
            Alias::new("conversions"),
        )
        .expr_as(
            Expr::cust(
                "(SELECT c.event FROM conversions c WHERE c.referral_id = r.id \
                 ORDER BY c.id DESC LIMIT 1)",
            ),
            Alias::new("last_conversion"),
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

/// The referral of `user_id`, if they were referred.
pub async fn find_for_referred(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Option<referrals::Model>> {
    Ok(referrals::Entity::find()
        .filter(referrals::Column::ReferredUserId.eq(user_id))
        .one(db)
        .await?)
}
