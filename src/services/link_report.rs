//! What one link did, for its own page: visits and sign-ups per UTC day over the last N days,
//! the sites that sent its visitors (Referer hosts), and the points it earned its owner.
//! Each figure is one grouped query over the link's hits (index on link and time).
use crate::entities::{referral_hits, referral_links, referrals, reward_ledger};
use crate::error::Result;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseBackend, FromQueryResult};
use std::collections::HashMap;

/// Visits and sign-ups of one UTC day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub visits: i64,
    pub signups: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkReport {
    /// Every day of the period, oldest first, with zeros where nothing happened.
    pub days: Vec<Day>,
    /// Referer hosts in the period, most visits first (at most 10; visits without a Referer
    /// are not listed).
    pub referers: Vec<(String, i64)>,
    /// The sum of the ledger entries of the referrals this link won (credits less reversals).
    pub points: i64,
}

#[derive(FromQueryResult)]
struct DayRow {
    day: String,
    n: i64,
}

#[derive(FromQueryResult)]
struct RefererRow {
    referer: String,
    n: i64,
}

#[derive(FromQueryResult)]
struct SumRow {
    total: i64,
}

/// `column` (a UTC timestamp) as its `YYYY-MM-DD`.
fn day_of(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => {
            format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
        }
        // Stored as RFC 3339 text in UTC: the date is its first ten characters.
        _ => format!("substr({column}, 1, 10)"),
    }
}

fn per_day(backend: DatabaseBackend, from: &str, column: &str) -> SelectStatement {
    let mut query = Query::select();
    query
        .expr_as(Expr::cust(day_of(backend, column)), Alias::new("day"))
        .expr_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), Alias::new("n"))
        .from_as(Alias::new(from), Alias::new("t"))
        .add_group_by([Expr::cust("1")]);
    query
}

/// The report of `link` over the `days` days up to and including `today` (UTC).
pub async fn report(
    db: &impl ConnectionTrait,
    link: &referral_links::Model,
    days: u32,
    today: NaiveDate,
) -> Result<LinkReport> {
    let backend = db.get_database_backend();
    let first = today - Duration::days(i64::from(days.max(1)) - 1);
    let since: DateTime<Utc> = first.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();

    let mut visits = per_day(backend, "referral_hits", "t.created_at");
    visits
        .and_where(Expr::col((Alias::new("t"), referral_hits::Column::ReferralLinkId)).eq(link.id))
        .and_where(Expr::col((Alias::new("t"), referral_hits::Column::CreatedAt)).gte(since))
        .and_where(Expr::col((Alias::new("t"), referral_hits::Column::IsBot)).eq(false));
    let mut signups = per_day(backend, "referrals", "t.created_at");
    signups
        .inner_join(
            referral_hits::Entity,
            Expr::col((referral_hits::Entity, referral_hits::Column::Id))
                .equals((Alias::new("t"), referrals::Column::ReferralHitId)),
        )
        .and_where(
            Expr::col((referral_hits::Entity, referral_hits::Column::ReferralLinkId)).eq(link.id),
        )
        .and_where(Expr::col((Alias::new("t"), referrals::Column::CreatedAt)).gte(since));
    let mut by_day: HashMap<String, (i64, i64)> = HashMap::new();
    for row in DayRow::find_by_statement(backend.build(&visits))
        .all(db)
        .await?
    {
        by_day.entry(row.day).or_default().0 = row.n;
    }
    for row in DayRow::find_by_statement(backend.build(&signups))
        .all(db)
        .await?
    {
        by_day.entry(row.day).or_default().1 = row.n;
    }
    let days = first
        .iter_days()
        .take_while(|d| *d <= today)
        .map(|d| {
            let day = d.format("%Y-%m-%d").to_string();
            let (visits, signups) = by_day.get(&day).copied().unwrap_or_default();
            Day {
                day,
                visits,
                signups,
            }
        })
        .collect();

    let mut referers = Query::select();
    referers
        .expr_as(
            Expr::col(referral_hits::Column::HttpReferer),
            Alias::new("referer"),
        )
        .expr_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), Alias::new("n"))
        .from(referral_hits::Entity)
        .and_where(Expr::col(referral_hits::Column::ReferralLinkId).eq(link.id))
        .and_where(Expr::col(referral_hits::Column::CreatedAt).gte(since))
        .and_where(Expr::col(referral_hits::Column::HttpReferer).ne(""))
        .and_where(Expr::col(referral_hits::Column::IsBot).eq(false))
        .group_by_col(referral_hits::Column::HttpReferer)
        .order_by_expr(Expr::cust("2"), Order::Desc)
        .limit(500);
    let mut hosts: HashMap<String, i64> = HashMap::new();
    for row in RefererRow::find_by_statement(backend.build(&referers))
        .all(db)
        .await?
    {
        *hosts.entry(referer_host(&row.referer)).or_default() += row.n;
    }
    let mut referers: Vec<(String, i64)> = hosts.into_iter().collect();
    referers.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    referers.truncate(10);

    let mut points = Query::select();
    points
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(l.amount), 0) AS BIGINT)"),
            Alias::new("total"),
        )
        .from_as(reward_ledger::Entity, Alias::new("l"))
        .inner_join(
            referrals::Entity,
            Expr::col((referrals::Entity, referrals::Column::Id))
                .equals((Alias::new("l"), reward_ledger::Column::ReferralId)),
        )
        .inner_join(
            referral_hits::Entity,
            Expr::col((referral_hits::Entity, referral_hits::Column::Id))
                .equals((referrals::Entity, referrals::Column::ReferralHitId)),
        )
        .and_where(
            Expr::col((referral_hits::Entity, referral_hits::Column::ReferralLinkId)).eq(link.id),
        );
    let points = SumRow::find_by_statement(backend.build(&points))
        .one(db)
        .await?
        .map_or(0, |r| r.total);
    Ok(LinkReport {
        days,
        referers,
        points,
    })
}

/// The site a Referer names, without `www.` (`(unreadable)` when it names none).
pub fn referer_host(referer: &str) -> String {
    url::Url::parse(referer)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| h.trim_start_matches("www.").to_owned())
        })
        .unwrap_or_else(|| "(unreadable)".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::hits::{self, NewHit};
    use crate::services::links::{self, NewLink};
    use crate::test_support::{memory_db, user};

    #[tokio::test]
    async fn visits_are_counted_on_their_day_and_referers_by_host() {
        let db = memory_db().await;
        let alice = user(&db, "alice").await;
        let link = links::create(&db, alice.id, NewLink::default())
            .await
            .unwrap();
        for referer in ["https://www.news.example/a", "https://news.example/b", ""] {
            hits::record(
                &db,
                NewHit {
                    link_id: link.id,
                    referer: referer.as_bytes().to_vec(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        }
        let today = Utc::now().date_naive();
        let report = report(&db, &link, 30, today).await.unwrap();
        assert_eq!(report.days.len(), 30);
        assert_eq!(report.days[29].visits, 3);
        assert_eq!(report.days[29].signups, 0);
        assert_eq!(report.referers, vec![("news.example".to_owned(), 2)]);
        assert_eq!(report.points, 0);
    }
}
