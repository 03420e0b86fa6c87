//! Idempotency keys are purged after their retention, oldest first and a bounded batch at a
//! time; a request retried after its key is gone is refused, never applied twice.

use chrono::{DateTime, Utc};
use netral_domain::case::{CaseRecord, StepError};
use uuid::Uuid;

use super::fixtures::*;
use super::support::{TestDb, databases};
use crate::{CaseView, ExecuteError, Executed, StoreError};

/// A note request on the case, sent at `now` with the etag the caller had read.
struct NoteRequest {
    id: Uuid,
    etag: String,
    text: String,
    now: DateTime<Utc>,
}

async fn send(
    db: &TestDb,
    w: &World,
    case: &CaseRecord,
    r: &NoteRequest,
) -> Result<Executed, ExecuteError<StepError>> {
    let command = note(&r.text);
    step(
        &db.store, w, &w.bawaslu, case.id, &r.etag, command, r.id, r.now,
    )
    .await
}

async fn keys(db: &TestDb) -> u64 {
    db.store.table_counts().await.unwrap().idempotency_keys
}

#[tokio::test]
async fn a_purge_deletes_only_keys_older_than_the_cutoff_oldest_first_a_batch_at_a_time() {
    let w = world();
    for db in databases().await {
        // A registration on 4 September, then a note a day from the 5th to the 8th.
        let registration = Uuid::new_v4();
        let registered_at = at(2024, 9, 4);
        let (case, first_registration) = applied(
            register(&db.store, &w, filing(1), registration, registered_at)
                .await
                .unwrap(),
        );
        let mut notes = Vec::new();
        for (version, d) in (1..).zip(5..=8) {
            let request = NoteRequest {
                id: Uuid::new_v4(),
                etag: format!("v{version}"),
                text: format!("catatan {d}"),
                now: at(2024, 9, d),
            };
            let (_, response) = applied(send(&db, &w, &case, &request).await.unwrap());
            notes.push((request, response));
        }
        assert_eq!(keys(&db).await, 5, "{}", db.label);

        // Keys from before the 7th: the registration's, the 5th's and the 6th's.
        let cutoff = at(2024, 9, 7);
        let purge = |batch| db.store.purge_idempotency_keys(cutoff, batch);
        assert_eq!(purge(2).await.unwrap(), 2, "{}", db.label);
        assert_eq!(keys(&db).await, 3, "{}", db.label);
        let (sixth, sixth_response) = &notes[1];
        let replay = send(&db, &w, &case, sixth).await.unwrap();
        assert!(
            matches!(replay, Executed::Replayed(ref bytes) if bytes == sixth_response),
            "{}: the oldest went first, the 6th still answers",
            db.label
        );
        assert_eq!(purge(2).await.unwrap(), 1, "{}", db.label);
        assert_eq!(purge(2).await.unwrap(), 0, "{}", db.label);
        assert_eq!(keys(&db).await, 2, "{}: keys at the cutoff stay", db.label);
        for (request, response) in &notes[2..] {
            let replay = send(&db, &w, &case, request).await.unwrap();
            assert!(
                matches!(replay, Executed::Replayed(ref bytes) if bytes == response),
                "{}",
                db.label
            );
        }

        // Retries of purged requests are refused and write nothing.
        let before = db.store.table_counts().await.unwrap();
        let stale = send(&db, &w, &case, &notes[0].0).await;
        assert!(
            matches!(stale, Err(ExecuteError::Store(StoreError::StaleEtag))),
            "{}: {stale:?}",
            db.label
        );
        let again = register(&db.store, &w, filing(1), registration, at(2024, 9, 9)).await;
        assert!(
            matches!(
                again,
                Err(ExecuteError::Store(StoreError::DuplicateRegistration))
            ),
            "{}: {again:?} (first answered {first_registration:?})",
            db.label
        );
        assert_eq!(
            db.store.table_counts().await.unwrap(),
            before,
            "{}",
            db.label
        );
        let stored = db.store.get_case(case.id, CaseView::Full).await.unwrap();
        let texts: Vec<_> = stored.unwrap().notes.into_iter().map(|n| n.text).collect();
        let sent: Vec<_> = notes.iter().map(|(r, _)| r.text.clone()).collect();
        assert_eq!(texts, sent, "{}: each note once", db.label);
    }
}

#[tokio::test]
async fn a_purge_of_a_large_backlog_is_bounded_by_its_batch() {
    let w = world();
    for db in databases().await {
        for n in 0..7 {
            registered(&db.store, &w, n).await;
        }
        let cutoff = at(2024, 9, 5);
        let mut purged = Vec::new();
        loop {
            let deleted = db.store.purge_idempotency_keys(cutoff, 3).await.unwrap();
            purged.push(deleted);
            if deleted < 3 {
                break;
            }
        }
        assert_eq!(purged, [3, 3, 1], "{}", db.label);
        assert_eq!(keys(&db).await, 0, "{}", db.label);
        let counts = db.store.table_counts().await.unwrap();
        assert_eq!((counts.cases, counts.case_events), (7, 7), "{}", db.label);
    }
}
