//! `/api/v1` over HTTP: API keys and scopes, problem+json errors, and conversions recorded
//! exactly once per Idempotency-Key, confirming a referral once however many arrive.
use crate::helpers::*;
use crate::on_both_databases;
use hype::config::AutoConfirm;
use hype::entities::{conversions, referrals::ReferralStatus};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

on_both_databases!(
    referrals_are_listed_in_keyset_pages,
    keys_and_scopes_decide_who_may_call,
    a_conversion_is_recorded_once_per_idempotency_key,
    many_conversions_of_one_referee_confirm_it_once,
    a_key_made_without_javascript_is_shown_once,
);

async fn a_key_made_without_javascript_is_shown_once(db: Db) {
    let app = spawn_app(db).await;
    app.admin("root").await;
    let admin = app.signed_in("root").await;
    let made = app
        .post_plain_form(
            &admin,
            "admin/create_api_key",
            "/admin/api-keys",
            &[("name", "Shop backend"), ("scopes", "conversions:write")],
        )
        .await;
    assert_eq!(made.status(), StatusCode::FOUND);
    // Back to the page it came from (server_fn leaves an empty query on it).
    assert_eq!(
        location(&made).trim_end_matches('?'),
        app.url("/admin/api-keys")
    );
    let page = app
        .get(&admin, "/admin/api-keys")
        .await
        .text()
        .await
        .unwrap();
    let shown = page
        .split_once(r#"data-testid="new-api-key""#)
        .and_then(|(_, rest)| rest.split_once('>'))
        .unwrap_or_else(|| panic!("the new key on the page: {page}"))
        .1;
    let key: String = shown.chars().take_while(|c| *c != '<').collect();
    assert!(key.starts_with("hype_"), "{key}");
    let (status, _, _) = convert(&app, &key, Some("k1"), &purchase("nobody")).await;
    assert!(
        ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&status),
        "the key shown works, with its scope: {key} {status}"
    );
    let again = app
        .get(&admin, "/admin/api-keys")
        .await
        .text()
        .await
        .unwrap();
    assert!(!again.contains(&key), "shown once");
    assert!(again.contains("Shop backend"));
}

async fn convert(
    app: &TestApp,
    key: &str,
    idempotency_key: Option<&str>,
    body: &Value,
) -> (StatusCode, Option<String>, Value) {
    let mut request = bare_client()
        .post(app.url("/api/v1/conversions"))
        .bearer_auth(key)
        .json(body);
    if let Some(idempotency_key) = idempotency_key {
        request = request.header("Idempotency-Key", idempotency_key);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, kind, response.json().await.unwrap_or(Value::Null))
}

fn purchase(username: &str) -> Value {
    json!({
        "customer": {"username": username},
        "event": "purchase",
        "amount": 4900,
        "currency": "EUR",
        "occurred_at": "2026-12-01T10:00:00Z",
    })
}

async fn keys_and_scopes_decide_who_may_call(db: Db) {
    let app = spawn_app(db).await;
    app.user("bob").await;
    let body = purchase("bob");
    let (status, kind, problem) = convert(&app, "", Some("k1"), &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(kind.as_deref(), Some("application/problem+json"));
    assert_eq!(problem["status"], 401);
    assert!(
        problem["detail"].as_str().unwrap().contains("Bearer"),
        "{problem}"
    );
    let (status, _, _) = convert(&app, "hype_0123456789", Some("k1"), &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let reader = app.api_key("referrals:read").await;
    let (status, kind, problem) = convert(&app, &reader, Some("k1"), &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(kind.as_deref(), Some("application/problem+json"));
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("conversions:write"),
        "{problem}"
    );

    let writer = app.api_key("conversions:write").await;
    let (status, _, _) = convert(&app, &writer, Some("k1"), &body).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = hype::services::api_keys::list(&app.state.db).await.unwrap()[0].id;
    hype::services::api_keys::revoke(&app.state.db, None, id)
        .await
        .unwrap();
    let (status, _, _) = convert(&app, &writer, Some("k2"), &body).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a revoked key stops at once"
    );

    let unknown = bare_client()
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let fresh = app.api_key("conversions:write").await;
    let huge = bare_client()
        .post(app.url("/api/v1/conversions"))
        .bearer_auth(&fresh)
        .header("Idempotency-Key", "big")
        .body(vec![b' '; 100_000])
        .send()
        .await
        .unwrap();
    assert!(
        matches!(
            huge.status(),
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::FORBIDDEN
        ),
        "{}",
        huge.status()
    );
}

async fn a_conversion_is_recorded_once_per_idempotency_key(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    let referral = app.referral(alice.id, "alice-link", "bob").await;
    let writer = app.api_key("conversions:write,referrals:read").await;
    let body = purchase("bob");

    let (status, kind, problem) = convert(&app, &writer, None, &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(kind.as_deref(), Some("application/problem+json"));
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("Idempotency-Key"));
    let (status, _, problem) = convert(&app, &writer, Some("u1"), &purchase("nobody-known")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem["detail"].as_str().unwrap().contains("No user"),
        "{problem}"
    );
    let two_names =
        json!({"customer": {"username": "bob", "email": "b@x.example"}, "event": "purchase"});
    let (status, _, _) = convert(&app, &writer, Some("u2"), &two_names).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        conversions::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0,
        "refused requests store nothing"
    );

    let (status, _, first) = convert(&app, &writer, Some("order-1"), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["referral"]["id"], referral.id);
    assert_eq!(
        first["referral"]["status"], "pending",
        "HYPE_AUTO_CONFIRM is off"
    );
    let (status, _, again) = convert(&app, &writer, Some("order-1"), &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, first, "a retry gets the same answer");
    let mut other = body.clone();
    other["amount"] = json!(5000);
    let (status, kind, problem) = convert(&app, &writer, Some("order-1"), &other).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(kind.as_deref(), Some("application/problem+json"));
    assert!(problem["detail"].as_str().unwrap().contains("another body"));

    // 50 identical requests at once: one effect, one answer.
    let calls = (0..50).map(|_| convert(&app, &writer, Some("order-2"), &body));
    let answers = futures_util::future::join_all(calls).await;
    let created = answers
        .iter()
        .filter(|(s, _, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(
        created,
        1,
        "{:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    assert!(answers.iter().all(
        |(s, _, a)| (*s == StatusCode::CREATED || *s == StatusCode::OK) && *a == answers[0].2
    ));
    assert_eq!(
        conversions::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        2
    );

    let seen: Value = bare_client()
        .get(app.url(&format!("/api/v1/referrals/{}", referral.id)))
        .bearer_auth(&writer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen["status"], "pending");
    assert_eq!(seen["referrer"], "alice");
    assert_eq!(seen["conversions"].as_array().unwrap().len(), 2, "{seen}");

    // The admin's queue shows them beside the referral.
    app.admin("root").await;
    let admin = app.signed_in("root").await;
    let queue = app
        .get(&admin, "/admin/referrals")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        queue.contains("2 (latest: purchase)"),
        "the queue shows the conversions"
    );
}

