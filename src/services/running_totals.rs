//! The running totals behind the admin overview (tables from the `hit_aggregates` migration):
//! hits per UTC day and the number of distinct people who made a hit. Written in the same
//! transaction as the hits they count, so they never drift from them.
use crate::error::Result;
use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, InsertStatement, OnConflict, Query};
use sea_orm::{ConnectionTrait, FromQueryResult};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// Who made a hit, as the "unique visitors" count sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Person {
    User(i32),
    Visitor(Uuid),
}

/// The statements that count a batch of new hits, `(UTC day, who)` for each: an upsert of the
/// hits per day, and inserts of the users and visitors not seen before (each of which adds its
/// new rows to the people count; see `crate::services::hits::store_all`).
#[derive(Debug, Default)]
pub struct HitTotals {
    pub days: Option<InsertStatement>,
    pub users: Option<InsertStatement>,
    pub visitors: Option<InsertStatement>,
}

pub fn hit_totals(
    hits: impl IntoIterator<Item = (NaiveDate, Option<Person>)>,
) -> Result<HitTotals> {
    let mut days: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let mut users = BTreeSet::new();
    let mut visitors = BTreeSet::new();
    for (day, person) in hits {
        *days.entry(day).or_default() += 1;
        match person {
            Some(Person::User(id)) => {
                users.insert(id);
            }
            Some(Person::Visitor(id)) => {
                visitors.insert(id);
            }
            None => {}
        }
    }
    let mut totals = HitTotals::default();
    if !days.is_empty() {
        let mut upsert = Query::insert();
        upsert
            .into_table(Alias::new("hit_days"))
            .columns([Alias::new("day"), Alias::new("hits")]);
        for (day, n) in &days {
            upsert
                .values([day.format("%Y-%m-%d").to_string().into(), (*n).into()])
                .map_err(|e| crate::Error::Internal(e.to_string()))?;
        }
        upsert.on_conflict(
            OnConflict::column(Alias::new("day"))
                .value(
                    Alias::new("hits"),
                    Expr::cust("hit_days.hits + excluded.hits"),
                )
                .to_owned(),
        );
        totals.days = Some(upsert);
    }
    if !users.is_empty() {
        totals.users = Some(insert_new(
            "site_users",
            "user_id",
            users.into_iter().map(Into::into),
        )?);
    }
    if !visitors.is_empty() {
        totals.visitors = Some(insert_new(
            "site_visitors",
            "visitor_id",
            visitors.into_iter().map(Into::into),
        )?);
    }
    Ok(totals)
}

/// A visitor's hits were claimed by `user_id`: the visitor is no longer a person of their own,
/// the user is (if they weren't already).
pub async fn claimed(db: &impl ConnectionTrait, visitor: Uuid, user_id: i32) -> Result<()> {
    let mut delete = Query::delete();
    delete
        .from_table(Alias::new("site_visitors"))
        .and_where(Expr::col(Alias::new("visitor_id")).eq(visitor));
    let removed = db
        .execute(db.get_database_backend().build(&delete))
        .await?
        .rows_affected() as i64;
    let insert = insert_new("site_users", "user_id", std::iter::once(user_id.into()))?;
    let added = db
        .execute(db.get_database_backend().build(&insert))
        .await?
        .rows_affected() as i64;
    add_people(db, added - removed).await
}

/// Hits per UTC day from `from` on, and the number of distinct people who ever made a hit.
pub async fn read(
    db: &impl ConnectionTrait,
    from: NaiveDate,
) -> Result<(BTreeMap<NaiveDate, i64>, i64)> {
    #[derive(FromQueryResult)]
    struct Day {
        day: String,
        hits: i64,
    }
    #[derive(FromQueryResult)]
    struct Count {
        value: i64,
    }
    let backend = db.get_database_backend();
    let mut days = Query::select();
    days.columns([Alias::new("day"), Alias::new("hits")])
        .from(Alias::new("hit_days"))
        .and_where(Expr::col(Alias::new("day")).gte(from.format("%Y-%m-%d").to_string()));
    let daily = Day::find_by_statement(backend.build(&days))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|d| Some((NaiveDate::parse_from_str(&d.day, "%Y-%m-%d").ok()?, d.hits)))
        .collect();
    let mut people = Query::select();
    people
        .column(Alias::new("value"))
        .from(Alias::new("site_counts"))
        .and_where(Expr::col(Alias::new("name")).eq("people"));
    let people = Count::find_by_statement(backend.build(&people))
        .one(db)
        .await?
        .map_or(0, |c| c.value);
    Ok((daily, people))
}

/// Recomputes every total from the hits (after a bulk load).
pub async fn rebuild(db: &impl ConnectionTrait) -> Result<()> {
    for table in ["hit_days", "site_users", "site_visitors", "site_counts"] {
        db.execute_unprepared(&format!("DELETE FROM {table}"))
            .await?;
    }
    // Bots' hits count nowhere.
    for sql in migration::fill_hit_aggregates_counting(db.get_database_backend(), "is_bot = false")
    {
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// An insert of the `values` not yet in `table` (the others are skipped).
fn insert_new(
    table: &str,
    column: &str,
    values: impl Iterator<Item = sea_orm::Value>,
) -> Result<InsertStatement> {
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new(table))
        .columns([Alias::new(column)]);
    for value in values {
        insert
            .values([value.into()])
            .map_err(|e| crate::Error::Internal(e.to_string()))?;
    }
    insert.on_conflict(
        OnConflict::column(Alias::new(column))
            .do_nothing()
            .to_owned(),
    );
    Ok(insert)
}

async fn add_people(db: &impl ConnectionTrait, delta: i64) -> Result<()> {
    if delta == 0 {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let mut update = Query::update();
    update
        .table(Alias::new("site_counts"))
        .value(
            Alias::new("value"),
            Expr::col(Alias::new("value")).add(delta),
        )
        .and_where(Expr::col(Alias::new("name")).eq("people"));
    db.execute(backend.build(&update)).await?;
    Ok(())
}
