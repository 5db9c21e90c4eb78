//! "My links" over HTTP: creating, listing with counts, disabling; and the pages themselves.
use crate::helpers::*;
use crate::on_both_databases;
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_databases!(
    links_need_a_signed_in_user,
    users_create_random_and_vanity_links,
    bad_or_taken_identifiers_get_a_clear_message,
    only_the_owner_can_disable_a_link,
    link_counts_follow_visits_and_signups,
    pages_render_for_visitors_and_users,
    malformed_arguments_get_a_400_with_a_message,
    a_link_disabled_after_a_visit_earns_no_referral,
    a_link_an_admin_disabled_stays_disabled_for_its_owner,
    a_link_s_qr_code_reads_as_its_url_and_my_links_shares_it,
    a_link_s_page_shows_what_it_did_and_its_owner_edits_it,
    my_links_pages_twenty_at_a_time,
);

/// Page `page` of *My links* as `client` sees it: its links.
async fn my_links(app: &TestApp, client: &reqwest::Client, page: Option<&str>) -> Vec<Value> {
    let form: Vec<(&str, &str)> = page.map(|p| ("page", p)).into_iter().collect();
    let body: Value = app
        .call(client, "list_links", &form)
        .await
        .json()
        .await
        .unwrap();
    body["links"].as_array().cloned().unwrap_or_default()
}

