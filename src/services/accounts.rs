//! What a user does with their own account: reset a forgotten password by a mailed link,
//! confirm an address, change password and e-mail, sign out other sessions, choose notices,
//! unsubscribe in one click, and delete the account.
//!
//! Tokens are single use and stored hashed (`account_tokens`). A token is the HMAC of a random
//! nonce under a key derived from the site's secret, so the mail worker can rebuild it from
//! the row while a copy of the database alone cannot.
use crate::entities::{
    account_tokens, audit_log, deliveries, outbox_events, referral_hits, referral_links, referrals,
    reward_ledger, users,
};
use crate::error::{Error, Result};
use crate::outbox::{emit_mail, EventType};
use crate::types::{Email, Password};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use sha2::{Digest, Sha256};

/// How long a password-reset link works.
pub const RESET_TTL: TimeDelta = TimeDelta::hours(1);
/// How long an address-confirmation link works.
pub const CONFIRM_TTL: TimeDelta = TimeDelta::days(3);
/// At most one reset mail per account in this time: a form anyone can submit must not become
/// a way to flood someone's mailbox.
const RESET_MAIL_GAP: TimeDelta = TimeDelta::minutes(1);
/// What a deleted account's password hash becomes: no password verifies against it.
pub(crate) const NO_PASSWORD: &str = "!";

/// The key account tokens and unsubscribe links are made with.
#[derive(Clone)]
pub struct TokenKey([u8; 32]);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(***)")
    }
}

impl TokenKey {
    pub fn new(secret: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"hype account tokens\0");
        hasher.update(secret);
        Self(hasher.finalize().into())
    }

    fn mac(&self, parts: &[&[u8]]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        for part in parts {
            mac.update(part);
            mac.update(b"\0");
        }
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// The token of a row with this nonce.
    pub fn token(&self, nonce: &str) -> String {
        self.mac(&[b"token", nonce.as_bytes()])
    }

    /// The token of a one-click unsubscribe link from `notice` for `user_id`.
    pub fn unsubscribe(&self, user_id: i32, notice: Notice) -> String {
        self.mac(&[
            b"unsubscribe",
            user_id.to_string().as_bytes(),
            notice.as_str().as_bytes(),
        ])
    }
}

fn token_hash(token: &str) -> String {
    super::sha256_hex(token.trim())
}

/// The notices a user can choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// Someone joined through my link.
    Joins,
    /// A referral of mine was confirmed and credited.
    Credits,
    /// (Admins) the hourly digest of referrals waiting for review.
    Digest,
}

impl Notice {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Joins => "joins",
            Self::Credits => "credits",
            Self::Digest => "digest",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Joins, Self::Credits, Self::Digest]
            .into_iter()
            .find(|n| n.as_str() == s)
    }

    fn column(self) -> users::Column {
        match self {
            Self::Joins => users::Column::NotifyJoins,
            Self::Credits => users::Column::NotifyCredits,
            Self::Digest => users::Column::NotifyDigest,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Reset,
    Confirm,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Reset => "reset",
            Self::Confirm => "confirm",
        }
    }
}

