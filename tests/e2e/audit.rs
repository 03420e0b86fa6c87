//! The audit log as an auditor meets it: the Kotabaru case's whole timeline (steps, a refused
//! attempt by an agency that is not a party, every read of the subject's data), events that
//! hold no personal data, proofs against a checkpoint fetched before later events, and who
//! may read which history.

use netral_audit::{checkpoint, tree};
use netral_proto::v1 as pb;
use netral_tests::fixtures::{self, Step};
use netral_tests::{TestApp, spawn_app};
use tonic::Code;

/// The auditor of the dev directory.
const AUDITOR: &str = "bpk";

async fn latest_checkpoint(app: &TestApp) -> (pb::Checkpoint, checkpoint::CheckpointBody) {
    let checkpoint = app
        .audit_client(AUDITOR)
        .await
        .get_checkpoint(pb::GetCheckpointRequest { tree_size: 0 })
        .await
        .unwrap()
        .into_inner()
        .checkpoint
        .unwrap();
    let body = checkpoint::open(&checkpoint.note, &app.audit_verifier_key()).unwrap();
    assert_eq!(body.tree_size, checkpoint.tree_size as u64);
    assert_eq!(hex::encode(body.root), checkpoint.root_hash);
    (checkpoint, body)
}

async fn history(app: &TestApp, agency: &str, case: &pb::Case) -> Vec<pb::AuditEvent> {
    app.audit_history(agency, &case.name).await
}

