//! Group commit: steps that arrive together share one transaction, each in its own savepoint,
//! so a step that fails inside a batch leaves its neighbours committed and writes nothing of
//! its own; and among many steps racing on one version of one case exactly one wins.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use netral_domain::case::{CaseRecord, Command, StepError};
use uuid::Uuid;

use super::fixtures::*;
use super::support::{TestDb, databases};
use crate::{Applied, CaseView, ExecuteError, Executed, MutationMeta, Store, StoreError};

/// How many steps are fired at once.
const STEPS: usize = 32;

/// Counts the steps about to be submitted, so a first step can hold its lane until the
/// others are queued behind it and the lane takes them as one batch.
#[derive(Default)]
struct Gate {
    submitted: Mutex<usize>,
    all_in: Condvar,
}

impl Gate {
    fn arrive(&self) {
        *self.submitted.lock().unwrap() += 1;
        self.all_in.notify_all();
    }

    /// Blocks until `n` steps arrived, or gives up after a deadline (the batch is then only
    /// smaller: every assertion still holds).
    fn wait_for(&self, n: usize) {
        let guard = self.submitted.lock().unwrap();
        let deadline = Duration::from_secs(10);
        drop(self.all_in.wait_timeout_while(guard, deadline, |s| *s < n));
    }
}

/// A note on `case` whose step holds the writer lane until `gate` saw `n` arrivals.
async fn gated_note(store: &Store, case: &CaseRecord, gate: Arc<Gate>, n: usize) -> Executed {
    let meta = MutationMeta {
        actor: agency("bawaslu-kalsel"),
        request_id: Uuid::new_v4(),
        method: "ADD_NOTE",
        request_digest: digest("gate"),
        case_id: case.id,
        expected_etag: Some(case.etag()),
        at: at(2024, 9, 5),
        traceparent: String::new(),
    };
    let executed = store.execute(meta, move |current| {
        gate.wait_for(n);
        let mut case = current.expect("stored");
        case.version += 1;
        let outcome = netral_domain::case::StepOutcome::new(
            netral_domain::state::Action::AddNote,
            case.state,
            case.state,
        );
        Ok::<_, StepError>(Applied {
            inbox: Vec::new(),
            audit: super::fixtures::audit_for(&case, &outcome, at(2024, 9, 5)),
            response: response_of(&case),
            event_payload: serde_json::json!({}),
            case,
            outcome,
            subject_key: None,
            past: Vec::new(),
        })
    });
    executed.await.unwrap()
}

/// What step `i` of the batch does: most add a note; every fourth fails in one of three ways.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Note,
    /// The step itself refuses (the reporting office may not accept).
    Refused,
    /// The caller's etag is stale: refused before the step runs.
    Stale,
    /// A registration whose number is taken: its subject row is written before the case row
    /// is refused, so only the savepoint's rollback removes it.
    TakenNumber,
}

