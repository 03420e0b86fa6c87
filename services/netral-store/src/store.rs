//! Opening the store: the connection pool (SQLite or PostgreSQL, chosen by the URL), the
//! migrations run on every start, the writer lanes and the test fail points.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::error::StoreError;
use crate::migration;
use crate::writer::Writers;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};

/// How long a SQLite connection waits for a lock held by another connection before giving up.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long opening a connection, or waiting for a pooled one, may take: during an outage a
/// call answers `UNAVAILABLE` after this instead of waiting out its whole deadline.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// The file [`Store::sqlite_in`] keeps the database in.
pub const SQLITE_FILE_NAME: &str = "netral.db";

/// The persistence of netral: cheap to clone (a pool, the writer lanes' queues and shared
/// flags), safe to share between tasks. Every write of a case goes through
/// [`Store::execute`].
#[derive(Clone, Debug)]
pub struct Store {
    /// The connection pool.
    pub(crate) db: DatabaseConnection,
    /// The group-commit writer lanes every case write is queued on: one on SQLite (one
    /// writer), several on PostgreSQL.
    pub(crate) writers: Writers,
    /// Test-only switches that make a write fail at a chosen point.
    fail_points: FailPoints,
    /// Wakes the inbox streams of agencies that received messages.
    pub(crate) inbox: Arc<crate::inbox::InboxSignals>,
    /// SQLite only: taken by every write transaction of this process, so that its writers
    /// (the lane, the sequencers, purges) queue for SQLite's one write lock here, woken the
    /// moment it is free, instead of in SQLite's busy handler, which sleeps up to 100 ms
    /// between tries. Writers of other processes on the same file still meet the busy
    /// handler. `None` on PostgreSQL, whose writers lock rows, not the database.
    pub(crate) write_gate: WriteGate,
}

/// See [`Store::write_gate`](Store).
pub(crate) type WriteGate = Option<Arc<tokio::sync::Mutex<()>>>;

/// Held while a write transaction of this process is open (on SQLite).
pub(crate) type GateGuard = Option<tokio::sync::OwnedMutexGuard<()>>;

/// How long a writer waits at the gate before it gives up as SQLite's busy handler would
/// (a transient failure: the request may be sent again). Half the busy timeout, so that a
/// writer queued behind one that is itself waiting out another process's lock answers
/// within a request's time (gate, then at most the busy timeout on the file).
const GATE_TIMEOUT: Duration = Duration::from_millis(SQLITE_BUSY_TIMEOUT.as_millis() as u64 / 2);

/// Waits for `gate`, if there is one, for at most [`GATE_TIMEOUT`].
pub(crate) async fn pass(gate: &WriteGate) -> Result<GateGuard, sea_orm::DbErr> {
    let Some(gate) = gate else {
        return Ok(None);
    };
    match tokio::time::timeout(GATE_TIMEOUT, Arc::clone(gate).lock_owned()).await {
        Ok(guard) => Ok(Some(guard)),
        Err(_) => Err(sea_orm::DbErr::ConnectionAcquire(
            sea_orm::error::ConnAcquireErr::Timeout,
        )),
    }
}

/// Switches that make the next write fail at a chosen point, so tests can prove that a
/// failure leaves nothing partial behind. Off unless a test turns one on.
#[doc(hidden)]
#[derive(Clone, Debug, Default)]
pub struct FailPoints {
    /// Fail the next `execute` right after the case row and its child records are written
    /// (its event, audit event and messages made), before its idempotency key: the step must
    /// roll back as a whole.
    pub after_case_write: Arc<AtomicBool>,
    /// Fail the next batch's appends (its steps' events, audit events and messages, inserted
    /// before its commit): the whole batch must roll back and every step in it be told that
    /// nothing was committed.
    pub appends: Arc<AtomicBool>,
    /// Hold the next step this long on its writer lane before it runs (a slow database,
    /// for tests of the server's call limit).
    pub delay_next_step: Arc<std::sync::Mutex<Option<std::time::Duration>>>,
}

impl FailPoints {
    /// Arms (or disarms) the failure after the case write; it fires once.
    pub fn after_case_write(&self, on: bool) {
        self.after_case_write.store(on, Ordering::SeqCst);
    }

