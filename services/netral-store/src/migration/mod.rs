//! The schema, as `sea-orm-migration` migrations written with the schema builder so the same
//! code creates it on SQLite and PostgreSQL, and `run`, which [`crate::Store::connect`]
//! calls on every start.
//!
//! Every statement is `IF NOT EXISTS`, so a migration interrupted on SQLite (which runs them
//! outside a transaction) simply completes on the next start.

mod m20250601_000001_initial;

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
        vec![Box::new(m20250601_000001_initial::Migration)]
    }
}

/// Brings the schema up to date. On PostgreSQL this happens in one transaction holding a
/// transaction-scoped advisory lock, so concurrent starters wait for each other and each
/// either applies everything or nothing; SQLite (one process owns the file) just runs them.
pub(crate) async fn run(db: &DatabaseConnection) -> Result<(), StoreError> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let txn = db.begin().await?;
            txn.execute_unprepared(&format!(
                "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
            ))
            .await?;
            Migrator::up(&txn, None).await?;
            txn.commit().await?;
        }
        _ => Migrator::up(db, None).await?,
    }
    Ok(())
}
