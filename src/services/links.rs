//! Referral links: creation (random or vanity), lookup by identifier, listing, enabling.
use crate::entities::referral_links;
use crate::error::{Error, Result};
use crate::types::Identifier;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};

pub const MAX_LABEL_CHARS: usize = 100;

/// What a new link should look like.
#[derive(Debug, Clone, Default)]
pub struct NewLink {
    /// `None` picks a random identifier.
    pub identifier: Option<Identifier>,
    pub label: String,
    pub disabled: bool,
    /// Where `/ref` sends visitors without a `next`: a URL checked by [`destination`].
    pub destination: Option<String>,
}

/// Creates a link for `user_id`.
///
/// Errors: `Conflict` when a vanity identifier is taken (case-insensitively); `Invalid` for a
/// label over 100 characters.
pub async fn create(
    db: &impl ConnectionTrait,
    user_id: i32,
    new: NewLink,
) -> Result<referral_links::Model> {
    let label = clean_label(&new.label)?;
    match &new.identifier {
        Some(identifier) => {
            if find(db, identifier.as_str()).await?.is_some() {
                return Err(taken(identifier));
            }
            insert(db, user_id, identifier, &label, &new)
                .await
                .map_err(|e| match e {
                    Error::Db(ref db_err) if Error::is_unique_violation(db_err) => {
                        taken(identifier)
                    }
                    other => other,
                })
        }
        None => {
            // 33⁸ identifiers: a collision is rare, three in a row means something else is wrong.
            for _ in 0..3 {
                let identifier = Identifier::random();
                match insert(db, user_id, &identifier, &label, &new).await {
                    Err(Error::Db(ref e)) if Error::is_unique_violation(e) => continue,
                    other => return other,
                }
            }
            Err(Error::Internal(
                "could not find a free random identifier".into(),
            ))
        }
    }
}

fn taken(identifier: &Identifier) -> Error {
    Error::Conflict(format!(
        "The identifier \"{}\" is taken. Choose another, or leave it blank for a random one.",
        identifier.as_str()
    ))
}

