//! Erasure of a subject's personal data on request (UU 27/2022): every `subjects` row with
//! the identifier becomes a tombstone (identifier, name and position blanked, `erased_at`
//! set; the identifier's kind and the employing instance, which is not personal, stay), the
//! stored first replies of those cases' requests (which carry the data) are deleted, and
//! the erasure's own audit events are appended, all in one transaction. The audit log holds
//! the subject only as a keyed digest, so no leaf, proof or checkpoint changes.

use chrono::{DateTime, Utc};
use netral_domain::{CaseId, SubjectId};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::audit::AuditRecord;
use crate::codec::Keyword;
use crate::entity::{cases, idempotency_keys, subjects};
use crate::error::StoreError;
use crate::store::Store;

impl Store {
    /// Erases the personal data of the subject `id` from every case naming it and appends
    /// the audit events `records` builds for those cases, atomically. Answers the cases
    /// (none if the identifier is unknown or already erased: nothing is written then).
    pub async fn erase_subject(
        &self,
        id: &SubjectId,
        at: DateTime<Utc>,
        records: impl FnOnce(&[CaseId]) -> Vec<AuditRecord>,
    ) -> Result<Vec<CaseId>, StoreError> {
        if id.is_erased() {
            return Ok(Vec::new());
        }
        if !crate::convert::representable(at) {
            return Err(StoreError::Unrepresentable("at"));
        }
        let (txn, _gate) = crate::writer::begin(&self.db, &self.write_gate).await?;
        let rows: Vec<String> = subjects::Entity::find()
            .select_only()
            .column(subjects::Column::Id)
            .filter(subjects::Column::IdKind.eq(id.kind().keyword()))
            .filter(subjects::Column::IdValue.eq(id.as_str()))
            .filter(subjects::Column::ErasedAt.is_null())
            .into_tuple()
            .all(&txn)
            .await?;
        if rows.is_empty() {
            txn.rollback().await?;
            return Ok(Vec::new());
        }
        let case_ids: Vec<String> = cases::Entity::find()
            .select_only()
            .column(cases::Column::Id)
            .filter(cases::Column::SubjectId.is_in(rows.clone()))
            .into_tuple()
            .all(&txn)
            .await?;
        let cases = case_ids
            .iter()
            .map(|c| c.parse().map_err(|_| StoreError::corrupt("cases", "id")))
            .collect::<Result<Vec<CaseId>, _>>()?;
        subjects::Entity::update_many()
            .col_expr(subjects::Column::IdValue, Expr::value(""))
            .col_expr(subjects::Column::FullName, Expr::value(""))
            .col_expr(subjects::Column::Position, Expr::value(""))
            .col_expr(subjects::Column::ErasedAt, Expr::value(at))
            .filter(subjects::Column::Id.is_in(rows))
            .exec(&txn)
            .await?;
        idempotency_keys::Entity::delete_many()
            .filter(idempotency_keys::Column::CaseId.is_in(case_ids))
            .exec(&txn)
            .await?;
        for record in records(&cases) {
            crate::audit::record::insert(&txn, &record).await?;
        }
        txn.commit().await?;
        Ok(cases)
    }
}
