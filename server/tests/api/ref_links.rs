//! `/ref/{identifier}` and `?ref=`: hits, redirects, the visitor cookie.
use crate::helpers::*;
use crate::on_both_databases;
use reqwest::StatusCode;

on_both_databases!(
    following_a_link_records_one_hit_and_redirects,
    unsafe_next_values_redirect_to_the_home_page,
    safe_next_values_are_kept_and_encoded,
    unknown_or_disabled_links_record_nothing_and_keep_the_cookie,
    head_records_nothing_post_is_refused_and_a_trailing_slash_works,
    the_visitor_cookie_is_signed_scoped_and_kept,
    a_forged_visitor_cookie_is_ignored,
    cookies_are_secure_when_the_site_is_served_over_https,
    identifiers_are_matched_ignoring_case,
    stored_request_text_is_capped,
    ref_parameter_redirects_through_the_link_keeping_other_parameters,
    ref_parameter_with_an_unknown_link_serves_the_page,
    anonymous_visits_create_no_session_rows,
    the_cookie_key_survives_a_restart,
    concurrent_visits_keep_the_running_totals_equal_to_the_hits,
);

/// The overview's totals are written with each batch of hits (one script on SQLite, one
/// statement on PostgreSQL): after concurrent visits by returning visitors and a signed-in
/// user, and after a visitor signs up, they equal what counting the hits gives.
async fn concurrent_visits_keep_the_running_totals_equal_to_the_hits(db: Db) {
    use sea_orm::{ConnectionTrait, Statement};
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    app.link(alice.id, "alice-link").await;
    let visitors: Vec<reqwest::Client> = (0..8).map(|_| browser()).collect();
    // Each visitor's first visit sets their cookie; the next four come back with it, all at once.
    for client in &visitors {
        let first = app.get(client, "/ref/alice-link").await;
        assert_eq!(first.status(), StatusCode::FOUND);
    }
    app.user("bob").await;
    let bob = app.signed_in("bob").await;
    let mut visits = tokio::task::JoinSet::new();
    for client in visitors.iter().chain([&bob]) {
        for _ in 0..4 {
            let (client, url) = (client.clone(), app.url("/ref/alice-link"));
            visits.spawn(async move { client.get(url).send().await.map(|r| r.status()) });
        }
    }
    while let Some(answer) = visits.join_next().await {
        assert_eq!(answer.unwrap().unwrap(), StatusCode::FOUND);
    }
    assert_eq!(app.hit_count().await, 8 + 36);

    let counted = |sql: &'static str| {
        let db = app.state.db.clone();
        async move {
            let row = db
                .query_one(Statement::from_string(db.get_database_backend(), sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    let people = "SELECT (SELECT COUNT(DISTINCT hit_user_id) FROM referral_hits) + \
                  (SELECT COUNT(DISTINCT visitor_id) FROM referral_hits WHERE hit_user_id IS NULL)";
    let today = hype::services::now().date_naive();
    let (days, total) = hype::services::running_totals::read(&app.state.db, today)
        .await
        .unwrap();
    assert_eq!(days.get(&today).copied(), Some(44));
    assert_eq!(total, 9, "8 visitors and bob");
    assert_eq!(total, counted(people).await);

    // One visitor signs up: their hits become theirs, and they are still one person.
    let response = app.signup(&visitors[0], "carol").await;
    assert!(response.status().is_success(), "{}", response.status());
    let (_, total) = hype::services::running_totals::read(&app.state.db, today)
        .await
        .unwrap();
    assert_eq!(total, 9);
    assert_eq!(total, counted(people).await);
}

async fn following_a_link_records_one_hit_and_redirects(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    let link = app.link(alice.id, "alice-link").await;
    let client = browser();

    let response = client
        .get(app.url("/ref/alice-link?next=/signup"))
        .header("User-Agent", "TestAgent/1.0")
        .header("Referer", "https://social.example/post/1")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(location(&response), "/signup");
    // The row is there as soon as the redirect is.
    let hits = app.hits().await;
    assert_eq!(hits.len(), 1);
    let hit = &hits[0];
    assert_eq!(hit.referral_link_id, link.id);
    assert_eq!(hit.ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(hit.user_agent, "TestAgent/1.0");
    assert_eq!(hit.http_referer, "https://social.example/post/1");
    assert_eq!(hit.next, "/signup");
    assert!(!hit.authenticated);
    assert_eq!(hit.hit_user_id, None);
    assert!(hit.visitor_id.is_some());
    assert_eq!(hit.confirmed, None);
}

async fn unsafe_next_values_redirect_to_the_home_page(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    app.link(alice.id, "x").await;
    let client = browser();
    let cases = [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/%09/evil.example",
        "javascript:alert(1)",
        "https:evil.example",
        &app.url("/links"),
        "/a\r\nSet-Cookie: pwned=1",
        "/a\u{0}b",
    ];
    for next in cases {
        let response = client
            .get(app.url("/ref/x"))
            .query(&[("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FOUND, "{next:?}");
        assert_eq!(location(&response), "/", "{next:?} must not be followed");
        assert!(response.headers().get("pwned").is_none());
    }
    // Each was still a visit through the link.
    assert_eq!(app.hit_count().await, cases.len() as u64);
}

async fn safe_next_values_are_kept_and_encoded(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    app.link(alice.id, "x").await;
    let client = browser();
    for (next, expected) in [
        ("/accounts/signup/", "/accounts/signup/"),
        ("/a?b=1&c=2", "/a?b=1&c=2"),
        ("/caf%C3%A9", "/caf%C3%A9"),
        ("/café", "/caf%C3%A9"),
        ("/path with space", "/path%20with%20space"),
    ] {
        let response = client
            .get(app.url("/ref/x"))
            .query(&[("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(location(&response), expected, "{next:?}");
        let raw = response.headers()["location"].as_bytes();
        assert!(raw.iter().all(|b| (0x21..=0x7e).contains(b)), "{raw:?}");
    }
}

async fn unknown_or_disabled_links_record_nothing_and_keep_the_cookie(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    app.link(alice.id, "good").await;
    let off = app.link(alice.id, "off").await;
    hype::services::links::set_disabled(&app.state.db, alice.id, off.id, true)
        .await
        .unwrap();
    let client = browser();
    let first = app.get(&client, "/ref/good").await;
    assert!(set_cookie(first.headers(), "hype_rk").is_some());

    for path in [
        "/ref/nope?next=/links",
        "/ref/off?next=/links",
        "/ref/bad%20id?next=/links",
    ] {
        let response = app.get(&client, path).await;
        assert_eq!(response.status(), StatusCode::FOUND);
        assert_eq!(location(&response), "/links");
        assert_eq!(
            set_cookie(response.headers(), "hype_rk"),
            None,
            "{path} must leave the visitor cookie alone"
        );
    }
    assert_eq!(app.hit_count().await, 1);
}

async fn head_records_nothing_post_is_refused_and_a_trailing_slash_works(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    app.link(alice.id, "x").await;
    let client = browser();

    let head = client.head(app.url("/ref/x?next=/a")).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::FOUND);
    assert_eq!(location(&head), "/a");
    let post = client.post(app.url("/ref/x")).send().await.unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(app.hit_count().await, 0);

    let slash = app.get(&client, "/ref/x/?next=/b").await;
    assert_eq!(slash.status(), StatusCode::FOUND);
    assert_eq!(location(&slash), "/b");
    assert_eq!(app.hit_count().await, 1);
}

async fn the_visitor_cookie_is_signed_scoped_and_kept(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    app.link(alice.id, "x").await;
    let client = browser();

    let first = app.get(&client, "/ref/x").await;
    let cookie = set_cookie(first.headers(), "hype_rk").expect("visitor cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=31536000"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert!(
        !cookie.contains("Secure"),
        "{cookie}: the test site is plain http"
    );
    let value = cookie_value(&cookie);
    let visitor = app
        .state
        .signer
        .verify(&value)
        .expect("a genuine signature");

    let second = app.get(&client, "/ref/x").await;
    assert_eq!(
        set_cookie(second.headers(), "hype_rk"),
        None,
        "set once, then kept"
    );
    let hits = app.hits().await;
    assert_eq!(hits.len(), 2);
    assert!(hits.iter().all(|h| h.visitor_id == Some(visitor)));
}

async fn a_forged_visitor_cookie_is_ignored(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    app.link(alice.id, "x").await;
    let forged_id = uuid::Uuid::new_v4();
    let genuine = app.state.signer.sign(uuid::Uuid::new_v4());
    let forged = format!("{}{}", forged_id.simple(), &genuine[32..]);

    for value in [forged.as_str(), "not-a-cookie", "%00"] {
        let response = bare_client()
            .get(app.url("/ref/x"))
            .header("Cookie", format!("hype_rk={value}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FOUND);
        let fresh = set_cookie(response.headers(), "hype_rk").expect("a fresh cookie replaces it");
        assert!(app.state.signer.verify(&cookie_value(&fresh)).is_some());
    }
    let hits = app.hits().await;
    assert_eq!(hits.len(), 3);
    assert!(hits.iter().all(|h| h.visitor_id != Some(forged_id)));
}

async fn cookies_are_secure_when_the_site_is_served_over_https(db: Db) {
    let app = spawn_app_with(db, |c| {
        c.public_url = url::Url::parse("https://refer.example").unwrap();
    })
    .await;
    let alice = app.user("alice").await;
    app.link(alice.id, "x").await;
    let response = app.get(&bare_client(), "/ref/x").await;
    let cookie = set_cookie(response.headers(), "hype_rk").unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
}

async fn identifiers_are_matched_ignoring_case(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    let link = app.link(alice.id, "Summer-Sale").await;
    let response = app.get(&browser(), "/ref/SUMMER-sale").await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let hits = app.hits().await;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].referral_link_id, link.id);
}

async fn stored_request_text_is_capped(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    app.link(alice.id, "x").await;
    let long_next = format!("/{}", "n".repeat(3000));
    bare_client()
        .get(app.url("/ref/x"))
        .query(&[("next", long_next.as_str())])
        .header("User-Agent", "u".repeat(5000))
        .header("Referer", format!("https://r.example/{}", "r".repeat(5000)))
        .send()
        .await
        .unwrap();
    let hit = &app.hits().await[0];
    assert_eq!(hit.user_agent.len(), 1024);
    assert_eq!(hit.http_referer.len(), 1024);
    assert_eq!(hit.next.len(), 2048);

    // Bytes that are not UTF-8 are stored the same way on every database: replaced, not lost.
    bare_client()
        .get(app.url("/ref/x"))
        .header(
            "User-Agent",
            reqwest::header::HeaderValue::from_bytes(b"agent \xff\xfe end").unwrap(),
        )
        .send()
        .await
        .unwrap();
    let hits = app.hits().await;
    let odd = hits
        .iter()
        .find(|h| h.user_agent.starts_with("agent"))
        .unwrap();
    assert_eq!(odd.user_agent, "agent \u{fffd}\u{fffd} end");
}

async fn ref_parameter_redirects_through_the_link_keeping_other_parameters(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    app.link(alice.id, "abc123").await;
    let client = browser();

    let response = app.get(&client, "/signup?a=1&ref=abc123&b=2&b=3").await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        location(&response),
        "/ref/abc123?next=%2Fsignup%3Fa%3D1%26b%3D2%26b%3D3"
    );
    // Following it records the hit and lands on the page with the other parameters.
    let follow = app.get(&client, &location(&response)).await;
    assert_eq!(location(&follow), "/signup?a=1&b=2&b=3");
    assert_eq!(app.hit_count().await, 1);

    let bare = app.get(&client, "/signup?ref=abc123").await;
    assert_eq!(location(&bare), "/ref/abc123?next=%2Fsignup");

    // Other methods pass through untouched.
    let post = client
        .post(app.url("/api/current_user?ref=abc123"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::OK);
}

async fn ref_parameter_with_an_unknown_link_serves_the_page(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    let off = app.link(alice.id, "off").await;
    hype::services::links::set_disabled(&app.state.db, alice.id, off.id, true)
        .await
        .unwrap();
    for path in [
        "/signup?ref=nope",
        "/signup?ref=off",
        "/signup?ref=bad%20id",
    ] {
        let response = app.get(&browser(), path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(response
            .text()
            .await
            .unwrap()
            .contains("Create your account"));
    }
    assert_eq!(app.hit_count().await, 0);
}

async fn anonymous_visits_create_no_session_rows(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    app.link(alice.id, "x").await;
    for _ in 0..20 {
        let response = app.get(&bare_client(), "/ref/x").await;
        assert_eq!(set_cookie(response.headers(), "hype_session"), None);
    }
    assert_eq!(app.hit_count().await, 20);
    assert_eq!(app.session_rows().await, 0);
}

async fn the_cookie_key_survives_a_restart(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    app.link(alice.id, "x").await;
    let client = browser();
    app.get(&client, "/ref/x").await;

    // A second process on the same database (a restart, or another instance behind the
    // load balancer) accepts the cookie the first one set.
    let other = spawn_second_instance(&app).await;
    let response = other.get(&client, "/ref/x").await;
    assert_eq!(set_cookie(response.headers(), "hype_rk"), None);
    let hits = app.hits().await;
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].visitor_id, hits[1].visitor_id);
}
