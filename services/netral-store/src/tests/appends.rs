//! A batch inserts its steps' events, audit events and inbox messages together just before
//! its commit. If that insert fails, no step of the batch may be committed and each must be
//! told so; a retry with the same request id then applies the step exactly once.

use std::sync::Arc;

use uuid::Uuid;

use super::fixtures::*;
use super::support::databases;
use crate::{CaseView, ExecuteError, Executed, StoreError};

/// How many notes are fired at once (most of them share the failing batch).
const STEPS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_whose_appends_fail_commits_none_of_its_steps_and_retries_apply_once() {
    let w = Arc::new(world());
    for db in databases().await {
        let mut cases = Vec::new();
        for n in 0..STEPS {
            cases.push(registered(&db.store, &w, n as u32).await);
        }
        // How many inbox messages a note sends: one note on a case of its own.
        let probe = registered(&db.store, &w, 100).await;
        let counted = db.store.table_counts().await.unwrap().inbox_messages;
        let now = at(2024, 9, 5);
        let probed = step(
            &db.store,
            &w,
            &w.bawaslu,
            probe.id,
            "v1",
            note("n"),
            Uuid::new_v4(),
            now,
        );
        assert!(
            matches!(probed.await, Ok(Executed::Applied(..))),
            "{}",
            db.label
        );
        let before = db.store.table_counts().await.unwrap();
        let messages = before.inbox_messages - counted;
        let ids: Vec<Uuid> = (0..STEPS).map(|_| Uuid::new_v4()).collect();
        let fire = |i: usize| {
            let (store, w, id, request) = (db.store.clone(), Arc::clone(&w), cases[i].id, ids[i]);
            tokio::spawn(async move {
                let now = at(2024, 9, 5);
                step(&store, &w, &w.bawaslu, id, "v1", note("n"), request, now).await
            })
        };

        db.store.fail_points().fail_appends(true);
        let handles: Vec<_> = (0..STEPS).map(fire).collect();
        let mut refused = Vec::new();
        for (i, handle) in handles.into_iter().enumerate() {
            match handle.await.unwrap() {
                Err(ExecuteError::Store(StoreError::Commit(_))) => {
                    let now = db.store.get_case(cases[i].id, CaseView::Full).await;
                    assert_eq!(now.unwrap().as_ref(), Some(&cases[i]), "{}", db.label);
                    refused.push(i);
                }
                Ok(Executed::Applied(case, _)) => assert_eq!(case.version, 2, "{}", db.label),
                other => panic!("{}: step {i} answered {other:?}", db.label),
            }
        }
        assert!(!refused.is_empty(), "{}: the fail point fired", db.label);
        let after_failure = db.store.table_counts().await.unwrap();
        let applied = (STEPS - refused.len()) as u64;
        assert_eq!(
            (
                after_failure.case_events,
                after_failure.idempotency_keys,
                after_failure.audit_events,
                after_failure.child_records,
                after_failure.inbox_messages,
            ),
            (
                before.case_events + applied,
                before.idempotency_keys + applied,
                before.audit_events + applied,
                before.child_records + applied,
                before.inbox_messages + applied * messages,
            ),
            "{}: nothing of the refused steps",
            db.label
        );

        // Every step again, with its own request id: the refused ones apply now, the others
        // answer their first reply; each is stored once.
        for (i, case) in cases.iter().enumerate() {
            let answer = fire(i).await.unwrap();
            match answer {
                Ok(Executed::Applied(case, _)) if refused.contains(&i) => {
                    assert_eq!(case.version, 2, "{}", db.label)
                }
                Ok(Executed::Replayed(_)) if !refused.contains(&i) => {}
                other => panic!("{}: retry of step {i} answered {other:?}", db.label),
            }
            let stored = db.store.get_case(case.id, CaseView::Full).await;
            assert_eq!(stored.unwrap().unwrap().notes.len(), 1, "{}", db.label);
        }
        let after = db.store.table_counts().await.unwrap();
        let all = STEPS as u64;
        assert_eq!(
            (
                after.case_events,
                after.idempotency_keys,
                after.audit_events,
                after.inbox_messages
            ),
            (
                before.case_events + all,
                before.idempotency_keys + all,
                before.audit_events + all,
                before.inbox_messages + all * messages
            ),
            "{}: each step once",
            db.label
        );
    }
}
