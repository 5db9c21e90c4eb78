//! Accounts: creation with argon2 hashes, lookup, and password verification off the executor.
use crate::entities::users;
use crate::error::{Error, Result};
use crate::types::{Email, Password, Username};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

/// Creates an account, and its `user.created` event in the same transaction.
///
/// Errors: `Conflict` when the username or email is taken (case-insensitively), even when two
/// sign-ups race: the unique indexes decide.
pub async fn create<C>(
    db: &C,
    username: &Username,
    email: Option<&Email>,
    password: &Password,
    is_admin: bool,
) -> Result<users::Model>
where
    C: ConnectionTrait + TransactionTrait,
{
    if find_by_username(db, username.as_str()).await?.is_some() {
        return Err(Error::Conflict(format!(
            "The username \"{}\" is taken.",
            username.as_str()
        )));
    }
    if let Some(email) = email {
        if find_by_email(db, email.as_str()).await?.is_some() {
            return Err(Error::Conflict(
                "That email address already has an account.".into(),
            ));
        }
    }
    let password_hash = super::passwords::hash(password.expose().to_owned()).await?;
    let now = super::now();
    let user = users::ActiveModel {
        username: Set(username.as_str().to_owned()),
        email: Set(email.map(|e| e.as_str().to_owned())),
        password_hash: Set(password_hash),
        is_admin: Set(is_admin),
        created_at: Set(now),
        updated_at: Set(now),
        signup_ip: Set(None),
        last_login_ip: Set(None),
        ..Default::default()
    };
    let txn = db.begin().await?;
    let user = user.insert(&txn).await.map_err(|e| {
        if Error::is_unique_violation(&e) {
            Error::Conflict("That username or email address is taken.".into())
        } else {
            Error::from(e)
        }
    })?;
    crate::outbox::emit_user_created(&txn, &user).await?;
    txn.commit().await?;
    Ok(user)
}

pub async fn find_by_id(db: &impl ConnectionTrait, id: i32) -> Result<Option<users::Model>> {
    Ok(users::Entity::find_by_id(id).one(db).await?)
}

/// Looks a user up by username, ignoring case.
pub async fn find_by_username(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<users::Model>> {
    // No username holds a NUL (and PostgreSQL refuses one in a query's text).
    if username.contains('\0') {
        return Ok(None);
    }
    Ok(users::Entity::find()
        .filter(
            Expr::expr(Func::lower(Expr::col(users::Column::Username)))
                .eq(username.trim().to_lowercase()),
        )
        .one(db)
        .await?)
}

pub async fn find_by_email(db: &impl ConnectionTrait, email: &str) -> Result<Option<users::Model>> {
    if email.contains('\0') {
        return Ok(None);
    }
    Ok(users::Entity::find()
        .filter(
            Expr::expr(Func::lower(Expr::col(users::Column::Email)))
                .eq(email.trim().to_lowercase()),
        )
        .one(db)
        .await?)
}

/// Checks a username and password.
///
/// Errors: `BadCredentials` for an unknown user and for a wrong password alike; the unknown
/// case still spends the time of one verification so the two can't be told apart by timing.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    username: &str,
    password: &str,
) -> Result<users::Model> {
    let user = find_by_username(db, username).await?;
    let hash = match &user {
        Some(user) => user.password_hash.clone(),
        None => super::passwords::unusable_hash().to_owned(),
    };
    let ok = super::passwords::verify(password.to_owned(), hash).await?;
    match user {
        Some(user) if ok => Ok(user),
        _ => Err(Error::BadCredentials),
    }
}

