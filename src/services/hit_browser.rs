//! The admin's hits browser: filters, keyset pages, and the batches the CSV export streams.
use crate::entities::{referral_hits, referral_links, users};
use crate::error::{Error, Result};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{
    Alias, Cond, Expr, Func, IntoCondition, JoinType, Order, Query, SelectStatement, SimpleExpr,
};
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult};
use uuid::Uuid;

/// The hits browser's filters; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HitFilter {
    /// Link identifier (exact, ignoring case).
    pub link: Option<String>,
    /// The link owner's username.
    pub referrer: Option<String>,
    /// The hit user's username.
    pub hit_user: Option<String>,
    pub authenticated: Option<bool>,
    /// Has a hit user (signed in at the time, or claimed since).
    pub claimed: Option<bool>,
    pub confirmed: Option<bool>,
    /// Bots' hits only (`true`) or none of them (`false`).
    pub bot: Option<bool>,
    /// First day included (UTC).
    pub from: Option<NaiveDate>,
    /// Last day included (UTC).
    pub to: Option<NaiveDate>,
    /// Text searched in ip, User-Agent, Referer and next.
    pub text: Option<String>,
}

/// A position in the newest-first order: `(created_at, id)` of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    /// `<microseconds since the epoch>_<uuid>`: opaque to users, stable in URLs.
    pub fn encode(&self) -> String {
        format!(
            "{}_{}",
            self.created_at.timestamp_micros(),
            self.id.simple()
        )
    }

    pub fn decode(raw: &str) -> Result<Self> {
        let bad = || Error::invalid("That page position is not valid: start from the first page.");
        let (micros, id) = raw.split_once('_').ok_or_else(bad)?;
        let created_at = micros
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_micros)
            .ok_or_else(bad)?;
        let id = Uuid::try_parse(id).map_err(|_| bad())?;
        Ok(Self { created_at, id })
    }
}

/// Which page of the newest-first order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Page {
    #[default]
    First,
    /// Rows older than the cursor.
    Before(Cursor),
    /// Rows newer than the cursor.
    After(Cursor),
    Last,
}

#[derive(Debug, Clone, FromQueryResult)]
pub struct HitRow {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub identifier: String,
    pub referrer: Option<String>,
    pub hit_user: Option<String>,
    pub authenticated: bool,
    pub visitor_id: Option<Uuid>,
    pub ip: Option<String>,
    pub user_agent: String,
    pub http_referer: String,
    pub next: String,
    pub confirmed: Option<DateTime<Utc>>,
    pub is_bot: bool,
}

#[derive(Debug, Clone)]
pub struct HitPage {
    /// Newest first.
    pub rows: Vec<HitRow>,
    /// Where the next (older) page starts, if there is one.
    pub older: Option<Cursor>,
    /// Where the previous (newer) page starts, if there is one.
    pub newer: Option<Cursor>,
}

