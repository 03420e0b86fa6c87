//! Agencies are known by their client certificates. A caller without one, or with one from
//! another CA, never gets past the TLS handshake; a revoked agency is told so. None of them
//! writes anything but, for the revoked agency that reached netral, the audit event of each
//! refusal.

use netral_proto::v1 as pb;
use netral_proto::v1::case_service_client::CaseServiceClient;
use netral_server::pki::DevPki;
use netral_server::tls::{DEV_SERVER_NAME, client_tls_config};
use netral_tests::fixtures::{self, case_of};
use netral_tests::{TestApp, error_domain, reason, spawn_app, spawn_app_with};
use tonic::transport::{Certificate, ClientTlsConfig};
use tonic::{Code, Status};

/// The development directory the server uses by default.
const DEV_DIRECTORY: &str = include_str!("../../services/netral-server/dev/directory.dev.toml");

/// One more Bawaslu office for Kotabaru whose access was revoked (an old certificate).
const REVOKED_OFFICE: &str = r#"
[[agencies]]
id = "bawaslu-kotabaru-lama"
display_name = "Bawaslu Kabupaten Kotabaru (sertifikat lama)"
region = "63.02"
revoked_at = 2024-01-01T00:00:00Z
[[agencies.grants]]
role = "BAWASLU"
from = 2018-01-01
"#;

/// What happened to a registration attempt: refused before the call reached netral (at the
/// connection or TLS level), or answered by netral.
#[derive(Debug)]
enum Attempt {
    /// The channel could not be established.
    NoConnection(String),
    /// The call failed below the application: no netral error details.
    TransportFailure(Status),
    /// netral answered.
    Answered(Box<Result<pb::Case, Status>>),
}

impl Attempt {
    /// Why the attempt never reached netral, or `None` if netral answered it.
    fn refused_before_netral(&self) -> Option<String> {
        match self {
            Self::NoConnection(why) => Some(format!("no connection: {why}")),
            Self::TransportFailure(status) => Some(format!("transport failure: {status:?}")),
            Self::Answered(_) => None,
        }
    }
}

async fn try_to_register(app: &TestApp, tls: ClientTlsConfig) -> Attempt {
    let channel = match app.try_connect(tls).await {
        Ok(channel) => channel,
        Err(err) => return Attempt::NoConnection(format!("{err:?}")),
    };
    let mut client = CaseServiceClient::new(channel);
    match client
        .register_case(fixtures::kotabaru_social_media_like())
        .await
    {
        Ok(reply) => Attempt::Answered(Box::new(Ok(case_of(reply.into_inner().r#case)))),
        Err(status) if error_domain(&status).is_empty() => Attempt::TransportFailure(status),
        Err(status) => Attempt::Answered(Box::new(Err(status))),
    }
}

#[tokio::test]
async fn a_client_without_a_certificate_fails_the_handshake() {
    let app = spawn_app().await;
    let anonymous = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(app.ca_pem()))
        .domain_name(DEV_SERVER_NAME);
    let attempt = try_to_register(&app, anonymous).await;
    let why = attempt
        .refused_before_netral()
        .unwrap_or_else(|| panic!("a client without a certificate reached netral: {attempt:?}"));
    eprintln!("refused as expected, {why}");
    assert_eq!(app.row_counts().await.cases, 0);
    assert_eq!(app.row_counts().await.idempotency_keys, 0);
}

#[tokio::test]
async fn a_client_with_a_certificate_from_another_ca_fails_the_handshake() {
    let app = spawn_app().await;
    let elsewhere = tempfile::tempdir().unwrap();
    let kotabaru = "bawaslu-kotabaru".parse().unwrap();
    let foreign = DevPki::ensure(elsewhere.path(), std::slice::from_ref(&kotabaru)).unwrap();
    let (cert, key) = foreign.agency_cert_paths(&kotabaru);
    // Same agency name, same server trust: only the issuing CA differs.
    let impostor = client_tls_config(
        app.ca_pem(),
        std::fs::read(cert).unwrap(),
        std::fs::read(key).unwrap(),
    );
    let attempt = try_to_register(&app, impostor).await;
    let why = attempt
        .refused_before_netral()
        .unwrap_or_else(|| panic!("a certificate from another CA reached netral: {attempt:?}"));
    eprintln!("refused as expected, {why}");
    let counts = app.row_counts().await;
    assert_eq!(
        (
            counts.cases,
            counts.subjects,
            counts.case_events,
            counts.idempotency_keys
        ),
        (0, 0, 0, 0)
    );

    // The genuine office, on the same server, gets through.
    app.register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_revoked_agency_is_refused_with_agency_revoked() {
    let config = tempfile::tempdir().unwrap();
    let directory = config.path().join("directory.toml");
    std::fs::write(&directory, format!("{DEV_DIRECTORY}\n{REVOKED_OFFICE}")).unwrap();
    let app = spawn_app_with(|settings| settings.directory.file = Some(directory.clone())).await;
    assert!(
        app.pki_dir
            .join("agencies/bawaslu-kotabaru-lama.pem")
            .is_file(),
        "the dev PKI issues a certificate to every directory agency, revoked or not"
    );

    let attempt = try_to_register(&app, app.tls_for("bawaslu-kotabaru-lama")).await;
    let status = match attempt {
        Attempt::Answered(answer) => answer.expect_err("a revoked agency must be refused"),
        other => panic!("a revoked agency must get netral's refusal, got {other:?}"),
    };
    assert_eq!(reason(&status), "AGENCY_REVOKED", "{status:?}");
    assert_eq!(error_domain(&status), "netral");
    assert!(
        matches!(
            status.code(),
            Code::Unauthenticated | Code::PermissionDenied
        ),
        "{status:?}"
    );
    let read = app
        .list("bawaslu-kotabaru-lama", pb::ListCasesRequest::default())
        .await;
    assert_eq!(reason(&read.unwrap_err()), "AGENCY_REVOKED");
    let counts = app.row_counts().await;
    assert_eq!(
        (
            counts.cases,
            counts.subjects,
            counts.case_events,
            counts.idempotency_keys
        ),
        (0, 0, 0, 0)
    );

    // Both attempts are on record, and nothing else is.
    app.audit_keeper().catch_up().await.unwrap();
    let refusals = app
        .audit_client("bpk")
        .await
        .list_audit_events(pb::ListAuditEventsRequest {
            filter: "outcome = \"UNAUTHENTICATED\"".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    let recorded: Vec<(&str, &str, &str)> = refusals
        .iter()
        .map(|e| (e.action.as_str(), e.actor.as_str(), e.reason.as_str()))
        .collect();
    assert_eq!(
        recorded,
        [
            (
                "RegisterCase",
                "agencies/bawaslu-kotabaru-lama",
                "AGENCY_REVOKED"
            ),
            (
                "ListCases",
                "agencies/bawaslu-kotabaru-lama",
                "AGENCY_REVOKED"
            ),
        ]
    );
    assert!(
        refusals
            .iter()
            .all(|e| !e.certificate_fingerprint.is_empty())
    );
    let everything = app
        .audit_client("bpk")
        .await
        .list_audit_events(pb::ListAuditEventsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .events;
    let actions: Vec<&str> = everything.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["SYNC_DIRECTORY", "RegisterCase", "ListCases"]);
    assert_eq!(counts.audit_events, 3);

    // The office's current certificate still works.
    app.register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
        .await
        .unwrap();
}
