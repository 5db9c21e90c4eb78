//! Hits: recording a visit through a link, and claiming a visitor's anonymous hits for a user.
use super::running_totals::{self, Person};
use crate::config::{AttributionModel, HypeConfig};
use crate::entities::{referral_hits, referral_links, users};
use crate::error::Result;
use crate::types::clean_text;
use sea_orm::prelude::DateTimeUtc;
use sea_orm::sea_query::{Alias, CommonTableExpression, Expr, Query, WithClause};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, RelationTrait, Set, Statement, TransactionTrait,
};
use uuid::Uuid;

pub const MAX_HEADER_CHARS: usize = 1024;
pub const MAX_NEXT_CHARS: usize = 2048;
/// Most hits one statement stores: twelve bound parameters each stay under every backend's
/// limit.
pub const MAX_BATCH: usize = 1000;

/// One visit, as the `/ref` handler saw it (raw header bytes; cleaned here).
#[derive(Debug, Clone, Default)]
pub struct NewHit {
    pub link_id: i32,
    pub visitor_id: Option<Uuid>,
    pub user_id: Option<i32>,
    pub ip: Option<String>,
    pub user_agent: Vec<u8>,
    pub referer: Vec<u8>,
    pub next: Vec<u8>,
    /// Made by a link-preview fetcher or a crawler (`crate::bots`): stored with no visitor and
    /// no user, so nobody can claim it, and counted nowhere.
    pub is_bot: bool,
}

/// Stores a hit and returns its id. The row is committed when this returns. (`/ref` goes
/// through the group-commit writer instead, `crate::writer`, which stores the same statement.)
pub async fn record<C: ConnectionTrait + TransactionTrait>(db: &C, hit: NewHit) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let now = super::now();
    let facts = facts(&hit, now);
    store_all(db, &[(active_model(id, hit, now), facts)]).await?;
    Ok(id)
}

/// What the running totals count of a hit: its UTC day and who made it; `None` for a bot's
/// hit, which they don't count.
pub type HitFacts = Option<(chrono::NaiveDate, Option<Person>)>;

