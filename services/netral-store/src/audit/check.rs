//! The server's self-check: it recomputes the stored log from its leaves and holds it
//! against every signed checkpoint, as `netral audit verify` does with an export. Someone
//! with database access who changes a leaf, deletes, reorders or truncates events, edits a
//! stored leaf hash or subtree, or replaces a checkpoint, is found here.

use netral_audit::checkpoint;
use netral_audit::tree::{CompactRange, Subtree, decompose, leaf_hash};

use super::read::fetch_subtrees;
use crate::error::StoreError;
use crate::store::Store;

/// How many leaves (and checkpoints) the self-check reads at a time: memory stays bounded
/// however long the log and however many checkpoints were signed.
const PAGE: u64 = 2_000;

/// The stored checkpoints not yet checked, read a page at a time, smallest first.
struct Due<'a> {
    store: &'a Store,
    verifier_key: &'a str,
    /// The next checkpoints, smallest first.
    page: std::collections::VecDeque<crate::audit::StoredCheckpoint>,
    /// The size of the last checkpoint read; `None` before the first page.
    read_up_to: Option<u64>,
    /// No checkpoint is left to read.
    exhausted: bool,
}

impl<'a> Due<'a> {
    fn new(store: &'a Store, verifier_key: &'a str) -> Self {
        Self {
            store,
            verifier_key,
            page: Default::default(),
            read_up_to: None,
            exhausted: false,
        }
    }

    /// Checks every checkpoint of exactly `size` events: its signature and columns, and
    /// (given) that `root` is its root. Smaller unchecked ones cannot exist: sizes are
    /// visited in order.
    async fn check_up_to(
        &mut self,
        size: u64,
        root: Option<netral_audit::Hash>,
        findings: &mut Vec<LogFinding>,
    ) -> Result<(), StoreError> {
        loop {
            if self.page.is_empty() && !self.exhausted {
                let next = self
                    .store
                    .audit_checkpoint_page(self.read_up_to, PAGE)
                    .await?;
                self.exhausted = next.len() < PAGE as usize;
                self.read_up_to = next.last().map(|cp| cp.tree_size).or(self.read_up_to);
                self.page.extend(next);
            }
            let Some(cp) = self.page.front() else {
                return Ok(());
            };
            if cp.tree_size > size {
                return Ok(());
            }
            match checkpoint::open(&cp.note, self.verifier_key) {
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
            if root.is_some_and(|root| root != cp.root) {
                findings.push(LogFinding::Root {
                    tree_size: cp.tree_size,
                });
            }
            self.page.pop_front();
        }
    }
}

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
        Ok(self
            .check_audit_log_from(verifier_key, CompactRange::new())
            .await?
            .0)
    }

    /// Checks only the newest part of the log: from `start`, the right edge a previous check
    /// recomputed (whose stored subtrees must still be as recomputed then), up to the latest
    /// checkpoint, against every checkpoint signed since. Answers the findings and the right
    /// edge reached, to start from next time.
    pub async fn check_audit_log_from(
        &self,
        verifier_key: &str,
        start: CompactRange,
    ) -> Result<(Vec<LogFinding>, CompactRange), StoreError> {
        let mut findings = Vec::new();
        let Some(latest) = self.audit_checkpoint(None).await? else {
            return Ok((findings, start));
        };
        let end = latest.tree_size;
        if end < start.size() {
            findings.push(LogFinding::Root { tree_size: end });
            return Ok((findings, start));
        }
        let mut due = Due::new(self, verifier_key);
        if start.size() == 0 {
            let empty = Some(netral_audit::tree::empty_root());
            due.check_up_to(0, empty, &mut findings).await?;
        } else {
            due.read_up_to = Some(start.size());
            findings.extend(self.check_right_edge(&start, start.size()).await?);
        }
        let mut edge = start;
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
                    return Ok((findings, edge));
                }
                let hash = leaf_hash(&row.leaf);
                if hash != row.leaf_hash || netral_audit::leaf::decode(&row.leaf).is_err() {
                    findings.push(LogFinding::Altered {
                        sequence: row.sequence,
                    });
                }
                edge.push(hash, |_, _| {});
                due.check_up_to(edge.size(), Some(edge.root()), &mut findings)
                    .await?;
            }
        }
        if findings.is_empty() && end > 0 {
            findings.extend(self.check_right_edge(&edge, end).await?);
        }
        Ok((findings, edge))
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
