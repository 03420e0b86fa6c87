//! Proofs: inclusion of every event, consistency of checkpoints, and their forgeries.

use netral_audit::LogSigner;
use netral_audit::tree;
use netral_proto::v1::Checkpoint;

use super::{Log, ORIGIN, leaf};
use crate::audit::prove::{
    check_consistency, check_inclusion, needs_consistency_proof, open_checkpoint,
};

#[test]
fn every_event_is_proven_included_and_a_forgery_is_not() {
    let log = Log::new(11, "", None);
    for size in 1..=11 {
        let body = log.body(size);
        for sequence in 0..size {
            let proof = log.inclusion(sequence, size);
            let leaf = check_inclusion(sequence, &body, &proof).unwrap();
            assert_eq!(leaf.request_id, format!("req-{sequence}"));
        }
    }
    let body = log.body(11);
    // Another well-formed leaf, with its own correct hash, on event 5's path.
    let mut forged = log.inclusion(5, 11);
    forged.leaf = netral_audit::leaf::encode(&leaf(5, "forged"));
    forged.leaf_hash = hex::encode(tree::leaf_hash(&forged.leaf));
    assert!(check_inclusion(5, &body, &forged).is_err());
    // A leaf that is not the one whose hash is claimed.
    let mut mismatched = log.inclusion(5, 11);
    mismatched.leaf = log.leaves[4].clone();
    assert!(check_inclusion(5, &body, &mismatched).is_err());
    // The right proof for another position, and a position beyond the checkpoint.
    assert!(check_inclusion(6, &body, &log.inclusion(5, 11)).is_err());
    assert!(check_inclusion(11, &body, &log.inclusion(5, 11)).is_err());
    // A proof hash that is not hex.
    let mut garbled = log.inclusion(5, 11);
    garbled.hashes[0] = "zz".into();
    assert!(check_inclusion(5, &body, &garbled).is_err());
}

#[test]
fn a_checkpoint_is_opened_only_with_the_logs_key_and_matching_fields() {
    let log = Log::new(4, "", None);
    let checkpoint = log.checkpoint(4);
    let body = open_checkpoint(&checkpoint, &log.verifier, None).unwrap();
    assert_eq!((body.tree_size, body.root), (4, log.root(4)));
    let (_, other_key) = LogSigner::generate(ORIGIN);
    assert!(open_checkpoint(&checkpoint, &other_key, None).is_err());
    assert!(open_checkpoint(&checkpoint, &log.verifier, Some(3)).is_err());
    let lying = Checkpoint {
        tree_size: 3,
        ..checkpoint.clone()
    };
    assert!(open_checkpoint(&lying, &log.verifier, None).is_err());
    let lying = Checkpoint {
        root_hash: hex::encode([0u8; 32]),
        ..checkpoint
    };
    assert!(open_checkpoint(&lying, &log.verifier, None).is_err());
}

#[test]
fn a_newer_checkpoint_is_proven_to_extend_a_kept_one() {
    let keys = LogSigner::generate(ORIGIN);
    let log = Log::new(13, "", Some(keys.clone()));
    let newer = log.body(13);
    for first in 1..13 {
        let older = log.body(first);
        assert!(needs_consistency_proof(&older, &newer));
        check_consistency(&older, &newer, &log.consistency(first, 13)).unwrap();
    }
    check_consistency(&newer, &newer, &[]).unwrap();
    check_consistency(&Log::new(0, "", Some(keys.clone())).body(0), &newer, &[]).unwrap();
    assert!(check_consistency(&newer, &log.body(5), &[]).is_err());

    // A kept checkpoint of another history: no proof from this log makes it consistent.
    let other = Log::new(13, "other", Some(keys));
    let kept = other.body(5);
    assert!(check_consistency(&kept, &newer, &log.consistency(5, 13)).is_err());
    assert!(check_consistency(&other.body(13), &newer, &[]).is_err());
    // A truncated proof.
    let mut short = log.consistency(5, 13);
    short.pop();
    assert!(check_consistency(&log.body(5), &newer, &short).is_err());
}
