//! Per-link counts for "My links": hits, unique visitors, sign-ups, confirmed referrals.
use crate::entities::{referral_hits, referrals};
use crate::error::Result;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QuerySelect,
    QueryTrait, RelationTrait,
};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    pub hits: i64,
    /// Distinct people: a signed-in user counts once, an anonymous visitor once.
    pub visitors: i64,
    /// Users whose referral went to this link.
    pub signups: i64,
    pub confirmed: i64,
}

#[derive(FromQueryResult)]
struct HitRow {
    referral_link_id: i32,
    hits: i64,
    users: i64,
    anonymous: i64,
}

#[derive(FromQueryResult)]
struct ReferralRow {
    referral_link_id: i32,
    signups: i64,
    confirmed: i64,
}

/// Counts for each of `link_ids` (two grouped queries, whatever the number of links).
pub async fn for_links(
    db: &impl ConnectionTrait,
    link_ids: &[i32],
) -> Result<HashMap<i32, LinkStats>> {
    let mut stats: HashMap<i32, LinkStats> = HashMap::new();
    if link_ids.is_empty() {
        return Ok(stats);
    }
    let [hit_statement, referral_statement] =
        for_links_statements(db.get_database_backend(), link_ids);
    for row in HitRow::find_by_statement(hit_statement).all(db).await? {
        let entry = stats.entry(row.referral_link_id).or_default();
        entry.hits = row.hits;
        entry.visitors = row.users + row.anonymous;
    }
    for row in ReferralRow::find_by_statement(referral_statement)
        .all(db)
        .await?
    {
        let entry = stats.entry(row.referral_link_id).or_default();
        entry.signups = row.signups;
        entry.confirmed = row.confirmed;
    }
    Ok(stats)
}

/// The two grouped queries behind [`for_links`]; public so `examples/plans.rs` can show their
/// query plans.
pub fn for_links_statements(
    backend: sea_orm::DatabaseBackend,
    link_ids: &[i32],
) -> [sea_orm::Statement; 2] {
    let hits = referral_hits::Entity::find()
        .select_only()
        .column(referral_hits::Column::ReferralLinkId)
        .column_as(Expr::cust("COUNT(*)"), "hits")
        .column_as(Expr::cust("COUNT(DISTINCT hit_user_id)"), "users")
        .column_as(
            Expr::cust("COUNT(DISTINCT CASE WHEN hit_user_id IS NULL THEN visitor_id END)"),
            "anonymous",
        )
        .filter(referral_hits::Column::ReferralLinkId.is_in(link_ids.iter().copied()))
        .filter(referral_hits::Column::IsBot.eq(false))
        .group_by(referral_hits::Column::ReferralLinkId)
        .build(backend);
    let referrals = referrals::Entity::find()
        .select_only()
        .column_as(referral_hits::Column::ReferralLinkId, "referral_link_id")
        .column_as(Expr::cust("COUNT(*)"), "signups")
        .column_as(
            Expr::cust(
                "COALESCE(SUM(CASE WHEN referrals.status = 'confirmed' THEN 1 ELSE 0 END), 0)",
            ),
            "confirmed",
        )
        .join(JoinType::InnerJoin, referrals::Relation::Hit.def())
        .filter(referral_hits::Column::ReferralLinkId.is_in(link_ids.iter().copied()))
        .group_by(referral_hits::Column::ReferralLinkId)
        .build(backend);
    [hits, referrals]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HypeConfig;
    use crate::services::hits::{self, NewHit};
    use crate::services::links::{self, NewLink};
    use crate::services::referrals::attribute_signup;
    use crate::test_support::{memory_db, user};
    use uuid::Uuid;

    #[tokio::test]
    async fn a_visitor_who_signs_up_counts_once_as_visitor_and_once_as_signup() {
        let db = memory_db().await;
        let alice = user(&db, "alice").await;
        let link = links::create(&db, alice.id, NewLink::default())
            .await
            .unwrap();
        let other = links::create(&db, alice.id, NewLink::default())
            .await
            .unwrap();
        let visitor = Uuid::new_v4();
        let stranger = Uuid::new_v4();
        for v in [visitor, visitor, stranger] {
            hits::record(
                &db,
                NewHit {
                    link_id: link.id,
                    visitor_id: Some(v),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        }
        let newcomer = user(&db, "newcomer").await;
        hits::claim(&db, visitor, newcomer.id).await.unwrap();
        attribute_signup(&db, &HypeConfig::default(), newcomer.id)
            .await
            .unwrap();
        // The newcomer follows the link again, now signed in.
        hits::record(
            &db,
            NewHit {
                link_id: link.id,
                user_id: Some(newcomer.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();

        let stats = for_links(&db, &[link.id, other.id]).await.unwrap();
        assert_eq!(
            stats[&link.id],
            LinkStats {
                hits: 4,
                visitors: 2,
                signups: 1,
                confirmed: 0
            }
        );
        assert_eq!(
            stats.get(&other.id).copied().unwrap_or_default(),
            LinkStats::default()
        );
    }
}
