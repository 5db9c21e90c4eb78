//! `spawn_app`, a fresh database per test, and small request helpers.
use hype::entities::{referral_hits, referral_links, referrals};
use hype::services::links::NewLink;
use hype::types::{Identifier, Password, Username};
use hype::{HypeConfig, HypeState};
use hype_server::{Application, Config};
use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Client, Response};
use sea_orm::{ConnectionTrait, Database, EntityTrait, PaginatorTrait, Statement};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Runs each named `async fn name(db: Db)` once on SQLite and once on PostgreSQL, on a runtime
/// with two worker threads like the server's: Leptos 0.8 can stall a streamed SSR page whose
/// resource resolves on a single-threaded runtime (leptos-rs/leptos#4647), which hung a test
/// at random.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Db::Sqlite).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(db) = $crate::helpers::Db::postgres() {
                        super::$name(db).await;
                    }
                }
            )+
        }
    };
}

#[derive(Debug, Clone)]
pub enum Db {
    Sqlite,
    /// The admin URL of a PostgreSQL server; each test creates its own database there.
    Postgres(String),
}

impl Db {
    /// PostgreSQL from `HYPE_TEST_POSTGRES_URL`. Unset: skipped with a note, except under CI,
    /// where a missing PostgreSQL fails the run.
    pub fn postgres() -> Option<Self> {
        match std::env::var("HYPE_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Some(Self::Postgres(url)),
            _ if std::env::var_os("CI").is_some() => {
                panic!(
                    "HYPE_TEST_POSTGRES_URL must be set in CI: PostgreSQL tests can't be skipped"
                )
            }
            _ => {
                eprintln!("HYPE_TEST_POSTGRES_URL is not set: PostgreSQL variant not run");
                None
            }
        }
    }
}

