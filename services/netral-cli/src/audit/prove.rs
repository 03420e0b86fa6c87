//! `netral audit prove SEQUENCE`: proves, against a checkpoint signed by the log's key, that
//! the event at SEQUENCE is in the log. The server is trusted for nothing: the checkpoint's
//! note must verify with `audit-log.pub`, the leaf it sends must hash to the leaf hash it
//! claims, and the audit path must lead from that leaf to the signed root. With
//! `--consistent-with NOTE_FILE`, the current checkpoint must also be shown (by a consistency
//! proof) to extend that older, already verified one: history was only appended to.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail, ensure};
use clap::Args;
use netral_audit::checkpoint::{self, CheckpointBody};
use netral_audit::tree;
use netral_proto::v1::{
    AuditLeaf, Checkpoint, GetCheckpointRequest, GetConsistencyProofRequest,
    GetInclusionProofRequest, GetInclusionProofResponse,
};

use super::history::EventLine;
use super::verify::read_note;
use crate::connect::{ConnectArgs, read_verifier_key};
use crate::rpc::{self, parse_hash};

/// Arguments of `netral audit prove`.
#[derive(Debug, Args)]
pub struct ProveArgs {
    /// The event's sequence number (its position in the log, from 0).
    #[arg(value_name = "SEQUENCE")]
    pub sequence: u64,
    /// Prove against the checkpoint of this tree size instead of the latest.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub tree_size: Option<u64>,
    /// The log's public verifier key file [default: <pki>/audit-log.pub].
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// A checkpoint note kept from before (e.g. an export's `FILE.checkpoint`): also prove
    /// that the log extends it.
    #[arg(long, value_name = "NOTE_FILE")]
    pub consistent_with: Option<PathBuf>,
    /// How to reach the server.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Opens a checkpoint the server sent: its note must verify with `verifier_key`, its plain
/// fields must agree with the note, and it must be of `wanted` size when one was asked for.
pub fn open_checkpoint(
    checkpoint: &Checkpoint,
    verifier_key: &str,
    wanted: Option<u64>,
) -> anyhow::Result<CheckpointBody> {
    let body = checkpoint::open(&checkpoint.note, verifier_key)
        .context("the server's checkpoint is refused")?;
    ensure!(
        u64::try_from(checkpoint.tree_size) == Ok(body.tree_size)
            && checkpoint
                .root_hash
                .eq_ignore_ascii_case(&hex::encode(body.root)),
        "the server's checkpoint fields disagree with its signed note"
    );
    if let Some(wanted) = wanted {
        ensure!(
            body.tree_size == wanted,
            "asked for the checkpoint of {wanted} events, the server sent one of {}",
            body.tree_size
        );
    }
    Ok(body)
}

/// Checks an inclusion proof of the event at `sequence` under `checkpoint` and returns the
/// event's leaf: the leaf must hash to the claimed leaf hash, be a canonical `AuditLeaf`,
/// and its audit path must lead to the checkpoint's root.
pub fn check_inclusion(
    sequence: u64,
    checkpoint: &CheckpointBody,
    proof: &GetInclusionProofResponse,
) -> anyhow::Result<AuditLeaf> {
    let size = checkpoint.tree_size;
    ensure!(
        sequence < size,
        "event {sequence} is not in the checkpoint of {size} events"
    );
    let claimed = parse_hash("the proof's leaf hash", &proof.leaf_hash)?;
    ensure!(
        tree::leaf_hash(&proof.leaf) == claimed,
        "the leaf the server sent does not hash to the leaf hash it claims"
    );
    let leaf = netral_audit::leaf::decode(&proof.leaf).context("the leaf the server sent")?;
    let path = proof
        .hashes
        .iter()
        .map(|h| parse_hash("a proof hash", h))
        .collect::<anyhow::Result<Vec<_>>>()?;
    tree::verify_inclusion(&proof.leaf, sequence, size, &checkpoint.root, &path).with_context(
        || format!("event {sequence} is NOT proven included in the checkpoint of {size} events"),
    )?;
    Ok(leaf)
}

/// Whether showing that `newer` extends `older` takes a consistency proof (rather than
/// nothing, for an empty `older`, or equal roots, for equal sizes).
pub fn needs_consistency_proof(older: &CheckpointBody, newer: &CheckpointBody) -> bool {
    0 < older.tree_size && older.tree_size < newer.tree_size
}

/// Checks that `newer` extends `older` (both already opened with the log's key), with
/// `hashes` (the consistency proof, hex) when [`needs_consistency_proof`].
pub fn check_consistency(
    older: &CheckpointBody,
    newer: &CheckpointBody,
    hashes: &[String],
) -> anyhow::Result<()> {
    let (first, second) = (older.tree_size, newer.tree_size);
    if first > second {
        bail!("the kept checkpoint ({first} events) is larger than the server's ({second})");
    }
    if first == 0 {
        ensure!(
            older.root == tree::empty_root(),
            "the kept checkpoint of 0 events has a root other than the empty tree's"
        );
        return Ok(());
    }
    if first == second {
        ensure!(
            older.root == newer.root,
            "the log has another root at {first} events than the kept checkpoint: history \
             was rewritten"
        );
        return Ok(());
    }
    let proof = hashes
        .iter()
        .map(|h| parse_hash("a proof hash", h))
        .collect::<anyhow::Result<Vec<_>>>()?;
    tree::verify_consistency(first, &older.root, second, &newer.root, &proof).with_context(|| {
        format!("the checkpoint of {second} events is NOT proven to extend the kept one of {first}")
    })
}

/// Fetches the checkpoint and the proofs, checks them, and reports the event.
pub async fn run(args: &ProveArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let key_path = args.connect.pki.verifier_key_path(args.key.as_deref());
    let key = read_verifier_key(&key_path)?;
    let kept = match &args.consistent_with {
        None => None,
        Some(path) => Some(
            checkpoint::open(&read_note(path)?, &key)
                .with_context(|| format!("the kept checkpoint {} is refused", path.display()))?,
        ),
    };
    let client = args.connect.client().await?;

    let request = GetCheckpointRequest {
        tree_size: rpc::to_wire("--tree-size", args.tree_size.unwrap_or(0))?,
    };
    let reply = rpc::unary("GetCheckpoint", || {
        let mut client = client.clone();
        async move { client.get_checkpoint(request).await }
    })
    .await?;
    let checkpoint = reply
        .checkpoint
        .context("GetCheckpoint answered without a checkpoint")?;
    let body = open_checkpoint(&checkpoint, &key, args.tree_size)?;
    writeln!(
        out,
        "checkpoint: {} events of log {}, root {} (signature verified with {})",
        body.tree_size,
        body.origin,
        hex::encode(body.root),
        key_path.display()
    )?;

    if let Some(kept) = &kept {
        let hashes = if needs_consistency_proof(kept, &body) {
            let request = GetConsistencyProofRequest {
                first_tree_size: rpc::to_wire("tree size", kept.tree_size)?,
                second_tree_size: rpc::to_wire("tree size", body.tree_size)?,
            };
            let reply = rpc::unary("GetConsistencyProof", || {
                let mut client = client.clone();
                async move { client.get_consistency_proof(request).await }
            })
            .await?;
            reply.hashes
        } else {
            Vec::new()
        };
        check_consistency(kept, &body, &hashes)?;
        writeln!(
            out,
            "consistent: extends the kept checkpoint of {} events",
            kept.tree_size
        )?;
    }

    ensure!(
        args.sequence < body.tree_size,
        "event {} is not in the checkpoint of {} events",
        args.sequence,
        body.tree_size
    );
    let request = GetInclusionProofRequest {
        sequence: rpc::to_wire("SEQUENCE", args.sequence)?,
        tree_size: rpc::to_wire("tree size", body.tree_size)?,
    };
    let proof = rpc::unary("GetInclusionProof", || {
        let mut client = client.clone();
        async move { client.get_inclusion_proof(request).await }
    })
    .await?;
    let leaf = check_inclusion(args.sequence, &body, &proof)?;
    let leaf_hash = proof.leaf_hash.to_ascii_lowercase();
    let event = EventLine::from_leaf(request.sequence, leaf, leaf_hash);
    let or_dash = |s: &str| {
        if s.is_empty() {
            "-".to_owned()
        } else {
            s.to_owned()
        }
    };
    writeln!(
        out,
        "event {}: {} by {} at {} ({}){}",
        event.sequence,
        or_dash(&event.action),
        or_dash(&event.actor),
        or_dash(&event.time),
        or_dash(&event.outcome),
        if event.case.is_empty() {
            String::new()
        } else {
            format!(", {}", event.case)
        }
    )?;
    writeln!(out, "leaf hash: {}", event.leaf_hash)?;
    writeln!(out, "included")?;
    Ok(())
}
