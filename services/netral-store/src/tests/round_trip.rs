//! A case written is the case read back: every field, every list, the subject; and what
//! cannot be read back faithfully is refused or reported, never guessed.

use netral_domain::state::{Action, CaseState};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::fixtures::*;
use super::support::databases;
use crate::{CaseQuery, CaseView, ExecuteError, StoreError, Visibility};

#[tokio::test]
async fn a_registered_case_reads_back_equal_with_its_event() {
    let w = world();
    for db in databases().await {
        let request_id = Uuid::new_v4();
        let (case, response) = applied(
            register(&db.store, &w, filing(1), request_id, at(2024, 9, 4))
                .await
                .unwrap(),
        );
        assert_eq!(response, response_of(&case), "{}", db.label);
        let read = db.store.get_case(case.id, CaseView::Full).await.unwrap();
        assert_eq!(read.as_ref(), Some(&case), "{}", db.label);

        let events = db.store.case_events(case.id).await.unwrap();
        assert_eq!(events.len(), 1, "{}", db.label);
        let event = &events[0];
        assert_eq!(event.case_id, case.id);
        assert_eq!(event.case_version, 1);
        assert_eq!(event.action, Action::Register);
        assert_eq!(
            (event.from_state, event.to_state),
            (CaseState::Registered, CaseState::Registered)
        );
        assert_eq!(event.actor, w.bawaslu.id);
        assert_eq!(event.request_id, request_id);
        assert_eq!(event.occurred_at, at(2024, 9, 4));
        assert_eq!(
            event.payload["registration_number"],
            case.filing.registration_number.as_str()
        );
    }
}

#[tokio::test]
async fn every_field_list_and_the_subject_round_trip() {
    for db in databases().await {
        let (case, outcome) = rich_case();
        let (stored, _) = applied(
            store_as_registration(&db.store, case.clone(), outcome)
                .await
                .unwrap(),
        );
        assert_eq!(stored, case.clone().basic(), "{}", db.label);
        assert_eq!(
            db.store.get_case(case.id, CaseView::Full).await.unwrap(),
            Some(case.clone()),
            "{}",
            db.label
        );
        assert_eq!(
            db.store.get_case(case.id, CaseView::Basic).await.unwrap(),
            Some(case.clone().basic()),
            "{}",
            db.label
        );
        let mut query = CaseQuery::new(Visibility::Everything, 10);
        let listed = db.store.list_cases(&query).await.unwrap();
        assert_eq!(listed, vec![case.clone().basic()], "{}", db.label);
        query.view = CaseView::Full;
        let listed = db.store.list_cases(&query).await.unwrap();
        assert_eq!(listed, vec![case], "{}", db.label);
    }
}

#[tokio::test]
async fn a_missing_case_reads_as_none() {
    for db in databases().await {
        assert_eq!(
            db.store
                .get_case(netral_domain::CaseId::new(), CaseView::Full)
                .await
                .unwrap(),
            None,
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn a_corrupt_row_is_reported_naming_the_column() {
    let w = world();
    for db in databases().await {
        let corruptions = [
            (
                "UPDATE cases SET source = 'FINDING' WHERE id = '{id}'",
                "cases.source",
            ),
            (
                "UPDATE case_deadlines SET step = 'nope' WHERE case_id = '{id}'",
                "case_deadlines.step",
            ),
            (
                "UPDATE cases SET outcome = '{\"rationale\":null,\"extra\":1}' WHERE id = '{id}'",
                "cases.outcome",
            ),
            (
                "UPDATE cases SET state = 'LIMBO' WHERE id = '{id}'",
                "cases.state",
            ),
            (
                "UPDATE subjects SET id_value = '12' \
                 WHERE id = (SELECT subject_id FROM cases WHERE id = '{id}')",
                "subjects.id_value",
            ),
        ];
        for (n, (sql, column)) in (1..).zip(corruptions) {
            let case = registered(&db.store, &w, n).await;
            let sql = sql.replace("{id}", &case.id.to_string());
            db.store.db.execute_unprepared(&sql).await.unwrap();
            let err = db
                .store
                .get_case(case.id, CaseView::Full)
                .await
                .unwrap_err();
            assert!(
                matches!(&err, StoreError::Corrupt(c) if c == column),
                "{}: {sql}: {err}",
                db.label
            );
            let stepped = step(
                &db.store,
                &w,
                &w.bawaslu,
                case.id,
                "v1",
                note("x"),
                Uuid::new_v4(),
                at(2024, 9, 5),
            );
            assert!(
                matches!(
                    stepped.await,
                    Err(ExecuteError::Store(StoreError::Corrupt(_)))
                ),
                "{}: a corrupt case is never stepped",
                db.label
            );
        }
        let listed = db
            .store
            .list_cases(&CaseQuery::new(Visibility::Everything, 10))
            .await;
        assert!(
            matches!(listed, Err(StoreError::Corrupt(_))),
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn instants_finer_than_a_microsecond_are_refused_and_nothing_is_written() {
    let w = world();
    for db in databases().await {
        let fine = at(2024, 9, 4) + chrono::TimeDelta::nanoseconds(1);
        let err = register(&db.store, &w, filing(1), Uuid::new_v4(), fine)
            .await
            .unwrap_err();
        assert!(
            matches!(err, ExecuteError::Store(StoreError::Unrepresentable(_))),
            "{}: {err:?}",
            db.label
        );
        let counts = db.store.table_counts().await.unwrap();
        assert_eq!(
            (counts.cases, counts.case_events, counts.idempotency_keys),
            (0, 0, 0)
        );
        assert_eq!(crate::storage_instant(fine), at(2024, 9, 4));
    }
}
