//! The delivery worker. Every instance runs one: it leases due deliveries (PostgreSQL skips the
//! rows another instance has locked; a lease keeps others off while a delivery is in flight,
//! and it runs out if the instance dies, so the delivery is attempted again), sends them
//! (`http`) and records what came back. Deliveries of one subject to one endpoint go out in
//! order.
use super::event::message_id;
use super::http::{Outcome, Sender, EXCERPT};
use crate::entities::deliveries::{self, DeliveryState};
use crate::entities::{outbox_events, users, webhook_endpoints};
use crate::error::Result;
use crate::mail::compose::{compose, Composed, Site};
use crate::mail::Mailer;
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::{Alias, Expr, LockBehavior, LockType, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter,
};
use std::time::Duration;

/// How long the other instances leave a leased delivery alone: longer than any attempt (10 s
/// for a webhook, 20 s for a mail).
const LEASE: TimeDelta = TimeDelta::seconds(30);
/// The wait before each retry: the first within 10 s, then backing off to about a day in all
/// (27 h 35 min). After the last, the delivery has failed.
const RETRIES: [TimeDelta; 7] = [
    TimeDelta::seconds(5),
    TimeDelta::minutes(5),
    TimeDelta::minutes(30),
    TimeDelta::hours(2),
    TimeDelta::hours(5),
    TimeDelta::hours(10),
    TimeDelta::hours(10),
];
/// An endpoint that has failed every attempt for this long is disabled.
const DISABLE_AFTER: TimeDelta = TimeDelta::days(5);
/// Deliveries leased per round.
const BATCH: u64 = 16;

/// How often an instance checks whether the admins' review digest is due.
const DIGEST_CHECK: Duration = Duration::from_secs(60);
/// How often an instance prunes what was told long ago (`super::prune`).
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

pub struct Worker {
    db: DatabaseConnection,
    sender: Sender,
    mailer: Mailer,
    site: Site,
}

impl Worker {
    /// `allow_private`: send webhooks to loopback, private and link-local addresses too
    /// (`HYPE_WEBHOOK_ALLOW_PRIVATE`). Mails go through `mailer`, with links to `site`.
    pub fn new(
        db: DatabaseConnection,
        allow_private: bool,
        mailer: Mailer,
        site: Site,
    ) -> Result<Self> {
        Ok(Self {
            db,
            sender: Sender::new(allow_private)?,
            mailer,
            site,
        })
    }

    /// Runs the worker until the runtime stops: a round whenever the last one found work, else
    /// one a second; the review digest checked every minute, the outbox pruned every hour.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut digest_checked: Option<std::time::Instant> = None;
            let mut pruned: Option<std::time::Instant> = None;
            loop {
                if pruned.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
                    pruned = Some(std::time::Instant::now());
                    match super::prune::prune(&self.db, crate::services::now()).await {
                        Ok(done) if done != super::prune::Pruned::default() => {
                            tracing::info!(
                                deliveries = done.deliveries,
                                events = done.events,
                                "pruned the outbox"
                            );
                        }
                        Ok(_) => {}
                        Err(error) => tracing::warn!(%error, "pruning the outbox failed"),
                    }
                }
                if digest_checked.is_none_or(|at| at.elapsed() >= DIGEST_CHECK) {
                    digest_checked = Some(std::time::Instant::now());
                    let now = crate::services::now();
                    if let Err(error) = crate::mail::digest::queue(&self.db, now).await {
                        tracing::warn!(%error, "queueing the review digest failed");
                    }
                }
                let found = match self.deliver_due(crate::services::now()).await {
                    Ok(found) => found,
                    Err(error) => {
                        tracing::warn!(%error, "delivering webhooks failed; retrying in a second");
                        0
                    }
                };
                if found == 0 {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        })
    }

    /// One round: leases the deliveries due at `now`, sends them (at once) and records each
    /// result. Returns how many it attempted.
    pub async fn deliver_due(&self, now: DateTime<Utc>) -> Result<usize> {
        let leased = lease(&self.db, now).await?;
        let count = leased.len();
        let attempts = leased.into_iter().map(|delivery| async move {
            let outcome = self.attempt(&delivery).await;
            if let Err(error) = record(&self.db, &delivery, outcome, now).await {
                tracing::warn!(%error, delivery = delivery.id, "recording a delivery failed");
            }
        });
        futures_util::future::join_all(attempts).await;
        Ok(count)
    }

    async fn attempt(&self, delivery: &deliveries::Model) -> Outcome {
        if let Some(recipient) = delivery.recipient_id {
            return self.mail(delivery, recipient).await;
        }
        let (event, endpoint) = match load(&self.db, delivery).await {
            Ok(Some(found)) => found,
            Ok(None) => return Outcome::failed("The event or its endpoint is gone."),
            Err(error) => return Outcome::failed(format!("Could not read the event: {error}")),
        };
        let data: serde_json::Value =
            serde_json::from_str(&event.data).unwrap_or(serde_json::Value::Null);
        let body = serde_json::json!({
            "type": event.event_type,
            "timestamp": event.created_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "data": data,
        })
        .to_string();
        self.sender
            .send(&endpoint, &message_id(event.id), &body)
            .await
    }
}

