//! The built site (wasm, JS, CSS) is served gzipped to a browser that asks for it.
use crate::helpers::{spawn_app, Db, TEST_SCRIPT};
use crate::on_both_databases;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING};

on_both_databases!(static_files_are_gzipped_for_browsers_that_ask);

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
