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
    let ledger = ledger_view(&state, user.id, user.username, true).await?;
    let list = |status| hype::services::referrals::list(&state.db, status, Some(user.id), 500);
    use hype::entities::referrals::ReferralStatus;
    use hype::services::referrals::ReferralRow;
    // The referrer sees "a friend" for whoever asked to be hidden from them.
    let shown = |rows: Vec<ReferralRow>| -> Vec<ReferralView> {
        rows.into_iter()
            .map(|mut r| {
                let hidden = r.referred_hidden == Some(true);
                r.referred = r
                    .referred
                    .map(|name| hype::services::referee_shown_as(&name, hidden).to_owned());
                ReferralView::from(r)
            })
            .collect()
    };
    let pending = list(ReferralStatus::Pending).await?;
    let confirmed = list(ReferralStatus::Confirmed).await?;
    // Declined: rejected by the referred user themself.
    let declined = list(ReferralStatus::Rejected)
        .await?
        .into_iter()
        .filter(|r| r.decided_by.is_some() && r.decided_by == r.referred)
        .collect();
    Ok(RewardsView {
        balance: ledger.balance,
        entries: ledger.entries,
        pending: shown(pending),
        confirmed: shown(confirmed),
        declined: shown(declined),
    })
}

/// A referral's receipt, for an admin, its referrer or the person referred (others: 404).
#[server(endpoint = "referral_receipt", output = crate::codec::Json)]
pub async fn referral_receipt(id: i32) -> Result<crate::models::ReceiptView, AppError> {
    use crate::api::ssr::{require_user, state};
    use crate::models::{DecisionView, ReceiptLedgerView, ReceiptView, VisitView};
    use hype::services::receipts::{receipt, Viewer};
    let state = state()?;
    let user = require_user().await?;
    let r = receipt(&state.db, &state.config, id, user.id, user.is_admin).await?;
    let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M").to_string();
    Ok(ReceiptView {
        id: r.id,
        viewer: match r.viewer {
            Viewer::Admin => "admin",
            Viewer::Referrer => "referrer",
            Viewer::Referee => "referee",
        }
        .into(),
        status: r.status.into(),
        joined: at(r.created_at),
        decided: r.decided_at.map(at),
        referrer: r.referrer.unwrap_or_else(|| "a deleted account".into()),
        referred: r.referred,
        rule: r.rule,
        why: r.why,
        journey: r
            .journey
            .into_iter()
            .map(|v| VisitView {
                at: at(v.at),
                link: v.link,
                from: v.from_site.unwrap_or_else(|| "direct".into()),
                won: v.won,
                standing: v.standing.into(),
                ip: v.ip,
                user_agent: v.user_agent,
            })
            .collect(),
        more_visits: r.more_visits,
        flags: r.flags,
        decisions: r
            .decisions
            .into_iter()
            .map(|d| DecisionView {
                at: at(d.at),
                what: d.what,
                by: d.by,
                detail: d.detail,
            })
            .collect(),
        conversions: r
            .conversions
            .into_iter()
            .map(|c| (at(c.at), c.event))
            .collect(),
        ledger: r
            .ledger
            .into_iter()
            .map(|e| ReceiptLedgerView {
                at: at(e.at),
                who: e.who,
                amount: e.amount,
                reason: e.reason,
            })
            .collect(),
    })
}
