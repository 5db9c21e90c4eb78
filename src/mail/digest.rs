//! The admins' review digest: at most one an hour, and only when referrals arrived in the
//! previous hour and are still waiting. Every instance may try; the event's id is made from
//! the hour, so the first insert wins and the others insert nothing.
use crate::entities::deliveries::DeliveryState;
use crate::entities::referrals::{self, ReferralStatus};
use crate::entities::{deliveries, outbox_events, users};
use crate::error::Result;
use crate::outbox::EventType;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set,
    TransactionTrait,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Queues the digest of the hour before `now`'s, unless it exists or there is nothing new.
/// Returns whether it was queued.
pub async fn queue<C>(db: &C, now: DateTime<Utc>) -> Result<bool>
where
    C: ConnectionTrait + TransactionTrait,
{
    let hour = now
        .duration_trunc(TimeDelta::hours(1))
        .map_err(|e| crate::Error::Internal(format!("truncating the time: {e}")))?;
    let id = event_id(hour);
    if outbox_events::Entity::find_by_id(id)
        .one(db)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let pending =
        || referrals::Entity::find().filter(referrals::Column::Status.eq(ReferralStatus::Pending));
    let new = pending()
        .filter(referrals::Column::CreatedAt.gte(hour - TimeDelta::hours(1)))
        .filter(referrals::Column::CreatedAt.lt(hour))
        .count(db)
        .await?;
    if new == 0 {
        return Ok(false);
    }
    let waiting = pending().count(db).await?;
    let admins: Vec<i32> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::IsAdmin.eq(true))
        .filter(users::Column::NotifyDigest.eq(true))
        .filter(users::Column::EmailConfirmedAt.is_not_null())
        .filter(users::Column::DeletedAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    let txn = db.begin().await?;
    let inserted = outbox_events::Entity::insert(outbox_events::ActiveModel {
        id: Set(id),
        event_type: Set(EventType::ReviewDigest.as_str().to_owned()),
        subject: Set("review-digest".to_owned()),
        data: Set(serde_json::json!({
            "hour": hour,
            "new": new,
            "waiting": waiting,
        })
        .to_string()),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(outbox_events::Column::Id)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted == 0 {
        return Ok(false);
    }
    if !admins.is_empty() {
        deliveries::Entity::insert_many(admins.into_iter().map(|admin| deliveries::ActiveModel {
            event_id: Set(id),
            endpoint_id: Set(None),
            recipient_id: Set(Some(admin)),
            subject: Set("review-digest".to_owned()),
            state: Set(DeliveryState::Pending),
            attempts: Set(0),
            next_attempt_at: Set(now),
            leased_until: Set(None),
            last_status: Set(None),
            last_result: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// The same id for the same hour, on every instance.
fn event_id(hour: DateTime<Utc>) -> Uuid {
    let digest = Sha256::digest(format!("hype review digest {}", hour.to_rfc3339()).as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::new_v8(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{memory_db, user};

    #[tokio::test]
    async fn one_digest_an_hour_and_only_for_new_referrals() {
        let db = memory_db().await;
        let now = crate::services::now();
        let hour = now.duration_trunc(TimeDelta::hours(1)).unwrap();
        assert!(!queue(&db, now).await.unwrap(), "nothing waits");
        let referrer = user(&db, "alice").await;
        let referred = user(&db, "bob").await;
        referrals::Entity::insert(referrals::ActiveModel {
            referred_user_id: Set(referred.id),
            referrer_user_id: Set(Some(referrer.id)),
            status: Set(ReferralStatus::Pending),
            flags: Set(String::new()),
            created_at: Set(hour - TimeDelta::minutes(30)),
            ..Default::default()
        })
        .exec(&db)
        .await
        .unwrap();
        assert!(
            queue(&db, now).await.unwrap(),
            "a referral arrived last hour"
        );
        assert!(!queue(&db, now).await.unwrap(), "one digest an hour");
        assert!(
            !queue(&db, now + TimeDelta::hours(1)).await.unwrap(),
            "nothing new in the hour after"
        );
        let events = outbox_events::Entity::find().all(&db).await.unwrap();
        assert_eq!(events.len(), 1);
        assert!(
            events[0].data.contains("\"waiting\":1"),
            "{}",
            events[0].data
        );
    }
}
