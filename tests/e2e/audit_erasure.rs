//! Erasure on request: the subject's identifier, name and position leave the database, the
//! erasure is on record, and every checkpoint and proof issued before still verifies.

use netral_audit::{checkpoint, tree};
use netral_proto::v1 as pb;
use netral_server::admin::{self, Erasure};
use netral_tests::fixtures::{self, Step};
use netral_tests::spawn_app;
use sea_orm::{ConnectionTrait, Database, Statement};

#[tokio::test]
async fn an_erased_subject_leaves_the_database_and_every_earlier_proof_still_verifies() {
    let app = spawn_app().await;
    let subject = fixtures::kotabaru_teacher();
    let case = app
        .register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
        .await
        .unwrap();
    let case = app
        .act("bawaslu-kotabaru", Step::Forward, &case)
        .await
        .unwrap();
    app.get("pemkab-kotabaru", &case.name).await.unwrap();
    let mut auditor = app.audit_client("bpk").await;
    let before = auditor
        .get_checkpoint(pb::GetCheckpointRequest { tree_size: 0 })
        .await
        .unwrap()
        .into_inner()
        .checkpoint
        .unwrap();
    let key = app.audit_verifier_key();
    let body = checkpoint::open(&before.note, &key).unwrap();
    let history_before = auditor
        .get_case_history(pb::GetCaseHistoryRequest {
            name: case.name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    let proofs: Vec<_> = {
        let mut proofs = Vec::new();
        for event in &history_before {
            let proof = auditor
                .get_inclusion_proof(pb::GetInclusionProofRequest {
                    sequence: event.sequence,
                    tree_size: before.tree_size,
                })
                .await
                .unwrap()
                .into_inner();
            proofs.push((event.sequence as u64, proof));
        }
        proofs
    };

    // The operator erases the teacher on a data-protection request.
    let erasure = Erasure::parse("NIP", &subject.id, "Permohonan PDP 7/2026").unwrap();
    let erased = admin::erase_subject(
        app.store(),
        app.audit_keeper().keys(),
        app.clock.now(),
        &erasure,
    )
    .await
    .unwrap();
    assert_eq!(erased.len(), 1);
    let again = admin::erase_subject(
        app.store(),
        app.audit_keeper().keys(),
        app.clock.now(),
        &erasure,
    )
    .await
    .unwrap();
    assert!(again.is_empty(), "erasing twice changes nothing");

    // The case lives on with a tombstone for a subject.
    let read = app.read(&case.name).await;
    let tombstone = read.subject.clone().unwrap();
    assert!(tombstone.erased);
    assert_eq!(
        (
            tombstone.id.as_str(),
            tombstone.full_name.as_str(),
            tombstone.position.as_str()
        ),
        ("", "", "")
    );
    assert_eq!(tombstone.employing_instance, subject.employing_instance);
    assert_eq!(read.etag, case.etag, "the case itself did not change");
    // Its work goes on.
    let examiner = Step::Accept.actor_for(&case);
    app.act(&examiner, Step::Accept, &case).await.unwrap();

    // Nowhere in the database: not in subjects, not in a stored reply.
    let db = Database::connect(app.database_url.as_str()).await.unwrap();
    for table in [
        "subjects",
        "idempotency_keys",
        "case_events",
        "audit_events",
        "cases",
    ] {
        let backend = db.get_database_backend();
        let sql = match backend {
            sea_orm::DbBackend::Postgres => format!("SELECT CAST(t AS TEXT) AS row FROM {table} t"),
            _ => format!("SELECT * FROM {table}"),
        };
        let rows = db
            .query_all(Statement::from_string(backend, sql))
            .await
            .unwrap();
        let text = format!("{rows:?}");
        assert!(!text.contains(&subject.id), "the NIP survives in {table}");
        assert!(
            !text.contains(&subject.full_name),
            "the name survives in {table}"
        );
    }

    // The erasure is on record, linked to the earlier events by the subject's digest.
    app.audit_keeper().catch_up().await.unwrap();
    let history = auditor
        .get_case_history(pb::GetCaseHistoryRequest {
            name: case.name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    let erasure_event = history
        .iter()
        .find(|e| e.action == "ERASE_SUBJECT")
        .expect("the erasure is audited");
    assert_eq!(erasure_event.reason, "Permohonan PDP 7/2026");
    assert_eq!(
        erasure_event.subject_digest,
        history_before[0].subject_digest
    );
    assert_eq!(&history[..history_before.len()], &history_before[..]);

    // Every proof issued before the erasure verifies, as given then and as served now.
    for (sequence, proof) in &proofs {
        let hashes: Vec<tree::Hash> = proof
            .hashes
            .iter()
            .map(|h| hex::decode(h).unwrap().try_into().unwrap())
            .collect();
        tree::verify_inclusion(&proof.leaf, *sequence, body.tree_size, &body.root, &hashes)
            .unwrap();
        let now = auditor
            .get_inclusion_proof(pb::GetInclusionProofRequest {
                sequence: *sequence as i64,
                tree_size: before.tree_size,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(&now, proof);
    }
    let after = auditor
        .get_checkpoint(pb::GetCheckpointRequest {
            tree_size: before.tree_size,
        })
        .await
        .unwrap()
        .into_inner()
        .checkpoint
        .unwrap();
    assert_eq!(after, before, "the old checkpoint is served unchanged");
    assert!(app.audit_keeper().self_check().await.unwrap().is_empty());
}
