//! What the README and the contract promise beyond the happy path, each on the wire: gzip,
//! reflection, the message-size limit (RESOURCE_EXHAUSTED / MESSAGE_TOO_LARGE, either way), page-size default and cap, draining, and the error
//! reasons of the examiner's directory, the calendar and a second acknowledgement.

use netral_proto::v1 as pb;
use netral_proto::v1::case_service_client::CaseServiceClient;
use netral_tests::fixtures::{self, Step, walk_to, wib};
use netral_tests::{PATIENCE, assert_refused, reason, spawn_app, spawn_app_with};
use tonic::Code;
use tonic::codec::CompressionEncoding;
use tonic_types::StatusExt;

#[tokio::test]
async fn gzip_requests_and_replies_are_served() {
    let app = spawn_app().await;
    let mut client = CaseServiceClient::new(app.channel_for("bawaslu-kotabaru").await)
        .send_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Gzip);
    let reply = client
        .register_case(fixtures::kotabaru_social_media_like())
        .await
        .unwrap();
    assert_eq!(
        reply
            .metadata()
            .get("grpc-encoding")
            .map(|v| v.to_str().unwrap()),
        Some("gzip"),
        "the reply is compressed too"
    );
    assert_eq!(
        fixtures::case_of(reply.into_inner().r#case).state(),
        pb::CaseState::Registered
    );
}

#[tokio::test]
async fn reflection_lists_every_netral_service() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let app = spawn_app().await;
    let mut client = ServerReflectionClient::new(app.channel_for("bpk").await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut replies = client
        .server_reflection_info(tokio_stream::once(request))
        .await
        .unwrap()
        .into_inner();
    let reply = replies.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = reply.message_response else {
        panic!("not a service list: {reply:?}");
    };
    let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
    for service in [
        "netral.v1.CaseService",
        "netral.v1.DirectoryService",
        "netral.v1.AuditService",
        "netral.v1.InboxService",
        "grpc.health.v1.Health",
    ] {
        assert!(names.contains(&service), "{service} missing from {names:?}");
    }
}

/// A registration whose summary is `bytes` long.
fn registration_with_summary(bytes: usize) -> pb::RegisterCaseRequest {
    let mut request = fixtures::kotabaru_social_media_like();
    if let Some(case) = request.r#case.as_mut() {
        case.summary = "x".repeat(bytes);
    }
    request
}

/// Asserts that `status` is netral's answer to a `message` (`request` or `reply`) over a
/// limit of 4096 bytes: RESOURCE_EXHAUSTED, as gRPC clients expect, with its reason.
#[track_caller]
fn assert_too_large(status: &tonic::Status, message: &str) {
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(reason(status), "MESSAGE_TOO_LARGE", "{status:?}");
    assert_eq!(netral_tests::error_domain(status), "netral");
    let info = status.get_error_details().error_info().cloned().unwrap();
    assert_eq!(info.metadata["max_bytes"], "4096");
    assert_eq!(info.metadata["message"], message);
}

#[tokio::test]
async fn a_request_over_the_message_size_limit_is_refused_and_writes_nothing() {
    let app = spawn_app_with(|s| s.limits.max_message_bytes = 4096).await;
    let before = app.row_counts().await;
    let request = registration_with_summary(8192);
    let status = app.register("bawaslu-kotabaru", request).await.unwrap_err();
    assert_too_large(&status, "request");
    assert_eq!(app.row_counts().await, before);
}

#[tokio::test]
async fn a_compressed_request_that_inflates_past_the_limit_is_refused_the_same_way() {
    let app = spawn_app_with(|s| s.limits.max_message_bytes = 4096).await;
    let before = app.row_counts().await;
    let mut client = CaseServiceClient::new(app.channel_for("bawaslu-kotabaru").await)
        .send_compressed(CompressionEncoding::Gzip);
    // 64 KiB of one letter compresses far below the limit; only inflated is it too large.
    let status = client
        .register_case(registration_with_summary(64 * 1024))
        .await
        .unwrap_err();
    assert_too_large(&status, "request");
    assert_eq!(app.row_counts().await, before);
}

