//! The inbox as a transactional outbox: a step's messages commit with it and only with it,
//! reach exactly the agencies the domain routes them to, become readable in an order no
//! later commit slips in front of, and are acknowledged monotonically and idempotently.

use std::time::Duration;

use netral_domain::case::{Command, StepError};
use netral_domain::inbox::MessageKind;
use uuid::Uuid;

use super::fixtures::*;
use super::support::databases;
use crate::{AckRequest, ExecuteError, Executed, InboxQuery, Store, StoreError};

/// Sequences whatever waits (PostgreSQL; SQLite numbers messages at insert).
async fn deliverable(store: &Store) {
    while !store.sequence_inbox(1000).await.unwrap().is_empty() {}
}

fn everything(agency: &str) -> InboxQuery {
    InboxQuery {
        agency: super::fixtures::agency(agency),
        after: 0,
        limit: 100,
        unacknowledged_only: false,
        kind: None,
        case: None,
    }
}

fn forward(w: &World) -> Command {
    Command::Forward {
        letter_number: "L-1".into(),
        examiner: w.bkn.id.clone(),
    }
}

async fn forwarded(store: &Store, w: &World, n: u32) -> netral_domain::case::CaseRecord {
    let case = registered(store, w, n).await;
    let done = step(
        store,
        w,
        &w.bawaslu,
        case.id,
        "v1",
        forward(w),
        Uuid::new_v4(),
        at(2024, 9, 5),
    );
    applied(done.await.unwrap()).0
}

#[tokio::test]
async fn a_forward_reaches_the_examiners_inbox_and_nobody_elses() {
    let w = world();
    for db in databases().await {
        let case = forwarded(&db.store, &w, 1).await;
        deliverable(&db.store).await;
        let inbox = db.store.inbox_messages(&everything("bkn")).await.unwrap();
        assert_eq!(inbox.len(), 1, "{}: one message for the examiner", db.label);
        let message = &inbox[0];
        assert_eq!(
            (
                message.case_id,
                message.kind,
                message.action.as_str(),
                message.actor.as_str(),
                message.case_state.as_str(),
                message.traceparent.as_str(),
                message.acknowledged,
            ),
            (
                case.id,
                MessageKind::CaseChanged,
                "FORWARD",
                "bawaslu-kalsel",
                "FORWARDED",
                TRACEPARENT,
                false
            ),
            "{}",
            db.label
        );
        assert_eq!(message.snapshot, response_of(&case), "{}", db.label);
        assert_eq!(message.created_at, at(2024, 9, 5), "{}", db.label);
        for other in ["bawaslu-kalsel", "pemkab-kotabaru", "kemendagri"] {
            assert!(
                db.store
                    .inbox_messages(&everything(other))
                    .await
                    .unwrap()
                    .is_empty(),
                "{}: {other} is not told of a forward",
                db.label
            );
        }
    }
}

