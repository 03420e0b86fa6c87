//! Group commit. Every write of a case is a [`Job`] handed to a writer lane: a task that
//! takes whatever jobs are waiting (up to [`MAX_BATCH`]), runs each inside a savepoint of one
//! database transaction, inserts the rows they append (events, audit events, inbox
//! messages: [`crate::append`]) with one statement per table, commits that transaction once,
//! and only then answers every job. So steps from many agencies that arrive together share
//! one commit and its fsync, a refused or failed step rolls back to its savepoint without
//! touching its neighbours, and no step is acknowledged before its commit is durable.
//!
//! SQLite has one writer, so it gets one lane (on a thread of its own, see
//! [`Writers::start`]), whose transaction takes the database's write
//! lock first. PostgreSQL gets several lanes, each on its own connection; a case always goes
//! to the same lane (by its id), so two lanes never wait on each other for a case's row.

use std::hash::{Hash, Hasher};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use futures::FutureExt;
use futures::future::BoxFuture;
use netral_domain::CaseId;
use opentelemetry::metrics::Histogram;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    QueryFilter, TransactionTrait,
};
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::append::Appends;
use crate::entity::cases;
use crate::error::StoreError;
use crate::store::{FailPoints, GateGuard, WriteGate};

/// Most jobs one commit carries: bounds the time a lane holds its transaction open.
pub(crate) const MAX_BATCH: usize = 64;

/// How many jobs may wait for a lane before `submit` waits too (backpressure).
const LANE_QUEUE: usize = 1024;

/// What a job hands back after running: called once with the outcome of the batch's commit
/// (`Err` with the reason when nothing was committed), it answers the job's caller.
pub(crate) type Settle = Box<dyn FnOnce(Result<(), String>) + Send>;

/// The savepoint a lane sets before each job, in the batch's transaction: the job writes
/// through it and rolls back to it when it fails. Setting it and releasing the one before
/// share a round trip (`RELEASE SAVEPOINT step; SAVEPOINT step`); the commit releases the
/// last.
pub(crate) struct Savepoint<'a> {
    /// The batch's transaction.
    txn: &'a DatabaseTransaction,
    /// The rows the batch inserts after its last job ([`crate::append`]).
    appends: &'a Mutex<Appends>,
    /// Set when rolling back to the savepoint failed: the job's writes may still be in the
    /// transaction, so nothing of the batch may be committed.
    broken: AtomicBool,
}

impl Savepoint<'_> {
    /// The transaction to write in.
    pub(crate) fn txn(&self) -> &DatabaseTransaction {
        self.txn
    }

    /// Adds rows to the batch's appends, which are inserted after its last job and
    /// committed with it. Call it only once the job cannot roll back any more: a job rolled
    /// back to its savepoint must have appended nothing.
    pub(crate) fn append(&self, add: impl FnOnce(&mut Appends)) {
        let mut appends = self.appends.lock().unwrap_or_else(|p| p.into_inner());
        add(&mut appends);
    }

    /// Undoes everything written since the savepoint was set.
    pub(crate) async fn roll_back(&self) {
        if let Err(err) = self
            .txn
            .execute_unprepared("ROLLBACK TO SAVEPOINT step")
            .await
        {
            tracing::error!(error = %err, "rolling back to a step's savepoint failed");
            self.broken.store(true, Ordering::SeqCst);
        }
    }
}

/// One write waiting for a lane.
pub(crate) trait Job: Send {
    /// Runs the write after `savepoint` (in the batch's transaction), rolling back to it if
    /// the write fails.
    fn run<'a>(self: Box<Self>, savepoint: &'a Savepoint<'a>) -> BoxFuture<'a, Settle>;
    /// Answers the caller without running: the batch could not start or was abandoned.
    fn refuse(self: Box<Self>, why: String);
    /// The span the job's writes are recorded under (a step's transaction span); none by
    /// default.
    fn span(&self) -> tracing::Span {
        tracing::Span::none()
    }
}

/// Where the lanes report the size of each committed batch, once the server provides it.
pub(crate) type BatchSizes = Arc<OnceLock<Histogram<u64>>>;

