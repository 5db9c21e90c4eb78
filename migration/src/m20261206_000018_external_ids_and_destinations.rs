//! `users.external_id`: the product's own id for a user it created through the API (or a
//! customer who converted without signing up on hype), unique. `referral_links.destination`:
//! where `/ref` sends a visitor who brings no `next`, on one of `HYPE_ALLOWED_REDIRECT_HOSTS`.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(ColumnDef::new("external_id").string().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_users_external_id")
                    .table("users")
                    .col("external_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("referral_links")
                    .add_column(ColumnDef::new("destination").string().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_users_external_id")
                    .table("users")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .drop_column("external_id")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("referral_links")
                    .drop_column("destination")
                    .to_owned(),
            )
            .await
    }
}
