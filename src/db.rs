//! Connecting to the database named by a URL (SQLite or PostgreSQL) and migrating it.
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sea_orm::{ConnectOptions, DatabaseConnection, DbErr, SqlxSqliteConnector};
use std::str::FromStr;
use std::time::Duration;

/// Opens `url` and runs every pending migration.
///
/// SQLite is opened in WAL mode with foreign keys on and a busy timeout; SeaORM's per-statement
/// logging is off (set `RUST_LOG=sea_orm=debug,sqlx=debug` and `log_statements` to see it).
pub async fn connect(url: &str, log_statements: bool) -> Result<DatabaseConnection, DbErr> {
    let db = open(url, log_statements).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}

/// Opens `url` without migrating.
pub async fn open(url: &str, log_statements: bool) -> Result<DatabaseConnection, DbErr> {
    if url.starts_with("sqlite:") {
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        let mut options = SqliteConnectOptions::from_str(url)
            .map_err(|e| DbErr::Custom(format!("bad DATABASE_URL: {e}")))?
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        if !memory {
            options = options.journal_mode(SqliteJournalMode::Wal);
        }
        if !log_statements {
            use sea_orm::sqlx::ConnectOptions as _;
            options = options.disable_statement_logging();
        }
        // An in-memory database exists once per connection: keep exactly one.
        let pool = SqlitePoolOptions::new()
            .max_connections(if memory { 1 } else { 8 })
            .min_connections(if memory { 1 } else { 0 })
            .idle_timeout(if memory {
                None
            } else {
                Some(Duration::from_secs(600))
            })
            .max_lifetime(if memory {
                None
            } else {
                Some(Duration::from_secs(1800))
            })
            .connect_with(options)
            .await
            .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e)))?;
        Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let mut options = ConnectOptions::new(url);
        options
            .max_connections(16)
            // Short, so an outage is answered with a quick 503 rather than a hang.
            .connect_timeout(Duration::from_secs(2))
            .acquire_timeout(Duration::from_secs(2))
            .sqlx_logging(log_statements);
        sea_orm::Database::connect(options).await
    } else {
        Err(DbErr::Custom(format!(
            "unsupported DATABASE_URL {url:?}: use sqlite://… or postgres://…"
        )))
    }
}
