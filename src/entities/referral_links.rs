//! `referral_links`
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referral_links")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub identifier: String,
    pub user_id: Option<i32>,
    pub label: String,
    pub disabled: bool,
    /// Disabled by an admin: only an admin can enable it again.
    pub disabled_by_admin: bool,
    /// Where `/ref` sends a visitor who brings no `next` (a URL on an allowed host).
    pub destination: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "SetNull"
    )]
    User,
    #[sea_orm(has_many = "super::referral_hits::Entity")]
    Hits,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::referral_hits::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Hits.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
