//! `referrals.rule_model` and `referrals.rule_window_days`: the attribution rule in force when
//! the referral was recorded (`first_click` or `last_click` with its window, or `admin_pick`
//! for one an admin confirmed from a hit), so that its receipt can say which rule decided
//! even after the settings change. Referrals recorded before this migration have neither.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("referrals")
                    .add_column(ColumnDef::new("rule_model").string_len(16).null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("referrals")
                    .add_column(ColumnDef::new("rule_window_days").integer().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["rule_window_days", "rule_model"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("referrals")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
