//! Floor (c), bare SQL: the same six transitions per case by the same concurrency, as plain
//! prepared statements through sqlx (sea-orm's re-export) — no ORM, no query builder, no
//! domain, no reads, no group commit: one transaction per step holding exactly the rows the
//! service writes for that step:
//!
//! | step | rows |
//! |---|---|
//! | RegisterCase | subject, case, deadline `bawaslu_review` (open), event, idempotency key |
//! | ForwardCase | case (version-guarded `UPDATE`), `bawaslu_review` met, `examiner_action` opened, event, key |
//! | AcceptCase | case, event, key |
//! | RecommendSanction | case, `examiner_action` met, `ppk_action` opened, event, key |
//! | RecordSanctionDecree | case, `ppk_action` met, the case's sanctions replaced (delete + insert), event, key |
//! | RecordInRegistry | case, event, key |
//!
//! The case `UPDATE` sets the columns the service's does (all but id, subject, creation time
//! and registration number); the idempotency key stores a 1 KiB response, the size of a
//! BASIC-view reply. The database is fresh, built by the real migrations (a
//! [`netral_store::Store`] is opened on it once, and the dev directory synced), then written
//! by its own pool of the server's default size with the store's durability: SQLite in WAL
//! with `synchronous=FULL`, foreign keys and the busy timeout, each transaction taking the
//! write lock at `BEGIN IMMEDIATE`, and the writers queued on a mutex (SQLite has one writer;
//! without the queue they would poll the lock under SQLite's sleeping busy handler, which
//! measures its back-off rather than the writes); PostgreSQL in plain transactions.

use std::str::FromStr;
use std::sync::Arc;

use sea_orm::sqlx::postgres::{PgPool, PgPoolOptions};
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::sqlx::{self, Connection};
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::drive::{CaseRunner, STEPS, Tally};
use super::floor::Floor;
use super::sql_steps::{self, Case, RESPONSE_BYTES, Statements, Write};

/// The floor's pool, of the database kind the run uses.
#[derive(Clone)]
enum Pool {
    /// SQLite, with the mutex its writers queue on.
    Sqlite(SqlitePool, Arc<Mutex<()>>),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// What every floor (c) worker shares.
#[derive(Clone)]
pub struct SqlFloor {
    /// The bare sqlx pool.
    pool: Pool,
    /// The case `INSERT` and `UPDATE` texts, built once.
    sql: Arc<Statements>,
    /// Makes registration numbers unique to this run.
    run_tag: Arc<str>,
}

impl SqlFloor {
    /// Migrates the fresh database at `url` through the store (directory synced), then opens
    /// a bare pool of the server's default size on it.
    pub async fn open(url: &str, run_tag: Arc<str>) -> anyhow::Result<Self> {
        Floor::open(url, Arc::clone(&run_tag))
            .await?
            .close()
            .await?;
        let size = netral_server::settings::Settings::default()
            .database
            .max_connections;
        let pool = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(netral_store::SQLITE_BUSY_TIMEOUT);
            let pool = SqlitePoolOptions::new()
                .max_connections(size)
                .min_connections(0)
                .connect_with(options)
                .await;
            Pool::Sqlite(pool?, Arc::new(Mutex::new(())))
        } else {
            let pool = PgPoolOptions::new()
                .max_connections(size)
                .min_connections(0)
                .connect(url)
                .await;
            Pool::Postgres(pool?)
        };
        Ok(Self {
            pool,
            sql: Arc::new(Statements::new()),
            run_tag,
        })
    }

    /// Closes the pool (SQLite checkpoints its WAL).
    pub async fn close(self) {
        match self.pool {
            Pool::Sqlite(pool, _) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }

    /// A worker of this floor.
    pub fn runner(&self) -> SqlRunner {
        SqlRunner {
            floor: self.clone(),
            response: Arc::from(vec![0x5a; RESPONSE_BYTES]),
        }
    }
}

/// One floor (c) worker.
pub struct SqlRunner {
    /// The shared pool and statements.
    floor: SqlFloor,
    /// The response blob every key stores.
    response: Arc<[u8]>,
}

impl SqlRunner {
    /// `w` in one transaction of its own (rolled back on error when `tx` is dropped).
    async fn write(&self, w: Write<'_>) -> Result<(), sqlx::Error> {
        let sql = &*self.floor.sql;
        match &self.floor.pool {
            Pool::Sqlite(pool, writer) => {
                let _turn = writer.lock().await;
                let mut conn = pool.acquire().await?;
                let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
                sql_steps::on_sqlite(&mut tx, sql, &w).await?;
                tx.commit().await
            }
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sql_steps::on_postgres(&mut tx, sql, &w).await?;
                tx.commit().await
            }
        }
    }
}

/// A short label of a failed step, for the error tally.
fn kind(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::RowNotFound => "sql: version guard matched no row".into(),
        sqlx::Error::Database(db) => {
            format!("sql: database error {}", db.code().unwrap_or_default())
        }
        other => format!("sql: {other}"),
    }
}

impl CaseRunner for SqlRunner {
    async fn run_case(&mut self, index: usize, tally: &mut Tally) {
        let case = Case::new(&self.floor.run_tag, index);
        for step in 0..STEPS.len() {
            let started = Instant::now();
            match self
                .write(sql_steps::plan(step, &case, &self.response))
                .await
            {
                Ok(()) => tally.ok(step, started),
                Err(err) => {
                    tally.failed(step, kind(&err));
                    return;
                }
            }
        }
    }
}