async fn insert(
    db: &impl ConnectionTrait,
    user_id: i32,
    identifier: &Identifier,
    label: &str,
    new: &NewLink,
) -> Result<referral_links::Model> {
    let now = super::now();
    Ok(referral_links::ActiveModel {
        identifier: Set(identifier.as_str().to_owned()),
        user_id: Set(Some(user_id)),
        label: Set(label.to_owned()),
        disabled: Set(new.disabled),
        destination: Set(new.destination.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// A destination as typed by its owner or an admin: blank is none; otherwise an absolute URL on
/// one of `HYPE_ALLOWED_REDIRECT_HOSTS`, returned as it will be stored.
///
/// Errors: `Invalid` naming the allowed hosts (or saying there are none).
pub fn destination(config: &crate::HypeConfig, raw: &str) -> Result<Option<String>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if raw.len() > 2000 {
        return Err(Error::invalid("A destination has at most 2000 characters."));
    }
    if config.allowed_redirect_hosts.is_empty() {
        return Err(Error::invalid(
            "Links can't have a destination here: the operator has allowed no host \
             (HYPE_ALLOWED_REDIRECT_HOSTS).",
        ));
    }
    match config.allowed_external(raw) {
        Some(url) => Ok(Some(url.into())),
        None => Err(Error::invalid(format!(
            "A destination is a full URL on one of these hosts: {}.",
            config.redirect_origins().join(", ")
        ))),
    }
}

/// A label as stored: trimmed, at most 100 characters, no control characters.
fn clean_label(raw: &str) -> Result<String> {
    let label = raw.trim().to_owned();
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(Error::invalid("A label has at most 100 characters."));
    }
    if label.chars().any(char::is_control) {
        return Err(Error::invalid("A label can't contain control characters."));
    }
    Ok(label)
}

/// Changes the label and the destination (blank: none) of one of `owner_id`'s links.
///
/// Errors: `Invalid` for a bad label or destination (nothing changes); `NotFound` when the
/// link does not exist or belongs to someone else.
pub async fn edit(
    db: &impl ConnectionTrait,
    config: &crate::HypeConfig,
    owner_id: i32,
    link_id: i32,
    label: &str,
    destination_raw: &str,
) -> Result<()> {
    let label = clean_label(label)?;
    let destination = destination(config, destination_raw)?;
    let changed = referral_links::Entity::update_many()
        .col_expr(referral_links::Column::Label, Expr::value(label))
        .col_expr(
            referral_links::Column::Destination,
            Expr::value(destination),
        )
        .col_expr(referral_links::Column::UpdatedAt, Expr::value(super::now()))
        .filter(referral_links::Column::Id.eq(link_id))
        .filter(referral_links::Column::UserId.eq(owner_id))
        .exec(db)
        .await?
        .rows_affected;
    if changed == 0 {
        return Err(Error::NotFound("No such link of yours.".into()));
    }
    Ok(())
}

/// Finds a link by identifier, ignoring case; `None` for an unknown or malformed identifier.
pub async fn find(
    db: &impl ConnectionTrait,
    identifier: &str,
) -> Result<Option<referral_links::Model>> {
    let Ok(identifier) = Identifier::parse(identifier) else {
        return Ok(None);
    };
    Ok(referral_links::Entity::find()
        .filter(
            Expr::expr(Func::lower(Expr::col(referral_links::Column::Identifier)))
                .eq(identifier.key()),
        )
        .one(db)
        .await?)
}

/// Finds a link that can be followed: known and not disabled.
pub async fn find_enabled(
    db: &impl ConnectionTrait,
    identifier: &str,
) -> Result<Option<referral_links::Model>> {
    Ok(find(db, identifier).await?.filter(|link| !link.disabled))
}

/// A user's links, newest first.
pub async fn list_for_user(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Vec<referral_links::Model>> {
    Ok(referral_links::Entity::find()
        .filter(referral_links::Column::UserId.eq(user_id))
        .order_by_desc(referral_links::Column::CreatedAt)
        .order_by_desc(referral_links::Column::Id)
        .all(db)
        .await?)
}

/// One page of a user's links, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkPage {
    pub links: Vec<referral_links::Model>,
    /// 1-based; a page past the last is the last.
    pub page: u64,
    /// At least 1, even with no links.
    pub pages: u64,
    /// All the user's links.
    pub total: u64,
}

/// Page `page` (1-based; 0 is taken as 1, one past the last as the last) of `user_id`'s links,
/// `per_page` (at least 1) to a page, newest first.
pub async fn page_for_user(
    db: &impl ConnectionTrait,
    user_id: i32,
    page: u64,
    per_page: u64,
) -> Result<LinkPage> {
    let per_page = per_page.max(1);
    let paginator = referral_links::Entity::find()
        .filter(referral_links::Column::UserId.eq(user_id))
        .order_by_desc(referral_links::Column::CreatedAt)
        .order_by_desc(referral_links::Column::Id)
        .paginate(db, per_page);
    let total = paginator.num_items().await?;
    let pages = total.div_ceil(per_page).max(1);
    let page = page.clamp(1, pages);
    let links = paginator.fetch_page(page - 1).await?;
    Ok(LinkPage {
        links,
        page,
        pages,
        total,
    })
}

/// Disables or re-enables one of `owner_id`'s links; the audit log records it. A link an admin
/// disabled stays disabled until an admin enables it.
///
/// Errors: `NotFound` when the link does not exist or belongs to someone else; `Conflict` for
/// enabling a link an admin disabled.
pub async fn set_disabled<C>(
    db: &C,
    owner_id: i32,
    link_id: i32,
    disabled: bool,
) -> Result<referral_links::Model>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    let mut update = referral_links::Entity::update_many()
        .col_expr(referral_links::Column::Disabled, Expr::value(disabled))
        .col_expr(referral_links::Column::UpdatedAt, Expr::value(super::now()))
        .filter(referral_links::Column::Id.eq(link_id))
        .filter(referral_links::Column::UserId.eq(owner_id));
    if !disabled {
        // In the statement itself, so an admin's disabling at the same moment wins.
        update = update.filter(referral_links::Column::DisabledByAdmin.eq(false));
    }
    let changed = update.exec(&txn).await?.rows_affected;
    let link = referral_links::Entity::find_by_id(link_id)
        .filter(referral_links::Column::UserId.eq(owner_id))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("No such link among yours.".into()))?;
    if changed == 0 {
        return Err(Error::Conflict(
            "An admin disabled this link: only an admin can enable it again.".into(),
        ));
    }
    super::audit::record(
        &txn,
        owner_id,
        if disabled {
            "disable_link"
        } else {
            "enable_link"
        },
        "referral_links",
        link_id,
        "by its owner",
    )
    .await?;
    txn.commit().await?;
    Ok(link)
}

/// A link as the admin list shows it.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct AdminLinkRow {
    pub id: i32,
    pub identifier: String,
    pub label: String,
    pub disabled: bool,
    pub owner: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Links whose identifier, label or owner contains `query` (all when blank), newest first.
pub async fn search(
    db: &impl ConnectionTrait,
    query: &str,
    limit: u64,
) -> Result<Vec<AdminLinkRow>> {
    use crate::entities::users;
    use sea_orm::sea_query::{Alias, Cond, JoinType, Order, Query};
    use sea_orm::FromQueryResult;
    let (l, u) = (Alias::new("l"), Alias::new("u"));
    let mut select = Query::select();
    select
        .from_as(referral_links::Entity, l.clone())
        .columns(
            [
                referral_links::Column::Id,
                referral_links::Column::Identifier,
                referral_links::Column::Label,
                referral_links::Column::Disabled,
                referral_links::Column::CreatedAt,
            ]
            .map(|c| (l.clone(), c)),
        )
        .expr_as(
            Expr::col((u.clone(), users::Column::Username)),
            Alias::new("owner"),
        )
        .join_as(
            JoinType::LeftJoin,
            users::Entity,
            u.clone(),
            Expr::col((u.clone(), users::Column::Id))
                .equals((l.clone(), referral_links::Column::UserId)),
        )
        .order_by((l.clone(), referral_links::Column::Id), Order::Desc)
        .limit(limit);
    let query = query.trim();
    if !query.is_empty() {
        let pattern = super::like_pattern(query)?;
        select.cond_where(
            Cond::any()
                .add(super::ilike(
                    Expr::col((l.clone(), referral_links::Column::Identifier)),
                    &pattern,
                ))
                .add(super::ilike(
                    Expr::col((l, referral_links::Column::Label)),
                    &pattern,
                ))
                .add(super::ilike(
                    Expr::col((u, users::Column::Username)),
                    &pattern,
                )),
        );
    }
    Ok(
        AdminLinkRow::find_by_statement(db.get_database_backend().build(&select))
            .all(db)
            .await?,
    )
}

