//! RFC 6962 (§2.1) Merkle tree hashing for a log whose nodes live in a database.
//!
//! The log stores, once and for all, the hash of every *complete* subtree (2^level leaves
//! starting at a multiple of 2^level): such a hash never changes as the log grows. Any node
//! of the tree at any size, including the ragged right edge, is the right fold of the
//! complete subtrees that tile its leaf range ([`decompose`]). Proofs are shaped by
//! `ct-merkle` (which node indices a proof needs, the proof types and their verification);
//! this module only maps those nodes to stored subtrees and folds them.

use std::collections::{BTreeSet, HashMap};

use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use sha2::{Digest, Sha256};

/// A SHA-256 node or leaf hash.
pub type Hash = [u8; 32];

/// The Merkle tree hash of the empty log: SHA-256 of nothing (RFC 6962 §2.1).
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// `SHA-256(0x00 || leaf)`.
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut hasher = Sha256::new_with_prefix([0x00]);
    hasher.update(leaf);
    hasher.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn parent_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new_with_prefix([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// A complete subtree: the 2^`level` leaves starting at `index` × 2^`level`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subtree {
    /// Its height: 0 for a single leaf.
    pub level: u8,
    /// Its position among the subtrees of that height, from the left.
    pub index: u64,
}

impl Subtree {
    /// The first leaf it covers.
    pub fn start(self) -> u64 {
        self.index << self.level
    }

    /// One past the last leaf it covers.
    pub fn end(self) -> u64 {
        (self.index + 1) << self.level
    }
}

/// The complete subtrees tiling leaves `[start, end)`, largest first. `start` must be a
/// multiple of the first (largest) one's width, which holds for every node of the tree.
pub fn decompose(start: u64, end: u64) -> Vec<Subtree> {
    let mut out = Vec::new();
    let mut at = start;
    while at < end {
        let level = (end - at).ilog2() as u8;
        debug_assert_eq!(at % (1u64 << level), 0, "range start not aligned");
        out.push(Subtree {
            level,
            index: at >> level,
        });
        at += 1u64 << level;
    }
    out
}

/// The hash of a range from the hashes of its tiling (as [`decompose`] orders it).
pub fn fold(tiles: &[Hash]) -> Option<Hash> {
    let (last, rest) = tiles.split_last()?;
    Some(rest.iter().rev().fold(*last, |acc, h| parent_hash(h, &acc)))
}

/// The leaf range `[start, end)` of node `index` (an array-based tree index, as
/// `ct-merkle` numbers nodes) in a tree of `size` leaves.
fn node_range(index: u64, size: u64) -> (u64, u64) {
    let level = index.trailing_ones();
    let start = (index >> (level + 1)) << level;
    (start, (start + (1u64 << level)).min(size))
}

/// Why a proof cannot be made for the sizes asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofRequestError {
    /// The sequence is not below the tree size.
    #[error("sequence {sequence} is not in a tree of {size} events")]
    NotInTree {
        /// The leaf asked for.
        sequence: u64,
        /// The tree size asked for.
        size: u64,
    },
    /// A consistency proof needs 0 < first ≤ second.
    #[error("no consistency proof from {first} to {second} events")]
    BadSizes {
        /// The smaller tree.
        first: u64,
        /// The larger tree.
        second: u64,
    },
}

/// The nodes a proof is made of, each as the leaf range it covers, in proof order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofPlan {
    ranges: Vec<(u64, u64)>,
}

impl ProofPlan {
    /// The plan of the inclusion proof of leaf `sequence` in a tree of `size` leaves.
    pub fn inclusion(sequence: u64, size: u64) -> Result<Self, ProofRequestError> {
        if sequence >= size || size > u64::MAX / 2 {
            return Err(ProofRequestError::NotInTree { sequence, size });
        }
        let nodes = ct_merkle::indices_for_inclusion_proof(size, sequence);
        Ok(Self::of(nodes, size))
    }

    /// The plan of the proof that a tree of `first` leaves is a prefix of one of `second`.
    pub fn consistency(first: u64, second: u64) -> Result<Self, ProofRequestError> {
        if first == 0 || first > second || second > u64::MAX / 2 {
            return Err(ProofRequestError::BadSizes { first, second });
        }
        let nodes = ct_merkle::indices_for_consistency_proof(first, second - first);
        Ok(Self::of(nodes, second))
    }

    fn of(nodes: Vec<u64>, size: u64) -> Self {
        Self {
            ranges: nodes.into_iter().map(|n| node_range(n, size)).collect(),
        }
    }

    /// Every stored subtree the proof needs.
    pub fn subtrees(&self) -> BTreeSet<Subtree> {
        self.ranges
            .iter()
            .flat_map(|&(start, end)| decompose(start, end))
            .collect()
    }

