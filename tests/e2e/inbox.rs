//! Every agency's inbox, end to end: each step of a case reaches exactly the agencies the
//! domain routes it to; a stream resumed from a cursor misses nothing and repeats nothing;
//! messages committed before a crash are delivered after the restart; an agency reads only
//! its own inbox; a slow consumer is cut off with a resumable status.

use std::collections::BTreeMap;

use netral_domain::AgencyId;
use netral_proto::v1 as pb;
use netral_store::InboxQuery;
use netral_tests::fixtures::{self, Step, walk_to};
use netral_tests::{PATIENCE, TestApp, eventually, field_violations, reason, receive, spawn_app};
use pb::InboxMessageKind as Kind;
use tonic::Code;

/// What landed in each agency's inbox since the last look, read straight from the store
/// for every agency of the directory (so "nowhere else" covers them all).
struct Deliveries {
    agencies: Vec<AgencyId>,
    seen: BTreeMap<String, i64>,
}

impl Deliveries {
    async fn new(app: &TestApp) -> Self {
        let agencies = app.store().agencies().await.unwrap();
        Self {
            agencies: agencies.into_iter().map(|a| a.id).collect(),
            seen: BTreeMap::new(),
        }
    }

    /// Waits until `expected` agencies each got one new message, then answers who got
    /// what (agency → action and kind), everyone included.
    async fn after(
        &mut self,
        app: &TestApp,
        expected: &[(&str, Kind)],
    ) -> BTreeMap<String, (String, Kind)> {
        let store = app.store().clone();
        for (agency, _) in expected {
            let after = self.seen.get(*agency).copied().unwrap_or(0);
            let agency: AgencyId = agency.parse().unwrap();
            eventually(PATIENCE, || {
                let (store, agency) = (store.clone(), agency.clone());
                async move {
                    !store
                        .inbox_messages(&query(agency, after))
                        .await
                        .unwrap()
                        .is_empty()
                }
            })
            .await;
        }
        let mut got = BTreeMap::new();
        for agency in &self.agencies {
            let after = self.seen.get(agency.as_str()).copied().unwrap_or(0);
            let new = store
                .inbox_messages(&query(agency.clone(), after))
                .await
                .unwrap();
            assert!(
                new.len() <= 1,
                "{agency} got {} messages for one step",
                new.len()
            );
            if let Some(message) = new.last() {
                self.seen.insert(agency.to_string(), message.seq);
                use netral_domain::inbox::MessageKind as M;
                let kind = match message.kind {
                    M::CaseChanged => Kind::CaseChanged,
                    M::DeadlineReminder => Kind::DeadlineReminder,
                    M::DeadlineMissed => Kind::DeadlineMissed,
                    M::Escalation => Kind::Escalation,
                };
                got.insert(agency.to_string(), (message.action.clone(), kind));
            }
        }
        got
    }
}

fn query(agency: AgencyId, after: i64) -> InboxQuery {
    InboxQuery {
        agency,
        after,
        limit: 100,
        unacknowledged_only: false,
        kind: None,
        case: None,
    }
}

