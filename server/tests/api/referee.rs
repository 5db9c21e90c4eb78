//! The referred user's side: who invited them, declining a pending referral (closed with no
//! credit, shown to the referrer as declined, never confirmed after), and erasing the data of
//! their visits.
use crate::helpers::*;
use crate::on_both_databases;
use hype::entities::referrals::ReferralStatus;
use reqwest::StatusCode;
use serde_json::Value;

on_both_databases!(a_referred_user_sees_declines_and_erases);

async fn a_referred_user_sees_declines_and_erases(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    app.link(alice.id, "alice-link").await;
    let bob = browser();
    bob.get(app.url("/ref/alice-link"))
        .header("Referer", "https://news.example/post")
        .header("User-Agent", "Bob's browser")
        .send()
        .await
        .unwrap();
    assert_eq!(app.signup(&bob, "bob").await.status(), StatusCode::OK);
    let referral = app.referrals().await.pop().unwrap();

    let page = app.get(&bob, "/account").await.text().await.unwrap();
    let today = chrono::Utc::now().format("%Y-%m-%d");
    assert!(
        page.contains(&format!("You joined through alice&#x27;s link on {today}."))
            || page.contains(&format!("You joined through alice's link on {today}.")),
        "the account page says who invited bob"
    );

    // Erasing: the visit stays, its details go.
    let erased = app.call(&bob, "erase_visit_data", &[]).await;
    assert!(erased.status().is_success() || erased.status().is_redirection());
    let hits = app.hits().await;
    assert_eq!(hits.len(), 1, "the visit still counts");
    assert_eq!(hits[0].ip, None);
    assert_eq!(hits[0].user_agent, "");
    assert_eq!(hits[0].http_referer, "");

    // Declining: closed, no credit, and no admin can confirm it afterwards.
    let declined = app.call(&bob, "decline_referral", &[]).await;
    assert!(declined.status().is_success() || declined.status().is_redirection());
    let after = app.referrals().await.pop().unwrap();
    assert_eq!(after.status, ReferralStatus::Rejected);
    assert_eq!(after.decided_by, Some(after.referred_user_id));
    let again = app.call(&bob, "decline_referral", &[]).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let root = app.admin("root").await;
    let refused =
        hype::services::referrals::confirm(&app.state.db, referral.id, root.id, true, 100).await;
    assert!(
        matches!(refused, Err(hype::Error::Conflict(ref m)) if m.contains("declined")),
        "{refused:?}"
    );
    assert_eq!(app.balance(alice.id).await, 0);
    let rewards: Value = app
        .call(&app.signed_in("alice").await, "my_rewards", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        rewards["declined"][0]["referred"], "bob",
        "alice sees it declined"
    );
    assert_eq!(rewards["pending"], serde_json::json!([]));

    // A confirmed referral is settled: it can't be declined.
    let carol = app.user("carol").await;
    let confirmed = app.referral(carol.id, "carol-link", "dave").await;
    hype::services::referrals::confirm(&app.state.db, confirmed.id, root.id, false, 100)
        .await
        .unwrap();
    let dave = app.signed_in("dave").await;
    let settled = app.call(&dave, "decline_referral", &[]).await;
    assert_eq!(settled.status(), StatusCode::CONFLICT);
    assert!(settled.text().await.unwrap().contains("settled"));
    assert_eq!(app.balance(carol.id).await, 100);
}
