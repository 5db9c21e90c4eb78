//! The hype binary as a library: build the application (database, sessions, router) from a
//! `Config`, bind, report the port, serve. Tests drive it the same way on port 0.
pub mod auth;
pub mod cli;
pub mod config;
pub mod sessions;
pub mod telemetry;

use anyhow::Context;
use axum::extract::Request;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::Router;
use hype::web::{csrf, layers};
use hype::HypeState;
use hype_app::{shell, App};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::Poll;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

pub use config::Config;

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: HypeState,
}

impl Application {
    /// Connects to and migrates the database, builds the router and binds `config.addr`
    /// (port 0 picks a free port).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let db = hype::db::connect(&config.database_url, config.log_sql)
            .await
            .with_context(|| format!("opening the database at {}", redact(&config.database_url)))?;
        let secret_key = config
            .secret_key
            .as_ref()
            .map(|key| key.expose().to_owned());
        let state = HypeState::new(db, config.hype.clone(), secret_key)
            .await
            .context("loading the site's secret key")?;
        let store = sessions::Store::new(&state.db)?;
        sessions::spawn_cleanup(store.clone());
        let mailer = hype::mail::Mailer::new(
            config.smtp_url.as_ref().map(|url| url.expose()),
            &config.mail_from,
        )
        .map_err(anyhow::Error::msg)?;
        let site = hype::mail::compose::Site {
            public_url: config.hype.public_url.clone(),
            key: state.tokens.clone(),
        };
        hype::outbox::worker::Worker::new(
            state.db.clone(),
            config.hype.webhook_allow_private,
            mailer,
            site,
        )?
        .spawn();
        let router = router(state.clone(), store, &config);
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("binding {}", config.addr))?;
        release_freed_memory();
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> &HypeState {
        &self.state
    }

    /// Serves until SIGINT/SIGTERM, finishing requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let site = Site {
            router: self.router,
            state: self.state,
        };
        axum::serve(
            self.listener,
            axum::ServiceExt::<Request>::into_make_service_with_connect_info::<SocketAddr>(site),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
    }
}

