//! Writing events: in the caller's transaction, with their deliveries.
use super::event::EventType;
use crate::entities::deliveries::{self, DeliveryState};
use crate::entities::{
    outbox_events, referral_hits, referral_links, referrals, users, webhook_endpoints,
};
use crate::error::Result;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

/// Writes an event and one delivery for each enabled endpoint that wants it. Call it inside
/// the transaction of the change it tells of.
pub async fn emit(
    db: &impl ConnectionTrait,
    event: EventType,
    subject: &str,
    data: serde_json::Value,
) -> Result<()> {
    emit_all(db, subject, vec![(event, data)]).await
}

/// Writes the events one change causes, in order, reading the endpoints once.
async fn emit_all(
    db: &impl ConnectionTrait,
    subject: &str,
    events: Vec<(EventType, serde_json::Value)>,
) -> Result<()> {
    let endpoints = webhook_endpoints::Entity::find()
        .filter(webhook_endpoints::Column::Enabled.eq(true))
        .all(db)
        .await?;
    for (event, data) in events {
        let wanted: Vec<i32> = endpoints
            .iter()
            .filter(|e| event.wanted_by(&e.events))
            .map(|e| e.id)
            .collect();
        insert(db, event, subject, data, &wanted).await?;
    }
    Ok(())
}

/// Writes an event with deliveries to exactly `endpoint_ids`.
pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    event: EventType,
    subject: &str,
    data: serde_json::Value,
    endpoint_ids: &[i32],
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let now = crate::services::now();
    outbox_events::Entity::insert(outbox_events::ActiveModel {
        id: Set(id),
        event_type: Set(event.as_str().to_owned()),
        subject: Set(subject.to_owned()),
        data: Set(data.to_string()),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    if !endpoint_ids.is_empty() {
        deliveries::Entity::insert_many(endpoint_ids.iter().map(|endpoint| {
            deliveries::ActiveModel {
                event_id: Set(id),
                endpoint_id: Set(Some(*endpoint)),
                subject: Set(subject.to_owned()),
                state: Set(DeliveryState::Pending),
                attempts: Set(0),
                next_attempt_at: Set(now),
                leased_until: Set(None),
                last_status: Set(None),
                last_result: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(id)
}

/// Writes the events of one change to a referral, in order, each with the points it moved
/// (rewards) or `None`. Their `data` names the referral, the referrer and referred usernames
/// and the link identifier.
pub async fn emit_referral(
    db: &impl ConnectionTrait,
    referral_id: i32,
    events: &[(EventType, Option<i64>)],
) -> Result<()> {
    let data = referral_data(db, referral_id).await?;
    let events = events
        .iter()
        .map(|&(event, points)| {
            let mut data = data.clone();
            if let (Some(points), Some(map)) = (points, data.as_object_mut()) {
                map.insert("points".into(), json!(points));
            }
            (event, data)
        })
        .collect();
    emit_all(db, &format!("referral:{referral_id}"), events).await
}

/// Writes `user.created`.
pub async fn emit_user_created(db: &impl ConnectionTrait, user: &users::Model) -> Result<()> {
    let data = json!({
        "user": {"id": user.id, "username": user.username},
    });
    emit(
        db,
        EventType::UserCreated,
        &format!("user:{}", user.id),
        data,
    )
    .await
}

async fn referral_data(db: &impl ConnectionTrait, referral_id: i32) -> Result<serde_json::Value> {
    let Some(referral) = referrals::Entity::find_by_id(referral_id).one(db).await? else {
        return Ok(json!({"referral": {"id": referral_id}}));
    };
    let ids = [Some(referral.referred_user_id), referral.referrer_user_id];
    let names: std::collections::HashMap<i32, String> = users::Entity::find()
        .filter(users::Column::Id.is_in(ids.into_iter().flatten()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    let username = |id: Option<i32>| id.and_then(|id| names.get(&id).cloned());
    let referrer = username(referral.referrer_user_id);
    let referred = username(Some(referral.referred_user_id));
    let link = match referral.referral_hit_id {
        Some(hit) => referral_hits::Entity::find_by_id(hit)
            .find_also_related(referral_links::Entity)
            .one(db)
            .await?
            .and_then(|(_, link)| link)
            .map(|link| link.identifier),
        None => None,
    };
    let flags: Vec<&str> = referral
        .flags
        .split(',')
        .filter(|f| !f.is_empty())
        .collect();
    Ok(json!({
        "referral": {
            "id": referral.id,
            "status": referral.status.as_str(),
            "flags": flags,
            "created_at": referral.created_at,
        },
        "referrer": referrer,
        "referred": referred,
        "link": link,
    }))
}
