//! `referral_hits`
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referral_hits")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub referral_link_id: i32,
    pub visitor_id: Option<Uuid>,
    pub authenticated: bool,
    pub hit_user_id: Option<i32>,
    pub ip: Option<String>,
    pub user_agent: String,
    pub http_referer: String,
    pub next: String,
    pub confirmed: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Made by a link-preview fetcher or a crawler: kept for the record, counted nowhere.
    pub is_bot: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::referral_links::Entity",
        from = "Column::ReferralLinkId",
        to = "super::referral_links::Column::Id",
        on_delete = "Cascade"
    )]
    Link,
}

impl Related<super::referral_links::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Link.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
