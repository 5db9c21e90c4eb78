//! `account_tokens`: single-use password-reset and address-confirmation tokens. Only the
//! token's SHA-256 is stored; the token itself is an HMAC of `nonce` under the site's secret
//! key, so the mail worker can rebuild it and a copy of the database alone cannot.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    /// `reset` or `confirm`.
    pub purpose: String,
    pub nonce: String,
    pub token_hash: String,
    /// For `confirm`: the address being confirmed.
    pub email: Option<String>,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
