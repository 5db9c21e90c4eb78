//! `outbox_events`: every event worth telling, written in the transaction of its change.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_events")]
pub struct Model {
    /// Also the `webhook-id` every delivery of the event carries (`msg_<simple uuid>`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub event_type: String,
    /// What the event is about (`referral:12`, `user:3`): deliveries of one subject to one
    /// endpoint go out in the order of their events.
    pub subject: String,
    /// The JSON of the body's `data`.
    pub data: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
