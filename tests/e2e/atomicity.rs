//! All or nothing: a step that fails after the case row was written leaves no trace (no case
//! change, no event, no idempotency key), the caller learns nothing internal, and the same
//! request succeeds once the fault is gone.

use netral_proto::v1::CaseState;
use netral_store::TableCounts;
use netral_tests::fixtures::{self, case_of, walk_to};
use netral_tests::{reason, spawn_app};
use tonic::Code;

#[tokio::test]
async fn a_forward_failing_after_the_case_write_leaves_the_case_as_it_was() {
    let app = spawn_app().await;
    let case = walk_to(&app, CaseState::Registered).await;
    let counts = app.row_counts().await;
    let events = app.history(&case).await.len();
    let mut bawaslu = app.client("bawaslu-kotabaru").await;
    let request = fixtures::forward(&case);

    app.store().fail_points().after_case_write(true);
    let failed = bawaslu.forward_case(request.clone()).await.unwrap_err();
    app.store().fail_points().after_case_write(false);
    assert_eq!(failed.code(), Code::Internal, "{failed:?}");
    assert_eq!(
        failed.message(),
        "internal error",
        "nothing internal reaches the agency"
    );
    assert!(
        matches!(reason(&failed).as_str(), "" | "INTERNAL"),
        "no internal detail in the reason: {failed:?}"
    );

    let after = app.read(&case.name).await;
    assert_eq!(after.etag, case.etag);
    assert_eq!(after.state(), CaseState::Registered);
    assert_eq!(after, case);
    assert_eq!(
        app.history(&case).await.len(),
        events,
        "no event of the failed step"
    );
    let the_read_above_on_record = TableCounts {
        audit_events: counts.audit_events + 1,
        ..counts
    };
    assert_eq!(app.row_counts().await, the_read_above_on_record);

    // The agency retries the very same request: it is applied, once.
    let forwarded = case_of(
        bawaslu
            .forward_case(request)
            .await
            .unwrap()
            .into_inner()
            .r#case,
    );
    assert_eq!(forwarded.state(), CaseState::Forwarded);
    assert_eq!(forwarded.examiner, "agencies/kasn");
    assert_eq!(app.history(&case).await.len(), events + 1);
}

#[tokio::test]
async fn a_registration_failing_after_the_case_write_registers_nothing() {
    let app = spawn_app().await;
    let empty = app.row_counts().await;
    let mut bawaslu = app.client("bawaslu-kotabaru").await;
    let request = fixtures::kotabaru_social_media_like();

    app.store().fail_points().after_case_write(true);
    let failed = bawaslu.register_case(request.clone()).await.unwrap_err();
    app.store().fail_points().after_case_write(false);
    assert_eq!(
        (failed.code(), failed.message()),
        (Code::Internal, "internal error")
    );
    assert_eq!(
        app.row_counts().await,
        empty,
        "no subject, case, event or key survives"
    );
    assert!(app.list_all("bpk", "").await.is_empty());

    let case = case_of(
        bawaslu
            .register_case(request)
            .await
            .unwrap()
            .into_inner()
            .r#case,
    );
    assert_eq!(case.state(), CaseState::Registered);
    assert_eq!(app.row_counts().await.cases, 1);
}