    /// Holds the next step `delay` long before it runs; it fires once.
    pub fn delay_next_step(&self, delay: std::time::Duration) {
        *self
            .delay_next_step
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(delay);
    }

    /// The armed delay, if any (disarming it).
    pub(crate) fn take_delay(&self) -> Option<std::time::Duration> {
        self.delay_next_step
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    /// Whether the armed failure fires now (disarming it).
    pub(crate) fn take_after_case_write(&self) -> bool {
        self.after_case_write.swap(false, Ordering::SeqCst)
    }

    /// Arms (or disarms) the failure of the next batch's appends; it fires once.
    pub fn fail_appends(&self, on: bool) {
        self.appends.store(on, Ordering::SeqCst);
    }

    /// Whether the armed append failure fires now (disarming it).
    pub(crate) fn take_appends(&self) -> bool {
        self.appends.swap(false, Ordering::SeqCst)
    }
}

impl Store {
    /// Connects to `url` and brings the schema up to date.
    ///
    /// `sqlite://path?mode=rwc` opens (and creates, with its directory, both its owner's only:
    /// folder 0700, file 0600, which SQLite gives its `-wal` and `-shm` too) a SQLite file in WAL
    /// mode with `synchronous=FULL` (a commit is on disk before it is acknowledged, power loss
    /// included; group commit pays for the fsync), foreign keys on, a 5 s busy timeout and
    /// temporary storage (a step's savepoint journal) in memory on every pooled connection; `postgres://…` opens PostgreSQL. `max_connections` bounds the
    /// pool; on PostgreSQL half of it (at most 8) write, as group-commit lanes.
    ///
    /// Must be called inside a tokio runtime: on PostgreSQL the writer lanes are tasks on it
    /// (on SQLite its one lane has a thread of its own).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        Self::connect_with_lanes(url, max_connections, None).await
    }

    /// [`Store::connect`] with `lanes` group-commit writer lanes on PostgreSQL (`None`: half
    /// the pool, at most 8). SQLite always has one: it has one writer.
    pub async fn connect_with_lanes(
        url: &str,
        max_connections: u32,
        lanes: Option<usize>,
    ) -> Result<Self, StoreError> {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .max_connections(max_connections.max(1))
            .min_connections(0)
            .connect_timeout(CONNECT_TIMEOUT)
            .acquire_timeout(CONNECT_TIMEOUT)
            .sqlx_logging(false);
        let sqlite = url.starts_with("sqlite:");
        if sqlite {
            if let Some(file) = sqlite_file(url) {
                make_private(&file)?;
            }
            options.map_sqlx_sqlite_opts(|opts| {
                opts.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    // A step's savepoint journals the pages it changes so that it can be
                    // rolled back alone; that journal only ever serves a rollback within the
                    // transaction (durability is the WAL's), so it lives in memory instead of
                    // a temporary file written for every step.
                    .pragma("temp_store", "memory")
            });
        } else if !url.starts_with("postgres:") && !url.starts_with("postgresql:") {
            return Err(StoreError::Open(
                "the URL must start with sqlite: or postgres:".into(),
            ));
        }
        let db = Database::connect(options).await?;
        migration::run(&db).await?;
        let lanes = match lanes {
            _ if sqlite => 1,
            Some(lanes) => lanes.max(1),
            None => (max_connections as usize / 2).clamp(1, 8),
        };
        let fail_points = FailPoints::default();
        let write_gate: WriteGate = sqlite.then(Arc::default);
        let writers = Writers::start(&db, lanes, sqlite, fail_points.clone(), write_gate.clone())?;
        Ok(Self {
            db,
            writers,
            fail_points,
            write_gate,
            inbox: Arc::default(),
        })
    }

    /// Opens (creating it if needed) the embedded default: `dir/netral.db`.
    pub async fn sqlite_in(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join(SQLITE_FILE_NAME);
        let path = path
            .to_str()
            .ok_or_else(|| StoreError::Open("the data directory is not valid UTF-8".into()))?;
        Self::connect(&format!("sqlite://{path}?mode=rwc"), 8).await
    }

