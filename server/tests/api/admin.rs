//! The admin dashboard over HTTP: authorization of every admin function, confirming exactly
//! once under concurrency, the hits browser's filters and pages, the CSV export, users.
use crate::helpers::*;
use crate::on_both_databases;
use hype::entities::{audit_log, referral_hits, referrals};
use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::Value;

on_both_databases!(
    every_admin_function_refuses_visitors_and_non_admins_and_changes_nothing,
    a_hundred_concurrent_confirms_credit_the_referrer_once,
    two_admins_confirming_twenty_referrals_at_once_credit_each_once,
    unconfirm_and_reject_reverse_the_credit,
    confirming_a_claimed_hit_creates_and_confirms_its_referral,
    the_hits_browser_filters_by_every_field,
    keyset_pages_skip_and_repeat_nothing_while_hits_arrive,
    the_csv_export_streams_the_filtered_hits_to_admins_only,
    the_last_admin_cannot_be_revoked,
    two_admins_revoking_each_other_at_once_leave_one_admin,
    confirming_a_hit_never_credits_another_referrer,
    users_see_their_rewards,
    admin_pages_render_for_admins_only,
    admin_pages_send_visitors_to_log_in_and_back,
    the_ledger_link_keeps_the_search_intact,
    a_nul_byte_in_a_log_in_or_a_search_is_refused_plainly,
    stored_strings_are_shown_as_text_never_as_html,
);

async fn stored_strings_are_shown_as_text_never_as_html(db: Db) {
    let app = spawn_app(db).await;
    app.admin("root").await;
    let alice = app.user("alice").await;
    app.link(alice.id, "alice").await;
    let followed = bare_client()
        .get(app.url("/ref/alice"))
        .query(&[("next", "/<img src=x onerror=alert(2)>")])
        .header("User-Agent", "<script>alert(1)</script>")
        .header("Referer", "https://x.example/\"><b>bold</b>")
        .send()
        .await
        .unwrap();
    assert_eq!(followed.status(), reqwest::StatusCode::FOUND);
    assert_eq!(
        app.hit_count().await,
        1,
        "the hit with the hostile strings is stored"
    );
    let admin = app.signed_in("root").await;
    let page = app.get(&admin, "/admin/hits").await.text().await.unwrap();
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the agent is shown, escaped"
    );
    // Each hostile string is on the page as text (so the checks below can't pass on a page
    // that simply leaves the column out), and none of them as markup.
    assert!(
        page.contains("&lt;b&gt;bold&lt;/b&gt;"),
        "the referer is shown, escaped"
    );
    assert!(
        page.contains("&lt;img src=x onerror=alert(2)&gt;"),
        "next is shown, escaped"
    );
    assert!(!page.contains("<script>alert(1)"));
    assert!(!page.contains("<img src=x"));
    assert!(!page.contains("<b>bold</b>"));
}

const ADMIN_ENDPOINTS: [&str; 23] = [
    "overview",
    "list_hits",
    "list_referrals",
    "decide_referral",
    "decide_referrals",
    "confirm_hit",
    "list_links",
    "set_link_disabled",
    "create_link",
    "list_users",
    "set_user_admin",
    "user_ledger",
    "list_audit",
    "list_webhooks",
    "create_webhook",
    "set_webhook_enabled",
    "delete_webhook",
    "send_test_event",
    "redeliver",
    "list_api_keys",
    "create_api_key",
    "revoke_api_key",
    "what_if",
];

/// Everything an admin function could change, counted.
async fn snapshot(app: &TestApp) -> Vec<u64> {
    let db = &app.state.db;
    let admins = hype::services::users::search(db, "", 1000)
        .await
        .unwrap()
        .iter()
        .filter(|u| u.is_admin)
        .count() as u64;
    let disabled = hype::services::links::search(db, "", 1000)
        .await
        .unwrap()
        .iter()
        .filter(|l| l.disabled)
        .count() as u64;
    let confirmed = hype::services::referrals::list(
        db,
        hype::entities::referrals::ReferralStatus::Confirmed,
        None,
        1000,
    )
    .await
    .unwrap()
    .len() as u64;
    vec![
        app.ledger_rows().await,
        audit_log::Entity::find().count(db).await.unwrap(),
        hype::entities::webhook_endpoints::Entity::find()
            .count(db)
            .await
            .unwrap(),
        hype::entities::outbox_events::Entity::find()
            .count(db)
            .await
            .unwrap(),
        hype::entities::api_keys::Entity::find()
            .count(db)
            .await
            .unwrap(),
        referrals::Entity::find().count(db).await.unwrap(),
        confirmed,
        admins,
        disabled,
        hype::services::links::search(db, "", 1000)
            .await
            .unwrap()
            .len() as u64,
    ]
}

