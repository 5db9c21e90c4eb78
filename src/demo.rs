//! Demo data in bulk (`hype-server seed-demo`): users, links, a million hits, referrals — fast
//! enough to fill a database in well under a minute, for trying the dashboard and benchmarks.
use crate::entities::{referral_hits, referral_links, referrals, users};
use crate::error::Result;
use rand::Rng;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

/// The password of every demo user.
pub const DEMO_PASSWORD: &str = "demo-password";
const BATCH: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    pub users: usize,
    pub links: usize,
    pub hits: usize,
    pub referrals: usize,
}

/// Adds `users` demo users (`demo-user-N`, password [`DEMO_PASSWORD`]), `links` links spread
/// over them (`demo-N`), and `hits` hits over the last 30 days — one in 25 a chat's link-preview
/// fetcher (a bot), a quarter of the others claimed by a demo user, a tenth of those confirmed —
/// and one pending referral per user with a claimed hit.
/// `progress` is called after each batch of hits with the number stored so far.
///
/// Everything goes in one transaction, hits in time order with time-ordered (v7) ids, so each
/// index grows at its end instead of being rewritten all over.
pub async fn seed(
    db: &DatabaseConnection,
    users: usize,
    links: usize,
    hits: usize,
    progress: impl FnMut(usize),
) -> Result<Seeded> {
    let txn = db.begin().await?;
    let seeded = seed_in(&txn, users, links, hits, progress).await?;
    // Counting a million hits once beats counting them one batch at a time.
    crate::services::running_totals::rebuild(&txn).await?;
    txn.commit().await?;
    // Fresh statistics, so the planner knows the tables just grew by a million rows.
    db.execute_unprepared("ANALYZE").await?;
    Ok(seeded)
}

