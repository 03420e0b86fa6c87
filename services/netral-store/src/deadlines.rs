//! The deadline engine's read: the notices due by a day, straight from the `notice_on` index
//! of `case_deadlines` (however many deadlines are open, a scan reads only the due ones).

use chrono::NaiveDate;
use netral_domain::CaseId;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entity::case_children::deadlines;
use crate::error::StoreError;
use crate::store::Store;

/// A deadline with a notice due: which case, which deadline, since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueNotice {
    /// The case the deadline runs on.
    pub case_id: CaseId,
    /// The deadline's place in the case's list (from 0, as `CaseRecord::deadlines`).
    pub index: usize,
    /// The day its next notice fell due.
    pub notice_on: NaiveDate,
}

impl Store {
    /// Up to `limit` deadlines whose next notice is due by `today`, the longest-due first
    /// (then by case and deadline, so every scan sees the same order).
    pub async fn due_notices(
        &self,
        today: NaiveDate,
        limit: u64,
    ) -> Result<Vec<DueNotice>, StoreError> {
        let rows = deadlines::Entity::find()
            .select_only()
            .column(deadlines::Column::CaseId)
            .column(deadlines::Column::Seq)
            .column(deadlines::Column::NoticeOn)
            // Only open deadlines have a next notice (closing one clears it), so the
            // `notice_on` index alone answers; a status term would lead SQLite to the
            // (status, due_on) index and a walk over every open deadline.
            .filter(deadlines::Column::NoticeOn.lte(today))
            .order_by_asc(deadlines::Column::NoticeOn)
            .order_by_asc(deadlines::Column::CaseId)
            .order_by_asc(deadlines::Column::Seq)
            // SQL limits are signed: anything larger is "all of them".
            .limit(limit.min(i64::MAX as u64))
            .into_tuple::<(String, i32, Option<NaiveDate>)>()
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|(case_id, seq, notice_on)| {
                const T: &str = "case_deadlines";
                Ok(DueNotice {
                    case_id: case_id
                        .parse()
                        .map_err(|_| StoreError::corrupt(T, "case_id"))?,
                    index: usize::try_from(seq - 1).map_err(|_| StoreError::corrupt(T, "seq"))?,
                    notice_on: notice_on.ok_or_else(|| StoreError::corrupt(T, "notice_on"))?,
                })
            })
            .collect()
    }
}

/// The advisory lock key of the deadline engine's scan on PostgreSQL (`"dlscan"` in ASCII).
const SCAN_LOCK_KEY: i64 = 0x646c_7363_616e;

/// Proof that this process holds the deadline scan: on PostgreSQL a transaction holding a
/// transaction-level advisory lock (released when this is dropped or [`ScanLease::release`]d,
/// also if the process dies), on SQLite nothing (one writer, and the version guard of each
/// raise keeps even two processes from firing twice).
pub struct ScanLease {
    /// The transaction holding the lock, on PostgreSQL.
    txn: Option<sea_orm::DatabaseTransaction>,
}

impl ScanLease {
    /// Ends the lease.
    pub async fn release(self) -> Result<(), StoreError> {
        if let Some(txn) = self.txn {
            txn.rollback().await?;
        }
        Ok(())
    }
}

impl Store {
    /// Takes the deadline scan if no other replica holds it; `None` when one does. Replicas
    /// scanning at once would still fire each notice once (each raise is version-guarded),
    /// but the losers would only collect refusals.
    pub async fn try_lease_deadline_scan(&self) -> Result<Option<ScanLease>, StoreError> {
        use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
        if self.db.get_database_backend() != DbBackend::Postgres {
            return Ok(Some(ScanLease { txn: None }));
        }
        let txn = self.db.begin().await?;
        let row = txn
            .query_one(sea_orm::Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT pg_try_advisory_xact_lock({SCAN_LOCK_KEY}) AS held"),
            ))
            .await?;
        let held = row
            .map(|r| r.try_get::<bool>("", "held"))
            .transpose()?
            .unwrap_or(false);
        if held {
            Ok(Some(ScanLease { txn: Some(txn) }))
        } else {
            txn.rollback().await?;
            Ok(None)
        }
    }
}
