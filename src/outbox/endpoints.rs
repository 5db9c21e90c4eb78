//! Webhook endpoints: created by admins (page or CLI), each with its own signing secret,
//! shown once.
use super::event::EventType;
use crate::entities::deliveries::{self, DeliveryState};
use crate::entities::{outbox_events, webhook_endpoints};
use crate::error::{Error, Result};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

/// Checks a target URL: absolute `http` or `https`, with a host and no credentials. Where it
/// points is checked again at each send, on the address it resolves to then.
pub fn parse_url(raw: &str) -> Result<url::Url> {
    let url = url::Url::parse(raw.trim()).map_err(|e| {
        Error::invalid(format!(
            "The webhook URL is not a valid absolute URL ({e}): write it as https://example.com/hooks."
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::invalid(
            "A webhook URL must start with http:// or https://.",
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid("The webhook URL has no host."));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid(
            "Leave credentials out of the webhook URL: receivers check the signature instead.",
        ));
    }
    Ok(url)
}

/// An endpoint's `events` as people read them: "every event" or "a, b".
pub fn describe_events(events: &str) -> String {
    if events.is_empty() {
        "every event".to_owned()
    } else {
        events.replace(',', ", ")
    }
}

/// Parses an event list (`referral.confirmed,reward.credited`); empty means every event.
pub fn parse_events(raw: &str) -> Result<String> {
    let mut events = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let event: EventType = part.parse().map_err(Error::Invalid)?;
        if !events.contains(&event.as_str()) {
            events.push(event.as_str());
        }
    }
    Ok(events.join(","))
}

/// Creates an endpoint; returns it with its secret (the only time the secret leaves the site).
/// The audit log records who (`None`: the command line).
pub async fn create<C>(
    db: &C,
    actor: Option<i32>,
    url: &str,
    events: &str,
) -> Result<webhook_endpoints::Model>
where
    C: ConnectionTrait + TransactionTrait,
{
    let url = parse_url(url)?;
    let events = parse_events(events)?;
    let txn = db.begin().await?;
    let endpoint = webhook_endpoints::ActiveModel {
        url: Set(url.to_string()),
        secret: Set(super::signing::new_secret()),
        events: Set(events),
        enabled: Set(true),
        disabled_reason: Set(None),
        failing_since: Set(None),
        created_at: Set(crate::services::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    crate::services::audit::record(
        &txn,
        actor,
        "create_webhook",
        "webhook_endpoints",
        endpoint.id,
        endpoint.url.clone(),
    )
    .await?;
    txn.commit().await?;
    Ok(endpoint)
}

pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<webhook_endpoints::Model>> {
    Ok(webhook_endpoints::Entity::find()
        .order_by_asc(webhook_endpoints::Column::Id)
        .all(db)
        .await?)
}

/// Enables or disables an endpoint. Enabling clears why the site had disabled it.
pub async fn set_enabled<C>(db: &C, actor: i32, id: i32, enabled: bool) -> Result<()>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    let changed = webhook_endpoints::Entity::update_many()
        .col_expr(webhook_endpoints::Column::Enabled, Expr::value(enabled))
        .col_expr(
            webhook_endpoints::Column::DisabledReason,
            Expr::value(None::<String>),
        )
        .col_expr(
            webhook_endpoints::Column::FailingSince,
            Expr::value(None::<chrono::DateTime<chrono::Utc>>),
        )
        .filter(webhook_endpoints::Column::Id.eq(id))
        .exec(&txn)
        .await?
        .rows_affected;
    if changed == 0 {
        return Err(Error::NotFound("No such webhook endpoint.".into()));
    }
    let action = if enabled {
        "enable_webhook"
    } else {
        "disable_webhook"
    };
    crate::services::audit::record(&txn, actor, action, "webhook_endpoints", id, "").await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes an endpoint and its deliveries.
pub async fn delete<C>(db: &C, actor: i32, id: i32) -> Result<()>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    let endpoint = webhook_endpoints::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("No such webhook endpoint.".into()))?;
    deliveries::Entity::delete_many()
        .filter(deliveries::Column::EndpointId.eq(id))
        .exec(&txn)
        .await?;
    webhook_endpoints::Entity::delete_by_id(id)
        .exec(&txn)
        .await?;
    crate::services::audit::record(
        &txn,
        actor,
        "delete_webhook",
        "webhook_endpoints",
        id,
        endpoint.url,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Queues a `webhook.test` event for one enabled endpoint.
pub async fn send_test<C>(db: &C, id: i32) -> Result<uuid::Uuid>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    enabled_endpoint(&txn, id, "send it a test event").await?;
    let data = serde_json::json!({"message": "A test event from hype."});
    let event = super::emit::insert(
        &txn,
        EventType::WebhookTest,
        &format!("test:{id}"),
        data,
        &[id],
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(event)
}

/// Sends a delivery again, with the same `webhook-id`, as soon as a worker is free.
pub async fn redeliver(db: &impl ConnectionTrait, delivery_id: i64) -> Result<()> {
    let delivery = deliveries::Entity::find_by_id(delivery_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("No such delivery.".into()))?;
    if let Some(endpoint) = delivery.endpoint_id {
        enabled_endpoint(db, endpoint, "redeliver to it").await?;
    }
    let now = crate::services::now();
    // The attempt in flight would record its answer over the redelivery.
    if delivery.leased_until.is_some_and(|until| until > now) {
        return Err(Error::Conflict(
            "This delivery is being sent right now: redeliver it once its answer is shown.".into(),
        ));
    }
    deliveries::Entity::update_many()
        .col_expr(
            deliveries::Column::State,
            Expr::value(DeliveryState::Pending),
        )
        .col_expr(deliveries::Column::NextAttemptAt, Expr::value(now))
        .col_expr(deliveries::Column::UpdatedAt, Expr::value(now))
        .filter(deliveries::Column::Id.eq(delivery_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The endpoint `id`, which must be enabled for `what` (the worker sends nothing to a disabled
/// one): `NotFound`, or `Conflict` saying to enable it first.
async fn enabled_endpoint(
    db: &impl ConnectionTrait,
    id: i32,
    what: &str,
) -> Result<webhook_endpoints::Model> {
    let endpoint = webhook_endpoints::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("No such webhook endpoint.".into()))?;
    if !endpoint.enabled {
        return Err(Error::Conflict(format!(
            "This endpoint is disabled: enable it to {what}."
        )));
    }
    Ok(endpoint)
}

/// A delivery as the admin page lists it.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub delivery: deliveries::Model,
    pub event_type: String,
}

/// The latest `limit` deliveries of an endpoint, newest first.
pub async fn recent_deliveries(
    db: &impl ConnectionTrait,
    endpoint_id: i32,
    limit: u64,
) -> Result<Vec<DeliveryRow>> {
    let rows = deliveries::Entity::find()
        .filter(deliveries::Column::EndpointId.eq(endpoint_id))
        .order_by_desc(deliveries::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let ids: Vec<uuid::Uuid> = rows.iter().map(|d| d.event_id).collect();
    let types: std::collections::HashMap<uuid::Uuid, String> = outbox_events::Entity::find()
        .filter(outbox_events::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e.event_type))
        .collect();
    Ok(rows
        .into_iter()
        .map(|delivery| DeliveryRow {
            event_type: types.get(&delivery.event_id).cloned().unwrap_or_default(),
            delivery,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_http_with_a_host() {
        assert!(parse_url("https://example.com/hooks").is_ok());
        for bad in [
            "ftp://example.com",
            "example.com",
            "https://user:pw@example.com/",
            "file:///etc/passwd",
        ] {
            assert!(parse_url(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn event_lists_are_checked_and_empty_means_all() {
        assert_eq!(
            parse_events(" referral.confirmed, reward.credited,referral.confirmed").unwrap(),
            "referral.confirmed,reward.credited"
        );
        assert!(parse_events("referral.exploded")
            .unwrap_err()
            .to_string()
            .contains("referral.confirmed"));
        assert!(EventType::UserCreated.wanted_by(""));
        assert!(EventType::RewardCredited.wanted_by("referral.confirmed,reward.credited"));
        assert!(!EventType::RewardCredited.wanted_by("referral.confirmed"));
    }
}
