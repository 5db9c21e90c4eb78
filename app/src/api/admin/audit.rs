//! The audit log, newest first. Every server function checks, inside itself, that the caller is an
//! admin.
use crate::error::AppError;
use crate::models::AuditView;
use leptos::prelude::*;

#[server(endpoint = "admin/list_audit", output = crate::codec::Json)]
pub async fn list_audit(before: Option<i32>) -> Result<Vec<AuditView>, AppError> {
    use super::ssr::*;
    let (state, _admin) = admin().await?;
    let rows = hype::services::audit::list(&state.db, before, 100).await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditView {
            id: r.id,
            actor: r.actor,
            action: r.action,
            target: format!("{} #{}", r.target_table, r.target_id),
            detail: r.detail,
            at: r.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
        })
        .collect())
}
