//! Server functions, one file per area. Each is thin: who is asking, one `hype` service call,
//! a wire type.
pub mod accounts;
pub mod admin;
pub mod links;
pub mod rewards;

#[cfg(feature = "ssr")]
pub mod ssr {
    //! What every server function needs: the core's state, the session, and `fail`, which
    //! gives an error its HTTP status (or, for a plain HTML form, a redirect back with the
    //! message in `?error=`).
    use crate::error::AppError;
    use axum::http::request::Parts;
    use axum::http::{header, StatusCode};
    use hype::web::auth::{AuthSession, SessionUser};
    use hype::HypeState;
    use leptos::prelude::*;
    use leptos_axum::ResponseOptions;

    pub fn state() -> Result<HypeState, AppError> {
        use_context::<HypeState>().ok_or_else(|| {
            tracing::error!("HypeState missing from the server function context");
            fail(AppError::Internal)
        })
    }

    pub async fn auth() -> Result<AuthSession, AppError> {
        leptos_axum::extract::<AuthSession>().await.map_err(|e| {
            tracing::error!(error = %e, "the auth session is missing");
            fail(AppError::Internal)
        })
    }

    /// The signed-in user, or 401.
    pub async fn require_user() -> Result<SessionUser, AppError> {
        auth()
            .await?
            .user
            .ok_or_else(|| fail(AppError::Unauthorized))
    }

    /// Sets the response up for `error` and returns it.
    pub fn fail(error: impl Into<AppError>) -> AppError {
        let error = error.into();
        let Some(response) = use_context::<ResponseOptions>() else {
            return error;
        };
        let parts = use_context::<Parts>();
        // While a page renders on the server its resources call server functions directly:
        // the page keeps its own status and shows the message itself.
        if !parts
            .as_ref()
            .is_some_and(|p| p.uri.path().starts_with("/api/"))
        {
            return error;
        }
        let plain_form = parts.as_ref().is_some_and(|p| {
            p.headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"))
        });
        let back = parts.as_ref().and_then(|p| referer_path(&p.headers));
        match (plain_form, back) {
            (true, Some(back)) => {
                let message: String =
                    url::form_urlencoded::byte_serialize(error.to_string().as_bytes()).collect();
                leptos_axum::redirect(&format!("{back}?error={message}"));
            }
            _ => response.set_status(
                StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            ),
        }
        error
    }

    /// The path of a same-site Referer, for sending a plain form back where it came from.
    fn referer_path(headers: &axum::http::HeaderMap) -> Option<String> {
        let referer = headers.get(header::REFERER)?.to_str().ok()?;
        let url = url::Url::parse(referer).ok()?;
        let host = headers.get(header::HOST)?.to_str().ok()?;
        let authority = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str()?),
            None => url.host_str()?.to_owned(),
        };
        (authority.eq_ignore_ascii_case(host)).then(|| url.path().to_owned())
    }

    /// Adds a `Set-Cookie` to the server function's response.
    pub fn append_set_cookie(value: axum::http::HeaderValue) {
        if let Some(response) = use_context::<ResponseOptions>() {
            response.append_header(header::SET_COOKIE, value);
        }
    }

    /// The client's address, as the `/ref` handler records it.
    pub fn client_ip() -> Option<String> {
        let state = use_context::<HypeState>()?;
        let parts = use_context::<Parts>()?;
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip());
        hype::web::client_ip::client_ip(peer, &parts.headers, &state.config)
            .map(|ip| ip.to_string())
    }

    /// The request's headers.
    pub fn request_headers() -> axum::http::HeaderMap {
        use_context::<Parts>()
            .map(|p| p.headers)
            .unwrap_or_default()
    }
}