#[tokio::test]
async fn the_auditor_gets_the_kotabaru_timeline_and_proves_an_event_under_an_earlier_checkpoint() {
    let app = spawn_app().await;
    let case = app
        .register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
        .await
        .unwrap();
    // A PPK of another province tries to read the case: refused, and on record.
    let refused = app.get("pemkab-oku-selatan", &case.name).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    // The case's own PPK reads it; Bawaslu Kotabaru lists its cases.
    app.get("pemkab-kotabaru", &case.name).await.unwrap();
    app.list_all("bawaslu-kotabaru", "").await;
    let case = app
        .act("bawaslu-kotabaru", Step::Forward, &case)
        .await
        .unwrap();
    let (early, early_body) = latest_checkpoint(&app).await;

    // Later events, after the auditor kept `early`.
    let examiner = Step::Accept.actor_for(&case);
    let case = app.act(&examiner, Step::Accept, &case).await.unwrap();
    let (_, later_body) = latest_checkpoint(&app).await;
    assert!(later_body.tree_size > early_body.tree_size);

    let events = history(&app, AUDITOR, &case).await;
    let summary: Vec<(String, String, i32)> = events
        .iter()
        .map(|e| (e.action.clone(), e.actor.clone(), e.outcome))
        .collect();
    let success = pb::AuditOutcome::Success as i32;
    let denied = pb::AuditOutcome::Denied as i32;
    assert_eq!(
        summary,
        vec![
            (
                "REGISTER".into(),
                "agencies/bawaslu-kotabaru".into(),
                success
            ),
            (
                "GetCase".into(),
                "agencies/pemkab-oku-selatan".into(),
                denied
            ),
            (
                "READ_CASE".into(),
                "agencies/pemkab-kotabaru".into(),
                success
            ),
            (
                "LIST_CASES".into(),
                "agencies/bawaslu-kotabaru".into(),
                success
            ),
            (
                "FORWARD".into(),
                "agencies/bawaslu-kotabaru".into(),
                success
            ),
            ("ACCEPT".into(), format!("agencies/{examiner}"), success),
        ],
        "the case's timeline"
    );
    let refusal = &events[1];
    assert_eq!(refusal.reason, "CASE_NOT_ACCESSIBLE");
    assert_eq!(refusal.case, case.name);
    let forward = &events[4];
    assert_eq!(forward.from_state, pb::CaseState::Registered as i32);
    assert_eq!(forward.to_state, pb::CaseState::Forwarded as i32);
    assert!(!forward.request_id.is_empty());
    assert!(!forward.certificate_fingerprint.is_empty());
    assert!(forward.peer.starts_with("127.0.0.1:"), "{}", forward.peer);

    // Every read and step names the subject only by its keyed digest, and no leaf holds the
    // NIP or the name.
    let digests: Vec<&str> = events
        .iter()
        .filter(|e| e.outcome == success)
        .map(|e| e.subject_digest.as_str())
        .collect();
    assert!(digests.iter().all(|d| d.starts_with("hmac-sha256:")));
    assert!(
        digests.windows(2).all(|w| w[0] == w[1]),
        "one subject, one digest"
    );
    let subject = fixtures::kotabaru_teacher();
    for event in &events {
        let leaf = String::from_utf8_lossy(&event.leaf);
        assert!(!leaf.contains(&subject.id) && !leaf.contains(&subject.full_name));
        assert_eq!(event.leaf_hash, hex::encode(tree::leaf_hash(&event.leaf)));
    }

    // The forwarding, proved under the checkpoint kept before the later events.
    assert!((forward.sequence as u64) < early_body.tree_size);
    let proof = app
        .audit_client(AUDITOR)
        .await
        .get_inclusion_proof(pb::GetInclusionProofRequest {
            sequence: forward.sequence,
            tree_size: early.tree_size,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(proof.leaf, forward.leaf);
    let hashes = decode_hashes(&proof.hashes);
    tree::verify_inclusion(
        &proof.leaf,
        forward.sequence as u64,
        early_body.tree_size,
        &early_body.root,
        &hashes,
    )
    .unwrap();
    // And the later checkpoint extends the earlier one.
    let consistency = app
        .audit_client(AUDITOR)
        .await
        .get_consistency_proof(pb::GetConsistencyProofRequest {
            first_tree_size: early_body.tree_size as i64,
            second_tree_size: later_body.tree_size as i64,
        })
        .await
        .unwrap()
        .into_inner();
    tree::verify_consistency(
        early_body.tree_size,
        &early_body.root,
        later_body.tree_size,
        &later_body.root,
        &decode_hashes(&consistency.hashes),
    )
    .unwrap();
    assert!(app.audit_keeper().self_check().await.unwrap().is_empty());
}

fn decode_hashes(hex_hashes: &[String]) -> Vec<tree::Hash> {
    hex_hashes
        .iter()
        .map(|h| hex::decode(h).unwrap().try_into().unwrap())
        .collect()
}

#[tokio::test]
async fn a_party_reads_its_case_history_but_not_the_whole_log() {
    let app = spawn_app().await;
    let case = app
        .register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
        .await
        .unwrap();
    app.audit_keeper().catch_up().await.unwrap();
    let own = history(&app, "pemkab-kotabaru", &case).await;
    assert_eq!(own.len(), 1, "the registration");

    let mut stranger = app.audit_client("pemkab-oku-selatan").await;
    let refused = stranger
        .get_case_history(pb::GetCaseHistoryRequest {
            name: case.name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let everything = app
        .audit_client("bawaslu-kotabaru")
        .await
        .list_audit_events(pb::ListAuditEventsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(everything.code(), Code::PermissionDenied);
    let filtered = app
        .audit_client("bawaslu-kotabaru")
        .await
        .list_audit_events(pb::ListAuditEventsRequest {
            filter: format!("case = \"{}\"", case.name),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(filtered.events.len(), 1);
    let export = app
        .audit_client("bawaslu-kotabaru")
        .await
        .export_audit_log(pb::ExportAuditLogRequest::default())
        .await
        .unwrap_err();
    assert_eq!(export.code(), Code::PermissionDenied);

    // Each refusal is itself on record, and the auditor can filter for them.
    app.audit_keeper().catch_up().await.unwrap();
    let refusals = app
        .audit_client(AUDITOR)
        .await
        .list_audit_events(pb::ListAuditEventsRequest {
            filter: "outcome = \"DENIED\"".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    let refused: Vec<(&str, &str)> = refusals
        .iter()
        .map(|e| (e.action.as_str(), e.actor.as_str()))
        .collect();
    assert_eq!(
        refused,
        vec![
            ("GetCaseHistory", "agencies/pemkab-oku-selatan"),
            ("ListAuditEvents", "agencies/bawaslu-kotabaru"),
            ("ExportAuditLog", "agencies/bawaslu-kotabaru"),
        ]
    );
}

#[tokio::test]
async fn audit_event_pages_are_stable_and_filters_are_validated() {
    let app = spawn_app().await;
    for _ in 0..3 {
        let case = app
            .register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
            .await
            .unwrap();
        app.get("pemkab-kotabaru", &case.name).await.unwrap();
    }
    app.audit_keeper().catch_up().await.unwrap();
    let mut auditor = app.audit_client(AUDITOR).await;
    let mut seen = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = auditor
            .list_audit_events(pb::ListAuditEventsRequest {
                page_size: 2,
                page_token: page_token.clone(),
                filter: "action = \"READ_CASE\"".into(),
            })
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.events.iter().map(|e| e.sequence));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(seen.len(), 3);
    assert!(seen.windows(2).all(|w| w[0] < w[1]));

    let bad = auditor
        .list_audit_events(pb::ListAuditEventsRequest {
            filter: "sequence = 3".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    let bad = auditor
        .get_inclusion_proof(pb::GetInclusionProofRequest {
            sequence: -1,
            tree_size: 1,
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    let beyond = auditor
        .get_inclusion_proof(pb::GetInclusionProofRequest {
            sequence: 0,
            tree_size: 1_000_000,
        })
        .await
        .unwrap_err();
    assert_eq!(beyond.code(), Code::FailedPrecondition);
}
