//! The session and auth layers: session cookie settings and the axum-login manager.
use crate::sessions::Store;
use axum_login::{AuthManagerLayer, AuthManagerLayerBuilder};
use hype::web::auth::Backend;
use hype::HypeConfig;
use sea_orm::DatabaseConnection;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub const SESSION_COOKIE: &str = "hype_session";

/// Sessions expire after 14 days without a request; the cookie is HttpOnly, SameSite=Lax, and
/// Secure when the site is served over https.
pub fn layer(
    db: &DatabaseConnection,
    store: Store,
    config: &HypeConfig,
) -> AuthManagerLayer<Backend, Store> {
    let sessions = SessionManagerLayer::new(store)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.secure_cookies())
        .with_expiry(Expiry::OnInactivity(time::Duration::days(14)));
    AuthManagerLayerBuilder::new(Backend::new(db.clone()), sessions).build()
}
