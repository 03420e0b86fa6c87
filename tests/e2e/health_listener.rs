//! The plaintext health listener (`health_listen`) that Kubernetes' gRPC probes use: it
//! answers readiness (`""`) and liveness (`liveness`) without TLS or a client certificate,
//! from the same statuses as the mTLS port, and serves nothing but health.

use netral_proto::v1 as pb;
use netral_proto::v1::case_service_client::CaseServiceClient;
use netral_server::health::LIVENESS_SERVICE;
use netral_tests::{PATIENCE, spawn_app_with};
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// The status `service` has on `channel`.
async fn status(channel: &Channel, service: &str) -> Result<ServingStatus, tonic::Status> {
    let reply = HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await?;
    Ok(reply.into_inner().status())
}

#[tokio::test]
async fn a_probe_without_tls_reads_readiness_and_liveness_and_nothing_else() {
    let app = spawn_app_with(|s| s.health_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let addr = app.health_addr.expect("health_listen is set");
    assert_ne!(addr, app.addr);
    let plaintext = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .timeout(PATIENCE)
        .connect()
        .await
        .expect("the health port takes plaintext connections");

    for service in ["", LIVENESS_SERVICE, "netral.v1.CaseService"] {
        assert_eq!(
            status(&plaintext, service).await.unwrap(),
            ServingStatus::Serving,
            "{service:?}"
        );
    }
    let unknown = status(&plaintext, "netral.v1.NoSuchService").await;
    assert_eq!(unknown.unwrap_err().code(), Code::NotFound);

    // Only health: the case service is not reachable without a certificate.
    let refused = CaseServiceClient::new(plaintext.clone())
        .get_case(pb::GetCaseRequest {
            name: "cases/00000000-0000-0000-0000-000000000000".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unimplemented, "{refused:?}");

    // The mTLS port reports the same statuses, liveness included.
    let mtls = app.channel_for("bpk").await;
    assert_eq!(
        status(&mtls, LIVENESS_SERVICE).await.unwrap(),
        ServingStatus::Serving
    );
}

#[tokio::test]
async fn without_health_listen_there_is_no_plaintext_port() {
    let app = spawn_app_with(|_| {}).await;
    assert_eq!(app.health_addr, None);
}
