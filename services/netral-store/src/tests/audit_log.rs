//! The audit log in the database: the sequencer numbers every event once, from 0 and
//! without gaps, a batch at a time, even with two replicas sequencing while events are
//! recorded; and proofs built from the stored subtrees verify against the signed
//! checkpoints.
//!
//! The shared pieces (the origin, a log grown and signed at given sizes, sequencing all that
//! waits) are used by `audit_steps` and `audit_tamper` too.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::TimeDelta;
use netral_audit::tree::{self, CompactRange, Hash};
use netral_audit::{LogSigner, checkpoint};
use netral_proto::v1::{AuditLeaf, AuditOutcome};
use sea_orm::{EntityTrait, QueryOrder};

use super::fixtures::*;
use super::support::{TestDb, databases};
use crate::Store;
use crate::audit::{AuditFilter, AuditRecord, ProofRefusal};
use crate::entity::audit::{events, head, subtrees};

/// The origin of the tests' log (and the name of its keys).
pub(super) const ORIGIN: &str = "netral.test/audit";

/// Audit event `n`: a read by Bawaslu Kalsel whose leaf is unlike any other event's.
fn event(n: u32) -> AuditRecord {
    let leaf = AuditLeaf {
        action: "READ_CASE".into(),
        outcome: AuditOutcome::Success as i32,
        actor: "agencies/bawaslu-kalsel".into(),
        trace_id: format!("{n:032x}"),
        peer: "10.0.0.7:50443".into(),
        ..Default::default()
    };
    AuditRecord {
        case_id: None,
        action: leaf.action.clone(),
        outcome: "SUCCESS",
        actor: Some("bawaslu-kalsel".into()),
        at: at(2024, 9, 4) + TimeDelta::seconds(n.into()),
        leaf: netral_audit::leaf::encode(&leaf),
    }
}

/// Records events `numbers`, one after another, each durable before the next.
async fn record(store: &Store, numbers: Range<u32>) {
    for n in numbers {
        store.record_audit(event(n)).await.unwrap();
    }
}

/// Sequences every waiting event; says how many.
pub(super) async fn sequence_all(store: &Store) -> u64 {
    let mut total = 0;
    loop {
        match store.sequence_audit_events(1_000, true).await.unwrap() {
            0 => return total,
            n => total += n,
        }
    }
}

/// Records events up to each of `sizes` in turn, sequencing them and signing a checkpoint
/// at each size; returns the leaves, in log order.
pub(super) async fn grow_and_sign(
    store: &Store,
    signer: &LogSigner,
    sizes: &[u32],
) -> Vec<Vec<u8>> {
    let mut from = 0;
    for &size in sizes {
        record(store, from..size).await;
        assert_eq!(sequence_all(store).await, u64::from(size - from));
        let signed = store
            .sign_audit_checkpoint(signer, at(2024, 9, 5) + TimeDelta::minutes(size.into()))
            .await
            .unwrap()
            .expect("a new head is signed");
        assert_eq!(signed.body.tree_size, u64::from(size));
        assert_eq!(
            store
                .sign_audit_checkpoint(signer, at(2024, 9, 6))
                .await
                .unwrap(),
            None,
            "a head already signed is not signed again"
        );
        from = size;
    }
    (0..from).map(|n| event(n).leaf).collect()
}

/// The root of `leaves`, recomputed from nothing but their bytes.
fn recomputed_root(leaves: &[Vec<u8>]) -> Hash {
    let mut range = CompactRange::new();
    for leaf in leaves {
        range.push(tree::leaf_hash(leaf), |_, _| {});
    }
    range.root()
}

