//! `users`
use sea_orm::entity::prelude::*;

#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub username: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub is_admin: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub signup_ip: Option<String>,
    pub last_login_ip: Option<String>,
    /// When the address in `email` was confirmed (notices go only to confirmed addresses).
    pub email_confirmed_at: Option<DateTimeUtc>,
    /// Part of every session's auth hash: bumping it signs out every session not re-signed.
    pub session_epoch: i32,
    /// Mail me when someone joins through my link.
    pub notify_joins: bool,
    /// Mail me when a referral of mine is confirmed and credited.
    pub notify_credits: bool,
    /// (Admins) mail me an hourly digest of referrals waiting for review.
    pub notify_digest: bool,
    /// When the account was deleted; its row stays, anonymised, for the totals.
    pub deleted_at: Option<DateTimeUtc>,
    /// The product's id for this user, when the product created them through the API.
    pub external_id: Option<String>,
    /// The name shown on `/leaderboard`; `None`: not shown there.
    pub leaderboard_name: Option<String>,
    /// The person who invited this user sees "a friend" instead of their username.
    pub hidden_from_referrer: bool,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("email", &self.email)
            .field("password_hash", &"[redacted]")
            .field("is_admin", &self.is_admin)
            .finish()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::referral_links::Entity")]
    ReferralLinks,
}

impl Related<super::referral_links::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ReferralLinks.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
