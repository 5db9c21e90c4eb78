//! Who referred a new user: decided once, at sign-up, from their claimed hits, with the
//! flags that make a referral look like a self-referral.
use super::listing::find_for_referred;
use crate::config::{AttributionModel, HypeConfig};
use crate::entities::referrals::ReferralStatus;
use crate::entities::{referral_hits, referrals, users};
use crate::error::Result;
use crate::outbox::EventType;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait, TryInsertResult,
};

/// Why a referral looks like a self-referral. A referral's `flags` column holds the flags it
/// was given, comma-separated, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// The winning hit came from the link owner's own browser: a visitor id the owner signed
    /// in with (some of that visitor's hits are claimed by the owner).
    OwnerHit,
    /// The new user shares an address with the referrer.
    SameIp,
}

impl Flag {
    /// The flag as stored: `owner_hit` or `same_ip`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OwnerHit => "owner_hit",
            Self::SameIp => "same_ip",
        }
    }
}

/// The rule that picked a referral's winning hit, stored on the referral for its receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The attribution model and window in force.
    Setting(AttributionModel, u32),
    /// An admin confirmed the referral from one of the user's hits.
    AdminPick,
}

impl Rule {
    /// The rule `config` sets.
    pub fn of(config: &HypeConfig) -> Self {
        Self::Setting(config.attribution_model, config.attribution_window_days)
    }

    /// The model as stored (`first_click`, `last_click`, `admin_pick`) and the window.
    pub fn stored(self) -> (&'static str, Option<i32>) {
        match self {
            Self::Setting(model, days) => (
                model.as_str(),
                Some(i32::try_from(days).unwrap_or(i32::MAX)),
            ),
            Self::AdminPick => ("admin_pick", None),
        }
    }
}

/// Records the referral of a just-signed-up user, if any of their claimed hits wins the
/// attribution. A user is referred at most once: a second call changes nothing.
pub async fn attribute_signup<C>(
    db: &C,
    config: &HypeConfig,
    user_id: i32,
) -> Result<Option<referrals::Model>>
where
    C: ConnectionTrait + TransactionTrait,
{
    let Some((hit, link)) =
        crate::services::hits::winning_hit_for_user(db, config, user_id).await?
    else {
        return Ok(None);
    };
    record_pending(db, user_id, link.user_id, &hit, Rule::of(config)).await
}

/// Records a pending referral of `referred_id` to `referrer_id`, won by `hit`, with its flags
/// and its `referral.created` event, and the `rule` that picked `hit`, unless the user already has one: a user is referred
/// once, and the unique key on the referred user decides, not a check in Rust. Returns the
/// user's referral, whichever hit won.
pub(super) async fn record_pending<C>(
    db: &C,
    referred_id: i32,
    referrer_id: Option<i32>,
    hit: &referral_hits::Model,
    rule: Rule,
) -> Result<Option<referrals::Model>>
where
    C: ConnectionTrait + TransactionTrait,
{
    let flags = flags_for(db, referred_id, referrer_id, hit).await?;
    let (rule_model, rule_window_days) = rule.stored();
    let txn = db.begin().await?;
    let inserted = referrals::Entity::insert(referrals::ActiveModel {
        referred_user_id: Set(referred_id),
        referrer_user_id: Set(referrer_id),
        referral_hit_id: Set(Some(hit.id)),
        status: Set(ReferralStatus::Pending),
        flags: Set(flags),
        created_at: Set(crate::services::now()),
        decided_at: Set(None),
        decided_by: Set(None),
        rule_model: Set(Some(rule_model.to_owned())),
        rule_window_days: Set(rule_window_days),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(referrals::Column::ReferredUserId)
            .do_nothing()
            .to_owned(),
    )
    .do_nothing()
    .exec(&txn)
    .await?;
    if let TryInsertResult::Inserted(inserted) = inserted {
        crate::outbox::emit_referral(
            &txn,
            inserted.last_insert_id,
            &[(EventType::ReferralCreated, None)],
        )
        .await?;
    }
    txn.commit().await?;
    find_for_referred(db, referred_id).await
}

/// Why a referral looks like a self-referral (comma-separated flags; empty when it doesn't).
async fn flags_for(
    db: &impl ConnectionTrait,
    referred_id: i32,
    referrer_id: Option<i32>,
    hit: &referral_hits::Model,
) -> Result<String> {
    let Some(referrer_id) = referrer_id else {
        return Ok(String::new());
    };
    let mut flags = Vec::new();
    if let Some(visitor) = hit.visitor_id {
        let owners_browser = referral_hits::Entity::find()
            .filter(referral_hits::Column::VisitorId.eq(visitor))
            .filter(referral_hits::Column::HitUserId.eq(referrer_id))
            .one(db)
            .await?
            .is_some();
        if owners_browser {
            flags.push(Flag::OwnerHit);
        }
    }
    let referred = users::Entity::find_by_id(referred_id).one(db).await?;
    let referrer = users::Entity::find_by_id(referrer_id).one(db).await?;
    if let (Some(referred), Some(referrer)) = (referred, referrer) {
        let owner_ips: Vec<&str> = [&referrer.signup_ip, &referrer.last_login_ip]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        let visitor_ips = [&referred.signup_ip, &referred.last_login_ip, &hit.ip];
        if visitor_ips
            .into_iter()
            .flatten()
            .any(|ip| owner_ips.contains(&ip.as_str()))
        {
            flags.push(Flag::SameIp);
        }
    }
    Ok(flags
        .iter()
        .map(|f: &Flag| f.as_str())
        .collect::<Vec<_>>()
        .join(","))
}