/// The writer lanes of one store; cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct Writers {
    /// One queue per lane task.
    lanes: Vec<mpsc::Sender<Box<dyn Job>>>,
    /// The batch-size histogram the lanes record into.
    pub(crate) batch_sizes: BatchSizes,
}

impl Writers {
    /// Starts `lanes` lane tasks writing to `db`. With `own_thread` (SQLite: its one lane
    /// and sqlx's SQLite worker are the whole write path) they run on a thread of their own
    /// with a single-threaded runtime, so the lane's wake-up after every statement does not
    /// queue behind the gRPC connections' tasks; otherwise (PostgreSQL, several lanes doing
    /// CPU work in parallel) they are tasks of the current runtime. The lanes end when the
    /// last clone of the returned value is dropped.
    pub(crate) fn start(
        db: &DatabaseConnection,
        lanes: usize,
        own_thread: bool,
        fail_points: FailPoints,
        gate: WriteGate,
    ) -> Result<Self, StoreError> {
        let (senders, queues): (Vec<_>, Vec<_>) = (0..lanes.max(1))
            .map(|_| mpsc::channel::<Box<dyn Job>>(LANE_QUEUE))
            .unzip();
        let db = db.clone();
        let batch_sizes = BatchSizes::default();
        let sizes = batch_sizes.clone();
        let run_lanes = async move {
            let lanes: Vec<_> = queues
                .into_iter()
                .map(|queue| {
                    let (db, sizes, fail) = (db.clone(), sizes.clone(), fail_points.clone());
                    tokio::spawn(lane(db, queue, sizes, fail, gate.clone()))
                })
                .collect();
            for lane in lanes {
                let _ = lane.await;
            }
        };
        if !own_thread {
            tokio::spawn(run_lanes);
            return Ok(Self {
                lanes: senders,
                batch_sizes,
            });
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Open(format!("the writer's runtime: {e}")))?;
        std::thread::Builder::new()
            .name("netral-writer".into())
            .spawn(move || runtime.block_on(run_lanes))
            .map_err(|e| StoreError::Open(format!("the writer's thread: {e}")))?;
        Ok(Self {
            lanes: senders,
            batch_sizes,
        })
    }

    /// Queues `job` on the lane of `case`.
    pub(crate) async fn submit(&self, case: CaseId, job: Box<dyn Job>) -> Result<(), StoreError> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        case.as_uuid().hash(&mut hasher);
        let lane = (hasher.finish() % self.lanes.len() as u64) as usize;
        self.lanes[lane]
            .send(job)
            .await
            .map_err(|_| StoreError::WriterStopped)
    }
}

/// A lane: waits for a job, takes every other job already waiting, commits them as one.
async fn lane(
    db: DatabaseConnection,
    mut queue: mpsc::Receiver<Box<dyn Job>>,
    sizes: BatchSizes,
    fail_points: FailPoints,
    gate: WriteGate,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = queue.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Some(histogram) = sizes.get() {
            histogram.record(batch.len() as u64, &[]);
        }
        commit_batch(&db, &gate, std::mem::take(&mut batch), &fail_points).await;
    }
}

