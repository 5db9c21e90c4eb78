//! The delivery worker. Every instance runs one: it leases due deliveries (PostgreSQL skips the
//! rows another instance has locked; a lease keeps others off while a delivery is in flight,
//! and it runs out if the instance dies, so the delivery is attempted again), sends them and
//! records what came back. Deliveries of one subject to one endpoint go out in order.
use super::event::message_id;
use super::signing;
use crate::entities::deliveries::{self, DeliveryState};
use crate::entities::{outbox_events, webhook_endpoints};
use crate::error::Result;
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::{Alias, Expr, LockBehavior, LockType, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter,
};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// How long an answer may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How long the other instances leave a leased delivery alone (longer than any attempt).
const LEASE: TimeDelta = TimeDelta::seconds(60);
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
/// How much of an answer is kept for the admins.
const EXCERPT: usize = 512;

/// What the worker needs besides the database.
#[derive(Debug, Clone, Copy, Default)]
pub struct WorkerOptions {
    /// Send to loopback, private and link-local addresses too (`HYPE_WEBHOOK_ALLOW_PRIVATE`).
    pub allow_private: bool,
}

/// Runs the worker until the runtime stops: a round whenever the last one found work, else
/// one a second.
pub fn spawn(db: DatabaseConnection, options: WorkerOptions) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let found = match deliver_due(&db, options, crate::services::now()).await {
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
pub async fn deliver_due(
    db: &DatabaseConnection,
    options: WorkerOptions,
    now: DateTime<Utc>,
) -> Result<usize> {
    let leased = lease(db, now).await?;
    let count = leased.len();
    let attempts = leased.into_iter().map(|delivery| async move {
        let outcome = attempt(db, options, &delivery).await;
        if let Err(error) = record(db, &delivery, outcome, now).await {
            tracing::warn!(%error, delivery = delivery.id, "recording a delivery failed");
        }
    });
    futures_util::future::join_all(attempts).await;
    Ok(count)
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
        .and_where(Expr::exists(endpoint_enabled))
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

/// What one attempt came to.
#[derive(Debug)]
struct Outcome {
    delivered: bool,
    status: Option<u16>,
    result: String,
}

impl Outcome {
    fn failed(result: impl Into<String>) -> Self {
        Self {
            delivered: false,
            status: None,
            result: result.into(),
        }
    }
}

async fn attempt(
    db: &DatabaseConnection,
    options: WorkerOptions,
    delivery: &deliveries::Model,
) -> Outcome {
    let (event, endpoint) = match load(db, delivery).await {
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
    send(&endpoint, &message_id(event.id), &body, options).await
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

/// Sends one signed message: a 2xx answer within `TIMEOUT` delivers it.
async fn send(
    endpoint: &webhook_endpoints::Model,
    id: &str,
    body: &str,
    options: WorkerOptions,
) -> Outcome {
    let url = match super::endpoints::parse_url(&endpoint.url) {
        Ok(url) => url,
        Err(error) => return Outcome::failed(error.to_string()),
    };
    let address = match resolve(&url, options.allow_private).await {
        Ok(address) => address,
        Err(reason) => return Outcome::failed(reason),
    };
    let timestamp = Utc::now().timestamp();
    let Some(signature) = signing::sign(&endpoint.secret, id, timestamp, body) else {
        return Outcome::failed("The endpoint's secret is malformed: create the endpoint again.");
    };
    let mut client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("hype-webhooks/", env!("CARGO_PKG_VERSION")));
    if let Some(url::Host::Domain(domain)) = url.host() {
        // Connect to the address that was checked, not to a second lookup's answer.
        client = client.resolve(domain, address);
    }
    let client = match client.build() {
        Ok(client) => client,
        Err(error) => return Outcome::failed(format!("Could not make an HTTP client: {error}")),
    };
    let answer = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body.to_owned())
        .send()
        .await;
    let mut response = match answer {
        Ok(response) => response,
        Err(error) if error.is_timeout() => {
            return Outcome::failed(format!("No answer within {} s.", TIMEOUT.as_secs()))
        }
        Err(error) => return Outcome::failed(format!("Could not send: {}", without_url(&error))),
    };
    let status = response.status();
    let mut excerpt = Vec::new();
    while excerpt.len() < EXCERPT {
        match response.chunk().await {
            Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    excerpt.truncate(EXCERPT);
    Outcome {
        delivered: status.is_success(),
        status: Some(status.as_u16()),
        result: String::from_utf8_lossy(&excerpt).into_owned(),
    }
}

/// reqwest's error text, whose source chain says why (the URL is on the page already).
fn without_url(error: &reqwest::Error) -> String {
    let mut text = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = source {
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// The address to connect to: the target's, refused when any address it resolves to is
/// loopback, private, link-local or otherwise not on the public internet (unless allowed).
async fn resolve(url: &url::Url, allow_private: bool) -> std::result::Result<SocketAddr, String> {
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses: Vec<SocketAddr> = match url.host() {
        Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(url::Host::Domain(domain)) => tokio::net::lookup_host((domain, port))
            .await
            .map_err(|e| format!("Could not resolve {domain}: {e}"))?
            .collect(),
        None => return Err("The URL has no host.".into()),
    };
    let first = *addresses
        .first()
        .ok_or_else(|| format!("{} resolves to no address.", url.host_str().unwrap_or("")))?;
    if !allow_private {
        if let Some(refused) = addresses.iter().find(|a| !is_public(a.ip())) {
            return Err(format!(
                "Refused: {} resolves to {}, which is not a public address \
                 (HYPE_WEBHOOK_ALLOW_PRIVATE=1 allows it).",
                url.host_str().unwrap_or(""),
                refused.ip()
            ));
        }
    }
    Ok(first)
}

/// True for an address on the public internet.
fn is_public(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
                || (a == 198 && (b == 18 || b == 19)) // benchmarking
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || first == 0x2001 && v6.segments()[1] == 0xdb8 // documentation
                || first == 0x0064 && v6.segments()[1] == 0xff9b) // NAT64
        }
    }
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
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::",
        ] {
            assert!(
                !is_public(private.parse().unwrap()),
                "{private} counted as public"
            );
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(
                is_public(public.parse().unwrap()),
                "{public} counted as private"
            );
        }
    }

    #[tokio::test]
    async fn a_private_target_is_refused_unless_allowed() {
        let url = url::Url::parse("http://127.0.0.1:9/hook").unwrap();
        let refused = resolve(&url, false).await.unwrap_err();
        assert!(refused.contains("HYPE_WEBHOOK_ALLOW_PRIVATE"), "{refused}");
        assert_eq!(resolve(&url, true).await.unwrap().port(), 9);
        let localhost = url::Url::parse("http://localhost/hook").unwrap();
        assert!(
            resolve(&localhost, false).await.is_err(),
            "a name for loopback is refused too"
        );
    }

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
