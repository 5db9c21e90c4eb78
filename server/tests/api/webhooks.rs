//! Webhooks end to end: a real HTTP receiver checks every delivery with a Standard Webhooks
//! library, sees a failed delivery retried with the same `webhook-id`, and sees one
//! referral's events in the order of their changes; private targets are refused by default;
//! two instances on one database deliver every event once.
use crate::helpers::*;
use crate::on_both_databases;
use axum::http::{HeaderMap, StatusCode};
use hype::entities::deliveries::{self, DeliveryState};
use sea_orm::{EntityTrait, PaginatorTrait};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

on_both_databases!(
    deliveries_are_signed_retried_and_in_order,
    a_private_target_is_refused_by_default,
    two_instances_deliver_every_event_once,
    admins_manage_endpoints_and_see_deliveries,
    the_referee_s_reward_has_events_of_its_own,
);

mod processes {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_process_killed_mid_delivery_loses_no_event() {
        if let Some(db) = crate::helpers::Db::postgres() {
            super::a_process_killed_mid_delivery_loses_no_event(db).await;
        }
    }
}

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    body: serde_json::Value,
    verified: bool,
    answered: StatusCode,
}

/// An HTTP server that verifies each request with `standardwebhooks` and answers the queued
/// statuses first, then 204.
#[derive(Clone)]
struct Receiver {
    url: String,
    secret: Arc<Mutex<String>>,
    answers: Arc<Mutex<VecDeque<StatusCode>>>,
    received: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<tokio::sync::Notify>,
    /// Requests wait here for a permit before they are answered (open unless `start_held`).
    gate: Arc<tokio::sync::Semaphore>,
    /// The `webhook-id` of every request, as it arrives (before the gate).
    arrivals: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    async fn start(answers: &[StatusCode]) -> Self {
        Self::start_with(answers, tokio::sync::Semaphore::MAX_PERMITS).await
    }

    /// A receiver that holds every request unanswered until [`Self::open`].
    async fn start_held() -> Self {
        Self::start_with(&[], 0).await
    }

    fn open(&self) {
        self.gate.add_permits(1 << 20);
    }

    fn arrivals(&self) -> Vec<String> {
        self.arrivals.lock().unwrap().clone()
    }

    async fn start_with(answers: &[StatusCode], permits: usize) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Self {
            url: format!("http://{}/hooks", listener.local_addr().unwrap()),
            secret: Arc::default(),
            answers: Arc::new(Mutex::new(answers.iter().copied().collect())),
            received: Arc::default(),
            arrived: Arc::default(),
            gate: Arc::new(tokio::sync::Semaphore::new(permits)),
            arrivals: Arc::default(),
        };
        let state = receiver.clone();
        let router = axum::Router::new().route(
            "/hooks",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let state = state.clone();
                async move {
                    let id = headers
                        .get("webhook-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    state.arrivals.lock().unwrap().push(id);
                    state.arrived.notify_waiters();
                    drop(state.gate.acquire().await);
                    let secret = state.secret.lock().unwrap().clone();
                    let verified = standardwebhooks::Webhook::new(&secret)
                        .and_then(|hook| hook.verify(&body, &headers))
                        .is_ok();
                    let answered = state
                        .answers
                        .lock()
                        .unwrap()
                        .pop_front()
                        .unwrap_or(StatusCode::NO_CONTENT);
                    state.received.lock().unwrap().push(Received {
                        id: headers
                            .get("webhook-id")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned(),
                        body: serde_json::from_slice(&body).unwrap_or_default(),
                        verified,
                        answered,
                    });
                    state.arrived.notify_waiters();
                    answered
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, router).await });
        receiver
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The requests answered 2xx.
    fn delivered(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.answered.is_success())
            .collect()
    }

    /// Waits (up to 30 s) until `done` holds for what arrived, woken by each arrival.
    async fn wait_for(&self, what: &str, done: impl Fn(&[Received]) -> bool) {
        self.wait_within(Duration::from_secs(30), what, done).await
    }

    async fn wait_within(&self, within: Duration, what: &str, done: impl Fn(&[Received]) -> bool) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            // Registered before the check, so an arrival in between is not missed.
            let arrival = self.arrived.notified();
            tokio::pin!(arrival);
            arrival.as_mut().enable();
            if done(&self.received()) {
                return;
            }
            if tokio::time::timeout_at(deadline, arrival).await.is_err() {
                panic!(
                    "gave up waiting for {what}; received {:#?}",
                    self.received()
                );
            }
        }
    }
}

