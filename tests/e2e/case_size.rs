//! How big a case may grow, and what a read carries: per-case limits refuse with nothing
//! written (and never stop a case from moving on), lists and step replies carry the BASIC
//! view, and idempotency keys are purged after their retention.

use netral_proto::v1 as pb;
use netral_tests::fixtures::{self, Step, walk_to};
use netral_tests::helpers::{PATIENCE, assert_refused, eventually, field_violations};
use netral_tests::{spawn_app, spawn_app_with};
use pb::CaseState;
use tonic::Code;
use tonic_types::StatusExt;

#[tokio::test]
async fn a_note_past_the_case_limit_is_refused_and_nothing_is_written() {
    let app = spawn_app_with(|s| s.cases.max_notes = 3).await;
    let mut case = walk_to(&app, CaseState::Registered).await;
    for _ in 0..3 {
        case = app
            .act("bawaslu-kotabaru", Step::AddNote, &case)
            .await
            .unwrap();
    }
    let before = (app.row_counts().await, app.history(&case).await.len());

    let refused = app.act("bawaslu-kotabaru", Step::AddNote, &case).await;
    let status = assert_refused(refused, Code::FailedPrecondition, "CASE_LIMIT_REACHED");
    let info = status.get_error_details().error_info().cloned().unwrap();
    assert_eq!(
        info.metadata.get("limit").map(String::as_str),
        Some("notes")
    );
    assert_eq!(info.metadata.get("max").map(String::as_str), Some("3"));
    assert_eq!(
        (app.row_counts().await, app.history(&case).await.len()),
        before,
        "a refused note writes nothing"
    );
    assert_eq!(app.read(&case.name).await.notes.len(), 3);

    // A full case still moves on.
    let forwarded = app.act("bawaslu-kotabaru", Step::Forward, &case).await;
    assert_eq!(forwarded.unwrap().state(), CaseState::Forwarded);
}

#[tokio::test]
async fn a_decree_imposing_more_sanctions_than_allowed_is_invalid() {
    let app = spawn_app_with(|s| s.cases.max_sanctions_per_decree = 1).await;
    let case = walk_to(&app, CaseState::SanctionRecommended).await;
    let before = app.row_counts().await;
    let request = fixtures::record_sanction_decree(&case);
    assert_eq!(request.sanctions.len(), 2);
    let mut ppk = app.client("pemkab-kotabaru").await;
    let status = ppk.record_sanction_decree(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(field_violations(&status), ["sanctions"]);
    assert_eq!(app.row_counts().await, before);
}

#[tokio::test]
async fn lists_and_replies_carry_the_basic_view_and_get_case_the_full_one() {
    let app = spawn_app().await;
    let case = walk_to(&app, CaseState::Registered).await;
    let case = app
        .act("bawaslu-kotabaru", Step::AddNote, &case)
        .await
        .unwrap();
    let case = app
        .act("bawaslu-kotabaru", Step::AttachEvidence, &case)
        .await
        .unwrap();
    assert!(case.notes.is_empty() && case.attachments.is_empty());
    assert_eq!((case.note_count, case.attachment_count), (1, 1));

    let listed = app.list_all("bpk", "").await;
    assert_eq!(
        listed,
        std::slice::from_ref(&case),
        "ListCases defaults to BASIC"
    );

    let request = pb::ListCasesRequest {
        view: pb::CaseView::Full as i32,
        ..Default::default()
    };
    let full_page = app.list("bpk", request).await.unwrap();
    let [full] = full_page.cases.as_slice() else {
        panic!("one case expected: {full_page:?}");
    };
    assert_eq!((full.notes.len(), full.attachments.len()), (1, 1));
    assert_eq!(
        &app.read(&case.name).await,
        full,
        "GetCase defaults to FULL"
    );

    let bad = pb::ListCasesRequest {
        view: 7,
        ..Default::default()
    };
    let status = app.list("bpk", bad).await.unwrap_err();
    assert_eq!(field_violations(&status), ["view"]);
}

#[tokio::test]
async fn a_case_holding_two_hundred_notes_stays_readable_and_quick_to_step() {
    let app = spawn_app().await;
    let mut case = walk_to(&app, CaseState::Registered).await;
    for _ in 0..200 {
        case = app
            .act("bawaslu-kotabaru", Step::AddNote, &case)
            .await
            .unwrap();
    }
    assert_eq!(case.note_count, 200);
    let full = app.read(&case.name).await;
    assert_eq!(full.notes.len(), 200);
    let forwarded = app.act("bawaslu-kotabaru", Step::Forward, &case).await;
    assert_eq!(forwarded.unwrap().state(), CaseState::Forwarded);
}

#[tokio::test]
async fn idempotency_keys_are_purged_after_their_retention() {
    let app = spawn_app_with(|s| {
        s.idempotency.retention_days = 1;
        s.idempotency.purge_interval_s = 1;
    })
    .await;
    let case = walk_to(&app, CaseState::Registered).await;
    assert_eq!(app.row_counts().await.idempotency_keys, 1);
    app.clock.set(app.clock.now() + chrono::TimeDelta::days(2));
    eventually(PATIENCE, || async {
        app.row_counts().await.idempotency_keys == 0
    })
    .await;
    // The case itself stays, and a new step still works.
    let case = app
        .act("bawaslu-kotabaru", Step::AddNote, &case)
        .await
        .unwrap();
    assert_eq!(case.note_count, 1);
}