    /// The proof's hashes, from the stored subtrees' hashes; `None` if one is missing.
    pub fn assemble(&self, stored: &HashMap<Subtree, Hash>) -> Option<Vec<Hash>> {
        self.ranges
            .iter()
            .map(|&(start, end)| {
                let tiles: Option<Vec<Hash>> = decompose(start, end)
                    .into_iter()
                    .map(|s| stored.get(&s).copied())
                    .collect();
                fold(&tiles?)
            })
            .collect()
    }
}

/// Why a proof does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The proof has the wrong number of hashes for the sizes claimed.
    #[error("the proof has the wrong length for the tree sizes")]
    Malformed,
    /// The hashes do not lead to the root.
    #[error("the proof does not lead to the checkpoint's root")]
    Mismatch,
}

/// Checks that the tree of `first` leaves with `first_root` is a prefix of the tree of
/// `second` leaves with `second_root` (ct-merkle's RFC 9162 §2.1.4.2 verifier).
pub fn verify_consistency(
    first: u64,
    first_root: &Hash,
    second: u64,
    second_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if first == 0 || first > second {
        return Err(ProofError::Malformed);
    }
    let old = RootHash::<Sha256>::new((*first_root).into(), first);
    let new = RootHash::<Sha256>::new((*second_root).into(), second);
    let digests: Vec<_> = proof.iter().map(|h| (*h).into()).collect();
    let proof = ConsistencyProof::<Sha256>::from_digests(digests.iter());
    new.verify_consistency(&old, &proof).map_err(|e| match e {
        ct_merkle::ConsistencyVerifError::MalformedProof => ProofError::Malformed,
        _ => ProofError::Mismatch,
    })
}

/// Checks that `leaf` (an event's `AuditLeaf` encoding) sits at `sequence` in the tree of
/// `size` leaves with `root` (ct-merkle's RFC 9162 §2.1.3.2 verifier).
pub fn verify_inclusion(
    leaf: &[u8],
    sequence: u64,
    size: u64,
    root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    let root = RootHash::<Sha256>::new((*root).into(), size);
    let digests: Vec<_> = proof.iter().map(|h| (*h).into()).collect();
    let proof = InclusionProof::<Sha256>::from_digests(digests.iter());
    root.verify_inclusion(&leaf, sequence, &proof)
        .map_err(|e| match e {
            ct_merkle::InclusionVerifError::MalformedProof => ProofError::Malformed,
            _ => ProofError::Mismatch,
        })
}

/// The log's right edge: the complete subtrees tiling leaves `[0, size)`, to which leaves
/// are appended one at a time. Appending reports every subtree it completes, which is what
/// the sequencer stores; its root is the tree's root at any size.
#[derive(Debug, Clone, Default)]
pub struct CompactRange {
    size: u64,
    /// The tiling subtrees with their hashes, largest (leftmost) first.
    tiles: Vec<(Subtree, Hash)>,
}

impl CompactRange {
    /// The empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// The edge of a log of `size` leaves from the hashes of `decompose(0, size)`, in that
    /// order; `None` if the count does not match.
    pub fn from_tiles(size: u64, hashes: &[Hash]) -> Option<Self> {
        let tiles = decompose(0, size);
        if tiles.len() != hashes.len() {
            return None;
        }
        Some(Self {
            size,
            tiles: tiles.into_iter().zip(hashes.iter().copied()).collect(),
        })
    }

    /// The number of leaves covered.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends the next leaf's hash; `completed` sees each subtree of two or more leaves
    /// that this leaf completes, smallest first.
    pub fn push(&mut self, leaf_hash: Hash, mut completed: impl FnMut(Subtree, &Hash)) {
        let mut node = (
            Subtree {
                level: 0,
                index: self.size,
            },
            leaf_hash,
        );
        self.size += 1;
        while let Some(&(left, left_hash)) = self.tiles.last() {
            if left.level != node.0.level {
                break;
            }
            self.tiles.pop();
            let merged = Subtree {
                level: left.level + 1,
                index: left.index / 2,
            };
            let hash = parent_hash(&left_hash, &node.1);
            completed(merged, &hash);
            node = (merged, hash);
        }
        self.tiles.push(node);
    }

    /// The subtrees tiling the leaves covered, as [`decompose`] orders them, with hashes.
    pub fn tiles(&self) -> &[(Subtree, Hash)] {
        &self.tiles
    }

    /// The Merkle tree hash of the leaves covered.
    pub fn root(&self) -> Hash {
        let hashes: Vec<Hash> = self.tiles.iter().map(|(_, h)| *h).collect();
        fold(&hashes).unwrap_or_else(empty_root)
    }
}

#[cfg(test)]
#[path = "tree_tests.rs"]
mod tests;
