//! `/leaderboard`: ranks by confirmed referrals, only opted-in names shown, the viewer's own
//! rank always, this month or all time, and an admin's switch.
use crate::helpers::*;
use crate::on_both_databases;
use hype::entities::referrals;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

on_both_databases!(the_board_ranks_opted_in_referrers_and_shows_each_their_rank);

async fn the_board_ranks_opted_in_referrers_and_shows_each_their_rank(db: Db) {
    let app = spawn_app(db).await;
    let mut ids = Vec::new();
    for (referrer, friends) in [("alice", 2), ("bob", 1), ("carol", 1)] {
        let user = app.user(referrer).await;
        for n in 0..friends {
            let referral = app
                .referral(
                    user.id,
                    &format!("{referrer}-link"),
                    &format!("{referrer}-friend{n}"),
                )
                .await;
            hype::services::referrals::confirm(&app.state.db, referral.id, user.id, false, 100)
                .await
                .unwrap();
            ids.push(referral.id);
        }
    }
    // One of alice's was confirmed last month: it counts for all time only.
    referrals::Entity::update_many()
        .col_expr(
            referrals::Column::DecidedAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::days(40)),
        )
        .filter(referrals::Column::Id.eq(ids[0]))
        .exec(&app.state.db)
        .await
        .unwrap();

    let alice = app.signed_in("alice").await;
    let carol = app.signed_in("carol").await;
    let bob = app.signed_in("bob").await;
    let board = |client: reqwest::Client, period: &'static str| {
        let app = &app;
        async move {
            app.call(&client, "leaderboard", &[("period", period)])
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let before = board(bob.clone(), "all").await;
    assert_eq!(
        before["entries"],
        json!([]),
        "nobody is shown until they choose to be"
    );
    assert_eq!(before["mine"], json!([2, 1]), "bob still sees his rank");

    for (client, name) in [(&alice, "Alice A."), (&carol, "C")] {
        let saved = app
            .call(
                client,
                "set_leaderboard_name",
                &[("show", "on"), ("name", name)],
            )
            .await;
        assert_eq!(saved.status(), StatusCode::OK);
    }
    let blank = app
        .call(
            &bob,
            "set_leaderboard_name",
            &[("show", "on"), ("name", " ")],
        )
        .await;
    assert_eq!(blank.status(), StatusCode::BAD_REQUEST);
    let long = "x".repeat(41);
    let too_long = app
        .call(
            &bob,
            "set_leaderboard_name",
            &[("show", "on"), ("name", long.as_str())],
        )
        .await;
    assert_eq!(too_long.status(), StatusCode::BAD_REQUEST);

    let all = board(bob.clone(), "all").await;
    assert_eq!(
        all["entries"],
        json!([[1, "Alice A.", 2, false], [2, "C", 1, false]]),
        "bob shares rank 2 with carol, unshown"
    );
    assert_eq!(all["mine"], json!([2, 1]));
    let month = board(alice.clone(), "month").await;
    assert_eq!(
        month["entries"],
        json!([[1, "Alice A.", 1, true], [1, "C", 1, false]]),
        "this month alice has one, tied with carol"
    );
    let anonymous = board(browser(), "all").await;
    assert_eq!(anonymous["signed_in"], false);
    assert_eq!(anonymous["entries"].as_array().unwrap().len(), 2);
    let page = app
        .get(&browser(), "/leaderboard")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Alice A.") && !page.contains("alice-friend"),
        "names, not usernames"
    );

    // Taking oneself off.
    app.call(&carol, "set_leaderboard_name", &[("name", "C")])
        .await;
    let all = board(bob.clone(), "all").await;
    assert_eq!(all["entries"], json!([[1, "Alice A.", 2, false]]));

    // Only an admin turns it off.
    let refused = app
        .call(&bob, "set_leaderboard_enabled", &[("enabled", "false")])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    app.admin("root").await;
    let admin = app.signed_in("root").await;
    let off = app
        .call(&admin, "set_leaderboard_enabled", &[("enabled", "false")])
        .await;
    assert_eq!(off.status(), StatusCode::OK);
    let closed = board(bob.clone(), "all").await;
    assert_eq!(closed["enabled"], false);
    assert_eq!(closed["entries"], json!([]));
    assert_eq!(closed["mine"], Value::Null);
}
