//! `webhook_endpoints`: where admins want events sent, with each endpoint's signing secret.
use sea_orm::entity::prelude::*;

#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub url: String,
    /// `whsec_<base64 key>`.
    pub secret: String,
    /// The event types it wants, comma-separated; empty for all of them.
    pub events: String,
    pub enabled: bool,
    /// Why the site disabled it (failing for days), for the admins.
    pub disabled_reason: Option<String>,
    /// The first failure since its last success.
    pub failing_since: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookEndpoint")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
