//! Hits: recording a visit through a link, and claiming a visitor's anonymous hits for a user.
use super::aggregates::{self, Person};
use crate::config::{AttributionModel, HypeConfig};
use crate::entities::{referral_hits, referral_links, users};
use crate::error::Result;
use crate::types::clean_text;
use sea_orm::prelude::DateTimeUtc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait, Set, TransactionTrait,
};
use uuid::Uuid;

pub const MAX_HEADER_CHARS: usize = 1024;
pub const MAX_NEXT_CHARS: usize = 2048;

/// One visit, as the `/ref` handler saw it (raw header bytes; cleaned here).
#[derive(Debug, Clone, Default)]
pub struct NewHit {
    pub link_id: i32,
    pub visitor_id: Option<Uuid>,
    pub user_id: Option<i32>,
    pub ip: Option<String>,
    pub user_agent: Vec<u8>,
    pub referer: Vec<u8>,
    pub next: Vec<u8>,
}

/// Stores a hit and returns its id. The row is committed when this returns. (`/ref` goes
/// through the group-commit writer instead, `crate::writer`, which calls [`store_all`].)
pub async fn record<C: ConnectionTrait + TransactionTrait>(db: &C, hit: NewHit) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let now = super::now();
    let facts = facts(&hit, now);
    store_all(db, &[(active_model(id, hit, now), facts)]).await?;
    Ok(id)
}

/// What the running totals count of a hit.
pub type HitFacts = (chrono::NaiveDate, Option<Person>);

/// Stores `rows` and the running totals that count them, in one transaction.
pub async fn store_all<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    rows: &[(referral_hits::ActiveModel, HitFacts)],
) -> Result<()> {
    let txn = db.begin().await?;
    // One statement per 1,000 rows keeps under every backend's bound-parameter limit.
    for chunk in rows.chunks(1000) {
        referral_hits::Entity::insert_many(chunk.iter().map(|(row, _)| row.clone()))
            .exec_without_returning(&txn)
            .await?;
    }
    aggregates::add_hits(&txn, rows.iter().map(|(_, facts)| *facts)).await?;
    txn.commit().await?;
    Ok(())
}

/// Its UTC day, and who made it.
pub fn facts(hit: &NewHit, at: DateTimeUtc) -> HitFacts {
    let person = match (hit.user_id, hit.visitor_id) {
        (Some(user), _) => Some(Person::User(user)),
        (None, Some(visitor)) => Some(Person::Visitor(visitor)),
        (None, None) => None,
    };
    (at.date_naive(), person)
}

