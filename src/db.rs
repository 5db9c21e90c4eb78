//! Connecting to the database named by a URL (SQLite or PostgreSQL) and migrating it.
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::postgres::PgPoolOptions;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DbErr, SqlxPostgresConnector, SqlxSqliteConnector,
};
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

/// A connection of its own for the hit writer: a pool holding one connection that nothing else
/// uses. `None` for an in-memory SQLite database, which exists only on its one connection (the
/// writer shares it).
///
/// - SQLite file: SQLite has one writer at a time anyway, and the writer can then send a whole
///   transaction in one script (`hits::store_all_exclusive`). Temporary storage in memory: in
///   WAL mode a multi-row insert keeps a statement journal of every page it changes, which
///   otherwise spills to a new temporary file per batch.
/// - PostgreSQL: batches don't wait for a pool shared with the pages.
///
/// Neither pool pings its connection before handing it out (sqlx's default): that was one more
/// trip to the database for every batch, and a broken connection fails the batch's own
/// statement just as well (its visitors get 503, the health probe takes over, and the pool
/// replaces the connection).
pub async fn writer_connection(
    db: &DatabaseConnection,
) -> Result<Option<DatabaseConnection>, DbErr> {
    let connect_error = |e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e));
    match db {
        DatabaseConnection::SqlxSqlitePoolConnection(_) => {
            let pool = db.get_sqlite_connection_pool();
            if pool.options().get_max_connections() == 1 {
                return Ok(None);
            }
            let options = (*pool.connect_options())
                .clone()
                .pragma("temp_store", "memory");
            let own = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .test_before_acquire(false)
                .connect_with(options)
                .await
                .map_err(connect_error)?;
            Ok(Some(SqlxSqliteConnector::from_sqlx_sqlite_pool(own)))
        }
        DatabaseConnection::SqlxPostgresPoolConnection(_) => {
            let pool = db.get_postgres_connection_pool();
            // Lazy: an instance started during an outage still starts; its first batch connects.
            let own = PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(2))
                .test_before_acquire(false)
                .connect_lazy_with((*pool.connect_options()).clone());
            Ok(Some(SqlxPostgresConnector::from_sqlx_postgres_pool(own)))
        }
        _ => Ok(None),
    }
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
        Database::connect(options).await
    } else {
        Err(DbErr::Custom(format!(
            "unsupported DATABASE_URL {url:?}: use sqlite://… or postgres://…"
        )))
    }
}
