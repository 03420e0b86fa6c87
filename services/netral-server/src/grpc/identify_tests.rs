//! Tests of the identity layer: certificates parsed once and checked per call, the dev
//! header only in insecure mode, refusals answered and audited, health left open.

use netral_domain::Reason;
use std::convert::Infallible;

use netral_store::{Revocation, Revoked, Store};
use rcgen::{CertificateParams, KeyPair, SanType};
use tower::ServiceExt;

use super::*;
use crate::audit::AuditKeys;
use crate::clock::Clock;
use crate::directory::Directory;

fn certificate(agency: &str) -> Vec<u8> {
    let mut params = CertificateParams::default();
    let uri = format!("netral:agency/{agency}").try_into().unwrap();
    params.subject_alt_names.push(SanType::URI(uri));
    let key = KeyPair::generate().unwrap();
    params.self_signed(&key).unwrap().der().to_vec()
}

struct World {
    layer: IdentityLayer,
    directory: DirectoryHandle,
    store: Store,
    _dir: tempfile::TempDir,
}

async fn world(insecure_dev: bool) -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::sqlite_in(dir.path()).await.unwrap();
    let keys = Arc::new(AuditKeys::ephemeral("test/audit-log"));
    let clock = Clock::manual("2024-09-04T00:00:00Z".parse().unwrap());
    let directory = DirectoryHandle::new(Directory::dev_seed().unwrap());
    let auditor = Auditor::new(store.clone(), keys, clock);
    World {
        layer: IdentityLayer::new(
            directory.clone(),
            auditor,
            insecure_dev,
            crate::metrics::RpcInstruments::unrecorded(),
        ),
        directory,
        store,
        _dir: dir,
    }
}

fn revoke(directory: &DirectoryHandle, revoked: Revoked) {
    let revocation = Revocation {
        revoked,
        revoked_at: "2024-09-04T00:00:00Z".parse().unwrap(),
        reason: "INC-1".into(),
        recorded_by: "test".into(),
    };
    let now = directory.snapshot();
    directory.replace(now.with_revocations(&[revocation]));
}

#[tokio::test]
async fn a_certificate_is_resolved_per_call_and_parsed_once() {
    let w = world(false).await;
    let identify = &w.layer.identify;
    let der = certificate("bawaslu-kotabaru");
    let none = http::HeaderMap::new();
    let caller = identify.caller(Some(&der), &none).unwrap();
    assert_eq!(caller.entry.id().as_str(), "bawaslu-kotabaru");
    let fingerprint = CertificateFingerprint::of_der(&der);
    assert_eq!(caller.certificate, Some(fingerprint));
    assert_eq!(identify.names.lock().unwrap().len(), 1);
    identify.caller(Some(&der), &none).unwrap();
    assert_eq!(identify.names.lock().unwrap().len(), 1, "parsed once");

    // Revoked between two calls on the same certificate: the next call is refused.
    revoke(
        &w.directory,
        Revoked::Certificate {
            fingerprint,
            agency: None,
            serial: None,
        },
    );
    let kotabaru: AgencyId = "bawaslu-kotabaru".parse().unwrap();
    assert_eq!(
        identify.caller(Some(&der), &none).unwrap_err(),
        IdentityError::CertificateRevoked(Some(kotabaru))
    );
    // Another certificate of the same agency still works.
    let other = certificate("bawaslu-kotabaru");
    assert!(identify.caller(Some(&other), &none).is_ok());
    // The whole agency revoked: its every certificate is refused.
    revoke(
        &w.directory,
        Revoked::Agency("pemkab-kotabaru".parse().unwrap()),
    );
    let pemkab = certificate("pemkab-kotabaru");
    assert_eq!(
        identify.caller(Some(&pemkab), &none).unwrap_err().reason(),
        Reason::AgencyRevoked
    );
    assert_eq!(
        identify
            .caller(Some(&certificate("pemkab-atlantis")), &none)
            .unwrap_err()
            .reason(),
        Reason::UnknownAgency
    );
    assert_eq!(
        identify.caller(None, &none).unwrap_err(),
        IdentityError::NoCertificate
    );
}

#[tokio::test]
async fn the_dev_header_names_the_caller_only_in_insecure_dev_mode() {
    let mut headers = http::HeaderMap::new();
    headers.insert(DEV_AGENCY_HEADER, "bkn".parse().unwrap());
    let dev = world(true).await;
    let caller = dev.layer.identify.caller(None, &headers).unwrap();
    assert_eq!(
        (caller.entry.id().as_str(), caller.certificate),
        ("bkn", None)
    );
    let tls = world(false).await;
    assert_eq!(
        tls.layer.identify.caller(None, &headers).unwrap_err(),
        IdentityError::NoCertificate
    );
}

/// A service answering the caller's agency id in a header, or `-` without a caller.
fn echo() -> impl Service<
    http::Request<()>,
    Response = http::Response<tonic::body::Body>,
    Error = Infallible,
    Future: Send + 'static,
> + Clone {
    tower::service_fn(|req: http::Request<()>| async move {
        let who = req
            .extensions()
            .get::<Caller>()
            .map_or("-".to_owned(), |c| c.entry.id().to_string());
        let mut response = http::Response::new(tonic::body::Body::default());
        response
            .headers_mut()
            .insert("x-caller", who.parse().unwrap());
        Ok(response)
    })
}

fn request(path: &str, agency: Option<&str>) -> http::Request<()> {
    let mut req = http::Request::builder().uri(path).body(()).unwrap();
    if let Some(agency) = agency {
        req.headers_mut()
            .insert(DEV_AGENCY_HEADER, agency.parse().unwrap());
    }
    req
}

#[tokio::test]
async fn the_layer_hands_on_the_caller_refuses_with_an_audit_event_and_leaves_health_open() {
    let w = world(true).await;
    let service = w.layer.layer(echo());
    let answer = |req| service.clone().oneshot(req);
    let header = |r: &http::Response<tonic::body::Body>, name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };

    let ok = answer(request("/netral.v1.CaseService/GetCase", Some("bkn")))
        .await
        .unwrap();
    assert_eq!(header(&ok, "x-caller").as_deref(), Some("bkn"));

    let health = answer(request("/grpc.health.v1.Health/Check", None))
        .await
        .unwrap();
    assert_eq!(header(&health, "x-caller").as_deref(), Some("-"));
    assert_eq!(w.store.table_counts().await.unwrap().audit_events, 0);

    revoke(&w.directory, Revoked::Agency("bkn".parse().unwrap()));
    let paths = [
        "/netral.v1.CaseService/GetCase",
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    ];
    for path in paths {
        let refused = answer(request(path, Some("bkn"))).await.unwrap();
        assert_eq!(header(&refused, "x-caller"), None, "{path}: not handed on");
        let status = Status::from_header_map(refused.headers()).unwrap();
        assert_eq!(status.code(), tonic::Code::PermissionDenied, "{path}");
    }
    let anonymous = answer(request("/netral.v1.CaseService/GetCase", None))
        .await
        .unwrap();
    let status = Status::from_header_map(anonymous.headers()).unwrap();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    assert_eq!(
        w.store.table_counts().await.unwrap().audit_events,
        3,
        "one audit event per refusal, none for the others"
    );
    // Health answers the revoked agency too.
    let health = answer(request("/grpc.health.v1.Health/Check", Some("bkn")))
        .await
        .unwrap();
    assert_eq!(header(&health, "x-caller").as_deref(), Some("-"));
}