async fn every_admin_function_refuses_visitors_and_non_admins_and_changes_nothing(db: Db) {
    let app = spawn_app(db).await;
    app.admin("root").await;
    let alice = app.user("alice").await;
    let referral = app.referral(alice.id, "alice", "friend").await;
    app.user("mallory").await;
    let before = snapshot(&app).await;

    let registered: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .filter(|path| path.starts_with("/api/admin/"))
        .collect();
    for name in ADMIN_ENDPOINTS {
        assert!(
            registered.contains(&format!("/api/admin/{name}")),
            "admin/{name} is not registered"
        );
    }
    assert_eq!(registered.len(), ADMIN_ENDPOINTS.len(), "{registered:?}");

    let id = referral.id.to_string();
    let hit = referral.referral_hit_id.unwrap().to_string();
    let body = [
        ("id", id.as_str()),
        ("action", "confirm_override"),
        ("ids[0]", id.as_str()),
        ("disabled", "true"),
        ("is_admin", "true"),
        ("username", "mallory"),
        ("identifier", "sneaky"),
        ("status", "pending"),
        ("query[q]", ""),
        ("override_flags", "true"),
        ("url", "https://hooks.example/hype"),
        ("events", ""),
        ("enabled", "false"),
        ("name", "sneaky key"),
        ("scopes", ""),
        ("model", "first-click"),
        ("days", "30"),
    ];
    let mallory = app.signed_in("mallory").await;
    for path in &registered {
        let anonymous = bare_client()
            .post(app.url(path))
            .header("Accept", "application/json")
            .form(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            anonymous.status(),
            StatusCode::UNAUTHORIZED,
            "{path} for a visitor"
        );
        let user = mallory
            .post(app.url(path))
            .header("Accept", "application/json")
            .form(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            user.status(),
            StatusCode::FORBIDDEN,
            "{path} for a non-admin"
        );
    }
    // confirm_hit takes a hit id: the same refusal with a real one.
    let refused = mallory
        .post(app.url("/api/admin/confirm_hit"))
        .form(&[("id", hit.as_str())])
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        snapshot(&app).await,
        before,
        "a refused call changed something"
    );
}

async fn a_hundred_concurrent_confirms_credit_the_referrer_once(db: Db) {
    let app = spawn_app(db).await;
    app.admin("root").await;
    let alice = app.user("alice").await;
    let referral = app.referral(alice.id, "alice", "friend").await;
    let admin = app.signed_in("root").await;

    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let (client, url, id) = (
            admin.clone(),
            app.url("/api/admin/decide_referral"),
            referral.id,
        );
        calls.spawn(async move {
            client
                .post(url)
                .header("Accept", "application/json")
                .form(&[("id", id.to_string().as_str()), ("action", "confirm")])
                .send()
                .await
                .map(|r| r.status())
        });
    }
    let mut statuses = Vec::new();
    while let Some(result) = calls.join_next().await {
        statuses.push(result.unwrap().unwrap());
    }
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(app.ledger_rows().await, 1);
    assert_eq!(app.balance(alice.id).await, 100);
    let stored = referrals::Entity::find_by_id(referral.id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status.as_str(), "confirmed");
}

