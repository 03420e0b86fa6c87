//! One case, one connected trace. The real server runs as a process exporting to an OTLP
//! receiver inside the test (the real exporter, the real wire format); the Kotabaru case is
//! played from Bawaslu Kotabaru's finding to BKN's registry entry by four agencies' systems,
//! each calling with its own `traceparent`, and weeks later the deadline engine reminds the
//! regent. Every span of every step must then be connected, by parent or link, to the
//! registration's trace; inbox messages and audit events must carry their step's context;
//! and neither the spans, the metrics nor the server's log at `RUST_LOG=trace` may hold the
//! subject's identifier or name.

use std::collections::{HashMap, HashSet};

use netral_proto::v1 as pb;
use netral_proto::v1::audit_service_client::AuditServiceClient;
use netral_proto::v1::case_service_client::CaseServiceClient;
use netral_proto::v1::inbox_service_client::InboxServiceClient;
use netral_tests::fixtures;
use netral_tests::helpers::{PATIENCE, eventually};
use netral_tests::otlp::{OtlpReceiver, ReceivedSpan};
use netral_tests::process::{CrashSite, ServerProcess};
use tonic::Request;
use tonic::transport::Channel;

/// An agency's own back-end system: it has its own trace, and each of its calls is a span of
/// it (a fresh span id, sent as the call's `traceparent`).
struct AgencySystem {
    /// Its trace id, 32 hex digits.
    trace_id: String,
    /// Every span id it called from, in order.
    calls: Vec<String>,
}

impl AgencySystem {
    fn new() -> Self {
        Self {
            trace_id: uuid::Uuid::new_v4().simple().to_string(),
            calls: Vec::new(),
        }
    }

    /// `message` as a call from a new span of this system's trace.
    fn call<T>(&mut self, message: T) -> Request<T> {
        let span = span_id();
        let header = format!("00-{}-{span}-01", self.trace_id);
        self.calls.push(span);
        with_traceparent(message, &header)
    }
}

/// A random 16-hex-digit span id.
fn span_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..16].to_owned()
}

/// `message` carrying `traceparent`.
fn with_traceparent<T>(message: T, traceparent: &str) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("traceparent", traceparent.parse().expect("a valid header"));
    request
}

/// `(trace id, span id)` of a `traceparent`.
fn ids_of(traceparent: &str) -> (String, String) {
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts.len(), 4, "not a traceparent: {traceparent:?}");
    (parts[1].to_owned(), parts[2].to_owned())
}

/// The case in a step's reply.
fn case_of<T>(
    reply: Result<tonic::Response<T>, tonic::Status>,
    pick: fn(T) -> Option<pb::Case>,
) -> pb::Case {
    pick(reply.expect("the step is accepted").into_inner()).expect("the reply holds the case")
}

