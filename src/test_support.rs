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

/// A user named `name` with the password `password123`, inserted as it is (the services'
/// own tests are what check `services::users::create`).
pub async fn user(db: &DatabaseConnection, name: &str) -> crate::entities::users::Model {
    use crate::entities::users;
    use sea_orm::{ActiveModelTrait, Set};
    let now = chrono::Utc::now();
    users::ActiveModel {
        username: Set(name.to_owned()),
        password_hash: Set(password_auth::generate_hash("password123")),
        is_admin: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("test user")
}
