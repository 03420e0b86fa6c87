//! Acknowledging an agency's inbox up to a cursor: a write on a writer lane (durable when
//! answered), monotonic (acknowledging an older cursor changes nothing) and idempotent by
//! request id (a retry answers what the first call answered).

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use netral_domain::{AgencyId, CaseId};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, Set};
use tokio::sync::oneshot;

use super::read::acknowledged;
use crate::entity::inbox::{ack_requests, cursors, messages};
use crate::error::StoreError;
use crate::store::Store;
use crate::writer::{Job, Savepoint, Settle};

/// One acknowledgement request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckRequest {
    /// Whose inbox.
    pub agency: AgencyId,
    /// The caller's idempotency key.
    pub request_id: uuid::Uuid,
    /// Everything up to this cursor is acknowledged; it must be one of the agency's messages.
    pub cursor: i64,
    /// When (the server's clock).
    pub at: DateTime<Utc>,
}

impl Store {
    /// Acknowledges the agency's messages up to `request.cursor`; answers how many became
    /// acknowledged (0 when they already were), once durable. A cursor that is not one of the
    /// agency's messages is [`StoreError::UnknownCursor`]; a request id reused with another
    /// cursor is [`StoreError::RequestIdReused`].
    pub async fn ack_inbox(&self, request: AckRequest) -> Result<i64, StoreError> {
        if !crate::convert::representable(request.at) {
            return Err(StoreError::Unrepresentable("at"));
        }
        let (reply, answer) = oneshot::channel();
        // One agency's acknowledgements always take the same lane, so two of them never race
        // on its cursor row from two transactions.
        let lane = CaseId::from_uuid(uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            request.agency.as_str().as_bytes(),
        ));
        self.writers
            .submit(lane, Box::new(AckJob { request, reply }))
            .await?;
        answer.await.map_err(|_| StoreError::StepLost)?
    }
}

/// An acknowledgement waiting for its lane.
struct AckJob {
    request: AckRequest,
    reply: oneshot::Sender<Result<i64, StoreError>>,
}

impl Job for AckJob {
    fn run<'a>(self: Box<Self>, savepoint: &'a Savepoint<'a>) -> BoxFuture<'a, Settle> {
        Box::pin(async move {
            let AckJob { request, reply } = *self;
            let result = acknowledge(savepoint.txn(), &request).await;
            if result.is_err() {
                savepoint.roll_back().await;
            }
            let settle: Settle = Box::new(move |committed| {
                let answer = match (result, committed) {
                    (Err(err), _) => Err(err),
                    (Ok(_), Err(why)) => Err(StoreError::Commit(why)),
                    (Ok(count), Ok(())) => Ok(count),
                };
                let _ = reply.send(answer);
            });
            settle
        })
    }

    fn refuse(self: Box<Self>, why: String) {
        let _ = self.reply.send(Err(StoreError::Commit(why)));
    }
}

async fn acknowledge(txn: &DatabaseTransaction, request: &AckRequest) -> Result<i64, StoreError> {
    let agency = request.agency.as_str();
    let request_id = request.request_id.to_string();
    if let Some(first) = ack_requests::Entity::find_by_id((agency.to_owned(), request_id.clone()))
        .one(txn)
        .await?
    {
        return if first.cursor == request.cursor {
            Ok(first.acknowledged_count)
        } else {
            Err(StoreError::RequestIdReused {
                method: "AckInbox".into(),
            })
        };
    }
    let exists = messages::Entity::find()
        .filter(messages::Column::Recipient.eq(agency))
        .filter(messages::Column::Seq.eq(request.cursor))
        .count(txn)
        .await?;
    if exists == 0 {
        return Err(StoreError::UnknownCursor);
    }
    let before = acknowledged(txn, agency).await?.unwrap_or(0);
    let count = if request.cursor > before {
        let count = messages::Entity::find()
            .filter(messages::Column::Recipient.eq(agency))
            .filter(messages::Column::Seq.gt(before))
            .filter(messages::Column::Seq.lte(request.cursor))
            .count(txn)
            .await?;
        let row = cursors::ActiveModel {
            agency_id: Set(agency.to_owned()),
            acked_seq: Set(request.cursor),
            updated_at: Set(request.at),
        };
        cursors::Entity::insert(row)
            .on_conflict(
                OnConflict::column(cursors::Column::AgencyId)
                    .update_columns([cursors::Column::AckedSeq, cursors::Column::UpdatedAt])
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
        i64::try_from(count).unwrap_or(i64::MAX)
    } else {
        0
    };
    let first = ack_requests::ActiveModel {
        agency_id: Set(agency.to_owned()),
        request_id: Set(request_id),
        cursor: Set(request.cursor),
        acknowledged_count: Set(count),
        created_at: Set(request.at),
    };
    ack_requests::Entity::insert(first)
        .exec_without_returning(txn)
        .await?;
    Ok(count)
}
