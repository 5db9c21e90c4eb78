//! Fewer pages written per stored hit. Each commit of the hit writer writes every page it
//! changes once more (SQLite's WAL, PostgreSQL's), and a batch of anonymous hits touched two
//! B-trees that gave nothing back for them:
//!
//! - `referral_hits_hit_user_idx` indexed every hit, though only claimed hits (a user id) are
//!   ever looked up by it: it becomes partial, over `hit_user_id IS NOT NULL`, which every read
//!   of it implies (`hit_user_id = …`).
//! - SQLite: `site_visitors` was a rowid table plus the index of its key, two B-trees for one
//!   column; `WITHOUT ROWID` makes it one.
//!
//! `bench/floor.sh` counts the pages SQLite writes per commit.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseTransaction, TransactionTrait,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rebuild(manager, " WHERE hit_user_id IS NOT NULL", " WITHOUT ROWID").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rebuild(manager, "", "").await
    }
}

/// Rebuilds the index with `index_where` and, on SQLite, `site_visitors` with `options`, in one
/// transaction. One connection matters on SQLite too: another of the pool's connections may
/// still hold the dropped index in its copy of the schema and refuse to create it again.
async fn rebuild(
    manager: &SchemaManager<'_>,
    index_where: &str,
    options: &str,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let txn = db.begin().await?;
    txn.execute_unprepared("DROP INDEX IF EXISTS referral_hits_hit_user_idx")
        .await?;
    txn.execute_unprepared(&format!(
        "CREATE INDEX referral_hits_hit_user_idx ON referral_hits (hit_user_id, created_at)\
         {index_where}"
    ))
    .await?;
    if db.get_database_backend() == DatabaseBackend::Sqlite {
        rebuild_site_visitors(&txn, options).await?;
    }
    txn.commit().await
}

/// SQLite can't change a table's kind in place: a copy with `options`, then the swap.
async fn rebuild_site_visitors(txn: &DatabaseTransaction, options: &str) -> Result<(), DbErr> {
    for sql in [
        format!(
            "CREATE TABLE site_visitors_new (visitor_id uuid_text NOT NULL PRIMARY KEY){options}"
        ),
        "INSERT INTO site_visitors_new (visitor_id) SELECT visitor_id FROM site_visitors"
            .to_owned(),
        "DROP TABLE site_visitors".to_owned(),
        "ALTER TABLE site_visitors_new RENAME TO site_visitors".to_owned(),
    ] {
        txn.execute_unprepared(&sql).await?;
    }
    Ok(())
}
