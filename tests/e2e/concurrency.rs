//! Two writers on one case: optimistic locking by etag. Exactly one of two racing calls
//! wins; the other is ABORTED and changes nothing.

use netral_proto::v1 as pb;
use netral_proto::v1::case_service_client::CaseServiceClient;
use netral_tests::fixtures::{self, Step, case_of, date, walk_to};
use netral_tests::{assert_refused, reason, spawn_app};
use pb::CaseState;
use tonic::Code;

#[tokio::test]
async fn two_ppk_decrees_racing_on_one_etag_exactly_one_wins() {
    let app = spawn_app().await;
    // Two connections, so the calls really travel side by side.
    let mut first_desk = app.client("pemkab-kotabaru").await;
    let channel = app
        .try_connect(app.tls_for("pemkab-kotabaru"))
        .await
        .unwrap();
    let mut second_desk = CaseServiceClient::new(channel);

    for round in 0..5 {
        let case = walk_to(&app, CaseState::SanctionRecommended).await;
        let severe = fixtures::record_sanction_decree(&case);
        // Another sanction of the recommended (severe) level: both decrees are valid.
        let mut release = fixtures::record_sanction_decree(&case);
        release.sanctions = vec![pb::ImposedSanction {
            code: "SEVERE_RELEASE_TO_EXECUTOR_12M".into(),
            decree_number: "800.1.6.4/118/BKPSDM/2024".into(),
            decree_date: Some(date(2024, 3, 19)),
        }];
        assert_ne!(severe.request_id, release.request_id);
        assert_eq!(severe.etag, release.etag);

        let (a, b) = tokio::join!(
            first_desk.record_sanction_decree(severe.clone()),
            second_desk.record_sanction_decree(release.clone())
        );
        let (winner, loser, won_with) = match (a, b) {
            (Ok(won), Err(lost)) => (case_of(won.into_inner().r#case), lost, severe.sanctions),
            (Err(lost), Ok(won)) => (case_of(won.into_inner().r#case), lost, release.sanctions),
            (a, b) => panic!("round {round}: expected exactly one winner, got {a:?} and {b:?}"),
        };
        assert_eq!(
            (loser.code(), reason(&loser).as_str()),
            (Code::Aborted, "ETAG_MISMATCH"),
            "round {round}: the loser is told to re-read: {loser:?}"
        );
        assert_eq!(winner.state(), CaseState::Sanctioned);
        assert_eq!(winner.imposed_sanctions, won_with);
        assert_eq!(
            app.read(&case.name).await,
            winner,
            "round {round}: the winner's decree stands"
        );
        let decrees = app
            .history(&case)
            .await
            .iter()
            .filter(|e| e.action.as_str() == "RECORD_SANCTION_DECREE")
            .count();
        assert_eq!(decrees, 1, "round {round}: one decree recorded");
    }
}

#[tokio::test]
async fn a_step_on_a_stale_etag_is_aborted() {
    let app = spawn_app().await;
    let stale = walk_to(&app, CaseState::Forwarded).await;
    // Meanwhile Bawaslu adds evidence: the case moves on.
    let current = app
        .act("bawaslu-kotabaru", Step::AttachEvidence, &stale)
        .await
        .unwrap();
    assert_ne!(current.etag, stale.etag);
    let events = app.history(&current).await.len();

    let refused = app.act("kasn", Step::Accept, &stale).await;
    assert_refused(refused, Code::Aborted, "ETAG_MISMATCH");
    assert_eq!(app.read_basic(&stale.name).await, current);
    assert_eq!(app.history(&current).await.len(), events);

    // Re-read, decide again, succeed.
    let accepted = app.act("kasn", Step::Accept, &current).await.unwrap();
    assert_eq!(accepted.state(), CaseState::UnderExamination);
}
