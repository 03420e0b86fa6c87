//! Inserting a step's inbox messages in its savepoint. On SQLite the one writer holds the
//! database's write lock for the whole batch, so a message's `seq` is given at insert (the
//! next after the largest) and commit order is `seq` order; on PostgreSQL transactions
//! commit in any order, so messages are inserted unsequenced and the sequencer numbers them
//! after they commit.

use netral_domain::AgencyId;
use netral_domain::case::{CaseRecord, StepOutcome};
use netral_domain::inbox::MessageKind;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, QuerySelect};

use crate::entity::inbox::messages;
use crate::execute::MutationMeta;

/// One message a step sends: to whom, what kind, and what it shows. The store adds the
/// case, the action, the actor, the state and the time from the step itself.
#[derive(Clone, PartialEq, Eq)]
pub struct InboxRecord {
    /// The recipient agency.
    pub recipient: AgencyId,
    /// What the message tells it.
    pub kind: MessageKind,
    /// The case snapshot to show, encoded by the server; it must hold no personal data.
    pub snapshot: Vec<u8>,
    /// The W3C `traceparent` of the step; empty without one.
    pub traceparent: String,
}

impl std::fmt::Debug for InboxRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboxRecord")
            .field("recipient", &self.recipient)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// The largest `seq` given so far (0 for an empty inbox).
pub(crate) async fn max_seq<C: ConnectionTrait>(conn: &C) -> Result<i64, DbErr> {
    let max: Option<Option<i64>> = messages::Entity::find()
        .select_only()
        .expr(Expr::col(messages::Column::Seq).max())
        .into_tuple()
        .one(conn)
        .await?;
    Ok(max.flatten().unwrap_or(0))
}

/// Inserts `records` for the step `outcome` on `case`, in `conn`.
pub(crate) async fn insert(
    conn: &DatabaseTransaction,
    meta: &MutationMeta,
    case: &CaseRecord,
    outcome: &StepOutcome,
    records: &[InboxRecord],
) -> Result<(), DbErr> {
    if records.is_empty() {
        return Ok(());
    }
    let base = match conn.get_database_backend() {
        DbBackend::Sqlite => Some(max_seq(conn).await?),
        _ => None,
    };
    use messages::Column as M;
    let mut insert = Query::insert();
    insert.into_table(messages::Entity).columns([
        M::Seq,
        M::Recipient,
        M::CaseId,
        M::Kind,
        M::Action,
        M::Actor,
        M::CaseState,
        M::CreatedAt,
        M::Traceparent,
        M::Snapshot,
    ]);
    for (offset, record) in (1i64..).zip(records) {
        insert
            .values([
                base.map(|b| b + offset).into(),
                record.recipient.as_str().into(),
                case.id.to_string().into(),
                record.kind.as_str().into(),
                outcome.action.as_str().into(),
                meta.actor.as_str().into(),
                outcome.to.as_str().into(),
                meta.at.into(),
                record.traceparent.clone().into(),
                record.snapshot.clone().into(),
            ])
            .map_err(|e| DbErr::Custom(format!("inbox insert: {e}")))?;
    }
    let statement = conn.get_database_backend().build(&insert);
    conn.execute(statement).await.map(|_| ())
}
