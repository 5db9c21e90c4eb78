//! Server functions, one file per area. Each is thin: who is asking, one `hype` service call,
//! a wire type.
pub mod account;
pub mod accounts;
pub mod admin;
pub mod leaderboard;
pub mod links;
pub mod rewards;

#[cfg(feature = "ssr")]
pub mod ssr {
    //! What every server function needs: the core's state and the session. An error is
    //! returned with `?`; the server turns it into its HTTP status, or for a plain HTML form
    //! into a redirect back with the message in `?error=` (`hype_server`'s `server_fn_errors`).
    use crate::error::AppError;
    use axum::http::header;
    use axum::http::request::Parts;
    use hype::web::auth::{AuthSession, SessionUser};
    use hype::HypeState;
    use leptos::prelude::*;
    use leptos_axum::ResponseOptions;

    pub fn state() -> Result<HypeState, AppError> {
        use_context::<HypeState>().ok_or_else(|| {
            tracing::error!("HypeState missing from the server function context");
            AppError::Internal
        })
    }

    pub async fn auth() -> Result<AuthSession, AppError> {
        leptos_axum::extract::<AuthSession>().await.map_err(|e| {
            tracing::error!(error = %e, "the auth session is missing");
            AppError::Internal
        })
    }

    /// The signed-in user, or 401.
    pub async fn require_user() -> Result<SessionUser, AppError> {
        auth().await?.user.ok_or(AppError::Unauthorized)
    }

    /// A user's balance and ledger, as Rewards and the admin's Users page show it.
    pub async fn ledger_view(
        state: &HypeState,
        user_id: i32,
        username: String,
        as_owner: bool,
    ) -> Result<crate::models::LedgerView, AppError> {
        use hype::services::ledger;
        let balance = ledger::balance(&state.db, user_id).await?;
        let entries = if as_owner {
            ledger::entries_shown(&state.db, user_id).await?
        } else {
            ledger::entries(&state.db, user_id).await?
        };
        Ok(crate::models::LedgerView {
            username,
            balance,
            entries: entries
                .into_iter()
                .map(|e| crate::models::LedgerEntryView {
                    id: e.id,
                    amount: e.amount,
                    reason: e.reason,
                    referral: e.referral_id,
                    at: e.created_at.format("%Y-%m-%d %H:%M").to_string(),
                })
                .collect(),
        })
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

    /// Whether the request is a plain HTML form's (a browser without JavaScript), which is
    /// answered with a redirect rather than data.
    pub fn from_plain_form() -> bool {
        hype::web::from_plain_form(&request_headers())
    }

    /// The request's headers.
    pub fn request_headers() -> axum::http::HeaderMap {
        use_context::<Parts>()
            .map(|p| p.headers)
            .unwrap_or_default()
    }
}
