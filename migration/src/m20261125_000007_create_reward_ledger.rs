//! `reward_ledger`: append-only credits and reversals. A balance is a sum; the idempotency key
//! makes a second credit for the same decision impossible.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("reward_ledger")
                    .col(
                        ColumnDef::new("id")
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("user_id").integer().not_null())
                    .col(ColumnDef::new("amount").big_integer().not_null())
                    .col(ColumnDef::new("reason").string_len(200).not_null())
                    .col(ColumnDef::new("referral_id").integer().null())
                    .col(
                        ColumnDef::new("idempotency_key")
                            .string_len(100)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new("created_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("reward_ledger_user_fkey")
                            .from("reward_ledger", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("reward_ledger_referral_fkey")
                            .from("reward_ledger", "referral_id")
                            .to("referrals", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("reward_ledger_user_idx", "user_id"),
            ("reward_ledger_referral_idx", "referral_id"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("reward_ledger")
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("reward_ledger").to_owned())
            .await
    }
}