async fn endpoint(app: &TestApp, receiver: &Receiver, events: &str) -> i32 {
    let admin = app.admin("root").await;
    let endpoint =
        hype::outbox::endpoints::create(&app.state.db, Some(admin.id), &receiver.url, events)
            .await
            .unwrap();
    *receiver.secret.lock().unwrap() = endpoint.secret;
    endpoint.id
}

/// The deliveries, once none is pending (up to 30 s). No event tells when a worker has
/// recorded an answer, so the rows are read until it has.
async fn settled(app: &TestApp) -> Vec<deliveries::Model> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let rows = deliveries::Entity::find().all(&app.state.db).await.unwrap();
        if rows.iter().all(|d| d.state != DeliveryState::Pending) {
            return rows;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "deliveries still pending: {rows:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An admin confirms referral `id` through the dashboard's function, then takes it back.
async fn confirm_then_unconfirm(app: &TestApp, admin: &reqwest::Client, id: i32) {
    for action in ["confirm", "unconfirm"] {
        let response = app
            .call(
                admin,
                "admin/decide_referral",
                &[("id", &id.to_string()), ("action", action)],
            )
            .await;
        assert_eq!(response.status(), 200, "{action}");
    }
}

fn event_type(r: &Received) -> &str {
    r.body["type"].as_str().unwrap_or_default()
}

async fn deliveries_are_signed_retried_and_in_order(db: Db) {
    let app = spawn_app_with(db, |c| c.webhook_allow_private = true).await;
    let receiver = Receiver::start(&[StatusCode::INTERNAL_SERVER_ERROR]).await;
    endpoint(&app, &receiver, "").await;
    let root = app.signed_in("root").await;
    let alice = app.user("alice").await;
    let referral = app.referral(alice.id, "alice-link", "bob").await;
    confirm_then_unconfirm(&app, &root, referral.id).await;

    let expected = [
        "referral.created",
        "referral.confirmed",
        "reward.credited",
        "referral.unconfirmed",
        "reward.reversed",
    ];
    receiver
        .wait_for("the referral's five events", |r| {
            r.iter()
                .filter(|r| r.answered.is_success() && r.body["data"]["referral"].is_object())
                .count()
                == expected.len()
        })
        .await;
    // alice and bob were created after the endpoint (root before it).
    receiver
        .wait_for("two user.created", |r| {
            r.iter()
                .filter(|r| r.answered.is_success() && event_type(r) == "user.created")
                .count()
                == 2
        })
        .await;

    let received = receiver.received();
    assert!(
        received.iter().all(|r| r.verified),
        "every delivery verifies with a Standard Webhooks library: {received:#?}"
    );
    let failed = &received[0];
    assert_eq!(failed.answered, StatusCode::INTERNAL_SERVER_ERROR);
    let retried: Vec<&Received> = received.iter().filter(|r| r.id == failed.id).collect();
    assert_eq!(
        retried.len(),
        2,
        "the failed delivery is retried once: {received:#?}"
    );
    assert_eq!(retried[1].body, failed.body, "with the same body");
    assert!(retried[1].answered.is_success());

    let referral_events: Vec<String> = receiver
        .delivered()
        .iter()
        .filter(|r| r.body["data"]["referral"]["id"] == referral.id)
        .map(|r| event_type(r).to_owned())
        .collect();
    assert_eq!(referral_events, expected, "in the order of their changes");
    let credited = receiver
        .delivered()
        .into_iter()
        .find(|r| event_type(r) == "reward.credited")
        .unwrap();
    let data = &credited.body["data"];
    assert_eq!(data["referrer"], "alice");
    assert_eq!(data["referred"], "bob");
    assert_eq!(data["link"], "alice-link");
    assert_eq!(data["points"], app.state.config.reward_points);
    assert!(credited.body["timestamp"].is_string());

    let ids: Vec<String> = receiver.delivered().into_iter().map(|r| r.id).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        ids.len(),
        unique.len(),
        "nothing delivered twice after a 2xx"
    );
    // The receiver answers before the worker records the answer.
    let rows = settled(&app).await;
    assert!(
        rows.iter().all(|d| d.state == DeliveryState::Delivered),
        "{rows:#?}"
    );
    assert_eq!(rows.iter().map(|d| d.attempts).max(), Some(2));
}

