//! Reading the audit log: pages of events (only sequenced ones, so a page never changes once
//! served), a case's history, checkpoints, inclusion and consistency proofs from the stored
//! subtrees, and the leaves of an export.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use netral_audit::tree::{Hash, ProofPlan, ProofRequestError, Subtree};
use netral_domain::CaseId;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::entity::audit::{checkpoints, events, head, subtrees};
use crate::error::StoreError;
use crate::store::Store;

/// One sequenced event as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditEventRow {
    /// Its position in the log.
    pub sequence: u64,
    /// Its leaf (the `AuditLeaf` encoding), from which everything shown is read.
    pub leaf: Vec<u8>,
    /// The stored leaf hash (what proofs are built from).
    pub leaf_hash: Hash,
}

impl std::fmt::Debug for AuditEventRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditEventRow")
            .field("sequence", &self.sequence)
            .finish_non_exhaustive()
    }
}

/// Which events a page holds: every term given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this case's events.
    pub case_id: Option<CaseId>,
    /// Only this agency's acts (its id).
    pub actor: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// Only this outcome (`SUCCESS`, `DENIED`, …).
    pub outcome: Option<String>,
    /// Only events at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only events before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only events of the cases in this list (an agency that may read only some cases);
    /// `None` for no restriction.
    pub within_cases: Option<Vec<CaseId>>,
}

/// A stored signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// The tree size it covers.
    pub tree_size: u64,
    /// The root it signs.
    pub root: Hash,
    /// When it was signed.
    pub created_at: DateTime<Utc>,
    /// The signing key's id.
    pub key_id: String,
    /// The raw Ed25519 signature.
    pub signature: Vec<u8>,
    /// The whole signed note.
    pub note: String,
}

/// A stored hash column as a hash, or the column named as corrupt.
pub(crate) fn hash_of(bytes: &[u8], table: &str, column: &str) -> Result<Hash, StoreError> {
    Hash::try_from(bytes).map_err(|_| StoreError::corrupt(table, column))
}

fn event_row(model: events::Model) -> Result<AuditEventRow, StoreError> {
    let sequence = model
        .sequence
        .and_then(|s| u64::try_from(s).ok())
        .ok_or_else(|| StoreError::corrupt("audit_events", "sequence"))?;
    Ok(AuditEventRow {
        sequence,
        leaf_hash: hash_of(&model.leaf_hash, "audit_events", "leaf_hash")?,
        leaf: model.leaf,
    })
}

fn checkpoint_row(model: checkpoints::Model) -> Result<StoredCheckpoint, StoreError> {
    Ok(StoredCheckpoint {
        tree_size: u64::try_from(model.tree_size)
            .map_err(|_| StoreError::corrupt("audit_checkpoints", "tree_size"))?,
        root: hash_of(&model.root, "audit_checkpoints", "root")?,
        created_at: model.created_at,
        key_id: model.key_id,
        signature: model.signature,
        note: model.note,
    })
}

/// The stored hashes of `wanted` subtrees: leaves from `audit_events`, larger ones from
/// `audit_subtrees`. Missing ones are simply absent.
pub(crate) async fn fetch_subtrees<C: ConnectionTrait>(
    conn: &C,
    wanted: impl IntoIterator<Item = Subtree>,
) -> Result<HashMap<Subtree, Hash>, StoreError> {
    let (leaves, larger): (Vec<Subtree>, Vec<Subtree>) =
        wanted.into_iter().partition(|s| s.level == 0);
    let mut out = HashMap::new();
    if !leaves.is_empty() {
        let rows: Vec<(Option<i64>, Vec<u8>)> = events::Entity::find()
            .select_only()
            .column(events::Column::Sequence)
            .column(events::Column::LeafHash)
            .filter(events::Column::Sequence.is_in(leaves.iter().map(|s| s.index as i64)))
            .into_tuple()
            .all(conn)
            .await?;
        for (sequence, hash) in rows {
            let index = sequence
                .and_then(|s| u64::try_from(s).ok())
                .ok_or_else(|| StoreError::corrupt("audit_events", "sequence"))?;
            out.insert(
                Subtree { level: 0, index },
                hash_of(&hash, "audit_events", "leaf_hash")?,
            );
        }
    }
    if !larger.is_empty() {
        let any = larger.iter().fold(Condition::any(), |any, s| {
            any.add(
                subtrees::Column::Level
                    .eq(i16::from(s.level))
                    .and(subtrees::Column::Idx.eq(s.index as i64)),
            )
        });
        for row in subtrees::Entity::find().filter(any).all(conn).await? {
            let subtree = Subtree {
                level: u8::try_from(row.level)
                    .map_err(|_| StoreError::corrupt("audit_subtrees", "level"))?,
                index: u64::try_from(row.idx)
                    .map_err(|_| StoreError::corrupt("audit_subtrees", "idx"))?,
            };
            out.insert(subtree, hash_of(&row.hash, "audit_subtrees", "hash")?);
        }
    }
    Ok(out)
}

