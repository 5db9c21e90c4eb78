//! Helpers for the core's own tests: an in-memory SQLite database with the real migrations.
use sea_orm::DatabaseConnection;

pub async fn memory_db() -> DatabaseConnection {
    crate::db::connect("sqlite::memory:", false)
        .await
        .expect("in-memory database with migrations")
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
