//! A step and its audit event commit together or not at all: an applied step leaves exactly
//! one event for its case, and a step that fails (a fail point, a request id reused for
//! another step) or is refused by the domain leaves none. Auditing refusals is the
//! server's job; the store writes nothing for them.

use netral_domain::case::{Command, StepError};
use uuid::Uuid;

use super::audit_log::sequence_all;
use super::fixtures::*;
use super::support::databases;
use crate::audit::AuditFilter;
use crate::{ExecuteError, Executed, StoreError};

#[tokio::test]
async fn a_step_and_its_audit_event_commit_together() {
    let w = world();
    for db in databases().await {
        let case = registered(&db.store, &w, 1).await;
        assert_eq!(
            sequence_all(&db.store).await,
            1,
            "{}: the registration's event",
            db.label
        );
        let history = AuditFilter {
            case_id: Some(case.id),
            ..Default::default()
        };

        let request_id = Uuid::new_v4();
        let noted = step(
            &db.store,
            &w,
            &w.bawaslu,
            case.id,
            "v1",
            note("a"),
            request_id,
            at(2024, 9, 5),
        );
        let (noted, _) = applied(noted.await.unwrap());
        let current = noted.etag();
        assert_eq!(
            db.store.audit_events_waiting().await.unwrap(),
            1,
            "{}",
            db.label
        );
        assert_eq!(sequence_all(&db.store).await, 1, "{}", db.label);
        let events = db.store.audit_events(&history, None, 100).await.unwrap();
        assert_eq!(events.len(), 2, "{}: one event per step", db.label);
        let leaf = netral_audit::leaf::decode(&events[1].leaf).unwrap();
        assert_eq!(
            (leaf.action.as_str(), leaf.case),
            ("ADD_NOTE", format!("cases/{}", case.id)),
            "{}",
            db.label
        );

        // A replay answers from the stored key and records nothing again.
        let replay = step(
            &db.store,
            &w,
            &w.bawaslu,
            case.id,
            "v1",
            note("a"),
            request_id,
            at(2024, 9, 6),
        );
        assert!(
            matches!(replay.await.unwrap(), Executed::Replayed(_)),
            "{}",
            db.label
        );

        // The fail point fires after the case write, before the event and the audit row.
        db.store.fail_points().after_case_write(true);
        let failed = step(
            &db.store,
            &w,
            &w.bawaslu,
            case.id,
            &current,
            note("b"),
            Uuid::new_v4(),
            at(2024, 9, 6),
        );
        assert!(
            matches!(
                failed.await,
                Err(ExecuteError::Store(StoreError::InjectedFailure))
            ),
            "{}",
            db.label
        );

        // A request id reused for another note at the current version: the step writes the
        // case, its event and its audit row, then its idempotency key collides and the whole
        // step rolls back, audit row included.
        let reused = step(
            &db.store,
            &w,
            &w.bawaslu,
            case.id,
            &current,
            note("c"),
            request_id,
            at(2024, 9, 6),
        );
        assert!(
            matches!(
                reused.await,
                Err(ExecuteError::Store(StoreError::RequestIdReused { .. }))
            ),
            "{}",
            db.label
        );

        // Refused by the domain: the store writes nothing (auditing refusals is the
        // server's job).
        let refused = step(
            &db.store,
            &w,
            &w.bawaslu,
            case.id,
            &current,
            Command::Accept,
            Uuid::new_v4(),
            at(2024, 9, 6),
        );
        assert!(
            matches!(refused.await, Err(ExecuteError::Step(StepError::Denied(_)))),
            "{}",
            db.label
        );

        assert_eq!(
            db.store.audit_events_waiting().await.unwrap(),
            0,
            "{}",
            db.label
        );
        assert_eq!(
            db.store.sequence_audit_events(100, true).await.unwrap(),
            0,
            "{}",
            db.label
        );
        assert_eq!(
            db.store.audit_events(&history, None, 100).await.unwrap(),
            events,
            "{}: no audit event for a step that did not commit",
            db.label
        );
        assert_eq!(db.store.audit_tree_size().await.unwrap(), 2, "{}", db.label);
    }
}
