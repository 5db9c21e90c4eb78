//! `/api/v1` beyond conversions: decisions taken through a key, referrers and links the
//! product creates by its own ids, links that land on the product with `hype_click`, and
//! customers who never sign up on hype, named by that click.
use crate::helpers::*;
use crate::on_both_databases;
use hype::config::{AutoConfirm, RedirectHost};
use hype::entities::{audit_log, outbox_events, referral_hits, referrals, users};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

on_both_databases!(
    decisions_through_a_key_match_the_dashboard,
    the_product_creates_referrers_links_and_reads_balances,
    links_land_on_the_product_with_the_click_id,
    a_click_makes_a_customer_who_never_signed_up_a_referee,
    the_openapi_document_and_the_reference_page_are_served,
    keys_are_rate_limited_and_cors_is_opt_in,
);

/// One API call: the status, the answer's JSON (Null when none) and the response's headers.
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = bare_client()
        .request(method, app.url(path))
        .bearer_auth(key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn shop_hosts(config: &mut hype::HypeConfig) {
    config.allowed_redirect_hosts = vec![
        "shop.example.com".parse::<RedirectHost>().unwrap(),
        "http://localhost:8080".parse::<RedirectHost>().unwrap(),
    ];
}

async fn decisions_through_a_key_match_the_dashboard(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    let referral = app.referral(alice.id, "alice-link", "bob").await;
    let writer = app.api_key("referrals:write").await;
    let path = |action: &str| format!("/api/v1/referrals/{}/{action}", referral.id);

    let (status, answer) = call(&app, Method::POST, &path("confirm"), &writer, None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["changed"], true);
    assert_eq!(answer["referral"]["status"], "confirmed");
    assert_eq!(app.balance(alice.id).await, 100);
    let (status, answer) = call(&app, Method::POST, &path("confirm"), &writer, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["changed"], false, "confirming twice credits once");
    assert_eq!(app.balance(alice.id).await, 100);

    let (_, answer) = call(&app, Method::POST, &path("unconfirm"), &writer, None).await;
    assert_eq!(answer["referral"]["status"], "pending");
    assert_eq!(app.balance(alice.id).await, 0, "the credit is reversed");
    let (_, answer) = call(&app, Method::POST, &path("reject"), &writer, None).await;
    assert_eq!(answer["referral"]["status"], "rejected");
    assert_eq!(answer["changed"], true);

    // A flagged referral needs the override, as on the dashboard.
    let carol = app.user("carol").await;
    let flagged = app.referral(carol.id, "carol-link", "dave").await;
    referrals::Entity::update_many()
        .col_expr(
            referrals::Column::Flags,
            sea_orm::sea_query::Expr::value("same_ip"),
        )
        .filter(referrals::Column::Id.eq(flagged.id))
        .exec(&app.state.db)
        .await
        .unwrap();
    let confirm = format!("/api/v1/referrals/{}/confirm", flagged.id);
    let (status, problem) = call(&app, Method::POST, &confirm, &writer, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("override"));
    let (status, _) = call(
        &app,
        Method::POST,
        &confirm,
        &writer,
        Some(json!({"override": "yes"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.balance(carol.id).await,
        0,
        "a refused body changes nothing"
    );
    let (status, answer) = call(
        &app,
        Method::POST,
        &confirm,
        &writer,
        Some(json!({"override": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(app.balance(carol.id).await, 100);

    // Who decided: the key, by name, in the audit log; events as from the dashboard.
    let audit = audit_log::Entity::find().all(&app.state.db).await.unwrap();
    for action in [
        "confirm_referral",
        "unconfirm_referral",
        "reject_referral",
        "confirm_referral_override",
    ] {
        let entry = audit.iter().find(|a| a.action == action).expect(action);
        assert!(
            entry.detail.starts_with("API key \"shop backend\""),
            "{entry:?}"
        );
        assert_eq!(entry.actor_user_id, None);
    }
    let events = |kind: &'static str| {
        outbox_events::Entity::find()
            .filter(outbox_events::Column::EventType.eq(kind))
            .count(&app.state.db)
    };
    assert_eq!(events("referral.confirmed").await.unwrap(), 2);
    assert_eq!(events("referral.unconfirmed").await.unwrap(), 1);
    assert_eq!(events("referral.rejected").await.unwrap(), 1);

    let (status, _) = call(
        &app,
        Method::POST,
        "/api/v1/referrals/999999/reject",
        &writer,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let reader = app.api_key("referrals:read").await;
    let (status, problem) = call(&app, Method::POST, &path("confirm"), &reader, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("referrals:write"));
}

async fn the_product_creates_referrers_links_and_reads_balances(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.api_key("").await;
    let (status, created) = call(
        &app,
        Method::PUT,
        "/api/v1/users/cust_1",
        &admin,
        Some(json!({"username": "shopper", "email": "shopper@example.com"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["external_id"], "cust_1");
    let (status, updated) = call(
        &app,
        Method::PUT,
        "/api/v1/users/cust_1",
        &admin,
        Some(json!({"username": "shopper2", "email": "shopper@example.com"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["username"], "shopper2");
    assert_eq!(
        users::Entity::find()
            .filter(users::Column::ExternalId.eq("cust_1"))
            .count(&app.state.db)
            .await
            .unwrap(),
        1,
        "a second PUT updates the same user"
    );
    app.user("taken").await;
    let (status, problem) = call(
        &app,
        Method::PUT,
        "/api/v1/users/cust_2",
        &admin,
        Some(json!({"username": "taken"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    for bad in [json!({"username": "a"}), json!({"name": "x"}), json!({})] {
        let (status, _) = call(
            &app,
            Method::PUT,
            "/api/v1/users/cust_3",
            &admin,
            Some(bad.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    assert!(
        hype::services::external_users::find(&app.state.db, "cust_3")
            .await
            .unwrap()
            .is_none(),
        "refused bodies create nobody"
    );
    // No password: the product's user can't log in on hype.
    let response = app
        .call(
            &browser(),
            "login",
            &[
                ("username", "shopper2"),
                ("password", "any password at all"),
            ],
        )
        .await;
    assert_ne!(response.status(), StatusCode::OK);

    let (status, link) = call(
        &app,
        Method::POST,
        "/api/v1/users/cust_1/links",
        &admin,
        Some(json!({"identifier": "shop-one", "label": "From the shop"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    assert!(link["url"].as_str().unwrap().ends_with("/ref/shop-one"));
    assert_eq!(link["owner_external_id"], "cust_1");
    let (status, problem) = call(
        &app,
        Method::POST,
        "/api/v1/users/cust_1/links",
        &admin,
        Some(json!({"destination": "https://shop.example.com/"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("HYPE_ALLOWED_REDIRECT_HOSTS"));
    let (status, _) = call(
        &app,
        Method::POST,
        "/api/v1/users/nobody/links",
        &admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Counts: a visit and a sign-up through the link, then a confirmation.
    let visitor = browser();
    app.get(&visitor, "/ref/shop-one").await;
    app.signup(&visitor, "friend").await;
    let (status, link) = call(&app, Method::GET, "/api/v1/links/SHOP-ONE", &admin, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        link["counts"],
        json!({"hits": 1, "visitors": 1, "signups": 1, "confirmed": 0})
    );
    let referral = app.referrals().await.pop().unwrap();
    call(
        &app,
        Method::POST,
        &format!("/api/v1/referrals/{}/confirm", referral.id),
        &admin,
        None,
    )
    .await;
    let (status, balance) = call(
        &app,
        Method::GET,
        "/api/v1/users/cust_1/balance",
        &admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{balance}");
    assert_eq!(balance["balance"], 100);
    assert_eq!(balance["ledger"].as_array().unwrap().len(), 1);
    assert_eq!(balance["ledger"][0]["amount"], 100);
    let (status, _) = call(
        &app,
        Method::GET,
        "/api/v1/users/cust_1/balance?limit=0",
        &admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = call(
        &app,
        Method::GET,
        "/api/v1/links/no-such-link",
        &admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The `hype_click` of a Location, and the Location without it.
fn click_of(location: &str) -> (String, String) {
    let mut url = url::Url::parse(location).unwrap();
    let click = url
        .query_pairs()
        .find(|(k, _)| k == "hype_click")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "hype_click")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.set_query(None);
    if !kept.is_empty() {
        url.query_pairs_mut().extend_pairs(kept);
    }
    (click, url.to_string())
}

async fn links_land_on_the_product_with_the_click_id(db: Db) {
    let app = spawn_app_with(db.clone(), shop_hosts).await;
    let admin = app.api_key("").await;
    call(
        &app,
        Method::PUT,
        "/api/v1/users/cust_1",
        &admin,
        Some(json!({"username": "shopper"})),
    )
    .await;
    let (status, link) = call(
        &app,
        Method::POST,
        "/api/v1/users/cust_1/links",
        &admin,
        Some(json!({"identifier": "shop", "destination": "https://shop.example.com/welcome?plan=pro"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    for refused in [
        "https://evil.example/",
        "http://shop.example.com/",
        "javascript:alert(1)",
        "https://shop.example.com.evil.example/",
    ] {
        let (status, problem) = call(
            &app,
            Method::POST,
            "/api/v1/users/cust_1/links",
            &admin,
            Some(json!({"destination": refused})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert!(problem["detail"]
            .as_str()
            .unwrap()
            .contains("shop.example.com"));
    }

    let visitor = browser();
    let response = app.get(&visitor, "/ref/shop").await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let (click, rest) = click_of(&location(&response));
    assert_eq!(rest, "https://shop.example.com/welcome?plan=pro");
    let hit = referral_hits::Entity::find_by_id(uuid::Uuid::parse_str(&click).unwrap())
        .one(&app.state.db)
        .await
        .unwrap();
    assert!(hit.is_some(), "hype_click names the recorded hit");

    // A `next` on an allowed host wins over the destination; a forged one is ignored.
    let to = |next: &str| {
        format!(
            "/ref/shop?next={}",
            url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        )
    };
    let (click2, rest) = click_of(&location(
        &app.get(
            &visitor,
            &to("http://localhost:8080/cart?hype_click=forged"),
        )
        .await,
    ));
    assert_eq!(rest, "http://localhost:8080/cart");
    assert_ne!(click2, "forged");
    assert_ne!(click2, click, "each visit has its own id");
    let (_, rest) = click_of(&location(
        &app.get(&visitor, &to("https://evil.example/")).await,
    ));
    assert_eq!(rest, "https://shop.example.com/welcome?plan=pro");
    assert_eq!(
        location(&app.get(&visitor, &to("/pricing")).await),
        "/pricing"
    );
    let head = visitor.head(app.url("/ref/shop")).send().await.unwrap();
    assert_eq!(
        location(&head),
        "https://shop.example.com/welcome?plan=pro",
        "HEAD records nothing"
    );
    assert_eq!(app.hit_count().await, 4);

    // A link's owner sets a destination when creating it, on an allowed host only.
    app.user("owner").await;
    let owner = app.signed_in("owner").await;
    let hosts: Value = app
        .call(&owner, "link_destinations", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        hosts,
        json!(["https://shop.example.com", "http://localhost:8080"])
    );
    let refused = app
        .call(
            &owner,
            "create_link",
            &[
                ("identifier", "mine"),
                ("destination", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("https://shop.example.com"));
    let created = app
        .call(
            &owner,
            "create_link",
            &[
                ("identifier", "mine"),
                ("destination", "https://shop.example.com/owner"),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::OK);
    let (_, rest) = click_of(&location(&app.get(&browser(), "/ref/mine").await));
    assert_eq!(rest, "https://shop.example.com/owner");

    // Without allowed hosts, /ref behaves as before: same-site paths only.
    let plain = spawn_app(db).await;
    let owner = plain.user("owner").await;
    plain.link(owner.id, "plain").await;
    let response = plain
        .get(
            &browser(),
            "/ref/plain?next=https%3A%2F%2Fshop.example.com%2F",
        )
        .await;
    assert_eq!(location(&response), "/");
}

async fn a_click_makes_a_customer_who_never_signed_up_a_referee(db: Db) {
    let app = spawn_app_with(db, |c| {
        shop_hosts(c);
        c.auto_confirm = AutoConfirm::Conversion;
    })
    .await;
    let alice = app.user("alice").await;
    app.link(alice.id, "alice-shop").await;
    let visitor = browser();
    let to_shop = "/ref/alice-shop?next=https%3A%2F%2Fshop.example.com%2F";
    app.get(&visitor, "/ref/alice-shop").await;
    let (click, _) = click_of(&location(&app.get(&visitor, to_shop).await));
    let writer = app.api_key("conversions:write").await;
    let convert = |idempotency_key: &'static str, customer: Value| {
        let writer = writer.clone();
        let url = app.url("/api/v1/conversions");
        async move {
            let response = bare_client()
                .post(url)
                .bearer_auth(writer)
                .header("Idempotency-Key", idempotency_key)
                .json(&json!({"customer": customer, "event": "purchase", "amount": 1000, "currency": "EUR"}))
                .send()
                .await
                .unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };
    let users_before = users::Entity::find().count(&app.state.db).await.unwrap();
    for (customer, why) in [
        (json!({"click_id": "not-a-click"}), "malformed"),
        (
            json!({"click_id": uuid::Uuid::now_v7().to_string(), "external_id": "cust_9"}),
            "unknown",
        ),
        (
            json!({"click_id": click.clone()}),
            "unclaimed, without external_id",
        ),
    ] {
        let (status, problem) = convert("bad", customer).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {problem}");
    }
    assert_eq!(
        users::Entity::find().count(&app.state.db).await.unwrap(),
        users_before
    );

    let (status, answer) = convert(
        "order-1",
        json!({"click_id": click, "external_id": "cust_42"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["conversion"]["customer"]["external_id"], "cust_42");
    assert_eq!(answer["referral"]["status"], "confirmed", "{answer}");
    assert_eq!(answer["referral"]["confirmed_by_this_conversion"], true);
    assert_eq!(app.balance(alice.id).await, 100);
    let customer = hype::services::external_users::find(&app.state.db, "cust_42")
        .await
        .unwrap()
        .unwrap();
    let journey = app.hits().await;
    assert_eq!(journey.len(), 2);
    assert!(
        journey.iter().all(|h| h.hit_user_id == Some(customer.id)),
        "the click's whole visitor journey is theirs"
    );

    // Later conversions name them by external_id; the click can't name anyone else.
    let (status, answer) = convert("order-2", json!({"external_id": "cust_42"})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(answer["referral"]["confirmed_by_this_conversion"], false);
    let (status, answer) = convert("order-3", json!({"click_id": click})).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a claimed click names its customer: {answer}"
    );
    let (status, problem) = convert(
        "order-4",
        json!({"click_id": click, "external_id": "cust_43"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("another customer"));
    assert!(
        hype::services::external_users::find(&app.state.db, "cust_43")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(app.balance(alice.id).await, 100, "one credit");

    // A click older than the window names nobody.
    let (old_click, _) = click_of(&location(&app.get(&browser(), to_shop).await));
    referral_hits::Entity::update_many()
        .col_expr(
            referral_hits::Column::CreatedAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::days(400)),
        )
        .filter(referral_hits::Column::Id.eq(uuid::Uuid::parse_str(&old_click).unwrap()))
        .exec(&app.state.db)
        .await
        .unwrap();
    let (status, problem) = convert(
        "order-5",
        json!({"click_id": old_click, "external_id": "cust_44"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem["detail"].as_str().unwrap().contains("window"),
        "{problem}"
    );
}

async fn the_openapi_document_and_the_reference_page_are_served(db: Db) {
    let app = spawn_app(db).await;
    let document: Value = bare_client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = document["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/conversions", "post"),
        ("/api/v1/referrals", "get"),
        ("/api/v1/referrals/{id}", "get"),
        ("/api/v1/referrals/{id}/confirm", "post"),
        ("/api/v1/referrals/{id}/reject", "post"),
        ("/api/v1/referrals/{id}/unconfirm", "post"),
        ("/api/v1/users/{external_id}", "put"),
        ("/api/v1/users/{external_id}/links", "post"),
        ("/api/v1/users/{external_id}/balance", "get"),
        ("/api/v1/links/{identifier}", "get"),
    ] {
        assert!(
            paths[path][method].is_object(),
            "{method} {path} is documented"
        );
    }
    assert_eq!(
        document["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
    let page = bare_client()
        .get(app.url("/api/docs"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("<code>POST /api/v1/conversions</code>"));
    assert!(html.contains("id=\"schema-ConversionAnswer\""));
    assert!(!html.contains("<script"), "the reference needs no script");
}

async fn keys_are_rate_limited_and_cors_is_opt_in(db: Db) {
    let app = spawn_app_with(db.clone(), |c| {
        c.api_requests_per_key = Some("3/1m".parse().unwrap());
    })
    .await;
    let busy = app.api_key("referrals:read").await;
    let calm = app.api_key("referrals:read").await;
    for _ in 0..3 {
        let (status, _) = call(&app, Method::GET, "/api/v1/referrals", &busy, None).await;
        assert_eq!(status, StatusCode::OK);
    }
    let refused = bare_client()
        .get(app.url("/api/v1/referrals"))
        .bearer_auth(&busy)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let (status, _) = call(&app, Method::GET, "/api/v1/referrals", &calm, None).await;
    assert_eq!(status, StatusCode::OK, "each key has its own allowance");

    let allow_origin = |response: &reqwest::Response| {
        response
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let from = |app: &TestApp, origin: &'static str| {
        bare_client()
            .request(Method::OPTIONS, app.url("/api/v1/referrals"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "authorization")
            .send()
    };
    assert_eq!(
        allow_origin(&from(&app, "https://app.example.com").await.unwrap()),
        None,
        "CORS is off by default"
    );
    let open = spawn_app_with(db, |c| {
        c.api_cors_origins = vec!["https://app.example.com".into()];
    })
    .await;
    let preflight = from(&open, "https://app.example.com").await.unwrap();
    assert_eq!(
        allow_origin(&preflight).as_deref(),
        Some("https://app.example.com")
    );
    assert_eq!(
        allow_origin(&from(&open, "https://evil.example").await.unwrap()),
        None
    );
}
