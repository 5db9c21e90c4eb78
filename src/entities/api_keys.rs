//! `api_keys`: keys for `/api/v1`, stored as their SHA-256 beside a visible prefix.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// What the admin called it; the audit log names decisions taken through it by this.
    pub name: String,
    /// The key's first characters (`hype_ab12cd34`), shown so a key can be recognised.
    pub prefix: String,
    pub key_hash: String,
    /// Comma-separated scopes, as `conversions:write,referrals:read`.
    pub scopes: String,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