/// Asserts that the log holds exactly `n` events numbered 0..n, none waiting, that the head
/// is that size with the root recomputed from their leaves, and that the stored subtrees are
/// exactly the complete ones those leaves make, with their hashes. Returns the leaves.
async fn assert_log_is_sound(db: &TestDb, n: u64) -> Vec<Vec<u8>> {
    let rows = events::Entity::find()
        .order_by_asc(events::Column::Sequence)
        .all(&db.store.db)
        .await
        .unwrap();
    let sequences: Vec<Option<i64>> = rows.iter().map(|r| r.sequence).collect();
    let expected: Vec<Option<i64>> = (0..n as i64).map(Some).collect();
    assert_eq!(
        sequences, expected,
        "{}: numbered 0..{n} once each",
        db.label
    );
    assert_eq!(
        db.store.audit_events_waiting().await.unwrap(),
        0,
        "{}",
        db.label
    );
    assert_eq!(db.store.audit_tree_size().await.unwrap(), n, "{}", db.label);

    let leaves: Vec<Vec<u8>> = rows.into_iter().map(|r| r.leaf).collect();
    let head = head::Entity::find_by_id(1)
        .one(&db.store.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(head.tree_size, n as i64, "{}", db.label);
    assert_eq!(
        head.root,
        recomputed_root(&leaves).to_vec(),
        "{}: the head's root is the leaves' root",
        db.label
    );

    let mut complete = BTreeMap::new();
    let mut range = CompactRange::new();
    for leaf in &leaves {
        range.push(tree::leaf_hash(leaf), |subtree, hash| {
            complete.insert(
                (i16::from(subtree.level), subtree.index as i64),
                hash.to_vec(),
            );
        });
    }
    let stored: BTreeMap<(i16, i64), Vec<u8>> = subtrees::Entity::find()
        .all(&db.store.db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| ((s.level, s.idx), s.hash))
        .collect();
    assert_eq!(stored, complete, "{}: the stored subtrees", db.label);
    leaves
}

#[tokio::test]
async fn the_sequencer_numbers_events_without_gaps_and_respects_its_batch() {
    const EVENTS: u32 = 45;
    for db in databases().await {
        record(&db.store, 0..EVENTS).await;
        assert_eq!(
            db.store.audit_events_waiting().await.unwrap(),
            45,
            "{}",
            db.label
        );
        assert_eq!(db.store.audit_tree_size().await.unwrap(), 0, "{}", db.label);
        assert!(
            db.store
                .audit_events(&AuditFilter::default(), None, 100)
                .await
                .unwrap()
                .is_empty(),
            "{}: events waiting for their number are not served",
            db.label
        );

        let mut rounds = Vec::new();
        while rounds.len() <= EVENTS as usize {
            match db.store.sequence_audit_events(7, true).await.unwrap() {
                0 => break,
                n => rounds.push(n),
            }
        }
        assert_eq!(rounds, [7, 7, 7, 7, 7, 7, 3], "{}: 7 at a time", db.label);
        let leaves = assert_log_is_sound(&db, 45).await;
        let recorded: Vec<Vec<u8>> = (0..EVENTS).map(|n| event(n).leaf).collect();
        assert_eq!(
            leaves, recorded,
            "{}: numbered in the order recorded",
            db.label
        );

        // The next events continue from the stored right edge, not from scratch.
        record(&db.store, EVENTS..EVENTS + 5).await;
        assert_eq!(
            db.store.sequence_audit_events(7, true).await.unwrap(),
            5,
            "{}",
            db.label
        );
        assert_eq!(
            db.store.sequence_audit_events(7, true).await.unwrap(),
            0,
            "{}",
            db.label
        );
        assert_log_is_sound(&db, 50).await;
    }
}

/// Sequences `batch` at a time (waiting for another sequencer's lock or not) until
/// recording has stopped and nothing waits; says how many events this sequencer numbered.
async fn sequence_while_recording(
    store: Store,
    batch: u64,
    wait: bool,
    recording: Arc<AtomicBool>,
) -> u64 {
    const MAX_ROUNDS: usize = 20_000;
    let mut numbered = 0;
    for _ in 0..MAX_ROUNDS {
        // Read before the round: if recording had stopped and this round found nothing
        // waiting, nothing more will come.
        let stopped = !recording.load(Ordering::SeqCst);
        let n = store.sequence_audit_events(batch, wait).await.unwrap();
        numbered += n;
        if n == 0 && stopped && store.audit_events_waiting().await.unwrap() == 0 {
            return numbered;
        }
        tokio::task::yield_now().await;
    }
    panic!("still sequencing after {MAX_ROUNDS} rounds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_sequencers_at_once_never_number_an_event_twice() {
    const RECORDERS: u32 = 4;
    const EACH: u32 = 20;
    for db in databases().await {
        // A second replica: a store of its own on the same database.
        let other = Store::connect(&db.url, 4).await.unwrap();
        let recording = Arc::new(AtomicBool::new(true));
        // One replica waits for the other's lock, the other skips the round (as the
        // background loop does).
        let sequencers =
            [(db.store.clone(), 3, true), (other.clone(), 5, false)].map(|(store, batch, wait)| {
                tokio::spawn(sequence_while_recording(
                    store,
                    batch,
                    wait,
                    Arc::clone(&recording),
                ))
            });
        let recorders: Vec<_> = (0..RECORDERS)
            .map(|r| {
                let store = if r % 2 == 0 {
                    db.store.clone()
                } else {
                    other.clone()
                };
                tokio::spawn(async move { record(&store, r * EACH..(r + 1) * EACH).await })
            })
            .collect();
        for recorder in recorders {
            recorder.await.unwrap();
        }
        recording.store(false, Ordering::SeqCst);
        let mut numbered = 0;
        for sequencer in sequencers {
            numbered += sequencer.await.unwrap();
        }
        let n = u64::from(RECORDERS * EACH);
        assert_eq!(
            numbered, n,
            "{}: the sequencers numbered each event once",
            db.label
        );

        let leaves = assert_log_is_sound(&db, n).await;
        let mut sorted = leaves.clone();
        sorted.sort();
        let mut recorded: Vec<Vec<u8>> = (0..RECORDERS * EACH).map(|n| event(n).leaf).collect();
        recorded.sort();
        assert_eq!(
            sorted, recorded,
            "{}: every event is in the log once",
            db.label
        );

        let (skey, vkey) = LogSigner::generate(ORIGIN);
        let signer = LogSigner::new(&skey).unwrap();
        let signed = other
            .sign_audit_checkpoint(&signer, at(2024, 9, 6))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(signed.body.root, recomputed_root(&leaves), "{}", db.label);
        assert_eq!(
            db.store.check_audit_log(&vkey).await.unwrap(),
            [],
            "{}",
            db.label
        );
        other.close().await.unwrap();
    }
}

#[tokio::test]
async fn proofs_from_the_database_verify_against_signed_checkpoints() {
    const SIZES: [u32; 8] = [1, 2, 3, 8, 13, 21, 32, 37];
    for db in databases().await {
        let (skey, vkey) = LogSigner::generate(ORIGIN);
        let signer = LogSigner::new(&skey).unwrap();
        let leaves = grow_and_sign(&db.store, &signer, &SIZES).await;
        // Events recorded but not sequenced: the head stays at 37.
        record(&db.store, 37..40).await;

        let checkpoints = db.store.audit_checkpoints().await.unwrap();
        let sizes: Vec<u64> = checkpoints.iter().map(|cp| cp.tree_size).collect();
        assert_eq!(sizes, SIZES.map(u64::from), "{}", db.label);
        let mut signed = Vec::new();
        for cp in &checkpoints {
            let body = checkpoint::open(&cp.note, &vkey).unwrap();
            assert_eq!(
                (body.tree_size, body.root),
                (cp.tree_size, cp.root),
                "{}",
                db.label
            );
            assert_eq!(body.root, recomputed_root(&leaves[..cp.tree_size as usize]));
            signed.push(body);
        }

        for body in &signed {
            let size = body.tree_size;
            for sequence in 0..size {
                let leaf = &leaves[sequence as usize];
                let (leaf_hash, proof) = db
                    .store
                    .audit_inclusion_proof(sequence, size)
                    .await
                    .unwrap();
                assert_eq!(leaf_hash, tree::leaf_hash(leaf), "{}", db.label);
                tree::verify_inclusion(leaf, sequence, size, &body.root, &proof)
                    .unwrap_or_else(|e| panic!("{}: leaf {sequence} in {size}: {e}", db.label));
                if size > 1 {
                    let other = &leaves[((sequence + 1) % size) as usize];
                    assert!(
                        tree::verify_inclusion(other, sequence, size, &body.root, &proof).is_err(),
                        "{}: another leaf does not verify in its place",
                        db.label
                    );
                }
            }
        }
        for (i, first) in signed.iter().enumerate() {
            for second in &signed[i + 1..] {
                let (a, b) = (first.tree_size, second.tree_size);
                let proof = db.store.audit_consistency_proof(a, b).await.unwrap();
                tree::verify_consistency(a, &first.root, b, &second.root, &proof)
                    .unwrap_or_else(|e| panic!("{}: {a} to {b}: {e}", db.label));
            }
        }

        let beyond =
            |r: Result<_, ProofRefusal>| matches!(r, Err(ProofRefusal::BeyondHead { head: 37 }));
        let request = |r: Result<_, ProofRefusal>| matches!(r, Err(ProofRefusal::Request(_)));
        assert!(
            beyond(db.store.audit_inclusion_proof(0, 38).await.map(|_| ())),
            "{}",
            db.label
        );
        assert!(
            beyond(db.store.audit_consistency_proof(8, 40).await.map(|_| ())),
            "{}",
            db.label
        );
        assert!(
            request(db.store.audit_inclusion_proof(37, 37).await.map(|_| ())),
            "{}",
            db.label
        );
        assert!(
            request(db.store.audit_inclusion_proof(39, 8).await.map(|_| ())),
            "{}",
            db.label
        );
        assert!(
            request(db.store.audit_consistency_proof(0, 8).await.map(|_| ())),
            "{}",
            db.label
        );
        assert!(
            request(db.store.audit_consistency_proof(13, 8).await.map(|_| ())),
            "{}",
            db.label
        );
    }
}
