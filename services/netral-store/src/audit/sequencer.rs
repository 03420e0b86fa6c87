//! The sequencer: one at a time across replicas (the row lock on `audit_log_head`, taken
//! with `SKIP LOCKED` on PostgreSQL, so a second replica simply finds nothing to do; on
//! SQLite the transaction's write lock), it gives waiting events the next sequence numbers
//! in one transaction, stores the complete subtrees they finish and moves the head. Steps
//! never wait for it: they append unsequenced rows and take no global lock.
//!
//! Checkpoints sign the head as it stands; their table is keyed by tree size, so two
//! replicas signing the same head store it once.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use netral_audit::tree::{CompactRange, Hash, Subtree, decompose};
use netral_audit::{LogSigner, SignedCheckpoint};
use sea_orm::sea_query::{CaseStatement, Expr, LockBehavior, LockType, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::read::{fetch_subtrees, hash_of};
use crate::entity::audit::{checkpoints, events, head, subtrees};
use crate::error::StoreError;
use crate::store::Store;

/// How many rows one `UPDATE … CASE` or multi-row `INSERT` carries.
const STATEMENT_ROWS: usize = 200;

impl Store {
    /// Sequences up to `batch` waiting events; says how many. With `wait`, it waits for a
    /// sequencer running elsewhere to finish (so everything committed before the call is
    /// then sequenced or in this batch); without, it returns 0 at once when another replica
    /// is sequencing (the background loop: no pile-up behind the lock).
    pub async fn sequence_audit_events(&self, batch: u64, wait: bool) -> Result<u64, StoreError> {
        let (txn, _gate) = crate::writer::begin(&self.db, &self.write_gate).await?;
        let Some(head) = lock_head(&txn, wait).await? else {
            txn.rollback().await?;
            return Ok(0);
        };
        let waiting: Vec<(i64, Vec<u8>)> = events::Entity::find()
            .select_only()
            .column(events::Column::Id)
            .column(events::Column::LeafHash)
            .filter(events::Column::Sequence.is_null())
            .order_by_asc(events::Column::Id)
            .limit(batch.min(i64::MAX as u64))
            .into_tuple()
            .all(&txn)
            .await?;
        if waiting.is_empty() {
            txn.rollback().await?;
            return Ok(0);
        }
        let size = u64::try_from(head.tree_size)
            .map_err(|_| StoreError::corrupt("audit_log_head", "tree_size"))?;
        let mut edge = right_edge(&txn, size).await?;
        let mut completed = Vec::new();
        let mut sequences = Vec::with_capacity(waiting.len());
        for (id, leaf_hash) in &waiting {
            let hash = hash_of(leaf_hash, "audit_events", "leaf_hash")?;
            sequences.push((*id, edge.size() as i64));
            edge.push(hash, |subtree, hash| completed.push((subtree, *hash)));
        }
        for chunk in sequences.chunks(STATEMENT_ROWS) {
            let mut case = CaseStatement::new();
            for (id, sequence) in chunk {
                case = case.case(events::Column::Id.eq(*id), Expr::val(*sequence));
            }
            events::Entity::update_many()
                .col_expr(events::Column::Sequence, case.into())
                .filter(events::Column::Id.is_in(chunk.iter().map(|(id, _)| *id)))
                .exec(&txn)
                .await?;
        }
        for chunk in completed.chunks(STATEMENT_ROWS) {
            let rows = chunk.iter().map(|(subtree, hash)| subtrees::ActiveModel {
                level: Set(i16::from(subtree.level)),
                idx: Set(subtree.index as i64),
                hash: Set(hash.to_vec()),
            });
            subtrees::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await?;
        }
        head::Entity::update(head::ActiveModel {
            id: Set(1),
            tree_size: Set(edge.size() as i64),
            root: Set(edge.root().to_vec()),
        })
        .exec(&txn)
        .await?;
        txn.commit().await?;
        Ok(waiting.len() as u64)
    }

    /// Signs the head if no checkpoint covers it yet (the empty log included) and stores the
    /// checkpoint; `None` when the latest checkpoint is already the head's.
    pub async fn sign_audit_checkpoint(
        &self,
        signer: &LogSigner,
        at: DateTime<Utc>,
    ) -> Result<Option<SignedCheckpoint>, StoreError> {
        let head = head::Entity::find_by_id(1)
            .one(&self.db)
            .await?
            .ok_or_else(|| StoreError::corrupt("audit_log_head", "id"))?;
        if checkpoints::Entity::find_by_id(head.tree_size)
            .one(&self.db)
            .await?
            .is_some()
        {
            return Ok(None);
        }
        let size = u64::try_from(head.tree_size)
            .map_err(|_| StoreError::corrupt("audit_log_head", "tree_size"))?;
        let root = hash_of(&head.root, "audit_log_head", "root")?;
        let signed = signer
            .sign(size, root)
            .map_err(|e| StoreError::Open(format!("signing a checkpoint: {e}")))?;
        let row = checkpoints::ActiveModel {
            tree_size: Set(head.tree_size),
            root: Set(root.to_vec()),
            created_at: Set(crate::storage_instant(at)),
            key_id: Set(signer.key_id()),
            signature: Set(signed.signature.clone()),
            note: Set(signed.note.clone()),
        };
        let _gate = self.lock_writes().await?;
        checkpoints::Entity::insert(row)
            .on_conflict(
                OnConflict::column(checkpoints::Column::TreeSize)
                    .do_nothing()
                    .to_owned(),
            )
            .do_nothing()
            .exec_without_returning(&self.db)
            .await?;
        Ok(Some(signed))
    }
}

/// The head, locked for this transaction; `None` if another replica holds it and `wait` is
/// false. (On SQLite the transaction's write lock, taken by `begin`, already excludes every
/// other sequencer.)
async fn lock_head(
    txn: &DatabaseTransaction,
    wait: bool,
) -> Result<Option<head::Model>, StoreError> {
    let mut query = head::Entity::find_by_id(1);
    if txn.get_database_backend() == DbBackend::Postgres {
        query = match wait {
            true => query.lock(LockType::Update),
            false => query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked),
        };
    }
    Ok(query.one(txn).await?)
}

/// The log's right edge at `size`, from the stored subtrees that tile it.
async fn right_edge(txn: &DatabaseTransaction, size: u64) -> Result<CompactRange, StoreError> {
    let tiles = decompose(0, size);
    let stored: HashMap<Subtree, Hash> = fetch_subtrees(txn, tiles.iter().copied()).await?;
    let hashes = tiles
        .iter()
        .map(|t| stored.get(t).copied())
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| StoreError::corrupt("audit_subtrees", "hash"))?;
    CompactRange::from_tiles(size, &hashes)
        .ok_or_else(|| StoreError::corrupt("audit_subtrees", "hash"))
}
