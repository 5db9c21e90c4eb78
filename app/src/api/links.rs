//! "My links": list with counts, create (random or vanity), disable and re-enable.
use crate::error::AppError;
use crate::models::LinkView;
use leptos::prelude::*;

/// The signed-in user's links, newest first, with their counts.
#[server(endpoint = "list_links", output = crate::codec::Json)]
pub async fn list_links() -> Result<Vec<LinkView>, AppError> {
    use crate::api::ssr::*;
    let state = state()?;
    let user = require_user().await?;
    let links = hype::services::links::list_for_user(&state.db, user.id).await?;
    let ids: Vec<i32> = links.iter().map(|l| l.id).collect();
    let stats = hype::services::link_counts::for_links(&state.db, &ids).await?;
    Ok(links
        .into_iter()
        .map(|link| {
            let counts = stats.get(&link.id).copied().unwrap_or_default();
            LinkView {
                url: state.config.link_url(&link.identifier),
                id: link.id,
                identifier: link.identifier,
                label: link.label,
                disabled: link.disabled,
                disabled_by_admin: link.disabled_by_admin,
                hits: counts.hits,
                visitors: counts.visitors,
                signups: counts.signups,
                confirmed: counts.confirmed,
                created: link.created_at.format("%Y-%m-%d").to_string(),
                destination: link.destination,
            }
        })
        .collect())
}

/// Where links may send visitors: the origins of `HYPE_ALLOWED_REDIRECT_HOSTS` (none: links
/// have no destination here, and the form does not ask for one).
#[server(endpoint = "link_destinations", output = crate::codec::Json)]
pub async fn link_destinations() -> Result<Vec<String>, AppError> {
    use crate::api::ssr::*;
    let state = state()?;
    require_user().await?;
    Ok(state
        .config
        .allowed_redirect_hosts
        .iter()
        .map(|h| h.origin())
        .collect())
}

/// Creates a link; a blank identifier gets a random one. A destination must be on an allowed
/// host.
#[server(endpoint = "create_link", output = crate::codec::Json)]
pub async fn create_link(
    identifier: Option<String>,
    label: Option<String>,
    destination: Option<String>,
) -> Result<(), AppError> {
    use crate::api::ssr::*;
    use hype::services::links::NewLink;
    let state = state()?;
    let user = require_user().await?;
    let identifier = hype::types::Identifier::parse_optional(identifier.as_deref())?;
    let destination = match destination.as_deref() {
        Some(raw) => hype::services::links::destination(&state.config, raw)?,
        None => None,
    };
    hype::services::links::create(
        &state.db,
        user.id,
        NewLink {
            identifier,
            label: label.unwrap_or_default(),
            disabled: false,
            destination,
        },
    )
    .await?;
    // `/ref` may have remembered the identifier as unknown.
    state.links.forget_all();
    Ok(())
}

/// Disables (`disabled = true`) or re-enables one of the caller's links.
#[server(endpoint = "set_link_disabled", output = crate::codec::Json)]
pub async fn set_link_disabled(id: i32, disabled: bool) -> Result<(), AppError> {
    use crate::api::ssr::*;
    let state = state()?;
    let user = require_user().await?;
    hype::services::links::set_disabled(&state.db, user.id, id, disabled).await?;
    state.links.forget_all();
    Ok(())
}

/// The forms' fields, read in the browser (see `components::post_form`).
mod from_fields {
    use super::{CreateLink, SetLinkDisabled};
    use crate::components::post_form::{Fields, FromFields};

    impl FromFields for CreateLink {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                identifier: f.text("identifier"),
                label: f.text("label"),
                destination: f.text("destination"),
            })
        }
    }

    impl FromFields for SetLinkDisabled {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                id: f.parse("id")?,
                disabled: f.parse("disabled")?,
            })
        }
    }
}
