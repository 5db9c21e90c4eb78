//! Claiming anonymous hits at sign-up, at log-in and later; attribution at sign-up.
use crate::helpers::*;
use crate::on_both_databases;
use reqwest::StatusCode;

on_both_databases!(
    anonymous_hits_are_claimed_at_signup_and_the_referrer_is_recorded,
    anonymous_hits_are_claimed_at_login_without_a_referral,
    hits_are_claimed_on_any_later_signed_in_request,
    a_forged_cookie_on_a_signed_in_request_is_deleted_and_claims_nothing,
    claimed_hits_are_never_taken_over,
    signed_in_visitors_make_authenticated_hits_and_get_no_cookie,
    a_signup_without_hits_has_no_referral,
    the_signup_page_names_the_referrer,
    a_referral_from_the_owners_own_browser_is_flagged,
);

/// The link's owner follows their link, signs in and out in the same browser, then signs up
/// a second account there through their link: the new referral is flagged `owner_hit`. A
/// friend in a browser of their own is not.
async fn a_referral_from_the_owners_own_browser_is_flagged(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    app.link(alice.id, "alice").await;
    let own_browser = browser();
    app.get(&own_browser, "/ref/alice").await;
    assert_eq!(
        app.login(&own_browser, "alice").await.status(),
        StatusCode::OK
    );
    let logout = app.call(&own_browser, "logout", &[]).await;
    assert_eq!(logout.status(), StatusCode::OK);
    assert!(
        set_cookie(logout.headers(), "hype_rk").is_some(),
        "the browser gets its visitor id back"
    );
    app.get(&own_browser, "/ref/alice").await;
    assert_eq!(
        app.signup(&own_browser, "sockpuppet").await.status(),
        StatusCode::OK
    );

    let friend = browser();
    app.get(&friend, "/ref/alice").await;
    assert_eq!(app.signup(&friend, "friend").await.status(), StatusCode::OK);

    let flags = |name: &'static str| {
        let app = &app;
        async move {
            let user = hype::services::users::find_by_username(&app.state.db, name)
                .await
                .unwrap()
                .unwrap();
            hype::services::referrals::find_for_referred(&app.state.db, user.id)
                .await
                .unwrap()
                .expect("a referral")
                .flags
        }
    };
    let sock = flags("sockpuppet").await;
    assert!(sock.split(',').any(|f| f == "owner_hit"), "{sock}");
    let friendly = flags("friend").await;
    assert!(!friendly.split(',').any(|f| f == "owner_hit"), "{friendly}");
}

async fn anonymous_hits_are_claimed_at_signup_and_the_referrer_is_recorded(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    app.link(alice.id, "alice").await;
    let visitor = browser();
    app.get(&visitor, "/ref/alice").await;
    app.get(&visitor, "/ref/alice").await;

    let response = app.signup(&visitor, "newcomer").await;

    assert_eq!(response.status(), StatusCode::OK);
    let deleted = set_cookie(response.headers(), "hype_rk").expect("the cookie is deleted");
    assert!(deleted.contains("Max-Age=0"), "{deleted}");
    let newcomer = hype::services::users::find_by_username(&app.state.db, "newcomer")
        .await
        .unwrap()
        .unwrap();
    let hits = app.hits().await;
    assert!(hits.iter().all(|h| h.hit_user_id == Some(newcomer.id)));
    let referrals = app.referrals().await;
    assert_eq!(referrals.len(), 1);
    assert_eq!(referrals[0].referred_user_id, newcomer.id);
    assert_eq!(referrals[0].referrer_user_id, Some(alice.id));
    assert_eq!(referrals[0].status.as_str(), "pending");
    assert!(hits
        .iter()
        .any(|h| Some(h.id) == referrals[0].referral_hit_id));
}

