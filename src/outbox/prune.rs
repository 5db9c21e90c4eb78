//! Forgetting what was told long ago: deliveries that ended (delivered or failed) over
//! [`KEEP`] ago, then the events that old with no delivery left. Pending deliveries and their
//! events stay whatever their age. Each instance's worker prunes once an hour; the deletes are
//! in chunks, so a large first prune never holds SQLite's write lock for long.
use crate::entities::deliveries::{self, DeliveryState};
use crate::entities::outbox_events;
use crate::error::Result;
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

/// How long an ended delivery, and an event, is kept.
pub const KEEP: TimeDelta = TimeDelta::days(30);
/// Rows deleted per statement.
const CHUNK: u64 = 5_000;

/// What one prune removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub deliveries: u64,
    pub events: u64,
}

/// Removes the deliveries that ended before `now - KEEP`, then the events created before it
/// that have no delivery left.
pub async fn prune(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Pruned> {
    let before = now - KEEP;
    let mut pruned = Pruned::default();
    loop {
        let ended: Vec<i64> = deliveries::Entity::find()
            .select_only()
            .column(deliveries::Column::Id)
            .filter(deliveries::Column::State.ne(DeliveryState::Pending))
            .filter(deliveries::Column::UpdatedAt.lt(before))
            .limit(CHUNK)
            .into_tuple()
            .all(db)
            .await?;
        if ended.is_empty() {
            break;
        }
        let deleted = deliveries::Entity::delete_many()
            .filter(deliveries::Column::Id.is_in(ended.iter().copied()))
            // Not redelivered meanwhile (which makes it pending).
            .filter(deliveries::Column::State.ne(DeliveryState::Pending))
            .exec(db)
            .await?
            .rows_affected;
        pruned.deliveries += deleted;
        if (ended.len() as u64) < CHUNK {
            break;
        }
    }
    loop {
        let old: Vec<uuid::Uuid> = outbox_events::Entity::find()
            .select_only()
            .column(outbox_events::Column::Id)
            .filter(outbox_events::Column::CreatedAt.lt(before))
            .filter(outbox_events::Column::Id.not_in_subquery(with_deliveries()))
            .limit(CHUNK)
            .into_tuple()
            .all(db)
            .await?;
        if old.is_empty() {
            break;
        }
        pruned.events += outbox_events::Entity::delete_many()
            .filter(outbox_events::Column::Id.is_in(old.iter().copied()))
            // Still without a delivery.
            .filter(outbox_events::Column::Id.not_in_subquery(with_deliveries()))
            .exec(db)
            .await?
            .rows_affected;
        if (old.len() as u64) < CHUNK {
            break;
        }
    }
    Ok(pruned)
}

/// `SELECT event_id FROM deliveries`: the events something is still told of, or was lately.
fn with_deliveries() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(deliveries::Column::EventId)
        .from(deliveries::Entity)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::memory_db;
    use sea_orm::{ActiveModelTrait, PaginatorTrait, Set};
    use uuid::Uuid;

    async fn event(db: &impl ConnectionTrait, at: DateTime<Utc>) -> Uuid {
        let id = Uuid::now_v7();
        outbox_events::ActiveModel {
            id: Set(id),
            event_type: Set("referral.created".into()),
            subject: Set("referral:1".into()),
            data: Set("{}".into()),
            created_at: Set(at),
        }
        .insert(db)
        .await
        .unwrap();
        id
    }

    async fn delivery(
        db: &impl ConnectionTrait,
        event_id: Uuid,
        state: DeliveryState,
        at: DateTime<Utc>,
    ) {
        deliveries::ActiveModel {
            event_id: Set(event_id),
            endpoint_id: Set(None),
            recipient_id: Set(None),
            subject: Set("referral:1".into()),
            state: Set(state),
            attempts: Set(1),
            next_attempt_at: Set(at),
            leased_until: Set(None),
            last_status: Set(None),
            last_result: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn ended_deliveries_and_their_events_go_after_thirty_days() {
        let db = memory_db().await;
        let now = crate::services::now();
        let old = now - KEEP - TimeDelta::hours(1);
        let recent = now - KEEP + TimeDelta::hours(1);
        // Told long ago and delivered, failed, or to nobody: forgotten.
        let delivered = event(&db, old).await;
        delivery(&db, delivered, DeliveryState::Delivered, old).await;
        let failed = event(&db, old).await;
        delivery(&db, failed, DeliveryState::Failed, old).await;
        event(&db, old).await;
        // Still being tried after a month: kept, with its event.
        let pending = event(&db, old).await;
        delivery(&db, pending, DeliveryState::Pending, old).await;
        // Old, but delivered lately (a redelivery): kept.
        let redelivered = event(&db, old).await;
        delivery(&db, redelivered, DeliveryState::Delivered, recent).await;
        // Recent: kept.
        let fresh = event(&db, recent).await;
        delivery(&db, fresh, DeliveryState::Delivered, recent).await;

        let pruned = prune(&db, now).await.unwrap();
        assert_eq!(
            pruned,
            Pruned {
                deliveries: 2,
                events: 3
            }
        );
        let mut kept: Vec<Uuid> = outbox_events::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect();
        kept.sort();
        let mut expected = vec![pending, redelivered, fresh];
        expected.sort();
        assert_eq!(kept, expected);
        assert_eq!(deliveries::Entity::find().count(&db).await.unwrap(), 3);
        assert_eq!(
            prune(&db, now).await.unwrap(),
            Pruned::default(),
            "nothing twice"
        );
    }
}
