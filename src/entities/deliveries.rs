//! `deliveries`: one row per event and destination (a webhook endpoint, or a user's mailbox),
//! with its attempts.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub event_id: Uuid,
    pub endpoint_id: Option<i32>,
    /// For a mail: the user it goes to (`endpoint_id` is then empty).
    pub recipient_id: Option<i32>,
    /// The event's subject, copied here so the worker keeps one subject's deliveries in order.
    pub subject: String,
    pub state: DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// While an instance is attempting it: until when the others leave it alone.
    pub leased_until: Option<DateTimeUtc>,
    /// The HTTP status of the last answer, if there was one.
    pub last_status: Option<i32>,
    /// An excerpt of the last answer, or why there was none.
    pub last_result: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum DeliveryState {
    /// Waiting for its next attempt (or being attempted).
    #[sea_orm(string_value = "pending")]
    Pending,
    /// The receiver answered 2xx.
    #[sea_orm(string_value = "delivered")]
    Delivered,
    /// Given up after the last retry.
    #[sea_orm(string_value = "failed")]
    Failed,
}

impl DeliveryState {
    /// The state as stored: `pending`, `delivered` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
