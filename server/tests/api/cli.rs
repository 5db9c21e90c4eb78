//! The operator's command line: `migrate`, `create-user`, `create-link`, `create-webhook`,
//! `create-api-key`, `reset-password`, with clear errors.
use crate::helpers::*;
use crate::on_both_databases;
use std::process::Command;

on_both_databases!(the_cli_bootstraps_a_site_and_explains_its_errors);

fn hype_server(database_url: &str, args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_hype-server"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("HYPE_PASSWORD", PASSWORD)
        .env("HYPE_PUBLIC_URL", "https://refer.example")
        .env("RUST_LOG", "error")
        .output()
        .expect("run hype-server");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

async fn the_cli_bootstraps_a_site_and_explains_its_errors(db: Db) {
    let database = TestDatabase::create(&db).await;
    let url = database.url.as_str();

    let (ok, out) = hype_server(url, &["migrate"]);
    assert!(ok, "{out}");
    let (ok, out) = hype_server(
        url,
        &[
            "create-user",
            "root",
            "--admin",
            "--email",
            "root@example.com",
        ],
    );
    assert!(ok && out.contains("created admin user root"), "{out}");
    let (ok, out) = hype_server(url, &["create-user", "ROOT"]);
    assert!(!ok && out.contains("is taken"), "{out}");
    let (ok, out) = hype_server(url, &["create-user", "x y"]);
    assert!(!ok && out.contains("username"), "{out}");

    let (ok, out) = hype_server(url, &["create-link", "root", "launch", "--label", "Launch"]);
    assert!(
        ok && out.contains("https://refer.example/ref/launch"),
        "{out}"
    );
    let (ok, out) = hype_server(url, &["create-link", "root", "LAUNCH"]);
    assert!(!ok && out.contains("is taken"), "{out}");
    let (ok, out) = hype_server(url, &["create-link", "nobody"]);
    assert!(!ok && out.contains("no user named"), "{out}");
    let (ok, out) = hype_server(url, &["create-link", "root", "bad id!"]);
    assert!(!ok && out.contains("identifier"), "{out}");
    let (ok, out) = hype_server(url, &["create-link", "root", "--disabled"]);
    assert!(ok && out.contains("(disabled)"), "{out}");
    let (ok, out) = hype_server(
        url,
        &[
            "create-link",
            "root",
            "--destination",
            "https://shop.example.com/",
        ],
    );
    assert!(
        !ok && out.contains("HYPE_ALLOWED_REDIRECT_HOSTS"),
        "no destination without allowed hosts: {out}"
    );

    let (ok, out) = hype_server(
        url,
        &[
            "create-webhook",
            "https://hooks.example/hype",
            "--events",
            "referral.confirmed,reward.credited",
        ],
    );
    assert!(ok, "{out}");
    let secret = out.trim_end().lines().last().unwrap_or_default().to_owned();
    assert!(
        secret.starts_with("whsec_"),
        "the secret is the last line: {out}"
    );
    let (ok, out) = hype_server(
        url,
        &[
            "create-webhook",
            "https://hooks.example",
            "--events",
            "referral.exploded",
        ],
    );
    assert!(
        !ok && out.contains("unknown event") && out.contains("reward.credited"),
        "{out}"
    );
    let (ok, out) = hype_server(url, &["create-webhook", "ftp://hooks.example"]);
    assert!(!ok && out.contains("http"), "{out}");

    let (ok, out) = hype_server(
        url,
        &[
            "create-api-key",
            "Shop backend",
            "--scopes",
            "conversions:write",
        ],
    );
    assert!(ok && out.contains("conversions:write"), "{out}");
    let api_key = out.trim_end().lines().last().unwrap_or_default().to_owned();
    assert!(
        api_key.starts_with("hype_"),
        "the key is the last line: {out}"
    );
    let (ok, out) = hype_server(url, &["create-api-key", "x", "--scopes", "everything"]);
    assert!(
        !ok && out.contains("Unknown scope") && out.contains("links:read"),
        "{out}"
    );

    let (ok, out) = hype_server(url, &["reset-password", "ROOT"]);
    assert!(ok, "{out}");
    let link = out.trim_end().lines().last().unwrap_or_default().to_owned();
    let token = link
        .strip_prefix("https://refer.example/reset-password?token=")
        .unwrap_or_else(|| panic!("the link is the last line: {out}"))
        .to_owned();
    let (ok, out) = hype_server(url, &["reset-password", "nobody"]);
    assert!(!ok && out.contains("No user"), "{out}");

    let db = hype::db::connect(url, false).await.unwrap();
    let key = hype::services::api_keys::authenticate(&db, &api_key)
        .await
        .unwrap()
        .expect("the printed key works");
    assert_eq!(key.name, "Shop backend");
    assert_eq!(hype::services::api_keys::list(&db).await.unwrap().len(), 1);
    let new_password = hype::types::Password::parse("a new password").unwrap();
    hype::services::accounts::reset_password(&db, &token, &new_password)
        .await
        .expect("the printed link sets a password");
    hype::services::users::authenticate(&db, "root", "a new password")
        .await
        .expect("root logs in with it");
    let root = hype::services::users::find_by_username(&db, "root")
        .await
        .unwrap()
        .unwrap();
    assert!(root.is_admin);
    assert!(
        root.email_confirmed_at.is_some(),
        "an address given on the command line counts as confirmed"
    );
    let endpoints = hype::outbox::endpoints::list(&db).await.unwrap();
    assert_eq!(endpoints.len(), 1, "a refused endpoint is not stored");
    assert_eq!(endpoints[0].secret, secret);
    assert_eq!(endpoints[0].events, "referral.confirmed,reward.credited");
    assert_eq!(
        hype::services::links::list_for_user(&db, root.id)
            .await
            .unwrap()
            .len(),
        2
    );
    db.close().await.unwrap();
}

/// A bad setting stops `serve` before it binds, naming the variable and what it takes.
#[test]
fn serve_refuses_bad_hit_writer_settings_by_name() {
    for (name, value, expected) in [
        ("HYPE_HIT_LINGER_MS", "soon", "from 0 to 100 milliseconds"),
        ("HYPE_HIT_LINGER_MS", "101", "from 0 to 100 milliseconds"),
        ("HYPE_HIT_BATCH", "0", "from 1 to 1000 hits"),
        ("HYPE_HIT_BATCH", "5000", "from 1 to 1000 hits"),
        ("HYPE_HIT_QUEUE", "-1", "from 1 to 1000000 hits"),
        ("HYPE_SECRET_KEY", "too-short", "needs at least 32"),
        (
            "HYPE_PUBLIC_URL",
            "ftp://refer.example",
            "https://example.com",
        ),
        ("HYPE_ATTRIBUTION_WINDOW_DAYS", "0", "from 1 to 3650 days"),
        ("HYPE_REF_RATE_LIMIT", "fast", "HYPE_REF_RATE_LIMIT"),
        ("HYPE_DEFAULT_REDIRECT", "//evil.example", "same-site path"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_hype-server"))
            .arg("serve")
            // Accepted settings would fail here instead, on the database: never a server left
            // running.
            .env("DATABASE_URL", "unsupported://nowhere")
            .env(name, value)
            .output()
            .expect("run hype-server");
        let text = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{name}={value} was accepted");
        assert!(
            text.contains(name) && text.contains(expected),
            "{name}={value}: {text}"
        );
    }
}

/// `serve --help` is the reference for every setting: each is named with its variable.
#[test]
fn serve_help_lists_every_setting_with_its_variable() {
    let output = Command::new(env!("CARGO_BIN_EXE_hype-server"))
        .args(["serve", "--help"])
        .env(
            "HYPE_SECRET_KEY",
            "a-secret-that-must-not-be-printed-0123456789",
        )
        .output()
        .expect("run hype-server");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for name in [
        "DATABASE_URL",
        "HYPE_ADDR",
        "HYPE_PUBLIC_URL",
        "HYPE_SECRET_KEY",
        "HYPE_COOKIE_NAME",
        "HYPE_ATTRIBUTION_WINDOW_DAYS",
        "HYPE_ATTRIBUTION_MODEL",
        "HYPE_TRUSTED_PROXIES",
        "HYPE_DEFAULT_REDIRECT",
        "HYPE_REWARD_POINTS",
        "HYPE_REFEREE_REWARD_POINTS",
        "HYPE_LINK_CACHE_SECONDS",
        "HYPE_REF_RATE_LIMIT",
        "HYPE_HIT_QUEUE",
        "HYPE_HIT_BATCH",
        "HYPE_HIT_LINGER_MS",
        "HYPE_LOG_SQL",
        "LEPTOS_SITE_ROOT",
    ] {
        assert!(
            help.contains(&format!("[env: {name}")),
            "{name} missing from:\n{help}"
        );
    }
    assert!(
        !help.contains("a-secret-that-must-not"),
        "the secret is shown:\n{help}"
    );
}
