//! `referral_hits.is_bot`: a visit by a link-preview fetcher or a self-declared crawler, stored
//! for the record and counted nowhere. `users.hidden_from_referrer`: a referred user who asked
//! that the person who invited them see "a friend" instead of their username.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("referral_hits")
                    .add_column(ColumnDef::new("is_bot").boolean().not_null().default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(
                        ColumnDef::new("hidden_from_referrer")
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .drop_column("hidden_from_referrer")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("referral_hits")
                    .drop_column("is_bot")
                    .to_owned(),
            )
            .await
    }
}
