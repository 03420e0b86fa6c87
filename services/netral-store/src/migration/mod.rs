//! The schema, as `sea-orm-migration` migrations written with the schema builder so the same
//! code creates it on SQLite and PostgreSQL, and `run`, which [`crate::Store::connect`]
//! calls on every start.
//!
//! Every migration runs inside one transaction (see [`run`]): all of it or none of it.

mod m20250601_000001_initial;
mod m20261202_000002_child_records;
mod m20261202_000003_audit_log;
mod m20261202_000004_inbox;
mod m20261203_000005_deadline_notices;
mod m20261203_000006_registration_numbers;
mod m20261204_000007_revocations;
mod m20261205_000008_trace_context;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, TransactionTrait};
use sea_orm_migration::{MigrationTrait, MigratorTrait};

use crate::error::StoreError;

/// The advisory lock key serialising netral's migrations on PostgreSQL (`"netral"` in ASCII).
/// Several replicas or test binaries starting together otherwise race on `CREATE TABLE` and
/// collide in `pg_type`.
const MIGRATION_LOCK_KEY: i64 = 0x6e65_7472_616c;

/// netral's migrations, oldest first.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20250601_000001_initial::Migration),
            Box::new(m20261202_000002_child_records::Migration),
            Box::new(m20261202_000003_audit_log::Migration),
            Box::new(m20261202_000004_inbox::Migration),
            Box::new(m20261203_000005_deadline_notices::Migration),
            Box::new(m20261203_000006_registration_numbers::Migration),
            Box::new(m20261204_000007_revocations::Migration),
            Box::new(m20261205_000008_trace_context::Migration),
        ]
    }
}

/// Brings the schema up to date, in one transaction on both backends (their DDL is
/// transactional), so a start that dies half-way through a migration leaves the database as
/// it was. On PostgreSQL the transaction first takes an advisory lock, so concurrent
/// starters wait for each other; on SQLite the first write takes the database's lock.
pub(crate) async fn run(db: &DatabaseConnection) -> Result<(), StoreError> {
    up_to(db, None).await
}

/// Applies the first `steps` pending migrations (all of them for `None`): tests build a
/// database as an older release left it.
///
/// On SQLite they run on a connection of their own with foreign keys off (SQLite ignores
/// that pragma inside a transaction, and rebuilding a parent table, as
/// `m20261203_000006_registration_numbers` does, needs them off); `PRAGMA foreign_key_check`
/// must then find nothing before the transaction commits.
pub(crate) async fn up_to(db: &DatabaseConnection, steps: Option<u32>) -> Result<(), StoreError> {
    if db.get_database_backend() == DbBackend::Sqlite {
        let options = db
            .get_sqlite_connection_pool()
            .connect_options()
            .as_ref()
            .clone()
            .foreign_keys(false);
        let pool = sea_orm::sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Open(format!("opening the migration connection: {e}")))?;
        let conn = sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
        let migrated = up_to_on(&conn, steps).await;
        conn.close().await?;
        return migrated;
    }
    up_to_on(db, steps).await
}

/// [`up_to`] on `db`, in one transaction.
async fn up_to_on(db: &DatabaseConnection, steps: Option<u32>) -> Result<(), StoreError> {
    let txn = db.begin().await?;
    if db.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
        ))
        .await?;
    }
    Migrator::up(&txn, steps).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        let violations = txn
            .query_all(sea_orm::Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA foreign_key_check",
            ))
            .await?;
        if !violations.is_empty() {
            return Err(StoreError::Open(format!(
                "the migrations left {} rows with a dangling foreign key",
                violations.len()
            )));
        }
    }
    txn.commit().await?;
    Ok(())
}
