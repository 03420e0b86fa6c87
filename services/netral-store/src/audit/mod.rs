//! The audit log in the database, like Certificate Transparency's logs: events are appended
//! unsequenced (in the transaction of the step they record, or group-committed on their own
//! for reads and refusals), one sequencer at a time gives them their place and stores the
//! complete subtrees they finish, checkpoints sign the tree's root, and proofs are built from
//! the stored subtrees (`netral_audit::tree`).
//!
//! - [`record`]: appending events.
//! - [`sequencer`]: sequencing and signing checkpoints.
//! - [`read`]: queries, checkpoints, proofs and the export's pages.
//! - [`check`]: the server's self-check of the stored log against its checkpoints.

pub(crate) mod check;
pub(crate) mod read;
pub(crate) mod record;
pub(crate) mod sequencer;

pub use check::LogFinding;
pub use read::{AuditEventRow, AuditFilter, ProofRefusal, StoredCheckpoint};
pub use record::AuditRecord;
