//! A user's own account: forgotten passwords, address confirmation, and `/account` (password,
//! e-mail, sessions, notices, deletion). Each change answers with a redirect to the page that
//! shows its outcome, for plain forms and hydrated ones alike.
use crate::error::AppError;
use crate::models::AccountView;
use leptos::prelude::*;

/// Mails a reset link when `login` (a username or an e-mail address) names an account with an
/// address. The answer is the same either way.
#[server(endpoint = "forgot_password", output = crate::codec::Json)]
pub async fn forgot_password(login: String) -> Result<(), AppError> {
    let state = self::ssr::state()?;
    hype::services::accounts::request_reset(&state.db, &state.tokens, &login).await?;
    leptos_axum::redirect("/forgot-password?sent=1");
    Ok(())
}

/// Sets a new password with the token of a reset link; every session of the account ends.
#[server(endpoint = "reset_password", output = crate::codec::Json)]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    use hype::types::Password;
    let state = self::ssr::state()?;
    let password = Password::parse(&password)?;
    hype::services::accounts::reset_password(&state.db, &token, &password).await?;
    leptos_axum::redirect("/login?reset=1");
    Ok(())
}

/// Confirms the address a confirmation link was sent to.
#[server(endpoint = "confirm_email", output = crate::codec::Json)]
pub async fn confirm_email(token: String) -> Result<(), AppError> {
    let state = self::ssr::state()?;
    hype::services::accounts::confirm_email(&state.db, &token).await?;
    leptos_axum::redirect("/confirm-email?done=1");
    Ok(())
}

