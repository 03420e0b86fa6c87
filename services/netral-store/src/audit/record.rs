//! Appending audit events. A step's event is inserted in the step's own transaction (its
//! row joins the batch's appends, see [`crate::append`]), so the step and its audit event
//! commit together or not at all; events of their own (a read that disclosed personal data, a
//! refused call, an administrative act) are jobs on a writer lane, appended with whatever
//! else is waiting in one commit, and acknowledged only once durable.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use netral_domain::CaseId;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};
use tokio::sync::oneshot;

use crate::entity::audit::events;
use crate::error::StoreError;
use crate::store::Store;
use crate::writer::{Job, Savepoint, Settle};

/// One audit event to append. The leaf is what the log proves; the other fields index it
/// for queries and must say the same as the leaf (the server builds both from one value).
#[derive(Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// The case concerned, if one.
    pub case_id: Option<CaseId>,
    /// The leaf's action (`FORWARD`, `READ_CASE`, …).
    pub action: String,
    /// The leaf's outcome, as the contract's enum value name without its prefix (`SUCCESS`).
    pub outcome: &'static str,
    /// The acting agency's id, if the caller was identified.
    pub actor: Option<String>,
    /// The leaf's time.
    pub at: DateTime<Utc>,
    /// The deterministic encoding of the event's `AuditLeaf`.
    pub leaf: Vec<u8>,
}

impl std::fmt::Debug for AuditRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditRecord")
            .field("case_id", &self.case_id)
            .field("action", &self.action)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

/// The row of `record`, unsequenced.
pub(crate) fn row(record: &AuditRecord) -> events::ActiveModel {
    events::ActiveModel {
        id: sea_orm::NotSet,
        sequence: Set(None),
        case_id: Set(record.case_id.map(|c| c.to_string())),
        action: Set(record.action.clone()),
        outcome: Set(record.outcome.to_owned()),
        actor: Set(record.actor.clone()),
        created_at: Set(record.at),
        leaf: Set(record.leaf.clone()),
        leaf_hash: Set(netral_audit::tree::leaf_hash(&record.leaf).to_vec()),
    }
}

/// Inserts `record`, unsequenced, in `conn`.
pub(crate) async fn insert<C: ConnectionTrait>(
    conn: &C,
    record: &AuditRecord,
) -> Result<(), DbErr> {
    events::Entity::insert(row(record))
        .exec_without_returning(conn)
        .await
        .map(|_| ())
}

impl Store {
    /// Appends an audit event of its own and answers once its commit is durable.
    pub async fn record_audit(&self, record: AuditRecord) -> Result<(), StoreError> {
        self.record_audits(vec![record]).await
    }

    /// Appends several audit events in one commit (all or none) and answers once it is
    /// durable.
    pub async fn record_audits(&self, records: Vec<AuditRecord>) -> Result<(), StoreError> {
        let Some(first) = records.first() else {
            return Ok(());
        };
        if records.iter().any(|r| !crate::convert::representable(r.at)) {
            return Err(StoreError::Unrepresentable("at"));
        }
        let (reply, answer) = oneshot::channel();
        let lane_key = first.case_id.unwrap_or_default();
        self.writers
            .submit(lane_key, Box::new(RecordJob { records, reply }))
            .await?;
        answer.await.map_err(|_| StoreError::StepLost)?
    }
}

/// Audit events waiting for their lane.
struct RecordJob {
    records: Vec<AuditRecord>,
    reply: oneshot::Sender<Result<(), StoreError>>,
}

impl Job for RecordJob {
    fn run<'a>(self: Box<Self>, savepoint: &'a Savepoint<'a>) -> BoxFuture<'a, Settle> {
        Box::pin(async move {
            let RecordJob { records, reply } = *self;
            savepoint.append(|rows| rows.audit.extend(records.iter().map(row)));
            let settle: Settle = Box::new(move |committed| {
                let _ = reply.send(committed.map_err(StoreError::Commit));
            });
            settle
        })
    }

    fn refuse(self: Box<Self>, why: String) {
        let _ = self.reply.send(Err(StoreError::Commit(why)));
    }
}
