//! Racing writers: two steps on one version, two copies of one request, two stores on one
//! SQLite file. Exactly one write wins; the loser is told (stale etag) or answered alike
//! (replay), and nothing is written twice.

use std::sync::Arc;

use uuid::Uuid;

use super::fixtures::*;
use super::support::{TestDb, databases, sqlite};
use crate::{ExecuteError, Executed, Store, StoreError};

/// Runs two steps on the same version of one case at once, `rounds` times, one through
/// `db.store` and one through `other` (the same store, or a second one on the same
/// database: another replica); returns how many were applied, refused as stale and
/// replayed.
async fn race(
    db: &TestDb,
    other: &Store,
    w: &Arc<super::fixtures::World>,
    same_request: bool,
    rounds: usize,
) -> (usize, usize, usize) {
    let (mut applied_n, mut stale_n, mut replayed_n) = (0, 0, 0);
    for _ in 0..rounds {
        let case = registered(&db.store, w, rand_number()).await;
        let shared_id = Uuid::new_v4();
        let contenders = [db.store.clone(), other.clone()].map(|store| {
            let w = Arc::clone(w);
            let request_id = if same_request {
                shared_id
            } else {
                Uuid::new_v4()
            };
            tokio::spawn(async move {
                step(
                    &store,
                    &w,
                    &w.bawaslu,
                    case.id,
                    "v1",
                    note("race"),
                    request_id,
                    at(2024, 9, 5),
                )
                .await
            })
        });
        for handle in contenders {
            match handle.await.unwrap() {
                Ok(Executed::Applied(..)) => applied_n += 1,
                Ok(Executed::Replayed(_)) => replayed_n += 1,
                Err(ExecuteError::Store(StoreError::StaleEtag)) => stale_n += 1,
                Err(other) => panic!("{}: unexpected {other:?}", db.label),
            }
        }
        let stored = db
            .store
            .get_case(case.id, crate::CaseView::Basic)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.version, 2, "{}: exactly one step applied", db.label);
        assert_eq!(
            db.store.case_events(case.id).await.unwrap().len(),
            2,
            "{}",
            db.label
        );
    }
    (applied_n, stale_n, replayed_n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_racing_steps_on_one_version_exactly_one_wins() {
    let w = Arc::new(world());
    for db in databases().await {
        assert_eq!(
            race(&db, &db.store, &w, false, 8).await,
            (8, 8, 0),
            "{}",
            db.label
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_racing_copies_of_one_request_apply_once_and_answer_alike() {
    let w = Arc::new(world());
    for db in databases().await {
        assert_eq!(
            race(&db, &db.store, &w, true, 8).await,
            (8, 0, 8),
            "{}",
            db.label
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_racing_copies_of_one_registration_register_once() {
    let w = Arc::new(world());
    for db in databases().await {
        for round in 0..8 {
            let request_id = Uuid::new_v4();
            let copies: Vec<_> = (0..2)
                .map(|_| {
                    let (store, w) = (db.store.clone(), Arc::clone(&w));
                    tokio::spawn(async move {
                        register(&store, &w, filing(round), request_id, at(2024, 9, 4)).await
                    })
                })
                .collect();
            let mut answers = Vec::new();
            for copy in copies {
                answers.push(match copy.await.unwrap() {
                    Ok(Executed::Applied(_, bytes)) => ("applied", bytes),
                    Ok(Executed::Replayed(bytes)) => ("replayed", bytes),
                    Err(err) => panic!("{}: unexpected {err:?}", db.label),
                });
            }
            answers.sort();
            assert_eq!(
                (answers[0].0, answers[1].0),
                ("applied", "replayed"),
                "{}",
                db.label
            );
            assert_eq!(
                answers[0].1, answers[1].1,
                "{}: the replay answers alike",
                db.label
            );
        }
        assert_eq!(
            db.store.table_counts().await.unwrap().cases,
            8,
            "{}",
            db.label
        );
    }
}

/// Two stores on one database race like two replicas: each has its own writer lane (on
/// SQLite its own writer thread and connection, serialised only by the file's lock), so
/// the loser's step runs after the winner's commit in another transaction and is refused
/// by the etag check, or answered from the stored key after its rollback.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_on_one_database_race_like_two_replicas() {
    let w = Arc::new(world());
    for db in databases().await {
        let other = Store::connect(&db.url, 4).await.unwrap();
        assert_eq!(
            race(&db, &other, &w, false, 8).await,
            (8, 8, 0),
            "{}: different requests",
            db.label
        );
        assert_eq!(
            race(&db, &other, &w, true, 8).await,
            (8, 0, 8),
            "{}: one request sent twice",
            db.label
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_on_one_sqlite_file_write_without_busy_errors() {
    let w = Arc::new(world());
    let db = sqlite().await;
    let other = crate::Store::connect(&db.url, 4).await.unwrap();
    let writers = [db.store.clone(), other].map(|store| {
        let w = Arc::clone(&w);
        tokio::spawn(async move {
            let mut last = None;
            for _ in 0..10 {
                last = Some(registered_filing(&store, &w, filing(rand_number())).await);
            }
            last
        })
    });
    for writer in writers {
        assert!(writer.await.unwrap().is_some());
    }
    assert_eq!(db.store.table_counts().await.unwrap().cases, 20);
}

fn rand_number() -> u32 {
    (Uuid::new_v4().as_u128() % 1_000_000_000) as u32
}
