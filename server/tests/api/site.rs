//! The built site (wasm, JS, CSS) is served gzipped to a browser that asks for it, and every
//! page carries the headers that keep browsers from sniffing, framing and leaking it.
use crate::helpers::{browser, spawn_app, spawn_app_with, Db, TEST_SCRIPT};
use crate::on_both_databases;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING};

on_both_databases!(
    static_files_are_gzipped_for_browsers_that_ask,
    every_page_refuses_sniffing_and_framing,
    https_sites_ask_browsers_to_stay_on_https,
);

async fn every_page_refuses_sniffing_and_framing(db: Db) {
    let app = spawn_app(db).await;
    let client = browser();
    for path in [
        "/",
        "/signup",
        "/login",
        "/links",
        "/admin/hits",
        "/no-such-page",
    ] {
        let response = app.get(&client, path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(
            headers["content-security-policy"], "frame-ancestors 'none'",
            "{path}"
        );
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(
            headers["referrer-policy"], "strict-origin-when-cross-origin",
            "{path}"
        );
        // Served over plain http here: no HSTS, which would lock a local site out.
        assert!(headers.get("strict-transport-security").is_none(), "{path}");
    }
}

async fn https_sites_ask_browsers_to_stay_on_https(db: Db) {
    let app = spawn_app_with(db, |config| {
        config.public_url = "https://refer.example.com".parse().unwrap();
    })
    .await;
    let response = app.get(&browser(), "/").await;
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000"
    );
}

async fn static_files_are_gzipped_for_browsers_that_ask(db: Db) {
    let app = spawn_app(db).await;
    let client = reqwest::Client::new();
    let url = format!("{}/pkg/hype.js", app.address);

    let plain = client.get(&url).send().await.unwrap();
    assert_eq!(plain.status(), 200);
    assert!(plain.headers().get(CONTENT_ENCODING).is_none());
    assert_eq!(plain.text().await.unwrap(), TEST_SCRIPT);

    let zipped = client
        .get(&url)
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.status(), 200);
    assert_eq!(zipped.headers()[CONTENT_ENCODING], "gzip");
    let body = zipped.bytes().await.unwrap();
    assert_eq!(body[..2], [0x1f, 0x8b], "a gzip stream");
    assert!(body.len() < TEST_SCRIPT.len(), "smaller than the file");

    // A missing file is still the site's 404 page.
    let missing = client
        .get(format!("{}/pkg/nothing.js", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
