//! Seeding `netral bench audit`'s log straight into the database the server migrated: the
//! synthetic events ([`super::audit_synth`]) already sequenced (`sequence` 0..N-1, leaf hash
//! stored), every complete subtree of two or more leaves (`audit_subtrees`, from
//! [`CompactRange::push`]), the head (`audit_log_head`: N and the root) and one checkpoint of
//! size N signed with the server's own key, exactly as the sequencer and the signer would
//! have left them; the server then starts on that database and serves the log as its own.
//!
//! Rows go in as multi-row prepared `INSERT`s of 1 000 rows, 50 000 rows per transaction,
//! with the indexes in place (the log is appended in time order, so every index grows at a
//! few hot spots). The leaves are built on a blocking thread while the previous batch is
//! being written. On SQLite the seeding connection runs with `synchronous=OFF` and a large
//! page cache, then checkpoints the WAL; on PostgreSQL each transaction is
//! `synchronous_commit=off` and the tables are `VACUUM (ANALYZE)`d afterwards (as
//! autovacuum would).

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use netral_audit::LogSigner;
use netral_audit::tree::{CompactRange, Hash, Subtree, leaf_hash};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
    TransactionTrait, Value,
};
use tokio::sync::mpsc;

use super::audit_progress::Progress;
use super::audit_synth::{SeedEvent, Synth};

/// Rows per `INSERT` statement.
const ROWS_PER_STATEMENT: usize = 1_000;
/// Statements per transaction.
const STATEMENTS_PER_TXN: usize = 50;
/// The `audit_events` columns an insert fills (`id` is left to the database).
const EVENT_COLUMNS: &str =
    "sequence, case_id, action, outcome, actor, created_at, leaf, leaf_hash";

/// A connection to the bench's database with settings for bulk work and measurement alike.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(1)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(30))
        .acquire_timeout(Duration::from_secs(600))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(30))
        });
    }
    Database::connect(options)
        .await
        .context("cannot connect to the bench's database")
}