#[tokio::test]
async fn a_failed_or_replayed_step_sends_nothing() {
    let w = world();
    for db in databases().await {
        let case = registered(&db.store, &w, 1).await;
        db.store.fail_points().after_case_write(true);
        let failed = step(
            &db.store,
            &w,
            &w.bawaslu,
            case.id,
            "v1",
            forward(&w),
            Uuid::new_v4(),
            at(2024, 9, 5),
        );
        assert!(
            matches!(
                failed.await,
                Err(ExecuteError::Store(StoreError::InjectedFailure))
            ),
            "{}",
            db.label
        );
        deliverable(&db.store).await;
        assert!(
            db.store
                .inbox_messages(&everything("bkn"))
                .await
                .unwrap()
                .is_empty(),
            "{}",
            db.label
        );

        let request_id = Uuid::new_v4();
        let first = step(
            &db.store,
            &w,
            &w.bawaslu,
            case.id,
            "v1",
            forward(&w),
            request_id,
            at(2024, 9, 5),
        );
        applied(first.await.unwrap());
        let again = step(
            &db.store,
            &w,
            &w.bawaslu,
            case.id,
            "v1",
            forward(&w),
            request_id,
            at(2024, 9, 5),
        );
        assert!(
            matches!(again.await.unwrap(), Executed::Replayed(_)),
            "{}",
            db.label
        );
        // A step the domain refuses writes nothing either.
        let refused = step(
            &db.store,
            &w,
            &w.bawaslu,
            case.id,
            "v2",
            forward(&w),
            Uuid::new_v4(),
            at(2024, 9, 5),
        );
        assert!(
            matches!(
                refused.await,
                Err(ExecuteError::Step(StepError::Transition(_)))
            ),
            "{}",
            db.label
        );
        deliverable(&db.store).await;
        assert_eq!(
            db.store
                .inbox_messages(&everything("bkn"))
                .await
                .unwrap()
                .len(),
            1,
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn acknowledging_is_monotonic_idempotent_and_limited_to_the_own_inbox() {
    let w = world();
    for db in databases().await {
        let store = &db.store;
        for n in 1..=3 {
            forwarded(store, &w, n).await;
        }
        deliverable(store).await;
        let inbox = store.inbox_messages(&everything("bkn")).await.unwrap();
        let cursors: Vec<i64> = inbox.iter().map(|m| m.seq).collect();
        assert_eq!(cursors.len(), 3, "{}", db.label);
        assert!(
            cursors.windows(2).all(|p| p[0] < p[1]),
            "{}: {cursors:?}",
            db.label
        );

        let ack = |agency: &str, request_id: Uuid, cursor: i64| AckRequest {
            agency: super::fixtures::agency(agency),
            request_id,
            cursor,
            at: at(2024, 9, 6),
        };
        let first = Uuid::new_v4();
        assert_eq!(
            store
                .ack_inbox(ack("bkn", first, cursors[1]))
                .await
                .unwrap(),
            2,
            "{}",
            db.label
        );
        assert_eq!(
            store
                .ack_inbox(ack("bkn", first, cursors[1]))
                .await
                .unwrap(),
            2,
            "{}: a retry answers the same",
            db.label
        );
        assert!(
            matches!(
                store.ack_inbox(ack("bkn", first, cursors[2])).await,
                Err(StoreError::RequestIdReused { .. })
            ),
            "{}",
            db.label
        );
        assert_eq!(
            store
                .ack_inbox(ack("bkn", Uuid::new_v4(), cursors[0]))
                .await
                .unwrap(),
            0,
            "{}: never backwards",
            db.label
        );
        assert!(
            matches!(
                store
                    .ack_inbox(ack("pemkab-kotabaru", Uuid::new_v4(), cursors[2]))
                    .await,
                Err(StoreError::UnknownCursor)
            ),
            "{}: another agency's cursor",
            db.label
        );
        assert!(
            matches!(
                store
                    .ack_inbox(ack("bkn", Uuid::new_v4(), cursors[2] + 1000))
                    .await,
                Err(StoreError::UnknownCursor)
            ),
            "{}: a cursor beyond the inbox",
            db.label
        );

        let status = store
            .inbox_status(&super::fixtures::agency("bkn"))
            .await
            .unwrap();
        assert_eq!(
            (
                status.last,
                status.acknowledged,
                status.unacknowledged,
                status.oldest_unacknowledged
            ),
            (Some(cursors[2]), Some(cursors[1]), 1, Some(at(2024, 9, 5))),
            "{}",
            db.label
        );
        let unread = InboxQuery {
            unacknowledged_only: true,
            ..everything("bkn")
        };
        let unread: Vec<i64> = store
            .inbox_messages(&unread)
            .await
            .unwrap()
            .iter()
            .map(|m| m.seq)
            .collect();
        assert_eq!(unread, [cursors[2]], "{}", db.label);
        let flags: Vec<bool> = store
            .inbox_messages(&everything("bkn"))
            .await
            .unwrap()
            .iter()
            .map(|m| m.acknowledged)
            .collect();
        assert_eq!(flags, [true, true, false], "{}", db.label);
        let backlogs = store.inbox_backlogs().await.unwrap();
        assert_eq!(backlogs.len(), 1, "{}: {backlogs:?}", db.label);
        assert_eq!(
            (backlogs[0].agency.as_str(), backlogs[0].unacknowledged),
            ("bkn", 1),
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn a_message_is_readable_only_once_numbered_and_never_below_a_cursor_already_read() {
    let w = world();
    for db in databases().await {
        let store = &db.store;
        forwarded(store, &w, 1).await;
        deliverable(store).await;
        let seen = store.inbox_messages(&everything("bkn")).await.unwrap();
        let cursor = seen.last().unwrap().seq;
        forwarded(store, &w, 2).await;
        if db.label == "postgres" {
            assert!(
                store
                    .inbox_messages(&InboxQuery {
                        after: cursor,
                        ..everything("bkn")
                    })
                    .await
                    .unwrap()
                    .is_empty(),
                "unsequenced messages are not read"
            );
        }
        deliverable(store).await;
        let next = store
            .inbox_messages(&InboxQuery {
                after: cursor,
                ..everything("bkn")
            })
            .await
            .unwrap();
        assert_eq!(next.len(), 1, "{}", db.label);
        assert!(next[0].seq > cursor, "{}", db.label);
    }
}

#[tokio::test]
async fn a_commit_wakes_the_recipients_stream() {
    let w = world();
    for db in databases().await {
        let delivery = db.store.spawn_inbox_delivery(Duration::from_secs(30));
        let mut bkn = db.store.inbox_signals().subscribe("bkn");
        let bawaslu = db.store.inbox_signals().subscribe("bawaslu-kalsel");
        forwarded(&db.store, &w, 1).await;
        tokio::time::timeout(Duration::from_secs(10), bkn.changed())
            .await
            .unwrap_or_else(|_| panic!("{}: the examiner's stream was not woken", db.label))
            .unwrap();
        assert!(!bawaslu.has_changed().unwrap(), "{}", db.label);
        for task in delivery {
            task.abort();
        }
    }
}
