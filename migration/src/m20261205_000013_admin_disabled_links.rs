//! `referral_links.disabled_by_admin`: a link an admin disabled stays disabled until an admin
//! enables it again; its owner can't. Links disabled now whose last audit entry is an admin's
//! `disable_link` start out so.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("referral_links")
                    .add_column(
                        ColumnDef::new("disabled_by_admin")
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE referral_links SET disabled_by_admin = TRUE \
                 WHERE disabled AND (SELECT a.action FROM audit_log AS a \
                   WHERE a.target_table = 'referral_links' \
                     AND a.target_id = CAST(referral_links.id AS TEXT) \
                   ORDER BY a.id DESC LIMIT 1) = 'disable_link'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE referral_links DROP COLUMN disabled_by_admin")
            .await?;
        Ok(())
    }
}
