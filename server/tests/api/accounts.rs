//! Sign-up, log-in, log-out, sessions in the database, and the cross-site guard.
use crate::helpers::*;
use crate::on_both_databases;
use reqwest::StatusCode;

on_both_databases!(
    signup_creates_a_signed_in_account_with_a_hashed_password,
    bad_signups_get_a_clear_message_and_change_nothing,
    wrong_password_and_unknown_user_get_the_same_answer,
    the_session_id_rotates_at_every_login,
    logout_ends_the_session,
    sessions_are_shared_by_instances_on_one_database,
    plain_html_forms_get_redirects_with_their_errors,
    a_failed_plain_form_keeps_the_query_of_its_page,
    cross_site_state_changes_are_refused,
);

async fn signup_creates_a_signed_in_account_with_a_hashed_password(db: Db) {
    let app = spawn_app(db).await;
    let client = browser();
    let response = app
        .call(
            &client,
            "signup",
            &[
                ("username", "Newbie"),
                ("password", PASSWORD),
                ("email", "new@example.com"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let session = set_cookie(response.headers(), "hype_session").expect("a session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );

    let me: serde_json::Value = app
        .call(&client, "current_user", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "Newbie");
    let user = hype::services::users::find_by_username(&app.state.db, "newbie")
        .await
        .unwrap()
        .unwrap();
    assert!(user.password_hash.starts_with("$argon2"));
    assert_eq!(user.email.as_deref(), Some("new@example.com"));
    assert!(!user.is_admin);
}

async fn bad_signups_get_a_clear_message_and_change_nothing(db: Db) {
    let app = spawn_app(db).await;
    app.user("taken").await;
    for (username, password, email, status, message) in [
        ("ab", PASSWORD, "", 400, "3 to 32 characters"),
        ("bad name", PASSWORD, "", 400, "letters, digits"),
        ("okname", "short", "", 400, "at least 8"),
        ("okname", PASSWORD, "not-an-email", 400, "email"),
        ("TAKEN", PASSWORD, "", 409, "taken"),
    ] {
        let response = app
            .call(
                &browser(),
                "signup",
                &[
                    ("username", username),
                    ("password", password),
                    ("email", email),
                ],
            )
            .await;
        assert_eq!(
            response.status().as_u16(),
            status,
            "{username}/{password}/{email}"
        );
        assert_eq!(set_cookie(response.headers(), "hype_session"), None);
        let body = response.text().await.unwrap();
        assert!(body.contains(message), "{body} should mention {message:?}");
    }
    let users = hype::services::users::find_by_username(&app.state.db, "okname")
        .await
        .unwrap();
    assert!(users.is_none());
}

async fn wrong_password_and_unknown_user_get_the_same_answer(db: Db) {
    let app = spawn_app(db).await;
    app.user("alice").await;
    let wrong = app
        .call(
            &browser(),
            "login",
            &[("username", "alice"), ("password", "wrong-password")],
        )
        .await;
    let unknown = app
        .call(
            &browser(),
            "login",
            &[("username", "nobody"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(set_cookie(wrong.headers(), "hype_session"), None);
    assert_eq!(wrong.text().await.unwrap(), unknown.text().await.unwrap());
}

async fn the_session_id_rotates_at_every_login(db: Db) {
    let app = spawn_app(db).await;
    app.user("alice").await;
    app.user("bob").await;
    let client = browser();
    let first = app.login(&client, "alice").await;
    let first_id = cookie_value(&set_cookie(first.headers(), "hype_session").unwrap());
    // Logging in again, as someone else, on the same browser.
    let second = app.login(&client, "bob").await;
    let second_id = cookie_value(&set_cookie(second.headers(), "hype_session").expect("a new id"));
    assert_ne!(first_id, second_id);

    let me: serde_json::Value = app
        .call(&client, "current_user", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "bob");
    // The old id no longer signs anyone in.
    let stale = bare_client()
        .post(app.url("/api/current_user"))
        .header("Accept", "application/json")
        .header("Cookie", format!("hype_session={first_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        stale.json::<serde_json::Value>().await.unwrap(),
        serde_json::Value::Null
    );
}

async fn logout_ends_the_session(db: Db) {
    let app = spawn_app(db).await;
    app.user("alice").await;
    let client = browser();
    app.login(&client, "alice").await;
    assert_eq!(app.session_rows().await, 1);
    let response = app.call(&client, "logout", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let me: serde_json::Value = app
        .call(&client, "current_user", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me, serde_json::Value::Null);
    assert_eq!(app.session_rows().await, 0);
}

async fn sessions_are_shared_by_instances_on_one_database(db: Db) {
    let app = spawn_app(db).await;
    app.user("alice").await;
    let login = app.login(&bare_client(), "alice").await;
    let session = cookie_value(&set_cookie(login.headers(), "hype_session").unwrap());
    let other = spawn_second_instance(&app).await;
    let me: serde_json::Value = bare_client()
        .post(other.url("/api/current_user"))
        .header("Accept", "application/json")
        .header("Cookie", format!("hype_session={session}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "alice");
}

async fn plain_html_forms_get_redirects_with_their_errors(db: Db) {
    let app = spawn_app(db).await;
    app.user("alice").await;
    let client = browser();
    let post = |form: Vec<(&'static str, &'static str)>| {
        client
            .post(app.url("/api/login"))
            .header("Accept", "text/html")
            .header("Referer", app.url("/login"))
            .form(&form)
            .send()
    };
    let failed = post(vec![("username", "alice"), ("password", "wrong-password")])
        .await
        .unwrap();
    assert_eq!(failed.status(), StatusCode::FOUND);
    assert_eq!(
        location(&failed),
        "/login?error=Wrong+username+or+password.&error_for=%2Fapi%2Flogin"
    );
    let page = app
        .get(&client, &location(&failed))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Wrong username or password."));

    let ok = post(vec![("username", "alice"), ("password", PASSWORD)])
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::FOUND);
    assert_eq!(location(&ok), "/links");
}

/// A plain form that fails comes back to the page it came from with that page's query kept
/// (an earlier message replaced), and a failed call from a script gets the error's status.
async fn a_failed_plain_form_keeps_the_query_of_its_page(db: Db) {
    let app = spawn_app(db).await;
    app.admin("root").await;
    let admin = app.signed_in("root").await;
    let from = app.url("/admin/hits?claimed=yes&q=a%20b&error=old");
    let failed = admin
        .post(app.url("/api/admin/confirm_hit"))
        .header("Accept", "text/html")
        .header("Referer", from.as_str())
        .form(&[("id", "not-a-hit")])
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), StatusCode::FOUND);
    let back = location(&failed);
    assert!(
        back.starts_with("/admin/hits?claimed=yes&q=a+b&error="),
        "{back}"
    );
    assert!(!back.contains("old"), "{back}");
    let page = app.get(&admin, &back).await.text().await.unwrap();
    assert!(page.contains(r#"role="alert""#), "the message is shown");

    let scripted = app
        .call(&admin, "admin/confirm_hit", &[("id", "not-a-hit")])
        .await;
    assert_eq!(scripted.status(), StatusCode::BAD_REQUEST);
}

async fn cross_site_state_changes_are_refused(db: Db) {
    let app = spawn_app(db).await;
    app.user("alice").await;
    let form = [("username", "alice"), ("password", PASSWORD)];
    for (header, value) in [
        ("Origin", "https://evil.example".to_owned()),
        ("Origin", "null".to_owned()),
        ("Sec-Fetch-Site", "cross-site".to_owned()),
    ] {
        let response = bare_client()
            .post(app.url("/api/login"))
            .header(header, value.as_str())
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{header}: {value}"
        );
        assert_eq!(set_cookie(response.headers(), "hype_session"), None);
    }
    assert_eq!(app.session_rows().await, 0);
    let same_origin = bare_client()
        .post(app.url("/api/login"))
        .header("Origin", app.address.as_str())
        .header("Sec-Fetch-Site", "same-origin")
        .header("Accept", "application/json")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status(), StatusCode::OK);
}
