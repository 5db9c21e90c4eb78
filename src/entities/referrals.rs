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
    pub status: ReferralStatus,
    pub flags: String,
    pub created_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<i32>,
    /// The attribution model in force when it was recorded: `first_click`, `last_click`, or
    /// `admin_pick` (confirmed from a hit); `None` for referrals older than this column.
    pub rule_model: Option<String>,
    /// The attribution window then, in days (`None` for `admin_pick` and older referrals).
    pub rule_window_days: Option<i32>,
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

/// Where a referral stands; stored as its text in the `status` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReferralStatus {
    /// Waiting for an admin (or, later, a conversion).
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Credited to the referrer.
    #[sea_orm(string_value = "confirmed")]
    Confirmed,
    /// Closed without credit.
    #[sea_orm(string_value = "rejected")]
    Rejected,
}

impl ReferralStatus {
    /// The stored text: `pending`, `confirmed` or `rejected`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Rejected => "rejected",
        }
    }
}

impl std::str::FromStr for ReferralStatus {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pending" => Ok(Self::Pending),
            "confirmed" => Ok(Self::Confirmed),
            "rejected" => Ok(Self::Rejected),
            _ => Err(crate::Error::invalid(
                "The status is pending, confirmed or rejected.",
            )),
        }
    }
}
