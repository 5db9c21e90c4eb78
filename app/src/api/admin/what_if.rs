//! What-if: attribution replayed over the recorded hits under another model or window. It reads
//! and changes nothing.
use crate::error::AppError;
use crate::models::WhatIfView;
use leptos::prelude::*;

/// Replays attribution under `model` (`first-click` or `last-click`) and a window of `days`
/// (0 to 3650); without both, only the rule in force is returned.
#[server(endpoint = "admin/what_if", output = crate::codec::Json)]
pub async fn what_if(model: Option<String>, days: Option<u32>) -> Result<WhatIfView, AppError> {
    use super::ssr::*;
    use crate::models::WhatIfChangeView;
    use hype::config::AttributionModel;
    let (state, _admin) = admin().await?;
    let config = &state.config;
    let mut view = WhatIfView {
        current_model: config.attribution_model.as_str().replace('_', "-"),
        current_days: config.attribution_window_days,
        ..WhatIfView::default()
    };
    let (Some(model), Some(days)) = (model.filter(|m| !m.is_empty()), days) else {
        return Ok(view);
    };
    let parsed: AttributionModel = model.parse().map_err(AppError::Invalid)?;
    if days > 3650 {
        return Err(AppError::Invalid("The window is 0 to 3650 days.".into()));
    }
    let started = std::time::Instant::now();
    let result = hype::services::what_if::replay(&state.db, parsed, days).await?;
    let took_ms = started.elapsed().as_millis() as u64;
    tracing::info!(model = %model, days, took_ms, hits = result.hits_read, "what-if replayed");
    view.result = Some(crate::models::WhatIfResult {
        model: parsed.as_str().replace('_', "-"),
        days,
        replayed: result.replayed,
        admin_picked: result.admin_picked,
        hits_read: result.hits_read,
        changed: result.changed,
        changed_confirmed: result.changed_confirmed,
        points_moved: result.points_moved,
        took_ms,
        changes: result
            .changes
            .into_iter()
            .map(|c| WhatIfChangeView {
                referral_id: c.referral_id,
                referred: c.referred,
                status: c.status.as_str().into(),
                referrer: c.referrer.unwrap_or_else(|| "(deleted)".into()),
                would_be: c.would_be,
                points: c.points,
            })
            .collect(),
    });
    Ok(view)
}
