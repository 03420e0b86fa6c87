//! `Store::execute`: one transaction per step, at most once per request id, one winner per
//! version, nothing written by a refused or failed step.

use netral_domain::CaseId;
use netral_domain::case::{Command, Note, StepError};
use netral_domain::state::{Action, CaseState};
use uuid::Uuid;

use super::fixtures::*;
use super::support::{TestDb, databases};
use crate::{Applied, CaseView, ExecuteError, Executed, MutationMeta, StoreError, TableCounts};

async fn counts(db: &TestDb) -> TableCounts {
    db.store.table_counts().await.unwrap()
}

fn store_err(result: Result<Executed, ExecuteError<StepError>>) -> StoreError {
    match result {
        Err(ExecuteError::Store(err)) => err,
        other => panic!("expected a store error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_step_bumps_the_version_and_writes_one_event() {
    let w = world();
    for db in databases().await {
        let case = registered(&db.store, &w, 1).await;
        let request_id = Uuid::new_v4();
        let forward = Command::Forward {
            letter_number: "L-1".into(),
            examiner: w.bkn.id.clone(),
        };
        let (after, _) = applied(
            step(
                &db.store,
                &w,
                &w.bawaslu,
                case.id,
                "v1",
                forward,
                request_id,
                at(2024, 9, 5),
            )
            .await
            .unwrap(),
        );
        assert_eq!(
            (after.version, after.etag().as_str(), after.state),
            (2, "v2", CaseState::Forwarded)
        );
        // A forward appends no note: the full case is the one the step answered with.
        assert_eq!(
            db.store.get_case(case.id, CaseView::Full).await.unwrap(),
            Some(after.clone()),
            "{}",
            db.label
        );
        let events = db.store.case_events(case.id).await.unwrap();
        assert_eq!(events.len(), 2, "{}", db.label);
        let event = &events[1];
        assert_eq!((event.case_version, event.action), (2, Action::Forward));
        assert_eq!(
            (event.from_state, event.to_state),
            (CaseState::Registered, CaseState::Forwarded)
        );
        assert_eq!(event.request_id, request_id);
        assert_eq!(event.occurred_at, at(2024, 9, 5));
        let c = counts(&db).await;
        assert_eq!(
            (c.cases, c.subjects, c.case_events, c.idempotency_keys),
            (1, 1, 2, 2),
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn a_replay_returns_the_first_response_and_writes_nothing() {
    let w = world();
    for db in databases().await {
        let register_id = Uuid::new_v4();
        let (case, first_registration) = applied(
            register(&db.store, &w, filing(1), register_id, at(2024, 9, 4))
                .await
                .unwrap(),
        );
        let note_id = Uuid::new_v4();
        let (noted, first_note) = applied(
            step(
                &db.store,
                &w,
                &w.bawaslu,
                case.id,
                "v1",
                note("a"),
                note_id,
                at(2024, 9, 5),
            )
            .await
            .unwrap(),
        );
        let before = counts(&db).await;

        // The retry still carries the etag it was first sent with; it is answered, not refused.
        let replay = step(
            &db.store,
            &w,
            &w.bawaslu,
            case.id,
            "v1",
            note("a"),
            note_id,
            at(2024, 9, 6),
        );
        assert!(
            matches!(replay.await.unwrap(), Executed::Replayed(bytes) if bytes == first_note),
            "{}",
            db.label
        );
        // A retried registration gets a new case id from the server, yet the first answer.
        let replay = register(&db.store, &w, filing(1), register_id, at(2024, 9, 6));
        assert!(
            matches!(replay.await.unwrap(), Executed::Replayed(bytes) if bytes == first_registration),
            "{}",
            db.label
        );
        assert_eq!(counts(&db).await, before, "{}", db.label);
        assert_eq!(
            db.store.get_case(case.id, CaseView::Basic).await.unwrap(),
            Some(noted.clone()),
            "{}",
            db.label
        );
        let mut full = noted;
        full.notes = vec![Note {
            text: "a".into(),
            agency: w.bawaslu.id.clone(),
            at: at(2024, 9, 5),
        }];
        assert_eq!(
            db.store.get_case(case.id, CaseView::Full).await.unwrap(),
            Some(full),
            "{}: the note is stored once",
            db.label
        );
    }
}

#[tokio::test]
async fn a_request_id_reused_for_another_request_is_refused() {
    let w = world();
    for db in databases().await {
        let case = registered(&db.store, &w, 1).await;
        let request_id = Uuid::new_v4();
        step(
            &db.store,
            &w,
            &w.bawaslu,
            case.id,
            "v1",
            note("a"),
            request_id,
            at(2024, 9, 5),
        )
        .await
        .unwrap();
        let before = counts(&db).await;

        let other_payload = step(
            &db.store,
            &w,
            &w.bawaslu,
            case.id,
            "v2",
            note("b"),
            request_id,
            at(2024, 9, 5),
        );
        let err = store_err(other_payload.await);
        assert!(
            matches!(&err, StoreError::RequestIdReused { method } if method == "ADD_NOTE"),
            "{err}"
        );
        let other_method = register(&db.store, &w, filing(2), request_id, at(2024, 9, 5));
        assert!(
            matches!(
                store_err(other_method.await),
                StoreError::RequestIdReused { .. }
            ),
            "{}",
            db.label
        );
        // The same id is free for another agency: ids are scoped to their agency.
        let other_agency = register_by(
            &db.store,
            &w,
            &w.bawaslu_ri,
            filing(3),
            request_id,
            at(2024, 9, 5),
        );
        applied(other_agency.await.unwrap());

        let after = counts(&db).await;
        assert_eq!(
            (after.cases, after.idempotency_keys),
            (before.cases + 1, before.idempotency_keys + 1)
        );
    }
}

#[tokio::test]
async fn a_stale_etag_or_missing_case_is_refused_and_nothing_is_written() {
    let w = world();
    for db in databases().await {
        let case = registered(&db.store, &w, 1).await;
        step(
            &db.store,
            &w,
            &w.bawaslu,
            case.id,
            "v1",
            note("a"),
            Uuid::new_v4(),
            at(2024, 9, 5),
        )
        .await
        .unwrap();
        let before = counts(&db).await;

        let stale = step(
            &db.store,
            &w,
            &w.bawaslu,
            case.id,
            "v1",
            note("b"),
            Uuid::new_v4(),
            at(2024, 9, 5),
        );
        assert!(
            matches!(store_err(stale.await), StoreError::StaleEtag),
            "{}",
            db.label
        );
        let missing = step(
            &db.store,
            &w,
            &w.bawaslu,
            CaseId::new(),
            "v1",
            note("b"),
            Uuid::new_v4(),
            at(2024, 9, 5),
        );
        assert!(
            matches!(store_err(missing.await), StoreError::NotFound),
            "{}",
            db.label
        );
        assert_eq!(counts(&db).await, before, "{}", db.label);
    }
}

#[tokio::test]
async fn a_duplicate_registration_is_refused() {
    let w = world();
    for db in databases().await {
        let case = registered(&db.store, &w, 1).await;
        let before = counts(&db).await;
        let same_number = register(&db.store, &w, filing(1), Uuid::new_v4(), at(2024, 9, 5));
        assert!(
            matches!(
                store_err(same_number.await),
                StoreError::DuplicateRegistration
            ),
            "{}",
            db.label
        );
        let (mut same_id, outcome) = rich_case();
        same_id.id = case.id;
        let same_id = store_as_registration(&db.store, same_id, outcome);
        assert!(
            matches!(store_err(same_id.await), StoreError::DuplicateRegistration),
            "{}",
            db.label
        );
        assert_eq!(counts(&db).await, before, "{}", db.label);
    }
}

#[tokio::test]
async fn a_refused_step_rolls_back_and_returns_the_steps_error() {
    let w = world();
    for db in databases().await {
        let case = registered(&db.store, &w, 1).await;
        let before = counts(&db).await;
        // Only the examiner may accept, and only a forwarded case.
        let refused = step(
            &db.store,
            &w,
            &w.bawaslu,
            case.id,
            "v1",
            Command::Accept,
            Uuid::new_v4(),
            at(2024, 9, 5),
        );
        assert!(
            matches!(refused.await, Err(ExecuteError::Step(StepError::Denied(_)))),
            "{}",
            db.label
        );
        assert_eq!(counts(&db).await, before, "{}", db.label);
        assert_eq!(
            db.store.get_case(case.id, CaseView::Full).await.unwrap(),
            Some(case),
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn a_step_result_the_store_must_not_persist_is_refused() {
    let w = world();
    for db in databases().await {
        let case = registered(&db.store, &w, 1).await;
        let before = counts(&db).await;
        let meta = MutationMeta {
            actor: w.bawaslu.id.clone(),
            request_id: Uuid::new_v4(),
            method: "ADD_NOTE",
            request_digest: digest("skip"),
            case_id: case.id,
            expected_etag: Some("v1".into()),
            at: at(2024, 9, 5),
            traceparent: String::new(),
        };
        let result = db
            .store
            .execute(meta, |current| {
                let mut case = current.expect("stored");
                let outcome =
                    netral_domain::case::StepOutcome::new(Action::AddNote, case.state, case.state);
                case.version += 2; // skips a version: the etag history would have a hole
                Ok::<_, StepError>(Applied {
                    inbox: Vec::new(),
                    audit: super::fixtures::audit_for(&case, &outcome, at(2024, 9, 5)),
                    response: vec![],
                    event_payload: serde_json::json!({}),
                    case,
                    outcome,
                    subject_key: None,
                    past: Vec::new(),
                })
            })
            .await;
        assert!(
            matches!(store_err(result), StoreError::InvalidStep(_)),
            "{}",
            db.label
        );
        assert_eq!(counts(&db).await, before, "{}", db.label);
    }
}

#[tokio::test]
async fn an_injected_failure_after_the_case_write_commits_nothing() {
    let w = world();
    for db in databases().await {
        db.store.fail_points().after_case_write(true);
        let registration = register(&db.store, &w, filing(1), Uuid::new_v4(), at(2024, 9, 4));
        assert!(
            matches!(store_err(registration.await), StoreError::InjectedFailure),
            "{}",
            db.label
        );
        let c = counts(&db).await;
        assert_eq!(
            (c.cases, c.subjects, c.case_events, c.idempotency_keys),
            (0, 0, 0, 0),
            "{}",
            db.label
        );

        let case = registered(&db.store, &w, 1).await;
        let before = counts(&db).await;
        db.store.fail_points().after_case_write(true);
        let request_id = Uuid::new_v4();
        let failed = step(
            &db.store,
            &w,
            &w.bawaslu,
            case.id,
            "v1",
            note("a"),
            request_id,
            at(2024, 9, 5),
        );
        assert!(
            matches!(store_err(failed.await), StoreError::InjectedFailure),
            "{}",
            db.label
        );
        assert_eq!(counts(&db).await, before, "{}", db.label);
        assert_eq!(
            db.store.case_events(case.id).await.unwrap().len(),
            1,
            "{}",
            db.label
        );
        assert_eq!(
            db.store.get_case(case.id, CaseView::Full).await.unwrap(),
            Some(case.clone()),
            "{}",
            db.label
        );

        // The fail point fires once; the client's retry then applies normally.
        let retried = step(
            &db.store,
            &w,
            &w.bawaslu,
            case.id,
            "v1",
            note("a"),
            request_id,
            at(2024, 9, 5),
        );
        assert_eq!(applied(retried.await.unwrap()).0.version, 2, "{}", db.label);
    }
}
