//! A referral's receipt: the referred user's journey (their claimed visits), the rule that
//! picked the winning visit and why, the flags and what raised each, every decision with who
//! and when, the conversions the product reported, and the ledger entries it made.
//!
//! Admins see all of it. The referrer sees it without the referred user's addresses and
//! browsers, other people's links as "another link", deciders as "an admin" or "the product",
//! and the referred user as "a friend" when they asked to be hidden. The referred user sees
//! their own data in full. Anyone else gets `NotFound`, as for a referral that doesn't exist.
use crate::config::HypeConfig;
use crate::entities::{
    audit_log, conversions, referral_hits, referral_links, referrals, reward_ledger, users,
};
use crate::error::{Error, Result};
use crate::services::referrals::{Flag, Rule};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;

/// At most this many visits are listed (the winning one always is).
const JOURNEY_LIMIT: u64 = 200;

/// Who is reading a receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Admin,
    Referrer,
    Referee,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub id: i32,
    pub viewer: Viewer,
    /// `pending`, `confirmed`, `rejected` or `declined`.
    pub status: &'static str,
    /// When the referral was recorded (the referred user joined).
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    /// `None`: the referrer's account was deleted.
    pub referrer: Option<String>,
    /// The referred user's username, or "a friend".
    pub referred: String,
    /// The rule in force, in words ("last click, 30-day window").
    pub rule: String,
    /// Which visit won and why, in words.
    pub why: String,
    pub journey: Vec<Visit>,
    /// Visits left out of `journey` (past [`JOURNEY_LIMIT`]).
    pub more_visits: u64,
    /// Each flag as stored and what raised it.
    pub flags: Vec<(String, String)>,
    pub decisions: Vec<DecisionEntry>,
    pub conversions: Vec<ConversionEntry>,
    pub ledger: Vec<LedgerEntry>,
}

