//! Revocation without a restart, on two replicas of one database (issue 12): one leaked
//! certificate revoked by the operator command is refused by both replicas within seconds
//! while the agency's other certificate keeps working; an agency revoked by editing the
//! directory file, or by the operator command, likewise; an inbox stream opened before the
//! revocation ends. Health still answers a revoked certificate (load balancers), reflection
//! does not; every refused call leaves its audit event and nothing else.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use netral_proto::v1 as pb;
use netral_proto::v1::directory_service_client::DirectoryServiceClient;
use netral_proto::v1::inbox_service_client::InboxServiceClient;
use netral_server::admin::revoke::{self, RevokeOrder, RevokeOutcome};
use netral_server::directory::{DEV_SEED, Directory};
use netral_server::pki::DevPki;
use netral_server::tls::client_tls_config;
use netral_store::{Revoked, Store};
use netral_tests::helpers::connect_to;
use netral_tests::{PATIENCE, TestApp, eventually, reason, spawn_app, spawn_app_with};
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// How quickly a revocation must apply on every replica.
const WITHIN: Duration = Duration::from_secs(5);

/// A client certificate and its key, PEM.
struct Identity {
    cert: Vec<u8>,
    key: Vec<u8>,
}

/// The dev certificate of `agency`, and a second one issued to it by the same dev CA (as
/// an agency holds one per system, or during a key rollover).
fn two_certificates(app: &TestApp, agency: &str) -> (Identity, Identity) {
    let (cert, key) = app.agency_identity(agency);
    let first = Identity { cert, key };
    let pki = DevPki::open(&app.pki_dir).unwrap();
    pki.issue_agency(&agency.parse().unwrap()).unwrap();
    let (cert, key) = app.agency_identity(agency);
    assert_ne!(cert, first.cert, "a second certificate");
    (first, Identity { cert, key })
}

async fn channel(app: &TestApp, addr: SocketAddr, who: &Identity) -> Channel {
    let tls = client_tls_config(app.ca_pem(), who.cert.clone(), who.key.clone());
    connect_to(addr, tls).await.unwrap()
}

/// One call through the identity layer that writes nothing (`GetAgency`).
async fn call(channel: &Channel) -> Result<(), tonic::Status> {
    DirectoryServiceClient::new(channel.clone())
        .get_agency(pb::GetAgencyRequest {
            name: "agencies/bkn".into(),
        })
        .await
        .map(drop)
}

/// Whether the health service answers SERVING on `channel`.
async fn healthy(channel: &Channel) -> bool {
    let answer = HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await;
    answer.is_ok_and(|r| r.into_inner().status == ServingStatus::Serving as i32)
}

/// Asks reflection for the services on `channel`.
async fn reflect(channel: &Channel) -> Result<(), tonic::Status> {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    let request = ServerReflectionRequest {
        message_request: Some(MessageRequest::ListServices(String::new())),
        ..Default::default()
    };
    let mut stream = ServerReflectionClient::new(channel.clone())
        .server_reflection_info(tokio_stream::once(request))
        .await?
        .into_inner();
    stream.message().await.map(drop)
}

