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
    emit_all(db, subject, vec![(event, data, None)]).await
}

/// Writes the events one change causes, in order, reading the endpoints once.
async fn emit_all(
    db: &impl ConnectionTrait,
    subject: &str,
    events: Vec<(EventType, serde_json::Value, Option<i32>)>,
) -> Result<()> {
    let endpoints = webhook_endpoints::Entity::find()
        .filter(webhook_endpoints::Column::Enabled.eq(true))
        .all(db)
        .await?;
    for (event, data, recipient) in events {
        let wanted: Vec<i32> = endpoints
            .iter()
            .filter(|e| event.wanted_by(&e.events))
            .map(|e| e.id)
            .collect();
        insert(db, event, subject, data, &wanted, recipient).await?;
    }
    Ok(())
}

/// Writes a mail-only event with one mail to `recipient` (a user id). Call it inside the
/// transaction of the change it tells of.
pub async fn emit_mail(
    db: &impl ConnectionTrait,
    event: EventType,
    subject: &str,
    data: serde_json::Value,
    recipient: i32,
) -> Result<Uuid> {
    insert(db, event, subject, data, &[], Some(recipient)).await
}

/// Writes an event with deliveries to exactly `endpoint_ids`, and a mail to `recipient`.
pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    event: EventType,
    subject: &str,
    data: serde_json::Value,
    endpoint_ids: &[i32],
    recipient: Option<i32>,
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
    let destinations = endpoint_ids
        .iter()
        .map(|endpoint| (Some(*endpoint), None))
        .chain(recipient.map(|user| (None, Some(user))));
    let rows: Vec<_> = destinations
        .map(|(endpoint, recipient)| deliveries::ActiveModel {
            event_id: Set(id),
            endpoint_id: Set(endpoint),
            recipient_id: Set(recipient),
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
        })
        .collect();
    if !rows.is_empty() {
        deliveries::Entity::insert_many(rows)
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
    let (data, referrer) = referral_data(db, referral_id).await?;
    let events = events
        .iter()
        .map(|&(event, points)| {
            let mut data = data.clone();
            if let (Some(points), Some(map)) = (points, data.as_object_mut()) {
                map.insert("points".into(), json!(points));
            }
            let notice = referrer
                .as_ref()
                .filter(|r| wants_notice(r, event))
                .map(|r| r.id);
            (event, data, notice)
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

/// Whether `user` gets a mail about `event` on a referral of theirs: a notice they asked for,
/// to a confirmed address of an account that still exists.
fn wants_notice(user: &users::Model, event: EventType) -> bool {
    let wanted = match event {
        EventType::ReferralCreated => user.notify_joins,
        EventType::RewardCredited => user.notify_credits,
        _ => false,
    };
    wanted && user.email.is_some() && user.email_confirmed_at.is_some() && user.deleted_at.is_none()
}

/// The event data of a referral, and its referrer.
async fn referral_data(
    db: &impl ConnectionTrait,
    referral_id: i32,
) -> Result<(serde_json::Value, Option<users::Model>)> {
    let Some(referral) = referrals::Entity::find_by_id(referral_id).one(db).await? else {
        return Ok((json!({"referral": {"id": referral_id}}), None));
    };
    let ids = [Some(referral.referred_user_id), referral.referrer_user_id];
    let users: std::collections::HashMap<i32, users::Model> = users::Entity::find()
        .filter(users::Column::Id.is_in(ids.into_iter().flatten()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let username = |id: Option<i32>| id.and_then(|id| users.get(&id).map(|u| u.username.clone()));
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
    let data = json!({
        "referral": {
            "id": referral.id,
            "status": referral.status.as_str(),
            "flags": flags,
            "created_at": referral.created_at,
        },
        "referrer": referrer,
        "referred": referred,
        "link": link,
    });
    let referrer = referral
        .referrer_user_id
        .and_then(|id| users.get(&id).cloned());
    Ok((data, referrer))
}