async fn my_links_pages_twenty_at_a_time(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    for n in 0..45 {
        app.link(alice.id, &format!("link-{n:02}")).await;
    }
    let bob = app.user("bob").await;
    app.link(bob.id, "bobs").await;
    let client = app.signed_in("alice").await;

    let page = |n: &'static str| {
        let (app, client) = (&app, &client);
        async move {
            let body: Value = app
                .call(client, "list_links", &[("page", n)])
                .await
                .json()
                .await
                .unwrap();
            body
        }
    };
    let first = page("1").await;
    assert_eq!(
        (
            first["page"].as_u64(),
            first["pages"].as_u64(),
            first["total"].as_u64()
        ),
        (Some(1), Some(3), Some(45))
    );
    let identifiers = |body: &Value| -> Vec<String> {
        body["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["identifier"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut seen = identifiers(&first);
    assert_eq!(seen.len(), 20);
    assert_eq!(seen[0], "link-44", "newest first");
    seen.extend(identifiers(&page("2").await));
    let last = page("3").await;
    seen.extend(identifiers(&last));
    assert_eq!(identifiers(&last).len(), 5);
    let expected: Vec<String> = (0..45).rev().map(|n| format!("link-{n:02}")).collect();
    assert_eq!(seen, expected, "every link once, in order, none of bob's");
    assert_eq!(page("99").await["page"], 3, "past the last page: the last");
    assert_eq!(page("0").await["page"], 1);
    assert_eq!(
        my_links(&app, &client, None).await.len(),
        20,
        "no page: the first"
    );
    let refused = app.call(&client, "list_links", &[("page", "two")]).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    let html = app
        .get(&client, "/links?page=2")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("45 links · page 2 of 3"), "{html}");
    assert!(html.contains("link-24") && !html.contains("link-44"));
    assert!(html.contains(r#"href="/links?page=3""#));
    assert!(html.contains(r#"href="/links""#));
    let malformed = app
        .get(&client, "/links?page=x")
        .await
        .text()
        .await
        .unwrap();
    assert!(malformed.contains("page 1 of 3"));

    // Made from page 3 without JavaScript, a link is shown where it is: on the first page.
    let newest = [("identifier", "newest"), ("label", "")];
    let made = app
        .post_plain_form(&client, "create_link", "/links?page=3", &newest)
        .await;
    assert_eq!(made.status(), StatusCode::FOUND);
    assert_eq!(location(&made), "/links");
    assert_eq!(
        my_links(&app, &client, None).await[0]["identifier"],
        "newest"
    );
    // A refused one goes back to the page it came from, with the message.
    let taken = app
        .post_plain_form(&client, "create_link", "/links?page=3", &newest)
        .await;
    assert_eq!(taken.status(), StatusCode::FOUND);
    assert!(
        location(&taken).starts_with("/links?page=3&error="),
        "{}",
        location(&taken)
    );
}

async fn a_link_s_page_shows_what_it_did_and_its_owner_edits_it(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    app.link(alice.id, "spring").await;
    for (n, referer) in [
        (0, "https://www.news.example/post"),
        (1, "https://news.example/other"),
        (2, ""),
    ] {
        let visitor = browser();
        let mut request = visitor.get(app.url("/ref/spring"));
        if !referer.is_empty() {
            request = request.header("Referer", referer);
        }
        request.send().await.unwrap();
        if n < 2 {
            app.signup(&visitor, &format!("friend{n}")).await;
        }
    }
    let referral = app.referrals().await.pop().unwrap();
    hype::services::referrals::confirm(&app.state.db, referral.id, alice.id, false, 100)
        .await
        .unwrap();

    let owner = app.signed_in("alice").await;
    let detail: Value = app
        .call(&owner, "link_detail", &[("identifier", "SPRING")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["link"]["hits"], 3, "{detail}");
    assert_eq!(detail["link"]["signups"], 2);
    assert_eq!(detail["link"]["confirmed"], 1);
    assert_eq!(detail["points"], 100);
    assert_eq!(detail["period"], 30);
    let days = detail["days"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert_eq!(
        days[29],
        json!([today, 3, 2]),
        "today's visits and sign-ups"
    );
    assert_eq!(detail["referers"], json!([["news.example", 2]]));
    let ninety: Value = app
        .call(
            &owner,
            "link_detail",
            &[("identifier", "spring"), ("days", "90")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ninety["days"].as_array().unwrap().len(), 90);

    // The page itself, drawn on the server: the chart and the sites.
    let page = app.get(&owner, "/links/spring").await.text().await.unwrap();
    assert!(
        page.contains("3 visits and 2 sign-ups in 30 days"),
        "the chart's summary"
    );
    assert!(page.contains("news.example"));

    // Another user can't see it; an admin can.
    app.user("mallory").await;
    let other = app.signed_in("mallory").await;
    let refused = app
        .call(&other, "link_detail", &[("identifier", "spring")])
        .await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    app.admin("root").await;
    let admin = app.signed_in("root").await;
    let seen = app
        .call(&admin, "link_detail", &[("identifier", "spring")])
        .await;
    assert_eq!(seen.status(), StatusCode::OK);

    // The owner edits the label; a destination needs an allowed host; others can't edit.
    let id = detail["link"]["id"].to_string();
    let edited = app
        .call(
            &owner,
            "edit_link",
            &[
                ("id", id.as_str()),
                ("label", "Spring sale"),
                ("destination", ""),
            ],
        )
        .await;
    assert_eq!(edited.status(), StatusCode::OK);
    let refused = app
        .call(
            &owner,
            "edit_link",
            &[
                ("id", id.as_str()),
                ("label", "x"),
                ("destination", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let foreign = app
        .call(
            &other,
            "edit_link",
            &[
                ("id", id.as_str()),
                ("label", "mine now"),
                ("destination", ""),
            ],
        )
        .await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.link_label("spring").await,
        "Spring sale",
        "only the owner's edit counted"
    );
}

async fn a_link_s_qr_code_reads_as_its_url_and_my_links_shares_it(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    app.link(alice.id, "Summer-Sale").await;
    let url = app.state.config.link_url("Summer-Sale");

    let png = bare_client()
        .get(app.url("/links/summer-sale/qr.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(png.status(), StatusCode::OK);
    assert_eq!(png.headers()["content-type"], "image/png");
    let bytes = png.bytes().await.unwrap();
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let width = info.width as usize;
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, info.height as usize, |x, y| {
            pixels[y * width + x]
        });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1);
    assert_eq!(
        grids[0].decode().unwrap().1,
        url,
        "the code holds the link's full URL"
    );

    let svg = bare_client()
        .get(app.url("/links/summer-sale/qr.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.text().await.unwrap().contains("<svg"));
    let missing = bare_client()
        .get(app.url("/links/no-such-link/qr.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    // My links offers it, with plain share links carrying the whole URL.
    let page = app
        .get(&app.signed_in("alice").await, "/links")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("/links/Summer-Sale/qr.svg"),
        "the QR code is shown"
    );
    assert!(
        page.contains("/links/Summer-Sale/qr.png"),
        "and downloadable as PNG"
    );
    let encoded: String = url::form_urlencoded::byte_serialize(url.as_bytes()).collect();
    for network in [
        "https://wa.me/?text=",
        "https://t.me/share/url?url=",
        "mailto:?subject=",
    ] {
        assert!(page.contains(network), "{network}");
    }
    assert!(
        page.contains(&encoded.replace('.', "%2E").replace('-', "%2D")),
        "the share links hold the URL"
    );
}

async fn a_link_disabled_after_a_visit_earns_no_referral(db: Db) {
    let app = spawn_app(db).await;
    let root = app.admin("root").await;
    let alice = app.user("alice").await;
    let link = app.link(alice.id, "alice").await;
    let visitor = browser();
    assert_eq!(
        app.get(&visitor, "/ref/alice").await.status(),
        StatusCode::FOUND
    );
    hype::services::links::admin_set_disabled(&app.state.db, root.id, link.id, true)
        .await
        .unwrap();

    let signup_page = app.get(&visitor, "/signup").await.text().await.unwrap();
    assert!(
        !signup_page.contains("You were invited by"),
        "{signup_page}"
    );
    assert_eq!(
        app.signup(&visitor, "friend").await.status(),
        StatusCode::OK
    );
    assert!(
        app.referrals().await.is_empty(),
        "no referral from a disabled link"
    );
    let hits = app.hits().await;
    assert_eq!(hits.len(), 1, "the hit stays recorded");
    assert!(
        hits[0].hit_user_id.is_some(),
        "and is claimed by the new user"
    );
}

async fn a_link_an_admin_disabled_stays_disabled_for_its_owner(db: Db) {
    use hype::entities::audit_log;
    use sea_orm::EntityTrait;
    let app = spawn_app(db).await;
    app.admin("root").await;
    let alice = app.user("alice").await;
    let link = app.link(alice.id, "alice").await;
    let id = link.id.to_string();
    let admin = app.signed_in("root").await;
    let owner = app.signed_in("alice").await;
    let set_by_owner = |disabled: &'static str| {
        let (owner, id) = (owner.clone(), id.clone());
        let app = &app;
        async move {
            app.call(
                &owner,
                "set_link_disabled",
                &[("id", id.as_str()), ("disabled", disabled)],
            )
            .await
        }
    };

    // The owner turns their own link off and on: both in the audit log.
    assert_eq!(set_by_owner("true").await.status(), StatusCode::OK);
    assert_eq!(set_by_owner("false").await.status(), StatusCode::OK);
    let response = app
        .call(
            &admin,
            "admin/set_link_disabled",
            &[("id", id.as_str()), ("disabled", "true")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let refused = set_by_owner("false").await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("only an admin can enable it"));
    let stored = hype::services::links::find(&app.state.db, "alice")
        .await
        .unwrap()
        .unwrap();
    assert!(stored.disabled && stored.disabled_by_admin);
    let page = app.get(&owner, "/links").await.text().await.unwrap();
    assert!(page.contains("by an admin"), "{page}");
    assert!(
        !page.contains("Enable alice"),
        "no Enable button for the owner"
    );

    // An admin enables it again, and then its owner may switch it as before.
    let response = app
        .call(
            &admin,
            "admin/set_link_disabled",
            &[("id", id.as_str()), ("disabled", "false")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(set_by_owner("true").await.status(), StatusCode::OK);
    assert_eq!(set_by_owner("false").await.status(), StatusCode::OK);

    let actions: Vec<(String, Option<i32>)> = audit_log::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|row| row.target_table == "referral_links")
        .map(|row| (row.action, row.actor_user_id))
        .collect();
    let by = |action: &str, who: i32| (action.to_owned(), Some(who));
    let root_id = hype::services::users::find_by_username(&app.state.db, "root")
        .await
        .unwrap()
        .unwrap()
        .id;
    assert_eq!(
        actions,
        vec![
            by("disable_link", alice.id),
            by("enable_link", alice.id),
            by("disable_link", root_id),
            by("enable_link", root_id),
            by("disable_link", alice.id),
            by("enable_link", alice.id),
        ]
    );
}

async fn malformed_arguments_get_a_400_with_a_message(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    let link = app.link(alice.id, "alice").await;
    let client = app.signed_in("alice").await;
    for form in [
        vec![("id", "not-a-number"), ("disabled", "true")],
        vec![("id", "1"), ("disabled", "perhaps")],
        vec![("disabled", "true")],
    ] {
        let response = app.call(&client, "set_link_disabled", &form).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{form:?}");
        assert!(response
            .text()
            .await
            .unwrap()
            .contains("missing or malformed"));
    }
    let unchanged = hype::services::links::find(&app.state.db, "alice")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unchanged, link);
}

async fn links_need_a_signed_in_user(db: Db) {
    let app = spawn_app(db).await;
    let response = app
        .call(&browser(), "create_link", &[("identifier", "x")])
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let list = app.call(&browser(), "list_links", &[]).await;
    assert_eq!(list.status(), StatusCode::UNAUTHORIZED);
    assert!(hype::services::links::find(&app.state.db, "x")
        .await
        .unwrap()
        .is_none());
}

async fn users_create_random_and_vanity_links(db: Db) {
    let app = spawn_app(db).await;
    app.user("alice").await;
    let client = browser();
    app.login(&client, "alice").await;
    let random = app
        .call(
            &client,
            "create_link",
            &[("identifier", ""), ("label", "Newsletter")],
        )
        .await;
    assert_eq!(random.status(), StatusCode::OK);
    let vanity = app
        .call(
            &client,
            "create_link",
            &[("identifier", "alice-2026"), ("label", "")],
        )
        .await;
    assert_eq!(vanity.status(), StatusCode::OK);

    let links = my_links(&app, &client, None).await;
    assert_eq!(links.len(), 2);
    assert_eq!(links[0]["identifier"], "alice-2026");
    assert_eq!(links[0]["url"], "http://127.0.0.1:3000/ref/alice-2026");
    assert_eq!(links[1]["label"], "Newsletter");
    assert_eq!(links[1]["identifier"].as_str().unwrap().len(), 8);
}

async fn bad_or_taken_identifiers_get_a_clear_message(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    app.link(alice.id, "Taken").await;
    let client = browser();
    app.login(&client, "alice").await;
    for (identifier, status, message) in [
        ("has space", 400, "letters, digits"),
        ("ünïcode", 400, "letters, digits"),
        (&"x".repeat(51), 400, "1 to 50"),
        ("taken", 409, "is taken"),
    ] {
        let response = app
            .call(&client, "create_link", &[("identifier", identifier)])
            .await;
        assert_eq!(response.status().as_u16(), status, "{identifier}");
        let body = response.text().await.unwrap();
        assert!(body.contains(message), "{body}");
    }
    let links = my_links(&app, &client, None).await;
    assert_eq!(links.len(), 1);
}

async fn only_the_owner_can_disable_a_link(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    app.user("mallory").await;
    let link = app.link(alice.id, "alice").await;
    let id = link.id.to_string();

    let mallory = browser();
    app.login(&mallory, "mallory").await;
    let refused = app
        .call(
            &mallory,
            "set_link_disabled",
            &[("id", &id), ("disabled", "true")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&bare_client(), "/ref/alice").await.status(),
        StatusCode::FOUND
    );
    assert_eq!(app.hit_count().await, 1);

    let owner = browser();
    app.login(&owner, "alice").await;
    let disabled = app
        .call(
            &owner,
            "set_link_disabled",
            &[("id", &id), ("disabled", "true")],
        )
        .await;
    assert_eq!(disabled.status(), StatusCode::OK);
    app.get(&bare_client(), "/ref/alice").await;
    assert_eq!(app.hit_count().await, 1, "a disabled link records nothing");

    app.call(
        &owner,
        "set_link_disabled",
        &[("id", &id), ("disabled", "false")],
    )
    .await;
    app.get(&bare_client(), "/ref/alice").await;
    assert_eq!(app.hit_count().await, 2);
}

async fn link_counts_follow_visits_and_signups(db: Db) {
    let app = spawn_app(db).await;
    let alice = app.user("alice").await;
    app.link(alice.id, "alice").await;
    let friend = browser();
    app.get(&friend, "/ref/alice").await;
    app.get(&friend, "/ref/alice").await;
    app.get(&bare_client(), "/ref/alice").await;
    app.signup(&friend, "friend").await;

    let owner = browser();
    app.login(&owner, "alice").await;
    let links = my_links(&app, &owner, None).await;
    assert_eq!(links[0]["hits"], 3);
    assert_eq!(links[0]["visitors"], 2);
    assert_eq!(links[0]["signups"], 1);

    let page = app.get(&owner, "/links").await.text().await.unwrap();
    assert!(page.contains("http://127.0.0.1:3000/ref/alice"));
}

async fn pages_render_for_visitors_and_users(db: Db) {
    let app = spawn_app(db).await;
    app.user("alice").await;
    let client = browser();
    for (path, text) in [
        ("/", "Invite friends"),
        ("/signup", "Create your account"),
        ("/login", "Log in"),
        ("/links", "to create and follow your referral links"),
    ] {
        let response = app.get(&client, path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(response.text().await.unwrap().contains(text), "{path}");
    }
    let missing = app.get(&client, "/no-such-page").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    app.login(&client, "alice").await;
    let links = app.get(&client, "/links").await.text().await.unwrap();
    assert!(links.contains("You have no links yet"));
}
