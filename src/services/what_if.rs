//! What-if: attribution replayed over the recorded hits under another model or window, to see
//! which referrals would have gone to someone else before changing the setting. It reads and
//! changes nothing; a new setting only ever applies to new referrals.
//!
//! Each referral is replayed as it was decided at sign-up: among the referred user's claimed
//! non-bot hits made before the referral was recorded and within the window, through a link
//! with an owner other than them that is not disabled (as links are now), the earliest (first
//! click) or the latest (last click) wins. Referrals an admin confirmed from a chosen hit are
//! not replayed. The hits are streamed, one pass, so the memory held is one entry per referral.
use crate::config::AttributionModel;
use crate::entities::referrals::ReferralStatus;
use crate::entities::{referral_hits, referral_links, referrals, reward_ledger, users};
use crate::error::Result;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait,
    StreamTrait,
};
use std::collections::HashMap;
use uuid::Uuid;

/// At most this many changed referrals are listed (all are counted).
pub const LISTED: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatIf {
    /// Referrals replayed (those an admin picked by hand are not).
    pub replayed: u64,
    /// Referrals confirmed by an admin from a chosen hit, left as they are.
    pub admin_picked: u64,
    /// Claimed non-bot hits read.
    pub hits_read: u64,
    /// Referrals whose referrer would change.
    pub changed: u64,
    /// Of those, confirmed ones: their credit would have gone to someone else, or to nobody.
    pub changed_confirmed: u64,
    /// The points credited on those confirmed referrals, net of reversals.
    pub points_moved: i64,
    /// The first [`LISTED`] changes, newest referral first.
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub referral_id: i32,
    pub referred: String,
    pub status: ReferralStatus,
    /// The referrer now (`None`: their account was deleted).
    pub referrer: Option<String>,
    /// The referrer under the other rule; `None`: no hit would qualify, so no referral.
    pub would_be: Option<String>,
    /// Points credited to the referrer now on this referral (net).
    pub points: i64,
}

/// One referral as the replay keeps it, with the best hit found so far.
struct Replay {
    id: i32,
    referred: i32,
    referrer: Option<i32>,
    created_at: DateTime<Utc>,
    status: ReferralStatus,
    best: Option<(DateTime<Utc>, Uuid, i32)>,
}

/// Replays attribution under `model` with a window of `window_days`.
pub async fn replay<C>(db: &C, model: AttributionModel, window_days: u32) -> Result<WhatIf>
where
    C: ConnectionTrait + StreamTrait,
{
    let window = chrono::Duration::days(i64::from(window_days));
    let mut by_referred: HashMap<i32, Replay> = HashMap::new();
    let mut admin_picked = 0;
    let rows = referrals::Entity::find()
        .select_only()
        .columns([
            referrals::Column::Id,
            referrals::Column::ReferredUserId,
            referrals::Column::ReferrerUserId,
            referrals::Column::CreatedAt,
            referrals::Column::Status,
            referrals::Column::RuleModel,
        ])
        .into_tuple::<(i32, i32, Option<i32>, DateTime<Utc>, String, Option<String>)>()
        .all(db)
        .await?;
    for (id, referred, referrer, created_at, status, rule) in rows {
        let status: ReferralStatus = status.parse()?;
        if rule.as_deref() == Some("admin_pick") {
            admin_picked += 1;
            continue;
        }
        by_referred.insert(
            referred,
            Replay {
                id,
                referred,
                referrer,
                created_at,
                status,
                best: None,
            },
        );
    }

    let mut hits_read = 0;
    // SQLite would start from the links and fetch every hit of each through the link index,
    // claimed or not; its CROSS JOIN keeps the tables in the order written, so it reads the
    // claimed hits through their own index and looks each link up. PostgreSQL plans this
    // well itself, and has no CROSS JOIN … ON.
    let join = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Sqlite => JoinType::CrossJoin,
        _ => JoinType::InnerJoin,
    };
    {
        let mut hits = referral_hits::Entity::find()
            .select_only()
            .columns([
                referral_hits::Column::HitUserId,
                referral_hits::Column::Id,
                referral_hits::Column::CreatedAt,
            ])
            .column(referral_links::Column::UserId)
            .join(join, referral_hits::Relation::Link.def())
            .filter(referral_hits::Column::HitUserId.is_not_null())
            .filter(referral_hits::Column::IsBot.eq(false))
            .filter(referral_links::Column::UserId.is_not_null())
            .filter(referral_links::Column::Disabled.eq(false))
            .into_tuple::<(i32, Uuid, DateTime<Utc>, i32)>()
            .stream(db)
            .await?;
        while let Some((user, hit, at, owner)) = hits.try_next().await? {
            hits_read += 1;
            let Some(r) = by_referred.get_mut(&user) else {
                continue;
            };
            if owner == r.referred || at > r.created_at || at < r.created_at - window {
                continue;
            }
            let better = match (&r.best, model) {
                (None, _) => true,
                (Some((t, id, _)), AttributionModel::FirstClick) => (at, hit) < (*t, *id),
                (Some((t, id, _)), AttributionModel::LastClick) => (at, hit) > (*t, *id),
            };
            if better {
                r.best = Some((at, hit, owner));
            }
        }
    }

    let replayed = by_referred.len() as u64;
    let mut changed: Vec<Replay> = by_referred
        .into_values()
        .filter(|r| r.best.map(|(_, _, owner)| owner) != r.referrer)
        .collect();
    changed.sort_by_key(|r| std::cmp::Reverse(r.id));
    let confirmed: Vec<i32> = changed
        .iter()
        .filter(|r| r.status == ReferralStatus::Confirmed)
        .map(|r| r.id)
        .collect();
    let points = referrer_points(db, &changed).await?;
    let listed = &changed[..changed.len().min(LISTED)];
    let names = usernames(db, listed).await?;
    let name = |id: Option<i32>| id.and_then(|id| names.get(&id).cloned());
    Ok(WhatIf {
        replayed,
        admin_picked,
        hits_read,
        changed: changed.len() as u64,
        changed_confirmed: confirmed.len() as u64,
        points_moved: confirmed
            .iter()
            .map(|id| points.get(id).copied().unwrap_or(0))
            .sum(),
        changes: listed
            .iter()
            .map(|r| Change {
                referral_id: r.id,
                referred: name(Some(r.referred)).unwrap_or_else(|| "(deleted)".into()),
                status: r.status,
                referrer: name(r.referrer),
                would_be: r.best.and_then(|(_, _, owner)| name(Some(owner))),
                points: points.get(&r.id).copied().unwrap_or(0),
            })
            .collect(),
    })
}

