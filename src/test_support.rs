//! Helpers for the core's own tests: an in-memory SQLite database with the real migrations.
use sea_orm::DatabaseConnection;

pub async fn memory_db() -> DatabaseConnection {
    crate::db::connect("sqlite::memory:", false)
        .await
        .expect("in-memory database with migrations")
}

/// An SQLite file database with the real migrations: WAL mode and a pool of connections, as a
/// deployment runs it (the hit writer gets a connection of its own). Its files are removed when
/// this is dropped.
pub struct FileDb {
    pub db: DatabaseConnection,
    path: std::path::PathBuf,
}

pub async fn file_db() -> FileDb {
    let path = std::env::temp_dir().join(format!("hype-test-{}.db", uuid::Uuid::new_v4()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = crate::db::connect(&url, false)
        .await
        .expect("SQLite file database with migrations");
    FileDb { db, path }
}

impl Drop for FileDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
    }
}

/// A user named `name` with a throwaway password.
pub async fn user(db: &DatabaseConnection, name: &str) -> crate::entities::users::Model {
    use crate::types::{Password, Username};
    crate::services::users::create(
        db,
        &Username::parse(name).expect("valid test username"),
        None,
        &Password::parse("password123").expect("valid test password"),
        false,
    )
    .await
    .expect("test user")
}
