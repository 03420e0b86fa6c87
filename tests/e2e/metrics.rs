//! The operator's metrics, received by a real OTLP collector: an agency that stopped reading
//! its inbox shows as a growing backlog and age, and falls back to zero once it catches up;
//! an altered audit log raises the self-check findings counter.

use chrono::TimeDelta;
use netral_proto::v1 as pb;
use netral_tests::fixtures::{self, walk_to};
use netral_tests::otlp::OtlpReceiver;
use netral_tests::{PATIENCE, TestApp, alter_audit_leaf, eventually, spawn_app_with};

async fn exporting_app(receiver: &OtlpReceiver) -> TestApp {
    let endpoint = receiver.endpoint();
    spawn_app_with(move |s| {
        s.telemetry.otlp_endpoint = Some(endpoint);
        s.telemetry.export_interval_ms = 100;
        s.telemetry.backlog_interval_ms = 100;
        s.telemetry.instance_id = Some("replica-a".into());
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agency_that_stopped_reading_shows_in_the_inbox_metrics() {
    let receiver = OtlpReceiver::start().await;
    let app = exporting_app(&receiver).await;
    let kasn = [("netral.agency", "kasn")];
    walk_to(&app, pb::CaseState::Forwarded).await;
    walk_to(&app, pb::CaseState::Forwarded).await;
    app.clock.set(app.clock.now() + TimeDelta::hours(3));
    eventually(PATIENCE, || async {
        receiver.latest("netral.inbox.unacknowledged", &kasn) == Some(2.0)
    })
    .await;
    eventually(PATIENCE, || async {
        receiver
            .latest("netral.inbox.oldest_unacknowledged_age", &kasn)
            .is_some_and(|age| age >= 3.0 * 3600.0)
    })
    .await;
    assert_eq!(
        receiver.resource_attribute("service.name").as_deref(),
        Some("netral-server")
    );
    assert_eq!(
        receiver
            .resource_attribute("service.instance.id")
            .as_deref(),
        Some("replica-a")
    );

    let last = app.inbox("kasn").await.last().unwrap().cursor.clone();
    app.inbox_client("kasn")
        .await
        .ack_inbox(pb::AckInboxRequest {
            request_id: fixtures::request_id(),
            cursor: last,
            ..Default::default()
        })
        .await
        .unwrap();
    eventually(PATIENCE, || async {
        receiver.latest("netral.inbox.unacknowledged", &kasn) == Some(0.0)
            && receiver.latest("netral.inbox.oldest_unacknowledged_age", &kasn) == Some(0.0)
    })
    .await;

    let _stream = app
        .inbox_client("bkn")
        .await
        .watch_inbox(pb::WatchInboxRequest::default())
        .await
        .unwrap();
    eventually(PATIENCE, || async {
        receiver.latest("netral.inbox.streams", &[]) == Some(1.0)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_altered_audit_log_raises_the_self_check_findings_metric() {
    let receiver = OtlpReceiver::start().await;
    let app = exporting_app(&receiver).await;
    walk_to(&app, pb::CaseState::Forwarded).await;
    app.audit_keeper().checkpoint_now().await.unwrap();
    assert!(app.audit_keeper().self_check().await.unwrap().is_empty());
    let clean = [("netral.outcome", "clean")];
    eventually(PATIENCE, || async {
        receiver.latest("netral.audit.self_checks", &clean) == Some(1.0)
    })
    .await;
    assert_eq!(
        receiver.latest("netral.audit.self_check.findings", &[]),
        Some(0.0)
    );

    alter_audit_leaf(&app, 1).await;
    let findings = app.audit_keeper().self_check().await.unwrap();
    assert!(!findings.is_empty());
    let altered = [("netral.outcome", "altered")];
    eventually(PATIENCE, || async {
        receiver.latest("netral.audit.self_checks", &altered) == Some(1.0)
            && receiver.latest("netral.audit.self_check.findings", &[])
                == Some(findings.len() as f64)
    })
    .await;
}
