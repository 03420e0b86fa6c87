//! Registration numbers belong to their office: one report naming several ASN becomes one
//! case per ASN under one number, linked to each other; the same subject twice under an
//! office's number is refused; another office may use the same number.

use netral_domain::case::{NewCase, StepError};
use netral_domain::ids::{SubjectId, SubjectIdKind};
use uuid::Uuid;

use super::fixtures::*;
use super::support::databases;
use crate::{CaseQuery, ExecuteError, Executed, StoreError, Visibility};

/// Filing `n` naming the ASN with NIP `nip`.
fn naming(n: u32, nip: &str) -> NewCase {
    let mut filing = filing(n);
    filing.subject.id = SubjectId::parse(SubjectIdKind::Nip, nip).unwrap();
    filing
}

/// Three fictional ASN of Kotabaru named in one report.
const NIPS: [&str; 3] = [
    "198503122010011004",
    "199001052015032002",
    "198711232012121001",
];

fn refused(result: Result<Executed, ExecuteError<StepError>>) -> StoreError {
    match result {
        Err(ExecuteError::Store(err)) => err,
        other => panic!("expected a store error, got {other:?}"),
    }
}

#[tokio::test]
async fn one_report_naming_three_asn_becomes_three_linked_cases_under_one_number() {
    let w = world();
    for db in databases().await {
        let mut cases = Vec::new();
        for nip in NIPS {
            cases.push(registered_filing(&db.store, &w, naming(7, nip)).await);
        }
        let number = cases[0].filing.registration_number.clone();
        for case in &cases {
            assert_eq!(case.filing.registration_number, number, "{}", db.label);
            let related = db
                .store
                .related_cases(case.id, &case.reporting_office, &number)
                .await
                .unwrap();
            let others: Vec<_> = cases
                .iter()
                .map(|c| c.id)
                .filter(|id| *id != case.id)
                .collect();
            assert_eq!(related, others, "{}", db.label);
        }

        let mut query = CaseQuery::new(Visibility::Everything, 10);
        query.registration_number = Some(number.clone());
        let mut found: Vec<_> = db
            .store
            .list_cases(&query)
            .await
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect();
        found.sort();
        let mut ids: Vec<_> = cases.iter().map(|c| c.id).collect();
        ids.sort();
        assert_eq!(found, ids, "{}: the filter finds the three", db.label);
    }
}

#[tokio::test]
async fn the_same_subject_twice_under_an_offices_number_is_refused_and_writes_nothing() {
    let w = world();
    for db in databases().await {
        registered_filing(&db.store, &w, naming(8, NIPS[0])).await;
        registered_filing(&db.store, &w, naming(8, NIPS[1])).await;
        let before = db.store.table_counts().await.unwrap();
        let again = register(
            &db.store,
            &w,
            naming(8, NIPS[1]),
            Uuid::new_v4(),
            at(2024, 9, 5),
        );
        assert!(
            matches!(refused(again.await), StoreError::DuplicateRegistration),
            "{}",
            db.label
        );
        assert_eq!(
            db.store.table_counts().await.unwrap(),
            before,
            "{}",
            db.label
        );
        // The same subject under another number of the office is another report.
        registered_filing(&db.store, &w, naming(9, NIPS[1])).await;
    }
}

#[tokio::test]
async fn another_office_may_use_the_same_number_without_linking_to_the_first() {
    let w = world();
    for db in databases().await {
        let kalsel = registered_filing(&db.store, &w, naming(10, NIPS[0])).await;
        let by_ri = register_by(
            &db.store,
            &w,
            &w.bawaslu_ri,
            naming(10, NIPS[0]),
            Uuid::new_v4(),
            at(2024, 9, 5),
        );
        let (ri, _) = applied(by_ri.await.unwrap());
        let number = &kalsel.filing.registration_number;
        assert_eq!(&ri.filing.registration_number, number, "{}", db.label);
        for case in [&kalsel, &ri] {
            let related = db
                .store
                .related_cases(case.id, &case.reporting_office, number)
                .await
                .unwrap();
            assert!(related.is_empty(), "{}: {related:?}", db.label);
        }
    }
}

#[tokio::test]
async fn a_new_case_without_its_subject_key_is_refused() {
    for db in databases().await {
        let (case, outcome) = rich_case();
        let before = db.store.table_counts().await.unwrap();
        let result = store_as_registration_keyed(&db.store, case, outcome, None);
        assert!(
            matches!(refused(result.await), StoreError::InvalidStep(_)),
            "{}",
            db.label
        );
        assert_eq!(
            db.store.table_counts().await.unwrap(),
            before,
            "{}",
            db.label
        );
    }
}