async fn the_referee_s_reward_has_events_of_its_own(db: Db) {
    let app = spawn_app_with(db, |c| {
        c.webhook_allow_private = true;
        c.referee_reward_points = 25;
    })
    .await;
    let receiver = Receiver::start(&[]).await;
    endpoint(
        &app,
        &receiver,
        "referee_reward.credited,referee_reward.reversed",
    )
    .await;
    let root = app.signed_in("root").await;
    let alice = app.user("alice").await;
    let referral = app.referral(alice.id, "alice-link", "bob").await;
    confirm_then_unconfirm(&app, &root, referral.id).await;
    receiver
        .wait_for("the referee's credit and its reversal", |r| {
            r.iter().filter(|r| r.answered.is_success()).count() == 2
        })
        .await;
    let delivered = receiver.delivered();
    let types: Vec<&str> = delivered.iter().map(event_type).collect();
    assert_eq!(
        types,
        ["referee_reward.credited", "referee_reward.reversed"],
        "only what the endpoint asked for, in order"
    );
    for (received, points) in delivered.iter().zip([25, 25]) {
        let data = &received.body["data"];
        assert_eq!(data["referred"], "bob");
        assert_eq!(data["referrer"], "alice");
        assert_eq!(data["points"], points, "{data}");
    }
}

