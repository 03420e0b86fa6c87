//! The transient-failure classification against real failures of real databases: a SQLite
//! file locked by another writer, a PostgreSQL backend terminated under the store, and the
//! permanent failures that must stay permanent.

use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};

use super::support::PgDatabase;
use crate::StoreError;

fn classified(err: DbErr) -> bool {
    StoreError::Database(err).is_transient()
}

async fn sqlite(url: &str) -> DatabaseConnection {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(1)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| o.busy_timeout(Duration::ZERO));
    Database::connect(options).await.unwrap()
}

#[tokio::test]
async fn a_sqlite_file_locked_by_another_writer_is_transient() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("n.db").display());
    let holder = sqlite(&url).await;
    holder
        .execute_unprepared("CREATE TABLE t (x INTEGER)")
        .await
        .unwrap();
    holder.execute_unprepared("BEGIN EXCLUSIVE").await.unwrap();
    let other = sqlite(&url).await;
    let err = other
        .execute_unprepared("INSERT INTO t VALUES (1)")
        .await
        .unwrap_err();
    assert!(classified(err), "SQLITE_BUSY must be transient");
    holder.execute_unprepared("ROLLBACK").await.unwrap();
    let bad = other
        .execute_unprepared("INSERT INTO nope VALUES (1)")
        .await;
    assert!(!classified(bad.unwrap_err()), "a missing table is a bug");
}

#[tokio::test]
async fn a_terminated_postgresql_backend_is_transient_and_a_unique_violation_is_not() {
    let test = "a_terminated_postgresql_backend_is_transient_and_a_unique_violation_is_not";
    let Some(admin) = crate::testing::postgres_or_skip(test) else {
        return;
    };
    let (_pg, url) = PgDatabase::create(&admin).await;
    let mut options = ConnectOptions::new(url.clone());
    options
        .max_connections(1)
        .min_connections(1)
        .test_before_acquire(false)
        .sqlx_logging(false);
    let victim = Database::connect(options).await.unwrap();
    victim
        .execute_unprepared("CREATE TABLE t (x INTEGER PRIMARY KEY)")
        .await
        .unwrap();
    victim
        .execute_unprepared("INSERT INTO t VALUES (1)")
        .await
        .unwrap();
    let duplicate = victim.execute_unprepared("INSERT INTO t VALUES (1)").await;
    assert!(
        !classified(duplicate.unwrap_err()),
        "a unique violation is not transient"
    );

    let killer = Database::connect(url.as_str()).await.unwrap();
    let terminated = killer
        .execute_unprepared(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .await;
    terminated.unwrap();
    let err = victim
        .execute_unprepared("SELECT 1")
        .await
        .expect_err("the terminated backend cannot answer");
    assert!(classified(err), "a terminated connection must be transient");
}
