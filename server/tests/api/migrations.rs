//! An operator who rolls the last two migrations back, and forward again, keeps every hit, the
//! overview's count of people, and the claimed hits attribution reads. On SQLite the database
//! is a file with a pool of several connections, where a schema change can trip over another
//! connection's stale copy of the schema; on PostgreSQL the rebuild runs inside the migrator's
//! own transaction.
use crate::helpers::*;
use crate::on_both_databases;
use hype::entities::referral_hits;
use hype::services::hits::{self, NewHit};
use hype::services::links::{self, NewLink};
use hype::services::{now, running_totals};
use migration::{Migrator, MigratorTrait};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

on_both_databases!(the_last_migrations_roll_back_and_forward_keeping_the_counts);

async fn the_last_migrations_roll_back_and_forward_keeping_the_counts(db: Db) {
    let database = TestDatabase::create(&db).await;
    let db = &hype::db::connect(&database.url, false).await.unwrap();
    let owner = create_user(db, "owner", false).await;
    let friend = create_user(db, "friend", false).await;
    let link = links::create(db, owner.id, NewLink::default())
        .await
        .unwrap();
    let visit = |visitor_id| NewHit {
        link_id: link.id,
        visitor_id: Some(visitor_id),
        ..Default::default()
    };
    let first = Uuid::now_v7();
    hits::record(db, visit(first)).await.unwrap();
    for _ in 0..2 {
        hits::record(db, visit(Uuid::now_v7())).await.unwrap();
    }
    // The friend signs up after following the link from another browser: their hit is claimed.
    let claimed = Uuid::now_v7();
    hits::record(db, visit(claimed)).await.unwrap();
    assert_eq!(hits::claim(db, claimed, friend.id).await.unwrap(), 1);
    let today = now().date_naive();
    let totals = || running_totals::read(db, today);
    // Only the count is selected: the rolled-back schema lacks columns the entity names.
    let friends_hits = || {
        referral_hits::Entity::find()
            .select_only()
            .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
            .filter(referral_hits::Column::HitUserId.eq(friend.id))
            .into_tuple::<i64>()
            .one(db)
    };
    assert_eq!(totals().await.unwrap().1, 4);

    Migrator::down(db, Some(2)).await.unwrap();
    assert_eq!(totals().await.unwrap().1, 4);
    assert_eq!(friends_hits().await.unwrap(), Some(1));
    Migrator::up(db, None).await.unwrap();
    hits::record(db, visit(Uuid::now_v7())).await.unwrap();
    assert_eq!(totals().await.unwrap().1, 5);
    assert_eq!(friends_hits().await.unwrap(), Some(1));
    // A visitor seen before both rebuilds is still known: coming back adds a hit, not a person.
    hits::record(db, visit(first)).await.unwrap();
    let (days, people) = totals().await.unwrap();
    assert_eq!((days.get(&today), people), (Some(&6), 5));
    assert_eq!(
        hits::winning_hit_for_user(db, &hype::HypeConfig::default(), friend.id)
            .await
            .unwrap()
            .map(|(hit, _)| hit.visitor_id),
        Some(Some(claimed)),
        "attribution still finds the friend's claimed hit"
    );
}
