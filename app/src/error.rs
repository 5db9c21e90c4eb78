//! `AppError`: the error type of every server function. It crosses the wire as JSON, carries a
//! message safe to show, and maps to an HTTP status.
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    /// The input is wrong; the message says how.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("Wrong username or password.")]
    BadCredentials,
    #[error("Please log in first.")]
    Unauthorized,
    #[error("You are not allowed to do that.")]
    Forbidden,
    /// Too many attempts lately; try again after `retry_after` seconds.
    #[error("{message}")]
    Throttled { message: String, retry_after: u32 },
    /// The server is at a bound it keeps to stay up; try again after `retry_after` seconds.
    #[error("The server is busy. Please try again in a moment.")]
    Busy { retry_after: u32 },
    /// Something failed on our side; the cause is in the server's log, not here.
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
    /// The request never reached the function properly (network, decoding).
    #[error("The request failed: {0}")]
    Transport(String),
}

impl AppError {
    pub fn status(&self) -> u16 {
        match self {
            Self::Invalid(_) | Self::Transport(_) => 400,
            Self::BadCredentials | Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound(_) => 404,
            Self::Conflict(_) => 409,
            Self::Throttled { .. } => 429,
            Self::Internal => 500,
            Self::Busy { .. } => 503,
        }
    }

    /// The seconds a `Retry-After` header should carry, for the answers that ask for one.
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            Self::Throttled { retry_after, .. } | Self::Busy { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = crate::codec::JsonText;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::MissingArg(msg) => {
                Self::Invalid(format!("Some fields are missing or malformed: {msg}"))
            }
            other => Self::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<hype::Error> for AppError {
    fn from(error: hype::Error) -> Self {
        match error {
            hype::Error::Invalid(m) => Self::Invalid(m),
            hype::Error::Conflict(m) => Self::Conflict(m),
            hype::Error::NotFound(m) => Self::NotFound(m),
            hype::Error::BadCredentials => Self::BadCredentials,
            hype::Error::Throttled {
                message,
                retry_after,
            } => Self::Throttled {
                message,
                retry_after,
            },
            hype::Error::Busy { retry_after } => Self::Busy { retry_after },
            hype::Error::Db(e) => {
                tracing::error!(error = %e, "database error in a server function");
                Self::Internal
            }
            hype::Error::Internal(m) => {
                tracing::error!(error = %m, "internal error in a server function");
                Self::Internal
            }
        }
    }
}