impl Worker {
    /// Builds the mail of a delivery from its event, as things stand now, and sends it.
    async fn mail(&self, delivery: &deliveries::Model, recipient: i32) -> Outcome {
        match self.compose(delivery, recipient).await {
            Ok(Composed::Send(mail)) => match self.mailer.send(&mail).await {
                Ok(answer) => Outcome {
                    delivered: true,
                    status: None,
                    result: answer,
                },
                Err(error) => Outcome::failed(error),
            },
            Ok(Composed::Skip(why)) => Outcome {
                delivered: true,
                status: None,
                result: format!("Not sent: {why}"),
            },
            Err(error) => Outcome::failed(format!("Could not build the mail: {error}")),
        }
    }

    async fn compose(&self, delivery: &deliveries::Model, recipient: i32) -> Result<Composed> {
        let event = outbox_events::Entity::find_by_id(delivery.event_id)
            .one(&self.db)
            .await?;
        let user = users::Entity::find_by_id(recipient).one(&self.db).await?;
        let Some((event, user)) = event.zip(user) else {
            return Ok(Composed::Skip("The event or its recipient is gone."));
        };
        compose(&self.db, &self.site, &event, &user, crate::services::now()).await
    }
}

/// Leases up to `BATCH` due deliveries (one attempt each), oldest first, skipping any whose
/// subject has an earlier delivery to the same endpoint still pending.
async fn lease(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Vec<deliveries::Model>> {
    use deliveries::Column as D;
    let (d, e, w) = (Alias::new("d"), Alias::new("e"), Alias::new("w"));
    let lease_free = |alias: &Alias| {
        Expr::col((alias.clone(), D::LeasedUntil))
            .is_null()
            .or(Expr::col((alias.clone(), D::LeasedUntil)).lte(now))
    };
    let earlier_pending = Query::select()
        .expr(Expr::val(1))
        .from_as(deliveries::Entity, e.clone())
        .and_where(Expr::col((e.clone(), D::EndpointId)).equals((d.clone(), D::EndpointId)))
        .and_where(Expr::col((e.clone(), D::Subject)).equals((d.clone(), D::Subject)))
        .and_where(Expr::col((e.clone(), D::State)).eq(DeliveryState::Pending))
        .and_where(Expr::col((e.clone(), D::Id)).lt(Expr::col((d.clone(), D::Id))))
        .to_owned();
    let endpoint_enabled = Query::select()
        .expr(Expr::val(1))
        .from_as(webhook_endpoints::Entity, w.clone())
        .and_where(
            Expr::col((w.clone(), webhook_endpoints::Column::Id))
                .equals((d.clone(), D::EndpointId)),
        )
        .and_where(Expr::col((w.clone(), webhook_endpoints::Column::Enabled)).eq(true))
        .to_owned();
    let due = Query::select()
        .column((d.clone(), D::Id))
        .from_as(deliveries::Entity, d.clone())
        .and_where(Expr::col((d.clone(), D::State)).eq(DeliveryState::Pending))
        .and_where(Expr::col((d.clone(), D::NextAttemptAt)).lte(now))
        .and_where(lease_free(&d))
        .and_where(
            Expr::exists(endpoint_enabled).or(Expr::col((d.clone(), D::RecipientId)).is_not_null()),
        )
        .and_where(Expr::exists(earlier_pending).not())
        .order_by((d.clone(), D::Id), Order::Asc)
        .limit(BATCH)
        // PostgreSQL only (SQLite has one writer at a time and no row locks).
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    // Most rounds find nothing: a read says so without taking SQLite's write lock, which the
    // hit writer would otherwise wait on once a second.
    let probe = db.get_database_backend().build(due.clone().limit(1));
    if db.query_one(probe).await?.is_none() {
        return Ok(Vec::new());
    }
    let update = Query::update()
        .table(deliveries::Entity)
        .value(D::LeasedUntil, now + LEASE)
        .value(D::Attempts, Expr::col(D::Attempts).add(1))
        .value(D::UpdatedAt, now)
        .and_where(Expr::col(D::Id).in_subquery(due))
        .and_where(
            Expr::col(D::LeasedUntil)
                .is_null()
                .or(Expr::col(D::LeasedUntil).lte(now)),
        )
        .returning_all()
        .to_owned();
    let statement = db.get_database_backend().build(&update);
    let rows = db.query_all(statement).await?;
    let mut leased = rows
        .iter()
        .map(|row| deliveries::Model::from_query_result(row, ""))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    leased.sort_by_key(|d| d.id);
    Ok(leased)
}

async fn load(
    db: &DatabaseConnection,
    delivery: &deliveries::Model,
) -> Result<Option<(outbox_events::Model, webhook_endpoints::Model)>> {
    let Some(endpoint_id) = delivery.endpoint_id else {
        return Ok(None);
    };
    let event = outbox_events::Entity::find_by_id(delivery.event_id)
        .one(db)
        .await?;
    let endpoint = webhook_endpoints::Entity::find_by_id(endpoint_id)
        .one(db)
        .await?;
    Ok(event.zip(endpoint))
}

/// Records an attempt: delivered; or retried later; or, after the last retry, failed. An
/// endpoint failing for `DISABLE_AFTER` is disabled, with the reason.
async fn record(
    db: &DatabaseConnection,
    delivery: &deliveries::Model,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> Result<()> {
    use deliveries::Column as D;
    let retry = usize::try_from(delivery.attempts - 1)
        .ok()
        .and_then(|n| RETRIES.get(n));
    let (state, next) = match (outcome.delivered, retry) {
        (true, _) => (DeliveryState::Delivered, delivery.next_attempt_at),
        (false, Some(wait)) => (DeliveryState::Pending, now + *wait),
        (false, None) => (DeliveryState::Failed, delivery.next_attempt_at),
    };
    let result: String = outcome.result.chars().take(EXCERPT).collect();
    deliveries::Entity::update_many()
        .col_expr(D::State, Expr::value(state))
        .col_expr(D::NextAttemptAt, Expr::value(next))
        .col_expr(D::LeasedUntil, Expr::value(None::<DateTime<Utc>>))
        .col_expr(D::LastStatus, Expr::value(outcome.status.map(i32::from)))
        .col_expr(D::LastResult, Expr::value(result.clone()))
        .col_expr(D::UpdatedAt, Expr::value(now))
        .filter(D::Id.eq(delivery.id))
        // A worker whose lease ran out does not overwrite a later attempt.
        .filter(D::Attempts.eq(delivery.attempts))
        .exec(db)
        .await?;
    let Some(endpoint_id) = delivery.endpoint_id else {
        return Ok(());
    };
    use webhook_endpoints::Column as W;
    if outcome.delivered {
        webhook_endpoints::Entity::update_many()
            .col_expr(W::FailingSince, Expr::value(None::<DateTime<Utc>>))
            .filter(W::Id.eq(endpoint_id))
            .exec(db)
            .await?;
        return Ok(());
    }
    webhook_endpoints::Entity::update_many()
        .col_expr(W::FailingSince, Expr::value(now))
        .filter(W::Id.eq(endpoint_id))
        .filter(W::FailingSince.is_null())
        .exec(db)
        .await?;
    let reason = format!(
        "Disabled on {}: every delivery failed for {} days; the last answer was {}.",
        now.format("%Y-%m-%d %H:%M UTC"),
        DISABLE_AFTER.num_days(),
        match outcome.status {
            Some(status) => format!("HTTP {status}"),
            None => result,
        }
    );
    webhook_endpoints::Entity::update_many()
        .col_expr(W::Enabled, Expr::value(false))
        .col_expr(W::DisabledReason, Expr::value(reason))
        .filter(W::Id.eq(endpoint_id))
        .filter(W::Enabled.eq(true))
        .filter(W::FailingSince.lte(now - DISABLE_AFTER))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_about_a_day() {
        let total: TimeDelta = RETRIES.iter().copied().sum();
        assert!(RETRIES[0] <= TimeDelta::seconds(10));
        assert!(
            total > TimeDelta::hours(20) && total < TimeDelta::hours(30),
            "{total}"
        );
    }
}
