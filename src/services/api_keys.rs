//! API keys for `/api/v1`: created by an admin (shown once), stored as a SHA-256 beside a
//! visible prefix, scoped, revocable, with the time they were last used.
use crate::entities::api_keys;
use crate::error::{Error, Result};
use chrono::TimeDelta;
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

/// What every key starts with, so a leaked one is recognisable (and findable by scanners).
pub const KEY_PREFIX: &str = "hype_";
/// How stale `last_used_at` may get before a request through the key updates it: one write a
/// minute per key, not one per request.
const LAST_USED_GRANULARITY: TimeDelta = TimeDelta::seconds(60);

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    ConversionsWrite,
    ReferralsRead,
    ReferralsWrite,
    LinksRead,
    LinksWrite,
    UsersWrite,
}

impl Scope {
    pub const ALL: [Self; 6] = [
        Self::ConversionsWrite,
        Self::ReferralsRead,
        Self::ReferralsWrite,
        Self::LinksRead,
        Self::LinksWrite,
        Self::UsersWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConversionsWrite => "conversions:write",
            Self::ReferralsRead => "referrals:read",
            Self::ReferralsWrite => "referrals:write",
            Self::LinksRead => "links:read",
            Self::LinksWrite => "links:write",
            Self::UsersWrite => "users:write",
        }
    }
}

impl std::str::FromStr for Scope {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s.trim())
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|s| s.as_str()).collect();
                Error::invalid(format!(
                    "Unknown scope {:?}: use {}.",
                    s.trim(),
                    known.join(", ")
                ))
            })
    }
}

/// `conversions:write,referrals:read` → the scopes, in the canonical order, without repeats.
/// Blank: every scope.
pub fn parse_scopes(text: &str) -> Result<Vec<Scope>> {
    let named: Vec<Scope> = text
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(str::parse)
        .collect::<Result<_>>()?;
    if named.is_empty() {
        return Ok(Scope::ALL.to_vec());
    }
    Ok(Scope::ALL
        .into_iter()
        .filter(|scope| named.contains(scope))
        .collect())
}

/// The scopes a stored key has.
pub fn scopes_of(key: &api_keys::Model) -> Vec<Scope> {
    key.scopes
        .split(',')
        .filter_map(|s| s.parse().ok())
        .collect()
}

fn hash(key: &str) -> String {
    super::sha256_hex(key.trim())
}

/// Creates a key; returns it stored and, once only, the key itself.
///
/// Errors: `Invalid` for a blank or long name or an unknown scope.
pub async fn create<C>(
    db: &C,
    actor: Option<i32>,
    name: &str,
    scopes: &str,
) -> Result<(api_keys::Model, String)>
where
    C: ConnectionTrait + TransactionTrait,
{
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::invalid("A key's name has 1 to 100 characters."));
    }
    let scopes = parse_scopes(scopes)?;
    let mut secret = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut secret);
    let secret = super::hex(&secret);
    let key = format!("{KEY_PREFIX}{secret}");
    let prefix: String = key.chars().take(KEY_PREFIX.len() + 8).collect();
    let txn = db.begin().await?;
    let stored = api_keys::ActiveModel {
        name: Set(name.to_owned()),
        prefix: Set(prefix),
        key_hash: Set(hash(&key)),
        scopes: Set(scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")),
        created_by: Set(actor),
        created_at: Set(super::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    super::audit::record(
        &txn,
        actor,
        "create_api_key",
        "api_keys",
        stored.id,
        format!("{} ({})", stored.name, stored.scopes),
    )
    .await?;
    txn.commit().await?;
    Ok((stored, key))
}

/// Every key, newest first.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<api_keys::Model>> {
    Ok(api_keys::Entity::find()
        .order_by_desc(api_keys::Column::Id)
        .all(db)
        .await?)
}

/// Revokes a key: it stops working at once, on every instance.
///
/// Errors: `NotFound`; `Conflict` when it is revoked already.
pub async fn revoke<C>(db: &C, actor: Option<i32>, id: i32) -> Result<api_keys::Model>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    let revoked = api_keys::Entity::update_many()
        .col_expr(api_keys::Column::RevokedAt, Expr::value(super::now()))
        .filter(api_keys::Column::Id.eq(id))
        .filter(api_keys::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    let key = api_keys::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("No such API key.".into()))?;
    if revoked == 0 {
        return Err(Error::Conflict("That key is revoked already.".into()));
    }
    super::audit::record(
        &txn,
        actor,
        "revoke_api_key",
        "api_keys",
        id,
        key.name.clone(),
    )
    .await?;
    txn.commit().await?;
    Ok(key)
}

/// The live key `presented` is, if any, noting that it was used.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    presented: &str,
) -> Result<Option<api_keys::Model>> {
    if !presented.starts_with(KEY_PREFIX) || presented.len() > 200 {
        return Ok(None);
    }
    let Some(key) = api_keys::Entity::find()
        .filter(api_keys::Column::KeyHash.eq(hash(presented)))
        .filter(api_keys::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now = super::now();
    if key
        .last_used_at
        .is_none_or(|at| at < now - LAST_USED_GRANULARITY)
    {
        api_keys::Entity::update_many()
            .col_expr(api_keys::Column::LastUsedAt, Expr::value(now))
            .filter(api_keys::Column::Id.eq(key.id))
            .exec(db)
            .await?;
    }
    Ok(Some(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::memory_db;

    #[test]
    fn scopes_are_checked_and_ordered() {
        assert_eq!(
            parse_scopes(" referrals:read ,conversions:write,referrals:read").unwrap(),
            vec![Scope::ConversionsWrite, Scope::ReferralsRead]
        );
        assert_eq!(parse_scopes("").unwrap(), Scope::ALL.to_vec());
        let error = parse_scopes("conversions:write,everything").unwrap_err();
        assert!(error.to_string().contains("\"everything\""), "{error}");
        assert!(error.to_string().contains("links:read"), "{error}");
    }

    #[tokio::test]
    async fn a_key_works_until_it_is_revoked_and_only_its_hash_is_kept() {
        let db = memory_db().await;
        let (stored, key) = create(&db, None, "shop backend", "conversions:write")
            .await
            .unwrap();
        assert!(key.starts_with("hype_") && key.starts_with(&stored.prefix));
        assert_ne!(stored.key_hash, key);
        assert!(!stored.key_hash.contains(&key[5..]));
        let found = authenticate(&db, &key)
            .await
            .unwrap()
            .expect("the key works");
        assert_eq!(scopes_of(&found), vec![Scope::ConversionsWrite]);
        let used = api_keys::Entity::find_by_id(stored.id)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert!(used.last_used_at.is_some());
        assert!(authenticate(&db, "hype_not-a-key").await.unwrap().is_none());
        revoke(&db, None, stored.id).await.unwrap();
        assert!(authenticate(&db, &key).await.unwrap().is_none());
        assert!(matches!(
            revoke(&db, None, stored.id).await,
            Err(Error::Conflict(_))
        ));
    }
}
