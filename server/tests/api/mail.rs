//! Mail and accounts through a real SMTP server (`mailin-embedded` on a port of its own):
//! address confirmation, a forgotten password reset by its mailed link, referrer notices with
//! one-click unsubscribe, log-in and sign-up throttles, and account deletion that leaves no
//! personal datum in any table while every total stays.
use crate::helpers::*;
use crate::on_both_databases;
use hype::entities::users;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel, Set, Statement};
use std::sync::{Arc, Mutex};
use std::time::Duration;

on_both_databases!(
    a_forgotten_password_is_reset_by_its_mailed_link,
    referrers_get_notices_they_can_stop_in_one_click,
    failed_log_ins_and_sign_ups_are_throttled,
    a_deleted_account_leaves_no_personal_data_and_every_total,
);

/// One received mail: its envelope recipients and its raw text (headers and body).
#[derive(Debug, Clone)]
struct Received {
    to: Vec<String>,
    raw: String,
}

impl Received {
    /// The body with quoted-printable soft breaks and escapes undone.
    fn decoded(&self) -> String {
        let joined = self.raw.replace("=\r\n", "").replace("=\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'=' && i + 2 < bytes.len() {
                if let Ok(byte) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                    out.push(byte);
                    i += 3;
                    continue;
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The path and query of the first link to `path` in the mail.
    fn link(&self, path: &str) -> String {
        let text = self.decoded();
        let start = text
            .find(&format!("{path}?"))
            .unwrap_or_else(|| panic!("no {path} link in {text}"));
        text[start..]
            .split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
            .next()
            .unwrap_or_default()
            .replace("&amp;", "&")
    }

    fn header(&self, name: &str) -> Option<String> {
        let head = self.raw.split("\r\n\r\n").next().unwrap_or_default();
        head.lines()
            .find(|l| {
                l.len() > name.len()
                    && l[..name.len()].eq_ignore_ascii_case(name)
                    && l[name.len()..].starts_with(':')
            })
            .map(|l| l[name.len() + 1..].trim().to_owned())
    }

    fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }
}

#[derive(Clone)]
struct Inbox {
    mails: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<tokio::sync::Notify>,
}

#[derive(Clone)]
struct Collector {
    inbox: Inbox,
    to: Vec<String>,
    data: Vec<u8>,
}

impl mailin_embedded::Handler for Collector {
    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        to: &[String],
    ) -> mailin_embedded::Response {
        self.to = to.to_vec();
        self.data.clear();
        mailin_embedded::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> mailin_embedded::Response {
        let mail = Received {
            to: std::mem::take(&mut self.to),
            raw: String::from_utf8_lossy(&self.data).into_owned(),
        };
        self.inbox
            .mails
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(mail);
        self.inbox.arrived.notify_waiters();
        mailin_embedded::response::OK
    }
}

/// A real SMTP server on a free port, keeping every mail it is given.
struct SmtpServer {
    port: u16,
    inbox: Inbox,
}

impl SmtpServer {
    fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("its address").port();
        let inbox = Inbox {
            mails: Arc::default(),
            arrived: Arc::default(),
        };
        let mut server = mailin_embedded::Server::new(Collector {
            inbox: inbox.clone(),
            to: Vec::new(),
            data: Vec::new(),
        });
        server
            .with_name("smtp.test")
            .with_ssl(mailin_embedded::SslConfig::None)
            .expect("no TLS")
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Self { port, inbox }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Waits (at most 20 s) for a mail to `to` whose subject contains `subject`.
    async fn wait_for(&self, to: &str, subject: &str) -> Received {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let arrived = self.inbox.arrived.notified();
            if let Some(mail) = self.find(to, subject) {
                return mail;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!(
                    "no mail to {to} about {subject:?}; got {:?}",
                    self.all()
                        .iter()
                        .map(|m| (m.to.clone(), m.subject()))
                        .collect::<Vec<_>>()
                );
            }
        }
    }

