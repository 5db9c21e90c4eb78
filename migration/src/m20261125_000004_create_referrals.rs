//! `referrals`: who referred whom, through which hit; a person is referred at most once.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("referrals")
                    .col(
                        ColumnDef::new("id")
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new("referred_user_id")
                            .integer()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new("referrer_user_id").integer().null())
                    .col(ColumnDef::new("referral_hit_id").uuid().null())
                    .col(
                        ColumnDef::new("status")
                            .string_len(16)
                            .not_null()
                            .default("pending"),
                    )
                    .col(
                        ColumnDef::new("flags")
                            .string_len(200)
                            .not_null()
                            .default(""),
                    )
                    .col(
                        ColumnDef::new("created_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new("decided_at")
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new("decided_by").integer().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("referrals_referred_user_fkey")
                            .from("referrals", "referred_user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("referrals_referrer_user_fkey")
                            .from("referrals", "referrer_user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("referrals_hit_fkey")
                            .from("referrals", "referral_hit_id")
                            .to("referral_hits", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("referrals_decided_by_fkey")
                            .from("referrals", "decided_by")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("referrals_referrer_idx", "referrer_user_id"),
            ("referrals_hit_idx", "referral_hit_id"),
            ("referrals_status_idx", "status"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("referrals")
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("referrals").to_owned())
            .await
    }
}
