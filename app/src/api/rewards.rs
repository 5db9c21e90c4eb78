//! "Rewards": the signed-in user's balance, ledger, and referrals by status.
use crate::error::AppError;
use crate::models::RewardsView;
use leptos::prelude::*;

#[server(endpoint = "my_rewards", output = crate::codec::Json)]
pub async fn my_rewards() -> Result<RewardsView, AppError> {
    use crate::api::ssr::{ledger_view, require_user, state};
    use crate::models::ReferralView;
    let state = state()?;
    let user = require_user().await?;
    let ledger = ledger_view(&state, user.id, user.username).await?;
    let list = |status| hype::services::referrals::list(&state.db, status, Some(user.id), 500);
    use hype::entities::referrals::ReferralStatus;
    let pending = list(ReferralStatus::Pending).await?;
    let confirmed = list(ReferralStatus::Confirmed).await?;
    // Declined: rejected by the referred user themself.
    let declined = list(ReferralStatus::Rejected)
        .await?
        .into_iter()
        .filter(|r| r.decided_by.is_some() && r.decided_by == r.referred)
        .map(ReferralView::from)
        .collect();
    Ok(RewardsView {
        balance: ledger.balance,
        entries: ledger.entries,
        pending: pending.into_iter().map(ReferralView::from).collect(),
        confirmed: confirmed.into_iter().map(ReferralView::from).collect(),
        declined,
    })
}