/// Reads filters and page position from URL parameters (`link`, `referrer`, `hit_user`,
/// `auth` = anonymous|authenticated, `claimed`/`confirmed` = yes|no, `bots` = only|hide,
/// `from`/`to` = YYYY-MM-DD,
/// `q`, and `before`/`after` = cursor or `last`). Blank values mean "any".
///
/// Errors: `Invalid` naming the parameter that is malformed.
pub fn parse_query(get: impl Fn(&str) -> Option<String>) -> Result<(HitFilter, Page)> {
    let get = |key: &str| {
        get(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let choice = |key: &str, yes: &str, no: &str, what: &str| match get(key).as_deref() {
        None | Some("any") => Ok(None),
        Some(v) if v == yes => Ok(Some(true)),
        Some(v) if v == no => Ok(Some(false)),
        Some(_) => Err(Error::invalid(format!("{what} is \"{yes}\" or \"{no}\"."))),
    };
    let date = |key: &str, what: &str| {
        get(key)
            .map(|s| {
                NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                    .map_err(|_| Error::invalid(format!("{what} is a date like 2026-01-31.")))
            })
            .transpose()
    };
    for (key, what) in [
        ("link", "link"),
        ("referrer", "referrer"),
        ("hit_user", "hit user"),
        ("q", "search"),
    ] {
        if get(key).is_some_and(|v| v.contains('\0')) {
            return Err(Error::invalid(format!(
                "The {what} filter can't contain a NUL character."
            )));
        }
    }
    let filter = HitFilter {
        link: get("link"),
        referrer: get("referrer"),
        hit_user: get("hit_user"),
        authenticated: choice("auth", "authenticated", "anonymous", "Visitor")?,
        claimed: choice("claimed", "yes", "no", "Claimed")?,
        confirmed: choice("confirmed", "yes", "no", "Confirmed")?,
        bot: choice("bots", "only", "hide", "Bots")?,
        from: date("from", "From")?,
        to: date("to", "To")?,
        text: get("q"),
    };
    let page = if let Some(before) = get("before") {
        Page::Before(Cursor::decode(&before)?)
    } else if let Some(after) = get("after") {
        Page::After(Cursor::decode(&after)?)
    } else if get("last").is_some() {
        Page::Last
    } else {
        Page::First
    };
    Ok((filter, page))
}

fn hits_query(backend: sea_orm::DatabaseBackend, filter: &HitFilter) -> SelectStatement {
    let (h, l, o, u) = (
        Alias::new("h"),
        Alias::new("l"),
        Alias::new("o"),
        Alias::new("u"),
    );
    let mut query = Query::select();
    query
        .from_as(referral_hits::Entity, h.clone())
        .columns(
            [
                referral_hits::Column::Id,
                referral_hits::Column::CreatedAt,
                referral_hits::Column::Authenticated,
                referral_hits::Column::VisitorId,
                referral_hits::Column::Ip,
                referral_hits::Column::UserAgent,
                referral_hits::Column::HttpReferer,
                referral_hits::Column::Next,
                referral_hits::Column::Confirmed,
                referral_hits::Column::IsBot,
            ]
            .map(|c| (h.clone(), c)),
        )
        .expr_as(
            Expr::col((l.clone(), referral_links::Column::Identifier)),
            Alias::new("identifier"),
        )
        .expr_as(
            Expr::col((o.clone(), users::Column::Username)),
            Alias::new("referrer"),
        )
        .expr_as(
            Expr::col((u.clone(), users::Column::Username)),
            Alias::new("hit_user"),
        )
        .join_as(
            JoinType::InnerJoin,
            referral_links::Entity,
            l.clone(),
            link_join(backend, &h, &l),
        )
        .join_as(
            JoinType::LeftJoin,
            users::Entity,
            o.clone(),
            Expr::col((o.clone(), users::Column::Id))
                .equals((l.clone(), referral_links::Column::UserId)),
        )
        .join_as(
            JoinType::LeftJoin,
            users::Entity,
            u.clone(),
            Expr::col((u.clone(), users::Column::Id))
                .equals((h.clone(), referral_hits::Column::HitUserId)),
        );
    // Each name filter is a lookup by the unique lower(...) index, handed to the hits as the
    // id(s) it names: the planner then reads that link's or user's hits from their own index
    // instead of scanning every hit for a matching name (a hit user's 135-221 ms at a million
    // hits became ~1 ms).
    let hits_col = |col: referral_hits::Column| Expr::col((h.clone(), col));
    if let Some(link) = given(&filter.link) {
        let link_id = id_where_lower(
            referral_links::Entity,
            referral_links::Column::Identifier,
            link,
        );
        query.and_where(hits_col(referral_hits::Column::ReferralLinkId).eq(scalar(link_id)));
    }
    if let Some(name) = given(&filter.referrer) {
        let owner = id_where_lower(users::Entity, users::Column::Username, name);
        let mut links = Query::select();
        links
            .column(referral_links::Column::Id)
            .from(referral_links::Entity)
            .and_where(Expr::col(referral_links::Column::UserId).eq(scalar(owner)));
        query.and_where(hits_col(referral_hits::Column::ReferralLinkId).in_subquery(links));
    }
    if let Some(name) = given(&filter.hit_user) {
        let user = id_where_lower(users::Entity, users::Column::Username, name);
        query.and_where(hits_col(referral_hits::Column::HitUserId).eq(scalar(user)));
    }
    if let Some(authenticated) = filter.authenticated {
        query.and_where(
            Expr::col((h.clone(), referral_hits::Column::Authenticated)).eq(authenticated),
        );
    }
    if let Some(claimed) = filter.claimed {
        let col = Expr::col((h.clone(), referral_hits::Column::HitUserId));
        query.and_where(if claimed {
            col.is_not_null()
        } else {
            col.is_null()
        });
    }
    if let Some(bot) = filter.bot {
        query.and_where(Expr::col((h.clone(), referral_hits::Column::IsBot)).eq(bot));
    }
    if let Some(confirmed) = filter.confirmed {
        let col = Expr::col((h.clone(), referral_hits::Column::Confirmed));
        query.and_where(if confirmed {
            col.is_not_null()
        } else {
            col.is_null()
        });
    }
    if let Some(from) = filter.from {
        query.and_where(
            Expr::col((h.clone(), referral_hits::Column::CreatedAt)).gte(day_start(from)),
        );
    }
    if let Some(to) = filter.to {
        let end = to.succ_opt().map(day_start);
        if let Some(end) = end {
            query.and_where(Expr::col((h.clone(), referral_hits::Column::CreatedAt)).lt(end));
        }
    }
    if let Some(text) = given(&filter.text) {
        // `parse_query` refuses a NUL; should one come another way, an empty pattern matches
        // no stored text, as a NUL would not.
        let pattern = super::like_pattern(text.trim()).unwrap_or_default();
        query.cond_where(
            Cond::any()
                .add(super::ilike(
                    Expr::col((h.clone(), referral_hits::Column::Ip)),
                    &pattern,
                ))
                .add(super::ilike(
                    Expr::col((h.clone(), referral_hits::Column::UserAgent)),
                    &pattern,
                ))
                .add(super::ilike(
                    Expr::col((h.clone(), referral_hits::Column::HttpReferer)),
                    &pattern,
                ))
                .add(super::ilike(
                    Expr::col((h, referral_hits::Column::Next)),
                    &pattern,
                )),
        );
    }
    query
}

/// A filter's text, when it has any.
fn given(text: &Option<String>) -> Option<&str> {
    text.as_deref().filter(|s| !s.trim().is_empty())
}

/// `SELECT id FROM table WHERE lower(column) = lower(value)`: one row at most, by the unique
/// index on `lower(column)`.
fn id_where_lower<E: EntityTrait>(table: E, column: E::Column, value: &str) -> SelectStatement {
    let mut select = Query::select();
    select
        .expr(Expr::col(Alias::new("id")))
        .from(table)
        .and_where(Expr::expr(Func::lower(Expr::col(column))).eq(value.trim().to_lowercase()));
    select
}

/// `(SELECT ...)` as a value.
fn scalar(select: SelectStatement) -> SimpleExpr {
    SimpleExpr::SubQuery(None, Box::new(select.into_sub_query_statement()))
}

/// How a hit joins its link.
///
/// A page of hits is read in `created_at` order from an index and stops at the page's end;
/// the filters above narrow the hits by their own columns. SQLite's planner sometimes drives
/// the join from the links instead, through `referral_hits_link_created_idx`, and then sorts
/// every hit in range: with a date filter over a million hits that measured 426 ms instead of
/// ~1 ms, depending on the statistics of the day. A unary `+` on the hit's column keeps the
/// join off that index (SQLite's documented way to disqualify one); a link or referrer filter
/// still uses it, through the hit's own column. PostgreSQL's planner needs no such hint.
fn link_join(backend: sea_orm::DatabaseBackend, h: &Alias, l: &Alias) -> SimpleExpr {
    let link_id = Expr::col((l.clone(), referral_links::Column::Id));
    let hit_link = Expr::col((h.clone(), referral_hits::Column::ReferralLinkId));
    if backend == sea_orm::DatabaseBackend::Sqlite {
        // `?` stands for the expression in SQLite's builder (PostgreSQL's would be `$1`).
        link_id.eq(Expr::cust_with_expr("+?", hit_link))
    } else {
        link_id.eq(hit_link)
    }
}

fn day_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

fn older_than(cursor: Cursor) -> Cond {
    let h = Alias::new("h");
    let created = Expr::col((h.clone(), referral_hits::Column::CreatedAt));
    Cond::any().add(created.clone().lt(cursor.created_at)).add(
        Cond::all()
            .add(created.eq(cursor.created_at))
            .add(Expr::col((h, referral_hits::Column::Id)).lt(cursor.id)),
    )
}

fn newer_than(cursor: Cursor) -> Cond {
    let h = Alias::new("h");
    let created = Expr::col((h.clone(), referral_hits::Column::CreatedAt));
    Cond::any().add(created.clone().gt(cursor.created_at)).add(
        Cond::all()
            .add(created.eq(cursor.created_at))
            .add(Expr::col((h, referral_hits::Column::Id)).gt(cursor.id)),
    )
}

/// One page of hits, newest first, `size` rows at most. Keyset pagination: no OFFSET, so any
/// page costs the same, and hits arriving meanwhile never shift a row into or out of a page.
pub async fn hits(
    db: &impl ConnectionTrait,
    filter: &HitFilter,
    page: Page,
    size: u64,
) -> Result<HitPage> {
    let descending = matches!(page, Page::First | Page::Before(_));
    let statement = hits_statement(db.get_database_backend(), filter, page, size);
    let mut rows = HitRow::find_by_statement(statement).all(db).await?;
    let more = rows.len() as u64 > size;
    rows.truncate(size as usize);
    if !descending {
        rows.reverse();
    }
    let cursor = |row: &HitRow| Cursor {
        created_at: row.created_at,
        id: row.id,
    };
    let (older, newer) = match page {
        Page::First => (more.then(|| rows.last().map(cursor)).flatten(), None),
        Page::Before(_) => (
            more.then(|| rows.last().map(cursor)).flatten(),
            rows.first().map(cursor),
        ),
        Page::After(_) => (
            rows.last().map(cursor),
            more.then(|| rows.first().map(cursor)).flatten(),
        ),
        Page::Last => (None, more.then(|| rows.first().map(cursor)).flatten()),
    };
    Ok(HitPage { rows, older, newer })
}

/// The statement behind one page of [`hits`] (`size + 1` rows, to tell whether there is more);
/// public so `examples/plans.rs` can show its query plan.
pub fn hits_statement(
    backend: sea_orm::DatabaseBackend,
    filter: &HitFilter,
    page: Page,
    size: u64,
) -> sea_orm::Statement {
    let h = Alias::new("h");
    let mut query = hits_query(backend, filter);
    // Newest-first pages read descending; pages counted from the end read ascending.
    let descending = matches!(page, Page::First | Page::Before(_));
    match page {
        Page::Before(cursor) => {
            query.cond_where(older_than(cursor).into_condition());
        }
        Page::After(cursor) => {
            query.cond_where(newer_than(cursor).into_condition());
        }
        Page::First | Page::Last => {}
    }
    let order = if descending { Order::Desc } else { Order::Asc };
    query
        .order_by((h.clone(), referral_hits::Column::CreatedAt), order.clone())
        .order_by((h, referral_hits::Column::Id), order)
        .limit(size + 1);
    backend.build(&query)
}

/// All hits matching `filter`, newest first, in batches of `batch` (for streaming exports).
pub async fn hits_batch(
    db: &impl ConnectionTrait,
    filter: &HitFilter,
    after: Option<Cursor>,
    batch: u64,
) -> Result<(Vec<HitRow>, Option<Cursor>)> {
    let page = match after {
        Some(cursor) => Page::Before(cursor),
        None => Page::First,
    };
    let page = hits(db, filter, page, batch).await?;
    Ok((page.rows, page.older))
}
