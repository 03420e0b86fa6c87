//! Reading an agency's inbox: its sequenced messages after a cursor, oldest first, with
//! whether each is acknowledged; its status (newest cursor, acknowledged cursor, backlog);
//! and every agency's backlog at once, for the operator's metrics.

use chrono::{DateTime, Utc};
use netral_domain::inbox::MessageKind;
use netral_domain::{AgencyId, CaseId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};

use crate::entity::inbox::{cursors, messages};
use crate::error::StoreError;
use crate::store::Store;

/// Which of an agency's messages to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxQuery {
    /// Whose inbox.
    pub agency: AgencyId,
    /// Only messages after this cursor (0: from the first).
    pub after: i64,
    /// At most this many.
    pub limit: u64,
    /// Only messages not yet acknowledged.
    pub unacknowledged_only: bool,
    /// Only messages of this kind.
    pub kind: Option<MessageKind>,
    /// Only messages about this case.
    pub case: Option<CaseId>,
}

/// One message as its recipient reads it.
#[derive(Clone, PartialEq, Eq)]
pub struct InboxMessage {
    /// Its place in the feed: the cursor.
    pub seq: i64,
    /// The recipient.
    pub recipient: String,
    /// The case concerned.
    pub case_id: CaseId,
    /// What it tells.
    pub kind: MessageKind,
    /// The action that produced it (`FORWARD`).
    pub action: String,
    /// The acting agency.
    pub actor: String,
    /// The case's state after the step (`FORWARDED`).
    pub case_state: String,
    /// When the step was committed.
    pub created_at: DateTime<Utc>,
    /// The step's `traceparent`; empty without one.
    pub traceparent: String,
    /// The server's encoded snapshot.
    pub snapshot: Vec<u8>,
    /// Whether the recipient acknowledged it.
    pub acknowledged: bool,
}

impl std::fmt::Debug for InboxMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboxMessage")
            .field("seq", &self.seq)
            .field("recipient", &self.recipient)
            .field("case_id", &self.case_id)
            .field("kind", &self.kind)
            .field("action", &self.action)
            .finish_non_exhaustive()
    }
}

/// How far an agency has read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboxStatus {
    /// The newest message's cursor; `None` while the inbox is empty.
    pub last: Option<i64>,
    /// The acknowledged cursor; `None` before the first acknowledgement.
    pub acknowledged: Option<i64>,
    /// How many messages wait unacknowledged.
    pub unacknowledged: i64,
    /// When the oldest of them was created.
    pub oldest_unacknowledged: Option<DateTime<Utc>>,
}

/// One agency's unacknowledged messages, for metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxBacklog {
    /// The agency.
    pub agency: String,
    /// How many messages wait.
    pub unacknowledged: i64,
    /// When the oldest of them was created.
    pub oldest: DateTime<Utc>,
}

#[derive(FromQueryResult)]
struct BacklogRow {
    recipient: String,
    waiting: i64,
    oldest: DateTime<Utc>,
}

impl Store {
    /// The agency's acknowledged cursor (0 before the first acknowledgement).
    pub async fn inbox_acknowledged(&self, agency: &AgencyId) -> Result<i64, StoreError> {
        Ok(acknowledged(&self.db, agency.as_str()).await?.unwrap_or(0))
    }

    /// The messages `query` selects, oldest first.
    pub async fn inbox_messages(
        &self,
        query: &InboxQuery,
    ) -> Result<Vec<InboxMessage>, StoreError> {
        let acked = self.inbox_acknowledged(&query.agency).await?;
        let after = if query.unacknowledged_only {
            query.after.max(acked)
        } else {
            query.after
        };
        let mut select = messages::Entity::find()
            .filter(messages::Column::Recipient.eq(query.agency.as_str()))
            .filter(messages::Column::Seq.gt(after));
        if let Some(kind) = query.kind {
            select = select.filter(messages::Column::Kind.eq(kind.as_str()));
        }
        if let Some(case) = query.case {
            select = select.filter(messages::Column::CaseId.eq(case.to_string()));
        }
        let rows = select
            .order_by_asc(messages::Column::Seq)
            .limit(query.limit)
            .all(&self.db)
            .await?;
        rows.into_iter().map(|row| message(row, acked)).collect()
    }

    /// How far `agency` has read its inbox.
    pub async fn inbox_status(&self, agency: &AgencyId) -> Result<InboxStatus, StoreError> {
        let acknowledged = acknowledged(&self.db, agency.as_str()).await?;
        let last: Option<Option<i64>> = messages::Entity::find()
            .select_only()
            .expr(Expr::col(messages::Column::Seq).max())
            .filter(messages::Column::Recipient.eq(agency.as_str()))
            .into_tuple()
            .one(&self.db)
            .await?;
        let waiting: Option<(i64, Option<DateTime<Utc>>)> = messages::Entity::find()
            .select_only()
            .expr(Expr::col(messages::Column::Id).count())
            .expr(Expr::col(messages::Column::CreatedAt).min())
            .filter(messages::Column::Recipient.eq(agency.as_str()))
            .filter(messages::Column::Seq.gt(acknowledged.unwrap_or(0)))
            .into_tuple()
            .one(&self.db)
            .await?;
        let (unacknowledged, oldest_unacknowledged) = waiting.unwrap_or((0, None));
        Ok(InboxStatus {
            last: last.flatten(),
            acknowledged,
            unacknowledged,
            oldest_unacknowledged,
        })
    }

    /// Every agency with unacknowledged messages: how many and since when.
    pub async fn inbox_backlogs(&self) -> Result<Vec<InboxBacklog>, StoreError> {
        let statement = Statement::from_string(
            self.db.get_database_backend(),
            "SELECT m.recipient AS recipient, COUNT(m.id) AS waiting, MIN(m.created_at) AS oldest \
             FROM inbox_messages m LEFT JOIN inbox_cursors c ON c.agency_id = m.recipient \
             WHERE m.seq > COALESCE(c.acked_seq, 0) GROUP BY m.recipient",
        );
        let rows = BacklogRow::find_by_statement(statement)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| InboxBacklog {
                agency: row.recipient,
                unacknowledged: row.waiting,
                oldest: row.oldest,
            })
            .collect())
    }
}

/// The stored acknowledged cursor of `agency`.
pub(crate) async fn acknowledged<C: ConnectionTrait>(
    conn: &C,
    agency: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(cursors::Entity::find_by_id(agency.to_owned())
        .one(conn)
        .await?
        .map(|row| row.acked_seq))
}

fn message(row: messages::Model, acked: i64) -> Result<InboxMessage, StoreError> {
    let seq = row
        .seq
        .ok_or_else(|| StoreError::corrupt("inbox_messages", "seq"))?;
    Ok(InboxMessage {
        seq,
        case_id: row
            .case_id
            .parse()
            .map_err(|_| StoreError::corrupt("inbox_messages", "case_id"))?,
        kind: MessageKind::parse(&row.kind)
            .ok_or_else(|| StoreError::corrupt("inbox_messages", "kind"))?,
        recipient: row.recipient,
        action: row.action,
        actor: row.actor,
        case_state: row.case_state,
        created_at: row.created_at,
        traceparent: row.traceparent,
        snapshot: row.snapshot,
        acknowledged: seq <= acked,
    })
}
