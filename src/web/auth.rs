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
    password_hash: String,
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
            id: user.id,
            username: user.username,
            is_admin: user.is_admin,
            password_hash: user.password_hash,
        }
    }
}

impl AuthUser for SessionUser {
    type Id = i32;

    fn id(&self) -> i32 {
        self.id
    }

    /// Sessions end when the password changes.
    fn session_auth_hash(&self) -> &[u8] {
        self.password_hash.as_bytes()
    }
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
            .map(SessionUser::from))
    }
}

pub type AuthSession = axum_login::AuthSession<Backend>;
