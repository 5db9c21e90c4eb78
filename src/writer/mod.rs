//! Group commit for hits, and the database's health.
//!
//! Every `/ref` visit hands its hit to one writer task and waits. The writer takes whatever has
//! queued up (up to `batch` hits; under load it first waits briefly for as many as its last
//! batch held, see [`gather`]), stores them with one multi-row `INSERT` in one transaction,
//! and only after the commit answers each waiting request. Under load many hits share one
//! commit (one fsync), so throughput grows with concurrency while every 302 still means "this
//! hit is on disk". When the queue is full the visit is refused at once (503) instead of
//! waiting without bound.
//!
//! [`Health`] is a flag the writer raises on a connection failure and a probe clears when the
//! database answers again; while it is up `/ref` and the pages answer 503 immediately.
mod connection;

pub use connection::{writer_connection, OwnConnection};

use crate::config::WriterOptions;
use crate::entities::referral_hits;
use crate::error::is_connection_error;
use crate::services::hits::{self, HitFacts, NewHit};
use sea_orm::DatabaseConnection;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// Why a hit was not stored. Every variant is answered 503: the visit can be retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error("too many visits are waiting to be stored")]
    Overloaded,
    #[error("the database is unavailable")]
    Unavailable,
    #[error("the hit could not be stored: {0}")]
    Failed(String),
}

/// Whether the database is believed reachable; shared by the writer, `/ref` and the pages.
#[derive(Clone, Debug, Default)]
pub struct Health {
    down: Arc<AtomicBool>,
}

impl Health {
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
    }

    pub fn mark_down(&self) {
        if !self.down.swap(true, Ordering::Relaxed) {
            tracing::error!("the database is unreachable: answering 503 until it is back");
        }
    }

    /// Marks the database down when `error` says it can't be reached; returns whether it did.
    pub fn observe(&self, error: &crate::Error) -> bool {
        let unreachable = matches!(error, crate::Error::Db(e) if is_connection_error(e));
        if unreachable {
            self.mark_down();
        }
        unreachable
    }

    fn mark_up(&self) {
        if self.down.swap(false, Ordering::Relaxed) {
            tracing::info!("the database is reachable again");
        }
    }

    /// Checks the database every second (every 250 ms while it is down) and keeps the flag
    /// true to what it finds. Stops once nothing else holds this `Health`.
    pub fn spawn_probe(&self, db: DatabaseConnection) {
        let weak = Arc::downgrade(&self.down);
        let health = move || weak.upgrade().map(|down| Health { down });
        tokio::spawn(async move {
            while let Some(pause) = health().map(|h| if h.is_down() { 250 } else { 1000 }) {
                tokio::time::sleep(Duration::from_millis(pause)).await;
                let ping = tokio::time::timeout(Duration::from_secs(2), db.ping()).await;
                let Some(health) = health() else { break };
                match ping {
                    Ok(Ok(())) => health.mark_up(),
                    Ok(Err(error)) => {
                        if !is_connection_error(&error) {
                            tracing::warn!(%error, "database health check failed");
                        }
                        health.mark_down();
                    }
                    Err(_) => health.mark_down(),
                }
            }
        });
    }
}

struct Job {
    row: referral_hits::ActiveModel,
    facts: HitFacts,
    done: oneshot::Sender<Result<(), WriteError>>,
}

/// The handle requests use to store a hit; cheap to clone.
#[derive(Clone)]
pub struct HitWriter {
    jobs: mpsc::Sender<Job>,
    health: Health,
}

impl HitWriter {
    /// Starts the writer task on the current runtime. It ends when every handle is dropped,
    /// after storing what is queued.
    pub fn start(db: DatabaseConnection, health: Health, options: WriterOptions) -> Self {
        Self::spawn(Sink::Shared(db), health, options)
    }

