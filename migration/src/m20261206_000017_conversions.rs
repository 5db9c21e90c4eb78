//! `conversions`: what the product reported through `POST /api/v1/conversions`, one row per
//! API key and `Idempotency-Key`, with the request's hash and the answer it got, so a retry
//! gets the same answer and a different body under the same key is refused.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("conversions")
                    .col(
                        ColumnDef::new("id")
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("api_key_id").integer().not_null())
                    .col(ColumnDef::new("idempotency_key").string().not_null())
                    .col(ColumnDef::new("request_hash").string().not_null())
                    .col(ColumnDef::new("referred_user_id").integer().not_null())
                    .col(ColumnDef::new("referral_id").integer().null())
                    .col(ColumnDef::new("event").string().not_null())
                    .col(ColumnDef::new("amount").big_integer().null())
                    .col(ColumnDef::new("currency").string().null())
                    .col(
                        ColumnDef::new("occurred_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new("response").text().not_null())
                    .col(
                        ColumnDef::new("created_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("conversions", "api_key_id")
                            .to("api_keys", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_conversions_idempotency")
                    .table("conversions")
                    .col("api_key_id")
                    .col("idempotency_key")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_conversions_referral")
                    .table("conversions")
                    .col("referral_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("conversions").to_owned())
            .await
    }
}
