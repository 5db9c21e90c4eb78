//! Link-preview fetchers and crawlers: redirected like anyone, their hits stored and marked,
//! and counted nowhere (link counts, visitors, the overview, attribution); the admin's hits
//! browser shows or hides them.
use crate::helpers::*;
use crate::on_both_databases;
use hype::config::{AttributionModel, RedirectHost};
use reqwest::StatusCode;
use serde_json::Value;

on_both_databases!(a_bot_visit_changes_no_count_and_no_attribution);

const SLACK: &str = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)";
const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

async fn a_bot_visit_changes_no_count_and_no_attribution(db: Db) {
    let app = spawn_app_with(db, |c| {
        c.attribution_model = AttributionModel::FirstClick;
        c.allowed_redirect_hosts = vec!["shop.example.com".parse::<RedirectHost>().unwrap()];
    })
    .await;
    let alice = app.user("alice").await;
    let carol = app.user("carol").await;
    app.link(alice.id, "alice-link").await;
    app.link(carol.id, "carol-link").await;
    let overview_before = hype::services::overview::overview(&app.state.db)
        .await
        .unwrap();

    // Bob pastes Alice's link in a chat: the chat's preview fetcher follows it first, from
    // the same browser-less machine, before any person does.
    let bob = browser();
    let preview = bob
        .get(app.url("/ref/alice-link?next=https%3A%2F%2Fshop.example.com%2Fwelcome"))
        .header("User-Agent", SLACK)
        .send()
        .await
        .unwrap();
    assert_eq!(preview.status(), StatusCode::FOUND, "bots are redirected");
    assert_eq!(
        location(&preview),
        "https://shop.example.com/welcome",
        "a bot's redirect names no click the product could credit"
    );
    assert!(
        set_cookie(preview.headers(), "hype_rk").is_none(),
        "a bot gets no visitor cookie"
    );
    let hits = app.hits().await;
    assert_eq!(hits.len(), 1, "the bot's hit is stored");
    assert!(hits[0].is_bot);
    assert_eq!((hits[0].visitor_id, hits[0].hit_user_id), (None, None));
    assert_eq!(hits[0].user_agent, SLACK);

    let overview = hype::services::overview::overview(&app.state.db)
        .await
        .unwrap();
    assert_eq!(overview, overview_before, "the overview counts no bot");
    let alices = app.signed_in("alice").await;
    let alices_link = || async {
        let links: Value = app
            .call(&alices, "list_links", &[])
            .await
            .json()
            .await
            .unwrap();
        links["links"][0].clone()
    };
    let link = alices_link().await;
    assert_eq!(
        (link["hits"].as_i64(), link["visitors"].as_i64()),
        (Some(0), Some(0)),
        "{link}"
    );

    // Then Bob, a person, follows Carol's link and signs up: first click wins, and the bot's
    // earlier visit to Alice's link is not a click of his.
    let human = bob
        .get(app.url("/ref/carol-link"))
        .header("User-Agent", BROWSER)
        .send()
        .await
        .unwrap();
    assert_eq!(human.status(), StatusCode::FOUND);
    assert_eq!(app.signup(&bob, "bob").await.status(), StatusCode::OK);
    let referrals = app.referrals().await;
    assert_eq!(referrals.len(), 1);
    assert_eq!(referrals[0].referrer_user_id, Some(carol.id));
    let after = hype::services::overview::overview(&app.state.db)
        .await
        .unwrap();
    assert_eq!(after.hits_today, overview_before.hits_today + 1);
    assert_eq!(after.unique_visitors, overview_before.unique_visitors + 1);

    // An ordinary HTTP library is a visitor like any other.
    let script = bare_client()
        .get(app.url("/ref/alice-link"))
        .header("User-Agent", "curl/8.5.0")
        .send()
        .await
        .unwrap();
    assert!(set_cookie(script.headers(), "hype_rk").is_some());
    assert_eq!(alices_link().await["hits"], 1);

    // The admin's hits browser shows all three, or hides the bot, or shows only it.
    app.admin("root").await;
    let admin = app.signed_in("root").await;
    let rows = |query: &'static str| {
        let admin = admin.clone();
        let app = &app;
        async move {
            let page: Value = app
                .call(&admin, "admin/list_hits", &[("query[bots]", query)])
                .await
                .json()
                .await
                .unwrap();
            page["rows"].as_array().unwrap().clone()
        }
    };
    assert_eq!(rows("").await.len(), 3);
    let humans = rows("hide").await;
    assert_eq!(humans.len(), 2);
    assert!(humans.iter().all(|r| r["is_bot"] == false));
    let bots = rows("only").await;
    assert_eq!(bots.len(), 1);
    assert_eq!(bots[0]["user_agent"], SLACK);
    let bad = app
        .call(&admin, "admin/list_hits", &[("query[bots]", "maybe")])
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}
