//! Users: search, grant or revoke admin (never the last), each ledger. Every server function
//! checks, inside itself, that the caller is an admin.
use crate::error::AppError;
use crate::models::{AdminUserView, LedgerView};
use leptos::prelude::*;

#[server(endpoint = "admin/list_users", output = crate::codec::Json)]
pub async fn list_users(q: Option<String>) -> Result<Vec<AdminUserView>, AppError> {
    use super::ssr::*;
    let (state, _admin) = admin().await?;
    let users = hype::services::users::search(&state.db, q.as_deref().unwrap_or(""), 200).await?;
    let ids: Vec<i32> = users.iter().map(|u| u.id).collect();
    let balances = hype::services::ledger::balances(&state.db, &ids).await?;
    Ok(users
        .into_iter()
        .map(|u| AdminUserView {
            balance: balances.get(&u.id).copied().unwrap_or(0),
            id: u.id,
            username: u.username,
            email: u.email,
            is_admin: u.is_admin,
            joined: u.created_at.format("%Y-%m-%d").to_string(),
        })
        .collect())
}

/// Grants or revokes admin rights; the last admin can't be revoked.
#[server(endpoint = "admin/set_user_admin", output = crate::codec::Json)]
pub async fn set_user_admin(id: i32, is_admin: bool) -> Result<(), AppError> {
    use super::ssr::*;
    let (state, admin) = admin().await?;
    hype::services::users::set_admin(&state.db, admin.id, id, is_admin).await?;
    Ok(())
}

#[server(endpoint = "admin/user_ledger", output = crate::codec::Json)]
pub async fn get_user_ledger(id: i32) -> Result<LedgerView, AppError> {
    use super::ssr::*;
    let (state, _admin) = admin().await?;
    let user = hype::services::users::find_by_id(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound("No such user.".into()))?;
    ledger_view(&state, user.id, user.username, false).await
}

/// The forms' fields, read in the browser (see `components::post_form`).
mod from_fields {
    use super::SetUserAdmin;
    use crate::components::post_form::{Fields, FromFields};

    impl FromFields for SetUserAdmin {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                id: f.parse("id")?,
                is_admin: f.parse("is_admin")?,
            })
        }
    }
}