/// The net points each referral in `changed` credited its referrer.
async fn referrer_points(
    db: &impl ConnectionTrait,
    changed: &[Replay],
) -> Result<HashMap<i32, i64>> {
    let mut points = HashMap::new();
    for chunk in changed.chunks(500) {
        let rows = reward_ledger::Entity::find()
            .select_only()
            .column(reward_ledger::Column::ReferralId)
            .column(reward_ledger::Column::UserId)
            .column_as(
                Expr::cust("CAST(COALESCE(SUM(amount), 0) AS BIGINT)"),
                "points",
            )
            .filter(reward_ledger::Column::ReferralId.is_in(chunk.iter().map(|r| r.id)))
            .group_by(reward_ledger::Column::ReferralId)
            .group_by(reward_ledger::Column::UserId)
            .into_tuple::<(i32, i32, i64)>()
            .all(db)
            .await?;
        let referrers: HashMap<i32, Option<i32>> =
            chunk.iter().map(|r| (r.id, r.referrer)).collect();
        for (referral, user, sum) in rows {
            if referrers.get(&referral).copied().flatten() == Some(user) {
                points.insert(referral, sum);
            }
        }
    }
    Ok(points)
}

async fn usernames(db: &impl ConnectionTrait, listed: &[Replay]) -> Result<HashMap<i32, String>> {
    let ids = listed.iter().flat_map(|r| {
        [
            Some(r.referred),
            r.referrer,
            r.best.map(|(_, _, owner)| owner),
        ]
        .into_iter()
        .flatten()
    });
    Ok(users::Entity::find()
        .select_only()
        .columns([users::Column::Id, users::Column::Username])
        .filter(users::Column::Id.is_in(ids))
        .into_tuple::<(i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HypeConfig;
    use crate::services::hits::{self, NewHit};
    use crate::services::links::{self, NewLink};
    use crate::services::referrals::{attribute_signup, confirm};
    use crate::test_support::{memory_db, user};

    #[tokio::test]
    async fn first_click_would_give_the_referral_to_the_earlier_link() {
        let db = memory_db().await;
        let alice = user(&db, "alice").await;
        let bob = user(&db, "bob").await;
        let admin = user(&db, "admin").await;
        let newcomer = user(&db, "newcomer").await;
        let visitor = Uuid::new_v4();
        for owner in [&alice, &bob] {
            let link = links::create(&db, owner.id, NewLink::default())
                .await
                .unwrap();
            let hit = NewHit {
                link_id: link.id,
                visitor_id: Some(visitor),
                ..Default::default()
            };
            hits::record(&db, hit).await.unwrap();
        }
        hits::claim(&db, visitor, newcomer.id).await.unwrap();
        let referral = attribute_signup(&db, &HypeConfig::default(), newcomer.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(referral.referrer_user_id, Some(bob.id), "last click");
        confirm(&db, referral.id, admin.id, false, 100)
            .await
            .unwrap();

        let same = replay(&db, AttributionModel::LastClick, 365).await.unwrap();
        assert_eq!((same.replayed, same.hits_read, same.changed), (1, 2, 0));

        let first = replay(&db, AttributionModel::FirstClick, 365)
            .await
            .unwrap();
        assert_eq!(first.changed, 1);
        assert_eq!(first.changed_confirmed, 1);
        assert_eq!(first.points_moved, 100);
        let change = &first.changes[0];
        assert_eq!(change.referrer.as_deref(), Some("bob"));
        assert_eq!(change.would_be.as_deref(), Some("alice"));
        assert_eq!(change.referred, "newcomer");

        // A window of 0 days: no hit is early enough, so nobody would have referred them.
        let none = replay(&db, AttributionModel::LastClick, 0).await.unwrap();
        assert_eq!(none.changed, 1);
        assert_eq!(none.changes[0].would_be, None);
        // Nothing was changed by replaying.
        let after = crate::services::referrals::find_for_referred(&db, newcomer.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.referrer_user_id, Some(bob.id));
        assert_eq!(
            crate::services::ledger::balance(&db, bob.id).await.unwrap(),
            100
        );
    }
}
