//! The verifiable part of netral's audit log, shared by the server (which builds the tree
//! and signs checkpoints) and the CLI (which verifies an export offline, trusting nothing it
//! cannot recompute).
//!
//! - [`tree`]: RFC 6962 hashing, proofs over stored complete subtrees, the log's right edge.
//! - [`checkpoint`]: C2SP `tlog-checkpoint` signed notes (Ed25519).
//! - [`leaf`]: an event's leaf, the deterministic encoding of the contract's `AuditLeaf`.
//! - [`export`]: the export file and its offline verification.

pub mod checkpoint;
pub mod export;
pub mod leaf;
pub mod tree;

pub use checkpoint::{CheckpointBody, CheckpointError, LogSigner, SignedCheckpoint};
pub use tree::{CompactRange, Hash, ProofPlan, Subtree};
