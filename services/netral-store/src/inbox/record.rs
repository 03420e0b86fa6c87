//! Inserting a step's inbox messages in its transaction: a step makes their rows, and the
//! batch carrying it inserts every step's rows at once before its commit ([`crate::append`]).
//! On SQLite the one writer holds the database's write lock for the whole batch, so a
//! message's `seq` is given at insert (the next after the largest) and commit order is `seq`
//! order; on PostgreSQL transactions commit in any order, so messages are inserted
//! unsequenced and the sequencer numbers them after they commit.

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

/// One message row as a step produced it, before the batch that carries the step inserts it
/// (see [`crate::append`]).
#[derive(Clone)]
pub(crate) struct MessageRow {
    recipient: String,
    case_id: String,
    kind: &'static str,
    action: &'static str,
    actor: String,
    case_state: &'static str,
    at: chrono::DateTime<chrono::Utc>,
    traceparent: String,
    snapshot: Vec<u8>,
}

impl MessageRow {
    /// The agency the message goes to.
    pub(crate) fn recipient(&self) -> &str {
        &self.recipient
    }
}

/// The rows of `records`, the messages of the step `outcome` on `case`.
pub(crate) fn rows(
    meta: &MutationMeta,
    case: &CaseRecord,
    outcome: &StepOutcome,
    records: Vec<InboxRecord>,
) -> Vec<MessageRow> {
    records
        .into_iter()
        .map(|record| MessageRow {
            recipient: record.recipient.as_str().to_owned(),
            case_id: case.id.to_string(),
            kind: record.kind.as_str(),
            action: outcome.action.as_str(),
            actor: meta.actor.as_str().to_owned(),
            case_state: outcome.to.as_str(),
            at: meta.at,
            traceparent: record.traceparent,
            snapshot: record.snapshot,
        })
        .collect()
}

/// Inserts `rows` in `conn` with one statement, in their order; on SQLite each gets the next
/// `seq` after the largest.
pub(crate) async fn insert(conn: &DatabaseTransaction, rows: &[MessageRow]) -> Result<(), DbErr> {
    if rows.is_empty() {
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
    for (offset, row) in (1i64..).zip(rows) {
        insert
            .values([
                base.map(|b| b + offset).into(),
                row.recipient.clone().into(),
                row.case_id.clone().into(),
                row.kind.into(),
                row.action.into(),
                row.actor.clone().into(),
                row.case_state.into(),
                row.at.into(),
                row.traceparent.clone().into(),
                row.snapshot.clone().into(),
            ])
            .map_err(|e| DbErr::Custom(format!("inbox insert: {e}")))?;
    }
    let statement = conn.get_database_backend().build(&insert);
    conn.execute(statement).await.map(|_| ())
}
