//! The admin dashboard's server functions, one file per page of `routes/admin/`. Every one
//! checks, inside itself, that the caller is signed in (401) and an admin (403) before it reads
//! or changes anything.
pub mod api_keys;
pub mod audit;
pub mod hits;
pub mod links;
pub mod overview;
pub mod referrals;
pub mod users;
pub mod webhooks;
pub mod what_if;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    pub use crate::api::ssr::*;
    use crate::error::AppError;
    use crate::models::{HitQuery, HitView};
    use hype::services::hit_browser::{HitFilter, HitRow, Page};
    use hype::services::referrals::{Decision, Outcome};
    use hype::web::auth::SessionUser;
    use hype::HypeState;

    /// The state and the calling admin; 401 for nobody, 403 for a non-admin.
    pub async fn admin() -> Result<(HypeState, SessionUser), AppError> {
        let state = state()?;
        let user = require_user().await?;
        if !user.is_admin {
            return Err(AppError::Forbidden);
        }
        Ok((state, user))
    }

    /// Carries out the decision a form names (`confirm`, `confirm_override`, `reject`,
    /// `unconfirm`).
    pub async fn decide(
        state: &HypeState,
        admin_id: i32,
        id: i32,
        decision: Decision,
    ) -> Result<Outcome, hype::Error> {
        hype::services::referrals::decide(
            &state.db,
            id,
            admin_id,
            decision,
            hype::services::referrals::Rewards::of(&state.config),
        )
        .await
    }

    pub fn outcome_changed(outcome: Outcome) -> bool {
        outcome == Outcome::Changed
    }

    pub fn describe(decision: Decision, count: usize, changed: bool) -> String {
        let verb = decision.past_tense();
        match (count, changed) {
            (_, false) => format!("Nothing to do: already {verb}."),
            (1, true) => format!("Referral {verb}."),
            (n, true) => format!("{n} referrals {verb}."),
        }
    }

    pub fn uuid_param(raw: &str) -> Result<uuid::Uuid, hype::Error> {
        uuid::Uuid::try_parse(raw.trim()).map_err(|_| hype::Error::invalid("That is not a hit id."))
    }

    pub fn parse_hit_query(q: &HitQuery) -> Result<(HitFilter, Page), hype::Error> {
        hype::services::hit_browser::parse_query(|key| q.get(key))
    }

    pub fn hit_view(r: HitRow) -> HitView {
        HitView {
            id: r.id.to_string(),
            at: r.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            identifier: r.identifier,
            referrer: r.referrer,
            hit_user: r.hit_user,
            authenticated: r.authenticated,
            visitor: r.visitor_id.map(|v| v.simple().to_string()[..8].to_owned()),
            ip: r.ip.unwrap_or_default(),
            user_agent: r.user_agent,
            referer: r.http_referer,
            next: r.next,
            confirmed: r.confirmed.map(|c| c.format("%Y-%m-%d %H:%M").to_string()),
            is_bot: r.is_bot,
        }
    }
}
