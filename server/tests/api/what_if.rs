//! `/admin/what-if`: attribution replayed under another rule, as the admin's page asks for it;
//! nothing changes.
use crate::helpers::*;
use crate::on_both_databases;
use reqwest::StatusCode;
use serde_json::Value;

on_both_databases!(first_click_would_credit_the_earlier_link_and_nothing_changes);

async fn first_click_would_credit_the_earlier_link_and_nothing_changes(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    let carol = app.user("carol").await;
    app.link(alice.id, "alice-link").await;
    app.link(carol.id, "carol-link").await;
    let bob = browser();
    for link in ["carol-link", "alice-link"] {
        bob.get(app.url(&format!("/ref/{link}")))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(app.signup(&bob, "bob").await.status(), StatusCode::OK);
    let referral = app.referrals().await.pop().unwrap();
    assert_eq!(referral.referrer_user_id, Some(alice.id), "last click");
    let root = app.admin("root").await;
    hype::services::referrals::confirm(&app.state.db, referral.id, root.id, false, 100)
        .await
        .unwrap();
    let admin = app.signed_in("root").await;
    let ask = |model: &'static str, days: &'static str| {
        let admin = admin.clone();
        let app = &app;
        async move {
            let response = app
                .call(&admin, "admin/what_if", &[("model", model), ("days", days)])
                .await;
            (
                response.status(),
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };

    let (status, view) = ask("first-click", "365").await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["current_model"], "last-click");
    let result = &view["result"];
    assert_eq!(result["replayed"], 1);
    assert_eq!(result["hits_read"], 2);
    assert_eq!(result["changed"], 1);
    assert_eq!(result["changed_confirmed"], 1);
    assert_eq!(result["points_moved"], 100);
    assert_eq!(result["changes"][0]["referrer"], "alice");
    assert_eq!(result["changes"][0]["would_be"], "carol");

    let (_, same) = ask("last-click", "365").await;
    assert_eq!(same["result"]["changed"], 0);
    let (status, bad) = ask("random", "30").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    let (status, _) = ask("first-click", "99999").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let stranger = app.signed_in("carol").await;
    let refused = app
        .call(
            &stranger,
            "admin/what_if",
            &[("model", "first-click"), ("days", "30")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // Replaying changed nothing.
    let after = app.referrals().await.pop().unwrap();
    assert_eq!(after.referrer_user_id, Some(alice.id));
    assert_eq!(app.balance(alice.id).await, 100);
    assert_eq!(app.balance(carol.id).await, 0);

    let page = app
        .get(&admin, "/admin/what-if?model=first-click&days=365")
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("1 of 1 referrals would go to someone else"),
        "the page's summary"
    );
}
