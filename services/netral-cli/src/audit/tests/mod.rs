//! Tests of `netral audit` that need no server: a small log is built and signed with
//! `netral_audit` ([`Log`]), exported into a file, verified, tampered with, and proven.

mod export_verify;
mod history;
mod proofs;

use std::collections::HashMap;
use std::path::Path;

use netral_audit::export::write_item;
use netral_audit::tree::{self, CompactRange, ProofPlan};
use netral_audit::{Hash, LogSigner, Subtree};
use netral_proto::v1::export_audit_log_response::Item;
use netral_proto::v1::{
    AuditLeaf, AuditOutcome, CaseState, Checkpoint, ExportAuditLogResponse, ExportedLeaf,
    GetInclusionProofResponse,
};

use super::prove::open_checkpoint;

pub(super) const ORIGIN: &str = "netral.test/audit";
pub(super) const CASE: &str = "cases/0190f1c2-7a3b-7cde-8f01-23456789abcd";

/// Event `i` of a test log, varied by `salt` so two logs can differ.
fn leaf(i: u64, salt: &str) -> AuditLeaf {
    AuditLeaf {
        action: if i.is_multiple_of(2) {
            "FORWARD"
        } else {
            "READ_CASE"
        }
        .into(),
        outcome: AuditOutcome::Success as i32,
        time: Some(prost_types::Timestamp {
            seconds: 1_717_200_000 + i as i64,
            nanos: 0,
        }),
        actor: "agencies/bawaslu-kotabaru".into(),
        r#case: CASE.into(),
        request_id: format!("req-{i}{salt}"),
        from_state: CaseState::Registered as i32,
        to_state: CaseState::Forwarded as i32,
        payload_json: r#"{"letter_number":"045/PP.01.02"}"#.into(),
        ..Default::default()
    }
}

/// A signed test log: its keys, its leaves and every complete subtree's hash.
struct Log {
    signer: LogSigner,
    verifier: String,
    leaves: Vec<Vec<u8>>,
    stored: HashMap<Subtree, Hash>,
}

impl Log {
    fn new(size: u64, salt: &str, keys: Option<(String, String)>) -> Self {
        let (signing, verifier) = keys.unwrap_or_else(|| LogSigner::generate(ORIGIN));
        let signer = LogSigner::new(&signing).unwrap();
        let leaves: Vec<Vec<u8>> = (0..size)
            .map(|i| netral_audit::leaf::encode(&leaf(i, salt)))
            .collect();
        let mut stored = HashMap::new();
        let mut range = CompactRange::new();
        for (i, bytes) in leaves.iter().enumerate() {
            let hash = tree::leaf_hash(bytes);
            stored.insert(
                Subtree {
                    level: 0,
                    index: i as u64,
                },
                hash,
            );
            range.push(hash, |subtree, hash| {
                stored.insert(subtree, *hash);
            });
        }
        Self {
            signer,
            verifier,
            leaves,
            stored,
        }
    }

    fn root(&self, size: u64) -> Hash {
        let mut range = CompactRange::new();
        for bytes in &self.leaves[..size as usize] {
            range.push(tree::leaf_hash(bytes), |_, _| {});
        }
        range.root()
    }

    fn checkpoint(&self, size: u64) -> Checkpoint {
        let signed = self.signer.sign(size, self.root(size)).unwrap();
        Checkpoint {
            tree_size: size as i64,
            root_hash: hex::encode(signed.body.root),
            key_id: self.signer.key_id(),
            note: signed.note,
            ..Default::default()
        }
    }

    fn items(&self, size: u64) -> Vec<ExportAuditLogResponse> {
        let leaves = self.leaves[..size as usize]
            .iter()
            .enumerate()
            .map(|(i, bytes)| {
                Item::Leaf(ExportedLeaf {
                    sequence: i as i64,
                    leaf: bytes.clone(),
                })
            });
        leaves
            .chain([Item::Checkpoint(self.checkpoint(size))])
            .map(|item| ExportAuditLogResponse { item: Some(item) })
            .collect()
    }

    fn write_export(&self, path: &Path, items: &[ExportAuditLogResponse]) {
        let mut bytes = Vec::new();
        for item in items {
            write_item(&mut bytes, item).unwrap();
        }
        std::fs::write(path, bytes).unwrap();
    }

    fn inclusion(&self, sequence: u64, size: u64) -> GetInclusionProofResponse {
        let hashes = ProofPlan::inclusion(sequence, size)
            .unwrap()
            .assemble(&self.stored)
            .unwrap();
        let leaf = self.leaves[sequence as usize].clone();
        GetInclusionProofResponse {
            leaf_hash: hex::encode(tree::leaf_hash(&leaf)),
            hashes: hashes.iter().map(hex::encode).collect(),
            leaf,
        }
    }

    fn consistency(&self, first: u64, second: u64) -> Vec<String> {
        let plan = ProofPlan::consistency(first, second).unwrap();
        plan.assemble(&self.stored)
            .unwrap()
            .iter()
            .map(hex::encode)
            .collect()
    }

    fn body(&self, size: u64) -> netral_audit::CheckpointBody {
        open_checkpoint(&self.checkpoint(size), &self.verifier, Some(size)).unwrap()
    }
}