    /// Reports the number of steps in each group commit to `histogram` from now on (the
    /// first histogram given stays).
    pub fn report_batch_sizes_to(&self, histogram: opentelemetry::metrics::Histogram<u64>) {
        let _ = self.writers.batch_sizes.set(histogram);
    }

    /// Which database this store runs on.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Waits until this process may open a write transaction (see [`Store::write_gate`]);
    /// hold the guard until it commits or rolls back, and take no other write path (a lane
    /// job, another transaction) while holding it.
    pub(crate) async fn lock_writes(&self) -> Result<GateGuard, StoreError> {
        Ok(pass(&self.write_gate).await?)
    }

    /// The test fail points of this store (shared by its clones).
    #[doc(hidden)]
    pub fn fail_points(&self) -> &FailPoints {
        &self.fail_points
    }

    /// Whether the database answers now (one round trip on a pooled connection): readiness.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await?;
        Ok(())
    }

    /// The names of the migrations applied to this database, oldest first (all of
    /// [`migration::Migrator`]'s once [`Store::connect`] returned): what `netral-server migrate`
    /// reports.
    pub async fn applied_migrations(&self) -> Result<Vec<String>, StoreError> {
        use sea_orm_migration::MigratorTrait;
        let applied = migration::Migrator::get_applied_migrations(&self.db).await?;
        Ok(applied.iter().map(|m| m.name().to_owned()).collect())
    }

    /// Closes the pool, waiting for connections to finish (SQLite checkpoints its WAL).
    pub async fn close(self) -> Result<(), StoreError> {
        self.db.close().await?;
        Ok(())
    }
}

/// The file a `sqlite:` URL names, if it names one (not `:memory:`).
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// Makes a SQLite database its owner's only before SQLite opens it (the cases in it hold
/// personal data): its missing folders are created 0700 and a missing file 0600, and SQLite
/// creates the `-wal` and `-shm` files with the database file's mode. An existing file that
/// others could read (made by an older version) is narrowed to 0600, or a warning says why not.
fn make_private(file: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    let failed = |path: &Path, e: std::io::Error| {
        StoreError::Open(format!("creating {}: {e}", path.display()))
    };
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| failed(dir, e))?;
    }
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(file);
    match created {
        Ok(_) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(failed(file, e)),
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut path = file.as_os_str().to_owned();
        path.push(suffix);
        let path = PathBuf::from(path);
        let Ok(metadata) = std::fs::metadata(&path) else {
            continue;
        };
        if metadata.permissions().mode() & 0o077 == 0 {
            continue;
        }
        match std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)) {
            Ok(()) => tracing::info!(file = %path.display(), "narrowed the SQLite file to 0600"),
            Err(e) => tracing::warn!(
                file = %path.display(),
                error = %e,
                "other users may read the SQLite file, and it cannot be narrowed to 0600"
            ),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_file_of_a_sqlite_url() {
        assert_eq!(
            sqlite_file("sqlite://./netral-data/netral.db?mode=rwc"),
            Some(PathBuf::from("./netral-data/netral.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:///var/lib/n.db"),
            Some(PathBuf::from("/var/lib/n.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("sqlite://n.db"), Some(PathBuf::from("n.db")));
    }

    #[tokio::test]
    async fn the_sqlite_files_and_folder_are_the_owners_only() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path| {
            let metadata = std::fs::metadata(path);
            let metadata = metadata.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            metadata.permissions().mode() & 0o777
        };
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        let store = Store::sqlite_in(&dir).await.unwrap();
        // A write on a pooled connection, so that the write-ahead log exists.
        store
            .db
            .execute_unprepared("CREATE TABLE mode_probe (x INTEGER)")
            .await
            .unwrap();
        assert_eq!(mode(&dir), 0o700);
        for file in ["netral.db", "netral.db-wal", "netral.db-shm"] {
            assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
        }
        store.close().await.unwrap();

        // A database an older version left readable by others is narrowed on the next open.
        let db = dir.join("netral.db");
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        let store = Store::sqlite_in(&dir).await.unwrap();
        assert_eq!(mode(&db), 0o600);
        store.close().await.unwrap();
    }
}