/// Polls both channels until both refuse with `expected`, counting every refusal in
/// `refused`; answers how long it took.
async fn until_both_refuse(
    channels: [&Channel; 2],
    expected: &'static str,
    refused: &AtomicUsize,
) -> Duration {
    let start = Instant::now();
    eventually(WITHIN, || async {
        let mut both = true;
        for channel in channels {
            match call(channel).await {
                Ok(()) => both = false,
                Err(status) => {
                    assert_eq!(reason(&status), expected, "{status:?}");
                    refused.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
        both
    })
    .await;
    start.elapsed()
}

/// Every audit event, oldest first, once sequenced.
async fn audit_events(app: &TestApp) -> Vec<pb::AuditEvent> {
    app.audit_keeper().catch_up().await.unwrap();
    app.audit_client("bpk")
        .await
        .list_audit_events(pb::ListAuditEventsRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events
}

/// The operator command's code path: the configured directory and database.
async fn operator_revokes(app: &TestApp, order: &RevokeOrder) -> RevokeOutcome {
    let settings = app.settings();
    let directory = Directory::from_settings(&settings.directory).unwrap();
    let store = Store::connect(&settings.database_url(), 2).await.unwrap();
    let outcome = revoke::revoke(&store, &directory, chrono::Utc::now(), order).await;
    store.close().await.unwrap();
    outcome.unwrap()
}

#[tokio::test]
async fn a_revoked_certificate_is_refused_by_both_replicas_within_seconds_and_the_agencys_other_one_works()
 {
    let app = spawn_app().await;
    let replica = app.spawn_replica().await;
    let (leaked, current) = two_certificates(&app, "bawaslu-kotabaru");
    let leaked_on = [
        channel(&app, app.addr, &leaked).await,
        channel(&app, replica.addr, &leaked).await,
    ];
    let current_on = [
        channel(&app, app.addr, &current).await,
        channel(&app, replica.addr, &current).await,
    ];
    for channel in leaked_on.iter().chain(&current_on) {
        call(channel).await.unwrap();
        reflect(channel).await.unwrap();
    }

    // An inbox stream opened with the leaked certificate before its revocation.
    let mut watching = InboxServiceClient::new(leaked_on[0].clone())
        .watch_inbox(pb::WatchInboxRequest::default())
        .await
        .unwrap()
        .into_inner();

    let order = RevokeOrder::certificate_pem(&leaked.cert, "INC-2024-0042", "e2e").unwrap();
    let Revoked::Certificate {
        fingerprint,
        agency,
        ..
    } = &order.revoked
    else {
        panic!("a certificate order");
    };
    assert_eq!(
        agency.as_ref().map(|a| a.as_str()),
        Some("bawaslu-kotabaru")
    );
    let recorded = operator_revokes(&app, &order).await;
    assert!(
        matches!(recorded, RevokeOutcome::Recorded(_)),
        "{recorded:?}"
    );
    let refused = AtomicUsize::new(0);
    let took = until_both_refuse(
        [&leaked_on[0], &leaked_on[1]],
        "CERTIFICATE_REVOKED",
        &refused,
    )
    .await;
    eprintln!("a revoked certificate was refused by both replicas after {took:?}");

    for (channel, replica) in leaked_on.iter().zip(["first", "second"]) {
        let status = call(channel).await.unwrap_err();
        assert_eq!(
            status.code(),
            Code::Unauthenticated,
            "{replica}: {status:?}"
        );
        let status = reflect(channel).await.unwrap_err();
        assert_eq!(
            reason(&status),
            "CERTIFICATE_REVOKED",
            "{replica}: reflection"
        );
        refused.fetch_add(2, Ordering::SeqCst);
        assert!(
            healthy(channel).await,
            "{replica}: health answers any TLS client"
        );
    }
    for channel in &current_on {
        call(channel).await.unwrap();
    }
    // The open stream ends too, at its next look at the directory.
    let ended = tokio::time::timeout(PATIENCE, watching.message())
        .await
        .expect("the stream of a revoked certificate goes on");
    assert_eq!(reason(&ended.unwrap_err()), "CERTIFICATE_REVOKED");
    // Revoking it again changes nothing.
    let again = operator_revokes(&app, &order).await;
    assert!(
        matches!(again, RevokeOutcome::AlreadyRevoked(_)),
        "{again:?}"
    );

    // Then the whole agency, by the same command: its other certificate goes too.
    let agency_order = RevokeOrder::agency("bawaslu-kotabaru", "Keputusan 7/2024", "e2e").unwrap();
    operator_revokes(&app, &agency_order).await;
    let took =
        until_both_refuse([&current_on[0], &current_on[1]], "AGENCY_REVOKED", &refused).await;
    eprintln!("a revoked agency was refused by both replicas after {took:?}");

    // Every refusal is on record, from the certificate it came with; nothing else was written.
    let events = audit_events(&app).await;
    let refusals: Vec<_> = events
        .iter()
        .filter(|e| e.outcome == pb::AuditOutcome::Unauthenticated as i32)
        .collect();
    assert_eq!(refusals.len(), refused.load(Ordering::SeqCst));
    assert!(
        refusals
            .iter()
            .all(|e| e.actor == "agencies/bawaslu-kotabaru")
    );
    let leaked_refusals = refusals
        .iter()
        .filter(|e| e.certificate_fingerprint == fingerprint.to_string())
        .count();
    let by_reason = |r: &str| refusals.iter().filter(|e| e.reason == r).count();
    assert_eq!(leaked_refusals, by_reason("CERTIFICATE_REVOKED"));
    assert_eq!(
        by_reason("CERTIFICATE_REVOKED") + by_reason("AGENCY_REVOKED"),
        refusals.len()
    );
    let acts: Vec<&str> = events
        .iter()
        .filter(|e| e.outcome != pb::AuditOutcome::Unauthenticated as i32)
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        acts,
        ["SYNC_DIRECTORY", "REVOKE_CERTIFICATE", "REVOKE_AGENCY"]
    );
    let act = events
        .iter()
        .find(|e| e.action == "REVOKE_CERTIFICATE")
        .unwrap();
    assert_eq!(act.reason, "INC-2024-0042");
    assert_eq!(act.peer, "operator");
    assert!(act.payload_json.contains(&fingerprint.to_string()));
    assert!(act.payload_json.contains("\"recorded_by\":\"e2e\""));
    let counts = app.row_counts().await;
    assert_eq!(
        (counts.cases, counts.case_events, counts.idempotency_keys),
        (0, 0, 0)
    );
}

#[tokio::test]
async fn an_agency_revoked_in_the_directory_file_is_refused_by_both_replicas_within_seconds() {
    let config = tempfile::tempdir().unwrap();
    let file = config.path().join("directory.toml");
    std::fs::write(&file, DEV_SEED).unwrap();
    let path = file.clone();
    let app = spawn_app_with(move |s| s.directory.file = Some(path)).await;
    let replica = app.spawn_replica().await;
    let (cert, key) = app.agency_identity("bawaslu-kotabaru");
    let kotabaru = Identity { cert, key };
    let on = [
        channel(&app, app.addr, &kotabaru).await,
        channel(&app, replica.addr, &kotabaru).await,
    ];
    for channel in &on {
        call(channel).await.unwrap();
    }

    let edited = DEV_SEED.replacen(
        "id = \"bawaslu-kotabaru\"\n",
        "id = \"bawaslu-kotabaru\"\nrevoked_at = 2024-03-01T00:00:00Z\n",
        1,
    );
    assert_ne!(edited, DEV_SEED);
    std::fs::write(&file, edited).unwrap();
    let refused = AtomicUsize::new(0);
    let took = until_both_refuse([&on[0], &on[1]], "AGENCY_REVOKED", &refused).await;
    eprintln!(
        "an agency revoked in the directory file was refused by both replicas after {took:?}"
    );
    for channel in &on {
        let status = call(channel).await.unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied);
        assert_eq!(
            reason(&reflect(channel).await.unwrap_err()),
            "AGENCY_REVOKED"
        );
        refused.fetch_add(2, Ordering::SeqCst);
        assert!(healthy(channel).await);
    }
    // The directory service shows the revocation to the other agencies.
    let agency = DirectoryServiceClient::new(app.channel_for("bpk").await)
        .get_agency(pb::GetAgencyRequest {
            name: "agencies/bawaslu-kotabaru".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .agency
        .unwrap();
    assert!(agency.revoke_time.is_some());

    let events = audit_events(&app).await;
    let refusals: Vec<_> = events
        .iter()
        .filter(|e| e.reason == "AGENCY_REVOKED")
        .collect();
    assert_eq!(refusals.len(), refused.load(Ordering::SeqCst));
    let others: Vec<&str> = events
        .iter()
        .filter(|e| e.reason != "AGENCY_REVOKED")
        .map(|e| e.action.as_str())
        .collect();
    // The start's sync, and the reload's on each replica that stored it first (one or two).
    assert!(
        !others.is_empty() && others.iter().all(|a| *a == "SYNC_DIRECTORY") && others.len() <= 3,
        "{others:?}"
    );
    let counts = app.row_counts().await;
    assert_eq!(
        (counts.cases, counts.case_events, counts.idempotency_keys),
        (0, 0, 0)
    );
}

#[tokio::test]
async fn the_dev_header_names_the_caller_through_the_same_layer_in_insecure_loopback_mode() {
    let app = spawn_app_with(|s| s.tls.insecure_loopback_dev = true).await;
    let channel = Channel::from_shared(format!("http://{}", app.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = DirectoryServiceClient::new(channel.clone());
    let mut named = tonic::Request::new(pb::GetAgencyRequest {
        name: "agencies/bkn".into(),
    });
    named.metadata_mut().insert(
        netral_server::grpc::DEV_AGENCY_HEADER,
        "bawaslu-kotabaru".parse().unwrap(),
    );
    client.get_agency(named).await.unwrap();
    let anonymous = client
        .get_agency(pb::GetAgencyRequest {
            name: "agencies/bkn".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        (anonymous.code(), reason(&anonymous).as_str()),
        (Code::Unauthenticated, "NO_CLIENT_CERTIFICATE")
    );
    assert!(healthy(&channel).await, "health needs no agency");
}
