//! Deadlines computed from the configured rules and the working-day calendar, and the
//! escalation path when a PPK lets its deadline pass (DOMAIN.md, "Non-compliance").

use netral_proto::v1 as pb;
use netral_tests::fixtures::{self, Step, date, walk_to, wib};
use netral_tests::{assert_refused, spawn_app};
use pb::{CaseState, DeadlineStatus, DeadlineStep, EscalationKind};
use tonic::Code;

fn deadline(case: &pb::Case, step: DeadlineStep) -> pb::Deadline {
    case.deadlines
        .iter()
        .find(|d| d.step() == step)
        .cloned()
        .unwrap_or_else(|| panic!("no {step:?} deadline: {:?}", case.deadlines))
}

fn escalations(case: &pb::Case) -> Vec<(EscalationKind, &str, &str)> {
    case.escalations
        .iter()
        .map(|e| (e.kind(), e.agency.as_str(), e.reference.as_str()))
        .collect()
}

#[tokio::test]
async fn an_extended_review_runs_fourteen_working_days_around_nyepi() {
    let app = spawn_app().await;
    // Friday 1 March 2024. Fourteen working days skip the weekends, Nyepi (11 March) and its
    // collective leave (12 March): Monday 25 March.
    let case = walk_to(&app, CaseState::Registered).await;
    let case = app
        .act("bawaslu-kotabaru", Step::ExtendReview, &case)
        .await
        .unwrap();
    assert_eq!(case.state(), CaseState::Registered);
    let review = deadline(&case, DeadlineStep::BawasluReview);
    assert_eq!(review.status(), DeadlineStatus::Moot);
    let extended = deadline(&case, DeadlineStep::BawasluReviewExtended);
    assert_eq!(
        (extended.start_date, extended.due_date, extended.status()),
        (
            Some(date(2024, 3, 1)),
            Some(date(2024, 3, 25)),
            DeadlineStatus::Open
        )
    );
    assert_eq!(extended.agency, "agencies/bawaslu-kotabaru");

    let refused = app.act("bawaslu-kotabaru", Step::ExtendReview, &case).await;
    assert_refused(refused, Code::FailedPrecondition, "REVIEW_ALREADY_EXTENDED");

    // Forwarding late (26 March) closes the extended review as missed.
    app.clock.set(wib("2024-03-26T09:00:00"));
    let case = app
        .act("bawaslu-kotabaru", Step::Forward, &case)
        .await
        .unwrap();
    let extended = deadline(&case, DeadlineStep::BawasluReviewExtended);
    assert_eq!(extended.status(), DeadlineStatus::Missed);
}

#[tokio::test]
async fn a_ppk_ignoring_the_recommendation_is_blocked_and_warned_until_bkn_records_the_decree() {
    let app = spawn_app().await;
    let case = walk_to(&app, CaseState::UnderExamination).await;
    app.clock.set(wib("2024-03-13T15:00:00"));
    let case = app
        .act("kasn", Step::RecommendSanction, &case)
        .await
        .unwrap();
    let ppk_due = deadline(&case, DeadlineStep::PpkAction);
    assert_eq!(ppk_due.due_date, Some(date(2024, 3, 23)));

    // Monday 25 March, the PPK has not acted: BKN blocks, Kemendagri warns the regent.
    app.clock.set(wib("2024-03-25T09:00:00"));
    let case = app
        .act("bkn", Step::BlockPersonnelData, &case)
        .await
        .unwrap();
    assert!(case.personnel_data_blocked);
    let refused = app.act("bkn", Step::BlockPersonnelData, &case).await;
    assert_refused(refused, Code::FailedPrecondition, "ALREADY_BLOCKED");
    let case = app
        .act("kemendagri", Step::SendWarningLetter, &case)
        .await
        .unwrap();
    assert_eq!(
        case.state(),
        CaseState::SanctionRecommended,
        "escalations are not states"
    );
    let warning = deadline(&case, DeadlineStep::RegionalHeadAfterWarning);
    assert_eq!(
        (
            warning.agency.as_str(),
            warning.start_date,
            warning.due_date,
            warning.status()
        ),
        (
            "agencies/pemkab-kotabaru",
            Some(date(2024, 3, 25)),
            Some(date(2024, 3, 28)),
            DeadlineStatus::Open
        )
    );
    let letter = fixtures::send_warning_letter(&case).letter_number;
    assert_eq!(
        escalations(&app.read(&case.name).await),
        [
            (EscalationKind::PersonnelDataBlocked, "agencies/bkn", ""),
            (
                EscalationKind::WarningLetter,
                "agencies/kemendagri",
                letter.as_str()
            ),
        ]
    );

    // 27 March: the decree, late for the PPK deadline, in time after the warning.
    app.clock.set(wib("2024-03-27T10:00:00"));
    let case = app
        .act("pemkab-kotabaru", Step::RecordSanctionDecree, &case)
        .await
        .unwrap();
    assert_eq!(case.state(), CaseState::Sanctioned);
    assert_eq!(
        deadline(&case, DeadlineStep::PpkAction).status(),
        DeadlineStatus::Missed
    );
    assert_eq!(
        deadline(&case, DeadlineStep::RegionalHeadAfterWarning).status(),
        DeadlineStatus::Met
    );
    assert!(
        case.personnel_data_blocked,
        "the block stays until BKN records the sanction"
    );

    // 28 March: BKN records the sanction; recording lifts the block.
    app.clock.set(wib("2024-03-28T10:00:00"));
    let case = app.act("bkn", Step::RecordInRegistry, &case).await.unwrap();
    assert_eq!(case.state(), CaseState::Recorded);
    assert!(!case.personnel_data_blocked);
    assert_eq!(
        case.escalation_count, 3,
        "the reply counts what it leaves out"
    );
    let full = app.read(&case.name).await;
    let kinds: Vec<EscalationKind> = full.escalations.iter().map(|e| e.kind()).collect();
    assert_eq!(
        kinds,
        [
            EscalationKind::PersonnelDataBlocked,
            EscalationKind::WarningLetter,
            EscalationKind::PersonnelDataUnblocked
        ]
    );
}

#[tokio::test]
async fn bkn_lifts_a_block_only_when_one_is_in_place() {
    let app = spawn_app().await;
    let case = walk_to(&app, CaseState::SanctionRecommended).await;
    let refused = app.act("bkn", Step::UnblockPersonnelData, &case).await;
    assert_refused(refused, Code::FailedPrecondition, "NOT_BLOCKED");
    // A block answers a PPK past its deadline (ten days from 1 March 2024).
    app.clock.set(wib("2024-03-12T08:00:00"));
    let case = app
        .act("bkn", Step::BlockPersonnelData, &case)
        .await
        .unwrap();
    let case = app
        .act("bkn", Step::UnblockPersonnelData, &case)
        .await
        .unwrap();
    assert!(!case.personnel_data_blocked);
    assert_eq!(
        escalations(&app.read(&case.name).await),
        [
            (EscalationKind::PersonnelDataBlocked, "agencies/bkn", ""),
            (EscalationKind::PersonnelDataUnblocked, "agencies/bkn", ""),
        ]
    );
}
