//! The session store: tower-sessions' sqlx store on SeaORM's own pool, in the `sessions` table
//! created by the migrations. Sessions live in the database, so any instance serves any user.
use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

/// How often expired sessions are deleted.
pub const CLEANUP_PERIOD: std::time::Duration = std::time::Duration::from_secs(3600);

/// Deletes expired sessions every [`CLEANUP_PERIOD`] for as long as the process runs. A pass
/// that fails (the database briefly unreachable) is logged, and the next one runs on time.
pub fn spawn_cleanup(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(repeat(CLEANUP_PERIOD, move || {
        let store = store.clone();
        async move { store.delete_expired().await }
    }))
}

/// Runs `pass` at once and then every `period`, whatever the previous pass returned.
async fn repeat<F, Fut, E>(period: std::time::Duration, mut pass: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(error) = pass().await {
            tracing::error!(%error, "deleting expired sessions failed; trying again next period");
        }
    }
}

#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl Store {
    pub fn new(db: &DatabaseConnection) -> anyhow::Result<Self> {
        Ok(match db.get_database_backend() {
            DatabaseBackend::Sqlite => Self::Sqlite(
                SqliteStore::new(db.get_sqlite_connection_pool().clone())
                    .with_table_name("sessions")
                    .map_err(anyhow::Error::msg)?,
            ),
            DatabaseBackend::Postgres => Self::Postgres(
                PostgresStore::new(db.get_postgres_connection_pool().clone())
                    .with_schema_name("public")
                    .map_err(anyhow::Error::msg)?
                    .with_table_name("sessions")
                    .map_err(anyhow::Error::msg)?,
            ),
            other => anyhow::bail!("sessions are not supported on {other:?}"),
        })
    }
}

#[async_trait]
impl SessionStore for Store {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.create(record).await,
            Self::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.save(record).await,
            Self::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Sqlite(s) => s.load(id).await,
            Self::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.delete(id).await,
            Self::Postgres(s) => s.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for Store {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.delete_expired().await,
            Self::Postgres(s) => s.delete_expired().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn the_cleanup_keeps_running_after_a_failed_pass() {
        let passes = Arc::new(AtomicU32::new(0));
        let counted = passes.clone();
        let task = tokio::spawn(repeat(Duration::from_secs(60), move || {
            let n = counted.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                if n <= 2 {
                    Err(format!("pass {n}: database unreachable"))
                } else {
                    Ok(())
                }
            }
        }));
        // Passes at 0, 60, 120 and 180 s: the two failures stop nothing.
        tokio::time::sleep(Duration::from_secs(200)).await;
        assert_eq!(passes.load(Ordering::SeqCst), 4);
        assert!(!task.is_finished());
        task.abort();
    }
}
