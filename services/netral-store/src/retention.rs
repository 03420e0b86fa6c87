//! Idempotency keys do not live forever: a key answers retries of its request for a retention
//! period (the server's setting, 30 days by default), then [`Store::purge_idempotency_keys`]
//! deletes it in bounded batches, so the table stays the size of a month's traffic and no
//! purge holds a long lock. A request retried after its key is gone is not applied twice
//! either: its etag is stale by then (or its registration number taken), so it is refused.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::entity::idempotency_keys;
use crate::error::StoreError;
use crate::store::Store;

impl Store {
    /// Deletes at most `batch` idempotency keys created before `before`, oldest first, and
    /// says how many it deleted; call it again while it returns `batch`.
    pub async fn purge_idempotency_keys(
        &self,
        before: DateTime<Utc>,
        batch: u64,
    ) -> Result<u64, StoreError> {
        use idempotency_keys::Column as K;
        let oldest = Query::select()
            .columns([K::AgencyId, K::RequestId])
            .from(idempotency_keys::Entity)
            .and_where(K::CreatedAt.lt(before))
            .order_by(K::CreatedAt, sea_orm::Order::Asc)
            .limit(batch)
            .to_owned();
        let _gate = self.lock_writes().await?;
        let deleted = idempotency_keys::Entity::delete_many()
            .filter(
                Expr::tuple([
                    Expr::col(K::AgencyId).into(),
                    Expr::col(K::RequestId).into(),
                ])
                .in_subquery(oldest),
            )
            .exec(&self.db)
            .await?;
        let acks = crate::entity::inbox::ack_requests::Entity::delete_many()
            .filter(crate::entity::inbox::ack_requests::Column::CreatedAt.lt(before))
            .exec(&self.db)
            .await?;
        Ok(deleted.rows_affected + acks.rows_affected)
    }
}