    /// [`HitWriter::start`] on a connection that nothing else uses (see
    /// `crate::writer::writer_connection`), which lets each batch go to the database in one trip.
    pub fn start_exclusive(own: OwnConnection, health: Health, options: WriterOptions) -> Self {
        Self::spawn(Sink::Own(own.idle_after(options.idle)), health, options)
    }

    fn spawn(sink: Sink, health: Health, options: WriterOptions) -> Self {
        let (jobs, queue) = mpsc::channel(options.queue.max(1));
        tokio::spawn(run(sink, health.clone(), queue, options));
        Self { jobs, health }
    }

    pub fn health(&self) -> &Health {
        &self.health
    }

    /// Stores `hit` and returns its id once the transaction holding it has committed.
    pub async fn record(&self, hit: NewHit) -> Result<Uuid, WriteError> {
        if self.health.is_down() {
            return Err(WriteError::Unavailable);
        }
        let id = Uuid::now_v7();
        let (done, answer) = oneshot::channel();
        let now = crate::services::now();
        let job = Job {
            facts: hits::facts(&hit, now),
            row: hits::active_model(id, hit, now),
            done,
        };
        self.jobs.try_send(job).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => WriteError::Overloaded,
            mpsc::error::TrySendError::Closed(_) => WriteError::Unavailable,
        })?;
        match answer.await {
            Ok(result) => result.map(|()| id),
            // The writer went away without answering (the runtime is shutting down).
            Err(_) => Err(WriteError::Unavailable),
        }
    }
}

/// Where the writer stores its batches.
enum Sink {
    /// The connection the pages use (an in-memory SQLite database has no other).
    Shared(DatabaseConnection),
    /// A connection of the writer's own, held across batches.
    Own(OwnConnection),
}

async fn run(
    mut sink: Sink,
    health: Health,
    mut queue: mpsc::Receiver<Job>,
    options: WriterOptions,
) {
    let limit = options.batch.clamp(1, hits::MAX_BATCH);
    let mut batch = Vec::with_capacity(limit);
    // Hits in the last batch: under load about as many visits are on their way back.
    let mut expected = 0;
    while queue.recv_many(&mut batch, limit).await > 0 {
        gather(&mut queue, &mut batch, expected.min(limit), options.linger).await;
        expected = batch.len();
        let (rows, waiting): (Vec<_>, Vec<_>) = batch
            .drain(..)
            .map(|job| ((job.row, job.facts), job.done))
            .unzip();
        let started = std::time::Instant::now();
        let results =
            match tokio::time::timeout(options.commit_timeout, store(&mut sink, &health, rows))
                .await
            {
                Ok(results) => results,
                Err(_) => {
                    tracing::error!(
                        hits = waiting.len(),
                        "storing a batch of hits timed out; answering 503"
                    );
                    if let Sink::Own(own) = &mut sink {
                        own.discard();
                    }
                    vec![Err(WriteError::Unavailable); waiting.len()]
                }
            };
        tracing::debug!(
            hits = waiting.len(),
            micros = started.elapsed().as_micros() as u64,
            "stored a batch of hits"
        );
        for (done, result) in waiting.into_iter().zip(results) {
            // A request that gave up waiting is gone; its hit is stored all the same.
            let _ = done.send(result);
        }
    }
}

