//! `referrals`
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referrals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub referred_user_id: i32,
    pub referrer_user_id: Option<i32>,
    pub referral_hit_id: Option<Uuid>,
    pub status: String,
    pub flags: String,
    pub created_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::referral_hits::Entity",
        from = "Column::ReferralHitId",
        to = "super::referral_hits::Column::Id",
        on_delete = "SetNull"
    )]
    Hit,
}

impl Related<super::referral_hits::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Hit.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

pub const STATUS_PENDING: &str = "pending";
pub const STATUS_CONFIRMED: &str = "confirmed";
pub const STATUS_REJECTED: &str = "rejected";
