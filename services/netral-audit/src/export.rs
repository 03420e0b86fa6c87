//! The export file and its offline verification.
//!
//! An export is what `ExportAuditLog` streams, written as length-delimited
//! `netral.v1.ExportAuditLogResponse` messages: every leaf from sequence 0 in order, then the
//! signed checkpoint of that tree size. [`verify`] recomputes every leaf hash and the root,
//! checks the checkpoint's signature with the log's public key, and, given a checkpoint
//! kept from before, that the log still extends it. It trusts nothing it cannot recompute.

use std::io::{self, BufRead, Write};

use netral_proto::v1::{ExportAuditLogResponse, export_audit_log_response::Item};
use prost::Message;

use crate::checkpoint::{self, CheckpointBody, CheckpointError};
use crate::leaf::{self, LeafError};
use crate::tree::{CompactRange, Hash, leaf_hash};

/// The largest item an export may hold (a leaf or a checkpoint), so that a corrupt length
/// prefix cannot make the verifier allocate without bound.
const MAX_ITEM_BYTES: u64 = 16 * 1024 * 1024;

/// Why an export does not verify.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The file could not be read.
    #[error("reading the export: {0}")]
    Io(#[from] io::Error),
    /// An item is not a length-delimited `ExportAuditLogResponse`.
    #[error("item {index} of the export is not an ExportAuditLogResponse")]
    Framing {
        /// Its position in the file, from 0.
        index: u64,
    },
    /// A leaf is out of place: the log must be exported from sequence 0 without gaps.
    #[error("expected the leaf with sequence {expected}, found {found}")]
    Sequence {
        /// The sequence the log's order requires.
        expected: u64,
        /// The sequence the export holds.
        found: i64,
    },
    /// A leaf's bytes are not an event.
    #[error("leaf {sequence}: {error}")]
    Leaf {
        /// The leaf's sequence.
        sequence: u64,
        /// What is wrong with it.
        error: LeafError,
    },
    /// Leaves follow the checkpoint, or the export ends without one.
    #[error("the export must end with exactly one checkpoint after its leaves")]
    Checkpoint,
    /// The checkpoint's signature or text does not hold.
    #[error("the export's checkpoint: {0}")]
    Signature(#[from] CheckpointError),
    /// The checkpoint's plain fields disagree with the signed note.
    #[error("the checkpoint's fields disagree with its signed note")]
    Fields,
    /// The checkpoint covers another number of leaves than the export holds.
    #[error("the checkpoint covers {checkpoint} events but the export holds {exported}")]
    Size {
        /// The signed tree size.
        checkpoint: u64,
        /// The leaves in the file.
        exported: u64,
    },
    /// The recomputed root is not the signed one.
    #[error("the root recomputed from the leaves is not the checkpoint's root")]
    Root,
    /// The kept checkpoint is larger than the export's, so it cannot be checked.
    #[error("the trusted checkpoint ({trusted} events) is larger than the export ({exported})")]
    TrustedLarger {
        /// The kept checkpoint's size.
        trusted: u64,
        /// The export's size.
        exported: u64,
    },
    /// The log no longer extends the kept checkpoint: history was rewritten.
    #[error("the log's first {trusted} events no longer have the trusted checkpoint's root")]
    TrustedMismatch {
        /// The kept checkpoint's size.
        trusted: u64,
    },
}

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The export's signed checkpoint.
    pub checkpoint: CheckpointBody,
    /// The bytes of leaf data hashed.
    pub leaf_bytes: u64,
    /// The size of the kept checkpoint the log was shown to extend, if one was given.
    pub extends_trusted: Option<u64>,
}

/// Writes one item of an export.
pub fn write_item(out: &mut impl Write, item: &ExportAuditLogResponse) -> io::Result<()> {
    out.write_all(&item.encode_length_delimited_to_vec())
}