async fn a_private_target_is_refused_by_default(db: Db) {
    let app = spawn_app(db).await;
    let receiver = Receiver::start(&[]).await;
    let literal = endpoint(&app, &receiver, "").await;
    // The same receiver by a name that resolves to loopback.
    let by_name = receiver.url.replace("127.0.0.1", "localhost");
    let named = hype::outbox::endpoints::create(&app.state.db, None, &by_name, "")
        .await
        .unwrap()
        .id;
    for id in [literal, named] {
        hype::outbox::endpoints::send_test(&app.state.db, id)
            .await
            .unwrap();
    }
    // No event tells when an attempt is recorded: the rows are read until both are.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let tried = loop {
        let rows = deliveries::Entity::find().all(&app.state.db).await.unwrap();
        if rows.iter().all(|d| d.last_result.is_some()) {
            break rows;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no attempt was recorded: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for delivery in &tried {
        let result = delivery.last_result.as_deref().unwrap_or_default();
        assert!(
            result.contains("not a public address")
                && result.contains("HYPE_WEBHOOK_ALLOW_PRIVATE"),
            "{delivery:?}"
        );
        assert_eq!(delivery.state, DeliveryState::Pending, "it will be retried");
    }
    let named_result = tried
        .iter()
        .find(|d| d.endpoint_id == Some(named))
        .and_then(|d| d.last_result.clone())
        .unwrap_or_default();
    assert!(
        named_result.contains("localhost resolves to"),
        "{named_result}"
    );
    assert!(
        receiver.received().is_empty(),
        "nothing reached the loopback receiver"
    );
}

async fn two_instances_deliver_every_event_once(db: Db) {
    let first = spawn_app_with(db, |c| c.webhook_allow_private = true).await;
    let second = spawn_second_instance(&first).await;
    let receiver = Receiver::start(&[]).await;
    endpoint(&first, &receiver, "referral.confirmed,reward.credited").await;
    let alice = first.user("alice").await;
    let mut referrals = Vec::new();
    for n in 0..12 {
        let app = if n % 2 == 0 { &first } else { &second };
        referrals.push(
            app.referral(alice.id, "alice-link", &format!("friend{n}"))
                .await,
        );
    }
    let admins = [
        first.signed_in("root").await,
        second.signed_in("root").await,
    ];
    // Both instances confirm every referral at once: each is confirmed once.
    let mut calls = Vec::new();
    for referral in &referrals {
        for (app, admin) in [(&first, &admins[0]), (&second, &admins[1])] {
            let id = referral.id.to_string();
            calls.push(async move {
                app.call(
                    admin,
                    "admin/decide_referral",
                    &[("id", &id), ("action", "confirm")],
                )
                .await
                .status()
            });
        }
    }
    for status in futures_util::future::join_all(calls).await {
        assert_eq!(status, 200);
    }
    receiver.wait_for("24 events", |r| r.len() >= 24).await;
    // Give a duplicate, if there were one, every chance to arrive: both workers run rounds
    // until no delivery is due.
    settled(&first).await;
    let received = receiver.received();
    assert_eq!(
        received.len(),
        24,
        "12 confirmations and 12 credits, once each: {received:#?}"
    );
    assert!(received
        .iter()
        .all(|r| r.verified && r.answered.is_success()));
    assert_eq!(
        deliveries::Entity::find()
            .count(&first.state.db)
            .await
            .unwrap(),
        24
    );
}

async fn admins_manage_endpoints_and_see_deliveries(db: Db) {
    let app = spawn_app_with(db, |c| c.webhook_allow_private = true).await;
    let receiver = Receiver::start(&[]).await;
    app.admin("root").await;
    app.user("alice").await;
    let root = app.signed_in("root").await;
    let alice = app.signed_in("alice").await;

    let response = app
        .call(
            &alice,
            "admin/create_webhook",
            &[("url", &receiver.url), ("events", "")],
        )
        .await;
    assert_eq!(response.status(), 403, "only admins manage webhooks");
    let response = app
        .call(
            &root,
            "admin/create_webhook",
            &[("url", "ftp://example.com"), ("events", "")],
        )
        .await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("http"));
    let response = app
        .call(
            &root,
            "admin/create_webhook",
            &[("url", &receiver.url), ("events", "referral.exploded")],
        )
        .await;
    assert_eq!(response.status(), 400);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("referral.confirmed"));

    let response = app
        .call(
            &root,
            "admin/create_webhook",
            &[("url", &receiver.url), ("events", "user.created")],
        )
        .await;
    assert_eq!(response.status(), 200);
    let secret: String = response.json().await.unwrap();
    assert!(secret.starts_with("whsec_"), "{secret}");
    *receiver.secret.lock().unwrap() = secret.clone();

    let page = app.get(&root, "/admin/webhooks").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(&receiver.url), "the page lists the endpoint");
    assert!(!html.contains(&secret), "the secret is never shown again");

    let endpoints = hype::outbox::endpoints::list(&app.state.db).await.unwrap();
    let id = endpoints[0].id.to_string();
    let response = app
        .call(&root, "admin/send_test_event", &[("id", &id)])
        .await;
    assert_eq!(response.status(), 200);
    receiver
        .wait_for("the test event", |r| {
            r.iter().any(|r| event_type(r) == "webhook.test")
        })
        .await;
    assert!(receiver.received()[0].verified);

    // Redeliver sends the same message again.
    let delivery = settled(&app).await[0].id;
    let response = app
        .call(&root, "admin/redeliver", &[("id", &delivery.to_string())])
        .await;
    assert_eq!(response.status(), 200);
    receiver.wait_for("the redelivery", |r| r.len() == 2).await;
    let received = receiver.received();
    assert_eq!(received[0].id, received[1].id);

    settled(&app).await;
    let html = app
        .get(&root, "/admin/webhooks")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("webhook.test") && html.contains("delivered"),
        "deliveries are listed"
    );

    let response = app
        .call(
            &root,
            "admin/set_webhook_enabled",
            &[("id", &id), ("enabled", "false")],
        )
        .await;
    assert_eq!(response.status(), 200);
    app.user("carol").await;
    let queued = deliveries::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(queued, 1, "a disabled endpoint gets no new deliveries");
    // Nothing would go out to it: a test event or a redelivery says to enable it first.
    for (endpoint, field) in [
        ("admin/send_test_event", id.clone()),
        ("admin/redeliver", delivery.to_string()),
    ] {
        let response = app.call(&root, endpoint, &[("id", &field)]).await;
        assert_eq!(response.status(), 409, "{endpoint}");
        assert!(
            response.text().await.unwrap().contains("enable it"),
            "{endpoint}"
        );
    }
    let response = app
        .call(&root, "admin/redeliver", &[("id", "999999")])
        .await;
    assert_eq!(response.status(), 404);
}

