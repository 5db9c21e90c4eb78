//! API keys: list, create (the key is shown once), revoke. Admins only.
use crate::error::AppError;
use crate::models::ApiKeysView;
use leptos::prelude::*;

#[server(endpoint = "admin/list_api_keys", output = crate::codec::Json)]
pub async fn list_api_keys() -> Result<ApiKeysView, AppError> {
    use super::ssr::*;
    use crate::models::ApiKeyView;
    use hype::services::api_keys::{self, Scope};
    let (state, _admin) = admin().await?;
    // A key created by a plain form, kept for this one page load.
    let new_key = auth()
        .await?
        .session
        .remove::<String>(NEW_KEY)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "reading a new API key from the session");
            AppError::Internal
        })?;
    let when = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map(|at| at.format("%Y-%m-%d %H:%M").to_string())
    };
    let keys = api_keys::list(&state.db)
        .await?
        .into_iter()
        .map(|key| ApiKeyView {
            id: key.id,
            name: key.name,
            prefix: key.prefix,
            scopes: key.scopes.replace(',', ", "),
            created_at: key.created_at.format("%Y-%m-%d %H:%M").to_string(),
            last_used_at: when(key.last_used_at),
            revoked_at: when(key.revoked_at),
        })
        .collect();
    Ok(ApiKeysView {
        scopes: Scope::ALL.iter().map(|s| s.as_str().to_owned()).collect(),
        keys,
        new_key,
    })
}

/// The session key under which a key created without JavaScript waits for the page the
/// browser is sent back to, which shows it and forgets it.
#[cfg(feature = "ssr")]
const NEW_KEY: &str = "new_api_key";

/// Creates a key. The answer is the key itself: the only time it is shown (without JavaScript,
/// on the page the browser is sent back to).
#[server(endpoint = "admin/create_api_key", output = crate::codec::Json)]
pub async fn create_api_key(name: String, scopes: Option<String>) -> Result<String, AppError> {
    use super::ssr::*;
    let (state, admin) = admin().await?;
    let (_, key) = hype::services::api_keys::create(
        &state.db,
        Some(admin.id),
        &name,
        scopes.as_deref().unwrap_or(""),
    )
    .await?;
    // A plain form is sent back to the page, which can show the key only from the session.
    if from_plain_form() {
        auth()
            .await?
            .session
            .insert(NEW_KEY, &key)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "keeping a new API key in the session");
                AppError::Internal
            })?;
    }
    Ok(key)
}

#[server(endpoint = "admin/revoke_api_key", output = crate::codec::Json)]
pub async fn revoke_api_key(id: i32) -> Result<(), AppError> {
    use super::ssr::*;
    let (state, admin) = admin().await?;
    hype::services::api_keys::revoke(&state.db, Some(admin.id), id).await?;
    Ok(())
}

/// The forms' fields, read in the browser (see `components::post_form`).
mod from_fields {
    use super::{CreateApiKey, RevokeApiKey};
    use crate::components::post_form::{Fields, FromFields};

    impl FromFields for CreateApiKey {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                name: f.text("name")?,
                scopes: f.text("scopes"),
            })
        }
    }

    impl FromFields for RevokeApiKey {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self { id: f.parse("id")? })
        }
    }
}
