//! The core's one error type. Every variant but `Db`/`Internal` is the user's doing and
//! carries a message safe to show them.
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is malformed; the message says how to fix it.
    #[error("{0}")]
    Invalid(String),
    /// The input collides with something that exists (a taken username or identifier).
    #[error("{0}")]
    Conflict(String),
    /// A named thing does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Unknown user or wrong password: one message for both.
    #[error("Wrong username or password.")]
    BadCredentials,
    /// Too many attempts from this account or address lately (429 with `Retry-After`).
    #[error("{message}")]
    Throttled { message: String, retry_after: u32 },
    /// The server is at its bound of concurrent password hashes (503 with `Retry-After`).
    #[error("The server is busy. Please try again in a moment.")]
    Busy { retry_after: u32 },
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }

    /// True when the failure is the server's, not the caller's (a 5xx).
    pub fn is_server_error(&self) -> bool {
        matches!(self, Self::Db(_) | Self::Internal(_))
    }

    /// True when a unique constraint refused the write.
    pub fn is_unique_violation(err: &DbErr) -> bool {
        matches!(
            err.sql_err(),
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
        )
    }
}

/// True when `err` means the database could not be reached (refused, dropped, timed out,
/// shutting down), as opposed to a statement it refused. Such failures answer 503.
pub fn is_connection_error(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::RuntimeErr;
    let sqlx = match err {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        DbErr::Conn(_) => return true,
        _ => return false,
    };
    match sqlx {
        Sqlx::Io(_)
        | Sqlx::Tls(_)
        | Sqlx::Protocol(_)
        | Sqlx::PoolTimedOut
        | Sqlx::PoolClosed
        | Sqlx::WorkerCrashed => true,
        // PostgreSQL shutting down or starting up: admin_shutdown, crash_shutdown,
        // cannot_connect_now.
        Sqlx::Database(e) => matches!(e.code().as_deref(), Some("57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