/// The row for `hit`, its text cleaned and capped.
pub fn active_model(id: Uuid, hit: NewHit, now: DateTimeUtc) -> referral_hits::ActiveModel {
    referral_hits::ActiveModel {
        id: Set(id),
        referral_link_id: Set(hit.link_id),
        visitor_id: Set(hit.visitor_id),
        authenticated: Set(hit.user_id.is_some()),
        hit_user_id: Set(hit.user_id),
        ip: Set(hit.ip.map(|ip| clean_text(ip.as_bytes(), 64))),
        user_agent: Set(clean_text(&hit.user_agent, MAX_HEADER_CHARS)),
        http_referer: Set(clean_text(&hit.referer, MAX_HEADER_CHARS)),
        next: Set(clean_text(&hit.next, MAX_NEXT_CHARS)),
        confirmed: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// Gives every unclaimed hit of `visitor_id` to `user_id`, in one statement that never
/// overwrites a hit already claimed. Returns how many hits were claimed.
pub async fn claim<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    visitor_id: Uuid,
    user_id: i32,
) -> Result<u64> {
    let txn = db.begin().await?;
    let result = referral_hits::Entity::update_many()
        .col_expr(referral_hits::Column::HitUserId, Expr::value(user_id))
        .col_expr(referral_hits::Column::UpdatedAt, Expr::value(super::now()))
        .filter(referral_hits::Column::VisitorId.eq(visitor_id))
        .filter(referral_hits::Column::HitUserId.is_null())
        .exec(&txn)
        .await?;
    if result.rows_affected > 0 {
        aggregates::claimed(&txn, visitor_id, user_id).await?;
    }
    txn.commit().await?;
    Ok(result.rows_affected)
}

/// The hit that wins attribution for `user_id`: among their claimed hits inside the window,
/// on a link that has an owner other than them, the latest (or earliest, by the model).
pub async fn winning_hit_for_user(
    db: &impl ConnectionTrait,
    config: &HypeConfig,
    user_id: i32,
) -> Result<Option<(referral_hits::Model, referral_links::Model)>> {
    let since = super::now() - config.attribution_window();
    let query = referral_hits::Entity::find()
        .find_also_related(referral_links::Entity)
        .filter(referral_hits::Column::HitUserId.eq(user_id))
        .filter(referral_hits::Column::CreatedAt.gte(since))
        .filter(referral_links::Column::UserId.is_not_null())
        .filter(referral_links::Column::UserId.ne(user_id));
    let query = match config.attribution_model {
        AttributionModel::LastClick => query
            .order_by_desc(referral_hits::Column::CreatedAt)
            .order_by_desc(referral_hits::Column::Id),
        AttributionModel::FirstClick => query
            .order_by_asc(referral_hits::Column::CreatedAt)
            .order_by_asc(referral_hits::Column::Id),
    };
    Ok(query
        .one(db)
        .await?
        .and_then(|(hit, link)| link.map(|link| (hit, link))))
}

/// The user who would be credited if this anonymous visitor signed up now: the owner of the
/// link of their winning unclaimed hit. Shown on the sign-up page ("invited by …").
pub async fn referrer_for_visitor(
    db: &impl ConnectionTrait,
    config: &HypeConfig,
    visitor_id: Uuid,
) -> Result<Option<users::Model>> {
    let since = super::now() - config.attribution_window();
    let query = users::Entity::find()
        .join(JoinType::InnerJoin, users::Relation::ReferralLinks.def())
        .join(JoinType::InnerJoin, referral_links::Relation::Hits.def())
        .filter(referral_hits::Column::VisitorId.eq(visitor_id))
        .filter(referral_hits::Column::HitUserId.is_null())
        .filter(referral_hits::Column::CreatedAt.gte(since));
    let query = match config.attribution_model {
        AttributionModel::LastClick => query.order_by_desc(referral_hits::Column::CreatedAt),
        AttributionModel::FirstClick => query.order_by_asc(referral_hits::Column::CreatedAt),
    };
    Ok(query.one(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::links::{self, NewLink};
    use crate::test_support::{memory_db, user};

    #[tokio::test]
    async fn claiming_takes_only_unclaimed_hits_of_that_visitor() {
        let db = memory_db().await;
        let alice = user(&db, "alice").await;
        let bob = user(&db, "bob").await;
        let carol = user(&db, "carol").await;
        let link = links::create(&db, alice.id, NewLink::default())
            .await
            .unwrap();
        let visitor = Uuid::new_v4();
        let other_visitor = Uuid::new_v4();
        for v in [visitor, visitor, other_visitor] {
            record(
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
        assert_eq!(claim(&db, visitor, bob.id).await.unwrap(), 2);
        // A second claim of the same visitor by someone else takes nothing.
        assert_eq!(claim(&db, visitor, carol.id).await.unwrap(), 0);
        let bobs = referral_hits::Entity::find()
            .filter(referral_hits::Column::HitUserId.eq(bob.id))
            .all(&db)
            .await
            .unwrap();
        assert_eq!(bobs.len(), 2);
        assert!(bobs.iter().all(|h| h.visitor_id == Some(visitor)));
    }

    #[tokio::test]
    async fn stored_text_is_capped_and_nul_free() {
        let db = memory_db().await;
        let alice = user(&db, "alice").await;
        let link = links::create(&db, alice.id, NewLink::default())
            .await
            .unwrap();
        let id = record(
            &db,
            NewHit {
                link_id: link.id,
                user_agent: b"agent\0x".repeat(500),
                next: vec![b'/'; 5000],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let hit = referral_hits::Entity::find_by_id(id)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hit.user_agent.chars().count(), MAX_HEADER_CHARS);
        assert!(!hit.user_agent.contains('\0'));
        assert_eq!(hit.next.len(), MAX_NEXT_CHARS);
    }
}
