//! Faults, short versions of `make bench`'s: a server killed mid-load loses no acknowledged
//! hit and starts again; a database outage is answered with quick 503s and heals by itself;
//! anonymous visits make no session rows; one address hammering `/ref` is limited alone.
use crate::helpers::*;
use crate::on_both_databases;
use reqwest::{Client, StatusCode};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

on_both_databases!(
    a_killed_server_loses_no_acknowledged_hit,
    anonymous_visits_create_no_sessions,
    one_address_is_limited_without_starving_others,
);

mod outage {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_database_outage_is_a_quick_503_and_heals_without_a_restart() {
        if let Some(db) = crate::helpers::Db::postgres() {
            super::a_database_outage_is_a_quick_503_and_heals_without_a_restart(db).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_connection_dropped_while_the_site_is_quiet_costs_no_visit() {
        if let Some(db) = crate::helpers::Db::postgres() {
            super::a_connection_dropped_while_the_site_is_quiet_costs_no_visit(db).await;
        }
    }
}

async fn a_killed_server_loses_no_acknowledged_hit(db: Db) {
    let database = TestDatabase::create(&db).await;
    let core = hype::db::connect(&database.url, false).await.expect("db");
    let owner = hype::services::users::create(
        &core,
        &hype::types::Username::parse("owner").unwrap(),
        None,
        &hype::types::Password::parse(PASSWORD).unwrap(),
        false,
    )
    .await
    .unwrap();
    let link = hype::services::links::create(&core, owner.id, Default::default())
        .await
        .unwrap();
    let rows = || async {
        use sea_orm::{EntityTrait, PaginatorTrait};
        hype::entities::referral_hits::Entity::find()
            .count(&core)
            .await
            .unwrap()
    };

    let mut acknowledged = 0;
    for round in 0..3 {
        let mut server = ServerProcess::start(&database.url, &[]).await;
        let seen = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let mut clients = Vec::new();
        for _ in 0..8 {
            let (seen, stop) = (seen.clone(), stop.clone());
            let url = format!("{}/ref/{}", server.address, link.identifier);
            clients.push(tokio::spawn(async move {
                let client = bare_client();
                while !stop.load(Ordering::Relaxed) {
                    match client.get(&url).send().await {
                        Ok(r) if r.status() == StatusCode::FOUND => {
                            seen.fetch_add(1, Ordering::Relaxed);
                        }
                        // Refused and not stored: honest, if unwelcome, under load.
                        Ok(r) if r.status() == StatusCode::SERVICE_UNAVAILABLE => {}
                        Ok(r) => panic!("answered {} under load", r.status()),
                        Err(_) => return, // the server is gone
                    }
                }
            }));
        }
        // Kill it mid-load, at a different point each round.
        let target = 100 + round * 150;
        while seen.load(Ordering::Relaxed) < target {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.kill();
        stop.store(true, Ordering::Relaxed);
        for client in clients {
            client.await.expect("client task");
        }
        acknowledged += seen.load(Ordering::Relaxed);
        let stored = rows().await;
        assert!(
            stored >= acknowledged,
            "round {round}: {acknowledged} visits answered 302 but only {stored} hits stored"
        );
    }
    if matches!(db, Db::Sqlite) {
        use sea_orm::{ConnectionTrait, Statement};
        let check = core
            .query_one(Statement::from_string(
                core.get_database_backend(),
                "PRAGMA integrity_check",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(check.try_get_by_index::<String>(0).unwrap(), "ok");
    }
    // It starts again cleanly, and still records.
    let server = ServerProcess::start(&database.url, &[]).await;
    let before = rows().await;
    let response = bare_client()
        .get(format!("{}/ref/{}", server.address, link.identifier))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(rows().await, before + 1);
}

async fn anonymous_visits_create_no_sessions(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.user("owner").await;
    let link = app.link(owner.id, "promo").await;
    // A cookie-keeping browser (the visitor cookie comes back each time) and cookie-less bots.
    let browser = browser();
    for i in 0..300 {
        let client = if i % 2 == 0 { &browser } else { &bare_client() };
        let response = app.get(client, &format!("/ref/{}", link.identifier)).await;
        assert_eq!(response.status(), StatusCode::FOUND);
    }
    assert_eq!(app.hit_count().await, 300);
    use sea_orm::{ConnectionTrait, Statement};
    let sessions = app
        .state
        .db
        .query_one(Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM sessions",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(sessions, 0, "anonymous visitors got session rows");
}

async fn one_address_is_limited_without_starving_others(db: Db) {
    let app = spawn_app_with(db, |hype| {
        hype.ref_rate_limit = Some("1/5".parse().unwrap());
        hype.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let owner = app.user("owner").await;
    let link = app.link(owner.id, "promo").await;
    let client = bare_client();
    let visit = |ip: &'static str| {
        client
            .get(app.url(&format!("/ref/{}", link.identifier)))
            .header("X-Forwarded-For", ip)
            .send()
    };
    let mut found: u64 = 0;
    let mut limited = 0;
    let started = Instant::now();
    for _ in 0..12 {
        match visit("203.0.113.7").await.unwrap().status() {
            StatusCode::FOUND => found += 1,
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("answered {other}"),
        }
    }
    // The burst of 5, plus one refilled per second the loop took.
    let refilled = started.elapsed().as_secs() + 1;
    assert!(
        (5..=5 + refilled).contains(&found),
        "{found} let through in {:?}",
        started.elapsed()
    );
    assert!(limited > 0, "nothing was limited");
    assert_eq!(found + limited, 12);
    // Someone else is not held back by the hammering address.
    assert_eq!(
        visit("203.0.113.8").await.unwrap().status(),
        StatusCode::FOUND
    );
    // Only the visits let through were recorded.
    assert_eq!(app.hit_count().await, found + 1);
}

/// A TCP relay to PostgreSQL that can be cut (every connection dropped, new ones refused) and
/// restored, as a stopped database server looks to the app.
struct Relay {
    port: u16,
    cut: Arc<AtomicBool>,
    live: Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Relay {
    async fn start(upstream: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let live: Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (cut2, live2) = (cut.clone(), live.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if cut2.load(Ordering::SeqCst) {
                    continue; // dropped: connection refused, in effect
                }
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                live2.lock().unwrap().push(task.abort_handle());
            }
        });
        Self { port, cut, live }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for task in self.live.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// The app on a database reached through a [`Relay`], with one link that a first visit
/// followed (302): the app, the relay, the link's `/ref` path and the visitor's client.
async fn behind_a_relay(db: Db, hype: hype::HypeConfig) -> (TestApp, Relay, String, Client) {
    let database = std::sync::Arc::new(TestDatabase::create(&db).await);
    let mut url = url::Url::parse(&database.url).unwrap();
    let upstream = format!(
        "{}:{}",
        url.host_str().unwrap_or("127.0.0.1"),
        url.port().unwrap_or(5432)
    );
    let relay = Relay::start(upstream).await;
    url.set_port(Some(relay.port)).unwrap();
    let app = spawn_at(database.clone(), url.to_string(), hype).await;
    let owner = app.user("owner").await;
    let link = app.link(owner.id, "promo").await;
    let path = format!("/ref/{}", link.identifier);
    let client = bare_client();
    assert_eq!(app.get(&client, &path).await.status(), StatusCode::FOUND);
    (app, relay, path, client)
}

async fn a_database_outage_is_a_quick_503_and_heals_without_a_restart(db: Db) {
    let (app, relay, path, client) = behind_a_relay(db, Default::default()).await;

    relay.cut();
    let mut refused = 0;
    for _ in 0..20 {
        let started = Instant::now();
        let status = app.get(&client, &path).await.status();
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "a visit during the outage took {:?}",
            started.elapsed()
        );
        assert_eq!(
            status,
            StatusCode::SERVICE_UNAVAILABLE,
            "no redirect may claim a hit that can't be stored"
        );
        refused += 1;
    }
    assert_eq!(refused, 20);
    let page = app.get(&client, "/login").await;
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("Temporarily unavailable"));

    relay.restore();
    let restored = Instant::now();
    loop {
        if app.get(&client, &path).await.status() == StatusCode::FOUND {
            break;
        }
        assert!(
            restored.elapsed() < Duration::from_secs(10),
            "still refusing 10 s after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.get(&client, "/login").await.status(), StatusCode::OK);
    // The two visits answered 302 are stored, the 20 refused ones are not.
    assert_eq!(app.hit_count().await, 2);
}

/// A firewall or proxy drops the database connections while nobody visits. The hit writer
/// holds its connection between batches, and one that sat idle is tested before the next
/// batch: the first visit after the lull is stored and redirected like any other, not refused.
async fn a_connection_dropped_while_the_site_is_quiet_costs_no_visit(db: Db) {
    let idle = Duration::from_millis(200);
    let config = hype::HypeConfig {
        writer: hype::config::WriterOptions {
            idle,
            ..Default::default()
        },
        ..Default::default()
    };
    let (app, relay, path, client) = behind_a_relay(db, config).await;

    // Every open connection is dropped; new ones get through at once.
    relay.cut();
    relay.restore();
    // The lull: longer than the writer lets its connection sit untested.
    tokio::time::sleep(idle * 2).await;
    assert_eq!(
        app.get(&client, &path).await.status(),
        StatusCode::FOUND,
        "the first visit after a quiet spell found a dead connection"
    );
    assert_eq!(app.hit_count().await, 2);
}
