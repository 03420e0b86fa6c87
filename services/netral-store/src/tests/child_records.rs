//! A case's notes, attachments, escalations, deadlines and sanctions live in child tables: a
//! step inserts what it appends and updates what it changes, never rewriting the rest, and
//! the FULL view reads them back in order while the BASIC view only counts them.

use chrono::TimeDelta;
use netral_domain::case::{
    CaseRecord, CaseSize, Command, DeadlineStatus, ImposedSanction, Note, Recommendation, StepError,
};
use netral_domain::catalogue::SanctionTrack;
use netral_domain::policy::{AgencyProfile, Role, RoleGrant};
use netral_domain::state::Action;
use sea_orm::{ConnectionTrait, Statement};
use uuid::Uuid;

use super::fixtures::*;
use super::support::{TestDb, databases};
use crate::{Applied, CaseView, MutationMeta};

/// Rows in the child tables, all together.
async fn child_rows(db: &TestDb) -> u64 {
    db.store.table_counts().await.unwrap().child_records
}

/// Rows of `table` belonging to `case`.
async fn rows_of(db: &TestDb, table: &str, case: &CaseRecord) -> i64 {
    let sql = format!(
        "SELECT COUNT(*) AS n FROM {table} WHERE case_id = '{}'",
        case.id
    );
    let statement = Statement::from_string(db.store.backend(), sql);
    let row = db.store.db.query_one(statement).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// Applies `command` by `actor` to `case` (read at its current etag) and returns the case
/// the store answered with (BASIC view).
async fn apply(
    db: &TestDb,
    w: &World,
    actor: &AgencyProfile,
    case: &CaseRecord,
    command: Command,
    minutes: i64,
) -> CaseRecord {
    let now = at(2024, 9, 5) + TimeDelta::minutes(minutes);
    let etag = case.etag();
    let executed = step(
        &db.store,
        w,
        actor,
        case.id,
        &etag,
        command,
        Uuid::new_v4(),
        now,
    );
    applied(
        executed
            .await
            .unwrap_or_else(|e| panic!("{}: {e:?}", db.label)),
    )
    .0
}

/// The PPK of filing `n`: the Kotabaru regency government.
fn ppk_kotabaru() -> AgencyProfile {
    AgencyProfile {
        id: agency("pemkab-kotabaru"),
        jurisdiction: Some("63.02".parse().unwrap()),
        grants: vec![RoleGrant::since(Role::Ppk, day(2018, 1, 1))],
    }
}

#[tokio::test]
async fn each_note_is_one_new_row_read_back_in_order_and_only_counted_in_basic() {
    let w = world();
    for db in databases().await {
        let mut case = registered(&db.store, &w, 1).await;
        let ppk = ppk_kotabaru();
        let authors = [&w.bawaslu, &ppk, &w.bawaslu_ri, &w.bawaslu, &ppk];
        let mut notes = Vec::new();
        for (i, author) in authors.into_iter().enumerate() {
            let before = child_rows(&db).await;
            let text = format!("catatan {i}: ünïcode");
            case = apply(&db, &w, author, &case, note(&text), i as i64).await;
            assert_eq!(
                child_rows(&db).await,
                before + 1,
                "{}: one row per note",
                db.label
            );
            assert!(case.notes.is_empty(), "{}: the answer is BASIC", db.label);
            notes.push(Note {
                text,
                agency: author.id.clone(),
                at: at(2024, 9, 5) + TimeDelta::minutes(i as i64),
            });
        }
        assert_eq!(rows_of(&db, "case_notes", &case).await, 5, "{}", db.label);
        let size = CaseSize::of(&notes, &[], &[]);
        assert_eq!(size.notes, 5);
        assert_eq!(case.size, size, "{}", db.label);

        let full = db.store.get_case(case.id, CaseView::Full).await.unwrap();
        let mut expected = case.clone();
        expected.notes = notes;
        assert_eq!(full, Some(expected), "{}", db.label);
        let basic = db.store.get_case(case.id, CaseView::Basic).await.unwrap();
        assert_eq!(basic, Some(case.clone()), "{}", db.label);
        assert_eq!(basic.unwrap().size, size, "{}", db.label);
    }
}

#[tokio::test]
async fn a_deadline_changes_in_place_and_a_decree_stores_its_sanctions() {
    let w = world();
    let ppk = ppk_kotabaru();
    for db in databases().await {
        let case = registered(&db.store, &w, 1).await;
        assert_eq!(case.deadlines[0].status, DeadlineStatus::Open);
        assert_eq!(
            rows_of(&db, "case_deadlines", &case).await,
            1,
            "{}",
            db.label
        );

        // Forward meets the review deadline (an update) and opens the examiner's (an insert).
        let before = child_rows(&db).await;
        let forward = Command::Forward {
            letter_number: "L-1".into(),
            examiner: w.bkn.id.clone(),
        };
        let case = apply(&db, &w, &w.bawaslu, &case, forward, 1).await;
        assert_eq!(child_rows(&db).await, before + 1, "{}", db.label);
        assert_eq!(case.deadlines.len(), 2);
        assert_eq!(
            case.deadlines[0].status,
            DeadlineStatus::Met,
            "{}",
            db.label
        );
        assert_eq!(
            rows_of(&db, "case_deadlines", &case).await,
            2,
            "{}",
            db.label
        );
        let stored = db.store.get_case(case.id, CaseView::Basic).await.unwrap();
        assert_eq!(
            stored,
            Some(case.clone()),
            "{}: the new status is stored",
            db.label
        );

        let before = child_rows(&db).await;
        let case = apply(&db, &w, &w.bkn, &case, Command::Accept, 2).await;
        assert_eq!(
            child_rows(&db).await,
            before,
            "{}: nothing to write",
            db.label
        );

        let recommend = Command::RecommendSanction(Recommendation {
            track: SanctionTrack::DishonourableDismissal,
            moral: None,
            letter_number: "B-1/BKN".into(),
            rationale: "terbukti".into(),
        });
        let case = apply(&db, &w, &w.bkn, &case, recommend, 3).await;
        assert_eq!(
            rows_of(&db, "case_deadlines", &case).await,
            3,
            "{}",
            db.label
        );

        let sanctions = vec![
            sanction("DISHONOURABLE_DISMISSAL", "SK-1"),
            sanction("MORAL_OPEN_STATEMENT", "SK-1"),
        ];
        let before = child_rows(&db).await;
        let decree = Command::RecordSanctionDecree {
            sanctions: sanctions.clone(),
        };
        let case = apply(&db, &w, &ppk, &case, decree, 4).await;
        assert_eq!(case.imposed_sanctions, sanctions);
        assert_eq!(child_rows(&db).await, before + 2, "{}", db.label);
        let stored = db.store.get_case(case.id, CaseView::Full).await.unwrap();
        assert_eq!(stored, Some(case.clone()), "{}", db.label);

        // A corrected decree replaces the sanctions before it.
        let corrected = vec![sanction("MORAL_OPEN_STATEMENT", "SK-2")];
        let replacement = corrected.clone();
        let case = rewrite(&db, &case, move |c| c.imposed_sanctions = replacement).await;
        assert_eq!(
            rows_of(&db, "case_sanctions", &case).await,
            1,
            "{}",
            db.label
        );
        let stored = db.store.get_case(case.id, CaseView::Full).await.unwrap();
        assert_eq!(stored.unwrap().imposed_sanctions, corrected, "{}", db.label);
    }
}

fn sanction(code: &str, decree: &str) -> ImposedSanction {
    ImposedSanction {
        code: code.into(),
        decree_number: decree.into(),
        decree_date: day(2024, 10, 1),
    }
}

/// Applies a hand-written change to `case` through `execute`, as a step of the same state.
async fn rewrite(
    db: &TestDb,
    case: &CaseRecord,
    change: impl FnOnce(&mut CaseRecord) + Send + 'static,
) -> CaseRecord {
    let meta = MutationMeta {
        actor: agency("pemkab-kotabaru"),
        request_id: Uuid::new_v4(),
        method: Action::RecordSanctionDecree.as_str(),
        request_digest: digest("rewrite"),
        case_id: case.id,
        expected_etag: Some(case.etag()),
        at: at(2024, 10, 2),
        traceparent: String::new(),
    };
    let executed = db.store.execute(meta, move |current| {
        let mut case = current.expect("stored");
        let outcome = netral_domain::case::StepOutcome::new(
            Action::RecordSanctionDecree,
            case.state,
            case.state,
        );
        change(&mut case);
        case.version += 1;
        Ok::<_, StepError>(Applied {
            inbox: Vec::new(),
            audit: super::fixtures::audit_for(&case, &outcome, at(2024, 10, 2)),
            response: response_of(&case),
            event_payload: serde_json::json!({}),
            case,
            outcome,
            subject_key: None,
            past: Vec::new(),
        })
    });
    applied(executed.await.unwrap()).0
}

#[tokio::test]
async fn a_case_with_two_hundred_notes_still_steps_and_reads() {
    let w = world();
    for db in databases().await {
        let (mut rich, outcome) = rich_case();
        let author = rich.notes[0].agency.clone();
        rich.notes = (0..200)
            .map(|i| Note {
                text: format!("catatan nomor {i}"),
                agency: author.clone(),
                at: rich.created_at + TimeDelta::seconds(i),
            })
            .collect();
        rich.size = CaseSize::of(&rich.notes, &rich.attachments, &rich.escalations);
        applied(
            store_as_registration(&db.store, rich.clone(), outcome)
                .await
                .unwrap(),
        );
        let rows = rows_of(&db, "case_notes", &rich).await;
        assert_eq!(rows, 200, "{}", db.label);

        // Sanctioned still takes notes; the 201st is one more row, numbered after the rest.
        let before = child_rows(&db).await;
        let noted = apply(&db, &w, &w.bkn, &rich, note("yang ke-201"), 0).await;
        assert_eq!(child_rows(&db).await, before + 1, "{}", db.label);
        assert_eq!(noted.size.notes, 201, "{}", db.label);
        let full = db
            .store
            .get_case(rich.id, CaseView::Full)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(full.notes.len(), 201, "{}", db.label);
        assert_eq!(full.notes[..200], rich.notes[..], "{}: in order", db.label);
        assert_eq!(full.notes[200].text, "yang ke-201", "{}", db.label);
        assert_eq!(full.clone().basic(), noted, "{}", db.label);
        assert_eq!(
            full.size,
            CaseSize::of(&full.notes, &full.attachments, &full.escalations)
        );
    }
}