async fn anonymous_hits_are_claimed_at_login_without_a_referral(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.link(alice.id, "alice").await;
    let client = browser();
    app.get(&client, "/ref/alice").await;

    let response = app.login(&client, "bob").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert!(set_cookie(response.headers(), "hype_rk").is_some_and(|c| c.contains("Max-Age=0")));
    assert_eq!(app.hits().await[0].hit_user_id, Some(bob.id));
    assert!(
        app.referrals().await.is_empty(),
        "referrals are decided at sign-up"
    );
}

async fn hits_are_claimed_on_any_later_signed_in_request(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.link(alice.id, "alice").await;
    // The visitor cookie from one visit…
    let anonymous = bare_client();
    let visit = app.get(&anonymous, "/ref/alice").await;
    let visitor_cookie = cookie_value(&set_cookie(visit.headers(), "hype_rk").unwrap());
    // …and a session from a log-in elsewhere, arriving together later.
    let login = app.login(&bare_client(), "bob").await;
    let session = cookie_value(&set_cookie(login.headers(), "hype_session").unwrap());

    let response = bare_client()
        .get(app.url("/"))
        .header(
            "Cookie",
            format!("hype_session={session}; hype_rk={visitor_cookie}"),
        )
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert!(set_cookie(response.headers(), "hype_rk").is_some_and(|c| c.contains("Max-Age=0")));
    assert_eq!(app.hits().await[0].hit_user_id, Some(bob.id));
}

async fn a_forged_cookie_on_a_signed_in_request_is_deleted_and_claims_nothing(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    app.user("bob").await;
    app.link(alice.id, "alice").await;
    app.get(&bare_client(), "/ref/alice").await;
    let login = app.login(&bare_client(), "bob").await;
    let session = cookie_value(&set_cookie(login.headers(), "hype_session").unwrap());

    for forged in ["garbage", "0000.AAAA", ""] {
        let response = bare_client()
            .get(app.url("/links"))
            .header(
                "Cookie",
                format!("hype_session={session}; hype_rk={forged}"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{forged:?}");
        assert!(set_cookie(response.headers(), "hype_rk").is_some_and(|c| c.contains("Max-Age=0")));
    }
    assert_eq!(app.hits().await[0].hit_user_id, None);
}

async fn claimed_hits_are_never_taken_over(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.user("carol").await;
    app.link(alice.id, "alice").await;
    let visit = app.get(&bare_client(), "/ref/alice").await;
    let visitor_cookie = cookie_value(&set_cookie(visit.headers(), "hype_rk").unwrap());
    for user in ["bob", "carol"] {
        // The same cookie presented at two log-ins: only the first claims.
        let response = bare_client()
            .post(app.url("/api/login"))
            .header("Accept", "application/json")
            .header("Cookie", format!("hype_rk={visitor_cookie}"))
            .form(&[("username", user), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(app.hits().await[0].hit_user_id, Some(bob.id));
}

async fn signed_in_visitors_make_authenticated_hits_and_get_no_cookie(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.link(alice.id, "alice").await;
    let client = browser();
    app.login(&client, "bob").await;

    let response = app.get(&client, "/ref/alice").await;

    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(set_cookie(response.headers(), "hype_rk"), None);
    let hit = &app.hits().await[0];
    assert!(hit.authenticated);
    assert_eq!(hit.hit_user_id, Some(bob.id));
    assert_eq!(hit.visitor_id, None);
}

async fn a_signup_without_hits_has_no_referral(db: Db) {
    let app = spawn_app(db).await;
    let response = app.signup(&browser(), "loner").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(app.referrals().await.is_empty());
}

async fn the_signup_page_names_the_referrer(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    app.link(alice.id, "alice").await;
    let client = browser();
    let before = app.get(&client, "/signup").await.text().await.unwrap();
    assert!(!before.contains("You were invited by"));

    app.get(&client, "/ref/alice").await;
    let page = app.get(&client, "/signup").await.text().await.unwrap();
    // `<!>` are hydration markers, invisible in the page.
    assert!(
        page.replace("<!>", "")
            .contains("You were invited by <strong>alice</strong>"),
        "the sign-up page should name alice"
    );
}