/// Waits up to `linger` for `batch` to reach `want` hits.
///
/// Each commit answers its visitors together, and under load they come back together a few
/// hundred microseconds later. Committing at once whatever has arrived splits them: a lone
/// early hit pays a whole commit (an fsync) of its own while the rest queue behind it, and
/// batches alternate between one hit and all the others. Waiting for as many as the last batch
/// held keeps them in one commit. At low load the last batch held one hit, so nothing waits;
/// when load drops, one wait of `linger` at most brings `want` down to what arrived.
async fn gather(
    queue: &mut mpsc::Receiver<Job>,
    batch: &mut Vec<Job>,
    want: usize,
    linger: Duration,
) {
    if batch.len() >= want || linger.is_zero() {
        return;
    }
    let deadline = tokio::time::Instant::now() + linger;
    while batch.len() < want {
        let more = want - batch.len();
        match tokio::time::timeout_at(deadline, queue.recv_many(batch, more)).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

impl Sink {
    async fn store(
        &mut self,
        rows: &[(referral_hits::ActiveModel, HitFacts)],
    ) -> crate::Result<()> {
        match self {
            Self::Shared(db) => hits::store_all(db, rows).await,
            Self::Own(own) => connection::store_batch(own, rows).await,
        }
    }
}

/// Stores `rows` in one transaction; if that fails for a reason other than the connection
/// (a link deleted meanwhile, say), stores them one by one so one bad row fails alone.
async fn store(
    sink: &mut Sink,
    health: &Health,
    rows: Vec<(referral_hits::ActiveModel, HitFacts)>,
) -> Vec<Result<(), WriteError>> {
    let count = rows.len();
    let error = match sink.store(&rows).await {
        Ok(()) => return vec![Ok(()); count],
        Err(error) => error,
    };
    if health.observe(&error) {
        tracing::error!(%error, hits = count, "storing hits failed: the database is unreachable");
        return vec![Err(WriteError::Unavailable); count];
    }
    tracing::warn!(%error, hits = count, "storing a batch of hits failed; retrying one by one");
    let mut results = Vec::with_capacity(count);
    for row in rows {
        results.push(match sink.store(std::slice::from_ref(&row)).await {
            Ok(()) => Ok(()),
            Err(error) => {
                health.observe(&error);
                tracing::error!(%error, "could not store a hit");
                Err(WriteError::Failed(error.to_string()))
            }
        });
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::links::{self, NewLink};
    use crate::services::running_totals;
    use crate::test_support::{file_db, memory_db, user};
    use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, TransactionTrait};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_hits_share_commits_and_a_bad_one_fails_alone() {
        let db = memory_db().await;
        let writer = HitWriter::start(db.clone(), Health::default(), WriterOptions::default());
        two_hundred_hits_four_refused(db, writer).await;
    }

    /// The same on an SQLite file, where the writer has a connection of its own and sends each
    /// batch as one script: a refused row rolls its script back, and the retry stores the rest.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_writer_s_own_sqlite_connection_rolls_back_a_failed_batch() {
        let file = file_db().await;
        let own = crate::writer::writer_connection(&file.db).await.unwrap();
        let own = own.expect("a file database gives the writer its own connection");
        let writer = HitWriter::start_exclusive(own, Health::default(), WriterOptions::default());
        two_hundred_hits_four_refused(file.db.clone(), writer).await;
    }

    /// A batch that outlives `commit_timeout` is answered 503, and its transaction must not
    /// outlive it: the writer's SQLite connection would otherwise keep the database's write
    /// lock, and every sign-up and confirmation on the pages would fail until the next visit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_timed_out_batch_leaves_the_database_writable() {
        let file = file_db().await;
        let db = &file.db;
        let owner = user(db, "owner").await;
        let link = links::create(db, owner.id, NewLink::default())
            .await
            .unwrap();
        let own = crate::writer::writer_connection(db).await.unwrap().unwrap();
        let options = WriterOptions {
            commit_timeout: Duration::from_millis(100),
            ..WriterOptions::default()
        };
        let writer = HitWriter::start_exclusive(own, Health::default(), options);
        // Another connection holds the write lock until every visit has been answered, so no
        // batch can commit: each waits in SQLite's busy handler until the timeout gives it up.
        let lock = db.begin().await.unwrap();
        lock.execute_unprepared("UPDATE site_counts SET value = value")
            .await
            .unwrap();
        let hits = (0..200).map(|_| {
            writer.record(NewHit {
                link_id: link.id,
                ..Default::default()
            })
        });
        let answers = futures_util::future::join_all(hits).await;
        assert!(answers.iter().all(|a| a == &Err(WriteError::Unavailable)));
        lock.rollback().await.unwrap();

        // The pages can still write, well within SQLite's 5 s busy timeout.
        let started = std::time::Instant::now();
        user(db, "newcomer").await;
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "a page's write waited {:?} for the hit writer's lock",
            started.elapsed()
        );
        drop(writer);
    }

    async fn two_hundred_hits_four_refused(db: DatabaseConnection, writer: HitWriter) {
        let owner = user(&db, "owner").await;
        let link = links::create(&db, owner.id, NewLink::default())
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for i in 0..200 {
            let writer = writer.clone();
            // Every 50th hit names a link that doesn't exist: the foreign key refuses it.
            let link_id = if i % 50 == 0 { 9999 } else { link.id };
            tasks.push(tokio::spawn(async move {
                writer
                    .record(NewHit {
                        link_id,
                        visitor_id: Some(Uuid::now_v7()),
                        ..Default::default()
                    })
                    .await
            }));
        }
        let mut stored = 0;
        let mut refused = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => stored += 1,
                Err(WriteError::Failed(_)) => refused += 1,
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!((stored, refused), (196, 4));
        assert_eq!(referral_hits::Entity::find().count(&db).await.unwrap(), 196);
        let today = crate::services::now().date_naive();
        let (days, people) = running_totals::read(&db, today).await.unwrap();
        assert_eq!((days.get(&today).copied(), people), (Some(196), 196));
    }

    fn job() -> Job {
        let hit = NewHit::default();
        let now = crate::services::now();
        Job {
            facts: hits::facts(&hit, now),
            row: hits::active_model(Uuid::now_v7(), hit, now),
            done: oneshot::channel().0,
        }
    }

    /// The visitors a commit answered come back one by one: the writer waits for as many as
    /// its last batch held, up to `linger`, and no longer than it takes them to arrive.
    #[tokio::test(start_paused = true)]
    async fn the_writer_waits_briefly_for_the_visitors_it_just_answered() {
        let (jobs, mut queue) = mpsc::channel(16);
        let linger = Duration::from_millis(50);
        let mut batch = vec![job()];
        let late = tokio::spawn(async move {
            for _ in 0..2 {
                tokio::time::sleep(Duration::from_millis(2)).await;
                jobs.send(job()).await.unwrap();
            }
            jobs
        });
        let started = tokio::time::Instant::now();
        gather(&mut queue, &mut batch, 3, linger).await;
        assert_eq!(
            batch.len(),
            3,
            "the two late visitors share the first one's commit"
        );
        assert!(
            started.elapsed() < linger,
            "it stopped waiting once they were in"
        );

        // Nobody else comes: after `linger` it commits what it has.
        let _jobs = late.await.unwrap();
        let mut batch = vec![job()];
        let started = tokio::time::Instant::now();
        gather(&mut queue, &mut batch, 3, linger).await;
        assert_eq!((batch.len(), started.elapsed()), (1, linger));

        // Enough hits already, or a one-hit last batch (low load): no wait at all.
        let started = tokio::time::Instant::now();
        gather(&mut queue, &mut batch, 1, linger).await;
        assert_eq!((batch.len(), started.elapsed()), (1, Duration::ZERO));
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_so_does_a_down_database() {
        let db = memory_db().await;
        let owner = user(&db, "owner").await;
        let link = links::create(&db, owner.id, NewLink::default())
            .await
            .unwrap();
        let health = Health::default();
        let options = WriterOptions {
            queue: 1,
            ..WriterOptions::default()
        };
        let writer = HitWriter::start(db, health.clone(), options);
        let hit = || NewHit {
            link_id: link.id,
            ..Default::default()
        };
        // On this one-thread runtime the writer can't run between the two: the first hit fills
        // the queue, the second is refused without waiting, then the first is stored.
        let (first, second) = tokio::join!(writer.record(hit()), writer.record(hit()));
        assert!(first.is_ok(), "{first:?}");
        assert_eq!(second, Err(WriteError::Overloaded));

        health.mark_down();
        assert_eq!(writer.record(hit()).await, Err(WriteError::Unavailable));
    }
}