#[tokio::test]
async fn a_reply_over_the_message_size_limit_is_refused_with_resource_exhausted() {
    let app = spawn_app_with(|s| s.limits.max_message_bytes = 4096).await;
    let mut case = walk_to(&app, pb::CaseState::Registered).await;
    let mut client = app.client("bawaslu-kotabaru").await;
    for _ in 0..5 {
        let note = pb::AddNoteRequest {
            text: "catatan ".repeat(125),
            ..fixtures::add_note(&case)
        };
        let reply = client.add_note(note).await.unwrap().into_inner();
        case = fixtures::case_of(reply.r#case);
    }
    // Each note fitted; the whole case, with its five notes, does not.
    let status = app.get("bpk", &case.name).await.unwrap_err();
    assert_too_large(&status, "reply");
    let basic = app.read_basic(&case.name).await;
    assert_eq!(basic.note_count, 5);
}

#[tokio::test]
async fn list_pages_default_to_fifty_and_are_capped() {
    let app = spawn_app_with(|s| s.limits.max_page_size = 60).await;
    for _ in 0..61 {
        walk_to(&app, pb::CaseState::Registered).await;
    }
    let mut client = app.client("bpk").await;
    let page = |page_size| pb::ListCasesRequest {
        page_size,
        ..Default::default()
    };
    let default = client.list_cases(page(0)).await.unwrap().into_inner();
    assert_eq!(default.cases.len(), 50, "page_size 0 means 50");
    assert!(!default.next_page_token.is_empty());
    let capped = client.list_cases(page(1000)).await.unwrap().into_inner();
    assert_eq!(
        capped.cases.len(),
        60,
        "page_size is capped at limits.max_page_size"
    );
}

#[tokio::test]
async fn acknowledging_a_recommendation_twice_is_refused() {
    let app = spawn_app().await;
    let case = walk_to(&app, pb::CaseState::SanctionRecommended).await;
    let case = app
        .act("pemkab-kotabaru", Step::Acknowledge, &case)
        .await
        .unwrap();
    let again = app.act("pemkab-kotabaru", Step::Acknowledge, &case).await;
    assert_refused(again, Code::FailedPrecondition, "ALREADY_ACKNOWLEDGED");
}

#[tokio::test]
async fn a_date_beyond_the_working_day_calendar_is_refused_by_name() {
    let app = spawn_app().await;
    // The bundled calendar covers 2018–2027; an extended review counts 14 working days.
    app.clock.set(wib("2028-03-01T10:00:00"));
    let case = walk_to(&app, pb::CaseState::Registered).await;
    let refused = app.act("bawaslu-kotabaru", Step::ExtendReview, &case).await;
    assert_refused(refused, Code::FailedPrecondition, "CALENDAR_NOT_COVERED");
    assert_eq!(app.read(&case.name).await.etag, case.etag);
}

/// The dev directory with BKN's examiner grant starting on `bkn_from` instead of 2024-08-24.
fn directory_with_bkn_examining_from(bkn_from: &str) -> tempfile::NamedTempFile {
    let seed = netral_server::directory::DEV_SEED;
    let edited = seed.replacen(
        "role = \"EXAMINER\"\nfrom = 2024-08-24",
        &format!("role = \"EXAMINER\"\nfrom = {bkn_from}"),
        1,
    );
    assert_ne!(edited, seed, "the seed's BKN examiner grant moved");
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), edited).unwrap();
    file
}

#[tokio::test]
async fn a_day_without_an_examiner_is_refused_by_name() {
    let file = directory_with_bkn_examining_from("2024-09-01");
    let path = file.path().to_owned();
    let app = spawn_app_with(move |s| s.directory.file = Some(path)).await;
    let case = walk_to(&app, pb::CaseState::Registered).await;
    app.clock.set(wib("2024-08-26T10:00:00"));
    let refused = app.act("bawaslu-kotabaru", Step::Forward, &case).await;
    assert_refused(refused, Code::PermissionDenied, "NO_EXAMINER_ON_DATE");
    assert_eq!(app.read(&case.name).await.etag, case.etag);
}

/// Two examiners on one day (`AMBIGUOUS_EXAMINER`) cannot reach the wire: a directory with
/// overlapping examiner grants is refused when the server starts, naming the grant.
#[tokio::test]
async fn a_directory_with_two_examiners_on_one_day_is_refused_at_start() {
    let file = directory_with_bkn_examining_from("2024-08-01");
    let mut settings = netral_server::settings::Settings::for_test();
    let data = tempfile::tempdir().unwrap();
    settings.data_dir = data.path().to_owned();
    settings.directory.file = Some(file.path().to_owned());
    let refused = netral_server::startup::Application::build(settings).await;
    let message = refused
        .err()
        .expect("the start must be refused")
        .to_string();
    assert!(
        message.contains("`bkn`") && message.contains("overlaps the EXAMINER grant of `kasn`"),
        "{message}"
    );
}

#[tokio::test]
async fn draining_reports_not_serving_and_ends_inbox_streams_resumably() {
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};

    let mut app = spawn_app().await;
    let mut health = HealthClient::new(app.channel_for("bpk").await)
        .watch(HealthCheckRequest {
            service: "netral.v1.InboxService".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let first = health.message().await.unwrap().unwrap();
    assert_eq!(first.status(), ServingStatus::Serving);
    let mut stream = app.watch_inbox("kasn", "").await;

    app.begin_shutdown();
    let ended = tokio::time::timeout(PATIENCE, stream.message())
        .await
        .expect("the stream was not ended")
        .expect_err("the stream ends with a status");
    assert_eq!(
        (ended.code(), reason(&ended).as_str()),
        (Code::Unavailable, "SHUTTING_DOWN")
    );
    let next = tokio::time::timeout(PATIENCE, health.message())
        .await
        .expect("no health update");
    assert_eq!(
        next.unwrap().unwrap().status(),
        ServingStatus::NotServing,
        "readiness goes NOT_SERVING when draining starts"
    );
}

#[tokio::test]
async fn a_call_past_the_servers_limit_answers_deadline_exceeded_and_a_retry_applies_once() {
    let app = spawn_app_with(|s| s.limits.request_timeout_ms = 300).await;
    let case = walk_to(&app, pb::CaseState::Registered).await;
    // An inbox stream opened now outlives the limit: the limit ends calls, not streams.
    let mut examiner = app.watch_inbox("kasn", "").await;
    // The database is slow for this one step: it waits a second on its writer lane.
    app.store()
        .fail_points()
        .delay_next_step(std::time::Duration::from_secs(1));
    let forward = fixtures::forward(&case);
    let mut client = app.client("bawaslu-kotabaru").await;
    let late = client.forward_case(forward.clone()).await.unwrap_err();
    assert_eq!(late.code(), Code::DeadlineExceeded, "{late:?}");
    // The step still commits on its lane (the examiner is told, a second later, on the
    // stream opened before); sent again, the same request answers it, applied once.
    let told = netral_tests::receive(&mut examiner, 1).await;
    assert_eq!(
        (told[0].action.as_str(), told[0].case.as_str()),
        ("FORWARD", case.name.as_str())
    );
    let again = client.forward_case(forward).await.unwrap().into_inner();
    assert_eq!(
        fixtures::case_of(again.r#case).state(),
        pb::CaseState::Forwarded
    );
    assert_eq!(
        app.history(&case).await.len(),
        2,
        "registered, forwarded: once"
    );
}
