//! `/leaderboard`: the board, a user's choice to appear on it, and an admin's switch.
use crate::error::AppError;
use crate::models::LeaderboardView;
use leptos::prelude::*;

/// The board for `period` (`month`, else all time), with the viewer's own rank.
#[server(endpoint = "leaderboard", output = crate::codec::Json)]
pub async fn leaderboard(period: Option<String>) -> Result<LeaderboardView, AppError> {
    use crate::api::ssr::*;
    use hype::services::leaderboard::{self, Period};
    let state = state()?;
    let viewer = auth().await?.user;
    let enabled = leaderboard::enabled(&state.db).await?;
    let month = period.as_deref() == Some("month");
    let is_admin = viewer.as_ref().is_some_and(|u| u.is_admin);
    let mut view = LeaderboardView {
        enabled,
        month,
        entries: Vec::new(),
        mine: None,
        signed_in: viewer.is_some(),
        is_admin,
        my_name: None,
    };
    if let Some(user) = &viewer {
        view.my_name = hype::services::users::find_by_id(&state.db, user.id)
            .await?
            .and_then(|u| u.leaderboard_name);
    }
    if !enabled {
        return Ok(view);
    }
    let period = if month {
        Period::Month
    } else {
        Period::AllTime
    };
    let board = leaderboard::board(
        &state.db,
        period,
        viewer.as_ref().map(|u| u.id),
        chrono::Utc::now(),
    )
    .await?;
    view.entries = board
        .entries
        .into_iter()
        .map(|e| (e.rank, e.name, e.confirmed, e.me))
        .collect();
    view.mine = board.mine;
    Ok(view)
}

/// Shows the caller on the board under `name` when `show` is on; takes them off otherwise.
#[server(endpoint = "set_leaderboard_name", output = crate::codec::Json)]
pub async fn set_leaderboard_name(
    show: Option<String>,
    name: Option<String>,
) -> Result<(), AppError> {
    use crate::api::ssr::*;
    let state = state()?;
    let user = require_user().await?;
    let shown = matches!(show.as_deref(), Some("on" | "true"));
    if shown && name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(AppError::Invalid(
            "Choose the name to appear under, or untick \"Show me\".".into(),
        ));
    }
    let name = if shown { name } else { None };
    hype::services::leaderboard::set_name(&state.db, user.id, name.as_deref()).await?;
    Ok(())
}

/// (Admins) turns the page on or off.
#[server(endpoint = "set_leaderboard_enabled", output = crate::codec::Json)]
pub async fn set_leaderboard_enabled(enabled: bool) -> Result<(), AppError> {
    use crate::api::ssr::*;
    let state = state()?;
    let user = require_user().await?;
    if !user.is_admin {
        return Err(AppError::Forbidden);
    }
    hype::services::leaderboard::set_enabled(&state.db, user.id, enabled).await?;
    Ok(())
}