/// Reads the next item, or `None` at the end of the file.
pub fn read_item(
    input: &mut impl BufRead,
    index: u64,
    buf: &mut Vec<u8>,
) -> Result<Option<ExportAuditLogResponse>, VerifyError> {
    let mut len: u64 = 0;
    for shift in (0..64).step_by(7) {
        let mut byte = [0u8; 1];
        match input.read(&mut byte)? {
            0 if shift == 0 => return Ok(None),
            0 => return Err(VerifyError::Framing { index }),
            _ => {}
        }
        len |= u64::from(byte[0] & 0x7f) << shift;
        if byte[0] & 0x80 == 0 {
            break;
        }
        if shift == 63 {
            return Err(VerifyError::Framing { index });
        }
    }
    if len > MAX_ITEM_BYTES {
        return Err(VerifyError::Framing { index });
    }
    buf.resize(len as usize, 0);
    input
        .read_exact(buf)
        .map_err(|_| VerifyError::Framing { index })?;
    ExportAuditLogResponse::decode(&buf[..])
        .map(Some)
        .map_err(|_| VerifyError::Framing { index })
}

/// Verifies an export against the log's verifier key, and against `trusted` (a checkpoint
/// note kept from before, also verified with the key) when given.
pub fn verify(
    input: &mut impl BufRead,
    verifier_key: &str,
    trusted: Option<&str>,
) -> Result<Report, VerifyError> {
    let trusted = trusted
        .map(|note| checkpoint::open(note, verifier_key))
        .transpose()?;
    let mut range = CompactRange::new();
    let mut trusted_root: Option<Hash> = None;
    let mut leaf_bytes = 0u64;
    let mut buf = Vec::new();
    let mut index = 0u64;
    let closing = loop {
        let Some(item) = read_item(input, index, &mut buf)? else {
            return Err(VerifyError::Checkpoint);
        };
        index += 1;
        match item.item {
            Some(Item::Leaf(exported)) => {
                let expected = range.size();
                if u64::try_from(exported.sequence) != Ok(expected) {
                    return Err(VerifyError::Sequence {
                        expected,
                        found: exported.sequence,
                    });
                }
                leaf::decode(&exported.leaf).map_err(|error| VerifyError::Leaf {
                    sequence: expected,
                    error,
                })?;
                leaf_bytes += exported.leaf.len() as u64;
                range.push(leaf_hash(&exported.leaf), |_, _| {});
                if trusted
                    .as_ref()
                    .is_some_and(|t| t.tree_size == range.size())
                {
                    trusted_root = Some(range.root());
                }
            }
            Some(Item::Checkpoint(cp)) => break cp,
            None => return Err(VerifyError::Framing { index: index - 1 }),
        }
    };
    if read_item(input, index, &mut buf)?.is_some() {
        return Err(VerifyError::Checkpoint);
    }
    let body = checkpoint::open(&closing.note, verifier_key)?;
    if u64::try_from(closing.tree_size) != Ok(body.tree_size)
        || closing.root_hash != hex::encode(body.root)
    {
        return Err(VerifyError::Fields);
    }
    if body.tree_size != range.size() {
        return Err(VerifyError::Size {
            checkpoint: body.tree_size,
            exported: range.size(),
        });
    }
    if body.root != range.root() {
        return Err(VerifyError::Root);
    }
    let extends_trusted = match trusted {
        None => None,
        Some(t) if t.tree_size > body.tree_size => {
            return Err(VerifyError::TrustedLarger {
                trusted: t.tree_size,
                exported: body.tree_size,
            });
        }
        Some(t) => {
            let root = if t.tree_size == 0 {
                crate::tree::empty_root()
            } else {
                trusted_root.ok_or(VerifyError::TrustedMismatch {
                    trusted: t.tree_size,
                })?
            };
            if root != t.root {
                return Err(VerifyError::TrustedMismatch {
                    trusted: t.tree_size,
                });
            }
            Some(t.tree_size)
        }
    };
    Ok(Report {
        checkpoint: body,
        leaf_bytes,
        extends_trusted,
    })
}

#[cfg(test)]
#[path = "export_tests.rs"]
mod tests;