/// One claimed visit of the referred user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub id: uuid::Uuid,
    pub at: DateTime<Utc>,
    /// The link's identifier, or "another link" (for the referrer, someone else's).
    pub link: String,
    /// The site that sent the visitor, `None` when the browser named none.
    pub from_site: Option<String>,
    pub won: bool,
    /// Where the visit stood for the rule: `window`, `before the window`, `after joining`.
    pub standing: &'static str,
    /// Admins and the referred user only.
    pub ip: Option<String>,
    /// Admins and the referred user only.
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionEntry {
    pub at: DateTime<Utc>,
    /// In words: "Confirmed", "Rejected", "Declined by the person invited"…
    pub what: String,
    /// An admin's username (for admins), "an admin", "the product (API key …)", or the
    /// referred user.
    pub by: String,
    /// The audit detail, for admins.
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversionEntry {
    pub at: DateTime<Utc>,
    pub event: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub at: DateTime<Utc>,
    /// Whose entry: a username, or "you".
    pub who: String,
    pub amount: i64,
    pub reason: String,
}

/// The receipt of `referral_id` as the signed-in user `viewer_id` (an admin when `is_admin`)
/// may see it; `config` gives the rule for referrals recorded before the rule was kept with
/// each.
pub async fn receipt(
    db: &impl ConnectionTrait,
    config: &HypeConfig,
    referral_id: i32,
    viewer_id: i32,
    is_admin: bool,
) -> Result<Receipt> {
    let missing = || Error::NotFound("No such referral.".into());
    let referral = referrals::Entity::find_by_id(referral_id)
        .one(db)
        .await?
        .ok_or_else(missing)?;
    let as_viewer = if is_admin {
        Viewer::Admin
    } else if viewer_id == referral.referred_user_id {
        Viewer::Referee
    } else if Some(viewer_id) == referral.referrer_user_id {
        Viewer::Referrer
    } else {
        return Err(missing());
    };
    let audit = audit_log::Entity::find()
        .filter(audit_log::Column::TargetTable.eq("referrals"))
        .filter(audit_log::Column::TargetId.eq(referral.id.to_string()))
        .order_by_asc(audit_log::Column::Id)
        .limit(200)
        .all(db)
        .await?;
    let names = usernames(db, &referral, &audit).await?;
    let name = |id: i32| names.get(&id).map(|u| u.username.clone());
    let referred_user = names.get(&referral.referred_user_id);
    let hidden = referred_user.is_some_and(|u| u.hidden_from_referrer);
    let referred = match name(referral.referred_user_id) {
        Some(username) => {
            super::referee_shown_as(&username, hidden && as_viewer == Viewer::Referrer).to_owned()
        }
        None => "a deleted account".to_owned(),
    };
    let status = super::referee::status_of(&referral);
    let rule = stored_rule(&referral);
    let (journey, more_visits) = journey(db, &referral, rule, as_viewer, viewer_id).await?;
    let decisions = decisions(audit, &referral, as_viewer, &names);
    let conversions = conversions::Entity::find()
        .filter(conversions::Column::ReferralId.eq(referral.id))
        .order_by_asc(conversions::Column::OccurredAt)
        .limit(100)
        .all(db)
        .await?
        .into_iter()
        .map(|c| ConversionEntry {
            at: c.occurred_at,
            event: c.event,
        })
        .collect();
    let mut ledger = ledger(db, &referral, as_viewer, viewer_id, &names).await?;
    if let (Viewer::Referrer, true, Some(user)) = (as_viewer, hidden, referred_user) {
        for entry in &mut ledger {
            entry.reason = super::ledger::hide_referred(&entry.reason, &user.username);
        }
    }
    Ok(Receipt {
        id: referral.id,
        viewer: as_viewer,
        status,
        created_at: referral.created_at,
        decided_at: referral.decided_at,
        referrer: referral.referrer_user_id.and_then(name),
        referred,
        rule: rule_words(rule, config),
        why: why(rule, config, &journey),
        journey,
        more_visits,
        flags: flags(&referral.flags),
        decisions,
        conversions,
        ledger,
    })
}

/// The referral's people, and everyone who decided on it (from its `audit` rows).
async fn usernames(
    db: &impl ConnectionTrait,
    referral: &referrals::Model,
    audit: &[audit_log::Model],
) -> Result<HashMap<i32, users::Model>> {
    let ids = audit
        .iter()
        .filter_map(|row| row.actor_user_id)
        .chain([referral.referred_user_id])
        .chain(referral.referrer_user_id);
    Ok(users::Entity::find()
        .filter(users::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect())
}

/// The rule stored with the referral; `None` for one recorded before rules were kept.
fn stored_rule(referral: &referrals::Model) -> Option<Rule> {
    match (referral.rule_model.as_deref(), referral.rule_window_days) {
        (Some("admin_pick"), _) => Some(Rule::AdminPick),
        (Some(model), Some(days)) => {
            let model = model.parse().ok()?;
            Some(Rule::Setting(model, u32::try_from(days).ok()?))
        }
        _ => None,
    }
}

fn model_words(model: crate::config::AttributionModel) -> &'static str {
    match model {
        crate::config::AttributionModel::LastClick => "last click",
        crate::config::AttributionModel::FirstClick => "first click",
    }
}

fn rule_words(rule: Option<Rule>, config: &HypeConfig) -> String {
    match rule {
        Some(Rule::Setting(model, days)) => {
            format!("{}, {days}-day window", model_words(model))
        }
        Some(Rule::AdminPick) => "chosen by an admin from the visits".into(),
        None => format!(
            "not recorded (this referral predates it); today's rule is {}, {}-day window",
            model_words(config.attribution_model),
            config.attribution_window_days
        ),
    }
}

fn why(rule: Option<Rule>, config: &HypeConfig, journey: &[Visit]) -> String {
    let Some(winner) = journey.iter().find(|v| v.won) else {
        return "The winning visit is no longer recorded.".into();
    };
    let in_window = journey.iter().filter(|v| v.standing == "window").count();
    let at = winner.at.format("%Y-%m-%d %H:%M UTC");
    let (model, days) = match rule {
        Some(Rule::AdminPick) => {
            return format!(
                "An admin confirmed this referral from the visit of {at} in the hits browser."
            )
        }
        Some(Rule::Setting(model, days)) => (model, days),
        None => (config.attribution_model, config.attribution_window_days),
    };
    let pick = match model {
        crate::config::AttributionModel::LastClick => "the latest",
        crate::config::AttributionModel::FirstClick => "the earliest",
    };
    let standing = match in_window {
        1 => "the only visit in that window".to_owned(),
        n => format!("{pick} of the {n} visits in that window"),
    };
    format!(
        "The visit of {at} won: under {}, {pick} visit through someone else's live link in the \
         {days} days before joining wins, and it was {standing}.",
        model_words(model)
    )
}

async fn journey(
    db: &impl ConnectionTrait,
    referral: &referrals::Model,
    rule: Option<Rule>,
    viewer: Viewer,
    viewer_id: i32,
) -> Result<(Vec<Visit>, u64)> {
    let of_user = || {
        referral_hits::Entity::find()
            .filter(referral_hits::Column::HitUserId.eq(referral.referred_user_id))
            .filter(referral_hits::Column::IsBot.eq(false))
    };
    let mut hits = of_user()
        .find_also_related(referral_links::Entity)
        .order_by_asc(referral_hits::Column::CreatedAt)
        .order_by_asc(referral_hits::Column::Id)
        .limit(JOURNEY_LIMIT)
        .all(db)
        .await?;
    let listed = hits.len() as u64;
    let total = sea_orm::PaginatorTrait::count(of_user(), db).await?;
    if let Some(winner) = referral.referral_hit_id {
        if !hits.iter().any(|(h, _)| h.id == winner) {
            if let Some(found) = referral_hits::Entity::find_by_id(winner)
                .find_also_related(referral_links::Entity)
                .one(db)
                .await?
            {
                hits.push(found);
            }
        }
    }
    let window = match rule {
        Some(Rule::Setting(_, days)) => Some(chrono::Duration::days(i64::from(days))),
        _ => None,
    };
    let full = viewer != Viewer::Referrer;
    let visits = hits
        .into_iter()
        .map(|(hit, link)| {
            let own = link.as_ref().and_then(|l| l.user_id) == Some(viewer_id);
            let link = match link {
                Some(l) if full || own => l.identifier,
                Some(_) => "another link".into(),
                None => "a deleted link".into(),
            };
            let standing = if hit.created_at > referral.created_at {
                "after joining"
            } else if window.is_some_and(|w| hit.created_at < referral.created_at - w) {
                "before the window"
            } else {
                "window"
            };
            Visit {
                id: hit.id,
                at: hit.created_at,
                link,
                from_site: (!hit.http_referer.is_empty())
                    .then(|| super::link_report::referer_host(&hit.http_referer)),
                won: Some(hit.id) == referral.referral_hit_id,
                standing,
                ip: hit.ip.filter(|_| full),
                user_agent: (full && !hit.user_agent.is_empty()).then_some(hit.user_agent),
            }
        })
        .collect();
    Ok((visits, total.saturating_sub(listed)))
}

fn flags(stored: &str) -> Vec<(String, String)> {
    stored
        .split(',')
        .filter(|f| !f.is_empty())
        .map(|flag| {
            let why = if flag == Flag::OwnerHit.as_str() {
                "The winning visit came from a browser the referrer has signed in with."
            } else if flag == Flag::SameIp.as_str() {
                "The new user signed up, signed in or visited from an address the referrer has \
                 signed up or signed in from."
            } else {
                "A flag this version of hype doesn't know."
            };
            (flag.to_owned(), why.to_owned())
        })
        .collect()
}

fn decisions(
    rows: Vec<audit_log::Model>,
    referral: &referrals::Model,
    viewer: Viewer,
    names: &HashMap<i32, users::Model>,
) -> Vec<DecisionEntry> {
    rows.into_iter()
        .map(|row| {
            let what = match row.action.as_str() {
                "confirm_referral" => "Confirmed",
                "confirm_referral_override" => "Confirmed despite its flags",
                "reject_referral" => "Rejected",
                "unconfirm_referral" => "Unconfirmed (its credit reversed)",
                super::referee::DECLINE => "Declined by the person invited",
                other => other,
            }
            .to_owned();
            // Decisions through an API key have no user; their detail starts with the key.
            let api_key = row
                .detail
                .strip_prefix("API key \"")
                .and_then(|rest| rest.split('"').next())
                .filter(|_| row.actor_user_id.is_none());
            let by = match (row.actor_user_id, api_key) {
                (Some(id), _) if id == referral.referred_user_id => match viewer {
                    Viewer::Referee => "you".to_owned(),
                    _ => "the person invited".to_owned(),
                },
                (Some(id), _) if viewer == Viewer::Admin => names
                    .get(&id)
                    .map(|u| u.username.clone())
                    .unwrap_or_else(|| "a deleted admin".into()),
                (Some(_), _) => "an admin".into(),
                (None, Some(key)) if viewer == Viewer::Admin => {
                    format!("the product (API key \"{key}\")")
                }
                (None, Some(_)) => "the product".into(),
                (None, None) => "hype".into(),
            };
            DecisionEntry {
                at: row.created_at,
                what,
                by,
                detail: (viewer == Viewer::Admin && !row.detail.is_empty()).then_some(row.detail),
            }
        })
        .collect()
}

async fn ledger(
    db: &impl ConnectionTrait,
    referral: &referrals::Model,
    viewer: Viewer,
    viewer_id: i32,
    names: &HashMap<i32, users::Model>,
) -> Result<Vec<LedgerEntry>> {
    let mut query = reward_ledger::Entity::find()
        .filter(reward_ledger::Column::ReferralId.eq(referral.id))
        .order_by_asc(reward_ledger::Column::Id)
        .limit(200);
    if viewer != Viewer::Admin {
        query = query.filter(reward_ledger::Column::UserId.eq(viewer_id));
    }
    Ok(query
        .all(db)
        .await?
        .into_iter()
        .map(|e| LedgerEntry {
            at: e.created_at,
            who: if viewer == Viewer::Admin {
                names
                    .get(&e.user_id)
                    .map(|u| u.username.clone())
                    .unwrap_or_else(|| format!("user {}", e.user_id))
            } else {
                "you".into()
            },
            amount: e.amount,
            reason: e.reason,
        })
        .collect())
}
