//! `users.leaderboard_name`: the name a user chose to appear under on `/leaderboard`; NULL (the
//! default) keeps them off it.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(ColumnDef::new("leaderboard_name").string().null())
                    .to_owned(),
            )
            .await?;
        // The board counts confirmed referrals per referrer, this month or ever.
        manager
            .create_index(
                Index::create()
                    .name("idx_referrals_status_decided")
                    .table("referrals")
                    .col("status")
                    .col("decided_at")
                    .col("referrer_user_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_referrals_status_decided")
                    .table("referrals")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .drop_column("leaderboard_name")
                    .to_owned(),
            )
            .await
    }
}
