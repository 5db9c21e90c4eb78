//! Running totals that the admin overview reads instead of scanning every hit:
//! `hit_days` (hits per UTC day), `site_users` and `site_visitors` (each distinct person who
//! made a hit: a user, or an anonymous visitor none of whose hits is claimed) and
//! `site_counts` (`people`: the number of rows in those two). The hit writer and the claim keep
//! them current in the transaction that changes the hits; this migration fills them from the
//! hits already stored.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("hit_days")
                    .col(
                        ColumnDef::new("day")
                            .string_len(10)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("hits").big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("site_users")
                    .col(ColumnDef::new("user_id").integer().not_null().primary_key())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("site_visitors")
                    .col(ColumnDef::new("visitor_id").uuid().not_null().primary_key())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("site_counts")
                    .col(
                        ColumnDef::new("name")
                            .string_len(32)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("value").big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in fill_statements(db.get_database_backend()) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["site_counts", "site_visitors", "site_users", "hit_days"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// The statements that fill the (empty) aggregate tables from `referral_hits`.
pub fn fill_statements(backend: DatabaseBackend) -> Vec<String> {
    fill_statements_counting(backend, "1 = 1")
}

/// The statements that fill the (empty) aggregate tables from the rows of `referral_hits` that
/// satisfy the SQL condition `counted`.
pub fn fill_statements_counting(backend: DatabaseBackend, counted: &str) -> Vec<String> {
    let day = match backend {
        DatabaseBackend::Postgres => "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        _ => "substr(created_at, 1, 10)",
    };
    vec![
        format!(
            "INSERT INTO hit_days (day, hits) SELECT {day}, COUNT(*) FROM referral_hits \
             WHERE {counted} GROUP BY {day}"
        ),
        format!(
            "INSERT INTO site_users (user_id) SELECT DISTINCT hit_user_id FROM referral_hits \
             WHERE hit_user_id IS NOT NULL AND {counted}"
        ),
        format!(
            "INSERT INTO site_visitors (visitor_id) SELECT DISTINCT visitor_id FROM referral_hits \
             WHERE hit_user_id IS NULL AND visitor_id IS NOT NULL AND {counted}"
        ),
        "INSERT INTO site_counts (name, value) SELECT 'people', \
         (SELECT COUNT(*) FROM site_users) + (SELECT COUNT(*) FROM site_visitors)"
            .into(),
    ]
}
