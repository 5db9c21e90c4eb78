//! The overview: totals, hits per day, top referrers. Every server function checks, inside itself,
//! that the caller is an admin.
use crate::error::AppError;
use crate::models::OverviewView;
use leptos::prelude::*;

#[server(endpoint = "admin/overview", output = crate::codec::Json)]
pub async fn get_overview() -> Result<OverviewView, AppError> {
    use super::ssr::*;
    let (state, _admin) = admin().await?;
    let o = hype::services::overview::overview(&state.db).await?;
    let conversion_percent = if o.unique_visitors > 0 {
        (o.referred_signups as f64) * 100.0 / (o.unique_visitors as f64)
    } else {
        0.0
    };
    Ok(OverviewView {
        users: o.users,
        links: o.links,
        hits_today: o.hits_today,
        hits_7d: o.hits_7d,
        hits_30d: o.hits_30d,
        unique_visitors: o.unique_visitors,
        referred_signups: o.referred_signups,
        pending: o.pending,
        confirmed: o.confirmed,
        conversion_percent,
        daily: o
            .daily
            .into_iter()
            .map(|(d, n)| (d.format("%Y-%m-%d").to_string(), n))
            .collect(),
        top_referrers: o.top_referrers,
    })
}