async fn many_conversions_of_one_referee_confirm_it_once(db: Db) {
    let app = spawn_app_with(db, |c| c.auto_confirm = AutoConfirm::Conversion).await;
    let alice = app.user("alice").await;
    let referral = app.referral(alice.id, "alice-link", "bob").await;
    let writer = app.api_key("conversions:write").await;
    let calls = (0..50).map(|n| {
        let idempotency_key = format!("order-{n}");
        let writer = writer.clone();
        let app = &app;
        async move { convert(app, &writer, Some(&idempotency_key), &purchase("bob")).await }
    });
    let answers = futures_util::future::join_all(calls).await;
    assert!(answers.iter().all(|(s, _, _)| *s == StatusCode::CREATED));
    let confirming = answers
        .iter()
        .filter(|(_, _, a)| a["referral"]["confirmed_by_this_conversion"] == true)
        .count();
    assert_eq!(confirming, 1, "one conversion confirmed it");
    let referral = hype::entities::referrals::Entity::find_by_id(referral.id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(referral.status, ReferralStatus::Confirmed);
    assert_eq!(app.balance(alice.id).await, 100, "one credit");
    assert_eq!(app.ledger_rows().await, 1);
    let audit = hype::entities::audit_log::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    let confirmations: Vec<_> = audit
        .iter()
        .filter(|a| a.action == "confirm_referral")
        .collect();
    assert_eq!(confirmations.len(), 1);
    assert!(
        confirmations[0].detail.contains("API key \"shop backend\""),
        "the key is named: {:?}",
        confirmations[0]
    );
    assert_eq!(
        conversions::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        50
    );

    // A flagged referral waits for an admin.
    let carol = app.user("carol").await;
    let flagged = app.referral(carol.id, "carol-link", "dave").await;
    hype::entities::referrals::Entity::update_many()
        .col_expr(
            hype::entities::referrals::Column::Flags,
            sea_orm::sea_query::Expr::value("same_ip"),
        )
        .filter(hype::entities::referrals::Column::Id.eq(flagged.id))
        .exec(&app.state.db)
        .await
        .unwrap();
    let (status, _, answer) = convert(&app, &writer, Some("dave-1"), &purchase("dave")).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(answer["referral"]["status"], "pending");
    assert_eq!(answer["referral"]["flagged"], true);
    assert_eq!(app.balance(carol.id).await, 0);
}

async fn referrals_are_listed_in_keyset_pages(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    let carol = app.user("carol").await;
    let mut alices = Vec::new();
    for n in 0..5 {
        alices.push(
            app.referral(alice.id, "alice-link", &format!("friend{n}"))
                .await
                .id,
        );
    }
    app.referral(carol.id, "carol-link", "dave").await;
    let reader = app.api_key("referrals:read").await;
    let get = |query: String| {
        let reader = reader.clone();
        let url = app.url(&format!("/api/v1/referrals{query}"));
        async move {
            let response = bare_client()
                .get(url)
                .bearer_auth(reader)
                .send()
                .await
                .unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = get(format!("?referrer=alice&limit=2{cursor}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= 2);
        seen.extend(data.iter().map(|r| r["id"].as_i64().unwrap() as i32));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(seen, alices, "every referral of alice once, oldest first");
    let (_, all) = get(String::new()).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 6);
    assert!(all["next_cursor"].is_null());
    let (_, none) = get("?status=confirmed".into()).await;
    assert!(none["data"].as_array().unwrap().is_empty());
    let (_, later) = get("?since=2999-01-01T00:00:00Z".into()).await;
    assert!(later["data"].as_array().unwrap().is_empty());
    for bad in [
        "?limit=0",
        "?limit=101",
        "?status=maybe",
        "?since=yesterday",
        "?cursor=x",
        "?sort=id",
    ] {
        let (status, problem) = get(bad.into()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(problem["detail"].as_str().is_some(), "{bad}: {problem}");
    }
    let writer = app.api_key("conversions:write").await;
    let refused = bare_client()
        .get(app.url("/api/v1/referrals"))
        .bearer_auth(writer)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}
