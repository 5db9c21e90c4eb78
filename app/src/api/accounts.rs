//! Sign-up, log-in, log-out, who am I, and who invited this visitor.
use crate::error::AppError;
use crate::models::UserView;
use leptos::prelude::*;

/// Creates an account, signs it in, claims this browser's referral hits and records who
/// referred it. Then redirects to "My links".
#[server(endpoint = "signup", output = crate::codec::Json)]
pub async fn signup(
    username: String,
    password: String,
    email: Option<String>,
) -> Result<(), AppError> {
    use self::ssr::*;
    use hype::types::{Email, Password, Username};
    let state = state()?;
    let mut auth = auth().await?;
    let username = Username::parse(&username)?;
    let email = Email::parse_optional(email.as_deref())?;
    let password = Password::parse(&password)?;
    state.login_guard.check_signup(client_addr())?;
    let user =
        hype::services::users::create(&state.db, &username, email.as_ref(), &password, false)
            .await?;
    let user_id = user.id;
    if let Err(error) =
        hype::services::accounts::send_confirmation(&state.db, &state.tokens, &user).await
    {
        // The account page offers to send the link again.
        tracing::error!(%error, "queueing the address confirmation of a new user failed");
    }
    remember_ip(&state, user_id, true).await;
    sign_in(&state, &mut auth, user.into()).await?;
    // Signing in claimed this browser's hits for the new user: now decide who referred them.
    if let Err(error) =
        hype::services::referrals::attribute_signup(&state.db, &state.config, user_id).await
    {
        // The account exists and is signed in; a lost attribution must not undo that.
        tracing::error!(%error, "recording the referral of a new user failed");
    }
    leptos_axum::redirect("/links");
    Ok(())
}

/// Signs in with a username and password. One message for an unknown user and a wrong password.
/// Then goes to `next` when it is a same-site path (the page that asked for a log-in), else to
/// "My links".
#[server(endpoint = "login", output = crate::codec::Json)]
pub async fn login(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use self::ssr::*;
    use hype::web::auth::SessionUser;
    let state = state()?;
    let mut auth = auth().await?;
    let ip = client_addr();
    state.login_guard.check_login(&username, ip)?;
    // The check is the auth backend's, called directly: a refusal (503) is the caller's answer,
    // not an error for axum-login to log on every request of a flood.
    let user: SessionUser =
        match hype::services::users::authenticate(&state.db, &username, &password).await {
            Ok(user) => user.into(),
            Err(hype::Error::BadCredentials) => {
                state.login_guard.login_failed(&username, ip);
                return Err(AppError::BadCredentials);
            }
            Err(error) => return Err(error.into()),
        };
    state.login_guard.login_succeeded(&username);
    remember_ip(&state, user.id, false).await;
    sign_in(&state, &mut auth, user).await?;
    let target = next
        .as_deref()
        .and_then(hype::web::safe_redirect::safe_next)
        .unwrap_or_else(|| "/links".to_owned());
    leptos_axum::redirect(&target);
    Ok(())
}

/// Signs out. The browser gets back the visitor id it carried when it signed in.
#[server(endpoint = "logout", output = crate::codec::Json)]
pub async fn logout() -> Result<(), AppError> {
    use self::ssr::*;
    let state = state()?;
    let mut auth = auth().await?;
    let visitor = hype::web::layers::browser_visitor_after_logout(&state, &auth).await;
    auth.logout().await.map_err(|e| {
        tracing::error!(error = %e, "logout failed");
        AppError::Internal
    })?;
    if let Some(cookie) = visitor {
        append_set_cookie(cookie);
    }
    leptos_axum::redirect("/");
    Ok(())
}

/// The signed-in user, if any.
#[server(endpoint = "current_user", output = crate::codec::Json)]
pub async fn current_user() -> Result<Option<UserView>, AppError> {
    let auth = self::ssr::auth().await?;
    Ok(auth.user.map(|u| UserView {
        id: u.id,
        username: u.username,
        is_admin: u.is_admin,
    }))
}

/// The username of whoever would be credited if this browser signed up now.
#[server(endpoint = "referral_context", output = crate::codec::Json)]
pub async fn referral_context() -> Result<Option<String>, AppError> {
    use self::ssr::*;
    let state = state()?;
    let headers = request_headers();
    let Some(visitor) = state.signer.visitor(&headers) else {
        return Ok(None);
    };
    let referrer =
        hype::services::hits::referrer_for_visitor(&state.db, &state.config, visitor).await?;
    Ok(referrer.map(|u| u.username))
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::api::ssr::*;
    use crate::error::AppError;
    use hype::web::auth::{AuthSession, SessionUser};
    use hype::HypeState;

    /// Records where a user signed up or logged in from (the self-referral evidence); a failure
    /// is logged and does not stop the sign-in.
    pub async fn remember_ip(state: &HypeState, user_id: i32, signup: bool) {
        let Some(ip) = client_ip() else {
            return;
        };
        if let Err(error) = hype::services::users::record_ip(&state.db, user_id, &ip, signup).await
        {
            tracing::error!(%error, user_id, "recording the client address failed");
        }
    }

    /// The client's address, parsed, for the log-in and sign-up throttles.
    pub fn client_addr() -> Option<std::net::IpAddr> {
        client_ip()?.parse().ok()
    }

    /// Logs `user` in on a fresh session id, then claims this browser's anonymous hits.
    pub async fn sign_in(
        state: &HypeState,
        auth: &mut AuthSession,
        user: SessionUser,
    ) -> Result<(), AppError> {
        if auth.user.is_some() {
            // axum-login only rotates the id of an anonymous session; rotate it here too.
            auth.session.cycle_id().await.map_err(|e| {
                tracing::error!(error = %e, "rotating the session id failed");
                AppError::Internal
            })?;
        }
        auth.login(&user).await.map_err(|e| {
            tracing::error!(error = %e, "storing the session failed");
            AppError::Internal
        })?;
        if let Some(cookie) =
            hype::web::layers::claim_from_headers(state, auth, user.id, &request_headers()).await
        {
            append_set_cookie(cookie);
        }
        Ok(())
    }
}

/// The forms' fields, read in the browser (see `components::post_form`).
mod from_fields {
    use super::{Login, Logout, Signup};
    use crate::components::post_form::{Fields, FromFields};

    impl FromFields for Signup {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                username: f.text("username")?,
                password: f.text("password")?,
                email: f.text("email"),
            })
        }
    }

    impl FromFields for Login {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                username: f.text("username")?,
                password: f.text("password")?,
                next: f.text("next"),
            })
        }
    }

    impl FromFields for Logout {
        fn from_fields(_: &Fields) -> Option<Self> {
            Some(Self {})
        }
    }
}