#[tokio::test]
async fn one_case_is_one_connected_trace_across_agencies_and_the_deadline_engine() {
    let receiver = OtlpReceiver::start().await;
    let site = CrashSite::new(env!("CARGO_BIN_EXE_netral-crash-server")).await;
    let log = site.dir.path().join("server.log");
    let endpoint = receiver.endpoint();
    let start = |now: &'static str| {
        let env = [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("NETRAL_CRASH_NOW", now),
            ("NETRAL_CRASH_DEADLINES", "1"),
            ("RUST_LOG", "trace"),
        ];
        let site = &site;
        let log = log.clone();
        async move { site.start_with(&env, Some(&log)).await }
    };
    let (mut bawaslu, mut kasn, mut regent, mut bkn) = (
        AgencySystem::new(),
        AgencySystem::new(),
        AgencySystem::new(),
        AgencySystem::new(),
    );

    // 1 March 2024: Bawaslu Kotabaru registers, attaches and forwards; KASN accepts, notes
    // and recommends a sanction.
    let server = start("2024-03-01T03:00:00Z").await;
    let mut cases = CaseServiceClient::new(server.channel_for("bawaslu-kotabaru").await);
    let registered = cases
        .register_case(bawaslu.call(fixtures::kotabaru_social_media_like()))
        .await;
    let case = case_of(registered, |r| r.r#case);
    let attached = cases
        .attach_evidence(bawaslu.call(fixtures::attach_evidence(&case)))
        .await;
    let case = case_of(attached, |r| r.r#case);
    let forwarded = cases
        .forward_case(bawaslu.call(fixtures::forward(&case)))
        .await;
    let case = case_of(forwarded, |r| r.r#case);
    let mut cases = CaseServiceClient::new(server.channel_for("kasn").await);
    let accepted = cases.accept_case(kasn.call(fixtures::accept(&case))).await;
    let case = case_of(accepted, |r| r.r#case);
    let noted = cases.add_note(kasn.call(fixtures::add_note(&case))).await;
    let case = case_of(noted, |r| r.r#case);
    let recommended = cases
        .recommend_sanction(kasn.call(fixtures::recommend_sanction(&case)))
        .await;
    let case = case_of(recommended, |r| r.r#case);
    server.terminate().await;

    // 22 April: the regent has not acted; the deadline engine's scan at start reminds it.
    let server = start("2024-04-22T03:00:00Z").await;
    let regent_channel = server.channel_for("pemkab-kotabaru").await;
    // The scan's span is exported once it has raised everything it found due.
    eventually(PATIENCE, || {
        let spans = receiver.spans();
        let case = case.name.clone();
        async move {
            spans.iter().any(|scan| {
                scan.name == "deadline scan"
                    && spans.iter().any(|raise| {
                        raise.name == "raise notice"
                            && raise.trace_id == scan.trace_id
                            && raise.attribute("netral.case") == Some(case.as_str())
                    })
            })
        }
    })
    .await;
    let notified = notified_of(&server, &case.name).await;
    // The regent's system takes its messages from a live stream, continuing each message's
    // trace when it acknowledges it.
    let mut inbox = InboxServiceClient::new(regent_channel.clone());
    let mut stream = inbox
        .watch_inbox(pb::WatchInboxRequest::default())
        .await
        .expect("the regent may watch its inbox")
        .into_inner();
    let mut delivered = Vec::new();
    while delivered.len() < notified.len() {
        let next = tokio::time::timeout(PATIENCE, stream.message())
            .await
            .expect("the stream delivers every waiting message");
        let message = next
            .expect("the stream stays up")
            .expect("a message")
            .message;
        delivered.push(message.expect("the response holds a message"));
    }
    drop(stream);
    for message in &delivered {
        let (trace, _) = ids_of(&message.traceparent);
        let continued = format!("00-{trace}-{}-01", span_id());
        let ack = pb::AckInboxRequest {
            request_id: fixtures::request_id(),
            cursor: message.cursor.clone(),
            parent: String::new(),
        };
        inbox
            .ack_inbox(with_traceparent(ack, &continued))
            .await
            .expect("the regent acknowledges");
    }
    let mut cases = CaseServiceClient::new(regent_channel);
    let case = cases
        .get_case(pb::GetCaseRequest {
            name: case.name.clone(),
            ..Default::default()
        })
        .await
        .expect("the regent reads its case")
        .into_inner()
        .r#case
        .expect("the reply holds the case");
    let acknowledged = cases
        .acknowledge_recommendation(regent.call(fixtures::acknowledge(&case)))
        .await;
    let case = case_of(acknowledged, |r| r.r#case);
    let decreed = cases
        .record_sanction_decree(regent.call(fixtures::record_sanction_decree(&case)))
        .await;
    let case = case_of(decreed, |r| r.r#case);
    let mut cases = CaseServiceClient::new(server.channel_for("bkn").await);
    let recorded = cases
        .record_in_registry(bkn.call(fixtures::record_in_registry(&case)))
        .await;
    let case = case_of(recorded, |r| r.r#case);
    assert_eq!(case.state(), pb::CaseState::Recorded);
    let history = audit_history(&server.channel_for("bpk").await, &case.name).await;
    server.terminate().await;

    // Every call the agencies made is there, each server span a child of its caller's span.
    let systems = [&bawaslu, &kasn, &regent, &bkn];
    let expected_calls: usize = systems.iter().map(|s| s.calls.len()).sum();
    eventually(PATIENCE, || {
        let spans = receiver.spans();
        async move {
            systems
                .iter()
                .flat_map(|s| &s.calls)
                .all(|call| spans.iter().any(|span| &span.parent_span_id == call))
        }
    })
    .await;
    let spans = receiver.spans();
    for system in systems {
        for call in &system.calls {
            let server_span = spans
                .iter()
                .find(|span| &span.parent_span_id == call)
                .expect("a server span per call");
            assert_eq!(
                server_span.trace_id, system.trace_id,
                "{}: the caller's traceparent makes the server span its child",
                server_span.name
            );
            assert_eq!(server_span.attribute("rpc.system"), Some("grpc"));
            assert_eq!(server_span.attribute("rpc.grpc.status_code"), Some("0"));
            assert_eq!(
                server_span.attribute("netral.case"),
                Some(case.name.as_str())
            );
        }
    }
    assert_eq!(expected_calls, 9);

    // One connected graph: every span of every step of the case reaches the registration.
    let registration = spans
        .iter()
        .find(|s| s.name.ends_with("/RegisterCase"))
        .expect("the registration's span");
    let connected = connected_traces(&spans, &registration.trace_id);
    let of_the_case: Vec<&ReceivedSpan> = spans
        .iter()
        .filter(|s| s.attribute("netral.case") == Some(case.name.as_str()))
        .filter(|s| !s.name.ends_with("/GetCase") && !s.name.ends_with("/GetCaseHistory"))
        .collect();
    for span in &of_the_case {
        assert!(
            connected.contains(&span.trace_id),
            "{} ({}) is not connected to the registration's trace",
            span.name,
            span.trace_id
        );
    }
    let names: HashSet<&str> = of_the_case.iter().map(|s| s.name.as_str()).collect();
    for expected in [
        "raise notice",
        "inbox delivery",
        "netral.v1.CaseService/RecordInRegistry",
    ] {
        assert!(
            names.contains(expected),
            "no {expected:?} span among {names:?}"
        );
    }
    assert!(
        spans.iter().any(|s| s.name == "transaction"
            && s.attribute("db.system").is_some()
            && s.parent_span_id == registration.span_id),
        "the registration's transaction is a child of its call"
    );
    let acks: Vec<&ReceivedSpan> = spans
        .iter()
        .filter(|s| s.name.ends_with("/AckInbox"))
        .collect();
    assert_eq!(acks.len(), delivered.len());
    assert!(acks.iter().all(|s| connected.contains(&s.trace_id)));

    // Inbox messages carry the context of the step that produced them: a call's span or the
    // deadline engine's.
    for message in &delivered {
        let (trace, span) = ids_of(&message.traceparent);
        let producer = spans
            .iter()
            .find(|s| s.span_id == span && s.trace_id == trace)
            .unwrap_or_else(|| panic!("no span produced {message:?}"));
        assert!(
            producer.name.starts_with("netral.v1.CaseService/") || producer.name == "raise notice",
            "{}",
            producer.name
        );
    }
    assert!(
        delivered.iter().any(|m| m.action == "RAISE_NOTICE"),
        "the deadline engine's reminder reached the regent: {delivered:?}"
    );

    // Each audit event of the case names its step's span.
    let by_id: HashMap<&str, &ReceivedSpan> =
        spans.iter().map(|s| (s.span_id.as_str(), s)).collect();
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"RECORD_IN_REGISTRY"), "{actions:?}");
    for event in &history {
        let span = by_id
            .get(event.span_id.as_str())
            .unwrap_or_else(|| panic!("{} names no exported span: {event:?}", event.action));
        assert_eq!(span.trace_id, event.trace_id, "{}", event.action);
    }

    // No personal data anywhere: not in spans, metrics or the log at RUST_LOG=trace.
    let log = std::fs::read_to_string(&log).expect("the server's log");
    assert!(
        log.contains("TRACE") || log.contains("\"level\":\"TRACE\""),
        "the log is at trace level"
    );
    let exported = receiver.everything_as_text();
    let subject = fixtures::kotabaru_teacher();
    for personal in [
        subject.id.as_str(),
        subject.full_name.as_str(),
        "Rusdiana",
        subject.position.as_str(),
    ] {
        assert!(!exported.contains(personal), "{personal:?} was exported");
        assert!(!log.contains(personal), "{personal:?} was logged");
    }
}

#[tokio::test]
async fn a_collector_that_never_answers_slows_no_call_and_costs_counted_spans() {
    // A collector that accepts connections and never says a word.
    let black_hole = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", black_hole.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((connection, _)) = black_hole.accept().await {
            open.push(connection);
        }
    });
    let site = CrashSite::new(env!("CARGO_BIN_EXE_netral-crash-server")).await;
    let log = site.dir.path().join("server.log");
    let env = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("NETRAL_CRASH_TRACE_QUEUE", "8"),
        ("NETRAL_LOG_FORMAT", "text"),
        ("RUST_LOG", "warn"),
    ];
    let server = site.start_with(&env, Some(&log)).await;
    let mut cases = CaseServiceClient::new(server.channel_for("bawaslu-kotabaru").await);
    // Every call is answered, each within the client's own deadline, though the exporter
    // is stuck on its first export and its queue is full after a few calls.
    for _ in 0..10 {
        let mut request = Request::new(fixtures::kotabaru_social_media_like());
        request.set_timeout(PATIENCE / 2);
        let case = case_of(cases.register_case(request).await, |r| r.r#case);
        let mut request = Request::new(fixtures::add_note(&case));
        request.set_timeout(PATIENCE / 2);
        case_of(cases.add_note(request).await, |r| r.r#case);
    }
    server.terminate().await;
    held.abort();
    let log = std::fs::read_to_string(&log).expect("the server's log");
    let warning = log
        .lines()
        .find(|line| line.contains("spans were not delivered to the collector"))
        .unwrap_or_else(|| panic!("no account of the lost spans in:\n{log}"));
    let dropped: u64 = warning
        .split("dropped=")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or_else(|| panic!("no dropped count in {warning:?}"));
    assert!(dropped > 0, "{warning}");
}

/// The regent's inbox messages about `case`, once the deadline engine's notice is among them.
async fn notified_of(server: &ServerProcess, case: &str) -> Vec<pb::InboxMessage> {
    let mut inbox = InboxServiceClient::new(server.channel_for("pemkab-kotabaru").await);
    let give_up = tokio::time::Instant::now() + PATIENCE;
    loop {
        let messages = inbox
            .list_inbox(pb::ListInboxRequest::default())
            .await
            .expect("the regent lists its inbox")
            .into_inner()
            .messages;
        let about: Vec<_> = messages.into_iter().filter(|m| m.r#case == case).collect();
        if about.iter().any(|m| m.action == "RAISE_NOTICE") {
            return about;
        }
        assert!(
            tokio::time::Instant::now() < give_up,
            "the deadline engine raised no notice: {about:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The audit log's events of `case`, read by an auditor once the sequencer has taken the
/// last step's.
async fn audit_history(channel: &Channel, case: &str) -> Vec<pb::AuditEvent> {
    let mut audit = AuditServiceClient::new(channel.clone());
    let give_up = tokio::time::Instant::now() + PATIENCE;
    loop {
        let events = audit
            .get_case_history(pb::GetCaseHistoryRequest {
                name: case.to_owned(),
            })
            .await
            .expect("the auditor reads the history")
            .into_inner()
            .events;
        if events.iter().any(|e| e.action == "RECORD_IN_REGISTRY") {
            return events;
        }
        assert!(
            tokio::time::Instant::now() < give_up,
            "the last step never reached the audit log"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The traces connected to `root` by links, in either direction, transitively.
fn connected_traces(spans: &[ReceivedSpan], root: &str) -> HashSet<String> {
    let mut edges: HashMap<&str, Vec<&str>> = HashMap::new();
    for span in spans {
        for (linked, _) in &span.links {
            edges.entry(&span.trace_id).or_default().push(linked);
            edges.entry(linked).or_default().push(&span.trace_id);
        }
    }
    let mut seen = HashSet::from([root.to_owned()]);
    let mut todo = vec![root];
    while let Some(trace) = todo.pop() {
        for next in edges.get(trace).into_iter().flatten() {
            if seen.insert((*next).to_owned()) {
                todo.push(next);
            }
        }
    }
    seen
}
