//! The examiner role passed from KASN to BKN on 24 August 2024 (UU 20/2023). A case goes to
//! whoever held the role on the day it was forwarded, that day taken in Jakarta (WIB), from
//! the one clock read of the forwarding request; and the examiner of an open case follows the
//! dated grant: what KASN left unfinished, BKN takes over, audited.

use chrono::TimeDelta;
use netral_domain::Action;
use netral_proto::v1::{CaseState, DeadlineStep};
use netral_tests::fixtures::{self, Step, date, wib};
use netral_tests::{assert_refused, spawn_app};
use tonic::Code;

fn examiner_deadline(case: &netral_proto::v1::Case) -> Option<String> {
    case.deadlines
        .iter()
        .find(|d| d.step() == DeadlineStep::ExaminerAction)
        .map(|d| d.agency.clone())
}

#[tokio::test]
async fn a_case_forwarded_on_23_august_goes_to_kasn_and_one_forwarded_on_24_august_to_bkn() {
    let app = spawn_app().await;
    app.clock.set(wib("2024-08-20T10:00:00"));
    let late_kasn = app
        .register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
        .await
        .unwrap();
    let first_bkn = app
        .register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
        .await
        .unwrap();

    // One second before midnight in Jakarta on the 23rd: still KASN.
    app.clock.set(wib("2024-08-23T23:59:59"));
    let late_kasn = app
        .act("bawaslu-kotabaru", Step::Forward, &late_kasn)
        .await
        .unwrap();
    assert_eq!(late_kasn.examiner, "agencies/kasn");
    assert_eq!(late_kasn.forward_date, Some(date(2024, 8, 23)));

    // Midnight in Jakarta: the 24th there, although still the 23rd in UTC. BKN.
    let midnight = wib("2024-08-24T00:00:00");
    assert_eq!(midnight.to_rfc3339(), "2024-08-23T17:00:00+00:00");
    app.clock.set(midnight);
    let first_bkn = app
        .act("bawaslu-kotabaru", Step::Forward, &first_bkn)
        .await
        .unwrap();
    assert_eq!(first_bkn.examiner, "agencies/bkn");
    assert_eq!(first_bkn.forward_date, Some(date(2024, 8, 24)));

    assert_eq!(
        examiner_deadline(&late_kasn).as_deref(),
        Some("agencies/kasn")
    );
    assert_eq!(
        examiner_deadline(&first_bkn).as_deref(),
        Some("agencies/bkn")
    );

    // Monday 26 August: KASN's grant has ended, and it may not take BKN's case either.
    app.clock.set(wib("2024-08-26T09:00:00"));
    let refused = app.act("kasn", Step::Accept, &late_kasn).await;
    assert_refused(refused, Code::PermissionDenied, "ROLE_NOT_HELD");
    let refused = app.act("kasn", Step::Accept, &first_bkn).await;
    assert_refused(refused, Code::PermissionDenied, "CASE_NOT_ACCESSIBLE");
    assert_eq!(app.read(&late_kasn.name).await.etag, late_kasn.etag);
    assert_eq!(app.read(&first_bkn.name).await.etag, first_bkn.etag);
    let first_bkn = app.act("bkn", Step::Accept, &first_bkn).await.unwrap();
    assert_eq!(first_bkn.state(), CaseState::UnderExamination);
}

#[tokio::test]
async fn bkn_takes_over_a_case_kasn_left_unfinished() {
    let app = spawn_app().await;
    app.clock.set(wib("2024-08-20T10:00:00"));
    let case = app
        .register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
        .await
        .unwrap();
    app.clock.set(wib("2024-08-23T15:00:00"));
    let case = app
        .act("bawaslu-kotabaru", Step::Forward, &case)
        .await
        .unwrap();
    assert_eq!(case.examiner, "agencies/kasn");

    // Monday 26 August: BKN, the examiner of the day, accepts the case KASN never did.
    app.clock.set(wib("2024-08-26T09:00:00"));
    let case = app.act("bkn", Step::Accept, &case).await.unwrap();
    assert_eq!(case.state(), CaseState::UnderExamination);
    assert_eq!(case.examiner, "agencies/bkn");
    assert_eq!(case.forward_date, Some(date(2024, 8, 23)));
    assert_eq!(examiner_deadline(&case).as_deref(), Some("agencies/bkn"));
    let read = app.read(&case.name).await;
    assert_eq!(read.examiner, "agencies/bkn");
    assert_eq!(examiner_deadline(&read).as_deref(), Some("agencies/bkn"));

    // The hand-over is in the step's event, not silent.
    let history = app.history(&case).await;
    let accept = history
        .iter()
        .find(|event| event.action == Action::Accept)
        .expect("the acceptance is recorded");
    assert_eq!(accept.actor.as_str(), "bkn");
    assert_eq!(accept.payload["examiner_handed_over_from"], "kasn");

    // KASN is no longer the examiner (nor may it see the case); BKN recommends.
    let refused = app.act("kasn", Step::RecommendSanction, &case).await;
    assert_refused(refused, Code::PermissionDenied, "CASE_NOT_ACCESSIBLE");
    let case = app
        .act("bkn", Step::RecommendSanction, &case)
        .await
        .unwrap();
    assert_eq!(case.state(), CaseState::SanctionRecommended);
    let history = app.history(&case).await;
    let recommended = history.last().expect("the recommendation is recorded");
    assert_eq!(recommended.action, Action::RecommendSanction);
    assert!(
        recommended
            .payload
            .get("examiner_handed_over_from")
            .is_none()
    );
}

#[tokio::test]
async fn one_clock_read_picks_the_examiner_and_the_forwarding_date() {
    let app = spawn_app().await;
    app.clock.set(wib("2024-08-20T10:00:00"));
    let register = || app.register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like());
    let (first, second) = (register().await.unwrap(), register().await.unwrap());

    // The last millisecond of 23 August in Jakarta: KASN, dated the 23rd.
    app.clock
        .set(wib("2024-08-23T23:59:59") + TimeDelta::milliseconds(999));
    let first = app
        .act("bawaslu-kotabaru", Step::Forward, &first)
        .await
        .unwrap();
    assert_eq!(
        (first.examiner.as_str(), first.forward_date),
        ("agencies/kasn", Some(date(2024, 8, 23)))
    );
    assert_eq!(examiner_deadline(&first).as_deref(), Some("agencies/kasn"));

    // The next second: BKN, dated the 24th.
    app.clock
        .set(wib("2024-08-24T00:00:00") + TimeDelta::milliseconds(999));
    let second = app
        .act("bawaslu-kotabaru", Step::Forward, &second)
        .await
        .unwrap();
    assert_eq!(
        (second.examiner.as_str(), second.forward_date),
        ("agencies/bkn", Some(date(2024, 8, 24)))
    );
    assert_eq!(examiner_deadline(&second).as_deref(), Some("agencies/bkn"));
}
