//! Opening the store: migrations that survive concurrent starters and restarts, and the
//! SQLite settings that every pooled connection must carry.

use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use uuid::Uuid;

use super::fixtures::*;
use super::support::{PgDatabase, databases, pg_admin_url, sqlite};
use crate::{CaseView, Store};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrations_run_concurrently_from_four_connections_on_postgres() {
    let Some(admin) = pg_admin_url() else {
        eprintln!("NETRAL_TEST_DATABASE_URL unset: PostgreSQL part not run");
        return;
    };
    let (_pg, url) = PgDatabase::create(&admin).await;
    let starters: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { Store::connect(&url, 2).await })
        })
        .collect();
    let mut stores = Vec::new();
    for starter in starters {
        stores.push(starter.await.unwrap().unwrap());
    }
    let w = world();
    let case = registered(&stores[0], &w, 1).await;
    assert_eq!(
        stores[3].get_case(case.id, CaseView::Full).await.unwrap(),
        Some(case)
    );
}

#[tokio::test]
async fn reopening_a_store_keeps_its_cases_and_reruns_no_migration() {
    let w = world();
    for db in databases().await {
        let case = registered(&db.store, &w, 1).await;
        db.store.clone().close().await.unwrap();
        let reopened = Store::connect(&db.url, 2).await.unwrap();
        assert_eq!(
            reopened.get_case(case.id, CaseView::Full).await.unwrap(),
            Some(case.clone()),
            "{}",
            db.label
        );
        let again = step(
            &reopened,
            &w,
            &w.bawaslu,
            case.id,
            "v1",
            note("n"),
            Uuid::new_v4(),
            at(2024, 9, 5),
        );
        assert_eq!(applied(again.await.unwrap()).0.version, 2, "{}", db.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pooled_sqlite_connection_is_configured() {
    let db = sqlite().await;
    // Open transactions pin distinct pool connections; ask each of them.
    let mut txns = Vec::new();
    for _ in 0..4 {
        txns.push(db.store.db.begin().await.unwrap());
    }
    for txn in &txns {
        let pragma = |name: &str| {
            Statement::from_string(txn.get_database_backend(), format!("PRAGMA {name}"))
        };
        let value = |row: sea_orm::QueryResult| -> String {
            row.try_get_by_index::<String>(0)
                .or_else(|_| row.try_get_by_index::<i64>(0).map(|v| v.to_string()))
                .unwrap()
        };
        let journal = value(
            txn.query_one(pragma("journal_mode"))
                .await
                .unwrap()
                .unwrap(),
        );
        let synchronous = value(txn.query_one(pragma("synchronous")).await.unwrap().unwrap());
        let foreign_keys = value(
            txn.query_one(pragma("foreign_keys"))
                .await
                .unwrap()
                .unwrap(),
        );
        let busy = value(
            txn.query_one(pragma("busy_timeout"))
                .await
                .unwrap()
                .unwrap(),
        );
        assert_eq!(
            (
                journal.as_str(),
                synchronous.as_str(),
                foreign_keys.as_str(),
                busy.as_str()
            ),
            // synchronous=FULL (2): a commit is on disk before it is acknowledged.
            ("wal", "2", "1", "5000")
        );
    }
    for txn in txns {
        txn.rollback().await.unwrap();
    }
}
