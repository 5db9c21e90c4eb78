//! Every link: search, disable or enable any link, create one for a user. Every server function
//! checks, inside itself, that the caller is an admin.
use crate::error::AppError;
use crate::models::AdminLinkView;
use leptos::prelude::*;

#[server(endpoint = "admin/list_links", output = crate::codec::Json)]
pub async fn list_all_links(q: Option<String>) -> Result<Vec<AdminLinkView>, AppError> {
    use super::ssr::*;
    let (state, _admin) = admin().await?;
    let rows = hype::services::links::search(&state.db, q.as_deref().unwrap_or(""), 200).await?;
    Ok(rows
        .into_iter()
        .map(|l| AdminLinkView {
            id: l.id,
            identifier: l.identifier,
            label: l.label,
            owner: l.owner,
            disabled: l.disabled,
            created: l.created_at.format("%Y-%m-%d").to_string(),
        })
        .collect())
}

#[server(endpoint = "admin/set_link_disabled", output = crate::codec::Json)]
pub async fn set_any_link_disabled(id: i32, disabled: bool) -> Result<(), AppError> {
    use super::ssr::*;
    let (state, admin) = admin().await?;
    hype::services::links::admin_set_disabled(&state.db, admin.id, id, disabled).await?;
    state.links.forget_all();
    Ok(())
}

#[server(endpoint = "admin/create_link", output = crate::codec::Json)]
pub async fn create_link_for_user(
    username: String,
    identifier: Option<String>,
    label: Option<String>,
) -> Result<String, AppError> {
    use super::ssr::*;
    use hype::services::links::NewLink;
    let (state, admin) = admin().await?;
    let identifier = hype::types::Identifier::parse_optional(identifier.as_deref())?;
    let link = hype::services::links::admin_create(
        &state.db,
        admin.id,
        &username,
        NewLink {
            identifier,
            label: label.unwrap_or_default(),
            disabled: false,
            ..Default::default()
        },
    )
    .await?;
    state.links.forget_all();
    Ok(format!(
        "Created {}",
        state.config.link_url(&link.identifier)
    ))
}

/// The forms' fields, read in the browser (see `components::post_form`).
mod from_fields {
    use super::{CreateLinkForUser, SetAnyLinkDisabled};
    use crate::components::post_form::{Fields, FromFields};

    impl FromFields for SetAnyLinkDisabled {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                id: f.parse("id")?,
                disabled: f.parse("disabled")?,
            })
        }
    }

    impl FromFields for CreateLinkForUser {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                username: f.text("username")?,
                identifier: f.text("identifier"),
                label: f.text("label"),
            })
        }
    }
}