/// One step of the walk: who takes it, which, and who is told (with what kind of news).
type Told = (&'static str, Step, &'static [(&'static str, Kind)]);

fn expect(action: &str, to: &[(&str, Kind)]) -> BTreeMap<String, (String, Kind)> {
    to.iter()
        .map(|(agency, kind)| (agency.to_string(), (action.to_owned(), *kind)))
        .collect()
}

#[tokio::test]
async fn each_step_of_the_kotabaru_case_reaches_exactly_the_right_inboxes() {
    use Kind::CaseChanged as C;
    let app = spawn_app().await;
    let mut deliveries = Deliveries::new(&app).await;
    let mut case = app
        .register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
        .await
        .unwrap();
    assert_eq!(
        deliveries.after(&app, &[]).await,
        expect("REGISTER", &[]),
        "registration"
    );
    // (actor, step, who is told); before 2024-08-24 the examiner is KASN, BKN keeps the registry.
    let walk: [Told; 8] = [
        ("bawaslu-kotabaru", Step::AttachEvidence, &[]),
        ("bawaslu-kotabaru", Step::Forward, &[("kasn", C)]),
        ("kasn", Step::Accept, &[("bawaslu-kotabaru", C)]),
        ("kasn", Step::AddNote, &[("bawaslu-kotabaru", C)]),
        (
            "kasn",
            Step::RecommendSanction,
            &[("bawaslu-kotabaru", C), ("bkn", C), ("pemkab-kotabaru", C)],
        ),
        ("pemkab-kotabaru", Step::Acknowledge, &[("kasn", C)]),
        (
            "pemkab-kotabaru",
            Step::RecordSanctionDecree,
            &[("bawaslu-kotabaru", C), ("bkn", C), ("kasn", C)],
        ),
        (
            "bkn",
            Step::RecordInRegistry,
            &[("bawaslu-kotabaru", C), ("kasn", C), ("pemkab-kotabaru", C)],
        ),
    ];
    for (actor, step, told) in walk {
        case = app.act(actor, step, &case).await.unwrap();
        let action = step_action(step);
        assert_eq!(
            deliveries.after(&app, told).await,
            expect(action, told),
            "{step:?} by {actor}"
        );
    }
    assert_eq!(case.state(), pb::CaseState::Recorded);

    // What the PPK sees: the recommendation, with the case but none of the subject's data.
    let inbox = app.inbox("pemkab-kotabaru").await;
    let recommended = &inbox[0];
    assert_eq!(recommended.kind(), Kind::CaseChanged);
    assert_eq!(recommended.action, "RECOMMEND_SANCTION");
    assert_eq!(recommended.actor, "agencies/kasn");
    assert_eq!(recommended.case, case.name);
    assert_eq!(recommended.case_state(), pb::CaseState::SanctionRecommended);
    assert_eq!(
        recommended.name,
        format!("agencies/pemkab-kotabaru/inbox/{}", recommended.cursor)
    );
    let snapshot = recommended.snapshot.clone().unwrap();
    assert_eq!(snapshot.name, case.name);
    assert_eq!(snapshot.state(), pb::CaseState::SanctionRecommended);
    assert!(
        snapshot.recommendation.is_some(),
        "the snapshot shows the recommendation"
    );
    let subject = snapshot.subject.unwrap();
    assert_eq!(
        (
            subject.id.as_str(),
            subject.full_name.as_str(),
            subject.position.as_str()
        ),
        ("", "", "")
    );
    assert_eq!(
        subject.employing_instance,
        fixtures::kotabaru_teacher().employing_instance
    );
    assert_eq!(snapshot.summary, "", "free text may name people");
    assert!(
        snapshot.notes.is_empty() && snapshot.attachments.is_empty(),
        "BASIC view"
    );
}

fn step_action(step: Step) -> &'static str {
    match step {
        Step::AttachEvidence => "ATTACH_EVIDENCE",
        Step::Forward => "FORWARD",
        Step::Accept => "ACCEPT",
        Step::AddNote => "ADD_NOTE",
        Step::RecommendSanction => "RECOMMEND_SANCTION",
        Step::Acknowledge => "ACKNOWLEDGE",
        Step::RecordSanctionDecree => "RECORD_SANCTION_DECREE",
        Step::RecordInRegistry => "RECORD_IN_REGISTRY",
        other => panic!("{other:?} is not in the walk"),
    }
}

/// Forwards `n` fresh cases to the examiner (KASN on the default date): one message each.
async fn forwarded(app: &TestApp, n: usize) -> Vec<String> {
    let mut names = Vec::new();
    for _ in 0..n {
        names.push(walk_to(app, pb::CaseState::Forwarded).await.name);
    }
    names
}

#[tokio::test]
async fn a_resumed_stream_sees_no_gap_and_no_duplicate_and_keeps_commit_order() {
    let app = spawn_app().await;
    let first = forwarded(&app, 4).await;
    let mut stream = app.watch_inbox("kasn", "").await;
    let early = receive(&mut stream, 2).await;
    // New messages arrive while the stream is open: pushed, not polled for.
    let pushed = forwarded(&app, 2).await;
    let rest = receive(&mut stream, 4).await;
    drop(stream);
    // While disconnected, more arrive; the consumer resumes from the last cursor it saw.
    let missed = forwarded(&app, 3).await;
    let last_seen = rest.last().unwrap().cursor.clone();
    let mut resumed = app.watch_inbox("kasn", &last_seen).await;
    let after = receive(&mut resumed, 3).await;

    let delivered: Vec<&pb::InboxMessage> = early.iter().chain(&rest).chain(&after).collect();
    let cases: Vec<&str> = delivered.iter().map(|m| m.case.as_str()).collect();
    let expected: Vec<&str> = first
        .iter()
        .chain(&pushed)
        .chain(&missed)
        .map(String::as_str)
        .collect();
    assert_eq!(
        cases, expected,
        "every message once, in the order the steps committed"
    );
    let cursors: Vec<i64> = delivered
        .iter()
        .map(|m| m.cursor.parse().unwrap())
        .collect();
    assert!(
        cursors.windows(2).all(|p| p[0] < p[1]),
        "cursors only grow: {cursors:?}"
    );
    // Nothing more is pending: the newest message of the inbox is the last one delivered.
    let status = app.inbox_status("kasn").await;
    assert_eq!(status.last_cursor, delivered.last().unwrap().cursor);
    drop(resumed);

    // An empty cursor starts after the acknowledged one.
    let mut ack = app.inbox_client("kasn").await;
    let acked = ack
        .ack_inbox(pb::AckInboxRequest {
            request_id: fixtures::request_id(),
            cursor: delivered[5].cursor.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(acked.acknowledged_count, 6);
    let mut fresh = app.watch_inbox("kasn", "").await;
    let unacked = receive(&mut fresh, 3).await;
    assert_eq!(unacked[0].cursor, delivered[6].cursor);
    let status = app.inbox_status("kasn").await;
    assert_eq!(
        (
            status.agency.as_str(),
            status.unacknowledged_count,
            status.acknowledged_cursor.as_str(),
            status.last_cursor.as_str()
        ),
        (
            "agencies/kasn",
            3,
            delivered[5].cursor.as_str(),
            delivered[8].cursor.as_str()
        )
    );
    assert!(status.oldest_unacknowledged_time.is_some());
}

#[tokio::test]
async fn an_agency_reads_only_its_own_inbox() {
    let app = spawn_app().await;
    forwarded(&app, 1).await;
    let mut kasn = app.inbox_client("kasn").await;
    let mut bkn = app.inbox_client("bkn").await;
    assert_eq!(
        app.inbox("bkn").await.len(),
        0,
        "BKN is not the examiner on this date"
    );
    let refused = bkn
        .watch_inbox(pb::WatchInboxRequest {
            parent: "agencies/kasn".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), reason(&refused).as_str()),
        (Code::PermissionDenied, "NOT_OWN_INBOX")
    );
    let refused = bkn
        .list_inbox(pb::ListInboxRequest {
            parent: "agencies/kasn".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), reason(&refused).as_str()),
        (Code::PermissionDenied, "NOT_OWN_INBOX")
    );
    let cursor = app.inbox("kasn").await[0].cursor.clone();
    let refused = bkn
        .ack_inbox(pb::AckInboxRequest {
            request_id: fixtures::request_id(),
            cursor: cursor.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        field_violations(&refused),
        ["cursor"],
        "KASN's cursor is none of BKN's messages"
    );
    let own = kasn
        .list_inbox(pb::ListInboxRequest {
            parent: "agencies/kasn".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.messages.len(), 1, "naming its own inbox is allowed");
    app.audit_keeper().catch_up().await.unwrap();
    for method in ["WatchInbox", "ListInbox"] {
        let filter = netral_store::audit::AuditFilter {
            action: Some(method.into()),
            outcome: Some("DENIED".into()),
            actor: Some("bkn".into()),
            ..Default::default()
        };
        let events = app.store().audit_events(&filter, None, 10).await.unwrap();
        assert_eq!(events.len(), 1, "the refused {method} is audited");
        let leaf = netral_audit::leaf::decode(&events[0].leaf).unwrap();
        assert_eq!(leaf.reason, "NOT_OWN_INBOX");
    }
}