fn kind(i: usize) -> Kind {
    match (i % 4, i / 4 % 3) {
        (3, 0) => Kind::Refused,
        (3, 1) => Kind::Stale,
        (3, _) => Kind::TakenNumber,
        _ => Kind::Note,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_step_inside_a_batch_leaves_its_neighbours_committed() {
    let w = Arc::new(world());
    for db in databases().await {
        let mut cases = Vec::new();
        for n in 0..STEPS {
            cases.push(registered(&db.store, &w, n as u32).await);
        }
        let held = registered(&db.store, &w, 500).await;
        let before = db.store.table_counts().await.unwrap();

        let gate = Arc::new(Gate::default());
        let first = {
            let (store, gate, held) = (db.store.clone(), Arc::clone(&gate), held.clone());
            tokio::spawn(async move { gated_note(&store, &held, gate, STEPS).await })
        };
        let batch: Vec<_> = cases
            .iter()
            .enumerate()
            .map(|(i, case)| {
                let (store, w, gate, case) = (
                    db.store.clone(),
                    Arc::clone(&w),
                    Arc::clone(&gate),
                    case.clone(),
                );
                tokio::spawn(async move {
                    let now = at(2024, 9, 5);
                    let (actor, etag, command) = match kind(i) {
                        Kind::Note => (&w.bawaslu, "v1", note(&format!("note {i}"))),
                        Kind::Refused => (&w.bawaslu, "v1", Command::Accept),
                        Kind::Stale => (&w.bawaslu, "v7", note("stale")),
                        Kind::TakenNumber => {
                            let copy = register(&store, &w, filing(i as u32), Uuid::new_v4(), now);
                            gate.arrive();
                            return copy.await;
                        }
                    };
                    let stepped = step(
                        &store,
                        &w,
                        actor,
                        case.id,
                        etag,
                        command,
                        Uuid::new_v4(),
                        now,
                    );
                    gate.arrive();
                    stepped.await
                })
            })
            .collect();

        let mut answers = Vec::new();
        for handle in batch {
            answers.push(handle.await.unwrap());
        }
        assert!(matches!(first.await.unwrap(), Executed::Applied(..)));
        for (i, (case, answer)) in cases.iter().zip(answers).enumerate() {
            check_answer(&db, case, kind(i), i, answer).await;
        }
        let good = (0..STEPS).filter(|&i| kind(i) == Kind::Note).count() as u64 + 1;
        let after = db.store.table_counts().await.unwrap();
        assert_eq!(
            (after.cases, after.subjects),
            (before.cases, before.subjects),
            "{}: no case or subject from the refused registrations",
            db.label
        );
        assert_eq!(
            (
                after.case_events,
                after.idempotency_keys,
                after.child_records
            ),
            (
                before.case_events + good,
                before.idempotency_keys + good,
                before.child_records + good - 1
            ),
            "{}: only the good steps wrote (the gate's step appended no note)",
            db.label
        );
    }
}

async fn check_answer(
    db: &TestDb,
    case: &CaseRecord,
    kind: Kind,
    i: usize,
    answer: Result<Executed, ExecuteError<StepError>>,
) {
    let label = format!("{} step {i} ({kind:?})", db.label);
    let stored = db
        .store
        .get_case(case.id, CaseView::Full)
        .await
        .unwrap()
        .unwrap();
    let events = db.store.case_events(case.id).await.unwrap().len();
    match (kind, answer) {
        (Kind::Note, Ok(Executed::Applied(answered, bytes))) => {
            assert_eq!(answered.version, 2, "{label}");
            assert_eq!(bytes, response_of(&answered), "{label}");
            assert_eq!(stored.clone().basic(), answered, "{label}");
            let texts: Vec<_> = stored.notes.iter().map(|n| n.text.as_str()).collect();
            assert_eq!(texts, [format!("note {i}")], "{label}");
            assert_eq!(events, 2, "{label}");
        }
        (Kind::Refused, Err(ExecuteError::Step(StepError::Denied(_))))
        | (Kind::Stale, Err(ExecuteError::Store(StoreError::StaleEtag)))
        | (Kind::TakenNumber, Err(ExecuteError::Store(StoreError::DuplicateRegistration))) => {
            assert_eq!(&stored, case, "{label}: unchanged");
            assert_eq!(events, 1, "{label}");
        }
        (_, other) => panic!("{label}: unexpected {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_notes_racing_on_one_version_one_wins_and_its_replays_answer_alike() {
    let w = Arc::new(world());
    for db in databases().await {
        let case = registered(&db.store, &w, 1).await;
        let note_step = |i: usize, request_id: Uuid| {
            let (store, w) = (db.store.clone(), Arc::clone(&w));
            tokio::spawn(async move {
                let text = format!("contender {i}");
                let now = at(2024, 9, 5);
                step(
                    &store,
                    &w,
                    &w.bawaslu,
                    case.id,
                    "v1",
                    note(&text),
                    request_id,
                    now,
                )
                .await
            })
        };
        let ids: Vec<_> = (0..STEPS).map(|_| Uuid::new_v4()).collect();
        let contenders: Vec<_> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| note_step(i, *id))
            .collect();
        let mut winners = Vec::new();
        for (i, handle) in contenders.into_iter().enumerate() {
            match handle.await.unwrap() {
                Ok(Executed::Applied(_, bytes)) => winners.push((i, bytes)),
                Err(ExecuteError::Store(StoreError::StaleEtag)) => {}
                other => panic!("{}: unexpected {other:?}", db.label),
            }
        }
        assert_eq!(winners.len(), 1, "{}: exactly one wins", db.label);
        let (winner, first_response) = winners.pop().unwrap();
        let before = db.store.table_counts().await.unwrap();

        let replays: Vec<_> = (0..8).map(|_| note_step(winner, ids[winner])).collect();
        for replay in replays {
            match replay.await.unwrap() {
                Ok(Executed::Replayed(bytes)) => assert_eq!(bytes, first_response, "{}", db.label),
                other => panic!("{}: a replay was {other:?}", db.label),
            }
        }
        assert_eq!(
            db.store.table_counts().await.unwrap(),
            before,
            "{}",
            db.label
        );
        let stored = db
            .store
            .get_case(case.id, CaseView::Full)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.version, 2, "{}", db.label);
        let texts: Vec<_> = stored.notes.iter().map(|n| n.text.clone()).collect();
        assert_eq!(texts, [format!("contender {winner}")], "{}", db.label);
    }
}

/// A step that panics on its lane: its batch is rolled back as a whole, every neighbour's
/// answer says what happened to it (committed and answered, or told it was not committed),
/// nothing of the panicking step is stored, and the lane goes on writing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_panicking_step_rolls_back_its_batch_and_the_lane_goes_on() {
    let w = Arc::new(world());
    for db in databases().await {
        let doomed = registered(&db.store, &w, 1).await;
        let neighbours = [
            registered(&db.store, &w, 2).await,
            registered(&db.store, &w, 3).await,
        ];
        let panicking = {
            let store = db.store.clone();
            let meta = MutationMeta {
                actor: agency("bawaslu-kalsel"),
                request_id: Uuid::new_v4(),
                method: "ADD_NOTE",
                request_digest: digest("panic"),
                case_id: doomed.id,
                expected_etag: Some(doomed.etag()),
                at: at(2024, 9, 5),
                traceparent: String::new(),
            };
            tokio::spawn(async move {
                store
                    .execute(meta, |_| -> Result<Applied, StepError> {
                        panic!("a bug in a step")
                    })
                    .await
            })
        };
        let beside: Vec<_> = neighbours
            .iter()
            .map(|case| {
                let (store, w, id) = (db.store.clone(), Arc::clone(&w), case.id);
                tokio::spawn(async move {
                    let (actor, now) = (&w.bawaslu, at(2024, 9, 5));
                    step(
                        &store,
                        &w,
                        actor,
                        id,
                        "v1",
                        note("beside"),
                        Uuid::new_v4(),
                        now,
                    )
                    .await
                })
            })
            .collect();

        let lost = panicking.await.unwrap();
        assert!(
            matches!(lost, Err(ExecuteError::Store(StoreError::StepLost))),
            "{}: {lost:?}",
            db.label
        );
        let stored = db.store.get_case(doomed.id, CaseView::Full).await.unwrap();
        assert_eq!(stored, Some(doomed.clone()), "{}: nothing of it", db.label);
        for (handle, case) in beside.into_iter().zip(&neighbours) {
            let answer = handle.await.unwrap();
            let stored = db.store.get_case(case.id, CaseView::Basic).await.unwrap();
            let version = stored.map(|c| c.version);
            match answer {
                Ok(Executed::Applied(..)) => assert_eq!(version, Some(2), "{}", db.label),
                Err(ExecuteError::Store(StoreError::Commit(_))) => {
                    assert_eq!(version, Some(1), "{}: told not committed", db.label)
                }
                other => panic!("{}: unexpected answer {other:?}", db.label),
            }
        }

        // The lane survived: the doomed case takes a note now.
        let now = at(2024, 9, 6);
        let note = step(
            &db.store,
            &w,
            &w.bawaslu,
            doomed.id,
            "v1",
            note("after"),
            Uuid::new_v4(),
            now,
        );
        assert!(
            matches!(note.await, Ok(Executed::Applied(..))),
            "{}",
            db.label
        );
    }
}
