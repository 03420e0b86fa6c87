//! The inbox's bounds: a consumer that stops reading is cut off with a resumable status
//! after the buffered messages, and resumes without a gap; an agency holds a bounded number
//! of streams; malformed cursors and filters are refused with field violations.

use netral_proto::v1 as pb;
use netral_tests::fixtures::{Step, walk_to};
use netral_tests::{PATIENCE, eventually, reason, receive, spawn_app_with};
use tonic::Code;

#[tokio::test]
async fn a_slow_consumer_is_cut_off_with_a_resumable_status() {
    let app = spawn_app_with(|s| {
        s.inbox.stream_buffer = 2;
        s.inbox.slow_consumer_timeout_s = 1;
    })
    .await;
    // Enough messages to fill the client's and the server's HTTP/2 windows and the buffer.
    let mut case = walk_to(&app, pb::CaseState::Forwarded).await;
    let messages = 240;
    for _ in 1..messages {
        case = app
            .act("bawaslu-kotabaru", Step::AddNote, &case)
            .await
            .unwrap();
    }
    let channel = tonic::transport::Endpoint::from_shared(app.endpoint())
        .unwrap()
        .tls_config(app.tls_for("kasn"))
        .unwrap()
        .initial_stream_window_size(Some(16 * 1024))
        .initial_connection_window_size(Some(16 * 1024))
        .connect()
        .await
        .unwrap();
    let mut client = netral_proto::v1::inbox_service_client::InboxServiceClient::new(channel);
    let mut stream = client
        .watch_inbox(pb::WatchInboxRequest::default())
        .await
        .unwrap()
        .into_inner();
    let first = receive(&mut stream, 1).await;
    // The consumer stops reading; the server's buffer fills and stays full.
    let streams = app.store().inbox_signals().streams();
    assert_eq!(streams, 1, "one stream open");
    // Its task gives up once the buffer stayed full past the timeout: the stream's wake-up
    // subscription goes away.
    eventually(PATIENCE, || async {
        app.store().inbox_signals().streams() == 0
    })
    .await;
    let mut received = first;
    let status = loop {
        match tokio::time::timeout(PATIENCE, stream.message())
            .await
            .expect("the stream hangs")
        {
            Ok(Some(item)) => received.push(item.message.unwrap()),
            Err(status) => break status,
            Ok(None) => panic!(
                "the stream ended without a status after {} messages",
                received.len()
            ),
        }
    };
    assert!(
        received.len() < messages,
        "the consumer was cut off before the end"
    );
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::Unavailable, "INBOX_CONSUMER_TOO_SLOW")
    );
    let info = tonic_types::StatusExt::get_error_details(&status);
    let resume = info
        .error_info()
        .unwrap()
        .metadata
        .get("resume_after_cursor")
        .cloned()
        .unwrap();
    assert_eq!(
        resume,
        received.last().unwrap().cursor,
        "resume after the last message received"
    );
    assert!(info.retry_info().is_some());
    // Resuming from there delivers the rest, without a gap.
    let mut resumed = app.watch_inbox("kasn", &resume).await;
    let rest = receive(&mut resumed, messages - received.len()).await;
    assert_eq!(received.len() + rest.len(), messages);
    eventually(PATIENCE, || async {
        app.store().inbox_signals().streams() == 1
    })
    .await;
}

#[tokio::test]
async fn a_request_for_too_many_streams_or_with_a_bad_cursor_is_refused() {
    let app = spawn_app_with(|s| s.inbox.max_streams_per_agency = 2).await;
    let _one = app.watch_inbox("kasn", "").await;
    let _two = app.watch_inbox("kasn", "").await;
    let mut client = app.inbox_client("kasn").await;
    let refused = client
        .watch_inbox(pb::WatchInboxRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), reason(&refused).as_str()),
        (Code::ResourceExhausted, "TOO_MANY_STREAMS")
    );
    let bad = client
        .watch_inbox(pb::WatchInboxRequest {
            after_cursor: "x".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(netral_tests::field_violations(&bad), ["after_cursor"]);
    let bad = client
        .ack_inbox(pb::AckInboxRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        netral_tests::field_violations(&bad),
        ["request_id", "cursor"]
    );
    let bad = client
        .list_inbox(pb::ListInboxRequest {
            filter: "acknowledged = true".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(netral_tests::field_violations(&bad), ["filter"]);
}
