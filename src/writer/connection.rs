//! The hit writer's own connection: held across batches, tested after an idle spell, and
//! given each batch as one trip to the database.
use crate::entities::referral_hits;
use crate::error::Result;
use crate::services::hits::{store_statement, HitFacts, MAX_BATCH};
use sea_orm::sea_query::Values;
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::postgres::{PgPool, PgPoolOptions, Postgres};
use sea_orm::sqlx::sqlite::{Sqlite, SqlitePool, SqlitePoolOptions};
use sea_orm::sqlx::{Connection, Database, Executor, IntoArguments, Pool};
use sea_orm::{DatabaseConnection, DbBackend, DbErr, Statement};
use sea_query_binder::SqlxValues;
use std::time::{Duration, Instant};

/// A connection of its own for the hit writer, from a pool that nothing else uses. `None` for
/// an in-memory SQLite database, which exists only on its one connection (the writer shares it).
///
/// - SQLite file: SQLite has one writer at a time anyway, and the writer can then send a whole
///   transaction in one script ([`store_batch`]). Temporary storage in memory: in
///   WAL mode a multi-row insert keeps a statement journal of every page it changes, which
///   otherwise spills to a new temporary file per batch.
/// - PostgreSQL: batches don't wait for a pool shared with the pages.
///
/// The writer holds its connection across batches ([`OwnConnection`]) instead of taking it
/// from the pool for each: sqlx tests a connection with a ping whenever it goes back to a
/// pool, which was one more trip to the database per batch.
pub async fn writer_connection(db: &DatabaseConnection) -> Result<Option<OwnConnection>, DbErr> {
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
            Ok(Some(OwnConnection::new(OwnPool::Sqlite(own, None))))
        }
        DatabaseConnection::SqlxPostgresPoolConnection(_) => {
            let pool = db.get_postgres_connection_pool();
            // Lazy: an instance started during an outage still starts; its first batch connects.
            let own = PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(2))
                .test_before_acquire(false)
                .connect_lazy_with((*pool.connect_options()).clone());
            Ok(Some(OwnConnection::new(OwnPool::Postgres(own, None))))
        }
        _ => Ok(None),
    }
}

/// The hit writer's own connection.
///
/// It holds the connection from statement to statement. One idle for longer than
/// [`OwnConnection::idle_after`] (`WriterOptions::idle` unless set) first goes back to its pool, which tests it
/// (sqlx pings a connection on its way back): a connection that a firewall, a proxy or the
/// server dropped while the site was quiet is then replaced, instead of failing the first
/// visits after the lull.
#[derive(Debug)]
pub struct OwnConnection {
    pool: OwnPool,
    idle: Duration,
}

/// The writer's pool, and the connection it holds (none until the first statement, after the
/// connection failed, or after it sat idle).
#[derive(Debug)]
enum OwnPool {
    Sqlite(SqlitePool, Option<Held<Sqlite>>),
    Postgres(PgPool, Option<Held<Postgres>>),
}

/// A connection the writer holds, and when it last used it.
#[derive(Debug)]
struct Held<DB: Database> {
    connection: PoolConnection<DB>,
    used: Instant,
}

impl OwnConnection {
    fn new(pool: OwnPool) -> Self {
        Self {
            pool,
            idle: crate::config::WriterOptions::default().idle,
        }
    }

    /// How long the held connection may sit unused before it is tested again.
    pub fn idle_after(self, idle: Duration) -> Self {
        Self { idle, ..self }
    }

    pub fn backend(&self) -> DbBackend {
        match self.pool {
            OwnPool::Sqlite(..) => DbBackend::Sqlite,
            OwnPool::Postgres(..) => DbBackend::Postgres,
        }
    }

    /// Closes the held connection, if any, without waiting for it: a statement given up
    /// half-way (`WriterOptions::commit_timeout`) may have left a transaction open on it, which
    /// on SQLite holds the database's write lock. Closing rolls that back; the next statement
    /// takes a new connection.
    pub fn discard(&mut self) {
        match &mut self.pool {
            OwnPool::Sqlite(_, held) => close_held(held),
            OwnPool::Postgres(_, held) => close_held(held),
        }
    }

    /// Runs `statement` on the held connection, taking one from the pool first when none is
    /// held. A connection that failed is let go (the pool closes it), so the next statement
    /// connects afresh: the writer recovers from a database restart without one of its own.
    pub async fn execute(&mut self, statement: Statement) -> Result<(), DbErr> {
        let idle = self.idle;
        match &mut self.pool {
            OwnPool::Sqlite(pool, held) => execute_held(pool, held, idle, statement).await,
            OwnPool::Postgres(pool, held) => execute_held(pool, held, idle, statement).await,
        }
    }
}

fn close_held<DB: Database>(held: &mut Option<Held<DB>>) {
    if let Some(held) = held.take() {
        // Out of the pool, which opens another when asked; closed once the statement in
        // flight, if any, has stopped.
        let connection = held.connection.detach();
        tokio::spawn(async move {
            if let Err(error) = connection.close_hard().await {
                tracing::warn!(%error, "closing the hit writer's connection");
            }
        });
    }
}

async fn execute_held<DB>(
    pool: &Pool<DB>,
    held: &mut Option<Held<DB>>,
    idle: Duration,
    statement: Statement,
) -> Result<(), DbErr>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> SqlxValues: IntoArguments<'q, DB>,
{
    if held.as_ref().is_some_and(|h| h.used.elapsed() > idle) {
        *held = None;
    }
    let current = match held {
        Some(current) => current,
        None => held.insert(Held {
            connection: pool
                .acquire()
                .await
                .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e)))?,
            used: Instant::now(),
        }),
    };
    let values = SqlxValues(statement.values.unwrap_or(Values(Vec::new())));
    let result = sea_orm::sqlx::query_with(&statement.sql, values)
        .execute(&mut *current.connection)
        .await;
    current.used = Instant::now();
    match result {
        Ok(_) => Ok(()),
        Err(error) => {
            let error = DbErr::Exec(sea_orm::RuntimeErr::SqlxError(error));
            if crate::error::is_connection_error(&error) {
                *held = None;
            }
            Err(error)
        }
    }
}

/// `hits::store_all` on the hit writer's own connection, in one trip to the database: on
/// PostgreSQL the one statement, on SQLite the script with the transaction's `BEGIN` and
/// `COMMIT` in it (one round trip to SQLite's thread instead of three; a failed script is
/// rolled back before the next). At most [`MAX_BATCH`] rows.
pub async fn store_batch(
    own: &mut OwnConnection,
    rows: &[(referral_hits::ActiveModel, HitFacts)],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if rows.len() > MAX_BATCH {
        return Err(crate::Error::Internal(format!(
            "a batch of {} hits is more than the {MAX_BATCH} one statement can hold",
            rows.len()
        )));
    }
    let backend = own.backend();
    let statement = store_statement(backend, rows)?;
    if backend == DbBackend::Postgres {
        return Ok(own.execute(statement).await?);
    }
    let statement = Statement {
        sql: format!("BEGIN IMMEDIATE;\n{}COMMIT;", statement.sql),
        ..statement
    };
    match own.execute(statement).await {
        Ok(()) => Ok(()),
        Err(error) => {
            // Fails harmlessly when the script failed before its BEGIN or after its COMMIT.
            let _ = own
                .execute(Statement::from_string(backend, "ROLLBACK"))
                .await;
            Err(error.into())
        }
    }
}
