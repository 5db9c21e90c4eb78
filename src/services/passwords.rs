//! Password hashing, bounded. An argon2 hash takes about 19 MiB and a core for tens of
//! milliseconds, so at most [`configure`]'s number run at once. A caller that gets no turn
//! within [`WAIT`] is answered `Busy` (503 with `Retry-After`) instead of joining a queue of
//! hashes that would take gigabytes and every core from `/ref`.
use crate::error::{Error, Result};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::Semaphore;

/// How long a hash waits for its turn before the request is answered 503.
pub const WAIT: Duration = Duration::from_secs(2);

static TURNS: OnceLock<Turns> = OnceLock::new();

struct Turns {
    semaphore: Semaphore,
    wait: Duration,
}

impl Turns {
    fn new(limit: usize, wait: Duration) -> Self {
        Self {
            semaphore: Semaphore::new(limit.max(1)),
            wait,
        }
    }

    /// Runs `work` (a hash or a verification) on a blocking thread once a turn is free.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let turn = tokio::time::timeout(self.wait, self.semaphore.acquire())
            .await
            .map_err(|_| Error::Busy { retry_after: 1 })?
            .map_err(|e| Error::Internal(format!("password hashing is shut: {e}")))?;
        let result = tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| Error::Internal(format!("password hashing failed: {e}")));
        drop(turn);
        result
    }
}

/// Sets how many hashes may run at once (at least one). Only the first call counts: the bound
/// is the process's, like its cores.
pub fn configure(limit: usize) {
    let _ = TURNS.set(Turns::new(limit, WAIT));
}

fn turns() -> &'static Turns {
    TURNS.get_or_init(|| Turns::new(crate::config::default_hashes(), WAIT))
}

/// An argon2id hash of `password`.
pub async fn hash(password: String) -> Result<String> {
    turns()
        .run(move || password_auth::generate_hash(password))
        .await
}

/// Whether `password` matches `hash`.
pub async fn verify(password: String, hash: String) -> Result<bool> {
    turns()
        .run(move || password_auth::verify_password(password, &hash).is_ok())
        .await
}

/// A hash no password is known to match: an unknown user's stand-in, so that an unknown name
/// costs the time of one verification too.
pub fn unusable_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| password_auth::generate_hash(uuid::Uuid::new_v4().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn beyond_the_bound_a_caller_is_told_to_come_back() {
        let turns = Arc::new(Turns::new(1, Duration::from_millis(50)));
        let (started, release) = (
            Arc::new(tokio::sync::Notify::new()),
            Arc::new(std::sync::Barrier::new(2)),
        );
        let busy = {
            let (turns, started, release) = (turns.clone(), started.clone(), release.clone());
            tokio::spawn(async move {
                turns
                    .run(move || {
                        started.notify_one();
                        release.wait();
                    })
                    .await
            })
        };
        started.notified().await;
        let refused = turns.run(|| ()).await;
        assert!(
            matches!(refused, Err(Error::Busy { retry_after: 1 })),
            "{refused:?}"
        );
        release.wait();
        busy.await.unwrap().unwrap();
        assert!(
            turns.run(|| ()).await.is_ok(),
            "a free turn is taken at once"
        );
    }
}