/// An admin disables or re-enables any link; the audit log records it. A link an admin
/// disabled can be enabled again only by an admin.
pub async fn admin_set_disabled<C>(
    db: &C,
    admin_id: i32,
    link_id: i32,
    disabled: bool,
) -> Result<()>
where
    C: ConnectionTrait + sea_orm::TransactionTrait,
{
    let txn = db.begin().await?;
    let changed = referral_links::Entity::update_many()
        .col_expr(referral_links::Column::Disabled, Expr::value(disabled))
        .col_expr(
            referral_links::Column::DisabledByAdmin,
            Expr::value(disabled),
        )
        .col_expr(referral_links::Column::UpdatedAt, Expr::value(super::now()))
        .filter(referral_links::Column::Id.eq(link_id))
        .exec(&txn)
        .await?
        .rows_affected;
    if changed == 0 {
        return Err(Error::NotFound("No such link.".into()));
    }
    super::audit::record(
        &txn,
        admin_id,
        if disabled {
            "disable_link"
        } else {
            "enable_link"
        },
        "referral_links",
        link_id,
        "",
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// An admin creates a link for `username`; the audit log records it.
///
/// Errors: `NotFound` for an unknown user, and those of [`create`].
pub async fn admin_create<C>(
    db: &C,
    admin_id: i32,
    username: &str,
    new: NewLink,
) -> Result<referral_links::Model>
where
    C: ConnectionTrait + sea_orm::TransactionTrait,
{
    let owner = super::users::find_by_username(db, username)
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!("There is no user named \"{}\".", username.trim()))
        })?;
    let txn = db.begin().await?;
    let link = create(&txn, owner.id, new).await?;
    super::audit::record(
        &txn,
        admin_id,
        "create_link",
        "referral_links",
        link.id,
        format!("{} for {}", link.identifier, owner.username),
    )
    .await?;
    txn.commit().await?;
    Ok(link)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{memory_db, user};

    #[tokio::test]
    async fn vanity_identifiers_are_unique_ignoring_case_and_found_ignoring_case() {
        let db = memory_db().await;
        let alice = user(&db, "alice").await;
        let link = create(
            &db,
            alice.id,
            NewLink {
                identifier: Some(Identifier::parse("Summer-Sale").unwrap()),
                label: "Summer".into(),
                disabled: false,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(link.identifier, "Summer-Sale");
        let clash = create(
            &db,
            alice.id,
            NewLink {
                identifier: Some(Identifier::parse("summer-sale").unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(clash, Error::Conflict(_)), "{clash:?}");
        assert_eq!(find(&db, "SUMMER-SALE").await.unwrap().unwrap().id, link.id);
    }

    #[tokio::test]
    async fn random_links_get_eight_character_identifiers() {
        let db = memory_db().await;
        let alice = user(&db, "alice").await;
        let a = create(&db, alice.id, NewLink::default()).await.unwrap();
        let b = create(&db, alice.id, NewLink::default()).await.unwrap();
        assert_eq!(a.identifier.len(), 8);
        assert_ne!(a.identifier, b.identifier);
        assert_eq!(list_for_user(&db, alice.id).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn only_the_owner_can_disable_a_link_and_disabled_links_cannot_be_followed() {
        let db = memory_db().await;
        let alice = user(&db, "alice").await;
        let bob = user(&db, "bob").await;
        let link = create(&db, alice.id, NewLink::default()).await.unwrap();
        assert!(matches!(
            set_disabled(&db, bob.id, link.id, true).await,
            Err(Error::NotFound(_))
        ));
        assert!(find_enabled(&db, &link.identifier).await.unwrap().is_some());
        set_disabled(&db, alice.id, link.id, true).await.unwrap();
        assert!(find_enabled(&db, &link.identifier).await.unwrap().is_none());
        set_disabled(&db, alice.id, link.id, false).await.unwrap();
        assert!(find_enabled(&db, &link.identifier).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn overlong_labels_are_refused() {
        let db = memory_db().await;
        let alice = user(&db, "alice").await;
        let err = create(
            &db,
            alice.id,
            NewLink {
                label: "x".repeat(101),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(err, Error::Invalid(_)));
        assert!(list_for_user(&db, alice.id).await.unwrap().is_empty());
    }
}