/// What the database's log holds: the head's size and whether a checkpoint of exactly that
/// size, signed with `key_id`, is stored.
pub async fn seeded_size(db: &DatabaseConnection, key_id: &str) -> anyhow::Result<Option<u64>> {
    let backend = db.get_database_backend();
    let head = db
        .query_one(Statement::from_string(
            backend,
            "SELECT tree_size FROM audit_log_head WHERE id = 1",
        ))
        .await
        .context("the database has no audit log (did the server migrate it?)")?
        .context("audit_log_head has no row")?;
    let size: i64 = head.try_get("", "tree_size")?;
    let signed = db
        .query_one(Statement::from_sql_and_values(
            backend,
            placeholders(
                backend,
                "SELECT key_id FROM audit_checkpoints WHERE tree_size = ?",
            ),
            [Value::from(size)],
        ))
        .await?;
    let waiting = db
        .query_one(Statement::from_string(
            backend,
            "SELECT count(*) AS n FROM audit_events WHERE sequence IS NULL",
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or_default();
    match signed {
        Some(row) if size > 0 && waiting == 0 && row.try_get::<String>("", "key_id")? == key_id => {
            Ok(Some(size as u64))
        }
        _ => Ok(None),
    }
}

/// `sql` with `?` placeholders numbered `$1, $2, …` for PostgreSQL.
fn placeholders(backend: DbBackend, sql: &str) -> String {
    if backend != DbBackend::Postgres {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

/// `INSERT INTO table (columns) VALUES (?, …), …` for `rows` rows of `width` values.
fn insert_sql(backend: DbBackend, table: &str, columns: &str, width: usize, rows: usize) -> String {
    let row = format!("({})", vec!["?"; width].join(", "));
    let values = vec![row.as_str(); rows].join(", ");
    placeholders(
        backend,
        &format!("INSERT INTO {table} ({columns}) VALUES {values}"),
    )
}

/// One batch of rows, built off the async threads.
struct Batch {
    /// The events, with their positions and leaf hashes.
    events: Vec<(u64, SeedEvent, Hash)>,
    /// The subtrees they completed.
    subtrees: Vec<(Subtree, Hash)>,
}

/// What seeding took.
#[derive(Debug, Clone, Copy)]
pub struct Seeded {
    /// How long emptying, inserting and signing took.
    pub elapsed: Duration,
}

/// Empties the log (events, subtrees, checkpoints; the head back to the empty tree).
async fn wipe(db: &DatabaseConnection) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let empty = netral_audit::tree::empty_root().to_vec();
    let txn = db.begin().await?;
    if backend == DbBackend::Postgres {
        txn.execute_unprepared("TRUNCATE audit_events, audit_subtrees, audit_checkpoints")
            .await?;
    } else {
        for table in ["audit_events", "audit_subtrees", "audit_checkpoints"] {
            txn.execute_unprepared(&format!("DELETE FROM {table}"))
                .await?;
        }
    }
    txn.execute(Statement::from_sql_and_values(
        backend,
        placeholders(
            backend,
            "UPDATE audit_log_head SET tree_size = 0, root = ? WHERE id = 1",
        ),
        [Value::from(empty)],
    ))
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Seeds `synth`'s log into `db` (emptied first) and signs its checkpoint with `signer`.
pub async fn seed(
    db: &DatabaseConnection,
    synth: &Synth,
    signer: &LogSigner,
    progress: &Progress,
) -> anyhow::Result<Seeded> {
    let backend = db.get_database_backend();
    let started = std::time::Instant::now();
    wipe(db).await?;
    if backend == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA synchronous = OFF; PRAGMA cache_size = -524288")
            .await?;
    }
    let (tx, mut rx) = mpsc::channel::<Batch>(4);
    let generator = {
        let synth = synth.clone();
        tokio::task::spawn_blocking(move || generate(&synth, &tx))
    };
    let mut written = 0u64;
    let per_txn = ROWS_PER_STATEMENT * STATEMENTS_PER_TXN;
    let mut pending: Vec<Batch> = Vec::new();
    let mut pending_rows = 0usize;
    while let Some(batch) = rx.recv().await {
        pending_rows += batch.events.len();
        pending.push(batch);
        if pending_rows >= per_txn {
            written += write(db, backend, std::mem::take(&mut pending)).await? as u64;
            pending_rows = 0;
            progress.set(written);
        }
    }
    written += write(db, backend, pending).await? as u64;
    progress.set(written);
    let range = generator.await.context("the leaf generator panicked")?;
    if written != synth.events || range.size() != synth.events {
        bail!("seeded {written} events where {} were due", synth.events);
    }
    let root = range.root();
    finish(db, synth.events, root, signer).await?;
    Ok(Seeded {
        elapsed: started.elapsed(),
    })
}

/// Builds every event and subtree in order, `ROWS_PER_STATEMENT` events a batch; returns
/// the final right edge.
fn generate(synth: &Synth, tx: &mpsc::Sender<Batch>) -> CompactRange {
    let mut range = CompactRange::new();
    let mut position = 0u64;
    while position < synth.events {
        let end = (position + ROWS_PER_STATEMENT as u64).min(synth.events);
        let mut batch = Batch {
            events: Vec::with_capacity((end - position) as usize),
            subtrees: Vec::with_capacity((end - position) as usize),
        };
        for i in position..end {
            let event = synth.event(i);
            let hash = leaf_hash(&event.leaf);
            range.push(hash, |subtree, hash| batch.subtrees.push((subtree, *hash)));
            batch.events.push((i, event, hash));
        }
        if tx.blocking_send(batch).is_err() {
            break; // the writer failed; it reports why
        }
        position = end;
    }
    range
}

/// Writes `batches` in one transaction; says how many events.
async fn write(
    db: &DatabaseConnection,
    backend: DbBackend,
    batches: Vec<Batch>,
) -> anyhow::Result<usize> {
    if batches.is_empty() {
        return Ok(0);
    }
    let txn = db.begin().await?;
    if backend == DbBackend::Postgres {
        txn.execute_unprepared("SET LOCAL synchronous_commit = off")
            .await?;
    }
    let mut events = 0;
    for batch in batches {
        events += batch.events.len();
        let mut values = Vec::with_capacity(batch.events.len() * 8);
        for (position, event, hash) in batch.events {
            values.extend([
                Value::from(position as i64),
                Value::from(event.case_id),
                Value::from(event.action),
                Value::from(event.outcome),
                Value::from(event.actor),
                Value::from(event.at),
                Value::from(event.leaf),
                Value::from(hash.to_vec()),
            ]);
        }
        let rows = values.len() / 8;
        let sql = insert_sql(backend, "audit_events", EVENT_COLUMNS, 8, rows);
        txn.execute(Statement::from_sql_and_values(backend, sql, values))
            .await
            .context("inserting audit events")?;
        for chunk in batch.subtrees.chunks(ROWS_PER_STATEMENT) {
            let values: Vec<Value> = chunk
                .iter()
                .flat_map(|(subtree, hash)| {
                    [
                        Value::from(i16::from(subtree.level)),
                        Value::from(subtree.index as i64),
                        Value::from(hash.to_vec()),
                    ]
                })
                .collect();
            let sql = insert_sql(
                backend,
                "audit_subtrees",
                "level, idx, hash",
                3,
                chunk.len(),
            );
            txn.execute(Statement::from_sql_and_values(backend, sql, values))
                .await
                .context("inserting audit subtrees")?;
        }
    }
    txn.commit().await?;
    Ok(events)
}

/// Moves the head to `size` and `root`, stores the checkpoint signed now, and tidies the
/// database (SQLite: WAL checkpointed; PostgreSQL: statistics).
async fn finish(
    db: &DatabaseConnection,
    size: u64,
    root: Hash,
    signer: &LogSigner,
) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let signed = signer
        .sign(size, root)
        .map_err(|e| anyhow::anyhow!("cannot sign the seeded checkpoint: {e}"))?;
    let now: DateTime<Utc> = netral_store::storage_instant(Utc::now());
    let txn = db.begin().await?;
    txn.execute(Statement::from_sql_and_values(
        backend,
        placeholders(
            backend,
            "UPDATE audit_log_head SET tree_size = ?, root = ? WHERE id = 1",
        ),
        [Value::from(size as i64), Value::from(root.to_vec())],
    ))
    .await?;
    txn.execute(Statement::from_sql_and_values(
        backend,
        placeholders(
            backend,
            "INSERT INTO audit_checkpoints (tree_size, root, created_at, key_id, signature, \
             note) VALUES (?, ?, ?, ?, ?, ?)",
        ),
        [
            Value::from(size as i64),
            Value::from(root.to_vec()),
            Value::from(now),
            Value::from(signer.key_id()),
            Value::from(signed.signature.clone()),
            Value::from(signed.note.clone()),
        ],
    ))
    .await?;
    txn.commit().await?;
    match backend {
        DbBackend::Sqlite => {
            db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA synchronous = FULL")
                .await?;
        }
        _ => {
            // What autovacuum would do soon anyway (statistics, and the visibility map of
            // these insert-only tables), done now so that it does not run while measuring.
            db.execute_unprepared("VACUUM (ANALYZE) audit_events, audit_subtrees")
                .await?;
        }
    }
    Ok(())
}

/// Whether the database at `url` has the audit log's tables (the server migrated it).
pub async fn migrated(url: &str) -> bool {
    let Ok(db) = connect(url).await else {
        return false;
    };
    let statement = Statement::from_string(
        db.get_database_backend(),
        "SELECT tree_size FROM audit_log_head WHERE id = 1",
    );
    let ok = matches!(db.query_one(statement).await, Ok(Some(_)));
    let _ = db.close().await;
    ok
}

/// The head's root.
pub async fn head_root(db: &DatabaseConnection) -> anyhow::Result<Vec<u8>> {
    let statement = Statement::from_string(
        db.get_database_backend(),
        "SELECT root FROM audit_log_head WHERE id = 1",
    );
    let row = db
        .query_one(statement)
        .await?
        .context("no audit_log_head row")?;
    Ok(row.try_get("", "root")?)
}

/// The database's size on disk in MB: the SQLite file and its WAL, or
/// `pg_database_size`.
pub async fn database_mb(url: &str, dir: &Path) -> Option<f64> {
    if url.starts_with("sqlite:") {
        let file = dir.join(netral_store::SQLITE_FILE_NAME);
        let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let wal = crate::audit::export::with_suffix(&file, "-wal");
        return Some((size(&file) + size(&wal)) as f64 / 1e6);
    }
    let db = connect(url).await.ok()?;
    let statement = Statement::from_string(
        DbBackend::Postgres,
        "SELECT pg_database_size(current_database()) AS size",
    );
    let size: Option<i64> = match db.query_one(statement).await {
        Ok(Some(row)) => row.try_get("", "size").ok(),
        _ => None,
    };
    let _ = db.close().await;
    size.map(|s| s as f64 / 1e6)
}

/// Waits (at most `limit`) until no autovacuum worker runs in this PostgreSQL database, so
/// that none runs while measuring; nothing to wait for on SQLite.
pub async fn wait_for_autovacuum(db: &DatabaseConnection, limit: Duration) -> anyhow::Result<()> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let started = std::time::Instant::now();
    while started.elapsed() < limit {
        let statement = Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' \
             AND datname = current_database()",
        );
        let running: i64 = match db.query_one(statement).await? {
            Some(row) => row.try_get("", "n")?,
            None => 0,
        };
        if running == 0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    bail!("autovacuum was still running on the bench's database after {limit:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_have_one_placeholder_per_value() {
        let sql = insert_sql(DbBackend::Postgres, "t", "a, b", 2, 2);
        assert_eq!(sql, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)");
        let sql = insert_sql(DbBackend::Sqlite, "t", "a", 1, 3);
        assert_eq!(sql, "INSERT INTO t (a) VALUES (?), (?), (?)");
    }
}