async fn seed_in(
    db: &impl ConnectionTrait,
    users: usize,
    links: usize,
    hits: usize,
    mut progress: impl FnMut(usize),
) -> Result<Seeded> {
    let users = users.max(1);
    let links = links.max(1);
    let hash = tokio::task::spawn_blocking(|| password_auth::generate_hash(DEMO_PASSWORD))
        .await
        .map_err(|e| crate::Error::Internal(format!("hashing the demo password: {e}")))?;
    let now = crate::services::now();
    let run = &Uuid::new_v4().simple().to_string()[..6];

    for chunk in (0..users).collect::<Vec<_>>().chunks(BATCH) {
        users::Entity::insert_many(chunk.iter().map(|i| users::ActiveModel {
            username: Set(format!("demo-{run}-{i}")),
            email: Set(None),
            password_hash: Set(hash.clone()),
            is_admin: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            signup_ip: Set(None),
            last_login_ip: Set(None),
            ..Default::default()
        }))
        .exec_without_returning(db)
        .await?;
    }
    let user_ids: Vec<i32> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::Username.starts_with(format!("demo-{run}-")))
        .order_by_asc(users::Column::Id)
        .into_tuple()
        .all(db)
        .await?;

    for chunk in (0..links).collect::<Vec<_>>().chunks(BATCH) {
        referral_links::Entity::insert_many(chunk.iter().map(|i| referral_links::ActiveModel {
            identifier: Set(format!("demo-{run}-{i}")),
            user_id: Set(Some(user_ids[i % user_ids.len()])),
            label: Set(format!("Demo link {i}")),
            disabled: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(db)
        .await?;
    }
    let link_ids: Vec<(i32, Option<i32>)> = referral_links::Entity::find()
        .select_only()
        .column(referral_links::Column::Id)
        .column(referral_links::Column::UserId)
        .filter(referral_links::Column::Identifier.starts_with(format!("demo-{run}-")))
        .into_tuple()
        .all(db)
        .await?;

    const AGENTS: [&str; 4] = [
        "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/150.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 19_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
        "curl/8.10",
    ];
    // Chats unfurling a pasted link: recorded as bots, counted nowhere.
    const PREVIEW_FETCHERS: [&str; 3] = [
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "WhatsApp/2.23.20.0 A",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    ];
    const NEXTS: [&str; 4] = ["", "/signup", "/", "/pricing?plan=pro"];
    const REFERERS: [&str; 4] = [
        "",
        "https://social.example/post",
        "https://mail.example/",
        "https://news.example/item?id=1",
    ];
    // Per user, their first claimed hit and the owner of its link: their referral.
    let mut first_claimed: Vec<Option<(Uuid, Option<i32>)>> = vec![None; user_ids.len()];
    // Hits spread evenly over the last 30 days, oldest first.
    let span_ms: i64 = 30 * 86_400 * 1000;
    let start = now - chrono::Duration::milliseconds(span_ms);
    let step_ms = span_ms as f64 / hits.max(1) as f64;
    let mut stored = 0;
    while stored < hits {
        let n = BATCH.min(hits - stored);
        let rows: Vec<referral_hits::ActiveModel> = {
            let mut rng = rand::thread_rng();
            (stored..stored + n)
                .map(|i| {
                    let (link_id, owner) = link_ids[rng.gen_range(0..link_ids.len())];
                    let at = start + chrono::Duration::milliseconds((i as f64 * step_ms) as i64);
                    let stamp = uuid::Timestamp::from_unix(
                        uuid::NoContext,
                        at.timestamp() as u64,
                        at.timestamp_subsec_nanos(),
                    );
                    let id = Uuid::new_v7(stamp);
                    if rng.gen_ratio(1, 25) {
                        let agent = PREVIEW_FETCHERS[rng.gen_range(0..PREVIEW_FETCHERS.len())];
                        return referral_hits::ActiveModel {
                            id: Set(id),
                            referral_link_id: Set(link_id),
                            visitor_id: Set(None),
                            authenticated: Set(false),
                            hit_user_id: Set(None),
                            ip: Set(Some("203.0.113.7".into())),
                            user_agent: Set(agent.into()),
                            http_referer: Set(String::new()),
                            next: Set(String::new()),
                            confirmed: Set(None),
                            created_at: Set(at),
                            updated_at: Set(at),
                            is_bot: Set(true),
                        };
                    }
                    let claimed = rng.gen_ratio(1, 4);
                    let user_index = rng.gen_range(0..user_ids.len());
                    let hit_user = (claimed && Some(user_ids[user_index]) != owner)
                        .then_some(user_ids[user_index]);
                    if hit_user.is_some() && first_claimed[user_index].is_none() {
                        first_claimed[user_index] = Some((id, owner));
                    }
                    let authenticated = hit_user.is_some() && rng.gen_ratio(1, 3);
                    referral_hits::ActiveModel {
                        id: Set(id),
                        referral_link_id: Set(link_id),
                        visitor_id: Set((!authenticated).then(|| Uuid::new_v7(stamp))),
                        authenticated: Set(authenticated),
                        hit_user_id: Set(hit_user),
                        ip: Set(Some(format!(
                            "198.51.{}.{}",
                            rng.gen_range(0..=255),
                            rng.gen_range(1..=254)
                        ))),
                        user_agent: Set(AGENTS[rng.gen_range(0..AGENTS.len())].into()),
                        http_referer: Set(REFERERS[rng.gen_range(0..REFERERS.len())].into()),
                        next: Set(NEXTS[rng.gen_range(0..NEXTS.len())].into()),
                        confirmed: Set((hit_user.is_some() && rng.gen_ratio(1, 10)).then_some(at)),
                        created_at: Set(at),
                        updated_at: Set(at),
                        is_bot: Set(false),
                    }
                })
                .collect()
        };
        referral_hits::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
        stored += n;
        progress(stored);
    }

    let referral_rows: Vec<(i32, Uuid, Option<i32>)> = user_ids
        .iter()
        .zip(&first_claimed)
        .filter_map(|(user, first)| first.map(|(hit, referrer)| (*user, hit, referrer)))
        .collect();
    for chunk in referral_rows.chunks(BATCH) {
        referrals::Entity::insert_many(chunk.iter().map(|(user, hit, referrer)| {
            referrals::ActiveModel {
                referred_user_id: Set(*user),
                referrer_user_id: Set(*referrer),
                referral_hit_id: Set(Some(*hit)),
                status: Set(referrals::ReferralStatus::Pending),
                flags: Set(String::new()),
                created_at: Set(now),
                ..Default::default()
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(Seeded {
        users: user_ids.len(),
        links: link_ids.len(),
        hits,
        referrals: referral_rows.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::memory_db;
    use sea_orm::PaginatorTrait;

    #[tokio::test]
    async fn seeding_fills_every_table_consistently() {
        let db = memory_db().await;
        let seeded = seed(&db, 5, 3, 2500, |_| {}).await.unwrap();
        assert_eq!(seeded.users, 5);
        assert_eq!(seeded.links, 3);
        assert_eq!(
            referral_hits::Entity::find().count(&db).await.unwrap(),
            2500
        );
        let bots = referral_hits::Entity::find()
            .filter(referral_hits::Column::IsBot.eq(true))
            .all(&db)
            .await
            .unwrap();
        assert!((40..=170).contains(&bots.len()), "{} bot hits", bots.len());
        assert!(bots
            .iter()
            .all(|h| h.hit_user_id.is_none() && h.visitor_id.is_none()));
        // The overview's totals count people's hits only.
        let (days, _) = crate::services::running_totals::read(&db, chrono::NaiveDate::default())
            .await
            .unwrap();
        assert_eq!(days.values().sum::<i64>() as usize, 2500 - bots.len());
        let referrals = referrals::Entity::find().all(&db).await.unwrap();
        assert_eq!(referrals.len(), seeded.referrals);
        assert!(referrals
            .iter()
            .all(|r| r.referrer_user_id != Some(r.referred_user_id)));
        // Seeding twice adds another set, with new names.
        seed(&db, 2, 1, 10, |_| {}).await.unwrap();
        assert_eq!(users::Entity::find().count(&db).await.unwrap(), 7);
    }
}