    fn find(&self, to: &str, subject: &str) -> Option<Received> {
        self.all()
            .into_iter()
            .find(|m| m.to.iter().any(|t| t.contains(to)) && m.subject().contains(subject))
    }

    fn all(&self) -> Vec<Received> {
        self.inbox
            .mails
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

async fn app_with_mail(db: Db, smtp: &SmtpServer) -> TestApp {
    let url = smtp.url();
    spawn_app_config(db, |config| {
        config.smtp_url = Some(hype_server::config::Secret::new(url));
        config.mail_from = "hype <noreply@refer.example>".into();
    })
    .await
}

async fn sign_up_with_email(app: &TestApp, client: &reqwest::Client, name: &str, email: &str) {
    let response = app
        .call(
            client,
            "signup",
            &[("username", name), ("password", PASSWORD), ("email", email)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK, "sign up {name}");
}

async fn account_of(app: &TestApp, name: &str) -> users::Model {
    hype::services::users::find_by_username(&app.state.db, name)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no user {name}"))
}

/// The token of a mailed link.
fn token_of(link: &str) -> String {
    let token = link.split("token=").nth(1).unwrap_or_default();
    url::form_urlencoded::parse(format!("t={token}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

async fn a_forgotten_password_is_reset_by_its_mailed_link(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_with_mail(db, &smtp).await;
    let alice = browser();
    sign_up_with_email(&app, &alice, "alice", "alice@example.com").await;

    let confirm = smtp
        .wait_for("alice@example.com", "Confirm your e-mail")
        .await;
    assert_eq!(
        confirm.header("From").as_deref(),
        Some("hype <noreply@refer.example>")
    );
    let link = confirm.link("/confirm-email");
    assert!(account_of(&app, "alice").await.email_confirmed_at.is_none());
    let response = app
        .call(&alice, "confirm_email", &[("token", &token_of(&link))])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(account_of(&app, "alice").await.email_confirmed_at.is_some());

    // Signed in on another device too.
    let other_device = app.signed_in("alice").await;

    // The same answer for a known address and an unknown name.
    let known = app
        .call(
            &bare_client(),
            "forgot_password",
            &[("login", "ALICE@example.com")],
        )
        .await;
    let unknown = app
        .call(
            &bare_client(),
            "forgot_password",
            &[("login", "nobody-at-all")],
        )
        .await;
    assert_eq!(known.status(), StatusCode::OK);
    assert_eq!(unknown.status(), known.status());
    assert_eq!(unknown.text().await.unwrap(), known.text().await.unwrap());

    let reset = smtp
        .wait_for("alice@example.com", "Reset your password")
        .await;
    assert!(reset.header("List-Unsubscribe").is_none(), "not a notice");
    let token = token_of(&reset.link("/reset-password"));
    let stored: Vec<String> = hype::entities::account_tokens::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.token_hash)
        .collect();
    assert!(
        !stored.iter().any(|hash| hash.contains(&token)),
        "tokens are stored hashed"
    );

    let weak = app
        .call(
            &bare_client(),
            "reset_password",
            &[("token", &token), ("password", "short")],
        )
        .await;
    assert_eq!(
        weak.status(),
        StatusCode::BAD_REQUEST,
        "a weak password changes nothing"
    );
    let response = app
        .call(
            &bare_client(),
            "reset_password",
            &[("token", &token), ("password", "a brand new secret")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let again = app
        .call(
            &bare_client(),
            "reset_password",
            &[("token", &token), ("password", "yet another secret")],
        )
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST, "a link works once");
    assert!(again
        .text()
        .await
        .unwrap()
        .contains("invalid, used or expired"));

    for device in [&alice, &other_device] {
        let response = app.call(device, "my_account", &[]).await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "the reset signed every session out"
        );
    }
    let old = app.login(&bare_client(), "alice").await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let new = app
        .call(
            &browser(),
            "login",
            &[("username", "alice"), ("password", "a brand new secret")],
        )
        .await;
    assert_eq!(new.status(), StatusCode::OK);
}

async fn referrers_get_notices_they_can_stop_in_one_click(db: Db) {
    let smtp = SmtpServer::start();
    let app = app_with_mail(db, &smtp).await;
    let admin = app.admin("root").await;
    let alice = app.user("alice").await;
    let mut confirmed = alice.clone().into_active_model();
    confirmed.email = Set(Some("alice@example.com".into()));
    confirmed.email_confirmed_at = Set(Some(chrono::Utc::now()));
    confirmed.update(&app.state.db).await.unwrap();

    let referral = app.referral(alice.id, "alice-link", "bob").await;
    let joined = smtp.wait_for("alice@example.com", "bob joined").await;
    assert!(
        joined.decoded().contains("alice-link"),
        "{}",
        joined.decoded()
    );
    assert_eq!(
        joined.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let unsubscribe = joined
        .header("List-Unsubscribe")
        .expect("a List-Unsubscribe header");
    let unsubscribe = unsubscribe.trim_matches(|c| c == '<' || c == '>');
    let path = &unsubscribe[unsubscribe.find("/unsubscribe").expect("its path")..];

    // A link scanner's GET changes nothing; the one-click POST does, from anywhere.
    let page = app.get(&bare_client(), path).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(account_of(&app, "alice").await.notify_joins);
    let forged = bare_client()
        .post(app.url(&path.replace("token=", "token=x")))
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    let response = bare_client()
        .post(app.url(path))
        .header("Origin", "https://mail.example")
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let alice_now = account_of(&app, "alice").await;
    assert!(!alice_now.notify_joins, "joins are off");
    assert!(alice_now.notify_credits, "other notices stay on");

    hype::services::referrals::confirm(&app.state.db, referral.id, admin.id, false, 100)
        .await
        .unwrap();
    let credited = smtp
        .wait_for("alice@example.com", "Your referral of bob was confirmed")
        .await;
    assert!(credited.decoded().contains("100 points"));

    // No "joined" mail is queued for alice any more.
    app.referral(alice.id, "alice-link", "carol").await;
    let queued = app
        .state
        .db
        .query_one(Statement::from_string(
            app.state.db.get_database_backend(),
            format!(
                "SELECT COUNT(*) AS n FROM deliveries WHERE recipient_id = {}",
                alice.id
            ),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(
        queued, 2,
        "one joined and one credited mail, none for carol"
    );
}

async fn failed_log_ins_and_sign_ups_are_throttled(db: Db) {
    let app = spawn_app_with(db, |hype| {
        hype.login.failures_per_account = Some("3/1m".parse().unwrap());
        hype.login.signups_per_address = Some("2/1h".parse().unwrap());
    })
    .await;
    app.user("alice").await;
    app.user("bob").await;
    for _ in 0..3 {
        let response = app
            .call(
                &bare_client(),
                "login",
                &[("username", "alice"), ("password", "guess")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let throttled = app.login(&bare_client(), "ALICE").await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(throttled
        .text()
        .await
        .unwrap()
        .contains("Too many failed log-ins"));
    let other = app.login(&bare_client(), "bob").await;
    assert_eq!(other.status(), StatusCode::OK, "other accounts log in");

    for name in ["carol", "dave"] {
        let response = app.signup(&browser(), name).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let response = app.signup(&browser(), "erin").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        hype::services::users::find_by_username(&app.state.db, "erin")
            .await
            .unwrap()
            .is_none(),
        "a throttled sign-up creates nothing"
    );
}

async fn a_deleted_account_leaves_no_personal_data_and_every_total(db: Db) {
    let app = spawn_app_with(db, |hype| {
        hype.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let admin = app.admin("root").await;
    let alice = app.user("alice").await;
    app.link(alice.id, "alice-link").await;

    // Robert follows alice's link from his blog, signs up with his address, is confirmed.
    let robert = browser();
    let visit = robert
        .get(app.url("/ref/alice-link"))
        .header("X-Forwarded-For", "203.0.113.77")
        .header("User-Agent", "RobertBrowser/1.0")
        .header("Referer", "https://roberts-blog.example/post")
        .send()
        .await
        .unwrap();
    assert_eq!(visit.status(), StatusCode::FOUND);
    let response = robert
        .post(app.url("/api/signup"))
        .header("Accept", "application/json")
        .header("X-Forwarded-For", "203.0.113.77")
        .form(&[
            ("username", "robert42"),
            ("password", PASSWORD),
            ("email", "robert42@example.com"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let robert_user = account_of(&app, "robert42").await;
    let referral = hype::services::referrals::find_for_referred(&app.state.db, robert_user.id)
        .await
        .unwrap()
        .expect("robert was referred");
    hype::services::referrals::confirm(&app.state.db, referral.id, admin.id, false, 100)
        .await
        .unwrap();
    // Robert also has a link of his own.
    app.link(robert_user.id, "r-link").await;

    let before = hype::services::overview::overview(&app.state.db)
        .await
        .unwrap();
    let balance_before = app.balance(alice.id).await;
    let personal = [
        "robert42",
        "robert42@example.com",
        "203.0.113.77",
        "RobertBrowser",
        "roberts-blog",
        robert_user.password_hash.as_str(),
    ];
    assert!(
        !find_in_all_tables(&app, &personal).await.is_empty(),
        "the scan sees the data before deletion"
    );

    let wrong = app
        .call(&robert, "delete_account", &[("password", "not it")])
        .await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert!(account_of(&app, "robert42").await.deleted_at.is_none());
    let response = app
        .call(&robert, "delete_account", &[("password", PASSWORD)])
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let found = find_in_all_tables(&app, &personal).await;
    assert!(found.is_empty(), "personal data left: {found:?}");
    let after = hype::services::overview::overview(&app.state.db)
        .await
        .unwrap();
    assert_eq!(after, before, "every total on the overview stays");
    assert_eq!(app.balance(alice.id).await, balance_before);
    assert_eq!(app.referrals().await.len(), 1, "the referral stays");
    let response = app.call(&robert, "my_account", &[]).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "signed out");
    let login = app.login(&bare_client(), "robert42").await;
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);
    let hits = app.hit_count().await;
    app.get(&bare_client(), "/ref/r-link").await;
    assert_eq!(
        app.hit_count().await,
        hits,
        "a deleted user's link records no visit"
    );
}

/// Every `(table, column)` whose text holds one of `needles`, over every table of the schema.
async fn find_in_all_tables(app: &TestApp, needles: &[&str]) -> Vec<(String, String, String)> {
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let postgres = backend == sea_orm::DbBackend::Postgres;
    let columns_sql = if postgres {
        "SELECT table_name AS t, column_name AS c, data_type AS k FROM information_schema.columns \
         WHERE table_schema = 'public'"
    } else {
        "SELECT m.name AS t, p.name AS c, p.type AS k FROM sqlite_master m \
         JOIN pragma_table_info(m.name) p WHERE m.type = 'table'"
    };
    let columns = db
        .query_all(Statement::from_string(backend, columns_sql))
        .await
        .unwrap();
    let mut found = Vec::new();
    for row in columns {
        let table: String = row.try_get("", "t").unwrap();
        let column: String = row.try_get("", "c").unwrap();
        let kind: String = row.try_get("", "k").unwrap();
        let text = if postgres && kind == "bytea" {
            format!("encode(\"{column}\", 'escape')")
        } else if postgres {
            format!("\"{column}\"::text")
        } else {
            format!("CAST(\"{column}\" AS TEXT)")
        };
        let values = db
            .query_all(Statement::from_string(
                backend,
                format!("SELECT {text} AS v FROM \"{table}\""),
            ))
            .await
            .unwrap_or_else(|e| panic!("reading {table}.{column}: {e}"));
        for value in values {
            let Ok(Some(value)) = value.try_get::<Option<String>>("", "v") else {
                continue;
            };
            for needle in needles {
                if value.contains(needle) {
                    found.push((table.clone(), column.clone(), (*needle).to_owned()));
                }
            }
        }
    }
    found
}
