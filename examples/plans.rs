//! The query plans of the dashboard's reads on a database filled by `seed-demo`:
//!
//!     DATABASE_URL=sqlite://target/bench/pages-1000000.db cargo run --release --example plans
//!
//! Prints, for each read, the time one run of it took, the statement and the database's plan
//! for it (`EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` on PostgreSQL), so a read that scans a
//! table instead of an index shows.
use chrono::{Duration, Utc};
use hype::services::hit_browser::{self, HitFilter, Page};
use sea_orm::{ConnectionTrait, DatabaseBackend, FromQueryResult, Statement};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL")
        .map_err(|_| anyhow::anyhow!("set DATABASE_URL to the database to explain"))?;
    let db = hype::db::connect(&url, false).await?;
    let backend = db.get_database_backend();
    #[derive(FromQueryResult)]
    struct Ids {
        link: String,
        link_id: i32,
        owner: String,
    }
    let sample = Ids::find_by_statement(Statement::from_string(
        backend,
        "SELECT l.identifier AS link, l.id AS link_id, u.username AS owner \
         FROM referral_links l JOIN users u ON u.id = l.user_id ORDER BY l.id LIMIT 1",
    ))
    .one(&db)
    .await?
    .ok_or_else(|| anyhow::anyhow!("no links: run hype-server seed-demo first"))?;
    let week_ago = (Utc::now() - Duration::days(7)).date_naive();
    let filters = [
        ("no filter", HitFilter::default()),
        (
            "one link",
            HitFilter {
                link: Some(sample.link.clone()),
                ..Default::default()
            },
        ),
        (
            "claimed + confirmed",
            HitFilter {
                claimed: Some(true),
                confirmed: Some(true),
                ..Default::default()
            },
        ),
        (
            "anonymous, last 7 days",
            HitFilter {
                authenticated: Some(false),
                from: Some(week_ago),
                ..Default::default()
            },
        ),
        (
            "one referrer, last 7 days",
            HitFilter {
                referrer: Some(sample.owner.clone()),
                from: Some(week_ago),
                ..Default::default()
            },
        ),
        (
            "one hit user",
            HitFilter {
                hit_user: Some(sample.owner.clone()),
                ..Default::default()
            },
        ),
        (
            "text search",
            HitFilter {
                text: Some("firefox".into()),
                ..Default::default()
            },
        ),
    ];
    for (name, filter) in &filters {
        for (which, page) in [("first page", Page::First), ("last page", Page::Last)] {
            let statement = hit_browser::hits_statement(backend, filter, page, 50);
            explain(&db, &format!("hits, {name}, {which}"), statement).await?;
        }
    }
    let [hits, referrals] =
        hype::services::link_counts::for_links_statements(backend, &[sample.link_id]);
    explain(&db, "My links: hit counts", hits).await?;
    explain(&db, "My links: referral counts", referrals).await?;
    explain(
        &db,
        "overview: hits per day",
        Statement::from_string(
            backend,
            "SELECT day, hits FROM hit_days WHERE day >= '2026-01-01'",
        ),
    )
    .await?;
    explain(
        &db,
        "overview: people",
        Statement::from_string(
            backend,
            "SELECT value FROM site_counts WHERE name = 'people'",
        ),
    )
    .await?;
    Ok(())
}

async fn explain(
    db: &impl ConnectionTrait,
    name: &str,
    statement: Statement,
) -> anyhow::Result<()> {
    let prefix = match statement.db_backend {
        DatabaseBackend::Postgres => "EXPLAIN ",
        _ => "EXPLAIN QUERY PLAN ",
    };
    let explained = Statement {
        sql: format!("{prefix}{}", statement.sql),
        ..statement.clone()
    };
    let started = std::time::Instant::now();
    db.query_all(statement.clone()).await?;
    let took = started.elapsed().as_secs_f64() * 1000.0;
    println!("## {name} ({took:.1} ms)\n{}\n", statement.sql.trim());
    for row in db.query_all(explained).await? {
        // SQLite: (id, parent, notused, detail); PostgreSQL: one text column.
        let line = row
            .try_get_by_index::<String>(3)
            .or_else(|_| row.try_get_by_index::<String>(0))?;
        println!("    {line}");
    }
    println!();
    Ok(())
}