/// Remembers the address a user signed up (`signup`) or last logged in from: the evidence for
/// self-referral flags.
pub async fn record_ip(
    db: &impl ConnectionTrait,
    user_id: i32,
    ip: &str,
    signup: bool,
) -> Result<()> {
    let column = if signup {
        users::Column::SignupIp
    } else {
        users::Column::LastLoginIp
    };
    users::Entity::update_many()
        .col_expr(column, Expr::value(ip.to_owned()))
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Users whose name or email contains `query` (all when blank), by name.
pub async fn search(
    db: &impl ConnectionTrait,
    query: &str,
    limit: u64,
) -> Result<Vec<users::Model>> {
    let mut find = users::Entity::find()
        .order_by_asc(users::Column::Username)
        .limit(limit);
    let query = query.trim().to_lowercase();
    if !query.is_empty() {
        let pattern = super::like_pattern(&query)?;
        find = find.filter(
            sea_orm::Condition::any()
                .add(super::ilike(Expr::col(users::Column::Username), &pattern))
                .add(super::ilike(Expr::col(users::Column::Email), &pattern)),
        );
    }
    Ok(find.all(db).await?)
}

/// Grants or revokes admin rights. The last admin can't be revoked: the count of admins is a
/// condition of the update statement itself, taken after every admin row is locked, so two
/// revocations at once can't both pass it.
///
/// Errors: `NotFound`; `Conflict` for the last admin.
pub async fn set_admin<C>(db: &C, actor: i32, user_id: i32, is_admin: bool) -> Result<users::Model>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    if !is_admin && txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        // Under READ COMMITTED the count below reads a snapshot taken when its statement
        // starts: two revocations at once would each count the other admin. Locking every
        // admin row first makes the second wait for the first, and its count then starts
        // after the first committed. (SQLite runs one writing transaction at a time.)
        txn.execute(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT id FROM users WHERE is_admin ORDER BY id FOR UPDATE",
        ))
        .await?;
    }
    let mut update = users::Entity::update_many()
        .col_expr(users::Column::IsAdmin, Expr::value(is_admin))
        .col_expr(users::Column::UpdatedAt, Expr::value(super::now()))
        .filter(users::Column::Id.eq(user_id));
    if !is_admin {
        update = update.filter(Expr::cust(
            "(SELECT COUNT(*) FROM users AS admins WHERE admins.is_admin) > 1",
        ));
    }
    let changed = update.exec(&txn).await?.rows_affected;
    let user = users::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("No such user.".into()))?;
    if changed == 0 {
        return Err(Error::Conflict(
            "That is the last admin: make someone else an admin first.".into(),
        ));
    }
    super::audit::record(
        &txn,
        actor,
        if is_admin {
            "grant_admin"
        } else {
            "revoke_admin"
        },
        "users",
        user_id,
        user.username.clone(),
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::memory_db;

    #[tokio::test]
    async fn usernames_are_unique_ignoring_case() {
        let db = memory_db().await;
        let pw = Password::parse("correct horse").unwrap();
        create(&db, &Username::parse("Alice").unwrap(), None, &pw, false)
            .await
            .unwrap();
        let err = create(&db, &Username::parse("alice").unwrap(), None, &pw, false)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    }

    #[tokio::test]
    async fn login_accepts_the_right_password_only_with_one_message_for_all_failures() {
        let db = memory_db().await;
        let pw = Password::parse("correct horse").unwrap();
        let user = create(&db, &Username::parse("bob").unwrap(), None, &pw, false)
            .await
            .unwrap();
        assert_ne!(user.password_hash, "correct horse");
        assert_eq!(
            authenticate(&db, "BOB", "correct horse").await.unwrap().id,
            user.id
        );
        let wrong = authenticate(&db, "bob", "wrong horse").await.unwrap_err();
        let unknown = authenticate(&db, "nobody", "correct horse")
            .await
            .unwrap_err();
        assert_eq!(wrong.to_string(), unknown.to_string());
    }

    #[test]
    fn debug_output_never_shows_the_hash() {
        let now = crate::services::now();
        let user = users::Model {
            id: 1,
            username: "x".into(),
            email: None,
            password_hash: "$argon2id$secret".into(),
            is_admin: false,
            created_at: now,
            updated_at: now,
            signup_ip: None,
            last_login_ip: None,
            email_confirmed_at: None,
            session_epoch: 0,
            notify_joins: true,
            notify_credits: true,
            notify_digest: true,
            deleted_at: None,
            external_id: None,
            leaderboard_name: None,
            hidden_from_referrer: false,
        };
        assert!(!format!("{user:?}").contains("argon2"));
    }
}
