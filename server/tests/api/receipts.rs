//! A referral's receipt, as an admin, the referrer and the person referred see it (and nobody
//! else); hiding one's username from the referrer; the referee's own reward, credited and
//! reversed with the referrer's, exactly once.
use crate::helpers::*;
use crate::on_both_databases;
use hype::services::referrals::{self, Rewards};
use reqwest::StatusCode;
use serde_json::Value;

on_both_databases!(
    a_receipt_tells_each_reader_what_they_may_know,
    a_referred_user_can_hide_their_name_from_the_referrer,
    the_referee_reward_is_credited_and_reversed_exactly_once,
);

async fn receipt(app: &TestApp, client: &reqwest::Client, id: i32) -> (StatusCode, Value) {
    let response = app
        .call(client, "referral_receipt", &[("id", &id.to_string())])
        .await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn a_receipt_tells_each_reader_what_they_may_know(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    let carol = app.user("carol").await;
    app.link(alice.id, "alice-link").await;
    app.link(carol.id, "carol-link").await;
    let bob = browser();
    // Bob sees Carol's link first, then Alice's from a newsletter: last click, Alice wins.
    for (link, referer) in [
        ("carol-link", ""),
        ("alice-link", "https://www.news.example/p"),
    ] {
        let mut visit = bob
            .get(app.url(&format!("/ref/{link}")))
            .header("User-Agent", "Bob's browser");
        if !referer.is_empty() {
            visit = visit.header("Referer", referer);
        }
        visit.send().await.unwrap();
    }
    assert_eq!(app.signup(&bob, "bob").await.status(), StatusCode::OK);
    let referral = app.referrals().await.pop().unwrap();
    assert_eq!(referral.referrer_user_id, Some(alice.id));
    let root = app.admin("root").await;
    referrals::confirm(&app.state.db, referral.id, root.id, false, 100)
        .await
        .unwrap();

    let (status, full) = receipt(&app, &app.signed_in("root").await, referral.id).await;
    assert_eq!(status, StatusCode::OK, "{full}");
    assert_eq!(full["viewer"], "admin");
    assert_eq!(full["status"], "confirmed");
    assert_eq!(full["referrer"], "alice");
    assert_eq!(full["referred"], "bob");
    assert_eq!(full["rule"], "last click, 365-day window");
    let journey = full["journey"].as_array().unwrap();
    assert_eq!(journey.len(), 2, "both of Bob's visits: {journey:?}");
    assert_eq!(journey[0]["link"], "carol-link");
    assert_eq!(journey[0]["won"], false);
    assert_eq!(journey[0]["from"], "direct");
    assert_eq!(journey[1]["link"], "alice-link");
    assert_eq!(journey[1]["won"], true);
    assert_eq!(journey[1]["from"], "news.example");
    assert_eq!(journey[1]["user_agent"], "Bob's browser");
    assert!(journey[1]["ip"].is_string());
    let why = full["why"].as_str().unwrap();
    assert!(
        why.contains("it was the latest of the 2 visits in that window"),
        "{why}"
    );
    assert_eq!(full["decisions"][0]["what"], "Confirmed");
    assert_eq!(full["decisions"][0]["by"], "root");
    assert_eq!(full["ledger"][0]["who"], "alice");
    assert_eq!(full["ledger"][0]["amount"], 100);

    // Alice: no addresses or browsers, Carol's link unnamed, the admin unnamed.
    let (status, hers) = receipt(&app, &app.signed_in("alice").await, referral.id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hers["viewer"], "referrer");
    assert_eq!(hers["journey"][0]["link"], "another link");
    assert_eq!(hers["journey"][1]["link"], "alice-link");
    for visit in hers["journey"].as_array().unwrap() {
        assert_eq!(visit["ip"], Value::Null);
        assert_eq!(visit["user_agent"], Value::Null);
    }
    assert_eq!(hers["decisions"][0]["by"], "an admin");
    assert_eq!(hers["decisions"][0]["detail"], Value::Null);
    assert_eq!(hers["ledger"][0]["who"], "you");

    // Bob: his own data in full.
    let (status, his) = receipt(&app, &bob, referral.id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(his["viewer"], "referee");
    assert_eq!(his["journey"][0]["link"], "carol-link");
    assert_eq!(his["journey"][1]["user_agent"], "Bob's browser");
    assert_eq!(
        his["ledger"],
        serde_json::json!([]),
        "no points of his moved"
    );

    // Carol, and a stranger: the same answer as for a referral that doesn't exist.
    let carol_client = app.signed_in("carol").await;
    assert_eq!(
        receipt(&app, &carol_client, referral.id).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        receipt(&app, &carol_client, referral.id + 1000).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        receipt(&app, &browser(), referral.id).await.0,
        StatusCode::UNAUTHORIZED
    );

    // The stable URL renders the receipt on the server.
    let page = app.get(&bob, &format!("/referrals/{}", referral.id)).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("alice invited bob"), "the receipt page");
    assert!(html.contains("news.example"));
}

async fn a_referred_user_can_hide_their_name_from_the_referrer(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    let referral = app.referral(alice.id, "alice-link", "bob").await;
    let bob = app.signed_in("bob").await;
    let hidden = app
        .call(&bob, "hide_from_referrer", &[("hidden", "true")])
        .await;
    assert!(hidden.status().is_success() || hidden.status().is_redirection());

    let root = app.admin("root").await;
    referrals::confirm(&app.state.db, referral.id, root.id, false, 100)
        .await
        .unwrap();
    let alice_client = app.signed_in("alice").await;
    let rewards: Value = app
        .call(&alice_client, "my_rewards", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rewards["confirmed"][0]["referred"], "a friend");
    assert_eq!(
        rewards["entries"][0]["reason"],
        "Referral of a friend confirmed"
    );
    let rewards_text = rewards.to_string();
    assert!(!rewards_text.contains("bob"), "{rewards_text}");
    let (_, hers) = receipt(&app, &alice_client, referral.id).await;
    assert_eq!(hers["referred"], "a friend");
    assert!(!hers.to_string().contains("bob"), "{hers}");
    // Admins still see who it is.
    let (_, full) = receipt(&app, &app.signed_in("root").await, referral.id).await;
    assert_eq!(full["referred"], "bob");

    // Shown again: the name comes back, in the list and in the ledger written while hidden.
    let shown = app
        .call(&bob, "hide_from_referrer", &[("hidden", "false")])
        .await;
    assert!(shown.status().is_success() || shown.status().is_redirection());
    let rewards: Value = app
        .call(&alice_client, "my_rewards", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rewards["confirmed"][0]["referred"], "bob");
    let account = app.get(&bob, "/account").await.text().await.unwrap();
    assert!(
        account.contains("alice sees your username."),
        "the account page says so"
    );
}

async fn the_referee_reward_is_credited_and_reversed_exactly_once(db: Db) {
    let app = spawn_app_with(db, |config| config.referee_reward_points = 25).await;
    let alice = app.user("alice").await;
    let referral = app.referral(alice.id, "alice-link", "bob").await;
    let bob = referral.referred_user_id;
    let root = app.admin("root").await;
    let rewards = Rewards::of(&app.state.config);
    assert_eq!(
        rewards,
        Rewards {
            referrer: 100,
            referee: 25
        }
    );
    // Two confirmations at once: one credit each, however they interleave.
    let db = &app.state.db;
    let (a, b) = tokio::join!(
        referrals::confirm(db, referral.id, root.id, false, rewards),
        referrals::confirm(db, referral.id, root.id, false, rewards),
    );
    assert_eq!(
        [a.unwrap(), b.unwrap()]
            .iter()
            .filter(|o| **o == referrals::Outcome::Changed)
            .count(),
        1
    );
    assert_eq!(app.balance(alice.id).await, 100);
    assert_eq!(app.balance(bob).await, 25);
    let bob_client = app.signed_in("bob").await;
    let his: Value = app
        .call(&bob_client, "my_rewards", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        his["entries"][0]["reason"],
        "Welcome reward: you joined through alice's link"
    );
    assert_eq!(his["entries"][0]["referral"], referral.id);

    // Unconfirmed: both credits reversed; confirmed again: both credited again, once.
    referrals::unconfirm(db, referral.id, root.id)
        .await
        .unwrap();
    assert_eq!(app.balance(alice.id).await, 0);
    assert_eq!(app.balance(bob).await, 0);
    referrals::confirm(db, referral.id, root.id, false, rewards)
        .await
        .unwrap();
    assert_eq!(app.balance(alice.id).await, 100);
    assert_eq!(app.balance(bob).await, 25);
    // Rejected after a confirmation made with no referee reward: only the referrer's goes.
    referrals::reject(db, referral.id, root.id).await.unwrap();
    referrals::confirm(db, referral.id, root.id, false, 100)
        .await
        .unwrap();
    assert_eq!(app.balance(bob).await, 0);
    referrals::unconfirm(db, referral.id, root.id)
        .await
        .unwrap();
    assert_eq!(app.balance(alice.id).await, 0);
    assert_eq!(app.balance(bob).await, 0, "nothing of Bob's reversed twice");
    assert_eq!(app.ledger_rows().await, 10);
}
