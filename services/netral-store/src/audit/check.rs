//! The server's self-check: it recomputes the stored log from its leaves and holds it
//! against every signed checkpoint, as `netral audit verify` does with an export. Someone
//! with database access who changes a leaf, deletes, reorders or truncates events, edits a
//! stored leaf hash or subtree, or replaces a checkpoint, is found here.

use netral_audit::checkpoint;
use netral_audit::tree::{CompactRange, Subtree, decompose, leaf_hash};

use super::read::fetch_subtrees;
use crate::error::StoreError;
use crate::store::Store;

/// How many leaves the self-check reads at a time.
const PAGE: u64 = 2_000;

/// Something the self-check found wrong. Its text names positions and sizes, never content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogFinding {
    /// A stored checkpoint does not verify with the log's key, or its columns disagree with
    /// its signed note.
    #[error("checkpoint {tree_size}: {why}")]
    Checkpoint {
        /// The checkpoint's stored size.
        tree_size: u64,
        /// What is wrong.
        why: String,
    },
    /// The leaf at a position is missing (deleted, or the log truncated).
    #[error("the event at sequence {sequence} is missing")]
    Missing {
        /// The position with no event.
        sequence: u64,
    },
    /// A leaf's bytes are not an `AuditLeaf`, or its stored hash is not its hash.
    #[error("the event at sequence {sequence} was altered")]
    Altered {
        /// The altered event's position.
        sequence: u64,
    },
    /// The recomputed root at a checkpoint's size is not the signed root.
    #[error("the log's first {tree_size} events no longer have the signed root")]
    Root {
        /// The checkpoint's size.
        tree_size: u64,
    },
    /// A stored subtree on the log's right edge (used by every proof) is not what the
    /// leaves give.
    #[error("the stored subtree at level {level}, index {index} is wrong")]
    Subtree {
        /// The subtree's height.
        level: u8,
        /// Its index.
        index: u64,
    },
}

impl Store {
    /// Recomputes the log from its leaves up to the latest checkpoint and checks it against
    /// every stored checkpoint (signature with `verifier_key`, size and root), the stored
    /// leaf hashes and the right edge's stored subtrees. An empty list means the log is
    /// intact.
    pub async fn check_audit_log(&self, verifier_key: &str) -> Result<Vec<LogFinding>, StoreError> {
        let mut findings = Vec::new();
        let checkpoints = self.audit_checkpoints().await?;
        for cp in &checkpoints {
            match checkpoint::open(&cp.note, verifier_key) {
                Ok(body) if body.tree_size == cp.tree_size && body.root == cp.root => {}
                Ok(_) => findings.push(LogFinding::Checkpoint {
                    tree_size: cp.tree_size,
                    why: "its columns disagree with its signed note".into(),
                }),
                Err(err) => findings.push(LogFinding::Checkpoint {
                    tree_size: cp.tree_size,
                    why: err.to_string(),
                }),
            }
        }
        let end = checkpoints.last().map_or(0, |cp| cp.tree_size);
        let mut edge = CompactRange::new();
        let mut due = checkpoints.iter().peekable();
        while due.peek().is_some_and(|cp| cp.tree_size == 0) {
            due.next();
        }
        while edge.size() < end {
            let page = self.audit_leaves(edge.size(), end, PAGE).await?;
            if page.is_empty() {
                findings.push(LogFinding::Missing {
                    sequence: edge.size(),
                });
                break;
            }
            for row in page {
                if row.sequence != edge.size() {
                    findings.push(LogFinding::Missing {
                        sequence: edge.size(),
                    });
                    return Ok(findings);
                }
                let hash = leaf_hash(&row.leaf);
                if hash != row.leaf_hash || netral_audit::leaf::decode(&row.leaf).is_err() {
                    findings.push(LogFinding::Altered {
                        sequence: row.sequence,
                    });
                }
                edge.push(hash, |_, _| {});
                while let Some(cp) = due.next_if(|cp| cp.tree_size == edge.size()) {
                    if cp.root != edge.root() {
                        findings.push(LogFinding::Root {
                            tree_size: cp.tree_size,
                        });
                    }
                }
            }
        }
        if findings.is_empty() && end > 0 {
            findings.extend(self.check_right_edge(&edge, end).await?);
        }
        Ok(findings)
    }

    /// Compares the stored subtrees tiling `[0, end)` with the recomputed ones.
    async fn check_right_edge(
        &self,
        edge: &CompactRange,
        end: u64,
    ) -> Result<Vec<LogFinding>, StoreError> {
        let tiles: Vec<Subtree> = decompose(0, end);
        let stored = fetch_subtrees(&self.db, tiles.iter().copied()).await?;
        let recomputed = edge.tiles();
        Ok(tiles
            .iter()
            .zip(recomputed)
            .filter(|(tile, (_, hash))| stored.get(tile) != Some(hash))
            .map(|(tile, _)| LogFinding::Subtree {
                level: tile.level,
                index: tile.index,
            })
            .collect())
    }
}