/// Hands back to the system the pages that start-up (the migrations, compiling the bot list)
/// used and freed on this thread: mimalloc, the binary's allocator, keeps freed pages for
/// reuse, and an idle server would hold them for good.
fn release_freed_memory() {
    // SAFETY: `mi_collect` takes no pointer and may be called from any thread at any time.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// The whole site: Leptos pages and server functions, `/ref`, static files, and the layers
/// (outermost first): tracing, security headers, database-down answers, API error statuses, cross-site guard,
/// sessions + auth, claim, `?ref=`. (An anonymous `/ref` visit is answered before it: [`Site`].)
pub fn router(state: HypeState, store: sessions::Store, config: &Config) -> Router {
    let leptos_options = LeptosOptions::builder()
        .output_name(config.output_name.clone())
        .site_root(config.site_root.clone())
        .site_pkg_dir(config.site_pkg_dir.clone())
        .site_addr(config.addr)
        .env(if config.leptos_dev {
            leptos::config::Env::DEV
        } else {
            leptos::config::Env::PROD
        })
        .build();
    let routes = route_list();
    let context_state = state.clone();
    // The built site (wasm, JS, CSS) and the error pages, gzipped for browsers that ask: the
    // wasm is about a third of its size gzipped. Pages stream as they render and stay as they are.
    let files = Router::new()
        .fallback(leptos_axum::file_and_error_handler(shell))
        .layer(CompressionLayer::new())
        .with_state(leptos_options.clone());
    let pages = Router::new()
        .leptos_routes_with_context(
            &leptos_options,
            routes,
            move || provide_context(context_state.clone()),
            {
                let options = leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback_service(files)
        .with_state(leptos_options);

    pages
        .merge(hype::web::routes(&state).with_state(state.clone()))
        .layer(from_fn_with_state(
            state.clone(),
            layers::ref_param_redirect,
        ))
        .layer(axum::middleware::from_fn(admin_pages))
        .layer(from_fn_with_state(
            state.clone(),
            layers::claim_visitor_hits,
        ))
        .layer(auth::layer(&state.db, store, &state.config))
        .layer(from_fn_with_state(state.clone(), csrf::reject_cross_site))
        .layer(axum::middleware::from_fn(server_fn_errors))
        .layer(from_fn_with_state(state.clone(), database_unavailable))
        .layer(from_fn_with_state(
            state.config.secure_cookies(),
            security_headers,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_answer,
        ))
        .layer(TraceLayer::new_for_http())
}

/// Headers every answer of the router carries: browsers must not guess a content type, no
/// other site may frame a page (clickjacking a Confirm button), a full Referer goes only to
/// the site itself, and over https browsers are told to stay on https. A handler that set one
/// of them itself keeps its own.
async fn security_headers(
    axum::extract::State(https): axum::extract::State<bool>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    use axum::http::{header, HeaderValue};
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set = |name: header::HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "strict-origin-when-cross-origin");
    if https {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    response
}

/// The admin pages answer with the status they show: a visitor who is not signed in is sent
/// to log in (and brought back afterwards), a signed-in user who is not an admin gets the
/// "Admins only" page as a 403. (Each admin server function checks for itself as well.)
async fn admin_pages(
    auth: hype::web::auth::AuthSession,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    use axum::http::{Method, StatusCode};
    use axum::response::{IntoResponse, Redirect};
    let path = request.uri().path();
    let is_admin_page = (path == "/admin" || path.starts_with("/admin/")) && !path.contains('.');
    if !is_admin_page || !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    match &auth.user {
        None => {
            let here = request.uri().path_and_query().map_or(path, |p| p.as_str());
            let here: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
            Redirect::to(&format!("/login?next={here}")).into_response()
        }
        Some(user) if !user.is_admin => {
            let mut response = next.run(request).await;
            *response.status_mut() = StatusCode::FORBIDDEN;
            response
        }
        Some(_) => next.run(request).await,
    }
}

/// The site as served. `/ref/{identifier}` from a visitor without a session cookie is answered
/// here, in front of the router: nobody is signed in, so there is no session to load and
/// nothing to claim, and the router would clone a route's whole boxed stack of layers for
/// every request. Everything else, and any identifier that isn't plain, goes through the
/// router.
#[derive(Clone)]
struct Site {
    router: Router,
    state: HypeState,
}

impl tower::Service<Request> for Site {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> Poll<Result<(), Infallible>> {
        // The router is always ready, and so is the fast path.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        match anonymous_ref(&request) {
            Some(identifier) => {
                let state = self.state.clone();
                Box::pin(async move {
                    let (parts, _body) = request.into_parts();
                    Ok(hype::web::follow::follow(&state, None, &identifier, &parts).await)
                })
            }
            None => Box::pin(tower::Service::<Request>::call(&mut self.router, request)),
        }
    }
}

/// The identifier of a plain `GET`/`HEAD /ref/{identifier}` (optional trailing slash) from a
/// visitor with no session cookie.
fn anonymous_ref(request: &Request) -> Option<String> {
    use axum::http::Method;
    let identifier = matches!(*request.method(), Method::GET | Method::HEAD)
        .then(|| request.uri().path().strip_prefix("/ref/"))
        .flatten()
        .map(|rest| rest.strip_suffix('/').unwrap_or(rest))
        .filter(|id| !id.is_empty() && !id.contains(['/', '%']))?;
    (!has_session_cookie(request.headers())).then(|| identifier.to_owned())
}

fn has_session_cookie(headers: &axum::http::HeaderMap) -> bool {
    hype::web::visitor::read_cookie(headers, auth::SESSION_COOKIE).is_some()
}

/// While the database is unreachable every page and server function answers 503 at once,
/// with a page that says so, instead of waiting on the database and failing late. Static
/// files are still served.
async fn database_unavailable(
    axum::extract::State(state): axum::extract::State<HypeState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{header, HeaderValue, StatusCode};
    use axum::response::IntoResponse;
    let path = request.uri().path();
    // Built assets and files from `public/` (identifiers and page paths have no dot).
    let is_static = path.starts_with("/pkg/") || path.contains('.');
    if !state.database_down() || is_static {
        return next.run(request).await;
    }
    if path.starts_with("/api/") || path.starts_with("/ref/") {
        return hype::web::follow::unavailable();
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::RETRY_AFTER, HeaderValue::from_static("5")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        axum::response::Html(UNAVAILABLE_PAGE),
    )
        .into_response()
}

const UNAVAILABLE_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>Temporarily unavailable — hype</title>
<link rel="stylesheet" href="/pkg/hype.css"/></head>
<body><main class="page"><section class="card">
<h1>Temporarily unavailable</h1>
<p>hype can't reach its database right now, so this page can't be shown. Anything you were
submitting was not saved. Please try again in a moment.</p>
<p><a class="button" href="">Try again</a></p>
</section></main></body></html>
"#;

/// The Leptos route list, generated once per process.
///
/// Generating it renders the app with a process-wide "suppress resource loads" flag set
/// (leptos_router's `RouteList::generate`); a page whose data loader first runs while that
/// flag is up waits forever (leptos-rs/leptos#4773). Building a second router in the same
/// process — as the HTTP tests do, one per test, while other tests' pages render — must not
/// raise it again.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The one place a server function's error becomes an answer. Leptos answers every error
/// with 500 and the error's JSON; here that becomes the status the `AppError` carries (400 for
/// malformed input, 401, 403, 404, 409; 500 only for our own failures). A plain HTML form
/// (a browser without JavaScript asks for `text/html`) is sent back instead to the page it came
/// from, its query kept, with the message in `?error=`.
async fn server_fn_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{header, StatusCode};
    use axum::response::IntoResponse;
    // Server functions only: `/api/v1` answers problem+json of its own.
    let path = request.uri().path();
    if !path.starts_with("/api/") || path.starts_with("/api/v1/") {
        return next.run(request).await;
    }
    let back = plain_form_origin(request.headers());
    let endpoint = request.uri().path().to_owned();
    let response = next.run(request).await;
    // Leptos sends a plain form back to its Referer whatever the outcome: only the body says
    // whether it failed.
    let maybe_failed = response.status() == StatusCode::INTERNAL_SERVER_ERROR
        || (back.is_some() && response.status() == StatusCode::FOUND);
    if !maybe_failed {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        parts.status = StatusCode::INTERNAL_SERVER_ERROR;
        return axum::response::Response::from_parts(parts, axum::body::Body::empty());
    };
    let Ok(error) = serde_json::from_slice::<hype_app::error::AppError>(&bytes) else {
        return axum::response::Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    if let Some(mut back) = back {
        // `error_for` names the form that failed, for pages that have several.
        back.query_pairs_mut()
            .append_pair("error", &error.to_string())
            .append_pair("error_for", &endpoint);
        let location = match back.query() {
            Some(query) => format!("{}?{query}", back.path()),
            None => back.path().to_owned(),
        };
        return (StatusCode::FOUND, [(header::LOCATION, location)]).into_response();
    }
    parts.status =
        StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(seconds) = error.retry_after() {
        parts
            .headers
            .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    }
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// For a plain HTML form posted from a page of this site: that page's URL, without an earlier
/// `error` in its query.
fn plain_form_origin(headers: &axum::http::HeaderMap) -> Option<url::Url> {
    use axum::http::header;
    if !hype::web::from_plain_form(headers) {
        return None;
    }
    let mut referer = url::Url::parse(headers.get(header::REFERER)?.to_str().ok()?).ok()?;
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let authority = match referer.port() {
        Some(port) => format!("{}:{port}", referer.host_str()?),
        None => referer.host_str()?.to_owned(),
    };
    if !authority.eq_ignore_ascii_case(host) {
        return None;
    }
    let kept: Vec<(String, String)> = referer
        .query_pairs()
        .filter(|(key, _)| key != "error" && key != "error_for")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    referer.set_query(None);
    referer.set_fragment(None);
    if !kept.is_empty() {
        referer.query_pairs_mut().extend_pairs(kept);
    }
    Some(referer)
}

/// A handler that panicked: logged with its message, answered 500 like any failure of ours.
fn panic_answer(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = message, "a request handler panicked");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side. Please try again in a moment.",
    )
        .into_response()
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_is_a_500_not_a_dropped_connection() {
        use tower::ServiceExt;
        let router = Router::new()
            .route(
                "/boom",
                axum::routing::get(|| async {
                    let empty: Vec<u8> = Vec::new();
                    // An out-of-bounds read stands for any bug in a handler.
                    empty[usize::from(empty.is_empty())].to_string()
                }),
            )
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(
                panic_answer,
            ));
        let response = router
            .oneshot(
                Request::builder()
                    .uri("/boom")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), 500);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        assert!(String::from_utf8_lossy(&body).contains("Something went wrong on our side"));
    }
}
