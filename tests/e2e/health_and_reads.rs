//! The server reports itself healthy, and reading a case is allowed to its parties,
//! national agencies and auditors only.

use netral_proto::v1::CaseState;
use netral_tests::fixtures::{Step, walk_to};
use netral_tests::{PATIENCE, assert_refused, eventually, field_violations, spawn_app};
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;

#[tokio::test]
async fn health_reports_the_case_service_serving() {
    let app = spawn_app().await;
    let health = app.health_client().await;
    eventually(PATIENCE, || {
        let mut health = health.clone();
        async move {
            let request = HealthCheckRequest {
                service: "netral.v1.CaseService".into(),
            };
            health
                .check(request)
                .await
                .is_ok_and(|reply| reply.into_inner().status() == ServingStatus::Serving)
        }
    })
    .await;
}

#[tokio::test]
async fn parties_the_bawaslu_above_the_registry_and_auditors_read_a_forwarded_case() {
    let app = spawn_app().await;
    let case = walk_to(&app, CaseState::Forwarded).await;
    for reader in [
        "bawaslu-kotabaru",
        "bawaslu-kalsel",
        "bawaslu-ri",
        "kasn",
        // The registry reports separations from forwarding on.
        "bkn",
        "pemkab-kotabaru",
        "bpk",
    ] {
        let read = app.get(reader, &case.name).await;
        assert_eq!(
            read.as_ref().ok(),
            Some(&case),
            "{reader} should read the case: {read:?}"
        );
    }
    // No sanction recommended yet: nothing for the overseer; the policy owner reads
    // statistics only.
    for outsider in ["kemendagri", "kemenpan-rb"] {
        let refused = app.get(outsider, &case.name).await;
        assert_refused(refused, Code::PermissionDenied, "CASE_NOT_ACCESSIBLE");
    }
}

#[tokio::test]
async fn a_non_party_cannot_read_a_case() {
    let app = spawn_app().await;
    let case = walk_to(&app, CaseState::Forwarded).await;
    let refused = app.get("pemkab-hulu-sungai-selatan", &case.name).await;
    assert_refused(refused, Code::PermissionDenied, "CASE_NOT_ACCESSIBLE");
    for outsider in [
        "bawaslu-hulu-sungai-selatan",
        "pemkab-batang-hari",
        "bawaslu-batang-hari",
    ] {
        let refused = app.get(outsider, &case.name).await;
        let status = refused.expect_err("an outsider must not read the case");
        assert_eq!(
            status.code(),
            Code::PermissionDenied,
            "{outsider}: {status:?}"
        );
    }
}

#[tokio::test]
async fn an_unknown_case_is_not_found() {
    let app = spawn_app().await;
    let unknown = format!("cases/{}", uuid::Uuid::now_v7());
    let refused = app.get("bpk", &unknown).await;
    assert_eq!(refused.unwrap_err().code(), Code::NotFound);

    let refused = app.get("bpk", "kasus/123").await;
    let status = refused.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&status), ["name"]);
}

#[tokio::test]
async fn a_step_on_an_unknown_case_is_not_found_by_an_agency_that_sees_every_case() {
    let app = spawn_app().await;
    let real = walk_to(&app, CaseState::Registered).await;
    let mut ghost = real.clone();
    ghost.name = format!("cases/{}", uuid::Uuid::now_v7());
    let refused = app.act("bawaslu-ri", Step::Forward, &ghost).await;
    assert_eq!(refused.unwrap_err().code(), Code::NotFound);
    // A regional office is told what it is told of a case it may not see.
    let refused = app.act("bawaslu-kotabaru", Step::Forward, &ghost).await;
    assert_refused(refused, Code::PermissionDenied, "CASE_NOT_ACCESSIBLE");
    assert_eq!(app.row_counts().await.case_events, 1);
}