/// Two `hype-server` processes on one PostgreSQL; confirmations through both; the receiver
/// holds every request, one process is killed with SIGKILL while it has deliveries in flight,
/// and every event still arrives: the other process takes the dead one's leases when they run
/// out. An event can arrive twice only if it was in flight at the kill.
async fn a_process_killed_mid_delivery_loses_no_event(db: Db) {
    let database = TestDatabase::create(&db).await;
    let core = hype::db::connect(&database.url, false).await.unwrap();
    let receiver = Receiver::start_held().await;
    let admin = create_user(&core, "root", true).await;
    let alice = create_user(&core, "alice", false).await;
    let endpoint = hype::outbox::endpoints::create(
        &core,
        Some(admin.id),
        &receiver.url,
        "referral.confirmed,reward.credited",
    )
    .await
    .unwrap();
    *receiver.secret.lock().unwrap() = endpoint.secret;
    hype::services::links::create(
        &core,
        alice.id,
        hype::services::links::NewLink {
            identifier: Some(hype::types::Identifier::parse("alice-link").unwrap()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let env = [("HYPE_WEBHOOK_ALLOW_PRIVATE", "1")];
    let mut doomed = ServerProcess::start(&database.url, &env).await;
    let survivor = ServerProcess::start(&database.url, &env).await;
    let post = |client: &reqwest::Client, base: &str, endpoint: &str, form: Vec<(&str, String)>| {
        client
            .post(format!("{base}/api/{endpoint}"))
            .header("Accept", "application/json")
            .form(&form)
            .send()
    };
    let mut admins = Vec::new();
    for server in [&doomed, &survivor] {
        let client = browser();
        let form = vec![
            ("username", "root".to_owned()),
            ("password", PASSWORD.to_owned()),
        ];
        let response = post(&client, &server.address, "login", form).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        admins.push((server.address.clone(), client));
    }
    const REFERRALS: usize = 20;
    for n in 0..REFERRALS {
        let (base, admin) = &admins[n % 2];
        let visitor = browser();
        visitor
            .get(format!("{base}/ref/alice-link"))
            .send()
            .await
            .unwrap();
        let form = vec![
            ("username", format!("friend{n}")),
            ("password", PASSWORD.to_owned()),
            ("email", String::new()),
        ];
        let response = post(&visitor, base, "signup", form).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let user = hype::services::users::find_by_username(&core, &format!("friend{n}"))
            .await
            .unwrap()
            .unwrap();
        let referral = hype::services::referrals::find_for_referred(&core, user.id)
            .await
            .unwrap()
            .unwrap();
        let form = vec![
            ("id", referral.id.to_string()),
            ("action", "confirm".to_owned()),
        ];
        let response = post(admin, base, "admin/decide_referral", form)
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    // Both processes lease and send; the receiver holds the requests. Kill one mid-delivery.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while receiver.arrivals().len() < 8 {
        let arrival = receiver.arrived.notified();
        if receiver.arrivals().len() >= 8 {
            break;
        }
        assert!(
            tokio::time::timeout_at(deadline, arrival).await.is_ok(),
            "no deliveries in flight: {:?}",
            receiver.arrivals()
        );
    }
    doomed.kill();
    let in_flight: std::collections::HashSet<String> = receiver.arrivals().into_iter().collect();
    receiver.open();

    let expected: std::collections::HashSet<String> = hype::entities::outbox_events::Entity::find()
        .all(&core)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| {
            matches!(
                e.event_type.as_str(),
                "referral.confirmed" | "reward.credited"
            )
        })
        .map(|e| hype::outbox::message_id(e.id))
        .collect();
    assert_eq!(expected.len(), 2 * REFERRALS);
    // The dead process's leases run out after 30 s; then the survivor sends those too.
    receiver
        .wait_within(
            Duration::from_secs(90),
            "every event answered 2xx",
            |received| {
                let delivered: std::collections::HashSet<&str> = received
                    .iter()
                    .filter(|r| r.answered.is_success())
                    .map(|r| r.id.as_str())
                    .collect();
                expected.iter().all(|id| delivered.contains(id.as_str()))
            },
        )
        .await;
    let received = receiver.received();
    assert!(
        received.iter().all(|r| r.verified),
        "every delivery is signed"
    );
    let mut seen = std::collections::HashSet::new();
    for r in &received {
        if !seen.insert(r.id.clone()) {
            assert!(
                in_flight.contains(&r.id),
                "{} arrived twice without being in flight at the kill",
                r.id
            );
        }
    }
    drop(survivor);
}