/// Stores `rows` and the running totals that count them, atomically, in as few round trips as
/// the backend allows: the `/ref` writer calls this once per batch, and every trip to the
/// database is time that each visit in the batch waits.
///
/// PostgreSQL: one statement (the inserts as data-modifying CTEs; the people count grows by
/// the rows they return). SQLite: one transaction running one script (each insert of new
/// people followed by an update that adds its `changes()` to the count).
pub async fn store_all<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    rows: &[(referral_hits::ActiveModel, HitFacts)],
) -> Result<()> {
    let backend = db.get_database_backend();
    let mut statements = rows
        .chunks(MAX_BATCH)
        .map(|chunk| store_statement(backend, chunk))
        .collect::<Result<Vec<_>>>()?;
    if backend == DbBackend::Postgres && statements.len() == 1 {
        db.execute(statements.remove(0)).await?;
        return Ok(());
    }
    let txn = db.begin().await?;
    for statement in statements {
        txn.execute(statement).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The hits of `rows` and their totals as one statement (PostgreSQL) or one script (SQLite).
pub(crate) fn store_statement(
    backend: DbBackend,
    rows: &[(referral_hits::ActiveModel, HitFacts)],
) -> Result<Statement> {
    let hits =
        referral_hits::Entity::insert_many(rows.iter().map(|(row, _)| row.clone())).into_query();
    let totals = running_totals::hit_totals(rows.iter().filter_map(|(_, facts)| *facts))?;
    let people = [
        ("new_users", totals.users),
        ("new_visitors", totals.visitors),
    ];
    if backend == DbBackend::Postgres {
        let mut with = WithClause::new();
        let mut ctes = vec![("new_hits", hits)];
        ctes.extend(totals.days.map(|days| ("new_days", days)));
        let mut counted = Vec::new();
        for (name, insert) in people {
            if let Some(mut insert) = insert {
                insert.returning(Query::returning().expr(Expr::cust("1")));
                ctes.push((name, insert));
                counted.push(format!("(SELECT COUNT(*) FROM {name})"));
            }
        }
        for (name, insert) in ctes {
            with.cte(
                CommonTableExpression::new()
                    .query(insert)
                    .table_name(Alias::new(name))
                    .to_owned(),
            );
        }
        let added = if counted.is_empty() {
            "0".to_owned()
        } else {
            counted.join(" + ")
        };
        let mut update = Query::update();
        update
            .table(Alias::new("site_counts"))
            .value(
                Alias::new("value"),
                Expr::cust(format!("site_counts.value + {added}")),
            )
            .and_where(Expr::col(Alias::new("name")).eq("people"));
        return Ok(backend.build(&with.query(update)));
    }
    // SQLite numbers `?` placeholders in order, so the statements' parameters simply follow
    // one another.
    let mut sql = String::new();
    let mut values = Vec::new();
    let mut push = |statement: Statement| {
        sql.push_str(&statement.sql);
        sql.push_str(";\n");
        values.extend(statement.values.map(|v| v.0).unwrap_or_default());
    };
    push(backend.build(&hits));
    if let Some(days) = totals.days {
        push(backend.build(&days));
    }
    for insert in people.into_iter().filter_map(|(_, insert)| insert) {
        push(backend.build(&insert));
        push(Statement::from_string(
            backend,
            "UPDATE site_counts SET value = value + changes() WHERE name = 'people'",
        ));
    }
    Ok(Statement::from_sql_and_values(backend, sql, values))
}

/// Its UTC day, and who made it (nothing for a bot's hit).
pub fn facts(hit: &NewHit, at: DateTimeUtc) -> HitFacts {
    if hit.is_bot {
        return None;
    }
    let person = match (hit.user_id, hit.visitor_id) {
        (Some(user), _) => Some(Person::User(user)),
        (None, Some(visitor)) => Some(Person::Visitor(visitor)),
        (None, None) => None,
    };
    Some((at.date_naive(), person))
}

/// The row for `hit`, its text cleaned and capped.
pub fn active_model(id: Uuid, hit: NewHit, now: DateTimeUtc) -> referral_hits::ActiveModel {
    referral_hits::ActiveModel {
        id: Set(id),
        referral_link_id: Set(hit.link_id),
        visitor_id: Set(hit.visitor_id),
        authenticated: Set(hit.user_id.is_some()),
        hit_user_id: Set(hit.user_id),
        ip: Set(hit.ip.map(|ip| clean_text(ip.as_bytes(), 64))),
        user_agent: Set(clean_text(&hit.user_agent, MAX_HEADER_CHARS)),
        http_referer: Set(clean_text(&hit.referer, MAX_HEADER_CHARS)),
        next: Set(clean_text(&hit.next, MAX_NEXT_CHARS)),
        confirmed: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        is_bot: Set(hit.is_bot),
    }
}

/// Gives every unclaimed hit of `visitor_id` to `user_id`, in one statement that never
/// overwrites a hit already claimed. Returns how many hits were claimed.
pub async fn claim<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    visitor_id: Uuid,
    user_id: i32,
) -> Result<u64> {
    let txn = db.begin().await?;
    let result = referral_hits::Entity::update_many()
        .col_expr(referral_hits::Column::HitUserId, Expr::value(user_id))
        .col_expr(referral_hits::Column::UpdatedAt, Expr::value(super::now()))
        .filter(referral_hits::Column::VisitorId.eq(visitor_id))
        .filter(referral_hits::Column::HitUserId.is_null())
        .exec(&txn)
        .await?;
    if result.rows_affected > 0 {
        running_totals::claimed(&txn, visitor_id, user_id).await?;
    }
    txn.commit().await?;
    Ok(result.rows_affected)
}

/// The hit that wins attribution for `user_id`: among their claimed hits inside the window,
/// on an enabled link that has an owner other than them, the latest (or earliest, by the model).
pub async fn winning_hit_for_user(
    db: &impl ConnectionTrait,
    config: &HypeConfig,
    user_id: i32,
) -> Result<Option<(referral_hits::Model, referral_links::Model)>> {
    let since = super::now() - config.attribution_window();
    let query = referral_hits::Entity::find()
        .find_also_related(referral_links::Entity)
        .filter(referral_hits::Column::HitUserId.eq(user_id))
        .filter(referral_hits::Column::CreatedAt.gte(since))
        .filter(referral_links::Column::UserId.is_not_null())
        .filter(referral_links::Column::UserId.ne(user_id))
        // A disabled link earns nothing new; its hits stay recorded.
        .filter(referral_links::Column::Disabled.eq(false));
    let query = match config.attribution_model {
        AttributionModel::LastClick => query
            .order_by_desc(referral_hits::Column::CreatedAt)
            .order_by_desc(referral_hits::Column::Id),
        AttributionModel::FirstClick => query
            .order_by_asc(referral_hits::Column::CreatedAt)
            .order_by_asc(referral_hits::Column::Id),
    };
    Ok(query
        .one(db)
        .await?
        .and_then(|(hit, link)| link.map(|link| (hit, link))))
}

/// The user who would be credited if this anonymous visitor signed up now: the owner of the
/// link of their winning unclaimed hit. Shown on the sign-up page ("invited by …").
pub async fn referrer_for_visitor(
    db: &impl ConnectionTrait,
    config: &HypeConfig,
    visitor_id: Uuid,
) -> Result<Option<users::Model>> {
    let since = super::now() - config.attribution_window();
    let query = users::Entity::find()
        .join(JoinType::InnerJoin, users::Relation::ReferralLinks.def())
        .join(JoinType::InnerJoin, referral_links::Relation::Hits.def())
        .filter(referral_hits::Column::VisitorId.eq(visitor_id))
        .filter(referral_hits::Column::HitUserId.is_null())
        .filter(referral_hits::Column::CreatedAt.gte(since))
        .filter(referral_links::Column::Disabled.eq(false));
    let query = match config.attribution_model {
        AttributionModel::LastClick => query.order_by_desc(referral_hits::Column::CreatedAt),
        AttributionModel::FirstClick => query.order_by_asc(referral_hits::Column::CreatedAt),
    };
    Ok(query.one(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::links::{self, NewLink};
    use crate::test_support::{memory_db, user};

    #[tokio::test]
    async fn claiming_takes_only_unclaimed_hits_of_that_visitor() {
        let db = memory_db().await;
        let alice = user(&db, "alice").await;
        let bob = user(&db, "bob").await;
        let carol = user(&db, "carol").await;
        let link = links::create(&db, alice.id, NewLink::default())
            .await
            .unwrap();
        let visitor = Uuid::new_v4();
        let other_visitor = Uuid::new_v4();
        for v in [visitor, visitor, other_visitor] {
            record(
                &db,
                NewHit {
                    link_id: link.id,
                    visitor_id: Some(v),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        }
        assert_eq!(claim(&db, visitor, bob.id).await.unwrap(), 2);
        // A second claim of the same visitor by someone else takes nothing.
        assert_eq!(claim(&db, visitor, carol.id).await.unwrap(), 0);
        let bobs = referral_hits::Entity::find()
            .filter(referral_hits::Column::HitUserId.eq(bob.id))
            .all(&db)
            .await
            .unwrap();
        assert_eq!(bobs.len(), 2);
        assert!(bobs.iter().all(|h| h.visitor_id == Some(visitor)));
    }

    #[tokio::test]
    async fn stored_text_is_capped_and_nul_free() {
        let db = memory_db().await;
        let alice = user(&db, "alice").await;
        let link = links::create(&db, alice.id, NewLink::default())
            .await
            .unwrap();
        let id = record(
            &db,
            NewHit {
                link_id: link.id,
                user_agent: b"agent\0x".repeat(500),
                next: vec![b'/'; 5000],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let hit = referral_hits::Entity::find_by_id(id)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hit.user_agent.chars().count(), MAX_HEADER_CHARS);
        assert!(!hit.user_agent.contains('\0'));
        assert_eq!(hit.next.len(), MAX_NEXT_CHARS);
    }

    /// The unique-visitor count the overview showed before the running totals.
    async fn counted_from_hits(db: &impl ConnectionTrait) -> i64 {
        #[derive(sea_orm::FromQueryResult)]
        struct N {
            n: i64,
        }
        <N as sea_orm::FromQueryResult>::find_by_statement(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT CAST(COUNT(DISTINCT hit_user_id) + COUNT(DISTINCT CASE WHEN hit_user_id IS NULL THEN visitor_id END) AS BIGINT) AS n FROM referral_hits",
        ))
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .n
    }

    #[tokio::test]
    async fn totals_follow_hits_and_claims() {
        let db = memory_db().await;
        let owner = user(&db, "owner").await;
        let ann = user(&db, "ann").await;
        let ben = user(&db, "ben").await;
        let link = links::create(&db, owner.id, NewLink::default())
            .await
            .unwrap();
        let (v1, v2) = (Uuid::now_v7(), Uuid::now_v7());
        let visits = [
            (Some(v1), None),
            (Some(v1), None),
            (Some(v2), None),
            (None, Some(ann.id)),
        ];
        for (visitor_id, user_id) in visits {
            record(
                &db,
                NewHit {
                    link_id: link.id,
                    visitor_id,
                    user_id,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        }
        let today = crate::services::now().date_naive();
        let (days, people) = running_totals::read(&db, today).await.unwrap();
        assert_eq!(days.get(&today), Some(&4));
        assert_eq!(people, 3);
        assert_eq!(people, counted_from_hits(&db).await);

        // Ben claims v1: v1 is no longer anyone of their own, Ben is.
        claim(&db, v1, ben.id).await.unwrap();
        assert_eq!(running_totals::read(&db, today).await.unwrap().1, 3);
        // Ann, already counted, claims v2: one person fewer.
        claim(&db, v2, ann.id).await.unwrap();
        let people = running_totals::read(&db, today).await.unwrap().1;
        assert_eq!(people, 2);
        assert_eq!(people, counted_from_hits(&db).await);

        // A rebuild from the hits agrees with the running totals.
        running_totals::rebuild(&db).await.unwrap();
        assert_eq!(running_totals::read(&db, today).await.unwrap(), (days, 2));
    }
}
