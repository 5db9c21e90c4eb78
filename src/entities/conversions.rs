//! `conversions`: what the product reported, one row per API key and `Idempotency-Key`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub api_key_id: i32,
    pub idempotency_key: String,
    /// SHA-256 of the request body (its JSON, keys sorted): a retry must send the same.
    pub request_hash: String,
    pub referred_user_id: i32,
    /// The referee's referral when there was one.
    pub referral_id: Option<i32>,
    pub event: String,
    /// In the currency's minor unit (cents).
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub occurred_at: DateTimeUtc,
    /// The JSON answered the first time, answered again to a retry.
    pub response: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
