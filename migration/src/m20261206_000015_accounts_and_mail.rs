//! Accounts and mail: on `users`, when the e-mail address was confirmed, a session epoch (bumped
//! to sign out every other session), notice preferences and when the account was deleted;
//! `account_tokens` (password-reset and address-confirmation tokens, stored hashed); and on
//! `deliveries`, the user a mail goes to (a delivery has an endpoint or a recipient).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        let columns = [
            ColumnDef::new("email_confirmed_at")
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
            ColumnDef::new("session_epoch")
                .integer()
                .not_null()
                .default(0)
                .to_owned(),
            ColumnDef::new("notify_joins")
                .boolean()
                .not_null()
                .default(true)
                .to_owned(),
            ColumnDef::new("notify_credits")
                .boolean()
                .not_null()
                .default(true)
                .to_owned(),
            ColumnDef::new("notify_digest")
                .boolean()
                .not_null()
                .default(true)
                .to_owned(),
            ColumnDef::new("deleted_at")
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table("users")
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("account_tokens")
                    .col(
                        ColumnDef::new("id")
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("user_id").integer().not_null())
                    .col(ColumnDef::new("purpose").string().not_null())
                    .col(ColumnDef::new("nonce").string().not_null())
                    .col(
                        ColumnDef::new("token_hash")
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new("email").text().null())
                    .col(
                        ColumnDef::new("expires_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new("used_at").timestamp_with_time_zone().null())
                    .col(
                        ColumnDef::new("created_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("account_tokens", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_account_tokens_user")
                    .table("account_tokens")
                    .col("user_id")
                    .col("purpose")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("deliveries")
                    .add_column(ColumnDef::new("recipient_id").integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_deliveries_recipient")
                    .table("deliveries")
                    .col("recipient_id")
                    .col("subject")
                    .col("id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_deliveries_recipient")
                    .table("deliveries")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("deliveries")
                    .drop_column("recipient_id")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("account_tokens").to_owned())
            .await?;
        for column in [
            "deleted_at",
            "notify_digest",
            "notify_credits",
            "notify_joins",
            "session_epoch",
            "email_confirmed_at",
        ] {
            manager
                .alter_table(Table::alter().table("users").drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