/// Runs `jobs` in one transaction and answers each after its commit.
async fn commit_batch(
    db: &DatabaseConnection,
    gate: &WriteGate,
    jobs: Vec<Box<dyn Job>>,
    fail_points: &FailPoints,
) {
    // Held until the batch is committed or rolled back, as `begin` says.
    let (txn, _gate) = match begin(db, gate).await {
        Ok(opened) => opened,
        Err(err) => {
            tracing::warn!(error = %err, jobs = jobs.len(), "a write batch could not start");
            let why = format!("the batch could not start: {err}");
            jobs.into_iter().for_each(|job| job.refuse(why.clone()));
            return;
        }
    };
    let size = jobs.len();
    // The commit is shared: its span follows from every step it carries.
    let commit = tracing::info_span!("group commit", netral.batch_size = size);
    for job in &jobs {
        let step = job.span();
        step.record("netral.batch_size", size);
        commit.follows_from(&step);
    }
    let mut settles = Vec::with_capacity(size);
    let appends = Mutex::new(Appends::default());
    let mut jobs = jobs.into_iter();
    while let Some(job) = jobs.next() {
        match run_job(&txn, &appends, job, settles.is_empty()).await {
            Ok(settle) => settles.push(settle),
            Err(why) => {
                abandon(txn, settles, jobs, &why).await;
                return;
            }
        }
    }
    let appends = appends.into_inner().unwrap_or_else(|p| p.into_inner());
    let written = if fail_points.take_appends() {
        Err(DbErr::Custom("injected failure".into()))
    } else {
        appends.write(&txn).instrument(commit.clone()).await
    };
    if let Err(err) = written {
        let why =
            format!("the batch's events, audit events and messages could not be inserted: {err}");
        abandon(txn, settles, std::iter::empty(), &why).await;
        return;
    }
    let committed = txn.commit().instrument(commit).await.map_err(|err| {
        tracing::error!(error = %err, jobs = size, "a group commit failed; nothing of it was committed");
        format!("the commit failed: {err}")
    });
    tracing::trace!(jobs = size, "write batch committed");
    for settle in settles {
        settle(committed.clone());
    }
}

/// Runs `job` after a fresh savepoint (the batch's `first`, or releasing the one before in
/// the same round trip). `Err` says why the whole batch must be abandoned; the job itself has
/// then been answered already (or, if it panicked, its caller learns it from the dropped
/// channel).
async fn run_job(
    txn: &DatabaseTransaction,
    appends: &Mutex<Appends>,
    job: Box<dyn Job>,
    first: bool,
) -> Result<Settle, String> {
    let set = if first {
        "SAVEPOINT step"
    } else {
        "RELEASE SAVEPOINT step; SAVEPOINT step"
    };
    if let Err(err) = txn.execute_unprepared(set).await {
        let why = format!("the step's savepoint could not be set: {err}");
        job.refuse(why.clone());
        return Err(why);
    }
    let savepoint = Savepoint {
        txn,
        appends,
        broken: AtomicBool::new(false),
    };
    let span = job.span();
    match AssertUnwindSafe(job.run(&savepoint).instrument(span))
        .catch_unwind()
        .await
    {
        // The step's writes are in an unknown state: commit nothing.
        Err(_) => Err("a step panicked".into()),
        Ok(settle) if savepoint.broken.load(Ordering::SeqCst) => {
            let why = "a step could not be undone".to_owned();
            settle(Err(why.clone()));
            Err(why)
        }
        Ok(settle) => Ok(settle),
    }
}

/// Rolls the whole batch back and answers every job, run or not, that nothing was committed.
async fn abandon(
    txn: DatabaseTransaction,
    settles: Vec<Settle>,
    waiting: impl Iterator<Item = Box<dyn Job>>,
    why: &str,
) {
    tracing::error!("{why}; the whole batch is rolled back");
    if let Err(err) = txn.rollback().await {
        tracing::warn!(error = %err, "rollback failed");
    }
    let why = format!("the batch was rolled back: {why}");
    settles
        .into_iter()
        .for_each(|settle| settle(Err(why.clone())));
    waiting.for_each(|job| job.refuse(why.clone()));
}

/// Opens a write transaction, after passing `gate` (this process's other writers first; see
/// [`crate::store::Store`]'s `write_gate`): keep the returned guard until the transaction
/// commits or rolls back, and take no other write path while holding it. On SQLite it takes
/// the write lock at once (waiting out other processes' writers under the busy timeout), so
/// the transaction never has to upgrade a read snapshot, which SQLite refuses without waiting
/// (`SQLITE_BUSY_SNAPSHOT`).
pub(crate) async fn begin(
    db: &DatabaseConnection,
    gate: &WriteGate,
) -> Result<(DatabaseTransaction, GateGuard), DbErr> {
    let guard = crate::store::pass(gate).await?;
    let txn = db.begin().await?;
    if txn.get_database_backend() == DbBackend::Sqlite {
        cases::Entity::update_many()
            .col_expr(
                cases::Column::Version,
                Expr::col(cases::Column::Version).into(),
            )
            .filter(Expr::val(1).eq(0))
            .exec(&txn)
            .await?;
    }
    Ok((txn, guard))
}
