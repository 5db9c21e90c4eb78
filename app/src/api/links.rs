//! "My links": list with counts, create (random or vanity), disable and re-enable.
use crate::error::AppError;
use crate::models::{LinkDetailView, LinkListView};
use leptos::prelude::*;

/// Links on one page of *My links*.
pub const LINKS_PER_PAGE: u64 = 20;

/// Page `page` (1-based; default 1, past the last: the last) of the signed-in user's links,
/// newest first, with their counts.
#[server(endpoint = "list_links", output = crate::codec::Json)]
pub async fn list_links(page: Option<u64>) -> Result<LinkListView, AppError> {
    use crate::api::ssr::*;
    let state = state()?;
    let user = require_user().await?;
    let found =
        hype::services::links::page_for_user(&state.db, user.id, page.unwrap_or(1), LINKS_PER_PAGE)
            .await?;
    let ids: Vec<i32> = found.links.iter().map(|l| l.id).collect();
    let stats = hype::services::link_counts::for_links(&state.db, &ids).await?;
    Ok(LinkListView {
        links: found
            .links
            .into_iter()
            .map(|link| {
                let counts = stats.get(&link.id).copied().unwrap_or_default();
                link_view(&state.config, link, counts)
            })
            .collect(),
        page: found.page,
        pages: found.pages,
        total: found.total,
    })
}

#[cfg(feature = "ssr")]
fn link_view(
    config: &hype::HypeConfig,
    link: hype::entities::referral_links::Model,
    counts: hype::services::link_counts::LinkStats,
) -> crate::models::LinkView {
    crate::models::LinkView {
        url: config.link_url(&link.identifier),
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
}

/// One link's page: its counts, visits and sign-ups per day over `days` (30 or 90), the sites
/// that sent visitors, and the points it earned. Its owner's, or any for an admin.
#[server(endpoint = "link_detail", output = crate::codec::Json)]
pub async fn link_detail(
    identifier: String,
    days: Option<u32>,
) -> Result<LinkDetailView, AppError> {
    use crate::api::ssr::*;
    let state = state()?;
    let user = require_user().await?;
    let link = hype::services::links::find(&state.db, &identifier)
        .await?
        .filter(|l| user.is_admin || l.user_id == Some(user.id))
        .ok_or_else(|| AppError::NotFound("You have no link with this identifier.".into()))?;
    let period = if days == Some(90) { 90 } else { 30 };
    let today = chrono::Utc::now().date_naive();
    let report = hype::services::link_report::report(&state.db, &link, period, today).await?;
    let counts = hype::services::link_counts::for_links(&state.db, &[link.id])
        .await?
        .remove(&link.id)
        .unwrap_or_default();
    let own = link.user_id == Some(user.id);
    Ok(LinkDetailView {
        link: link_view(&state.config, link, counts),
        points: report.points,
        period,
        days: report
            .days
            .into_iter()
            .map(|d| (d.day, d.visits, d.signups))
            .collect(),
        referers: report.referers,
        destination_hosts: state.config.redirect_origins(),
        own,
    })
}

/// Changes one of the caller's links: its label and its destination (blank: none).
#[server(endpoint = "edit_link", output = crate::codec::Json)]
pub async fn edit_link(
    id: i32,
    label: Option<String>,
    destination: Option<String>,
) -> Result<(), AppError> {
    use crate::api::ssr::*;
    let state = state()?;
    let user = require_user().await?;
    hype::services::links::edit(
        &state.db,
        &state.config,
        user.id,
        id,
        label.as_deref().unwrap_or_default(),
        destination.as_deref().unwrap_or_default(),
    )
    .await?;
    state.links.forget_all();
    Ok(())
}

/// Where links may send visitors: the origins of `HYPE_ALLOWED_REDIRECT_HOSTS` (none: links
/// have no destination here, and the form does not ask for one).
#[server(endpoint = "link_destinations", output = crate::codec::Json)]
pub async fn link_destinations() -> Result<Vec<String>, AppError> {
    use crate::api::ssr::*;
    let state = state()?;
    require_user().await?;
    Ok(state.config.redirect_origins())
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
    // The new link is the newest: on the first page (the page itself goes there when hydrated).
    if from_plain_form() {
        leptos_axum::redirect("/links");
    }
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
