//! On SQLite every write transaction of the process passes one gate before it asks for the
//! database's write lock, so writers wait their turn in order instead of sleeping in
//! SQLite's busy handler. Proven here from the outside: while the gate is held, neither a
//! step nor an audit sequencing round gets through; once it is free, both do.

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use super::fixtures::*;
use super::support::sqlite;
use crate::Executed;

/// How long a writer is given to get past a held gate (it must not).
const HELD: Duration = Duration::from_millis(300);
/// How long a writer may take once the gate is free.
const PATIENCE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_writers_wait_at_the_gate_and_pass_when_it_opens() {
    let w = Arc::new(world());
    let db = sqlite().await;
    let case = registered(&db.store, &w, 1).await;

    let gate = db.store.lock_writes().await.unwrap();
    assert!(gate.is_some(), "SQLite has a write gate");
    let mut stepping = {
        let (store, w) = (db.store.clone(), Arc::clone(&w));
        tokio::spawn(async move {
            let now = at(2024, 9, 5);
            step(
                &store,
                &w,
                &w.bawaslu,
                case.id,
                "v1",
                note("n"),
                Uuid::new_v4(),
                now,
            )
            .await
        })
    };
    let mut sequencing = {
        let store = db.store.clone();
        tokio::spawn(async move { store.sequence_audit_events(100, true).await })
    };
    assert!(
        tokio::time::timeout(HELD, &mut stepping).await.is_err(),
        "a step got past the held gate"
    );
    assert!(
        tokio::time::timeout(HELD, &mut sequencing).await.is_err(),
        "a sequencing round got past the held gate"
    );

    drop(gate);
    let stepped = tokio::time::timeout(PATIENCE, stepping).await;
    assert!(
        matches!(stepped, Ok(Ok(Ok(Executed::Applied(..))))),
        "{stepped:?}"
    );
    let sequenced = tokio::time::timeout(PATIENCE, sequencing).await;
    assert!(
        matches!(sequenced, Ok(Ok(Ok(n))) if n >= 1),
        "{sequenced:?}"
    );
}

#[tokio::test]
async fn postgres_has_no_write_gate() {
    let Some(admin) = super::support::pg_admin_url() else {
        return;
    };
    let db = super::support::postgres(&admin).await;
    assert!(db.store.lock_writes().await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_kept_at_the_gate_gives_up_as_retryable_and_writes_nothing() {
    let w = Arc::new(world());
    let db = sqlite().await;
    let case = registered(&db.store, &w, 1).await;
    let gate = db.store.lock_writes().await.unwrap();
    let now = at(2024, 9, 5);
    let stepped = step(
        &db.store,
        &w,
        &w.bawaslu,
        case.id,
        "v1",
        note("n"),
        Uuid::new_v4(),
        now,
    );
    let refused = tokio::time::timeout(PATIENCE, stepped).await.unwrap();
    match refused {
        Err(crate::ExecuteError::Store(err)) => assert!(err.is_transient(), "{err:?}"),
        other => panic!("{other:?}"),
    }
    let sequenced = db.store.sequence_audit_events(100, true).await;
    assert!(
        matches!(&sequenced, Err(err) if err.is_transient()),
        "{sequenced:?}"
    );
    drop(gate);
    let stored = db.store.get_case(case.id, crate::CaseView::Full).await;
    assert_eq!(stored.unwrap(), Some(case), "nothing written");
}
