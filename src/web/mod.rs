//! The HTTP side of the core: the `/ref` handler, the `?ref=` and claim layers, the
//! cross-site request guard, the visitor cookie and the axum-login backend.
pub mod api;
pub mod auth;
pub mod client_ip;
pub mod csrf;
pub mod export;
pub mod follow;
pub mod layers;
pub mod link_cache;
pub mod login_guard;
pub mod qr;
pub mod rate_limit;
pub mod safe_redirect;
pub mod unsubscribe;
pub mod visitor;

use crate::config::HypeConfig;
use axum::routing::get;
use axum::Router;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

pub use visitor::VisitorSigner;

use crate::writer::{Health, HitWriter};
use link_cache::LinkCache;
use rate_limit::RateLimiter;

/// What the core's handlers and layers share (see [`Shared`]). Cloning it is one reference
/// count: the router clones every layer, each holding a copy, for every request.
#[derive(Clone)]
pub struct HypeState(Arc<Shared>);

impl std::ops::Deref for HypeState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The database, the settings, the cookie key, and `/ref`'s hit writer, link cache and per-IP
/// limit.
pub struct Shared {
    pub db: DatabaseConnection,
    pub config: HypeConfig,
    pub signer: VisitorSigner,
    pub hits: HitWriter,
    pub links: LinkCache,
    pub limiter: Option<RateLimiter>,
    /// Makes and checks password-reset, confirmation and unsubscribe links.
    pub tokens: crate::services::accounts::TokenKey,
    /// Throttles on failed log-ins and on sign-ups.
    pub login_guard: login_guard::LoginGuard,
    /// Requests per API key (`None`: no limit).
    pub api_throttle: Option<login_guard::Throttle>,
}

impl HypeState {
    /// Builds the state; the cookie key is derived from `secret` when given, else from the
    /// secret generated once and kept in the database. Starts the hit writer and the
    /// database health probe on the current runtime.
    pub async fn new(
        db: DatabaseConnection,
        config: HypeConfig,
        secret: Option<String>,
    ) -> crate::Result<Self> {
        let secret = match secret.filter(|s| !s.is_empty()) {
            Some(secret) => secret,
            None => crate::services::settings::secret_key(&db).await?,
        };
        crate::services::passwords::configure(config.login.concurrent_hashes);
        let health = Health::default();
        health.spawn_probe(db.clone());
        Ok(Self(Arc::new(Shared {
            hits: match crate::writer::writer_connection(&db).await? {
                Some(own) => HitWriter::start_exclusive(own, health, config.writer),
                None => HitWriter::start(db.clone(), health, config.writer),
            },
            links: LinkCache::new(config.link_cache_ttl),
            limiter: config.ref_rate_limit.map(RateLimiter::new),
            login_guard: login_guard::LoginGuard::new(&config.login),
            api_throttle: config.api_requests_per_key.map(login_guard::Throttle::new),
            signer: VisitorSigner::new(secret.as_bytes(), &config.cookie_name),
            tokens: crate::services::accounts::TokenKey::new(secret.as_bytes()),
            db,
            config,
        })))
    }

    /// Whether the database is believed unreachable (pages and `/ref` then answer 503).
    pub fn database_down(&self) -> bool {
        self.hits.health().is_down()
    }
}

/// Whether a request is a plain HTML form's, from a browser without JavaScript (it asks for
/// `text/html`): such a request is answered with a redirect back to a page, not with data.
pub fn from_plain_form(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// `GET`/`HEAD /ref/{identifier}` with or without a trailing slash, and the admins' CSV export
/// of hits. Needs the auth layer
/// (`auth::AuthSession`) above it.
pub fn routes(state: &HypeState) -> Router<HypeState> {
    crate::bots::warm_up();
    Router::new()
        .route("/ref/{identifier}", get(follow::follow_link))
        .route("/ref/{identifier}/", get(follow::follow_link))
        .route("/admin/hits.csv", get(export::export_hits))
        .route("/links/{identifier}/qr.svg", get(qr::qr_svg))
        .route("/links/{identifier}/qr.png", get(qr::qr_png))
        .route(
            "/unsubscribe",
            get(unsubscribe::show).post(unsubscribe::apply),
        )
        .merge(api::routes(state))
}
