//! A PPK's decree stays within the level the examiner recommended (`decree-levels.csv`), and
//! a dishonourable dismissal (PTDH) can be decreed.

use netral_proto::v1 as pb;
use netral_tests::fixtures::{self, walk_to};
use netral_tests::{assert_refused, spawn_app};
use tonic::Code;

#[tokio::test]
async fn a_light_decree_for_a_severe_recommendation_is_refused_on_the_wire() {
    let app = spawn_app().await;
    let case = walk_to(&app, pb::CaseState::SanctionRecommended).await;
    assert_eq!(
        case.recommendation.as_ref().map(|r| r.level()),
        Some(pb::SanctionLevel::Severe)
    );
    let before = app.row_counts().await;
    let mut request = fixtures::record_sanction_decree(&case);
    request.sanctions[0].code = "LIGHT_WRITTEN_REPRIMAND".into();
    let refused = app
        .client("pemkab-kotabaru")
        .await
        .record_sanction_decree(request)
        .await;
    assert_refused(
        refused,
        Code::FailedPrecondition,
        "SANCTION_OUTSIDE_RECOMMENDED_LEVEL",
    );
    assert_eq!(
        app.read(&case.name).await.etag,
        case.etag,
        "nothing written"
    );
    let after = app.row_counts().await;
    assert_eq!(
        after,
        netral_store::TableCounts {
            audit_events: before.audit_events + 1, // the refusal itself is audited
            ..before
        }
    );
}

#[tokio::test]
async fn the_directory_lists_ptdh_as_a_decreeable_sanction() {
    let app = spawn_app().await;
    let mut dir = netral_proto::v1::directory_service_client::DirectoryServiceClient::new(
        app.channel_for("pemkab-kotabaru").await,
    );
    let ptdh = dir
        .list_sanctions(pb::ListSanctionsRequest {
            filter: "level = SANCTION_LEVEL_DISHONOURABLE_DISMISSAL".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let codes: Vec<_> = ptdh.sanctions.iter().map(|s| s.code.as_str()).collect();
    assert_eq!(codes, ["DISHONOURABLE_DISMISSAL"]);
}
