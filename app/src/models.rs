//! Wire types: what server functions return. Built from entities on the server; never the
//! entities themselves, never a secret.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: i32,
    pub username: String,
    pub is_admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkView {
    pub id: i32,
    pub identifier: String,
    pub label: String,
    /// The full shareable URL.
    pub url: String,
    pub disabled: bool,
    pub hits: i64,
    pub visitors: i64,
    pub signups: i64,
    pub confirmed: i64,
    /// `YYYY-MM-DD`, UTC.
    pub created: String,
}
