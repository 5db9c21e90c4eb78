//! Accounts for axum-login: the backend that checks credentials and loads the session's user.
use crate::entities::users;
use crate::error::Error;
use crate::services;
use axum_login::{AuthUser, AuthnBackend, UserId};
use sea_orm::DatabaseConnection;

/// The signed-in user as the session knows them. Never serialized to clients.
#[derive(Clone)]
pub struct SessionUser {
    pub id: i32,
    pub username: String,
    pub is_admin: bool,
    /// What ties a session to the account's credentials: a digest of the password hash and the
    /// session epoch, so a new password, "sign out everywhere" or deletion ends every session
    /// not signed in again, and no session stores the hash itself.
    auth_hash: [u8; 32],
}

impl std::fmt::Debug for SessionUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionUser")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("is_admin", &self.is_admin)
            .finish_non_exhaustive()
    }
}

impl From<users::Model> for SessionUser {
    fn from(user: users::Model) -> Self {
        Self {
            auth_hash: auth_hash(&user),
            id: user.id,
            username: user.username,
            is_admin: user.is_admin,
        }
    }
}

impl AuthUser for SessionUser {
    type Id = i32;

    fn id(&self) -> i32 {
        self.id
    }

    /// Sessions end when the password or the session epoch changes.
    fn session_auth_hash(&self) -> &[u8] {
        &self.auth_hash
    }
}

fn auth_hash(user: &users::Model) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(user.password_hash.as_bytes());
    hasher.update(b"\0");
    hasher.update(user.session_epoch.to_be_bytes());
    hasher.finalize().into()
}

#[derive(Clone)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

#[derive(Clone)]
pub struct Backend {
    db: DatabaseConnection,
}

impl Backend {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl AuthnBackend for Backend {
    type User = SessionUser;
    type Credentials = Credentials;
    type Error = Error;

    async fn authenticate(&self, creds: Credentials) -> Result<Option<SessionUser>, Error> {
        match services::users::authenticate(&self.db, &creds.username, &creds.password).await {
            Ok(user) => Ok(Some(user.into())),
            Err(Error::BadCredentials) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<SessionUser>, Error> {
        Ok(services::users::find_by_id(&self.db, *id)
            .await?
            .filter(|user| user.deleted_at.is_none())
            .map(SessionUser::from))
    }
}

pub type AuthSession = axum_login::AuthSession<Backend>;
