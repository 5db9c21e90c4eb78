//! The hits browser: pages of hits by filter, and confirming the referral behind a hit. Every
//! server function checks, inside itself, that the caller is an admin.
use crate::error::AppError;
use crate::models::{HitPageView, HitQuery};
use leptos::prelude::*;

/// One page of the hits browser.
#[server(endpoint = "admin/list_hits", output = crate::codec::Json)]
pub async fn list_hits(#[server(default)] query: HitQuery) -> Result<HitPageView, AppError> {
    use super::ssr::*;
    let (state, _admin) = admin().await?;
    let (filter, page) = parse_hit_query(&query)?;
    let found = hype::services::hit_browser::hits(&state.db, &filter, page, 50).await?;
    Ok(HitPageView {
        newest: found.rows.first().map(|r| {
            hype::services::hit_browser::Cursor {
                created_at: r.created_at,
                id: r.id,
            }
            .encode()
        }),
        rows: found.rows.into_iter().map(hit_view).collect(),
        older: found.older.map(|c| c.encode()),
        newer: found.newer.map(|c| c.encode()),
    })
}

/// Confirms the referral behind a claimed hit (creating it when its user has none).
#[server(endpoint = "admin/confirm_hit", output = crate::codec::Json)]
pub async fn confirm_hit(id: String, override_flags: Option<bool>) -> Result<String, AppError> {
    use super::ssr::*;
    let (state, admin) = admin().await?;
    let hit = uuid_param(&id)?;
    let outcome = hype::services::referrals::confirm_hit(
        &state.db,
        hit,
        admin.id,
        override_flags.unwrap_or(false),
        hype::services::referrals::Rewards::of(&state.config),
    )
    .await?;
    Ok(describe(
        hype::services::referrals::Decision::Confirm,
        1,
        outcome_changed(outcome),
    ))
}

/// The forms' fields, read in the browser (see `components::post_form`).
mod from_fields {
    use super::ConfirmHit;
    use crate::components::post_form::{Fields, FromFields};

    impl FromFields for ConfirmHit {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                id: f.text("id")?,
                override_flags: match f.text("override_flags") {
                    Some(flag) => Some(flag.parse().ok()?),
                    None => None,
                },
            })
        }
    }
}
