//! `/leaderboard`: referrers ranked by confirmed referrals, this month or ever. Only users who
//! chose a display name appear by it (the default is not to); a signed-in user always learns
//! their own rank. An admin can turn the page off (the `leaderboard` setting).
//!
//! One grouped query over confirmed referrals (index on status, decision time, referrer)
//! ranks everyone; the names are read for the rows shown only.
use crate::entities::referrals::ReferralStatus;
use crate::entities::{referrals, settings, users};
use crate::error::{Error, Result};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::HashMap;

const SETTING: &str = "leaderboard";
/// The most characters of a display name.
pub const MAX_NAME_CHARS: usize = 40;
/// Rows shown.
pub const SHOWN: usize = 50;

/// Which confirmations count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Confirmed since the first of this month (UTC).
    Month,
    AllTime,
}

/// One row of the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Competition ranking: equal counts share a rank (1, 2, 2, 4).
    pub rank: u64,
    pub name: String,
    pub confirmed: i64,
    /// The viewer's own row.
    pub me: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Board {
    /// The opted-in referrers, best first, at most [`SHOWN`].
    pub entries: Vec<Entry>,
    /// The viewer's rank and count, shown or not (`None`: no confirmed referral yet).
    pub mine: Option<(u64, i64)>,
}

/// Whether the page is on (it is unless an admin turned it off).
pub async fn enabled(db: &impl ConnectionTrait) -> Result<bool> {
    Ok(settings::Entity::find_by_id(SETTING)
        .one(db)
        .await?
        .is_none_or(|row| row.value != "off"))
}

/// Turns the page on or off; the audit log records who did.
pub async fn set_enabled(db: &impl ConnectionTrait, admin_id: i32, on: bool) -> Result<()> {
    let value = if on { "on" } else { "off" };
    settings::Entity::insert(settings::ActiveModel {
        key: Set(SETTING.into()),
        value: Set(value.into()),
    })
    .on_conflict(
        OnConflict::column(settings::Column::Key)
            .update_column(settings::Column::Value)
            .to_owned(),
    )
    .exec(db)
    .await?;
    super::audit::record(db, admin_id, "set_leaderboard", "settings", SETTING, value).await
}

/// Shows `user_id` on the board under `name`, or (with `None` or a blank name) takes them off.
///
/// Errors: `Invalid` for a name over 40 characters or with control characters.
pub async fn set_name(db: &impl ConnectionTrait, user_id: i32, name: Option<&str>) -> Result<()> {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    if let Some(name) = name {
        if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(Error::invalid(
                "A display name has 1 to 40 characters, without control characters.",
            ));
        }
    }
    users::Entity::update_many()
        .col_expr(users::Column::LeaderboardName, Expr::value(name))
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

#[derive(FromQueryResult)]
struct Count {
    referrer_user_id: i32,
    confirmed: i64,
}

fn month_start(now: DateTime<Utc>) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(now)
}

/// The board for `period` as `viewer` sees it.
pub async fn board(
    db: &impl ConnectionTrait,
    period: Period,
    viewer: Option<i32>,
    now: DateTime<Utc>,
) -> Result<Board> {
    let mut counts = referrals::Entity::find()
        .select_only()
        .column(referrals::Column::ReferrerUserId)
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "confirmed")
        .filter(referrals::Column::Status.eq(ReferralStatus::Confirmed))
        .filter(referrals::Column::ReferrerUserId.is_not_null())
        .group_by(referrals::Column::ReferrerUserId)
        .order_by_desc(Expr::cust("2"))
        .order_by_asc(referrals::Column::ReferrerUserId);
    if period == Period::Month {
        counts = counts.filter(referrals::Column::DecidedAt.gte(month_start(now)));
    }
    let counts: Vec<Count> = counts.into_model::<Count>().all(db).await?;
    // Ranks over everyone with a confirmed referral, shown or not.
    let mut ranked = Vec::with_capacity(counts.len());
    let mut rank = 0;
    for (i, c) in counts.iter().enumerate() {
        if i == 0 || counts[i - 1].confirmed != c.confirmed {
            rank = i as u64 + 1;
        }
        ranked.push((rank, c));
    }
    let mine = viewer.and_then(|me| {
        ranked
            .iter()
            .find(|(_, c)| c.referrer_user_id == me)
            .map(|(rank, c)| (*rank, c.confirmed))
    });
    // The names of the opted-in, read in pages of ids until enough rows are found.
    let mut entries = Vec::new();
    for chunk in ranked.chunks(500) {
        let ids: Vec<i32> = chunk.iter().map(|(_, c)| c.referrer_user_id).collect();
        let names: HashMap<i32, String> = users::Entity::find()
            .filter(users::Column::Id.is_in(ids))
            .filter(users::Column::LeaderboardName.is_not_null())
            .filter(users::Column::DeletedAt.is_null())
            .all(db)
            .await?
            .into_iter()
            .filter_map(|u| u.leaderboard_name.map(|n| (u.id, n)))
            .collect();
        for (rank, c) in chunk {
            if let Some(name) = names.get(&c.referrer_user_id) {
                entries.push(Entry {
                    rank: *rank,
                    name: name.clone(),
                    confirmed: c.confirmed,
                    me: Some(c.referrer_user_id) == viewer,
                });
            }
        }
        if entries.len() >= SHOWN {
            entries.truncate(SHOWN);
            break;
        }
    }
    Ok(Board { entries, mine })
}
