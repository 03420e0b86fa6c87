//! The other ways a case ends: dismissed by Bawaslu, not proven by the examiner, cancelled,
//! or closed because the civil servant left the service. A closed case accepts nothing more.

use netral_proto::v1 as pb;
use netral_tests::fixtures::{self, Step, date, walk_to, wib};
use netral_tests::{TestApp, assert_refused, spawn_app};
use pb::{CaseState, DeadlineStatus, DeadlineStep};
use tonic::Code;

fn deadline(case: &pb::Case, step: DeadlineStep) -> pb::Deadline {
    case.deadlines
        .iter()
        .find(|d| d.step() == step)
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "no {step:?} deadline on {}: {:?}",
                case.name, case.deadlines
            )
        })
}

/// A closed case refuses a further step with FAILED_PRECONDITION / CASE_CLOSED and stays as
/// it is.
async fn assert_closed(app: &TestApp, case: &pb::Case) {
    let refused = app.act("bawaslu-kotabaru", Step::AddNote, case).await;
    assert_refused(refused, Code::FailedPrecondition, "CASE_CLOSED");
    assert_eq!(app.read(&case.name).await.etag, case.etag);
}

#[tokio::test]
async fn bawaslu_dismisses_a_finding_that_is_not_a_violation() {
    let app = spawn_app().await;
    let case = walk_to(&app, CaseState::Registered).await;
    app.clock.set(wib("2024-03-05T10:00:00"));
    let case = app
        .act("bawaslu-kotabaru", Step::Dismiss, &case)
        .await
        .unwrap();
    assert_eq!(case.state(), CaseState::Dismissed);
    assert_eq!(case.examiner, "");
    assert_eq!(
        case.outcome.clone().unwrap().rationale,
        fixtures::dismiss(&case).rationale
    );
    assert_eq!(
        deadline(&case, DeadlineStep::BawasluReview).status(),
        DeadlineStatus::Met
    );
    assert_closed(&app, &case).await;
}

#[tokio::test]
async fn the_examiner_finds_a_violation_not_proven() {
    let app = spawn_app().await;
    let case = walk_to(&app, CaseState::UnderExamination).await;
    assert_eq!(case.examiner, "agencies/kasn");
    app.clock.set(wib("2024-03-08T10:00:00"));
    let case = app
        .act("kasn", Step::ConcludeNotProven, &case)
        .await
        .unwrap();
    assert_eq!(case.state(), CaseState::NotProven);
    let outcome = case.outcome.clone().unwrap();
    assert_eq!(
        outcome.rationale,
        fixtures::conclude_not_proven(&case).rationale
    );
    assert_eq!(case.recommendation, None);
    assert_eq!(
        deadline(&case, DeadlineStep::ExaminerAction).status(),
        DeadlineStatus::Met
    );
    assert!(
        !case
            .deadlines
            .iter()
            .any(|d| d.step() == DeadlineStep::PpkAction),
        "no PPK deadline without a recommendation"
    );
    assert_closed(&app, &case).await;
}

#[tokio::test]
async fn the_examiner_cancels_a_withdrawn_report_while_it_has_the_case() {
    let app = spawn_app().await;
    let case = walk_to(&app, CaseState::Forwarded).await;
    app.clock.set(wib("2024-03-06T10:00:00"));
    // Once forwarded, the case is the examiner's: Bawaslu no longer ends it alone.
    let refused = app.act("bawaslu-kotabaru", Step::Cancel, &case).await;
    assert_refused(refused, Code::PermissionDenied, "NOT_THE_EXAMINER");
    let case = app.act("kasn", Step::Cancel, &case).await.unwrap();
    assert_eq!(case.state(), CaseState::Cancelled);
    let outcome = case.outcome.clone().unwrap();
    assert_eq!(outcome.cancel_reason(), pb::CancelReason::Withdrawn);
    assert_eq!(
        deadline(&case, DeadlineStep::ExaminerAction).status(),
        DeadlineStatus::Moot,
        "the examiner's deadline no longer runs"
    );
    assert_closed(&app, &case).await;
}

#[tokio::test]
async fn a_case_ends_when_the_civil_servant_retires_before_the_decree() {
    let app = spawn_app().await;
    let case = walk_to(&app, CaseState::SanctionRecommended).await;
    app.clock.set(wib("2024-03-11T10:00:00"));
    // The PPK, whose duty a separation ends, does not end the case alone: the registry
    // reports what its records show.
    let refused = app
        .act("pemkab-kotabaru", Step::ReportSubjectSeparated, &case)
        .await;
    assert_refused(refused, Code::PermissionDenied, "ROLE_NOT_HELD");
    let case = app
        .act("bkn", Step::ReportSubjectSeparated, &case)
        .await
        .unwrap();
    assert_eq!(case.state(), CaseState::SubjectSeparated);
    let outcome = case.outcome.clone().unwrap();
    assert_eq!(outcome.separation_reason(), pb::SeparationReason::Retired);
    assert_eq!(outcome.separation_date, Some(date(2024, 3, 1)));
    assert!(case.imposed_sanctions.is_empty());
    assert_eq!(
        deadline(&case, DeadlineStep::PpkAction).status(),
        DeadlineStatus::Moot
    );
    assert_closed(&app, &case).await;

    // Nor can the PPK still decree a sanction on it.
    let refused = app
        .act("pemkab-kotabaru", Step::RecordSanctionDecree, &case)
        .await;
    assert_refused(refused, Code::FailedPrecondition, "CASE_CLOSED");
}

#[tokio::test]
async fn a_step_out_of_order_is_an_invalid_transition() {
    let app = spawn_app().await;
    let case = walk_to(&app, CaseState::Forwarded).await;
    // The examiner must accept before it can recommend.
    let refused = app.act("kasn", Step::RecommendSanction, &case).await;
    assert_refused(refused, Code::FailedPrecondition, "INVALID_TRANSITION");
    assert_eq!(app.read(&case.name).await.etag, case.etag);
}
