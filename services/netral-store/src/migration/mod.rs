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
pub(crate) async fn up_to(db: &DatabaseConnection, steps: Option<u32>) -> Result<(), StoreError> {
    let txn = db.begin().await?;
    if db.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
        ))
        .await?;
    }
    Migrator::up(&txn, steps).await?;
    txn.commit().await?;
    Ok(())
}
