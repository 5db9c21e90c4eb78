//! `sessions`: the tower-sessions store's table, in the column types its sqlx store expects
//! (an integer Unix expiry on SQLite, `timestamptz` on PostgreSQL).
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut expiry = ColumnDef::new("expiry_date");
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => expiry.timestamp_with_time_zone(),
            _ => expiry.big_integer(),
        };
        manager
            .create_table(
                Table::create()
                    .table("sessions")
                    .col(ColumnDef::new("id").text().not_null().primary_key())
                    .col(ColumnDef::new("data").blob().not_null())
                    .col(expiry.not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sessions_expiry_idx")
                    .table("sessions")
                    .col("expiry_date")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("sessions").to_owned())
            .await
    }
}