/// A database that exists for one test and is removed after it.
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    pub async fn create(db: &Db) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        match db {
            Db::Sqlite => {
                let path = std::env::temp_dir().join(format!("hype-test-{id}.db"));
                Self {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    cleanup: Cleanup::File(path),
                }
            }
            Db::Postgres(admin_url) => {
                let name = format!("hype_test_{id}");
                let admin = Database::connect(admin_url.as_str())
                    .await
                    .unwrap_or_else(|e| {
                        panic!("PostgreSQL at HYPE_TEST_POSTGRES_URL is unreachable: {e}")
                    });
                admin
                    .execute(Statement::from_string(
                        admin.get_database_backend(),
                        format!("CREATE DATABASE \"{name}\""),
                    ))
                    .await
                    .expect("create the test database");
                let _ = admin.close().await;
                let mut url = url::Url::parse(admin_url).expect("HYPE_TEST_POSTGRES_URL is a URL");
                url.set_path(&name);
                Self {
                    url: url.to_string(),
                    cleanup: Cleanup::Postgres {
                        admin_url: admin_url.clone(),
                        name,
                    },
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime: do the async cleanup on a thread of its own.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    rt.block_on(async move {
                        if let Ok(admin) = Database::connect(admin_url.as_str()).await {
                            let _ = admin
                                .execute(Statement::from_string(
                                    admin.get_database_backend(),
                                    format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                                ))
                                .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub state: HypeState,
    pub database: std::sync::Arc<TestDatabase>,
}

pub async fn spawn_app(db: Db) -> TestApp {
    spawn_app_with(db, |_| {}).await
}

pub async fn spawn_app_with(db: Db, adjust: impl FnOnce(&mut HypeConfig)) -> TestApp {
    let database = std::sync::Arc::new(TestDatabase::create(&db).await);
    let mut hype = HypeConfig::default();
    adjust(&mut hype);
    spawn_on(database, hype).await
}

/// An instance whose whole configuration `adjust` may change (mail settings, say).
pub async fn spawn_app_config(db: Db, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let database = std::sync::Arc::new(TestDatabase::create(&db).await);
    let mut config = Config {
        database_url: database.url.clone(),
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        site_root: test_site().display().to_string(),
        ..Config::default()
    };
    adjust(&mut config);
    start(database, config).await
}

/// Another instance of the same site on the same database (as behind a load balancer).
pub async fn spawn_second_instance(app: &TestApp) -> TestApp {
    spawn_on(app.database.clone(), app.state.config.clone()).await
}

async fn spawn_on(database: std::sync::Arc<TestDatabase>, hype: HypeConfig) -> TestApp {
    let url = database.url.clone();
    spawn_at(database, url, hype).await
}

/// An instance on `database`, reached through `database_url` (a relay in front of it, say).
pub async fn spawn_at(
    database: std::sync::Arc<TestDatabase>,
    database_url: String,
    hype: HypeConfig,
) -> TestApp {
    let config = Config {
        database_url,
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        site_root: test_site().display().to_string(),
        hype,
        ..Config::default()
    };
    start(database, config).await
}

async fn start(database: std::sync::Arc<TestDatabase>, config: Config) -> TestApp {
    let app = Application::build(config).await.expect("the app builds");
    let port = app.port();
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),

        state,
        database,
    }
}

/// A request that gets no complete answer in this time fails its test, naming the request,
/// instead of stalling the whole run (a stalled SSR stream did that once).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A browser-like client: keeps cookies, does not follow redirects.
pub fn browser() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("http client")
}

/// A client that keeps nothing: cookies are set by hand.
pub fn bare_client() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("http client")
}

pub const PASSWORD: &str = "password123";

/// A user (an administrator if `is_admin`) with [`PASSWORD`], arranged directly through the core.
pub async fn create_user(
    db: &sea_orm::DatabaseConnection,
    username: &str,
    is_admin: bool,
) -> hype::entities::users::Model {
    hype::services::users::create(
        db,
        &Username::parse(username).expect("username"),
        None,
        &Password::parse(PASSWORD).expect("password"),
        is_admin,
    )
    .await
    .expect("user")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, client: &Client, path: &str) -> Response {
        client.get(self.url(path)).send().await.expect("request")
    }

    /// Calls a server function with form fields, as a hydrated page would.
    pub async fn call(&self, client: &Client, endpoint: &str, form: &[(&str, &str)]) -> Response {
        client
            .post(self.url(&format!("/api/{endpoint}")))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// Posts a server function's form as a browser without JavaScript would, from the page
    /// at `from` (a path): the answer is a redirect.
    pub async fn post_plain_form(
        &self,
        client: &Client,
        endpoint: &str,
        from: &str,
        form: &[(&str, &str)],
    ) -> Response {
        client
            .post(self.url(&format!("/api/{endpoint}")))
            .header("Accept", "text/html")
            .header("Referer", self.url(from))
            .form(form)
            .send()
            .await
            .expect("request")
    }

    pub async fn signup(&self, client: &Client, username: &str) -> Response {
        self.call(
            client,
            "signup",
            &[
                ("username", username),
                ("password", PASSWORD),
                ("email", ""),
            ],
        )
        .await
    }

    pub async fn login(&self, client: &Client, username: &str) -> Response {
        self.call(
            client,
            "login",
            &[("username", username), ("password", PASSWORD)],
        )
        .await
    }

    /// Arranges a user directly through the core.
    pub async fn user(&self, username: &str) -> hype::entities::users::Model {
        create_user(&self.state.db, username, false).await
    }

    /// Arranges an administrator.
    pub async fn admin(&self, username: &str) -> hype::entities::users::Model {
        create_user(&self.state.db, username, true).await
    }

    /// A signed-in browser for `username`.
    pub async fn signed_in(&self, username: &str) -> Client {
        let client = browser();
        let response = self.login(&client, username).await;
        assert_eq!(
            response.status(),
            reqwest::StatusCode::OK,
            "log in {username}"
        );
        client
    }

    /// Arranges a pending referral: `referrer` owns link `identifier`, a new visitor follows it
    /// and signs up as `referred`. Returns the referral.
    pub async fn referral(
        &self,
        referrer: i32,
        identifier: &str,
        referred: &str,
    ) -> referrals::Model {
        if hype::services::links::find(&self.state.db, identifier)
            .await
            .unwrap()
            .is_none()
        {
            self.link(referrer, identifier).await;
        }
        let visitor = browser();
        self.get(&visitor, &format!("/ref/{identifier}")).await;
        let response = self.signup(&visitor, referred).await;
        assert_eq!(
            response.status(),
            reqwest::StatusCode::OK,
            "sign up {referred}"
        );
        let user = hype::services::users::find_by_username(&self.state.db, referred)
            .await
            .unwrap()
            .unwrap();
        hype::services::referrals::find_for_referred(&self.state.db, user.id)
            .await
            .unwrap()
            .expect("a referral")
    }

    pub async fn balance(&self, user: i32) -> i64 {
        hype::services::ledger::balance(&self.state.db, user)
            .await
            .unwrap()
    }

    pub async fn ledger_rows(&self) -> u64 {
        hype::entities::reward_ledger::Entity::find()
            .count(&self.state.db)
            .await
            .unwrap()
    }

    /// Arranges a link with `identifier` for `owner`.
    pub async fn link(&self, owner: i32, identifier: &str) -> referral_links::Model {
        hype::services::links::create(
            &self.state.db,
            owner,
            NewLink {
                identifier: Some(Identifier::parse(identifier).expect("identifier")),
                ..Default::default()
            },
        )
        .await
        .expect("link")
    }

    /// A new API key named "shop backend" with `scopes` (blank: all), as its caller sees it.
    pub async fn api_key(&self, scopes: &str) -> String {
        hype::services::api_keys::create(&self.state.db, None, "shop backend", scopes)
            .await
            .expect("an API key")
            .1
    }

    pub async fn link_label(&self, identifier: &str) -> String {
        hype::services::links::find(&self.state.db, identifier)
            .await
            .unwrap()
            .expect("the link")
            .label
    }

    pub async fn hits(&self) -> Vec<referral_hits::Model> {
        referral_hits::Entity::find()
            .all(&self.state.db)
            .await
            .expect("hits")
    }

    pub async fn hit_count(&self) -> u64 {
        referral_hits::Entity::find()
            .count(&self.state.db)
            .await
            .expect("count")
    }

    pub async fn referrals(&self) -> Vec<referrals::Model> {
        referrals::Entity::find()
            .all(&self.state.db)
            .await
            .expect("referrals")
    }

    pub async fn session_rows(&self) -> i64 {
        let row = self
            .state
            .db
            .query_one(Statement::from_string(
                self.state.db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM sessions",
            ))
            .await
            .expect("count sessions")
            .expect("a row");
        row.try_get::<i64>("", "n").expect("n")
    }
}

/// The `Set-Cookie` header for cookie `name`, if the response sets it.
pub fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The value part of a `Set-Cookie` header.
pub fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

pub fn location(response: &Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The built-site directory every test instance serves: one script, `pkg/hype.js`, whose
/// bytes are [`TEST_SCRIPT`]. Made once per test process.
pub fn test_site() -> &'static std::path::Path {
    static SITE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    SITE.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("hype-test-site-{}", std::process::id()));
        std::fs::create_dir_all(root.join("pkg")).expect("a temporary directory");
        std::fs::write(root.join("pkg/hype.js"), TEST_SCRIPT).expect("a temporary file");
        root
    })
}

pub const TEST_SCRIPT: &str = "export function hello() { return 'hello'; }\n\
    export function again() { return 'hello again'; }\n\
    export function once_more() { return 'hello once more'; }\n";

/// The real binary, killed with SIGKILL when dropped.
pub struct ServerProcess {
    pub address: String,
    child: Child,
}

impl ServerProcess {
    /// Starts `hype-server serve` on `database_url` and a free port, with `env` added, and
    /// returns once it answers.
    pub async fn start(database_url: &str, env: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_hype-server"))
            .env("DATABASE_URL", database_url)
            .env("HYPE_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "error")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .spawn()
            .expect("start hype-server");
        let server = Self {
            child,
            address: format!("http://127.0.0.1:{port}"),
        };
        // Ready when it answers; it migrates first.
        let client = bare_client();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if client
                .head(format!("{}/ref/not-a-link", server.address))
                .send()
                .await
                .is_ok()
            {
                return server;
            }
            assert!(Instant::now() < deadline, "hype-server never answered");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no shutdown of any kind.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