async fn two_admins_confirming_twenty_referrals_at_once_credit_each_once(db: Db) {
    let app = spawn_app(db).await;
    app.admin("root").await;
    app.admin("root2").await;
    let alice = app.user("alice").await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(
            app.referral(alice.id, "alice", &format!("friend{i}"))
                .await
                .id,
        );
    }
    let admins = [app.signed_in("root").await, app.signed_in("root2").await];
    let mut calls = tokio::task::JoinSet::new();
    for client in &admins {
        for id in &ids {
            let (client, url, id) = (client.clone(), app.url("/api/admin/decide_referral"), *id);
            calls.spawn(async move {
                client
                    .post(url)
                    .header("Accept", "application/json")
                    .form(&[("id", id.to_string().as_str()), ("action", "confirm")])
                    .send()
                    .await
                    .map(|r| r.status())
            });
        }
    }
    while let Some(result) = calls.join_next().await {
        let status = result.unwrap().unwrap();
        assert_eq!(status, StatusCode::OK);
    }
    let confirmed = hype::services::referrals::list(
        &app.state.db,
        hype::entities::referrals::ReferralStatus::Confirmed,
        None,
        100,
    )
    .await
    .unwrap();
    assert_eq!(confirmed.len(), 20);
    assert_eq!(app.ledger_rows().await, 20);
    let entries = hype::services::ledger::entries(&app.state.db, alice.id)
        .await
        .unwrap();
    let sum: i64 = entries.iter().map(|e| e.amount).sum();
    assert_eq!(app.balance(alice.id).await, sum);
    assert_eq!(sum, 100 * 20);
}

async fn unconfirm_and_reject_reverse_the_credit(db: Db) {
    let app = spawn_app(db).await;
    app.admin("root").await;
    let alice = app.user("alice").await;
    let referral = app.referral(alice.id, "alice", "friend").await;
    let admin = app.signed_in("root").await;
    let id = referral.id.to_string();
    let decide = |action: &'static str| {
        let (admin, url, id) = (
            admin.clone(),
            app.url("/api/admin/decide_referral"),
            id.clone(),
        );
        async move {
            admin
                .post(url)
                .header("Accept", "application/json")
                .form(&[("id", id.as_str()), ("action", action)])
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        decide("confirm").await.json::<String>().await.unwrap(),
        "Referral confirmed."
    );
    assert_eq!(app.balance(alice.id).await, 100);
    assert_eq!(
        decide("unconfirm").await.json::<String>().await.unwrap(),
        "Referral unconfirmed."
    );
    assert_eq!(app.balance(alice.id).await, 0);
    decide("confirm").await;
    decide("reject").await;
    assert_eq!(app.balance(alice.id).await, 0);
    assert_eq!(
        app.ledger_rows().await,
        4,
        "reversals are new entries, never edits"
    );
    let bad = decide("explode").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let audit = hype::services::audit::list(&app.state.db, None, 10)
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().rev().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "confirm_referral",
            "unconfirm_referral",
            "confirm_referral",
            "reject_referral"
        ]
    );
}

