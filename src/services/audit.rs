//! The audit log: every admin action, written in the same transaction as the action itself.
use crate::entities::{audit_log, users};
use crate::error::Result;
use sea_orm::sea_query::{Alias, Expr, JoinType, Order, Query};
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, Set};

/// Records an action; the actor is `None` for the command line.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: impl Into<Option<i32>>,
    action: &str,
    target_table: &str,
    target_id: impl ToString,
    detail: impl Into<String>,
) -> Result<()> {
    audit_log::Entity::insert(audit_log::ActiveModel {
        actor_user_id: Set(actor.into()),
        action: Set(action.to_owned()),
        target_table: Set(target_table.to_owned()),
        target_id: Set(target_id.to_string()),
        detail: Set(detail.into()),
        created_at: Set(super::now()),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromQueryResult)]
pub struct AuditRow {
    pub id: i32,
    pub actor: Option<String>,
    pub action: String,
    pub target_table: String,
    pub target_id: String,
    pub detail: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Newest first; `before` is the id of the last row of the previous page.
pub async fn list(
    db: &impl ConnectionTrait,
    before: Option<i32>,
    limit: u64,
) -> Result<Vec<AuditRow>> {
    let a = Alias::new("a");
    let u = Alias::new("u");
    let mut query = Query::select();
    query
        .from_as(audit_log::Entity, a.clone())
        .column((a.clone(), audit_log::Column::Id))
        .expr_as(
            Expr::col((u.clone(), users::Column::Username)),
            Alias::new("actor"),
        )
        .column((a.clone(), audit_log::Column::Action))
        .column((a.clone(), audit_log::Column::TargetTable))
        .column((a.clone(), audit_log::Column::TargetId))
        .column((a.clone(), audit_log::Column::Detail))
        .column((a.clone(), audit_log::Column::CreatedAt))
        .join_as(
            JoinType::LeftJoin,
            users::Entity,
            u.clone(),
            Expr::col((u, users::Column::Id)).equals((a.clone(), audit_log::Column::ActorUserId)),
        )
        .order_by((a.clone(), audit_log::Column::Id), Order::Desc)
        .limit(limit);
    if let Some(before) = before {
        query.and_where(Expr::col((a, audit_log::Column::Id)).lt(before));
    }
    Ok(
        AuditRow::find_by_statement(db.get_database_backend().build(&query))
            .all(db)
            .await?,
    )
}
