//! Referrals: who referred a new user (decided once, at sign-up, from their claimed hits), and
//! the admin's decisions on them. Confirming credits the referrer exactly once: the conditional
//! status update and the ledger's unique idempotency key decide, not checks in Rust.
mod attribution;
mod decisions;
mod listing;

pub use attribution::{attribute_signup, Flag, Rule};
pub use decisions::{
    confirm, confirm_hit, decide, reject, unconfirm, Actor, Decision, Outcome, Rewards,
};
pub use listing::{find_for_referred, list, ReferralRow};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AttributionModel, HypeConfig};
    use crate::entities::referrals::ReferralStatus;
    use crate::entities::{referral_hits, referrals};
    use crate::Error;

    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

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
        assert_eq!(referral.status, ReferralStatus::Pending);
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

    /// alice owns a link; a newcomer followed it and signed up: one pending referral.
    async fn pending_referral(db: &sea_orm::DatabaseConnection) -> (i32, i32, referrals::Model) {
        let alice = user(db, "alice").await;
        let admin = user(db, "admin").await;
        let newcomer = user(db, "newcomer").await;
        let link = links::create(db, alice.id, NewLink::default())
            .await
            .unwrap();
        let visitor = Uuid::new_v4();
        hits::record(
            db,
            NewHit {
                link_id: link.id,
                visitor_id: Some(visitor),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        hits::claim(db, visitor, newcomer.id).await.unwrap();
        let referral = attribute_signup(db, &HypeConfig::default(), newcomer.id)
            .await
            .unwrap()
            .unwrap();
        (alice.id, admin.id, referral)
    }

    async fn ledger_sum(db: &sea_orm::DatabaseConnection, user: i32) -> i64 {
        crate::services::ledger::balance(db, user).await.unwrap()
    }

    #[tokio::test]
    async fn confirming_credits_once_and_marks_the_hit() {
        let db = memory_db().await;
        let (alice, admin, referral) = pending_referral(&db).await;
        assert_eq!(
            confirm(&db, referral.id, admin, false, 100).await.unwrap(),
            Outcome::Changed
        );
        assert_eq!(
            confirm(&db, referral.id, admin, false, 100).await.unwrap(),
            Outcome::Unchanged
        );
        assert_eq!(ledger_sum(&db, alice).await, 100);
        let stored = referrals::Entity::find_by_id(referral.id)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.status, ReferralStatus::Confirmed);
        assert_eq!(stored.decided_by, Some(admin));
        let hit = referral_hits::Entity::find_by_id(referral.referral_hit_id.unwrap())
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert!(hit.confirmed.is_some());
        let audit = crate::services::audit::list(&db, None, 10).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].action, "confirm_referral");
    }

    #[tokio::test]
    async fn unconfirming_and_rejecting_write_reversals_never_edits() {
        let db = memory_db().await;
        let (alice, admin, referral) = pending_referral(&db).await;
        confirm(&db, referral.id, admin, false, 100).await.unwrap();
        assert_eq!(
            unconfirm(&db, referral.id, admin).await.unwrap(),
            Outcome::Changed
        );
        assert_eq!(
            unconfirm(&db, referral.id, admin).await.unwrap(),
            Outcome::Unchanged
        );
        assert_eq!(ledger_sum(&db, alice).await, 0);
        // Confirm again: a second credit with its own key; then reject: a second reversal.
        confirm(&db, referral.id, admin, false, 100).await.unwrap();
        assert_eq!(ledger_sum(&db, alice).await, 100);
        assert_eq!(
            reject(&db, referral.id, admin).await.unwrap(),
            Outcome::Changed
        );
        assert_eq!(ledger_sum(&db, alice).await, 0);
        let entries = crate::services::ledger::entries(&db, alice).await.unwrap();
        let amounts: Vec<i64> = entries.iter().rev().map(|e| e.amount).collect();
        assert_eq!(amounts, vec![100, -100, 100, -100]);
        let hit = referral_hits::Entity::find_by_id(referral.referral_hit_id.unwrap())
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert!(hit.confirmed.is_none());
    }

    #[tokio::test]
    async fn rejecting_a_pending_referral_moves_no_points() {
        let db = memory_db().await;
        let (alice, admin, referral) = pending_referral(&db).await;
        assert_eq!(
            reject(&db, referral.id, admin).await.unwrap(),
            Outcome::Changed
        );
        assert_eq!(
            reject(&db, referral.id, admin).await.unwrap(),
            Outcome::Unchanged
        );
        assert_eq!(ledger_sum(&db, alice).await, 0);
        assert!(matches!(
            reject(&db, 9999, admin).await,
            Err(Error::NotFound(_))
        ));
    }

    #[tokio::test]
    async fn a_flagged_referral_needs_the_override_and_the_audit_log_says_so() {
        let db = memory_db().await;
        let (alice, admin, referral) = pending_referral(&db).await;
        crate::services::users::record_ip(&db, alice, "198.51.100.7", false)
            .await
            .unwrap();
        crate::services::users::record_ip(&db, referral.referred_user_id, "198.51.100.7", true)
            .await
            .unwrap();
        referrals::Entity::delete_by_id(referral.id)
            .exec(&db)
            .await
            .unwrap();
        let flagged = attribute_signup(&db, &HypeConfig::default(), referral.referred_user_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(flagged.flags, Flag::SameIp.as_str());
        assert!(matches!(
            confirm(&db, flagged.id, admin, false, 100).await,
            Err(Error::Conflict(_))
        ));
        assert_eq!(ledger_sum(&db, alice).await, 0);
        confirm(&db, flagged.id, admin, true, 100).await.unwrap();
        assert_eq!(ledger_sum(&db, alice).await, 100);
        let audit = crate::services::audit::list(&db, None, 10).await.unwrap();
        assert_eq!(audit[0].action, "confirm_referral_override");
        assert!(audit[0].detail.contains(Flag::SameIp.as_str()));
    }
}
