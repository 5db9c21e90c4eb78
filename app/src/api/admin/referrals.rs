//! The referrals queue: listing by status, and confirming, rejecting or unconfirming one or many.
//! Every server function checks, inside itself, that the caller is an admin.
use crate::error::AppError;
use crate::models::ReferralView;
use leptos::prelude::*;

#[server(endpoint = "admin/list_referrals", output = crate::codec::Json)]
pub async fn list_referrals(status: String) -> Result<Vec<ReferralView>, AppError> {
    use super::ssr::*;
    let (state, _admin) = admin().await?;
    let status: hype::entities::referrals::ReferralStatus = status.parse()?;
    let rows = hype::services::referrals::list(&state.db, status, None, 500).await?;
    Ok(rows.into_iter().map(ReferralView::from).collect())
}

/// Confirms (`confirm`, or `confirm_override` for a flagged one), rejects (`reject`) or
/// unconfirms (`unconfirm`) one referral. Returns what happened, in words.
#[server(endpoint = "admin/decide_referral", output = crate::codec::Json)]
pub async fn decide_referral(id: i32, action: String) -> Result<String, AppError> {
    use super::ssr::*;
    use hype::services::referrals::Decision;
    let (state, admin) = admin().await?;
    let decision: Decision = action.parse()?;
    let outcome = decide(&state, admin.id, id, decision).await?;
    Ok(describe(decision, 1, outcome_changed(outcome)))
}

/// The same decision for several referrals (`ids[0]=…&ids[1]=…`); each is decided on its own,
/// so one refusal doesn't undo the others.
#[server(endpoint = "admin/decide_referrals", output = crate::codec::Json)]
pub async fn decide_referrals(ids: Option<Vec<i32>>, action: String) -> Result<String, AppError> {
    use super::ssr::*;
    use hype::services::referrals::Decision;
    let (state, admin) = admin().await?;
    let ids = ids.unwrap_or_default();
    if ids.is_empty() {
        return Err(AppError::Invalid("Select at least one referral.".into()));
    }
    let decision: Decision = action.parse()?;
    let mut changed = 0;
    let mut refused = Vec::new();
    for id in &ids {
        match decide(&state, admin.id, *id, decision).await {
            Ok(outcome) => changed += usize::from(outcome_changed(outcome)),
            Err(hype::Error::Conflict(m) | hype::Error::NotFound(m)) => {
                refused.push(format!("#{id}: {m}"))
            }
            Err(e) => return Err(e.into()),
        }
    }
    let mut message = describe(decision, changed, changed > 0);
    if !refused.is_empty() {
        message.push_str(&format!(" Not done: {}", refused.join(" ")));
    }
    Ok(message)
}

/// The forms' fields, read in the browser (see `components::post_form`).
mod from_fields {
    use super::{DecideReferral, DecideReferrals};
    use crate::components::post_form::{Fields, FromFields};

    impl FromFields for DecideReferral {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                id: f.parse("id")?,
                action: f.text("action")?,
            })
        }
    }

    impl FromFields for DecideReferrals {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                ids: Some(f.indexed("ids")?),
                action: f.text("action")?,
            })
        }
    }
}
