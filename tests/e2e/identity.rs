//! Identity over the wire: each way a client certificate signed by the dev CA can still
//! fail to name a known, active agency is refused with its own reason and writes nothing
//! but the refusal's audit event; a certificate the TLS layer must reject (expired, or made
//! for servers) never gets past the handshake; and the dev header naming an agency is
//! ignored over mTLS.

use std::path::Path;

use netral_proto::v1 as pb;
use netral_proto::v1::case_service_client::CaseServiceClient;
use netral_tests::fixtures::{self, case_of};
use netral_tests::{TestApp, reason, spawn_app, spawn_app_with};
use rcgen::{
    CertificateParams, DnType, ExtendedKeyUsagePurpose as Eku, Issuer, KeyPair, KeyUsagePurpose,
    SanType,
};
use tonic::Code;

/// A client certificate signed by the app's dev CA, shaped by `shape`; with its key, PEM.
fn certificate(app: &TestApp, shape: impl FnOnce(&mut CertificateParams)) -> (String, String) {
    let read = |name: &str| std::fs::read_to_string(app.pki_dir.join(name)).unwrap();
    let ca_key = KeyPair::from_pem(&read("ca.key")).unwrap();
    let issuer = Issuer::from_ca_cert_pem(&read("ca.pem"), ca_key).unwrap();
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, "test client");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![Eku::ClientAuth];
    params.use_authority_key_identifier_extension = true;
    shape(&mut params);
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn naming<'a>(uris: &'a [&'a str]) -> impl FnOnce(&mut CertificateParams) + 'a {
    move |params| {
        for uri in uris {
            let uri = (*uri).to_owned().try_into().unwrap();
            params.subject_alt_names.push(SanType::URI(uri));
        }
    }
}

/// Registers as the holder of `cert`; the transport error when there is no connection.
async fn register_with(
    app: &TestApp,
    (cert, key): (String, String),
) -> Result<Result<pb::Case, tonic::Status>, String> {
    let ca = std::fs::read(app.pki_dir.join("ca.pem")).unwrap();
    let tls = netral_server::tls::client_tls_config(ca, cert.into_bytes(), key.into_bytes());
    let channel = app.try_connect(tls).await.map_err(|e| format!("{e:?}"))?;
    let reply = CaseServiceClient::new(channel)
        .register_case(fixtures::kotabaru_social_media_like())
        .await;
    match reply {
        Ok(reply) => Ok(Ok(case_of(reply.into_inner().r#case))),
        Err(status) if netral_tests::error_domain(&status).is_empty() => Err(format!("{status:?}")),
        Err(status) => Ok(Err(status)),
    }
}

#[tokio::test]
async fn certificates_that_name_no_known_agency_are_refused_by_reason() {
    let app = spawn_app().await;
    let before = app.row_counts().await;
    let cases: [(&str, &[&str], &str); 4] = [
        (
            "unknown agency",
            &["netral:agency/pemkab-atlantis"],
            "UNKNOWN_AGENCY",
        ),
        (
            "no agency name",
            &["https://bawaslu.go.id"],
            "NO_AGENCY_NAME",
        ),
        (
            "an invalid agency id",
            &["netral:agency/Bawaslu Kotabaru"],
            "MALFORMED_CERTIFICATE",
        ),
        (
            "two agency names",
            &["netral:agency/bawaslu-kotabaru", "netral:agency/bkn"],
            "MALFORMED_CERTIFICATE",
        ),
    ];
    for (what, uris, expected) in cases {
        let answer = register_with(&app, certificate(&app, naming(uris)))
            .await
            .unwrap_or_else(|why| panic!("{what}: refused before netral: {why}"));
        let status = answer.expect_err(what);
        assert_eq!(
            (status.code(), reason(&status).as_str()),
            (Code::Unauthenticated, expected),
            "{what}: {status:?}"
        );
    }
    let after = app.row_counts().await;
    assert_eq!(
        (after.cases, after.case_events, after.idempotency_keys),
        (before.cases, before.case_events, before.idempotency_keys),
        "nothing but audit events"
    );
    assert_eq!(
        after.audit_events,
        before.audit_events + 4,
        "each refusal is audited"
    );
}

#[tokio::test]
async fn expired_and_server_only_certificates_fail_the_handshake() {
    let app = spawn_app().await;
    let agency = ["netral:agency/bawaslu-kotabaru"];
    let expired = certificate(&app, |params| {
        naming(&agency)(params);
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    });
    let server_only = certificate(&app, |params| {
        naming(&agency)(params);
        params.extended_key_usages = vec![Eku::ServerAuth];
    });
    for (what, cert) in [("expired", expired), ("server-only", server_only)] {
        match register_with(&app, cert).await {
            Err(_) => {}
            Ok(answer) => panic!("{what}: reached netral: {answer:?}"),
        }
    }
    assert_eq!(app.row_counts().await.cases, 0);
}

#[tokio::test]
async fn the_dev_agency_header_is_ignored_over_mtls() {
    let app = spawn_app().await;
    let mut client = CaseServiceClient::new(app.channel_for("bawaslu-kotabaru").await);
    let mut request = tonic::Request::new(fixtures::kotabaru_social_media_like());
    request.metadata_mut().insert(
        netral_server::grpc::DEV_AGENCY_HEADER,
        "bkn".parse().unwrap(),
    );
    let case = case_of(
        client
            .register_case(request)
            .await
            .unwrap()
            .into_inner()
            .r#case,
    );
    assert_eq!(
        case.reporting_office, "agencies/bawaslu-kotabaru",
        "the certificate decides"
    );
}

/// A revocation date still in the future is honoured early: the agency is refused now.
#[tokio::test]
async fn an_agency_revoked_from_a_future_date_is_refused_already() {
    let directory = tempfile::NamedTempFile::new().unwrap();
    let future = "\n[[agencies]]\nid = \"bawaslu-kotabaru-baru\"\ndisplay_name = \"Bawaslu Kotabaru (akan dicabut)\"\nregion = \"63.02\"\nrevoked_at = 2099-01-01T00:00:00Z\n[[agencies.grants]]\nrole = \"BAWASLU\"\nfrom = 2018-01-01\n";
    std::fs::write(
        directory.path(),
        format!("{}{future}", netral_server::directory::DEV_SEED),
    )
    .unwrap();
    let path: &Path = directory.path();
    let path = path.to_owned();
    let app = spawn_app_with(move |s| s.directory.file = Some(path)).await;
    let refused = app
        .register(
            "bawaslu-kotabaru-baru",
            fixtures::kotabaru_social_media_like(),
        )
        .await
        .unwrap_err();
    assert_eq!(reason(&refused), "AGENCY_REVOKED", "{refused:?}");
}