/// Writes a token row; returns it and the token. Earlier unused tokens of the same purpose
/// stop working: only the newest link does.
async fn issue(
    db: &impl ConnectionTrait,
    key: &TokenKey,
    user_id: i32,
    purpose: Purpose,
    email: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(account_tokens::Model, String)> {
    account_tokens::Entity::update_many()
        .col_expr(account_tokens::Column::UsedAt, Expr::value(now))
        .filter(account_tokens::Column::UserId.eq(user_id))
        .filter(account_tokens::Column::Purpose.eq(purpose.as_str()))
        .filter(account_tokens::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let token = key.token(&nonce);
    let ttl = match purpose {
        Purpose::Reset => RESET_TTL,
        Purpose::Confirm => CONFIRM_TTL,
    };
    let row = account_tokens::ActiveModel {
        user_id: Set(user_id),
        purpose: Set(purpose.as_str().to_owned()),
        nonce: Set(nonce),
        token_hash: Set(token_hash(&token)),
        email: Set(email.map(str::to_owned)),
        expires_at: Set(now + ttl),
        used_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((row, token))
}

/// Issues a token and queues the mail that carries its link (built by the worker).
async fn mail_token(
    db: &impl ConnectionTrait,
    key: &TokenKey,
    user_id: i32,
    purpose: Purpose,
    email: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let (token, _) = issue(db, key, user_id, purpose, email, now).await?;
    let event = match purpose {
        Purpose::Reset => EventType::PasswordReset,
        Purpose::Confirm => EventType::EmailConfirmation,
    };
    let data = serde_json::json!({"token_id": token.id});
    emit_mail(db, event, &format!("user:{user_id}"), data, user_id).await?;
    Ok(())
}

/// The token row of a mail, if it can still be used: the worker sends nothing for a link that
/// was superseded, used or has expired.
pub async fn live_token(
    db: &impl ConnectionTrait,
    token_id: i32,
    now: DateTime<Utc>,
) -> Result<Option<account_tokens::Model>> {
    Ok(account_tokens::Entity::find_by_id(token_id)
        .one(db)
        .await?
        .filter(|t| t.used_at.is_none() && t.expires_at > now))
}

/// Uses a token of `purpose`: marks it used, exactly once even when two requests race.
///
/// Errors: `Invalid` for an unknown, used or expired token, with one message for all.
async fn redeem(
    db: &impl ConnectionTrait,
    token: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<account_tokens::Model> {
    let unusable = || {
        Error::invalid(match purpose {
            Purpose::Reset => "This reset link is invalid, used or expired. Ask for a new one.",
            Purpose::Confirm => {
                "This confirmation link is invalid, used or expired. Ask for a new one on your \
                 account page."
            }
        })
    };
    // The write comes first: on SQLite a transaction that reads before it writes can be
    // refused its write when another connection wrote in between.
    let hash = token_hash(token);
    let used = account_tokens::Entity::update_many()
        .col_expr(account_tokens::Column::UsedAt, Expr::value(now))
        .filter(account_tokens::Column::TokenHash.eq(hash.clone()))
        .filter(account_tokens::Column::Purpose.eq(purpose.as_str()))
        .filter(account_tokens::Column::UsedAt.is_null())
        .filter(account_tokens::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?
        .rows_affected;
    if used == 0 {
        return Err(unusable());
    }
    let row = account_tokens::Entity::find()
        .filter(account_tokens::Column::TokenHash.eq(hash))
        .one(db)
        .await?
        .ok_or_else(unusable)?;
    Ok(row)
}

/// A live account whose username or e-mail address is `login`, ignoring case.
async fn find_by_login(db: &impl ConnectionTrait, login: &str) -> Result<Option<users::Model>> {
    let found = if login.contains('@') {
        super::users::find_by_email(db, login).await?
    } else {
        super::users::find_by_username(db, login).await?
    };
    Ok(found.filter(|user| user.deleted_at.is_none()))
}

/// `/forgot-password`: when `login` names an account with an e-mail address, mails it a reset
/// link (at most one a minute). Says nothing either way: the caller answers the same.
pub async fn request_reset<C>(db: &C, key: &TokenKey, login: &str) -> Result<()>
where
    C: ConnectionTrait + TransactionTrait,
{
    let Some(user) = find_by_login(db, login).await? else {
        return Ok(());
    };
    if user.email.is_none() {
        return Ok(());
    }
    let now = super::now();
    let recent = account_tokens::Entity::find()
        .filter(account_tokens::Column::UserId.eq(user.id))
        .filter(account_tokens::Column::Purpose.eq(Purpose::Reset.as_str()))
        .filter(account_tokens::Column::CreatedAt.gt(now - RESET_MAIL_GAP))
        .one(db)
        .await?;
    if recent.is_some() {
        return Ok(());
    }
    // Every transaction here writes first (see `redeem`).
    let txn = db.begin().await?;
    mail_token(&txn, key, user.id, Purpose::Reset, None, now).await?;
    txn.commit().await?;
    Ok(())
}

/// `hype-server reset-password USERNAME`: a reset link for sites without mail.
///
/// Errors: `NotFound` for an unknown or deleted user.
pub async fn reset_link(
    db: &impl ConnectionTrait,
    key: &TokenKey,
    public_url: &url::Url,
    username: &str,
) -> Result<String> {
    let user = find_by_login(db, username)
        .await?
        .filter(|u| !username.contains('@') || u.username.eq_ignore_ascii_case(username))
        .ok_or_else(|| Error::NotFound(format!("No user is called {username:?}.")))?;
    let (_, token) = issue(db, key, user.id, Purpose::Reset, None, super::now()).await?;
    Ok(reset_url(public_url, &token))
}

/// The page a reset token opens.
pub fn reset_url(public_url: &url::Url, token: &str) -> String {
    let mut url = public_url.clone();
    url.set_path("/reset-password");
    url.set_query(None);
    url.query_pairs_mut().append_pair("token", token);
    url.into()
}

/// The page a confirmation token opens.
pub fn confirm_url(public_url: &url::Url, token: &str) -> String {
    let mut url = public_url.clone();
    url.set_path("/confirm-email");
    url.set_query(None);
    url.query_pairs_mut().append_pair("token", token);
    url.into()
}

/// Sets a new password with a reset token. Every session of the account ends (the session
/// epoch moves and the hash changes); the caller signs the user in again or sends them to
/// log in.
///
/// Errors: `Invalid` for an unusable token or a weak password, and nothing changes.
pub async fn reset_password<C>(db: &C, token: &str, password: &Password) -> Result<users::Model>
where
    C: ConnectionTrait + TransactionTrait,
{
    let hash = super::passwords::hash(password.expose().to_owned()).await?;
    let now = super::now();
    let txn = db.begin().await?;
    let row = redeem(&txn, token, Purpose::Reset, now).await?;
    let user = set_password_hash(&txn, row.user_id, hash, now).await?;
    crate::services::audit::record(&txn, user.id, "reset_password", "users", user.id, "").await?;
    txn.commit().await?;
    Ok(user)
}

async fn set_password_hash(
    db: &impl ConnectionTrait,
    user_id: i32,
    hash: String,
    now: DateTime<Utc>,
) -> Result<users::Model> {
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(hash))
        .col_expr(
            users::Column::SessionEpoch,
            Expr::col(users::Column::SessionEpoch).add(1),
        )
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(user_id))
        .filter(users::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    live_user(db, user_id).await
}

async fn live_user(db: &impl ConnectionTrait, user_id: i32) -> Result<users::Model> {
    users::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .filter(|u| u.deleted_at.is_none())
        .ok_or_else(|| Error::NotFound("That account no longer exists.".into()))
}

/// `/confirm-email`: marks the address the token was sent to as confirmed.
///
/// Errors: `Invalid` for an unusable token, or one sent to an address the account no longer
/// has.
pub async fn confirm_email<C>(db: &C, token: &str) -> Result<users::Model>
where
    C: ConnectionTrait + TransactionTrait,
{
    let now = super::now();
    let txn = db.begin().await?;
    let row = redeem(&txn, token, Purpose::Confirm, now).await?;
    let user = live_user(&txn, row.user_id).await?;
    if user.email.is_none() || user.email != row.email {
        return Err(Error::invalid(
            "This link confirms an address the account no longer uses.",
        ));
    }
    users::Entity::update_many()
        .col_expr(users::Column::EmailConfirmedAt, Expr::value(now))
        .filter(users::Column::Id.eq(user.id))
        .exec(&txn)
        .await?;
    let user = live_user(&txn, user.id).await?;
    txn.commit().await?;
    Ok(user)
}

/// Marks the account's current address as confirmed without a link (an operator created the
/// account with it).
pub async fn mark_email_confirmed(db: &impl ConnectionTrait, user_id: i32) -> Result<()> {
    users::Entity::update_many()
        .col_expr(users::Column::EmailConfirmedAt, Expr::value(super::now()))
        .filter(users::Column::Id.eq(user_id))
        .filter(users::Column::Email.is_not_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Mails a confirmation link for the account's current address (after sign-up, after a
/// change, or when asked again). Nothing when there is no address or it is confirmed.
pub async fn send_confirmation(
    db: &impl ConnectionTrait,
    key: &TokenKey,
    user: &users::Model,
) -> Result<()> {
    let Some(email) = user.email.as_deref() else {
        return Ok(());
    };
    if user.email_confirmed_at.is_some() {
        return Ok(());
    }
    mail_token(
        db,
        key,
        user.id,
        Purpose::Confirm,
        Some(email),
        super::now(),
    )
    .await
}

/// Checks the current password of a live account.
///
/// Errors: `Invalid` for a wrong password (the user is signed in: no need to hide which part
/// was wrong).
async fn check_password(
    db: &impl ConnectionTrait,
    user_id: i32,
    password: &str,
) -> Result<users::Model> {
    let user = live_user(db, user_id).await?;
    if !super::passwords::verify(password.to_owned(), user.password_hash.clone()).await? {
        return Err(Error::invalid("Your current password is not right."));
    }
    Ok(user)
}

/// Changes the password (the current one required). Every other session ends; the caller
/// signs the current one in again with the returned user.
pub async fn change_password<C>(
    db: &C,
    user_id: i32,
    current: &str,
    new: &Password,
) -> Result<users::Model>
where
    C: ConnectionTrait + TransactionTrait,
{
    check_password(db, user_id, current).await?;
    let hash = super::passwords::hash(new.expose().to_owned()).await?;
    let txn = db.begin().await?;
    let user = set_password_hash(&txn, user_id, hash, super::now()).await?;
    crate::services::audit::record(&txn, user_id, "change_password", "users", user_id, "").await?;
    txn.commit().await?;
    Ok(user)
}

/// Changes (or, with `None`, removes) the e-mail address. A new address is unconfirmed until
/// its link is used.
///
/// Errors: `Conflict` when another account has the address.
pub async fn change_email<C>(
    db: &C,
    key: &TokenKey,
    user_id: i32,
    email: Option<&Email>,
) -> Result<users::Model>
where
    C: ConnectionTrait + TransactionTrait,
{
    let user = live_user(db, user_id).await?;
    let unchanged = match (&user.email, email) {
        (Some(old), Some(new)) => old == new.as_str(),
        (None, None) => true,
        _ => false,
    };
    if unchanged {
        return Ok(user);
    }
    let txn = db.begin().await?;
    users::Entity::update_many()
        .col_expr(
            users::Column::Email,
            Expr::value(email.map(|e| e.as_str().to_owned())),
        )
        .col_expr(
            users::Column::EmailConfirmedAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(users::Column::UpdatedAt, Expr::value(super::now()))
        .filter(users::Column::Id.eq(user_id))
        .exec(&txn)
        .await
        .map_err(|e| {
            if Error::is_unique_violation(&e) {
                Error::Conflict("That email address already has an account.".into())
            } else {
                Error::from(e)
            }
        })?;
    let user = live_user(&txn, user_id).await?;
    send_confirmation(&txn, key, &user).await?;
    txn.commit().await?;
    Ok(user)
}

/// Ends every session of the account: the caller signs the current one in again with the
/// returned user.
pub async fn sign_out_everywhere(db: &impl ConnectionTrait, user_id: i32) -> Result<users::Model> {
    users::Entity::update_many()
        .col_expr(
            users::Column::SessionEpoch,
            Expr::col(users::Column::SessionEpoch).add(1),
        )
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    live_user(db, user_id).await
}

/// Turns a notice on or off.
pub async fn set_notice(
    db: &impl ConnectionTrait,
    user_id: i32,
    notice: Notice,
    on: bool,
) -> Result<()> {
    users::Entity::update_many()
        .col_expr(notice.column(), Expr::value(on))
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A one-click unsubscribe (RFC 8058): turns `notice` off when `token` is right.
///
/// Errors: `Invalid` for a wrong token.
pub async fn unsubscribe(
    db: &impl ConnectionTrait,
    key: &TokenKey,
    user_id: i32,
    notice: Notice,
    token: &str,
) -> Result<()> {
    let expected = key.unsubscribe(user_id, notice);
    let matches: bool = subtle_eq(expected.as_bytes(), token.trim().as_bytes());
    if !matches {
        return Err(Error::invalid(
            "This unsubscribe link is not valid. Choose your notices on your account page.",
        ));
    }
    set_notice(db, user_id, notice, false).await
}

fn subtle_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What a deleted account is called from then on.
pub fn deleted_name(user_id: i32) -> String {
    format!("deleted-{user_id}")
}

/// Deletes an account (its current password required). Personal data goes: the e-mail
/// address, the password hash, the addresses of sign-up and log-in, the address, browser and
/// referer of every hit the user made, and the username wherever it was copied (ledger
/// reasons, the audit log, events). The user's row, links, hits, referrals and ledger entries
/// stay, anonymised and the links disabled, so every total stays true. Pending mails to the
/// user are dropped and every session ends.
///
/// Errors: `Invalid` for a wrong password; `Conflict` for the last admin.
pub async fn delete_account<C>(db: &C, user_id: i32, password: &str) -> Result<()>
where
    C: ConnectionTrait + TransactionTrait,
{
    let user = check_password(db, user_id, password).await?;
    let now = super::now();
    let txn = db.begin().await?;
    let name = user.username.clone();
    let anon = deleted_name(user_id);
    users::Entity::update_many()
        .col_expr(users::Column::Username, Expr::value(anon.clone()))
        .col_expr(users::Column::Email, Expr::value(None::<String>))
        .col_expr(
            users::Column::EmailConfirmedAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(users::Column::PasswordHash, Expr::value(NO_PASSWORD))
        .col_expr(users::Column::SignupIp, Expr::value(None::<String>))
        .col_expr(users::Column::LastLoginIp, Expr::value(None::<String>))
        .col_expr(users::Column::IsAdmin, Expr::value(false))
        .col_expr(users::Column::NotifyJoins, Expr::value(false))
        .col_expr(users::Column::NotifyCredits, Expr::value(false))
        .col_expr(users::Column::NotifyDigest, Expr::value(false))
        .col_expr(
            users::Column::SessionEpoch,
            Expr::col(users::Column::SessionEpoch).add(1),
        )
        .col_expr(users::Column::ExternalId, Expr::value(None::<String>))
        .col_expr(users::Column::LeaderboardName, Expr::value(None::<String>))
        .col_expr(users::Column::DeletedAt, Expr::value(now))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(user_id))
        .exec(&txn)
        .await?;
    // Counted after the write (see `redeem`); leaving, the transaction rolls the write back.
    if user.is_admin {
        let admins = users::Entity::find()
            .filter(users::Column::IsAdmin.eq(true))
            .filter(users::Column::DeletedAt.is_null())
            .count(&txn)
            .await?;
        if admins == 0 {
            return Err(Error::Conflict(
                "You are the last admin: make someone else an admin first.".into(),
            ));
        }
    }
    referral_hits::Entity::update_many()
        .col_expr(referral_hits::Column::Ip, Expr::value(None::<String>))
        .col_expr(referral_hits::Column::UserAgent, Expr::value(""))
        .col_expr(referral_hits::Column::HttpReferer, Expr::value(""))
        .filter(referral_hits::Column::HitUserId.eq(user_id))
        .exec(&txn)
        .await?;
    referral_links::Entity::update_many()
        .col_expr(referral_links::Column::Disabled, Expr::value(true))
        .col_expr(referral_links::Column::Label, Expr::value(""))
        .col_expr(referral_links::Column::UpdatedAt, Expr::value(now))
        .filter(referral_links::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    account_tokens::Entity::delete_many()
        .filter(account_tokens::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    deliveries::Entity::delete_many()
        .filter(deliveries::Column::RecipientId.eq(user_id))
        .exec(&txn)
        .await?;
    scrub_copies(&txn, user_id, &name, &anon).await?;
    crate::services::audit::record(&txn, user_id, "delete_account", "users", user_id, "").await?;
    txn.commit().await?;
    Ok(())
}

/// Replaces the username where it was copied into text: ledger reasons, audit details and the
/// outbox's events about the user and their referrals.
async fn scrub_copies(
    db: &impl ConnectionTrait,
    user_id: i32,
    name: &str,
    anon: &str,
) -> Result<()> {
    let pattern = super::like_pattern(name)?;
    let ledger = reward_ledger::Entity::find()
        .filter(super::ilike(
            Expr::col(reward_ledger::Column::Reason),
            &pattern,
        ))
        .all(db)
        .await?;
    for row in ledger {
        let reason = replace_word(&row.reason, name, anon);
        if reason != row.reason {
            reward_ledger::Entity::update_many()
                .col_expr(reward_ledger::Column::Reason, Expr::value(reason))
                .filter(reward_ledger::Column::Id.eq(row.id))
                .exec(db)
                .await?;
        }
    }
    let audit = audit_log::Entity::find()
        .filter(super::ilike(Expr::col(audit_log::Column::Detail), &pattern))
        .all(db)
        .await?;
    for row in audit {
        let detail = replace_word(&row.detail, name, anon);
        if detail != row.detail {
            audit_log::Entity::update_many()
                .col_expr(audit_log::Column::Detail, Expr::value(detail))
                .filter(audit_log::Column::Id.eq(row.id))
                .exec(db)
                .await?;
        }
    }
    let referral_ids: Vec<i32> = referrals::Entity::find()
        .select_only()
        .column(referrals::Column::Id)
        .filter(
            sea_orm::Condition::any()
                .add(referrals::Column::ReferredUserId.eq(user_id))
                .add(referrals::Column::ReferrerUserId.eq(user_id)),
        )
        .into_tuple()
        .all(db)
        .await?;
    let subjects: Vec<String> = referral_ids
        .iter()
        .map(|id| format!("referral:{id}"))
        .chain([format!("user:{user_id}")])
        .collect();
    for chunk in subjects.chunks(500) {
        let events = outbox_events::Entity::find()
            .filter(outbox_events::Column::Subject.is_in(chunk.iter().cloned()))
            .order_by_asc(outbox_events::Column::CreatedAt)
            .all(db)
            .await?;
        for event in events {
            let Ok(mut data) = serde_json::from_str::<serde_json::Value>(&event.data) else {
                continue;
            };
            if replace_value(&mut data, name, anon) {
                outbox_events::Entity::update_many()
                    .col_expr(outbox_events::Column::Data, Expr::value(data.to_string()))
                    .filter(outbox_events::Column::Id.eq(event.id))
                    .exec(db)
                    .await?;
            }
        }
    }
    Ok(())
}

/// `text` with every whole-word `name` (not part of a longer username) replaced by `anon`.
fn replace_word(text: &str, name: &str, anon: &str) -> String {
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(name) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + name.len()..].chars().next();
        let whole = !before.is_some_and(is_name_char)
            && !after.is_some_and(|c| is_name_char(c) && c != '.');
        out.push_str(&rest[..at]);
        out.push_str(if whole { anon } else { name });
        rest = &rest[at + name.len()..];
    }
    out.push_str(rest);
    out
}

/// Replaces every JSON string equal to `name`; true when one was.
fn replace_value(value: &mut serde_json::Value, name: &str, anon: &str) -> bool {
    let children: Vec<&mut serde_json::Value> = match value {
        serde_json::Value::String(s) if s == name => {
            *s = anon.to_owned();
            return true;
        }
        serde_json::Value::Array(items) => items.iter_mut().collect(),
        serde_json::Value::Object(map) => map.values_mut().collect(),
        _ => return false,
    };
    let mut replaced = false;
    for child in children {
        replaced |= replace_value(child, name, anon);
    }
    replaced
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_usernames_are_replaced() {
        assert_eq!(
            replace_word("Referral of bob confirmed", "bob", "deleted-7"),
            "Referral of deleted-7 confirmed"
        );
        assert_eq!(
            replace_word("bobby: credited 100 to bob.", "bob", "deleted-7"),
            "bobby: credited 100 to deleted-7."
        );
        assert_eq!(
            replace_word("bob_2 and x-bob", "bob", "d"),
            "bob_2 and x-bob"
        );
    }

    #[test]
    fn tokens_depend_on_the_secret_and_unsubscribe_links_on_user_and_notice() {
        let key = TokenKey::new(b"one secret of thirty-two bytes or more");
        let other = TokenKey::new(b"another secret of thirty-two bytes or so");
        assert_eq!(key.token("n1"), key.token("n1"));
        assert_ne!(key.token("n1"), other.token("n1"));
        assert_ne!(key.token("n1"), key.token("n2"));
        assert_ne!(
            key.unsubscribe(1, Notice::Joins),
            key.unsubscribe(2, Notice::Joins)
        );
        assert_ne!(
            key.unsubscribe(1, Notice::Joins),
            key.unsubscribe(1, Notice::Credits)
        );
        assert_eq!(token_hash(&key.token("n1")).len(), 64);
    }
}