async fn confirming_a_claimed_hit_creates_and_confirms_its_referral(db: Db) {
    let app = spawn_app(db).await;
    app.admin("root").await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.link(alice.id, "alice").await;
    // bob follows the link while signed in: a claimed hit, and no referral.
    let bob_client = app.signed_in("bob").await;
    app.get(&bob_client, "/ref/alice").await;
    assert!(app.referrals().await.is_empty());
    let hit = app.hits().await[0].id.to_string();
    let admin = app.signed_in("root").await;

    let response = admin
        .post(app.url("/api/admin/confirm_hit"))
        .header("Accept", "application/json")
        .form(&[("id", hit.as_str())])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let referrals = app.referrals().await;
    assert_eq!(referrals.len(), 1);
    assert_eq!(referrals[0].referred_user_id, bob.id);
    assert_eq!(referrals[0].status.as_str(), "confirmed");
    assert_eq!(app.balance(alice.id).await, 100);
    let unclaimed = app.get(&bare_client(), "/ref/alice").await;
    assert_eq!(unclaimed.status(), StatusCode::FOUND);
    let anonymous_hit = app
        .hits()
        .await
        .into_iter()
        .find(|h| h.hit_user_id.is_none())
        .unwrap();
    let refused = admin
        .post(app.url("/api/admin/confirm_hit"))
        .header("Accept", "application/json")
        .form(&[("id", anonymous_hit.id.to_string().as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::CONFLICT);
}

async fn list_hits(app: &TestApp, client: &reqwest::Client, query: &[(&str, &str)]) -> Value {
    let form: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (format!("query[{k}]"), v.to_string()))
        .collect();
    let response = client
        .post(app.url("/api/admin/list_hits"))
        .header("Accept", "application/json")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{query:?}");
    response.json().await.unwrap()
}

fn count(page: &Value) -> usize {
    page["rows"].as_array().map(Vec::len).unwrap_or(0)
}

async fn the_hits_browser_filters_by_every_field(db: Db) {
    let app = spawn_app(db).await;
    app.admin("root").await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.user("carol").await;
    app.link(alice.id, "alice-link").await;
    app.link(bob.id, "bob-link").await;
    // Two anonymous Firefox hits on alice's link, one of them later claimed by dave at sign-up.
    let dave = browser();
    dave.get(app.url("/ref/alice-link?next=/promo"))
        .header("User-Agent", "Firefox/140")
        .send()
        .await
        .unwrap();
    bare_client()
        .get(app.url("/ref/alice-link"))
        .header("User-Agent", "Firefox/140")
        .send()
        .await
        .unwrap();
    app.signup(&dave, "dave").await;
    // carol, signed in, follows bob's link.
    let carol = app.signed_in("carol").await;
    carol
        .get(app.url("/ref/bob-link"))
        .header("User-Agent", "Chrome/150")
        .send()
        .await
        .unwrap();
    // An old hit, ten days ago.
    bare_client()
        .get(app.url("/ref/bob-link"))
        .header("User-Agent", "Old/1")
        .send()
        .await
        .unwrap();
    let old = app
        .hits()
        .await
        .into_iter()
        .find(|h| h.user_agent == "Old/1")
        .unwrap();
    let ten_days_ago = hype::services::now() - chrono::Duration::days(10);
    referral_hits::Entity::update(referral_hits::ActiveModel {
        id: sea_orm::Set(old.id),
        created_at: sea_orm::Set(ten_days_ago),
        ..Default::default()
    })
    .exec(&app.state.db)
    .await
    .unwrap();
    // Confirm dave's referral.
    let referral = app.referrals().await.into_iter().next().unwrap();
    hype::services::referrals::confirm(&app.state.db, referral.id, alice.id, false, 100)
        .await
        .unwrap();

    let admin = app.signed_in("root").await;
    let today = hype::services::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    let old_day = ten_days_ago.date_naive().format("%Y-%m-%d").to_string();
    for (query, expected) in [
        (vec![], 4),
        (vec![("link", "ALICE-LINK")], 2),
        (vec![("referrer", "bob")], 2),
        (vec![("referrer", " BOB ")], 2),
        (vec![("hit_user", "dave")], 1),
        (vec![("hit_user", "Dave")], 1),
        // A name that matches nobody matches no hit (not every hit).
        (vec![("link", "no-such-link")], 0),
        (vec![("referrer", "nobody")], 0),
        (vec![("hit_user", "nobody")], 0),
        (vec![("referrer", "carol")], 0),
        (vec![("referrer", "alice"), ("from", today.as_str())], 2),
        (vec![("auth", "authenticated")], 1),
        (vec![("auth", "anonymous")], 3),
        (vec![("claimed", "yes")], 2),
        (vec![("claimed", "no")], 2),
        (vec![("confirmed", "yes")], 1),
        (vec![("confirmed", "no")], 3),
        (vec![("from", today.as_str())], 3),
        (vec![("to", old_day.as_str())], 1),
        (
            vec![("from", old_day.as_str()), ("to", old_day.as_str())],
            1,
        ),
        (vec![("q", "firefox")], 2),
        (vec![("q", "/promo")], 1),
        (vec![("q", "127.0.0")], 4),
        (vec![("q", "100%")], 0),
        (
            vec![("link", "alice-link"), ("claimed", "no"), ("q", "fire")],
            1,
        ),
    ] {
        let page = list_hits(&app, &admin, &query).await;
        assert_eq!(count(&page), expected, "{query:?}");
    }
    let bad = admin
        .post(app.url("/api/admin/list_hits"))
        .header("Accept", "application/json")
        .form(&[("query[from]", "yesterday")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(bad.text().await.unwrap().contains("a date like"));
}

async fn keyset_pages_skip_and_repeat_nothing_while_hits_arrive(db: Db) {
    let app = spawn_app(db).await;
    app.admin("root").await;
    let alice = app.user("alice").await;
    let link = app.link(alice.id, "alice").await;
    for _ in 0..120 {
        hype::services::hits::record(
            &app.state.db,
            hype::services::hits::NewHit {
                link_id: link.id,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let original: std::collections::BTreeSet<String> = app
        .hits()
        .await
        .into_iter()
        .map(|h| h.id.to_string())
        .collect();
    let admin = app.signed_in("root").await;

    let mut seen = Vec::new();
    let mut query: Vec<(&str, String)> = vec![];
    loop {
        let q: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = list_hits(&app, &admin, &q).await;
        for row in page["rows"].as_array().unwrap() {
            seen.push(row["id"].as_str().unwrap().to_owned());
        }
        // New hits keep arriving between pages.
        app.get(&bare_client(), "/ref/alice").await;
        match page["older"].as_str() {
            Some(cursor) => query = vec![("before", cursor.to_owned())],
            None => break,
        }
    }
    assert_eq!(seen.len(), 120, "every original hit exactly once");
    let unique: std::collections::BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique, original);

    // The last page holds the oldest hits, and "newer" from it walks back.
    let last = list_hits(&app, &admin, &[("last", "1")]).await;
    assert_eq!(count(&last), 50);
    assert!(last["older"].is_null());
    let newer = last["newer"].as_str().unwrap().to_owned();
    let back = list_hits(&app, &admin, &[("after", newer.as_str())]).await;
    assert_eq!(count(&back), 50);
    let ids = |page: &Value| -> std::collections::BTreeSet<String> {
        page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(
        ids(&back).is_disjoint(&ids(&last)),
        "the page before the last one, no overlap"
    );
}

async fn the_csv_export_streams_the_filtered_hits_to_admins_only(db: Db) {
    let app = spawn_app(db).await;
    app.admin("root").await;
    let alice = app.user("alice").await;
    app.link(alice.id, "alice").await;
    for agent in ["Agent, with comma", "=cmd()", "plain"] {
        bare_client()
            .get(app.url("/ref/alice?next=/x"))
            .header("User-Agent", agent)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        app.get(&bare_client(), "/admin/hits.csv").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let alice_client = app.signed_in("alice").await;
    assert_eq!(
        app.get(&alice_client, "/admin/hits.csv").await.status(),
        StatusCode::FORBIDDEN
    );

    let admin = app.signed_in("root").await;
    let all = app.get(&admin, "/admin/hits.csv").await;
    assert_eq!(all.status(), StatusCode::OK);
    assert!(all.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = all.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("id,created_at,link,referrer"));
    assert_eq!(lines.len(), 4);
    assert!(text.contains("\"Agent, with comma\""));
    assert!(text.contains("'=cmd()"));
    let filtered = app
        .get(&admin, "/admin/hits.csv?q=plain")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(filtered.lines().count(), 2);
    let bad = app.get(&admin, "/admin/hits.csv?confirmed=maybe").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

async fn the_last_admin_cannot_be_revoked(db: Db) {
    let app = spawn_app(db).await;
    let root = app.admin("root").await;
    let alice = app.user("alice").await;
    let admin = app.signed_in("root").await;
    let set = |id: i32, is_admin: bool| {
        let (admin, url) = (admin.clone(), app.url("/api/admin/set_user_admin"));
        async move {
            admin
                .post(url)
                .header("Accept", "application/json")
                .form(&[("id", id.to_string()), ("is_admin", is_admin.to_string())])
                .send()
                .await
                .unwrap()
        }
    };
    let refused = set(root.id, false).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(refused.text().await.unwrap().contains("last admin"));
    assert_eq!(set(alice.id, true).await.status(), StatusCode::OK);
    assert_eq!(set(root.id, false).await.status(), StatusCode::OK);
    let root_now = hype::services::users::find_by_id(&app.state.db, root.id)
        .await
        .unwrap()
        .unwrap();
    assert!(!root_now.is_admin);
    // root is no longer an admin: the very next call is refused.
    assert_eq!(set(root.id, true).await.status(), StatusCode::FORBIDDEN);
    let audit = hype::services::audit::list(&app.state.db, None, 10)
        .await
        .unwrap();
    assert_eq!(audit.len(), 2);
}

async fn users_see_their_rewards(db: Db) {
    let app = spawn_app(db).await;
    app.admin("root").await;
    let alice = app.user("alice").await;
    let first = app.referral(alice.id, "alice", "friend1").await;
    app.referral(alice.id, "alice", "friend2").await;
    hype::services::referrals::confirm(&app.state.db, first.id, alice.id, false, 100)
        .await
        .unwrap();
    let client = app.signed_in("alice").await;
    let rewards: Value = app
        .call(&client, "my_rewards", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rewards["balance"], 100);
    assert_eq!(rewards["confirmed"].as_array().unwrap().len(), 1);
    assert_eq!(rewards["pending"].as_array().unwrap().len(), 1);
    assert_eq!(rewards["entries"][0]["amount"], 100);
    let page = app.get(&client, "/rewards").await.text().await.unwrap();
    assert!(page.contains("friend1") && page.contains("friend2"));
    assert_eq!(
        app.call(&bare_client(), "my_rewards", &[]).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn admin_pages_render_for_admins_only(db: Db) {
    let app = spawn_app(db).await;
    app.admin("root").await;
    let alice = app.user("alice").await;
    app.referral(alice.id, "alice", "friend").await;
    let admin = app.signed_in("root").await;
    let user = app.signed_in("alice").await;
    for (path, text) in [
        ("/admin", "Top referrers"),
        // One visit so far: the chart's caption counts it in the singular.
        ("/admin", "1 hit in 30 days (peak 1)"),
        ("/admin/hits", "Export CSV"),
        ("/admin/referrals", "friend"),
        ("/admin/links", "Create a link for a user"),
        ("/admin/users", "alice"),
        ("/admin/audit", "No admin actions recorded yet"),
        ("/admin/api-keys", "No keys yet"),
    ] {
        let page = app.get(&admin, path).await;
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        assert!(
            page.text().await.unwrap().contains(text),
            "{path} should show {text:?}"
        );
        let refused = app.get(&user, path).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
        let refused = refused.text().await.unwrap();
        assert!(refused.contains("Admins only"), "{path} for a non-admin");
    }
}

async fn admin_pages_send_visitors_to_log_in_and_back(db: Db) {
    let app = spawn_app(db).await;
    app.admin("root").await;
    let visitor = browser();
    let response = app.get(&visitor, "/admin/hits?claimed=yes").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        "/login?next=%2Fadmin%2Fhits%3Fclaimed%3Dyes"
    );

    // The log-in page carries `next` in its form, and logging in goes there.
    let page = app
        .get(&visitor, &location(&response))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"name="next" value="/admin/hits?claimed=yes""#),
        "{page}"
    );
    let logged_in = visitor
        .post(app.url("/api/login"))
        .header("Accept", "text/html")
        .form(&[
            ("username", "root"),
            ("password", PASSWORD),
            ("next", "/admin/hits?claimed=yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(logged_in.status(), StatusCode::FOUND);
    assert_eq!(location(&logged_in), "/admin/hits?claimed=yes");
    let hits = app.get(&visitor, "/admin/hits?claimed=yes").await;
    assert_eq!(hits.status(), StatusCode::OK);

    // A `next` off the site is ignored.
    let elsewhere = browser()
        .post(app.url("/api/login"))
        .header("Accept", "text/html")
        .form(&[
            ("username", "root"),
            ("password", PASSWORD),
            ("next", "//evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&elsewhere), "/links");
}

async fn the_ledger_link_keeps_the_search_intact(db: Db) {
    let app = spawn_app(db).await;
    app.admin("root").await;
    let carol = hype::services::users::create(
        &app.state.db,
        &hype::types::Username::parse("carol").unwrap(),
        hype::types::Email::parse_optional(Some("carol+x@example.com"))
            .unwrap()
            .as_ref(),
        &hype::types::Password::parse(PASSWORD).unwrap(),
        false,
    )
    .await
    .unwrap();
    let admin = app.signed_in("root").await;
    let page = app
        .get(&admin, "/admin/users?q=%2Bx")
        .await
        .text()
        .await
        .unwrap();
    // `+` in a query is a space: unencoded, the link would search for " x" and find nobody.
    let href = format!("/admin/users?q=%2Bx&amp;user={}", carol.id);
    assert!(page.contains(&href), "no {href} in {page}");
}

async fn a_nul_byte_in_a_log_in_or_a_search_is_refused_plainly(db: Db) {
    let app = spawn_app(db).await;
    app.admin("root").await;
    let login = app
        .call(
            &browser(),
            "login",
            &[("username", "ro\0ot"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);
    assert!(login.text().await.unwrap().contains("BadCredentials"));

    let admin = app.signed_in("root").await;
    for (endpoint, field) in [
        ("admin/list_users", "q"),
        ("admin/list_links", "q"),
        ("admin/list_hits", "query[q]"),
        ("admin/list_hits", "query[referrer]"),
    ] {
        let response = app.call(&admin, endpoint, &[(field, "a\0b")]).await;
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{endpoint} {field}"
        );
        let body = response.text().await.unwrap();
        assert!(body.contains("NUL character"), "{endpoint} {field}: {body}");
    }
    // The site still answers normally afterwards.
    assert_eq!(
        app.call(&admin, "admin/list_users", &[("q", "ro")])
            .await
            .status(),
        StatusCode::OK
    );
}

async fn two_admins_revoking_each_other_at_once_leave_one_admin(db: Db) {
    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
    let app = spawn_app(db).await;
    let alpha = app.admin("alpha").await;
    let bravo = app.admin("bravo").await;
    let db = app.state.db.clone();
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    // On PostgreSQL, hold both rows until both revocations are waiting, so that they overlap.
    let blocker = if postgres {
        let txn = db.begin().await.unwrap();
        txn.execute(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT id FROM users WHERE id IN ({}, {}) FOR UPDATE",
                alpha.id, bravo.id
            ),
        ))
        .await
        .unwrap();
        Some(txn)
    } else {
        None
    };
    let revoke = |actor: i32, target: i32| {
        let db = db.clone();
        tokio::spawn(
            async move { hype::services::users::set_admin(&db, actor, target, false).await },
        )
    };
    let first = revoke(bravo.id, alpha.id);
    let second = revoke(alpha.id, bravo.id);
    if let Some(txn) = blocker {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let waiting = db
                .query_one(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT COUNT(*) AS n FROM pg_stat_activity \
                     WHERE datname = current_database() AND wait_event_type = 'Lock'",
                ))
                .await
                .unwrap()
                .unwrap()
                .try_get::<i64>("", "n")
                .unwrap();
            if waiting >= 2 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "both revocations wait"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        txn.commit().await.unwrap();
    }
    let results = [first.await.unwrap(), second.await.unwrap()];
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .any(|r| matches!(r, Err(hype::Error::Conflict(m)) if m.contains("last admin"))),
        "{results:?}"
    );
    let admins = hype::entities::users::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|u| u.is_admin)
        .count();
    assert_eq!(admins, 1);
}

/// Bob came through Alice's link and was referred to her; later he followed Carol's link while
/// signed in. Confirming that later hit must not confirm (and credit) Alice's referral.
async fn confirming_a_hit_never_credits_another_referrer(db: Db) {
    let app = spawn_app(db).await;
    app.admin("root").await;
    let alice = app.user("alice").await;
    let carol = app.user("carol").await;
    let referral = app.referral(alice.id, "alice", "bob").await;
    app.link(carol.id, "carol").await;
    let bob = app.signed_in("bob").await;
    assert_eq!(
        app.get(&bob, "/ref/carol").await.status(),
        StatusCode::FOUND
    );
    let carols_hit = app
        .hits()
        .await
        .into_iter()
        .find(|h| Some(h.id) != referral.referral_hit_id)
        .expect("bob's hit through carol's link");
    let admin = app.signed_in("root").await;
    let id = carols_hit.id.to_string();
    let refused = app
        .call(
            &admin,
            "admin/confirm_hit",
            &[("id", id.as_str()), ("override_flags", "true")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("another of their hits"));
    assert_eq!(app.balance(alice.id).await, 0);
    assert_eq!(app.balance(carol.id).await, 0);
    let stored = referrals::Entity::find_by_id(referral.id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status.as_str(), "pending");

    // The hit that won is the one that confirms.
    let won = referral.referral_hit_id.unwrap().to_string();
    let confirmed = app
        .call(
            &admin,
            "admin/confirm_hit",
            &[("id", won.as_str()), ("override_flags", "true")],
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert_eq!(app.balance(alice.id).await, 100);
}
