//! Referrals: who referred a new user, decided once at sign-up from their claimed hits.
use crate::config::HypeConfig;
use crate::entities::referrals;
use crate::error::Result;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

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
    referrals::Entity::insert(referrals::ActiveModel {
        referred_user_id: Set(user_id),
        referrer_user_id: Set(link.user_id),
        referral_hit_id: Set(Some(hit.id)),
        status: Set(referrals::STATUS_PENDING.into()),
        flags: Set(String::new()),
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
        assert_eq!(referral.status, "pending");
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
}
