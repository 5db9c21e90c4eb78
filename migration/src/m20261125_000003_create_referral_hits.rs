//! `referral_hits`: one row per visit through a link, indexed for the queries that read them.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("referral_hits")
                    .col(ColumnDef::new("id").uuid().not_null().primary_key())
                    .col(ColumnDef::new("referral_link_id").integer().not_null())
                    .col(ColumnDef::new("visitor_id").uuid().null())
                    .col(ColumnDef::new("authenticated").boolean().not_null())
                    .col(ColumnDef::new("hit_user_id").integer().null())
                    .col(ColumnDef::new("ip").string_len(64).null())
                    .col(ColumnDef::new("user_agent").text().not_null().default(""))
                    .col(ColumnDef::new("http_referer").text().not_null().default(""))
                    .col(ColumnDef::new("next").text().not_null().default(""))
                    .col(
                        ColumnDef::new("confirmed")
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new("created_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new("updated_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("referral_hits_link_fkey")
                            .from("referral_hits", "referral_link_id")
                            .to("referral_links", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("referral_hits_hit_user_fkey")
                            .from("referral_hits", "hit_user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "referral_hits_link_created_idx",
                &["referral_link_id", "created_at"][..],
            ),
            ("referral_hits_visitor_idx", &["visitor_id"][..]),
            (
                "referral_hits_hit_user_idx",
                &["hit_user_id", "created_at"][..],
            ),
            ("referral_hits_confirmed_idx", &["confirmed"][..]),
            ("referral_hits_created_idx", &["created_at"][..]),
        ] {
            let mut index = Index::create();
            index.name(name).table("referral_hits");
            for col in cols {
                index.col(*col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("referral_hits").to_owned())
            .await
    }
}