/// The signed-in user's account.
#[server(endpoint = "my_account", output = crate::codec::Json)]
pub async fn my_account() -> Result<AccountView, AppError> {
    use self::ssr::*;
    let state = state()?;
    let user = require_user().await?;
    let user = hype::services::users::find_by_id(&state.db, user.id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(AccountView {
        username: user.username,
        email_confirmed: user.email.is_some() && user.email_confirmed_at.is_some(),
        email: user.email,
        is_admin: user.is_admin,
        notify_joins: user.notify_joins,
        notify_credits: user.notify_credits,
        notify_digest: user.notify_digest,
        referral: hype::services::referee::my_referral(&state.db, user.id)
            .await?
            .map(|mine| crate::models::MyReferralView {
                id: mine.referral.id,
                hidden: mine.hidden,
                status: mine.status().to_owned(),
                referrer: mine.referrer,
                joined: mine.referral.created_at.format("%Y-%m-%d").to_string(),
            }),
    })
}

/// Declines the caller's pending referral: closed with no credit.
#[server(endpoint = "decline_referral", output = crate::codec::Json)]
pub async fn decline_referral() -> Result<(), AppError> {
    use self::ssr::*;
    let state = state()?;
    let user = require_user().await?;
    hype::services::referee::decline(&state.db, user.id).await?;
    leptos_axum::redirect("/account?done=declined");
    Ok(())
}

/// Hides the caller's username from whoever referred them (they see "a friend"), or shows it
/// again.
#[server(endpoint = "hide_from_referrer", output = crate::codec::Json)]
pub async fn hide_from_referrer(hidden: bool) -> Result<(), AppError> {
    use self::ssr::*;
    let state = state()?;
    let user = require_user().await?;
    hype::services::referee::set_hidden_from_referrer(&state.db, user.id, hidden).await?;
    leptos_axum::redirect(if hidden {
        "/account?done=hidden"
    } else {
        "/account?done=shown"
    });
    Ok(())
}

/// Erases the addresses, browsers and referers recorded for the caller's visits.
#[server(endpoint = "erase_visit_data", output = crate::codec::Json)]
pub async fn erase_visit_data() -> Result<(), AppError> {
    use self::ssr::*;
    let state = state()?;
    let user = require_user().await?;
    hype::services::referee::erase_visit_data(&state.db, user.id).await?;
    leptos_axum::redirect("/account?done=erased");
    Ok(())
}

/// Changes the password (the current one required); every other session ends.
#[server(endpoint = "change_password", output = crate::codec::Json)]
pub async fn change_password(current: String, password: String) -> Result<(), AppError> {
    use self::ssr::*;
    use hype::types::Password;
    let state = state()?;
    let mut auth = auth().await?;
    let me = auth.user.clone().ok_or(AppError::Unauthorized)?;
    let password = Password::parse(&password)?;
    let user =
        hype::services::accounts::change_password(&state.db, me.id, &current, &password).await?;
    stay_signed_in(&mut auth, user).await?;
    leptos_axum::redirect("/account?done=password");
    Ok(())
}

/// Changes or (left empty) removes the e-mail address; a new one is mailed a confirmation link.
#[server(endpoint = "change_email", output = crate::codec::Json)]
pub async fn change_email(email: Option<String>) -> Result<(), AppError> {
    use self::ssr::*;
    use hype::types::Email;
    let state = state()?;
    let me = require_user().await?;
    let email = Email::parse_optional(email.as_deref())?;
    hype::services::accounts::change_email(&state.db, &state.tokens, me.id, email.as_ref()).await?;
    leptos_axum::redirect(if email.is_some() {
        "/account?done=email"
    } else {
        "/account?done=email-removed"
    });
    Ok(())
}

/// Mails the confirmation link of the current address again.
#[server(endpoint = "resend_confirmation", output = crate::codec::Json)]
pub async fn resend_confirmation() -> Result<(), AppError> {
    use self::ssr::*;
    let state = state()?;
    let me = require_user().await?;
    let user = hype::services::users::find_by_id(&state.db, me.id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    hype::services::accounts::send_confirmation(&state.db, &state.tokens, &user).await?;
    leptos_axum::redirect("/account?done=email");
    Ok(())
}

/// Signs out every other session of the account.
#[server(endpoint = "sign_out_others", output = crate::codec::Json)]
pub async fn sign_out_others() -> Result<(), AppError> {
    use self::ssr::*;
    let state = state()?;
    let mut auth = auth().await?;
    let me = auth.user.clone().ok_or(AppError::Unauthorized)?;
    let user = hype::services::accounts::sign_out_everywhere(&state.db, me.id).await?;
    stay_signed_in(&mut auth, user).await?;
    leptos_axum::redirect("/account?done=sessions");
    Ok(())
}

/// Saves which notices the user gets by mail (a checked box is present, an unchecked one not).
#[server(endpoint = "set_notices", output = crate::codec::Json)]
pub async fn set_notices(
    joins: Option<String>,
    credits: Option<String>,
    digest: Option<String>,
) -> Result<(), AppError> {
    use self::ssr::*;
    use hype::services::accounts::{set_notice, Notice};
    let state = state()?;
    let me = require_user().await?;
    for (notice, on) in [
        (Notice::Joins, joins.is_some()),
        (Notice::Credits, credits.is_some()),
        (Notice::Digest, digest.is_some()),
    ] {
        set_notice(&state.db, me.id, notice, on).await?;
    }
    leptos_axum::redirect("/account?done=notices");
    Ok(())
}

/// Deletes the account (the current password required) and signs out.
#[server(endpoint = "delete_account", output = crate::codec::Json)]
pub async fn delete_account(password: String) -> Result<(), AppError> {
    use self::ssr::*;
    let state = state()?;
    let mut auth = auth().await?;
    let me = auth.user.clone().ok_or(AppError::Unauthorized)?;
    hype::services::accounts::delete_account(&state.db, me.id, &password).await?;
    auth.logout().await.map_err(|e| {
        tracing::error!(error = %e, "signing out a deleted account failed");
        AppError::Internal
    })?;
    leptos_axum::redirect("/login?deleted=1");
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::api::ssr::*;
    use crate::error::AppError;
    use hype::web::auth::AuthSession;

    /// Signs the current session in again after a change that ended every session of the
    /// account (its auth hash moved), so only the others end.
    pub async fn stay_signed_in(
        auth: &mut AuthSession,
        user: hype::entities::users::Model,
    ) -> Result<(), AppError> {
        auth.login(&user.into()).await.map_err(|e| {
            tracing::error!(error = %e, "renewing the session failed");
            AppError::Internal
        })
    }
}

/// The forms' fields, read in the browser (see `components::post_form`).
mod from_fields {
    use super::*;
    use crate::components::post_form::{Fields, FromFields};

    impl FromFields for ForgotPassword {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                login: f.text("login")?,
            })
        }
    }

    impl FromFields for ResetPassword {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                token: f.text("token")?,
                password: f.text("password")?,
            })
        }
    }

    impl FromFields for ConfirmEmail {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                token: f.text("token")?,
            })
        }
    }

    impl FromFields for ChangePassword {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                current: f.text("current")?,
                password: f.text("password")?,
            })
        }
    }

    impl FromFields for ChangeEmail {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                email: f.text("email"),
            })
        }
    }

    impl FromFields for ResendConfirmation {
        fn from_fields(_: &Fields) -> Option<Self> {
            Some(Self {})
        }
    }

    impl FromFields for SignOutOthers {
        fn from_fields(_: &Fields) -> Option<Self> {
            Some(Self {})
        }
    }

    impl FromFields for DeclineReferral {
        fn from_fields(_: &Fields) -> Option<Self> {
            Some(Self {})
        }
    }

    impl FromFields for HideFromReferrer {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                hidden: f.parse("hidden")?,
            })
        }
    }

    impl FromFields for EraseVisitData {
        fn from_fields(_: &Fields) -> Option<Self> {
            Some(Self {})
        }
    }

    impl FromFields for SetNotices {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                joins: f.text("joins"),
                credits: f.text("credits"),
                digest: f.text("digest"),
            })
        }
    }

    impl FromFields for DeleteAccount {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                password: f.text("password")?,
            })
        }
    }
}