/// Why a proof was not given.
#[derive(Debug, thiserror::Error)]
pub enum ProofRefusal {
    /// The sizes or sequence asked for make no proof.
    #[error(transparent)]
    Request(#[from] ProofRequestError),
    /// The tree is not that large yet.
    #[error("the log holds {head} sequenced events")]
    BeyondHead {
        /// The sequenced tree size.
        head: u64,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// A page of sequenced events matching `filter`, after sequence `after`, oldest first.
    pub async fn audit_events(
        &self,
        filter: &AuditFilter,
        after: Option<u64>,
        limit: u64,
    ) -> Result<Vec<AuditEventRow>, StoreError> {
        use events::Column as E;
        let mut query = events::Entity::find().filter(E::Sequence.is_not_null());
        if let Some(after) = after {
            query = query.filter(E::Sequence.gt(after as i64));
        }
        if let Some(case) = filter.case_id {
            query = query.filter(E::CaseId.eq(case.to_string()));
        }
        if let Some(actor) = &filter.actor {
            query = query.filter(E::Actor.eq(actor.clone()));
        }
        if let Some(action) = &filter.action {
            query = query.filter(E::Action.eq(action.clone()));
        }
        if let Some(outcome) = &filter.outcome {
            query = query.filter(E::Outcome.eq(outcome.clone()));
        }
        if let Some(since) = filter.since {
            query = query.filter(E::CreatedAt.gte(since));
        }
        if let Some(until) = filter.until {
            query = query.filter(E::CreatedAt.lt(until));
        }
        if let Some(cases) = &filter.within_cases {
            query = query.filter(E::CaseId.is_in(cases.iter().map(|c| c.to_string())));
        }
        query
            .order_by_asc(E::Sequence)
            .limit(limit.min(i64::MAX as u64))
            .all(&self.db)
            .await?
            .into_iter()
            .map(event_row)
            .collect()
    }

    /// The sequenced leaves `[start, end)`, at most `limit` of them, in order (an export's
    /// page).
    pub async fn audit_leaves(
        &self,
        start: u64,
        end: u64,
        limit: u64,
    ) -> Result<Vec<AuditEventRow>, StoreError> {
        events::Entity::find()
            .filter(events::Column::Sequence.gte(start as i64))
            .filter(events::Column::Sequence.lt(end as i64))
            .order_by_asc(events::Column::Sequence)
            .limit(limit.min(i64::MAX as u64))
            .all(&self.db)
            .await?
            .into_iter()
            .map(event_row)
            .collect()
    }

    /// How many events are sequenced.
    pub async fn audit_tree_size(&self) -> Result<u64, StoreError> {
        let head = head::Entity::find_by_id(1)
            .one(&self.db)
            .await?
            .ok_or_else(|| StoreError::corrupt("audit_log_head", "id"))?;
        u64::try_from(head.tree_size)
            .map_err(|_| StoreError::corrupt("audit_log_head", "tree_size"))
    }

    /// How many events wait for the sequencer.
    pub async fn audit_events_waiting(&self) -> Result<u64, StoreError> {
        use sea_orm::PaginatorTrait;
        Ok(events::Entity::find()
            .filter(events::Column::Sequence.is_null())
            .count(&self.db)
            .await?)
    }

    /// The checkpoint of `tree_size`, or the latest for `None`.
    pub async fn audit_checkpoint(
        &self,
        tree_size: Option<u64>,
    ) -> Result<Option<StoredCheckpoint>, StoreError> {
        let row = match tree_size {
            Some(size) => {
                checkpoints::Entity::find_by_id(size as i64)
                    .one(&self.db)
                    .await?
            }
            None => {
                checkpoints::Entity::find()
                    .order_by_desc(checkpoints::Column::TreeSize)
                    .one(&self.db)
                    .await?
            }
        };
        row.map(checkpoint_row).transpose()
    }

    /// Every stored checkpoint, smallest first.
    pub async fn audit_checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError> {
        self.audit_checkpoint_page(None, u64::MAX).await
    }

    /// At most `limit` stored checkpoints larger than `after`, smallest first.
    pub async fn audit_checkpoint_page(
        &self,
        after: Option<u64>,
        limit: u64,
    ) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let mut query = checkpoints::Entity::find();
        if let Some(after) = after {
            query = query.filter(checkpoints::Column::TreeSize.gt(after as i64));
        }
        query
            .order_by_asc(checkpoints::Column::TreeSize)
            .limit(limit.min(i64::MAX as u64))
            .all(&self.db)
            .await?
            .into_iter()
            .map(checkpoint_row)
            .collect()
    }

    /// The stored leaf hash of `sequence` and its inclusion proof in the tree of `size`.
    pub async fn audit_inclusion_proof(
        &self,
        sequence: u64,
        size: u64,
    ) -> Result<(Hash, Vec<Hash>), ProofRefusal> {
        let plan = ProofPlan::inclusion(sequence, size)?;
        self.within_head(size).await?;
        let leaf = Subtree {
            level: 0,
            index: sequence,
        };
        let stored = fetch_subtrees(&self.db, plan.subtrees().into_iter().chain([leaf])).await?;
        let missing = || StoreError::corrupt("audit_subtrees", "hash");
        let leaf_hash = *stored.get(&leaf).ok_or_else(missing)?;
        let proof = plan.assemble(&stored).ok_or_else(missing)?;
        Ok((leaf_hash, proof))
    }

    /// The proof that the tree of `first` events is a prefix of the tree of `second`.
    pub async fn audit_consistency_proof(
        &self,
        first: u64,
        second: u64,
    ) -> Result<Vec<Hash>, ProofRefusal> {
        let plan = ProofPlan::consistency(first, second)?;
        self.within_head(second).await?;
        let stored = fetch_subtrees(&self.db, plan.subtrees()).await?;
        Ok(plan
            .assemble(&stored)
            .ok_or_else(|| StoreError::corrupt("audit_subtrees", "hash"))?)
    }

    async fn within_head(&self, size: u64) -> Result<(), ProofRefusal> {
        let head = self.audit_tree_size().await?;
        if size > head {
            return Err(ProofRefusal::BeyondHead { head });
        }
        Ok(())
    }
}
