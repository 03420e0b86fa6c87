//! The inbox sequencer: gives committed, unsequenced messages the next places in the feeds.
//! One at a time across replicas (a transaction-scoped advisory lock on PostgreSQL; on
//! SQLite the transaction's write lock), it reads the largest `seq` only after taking the
//! lock, so every number it gives is above every number given before, and a message
//! committed late gets a late number: a reader that has seen cursor `c` never finds a new
//! message below `c`. Its commit notifies every replica (`NOTIFY netral_inbox` with the
//! recipients), so their streams wake.
//!
//! On SQLite messages are numbered at insert (see [`super::record`]) and nothing waits
//! here; the sequencer runs on PostgreSQL only.

use std::collections::BTreeSet;

use sea_orm::sea_query::{CaseStatement, Expr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement,
};

use super::record::max_seq;
use crate::entity::inbox::messages;
use crate::error::StoreError;
use crate::store::Store;

/// The advisory lock key of the inbox sequencer (`"inbox"` in ASCII).
const SEQUENCER_LOCK_KEY: i64 = 0x69_6e62_6f78;

/// The channel replicas notify and listen on.
pub(crate) const CHANNEL: &str = "netral_inbox";

/// The payload meaning "wake every stream": recipients that do not fit a notification.
pub(crate) const EVERYONE: &str = "*";

/// The most bytes of recipients one notification carries (PostgreSQL allows < 8000).
const PAYLOAD_LIMIT: usize = 7000;

/// How many rows one `UPDATE … CASE` carries.
const STATEMENT_ROWS: usize = 200;

impl Store {
    /// Sequences up to `batch` committed, unsequenced messages, waiting for a sequencer
    /// running elsewhere to finish first; answers the recipients it numbered (empty when
    /// nothing waited), after its commit, having woken their local streams.
    pub async fn sequence_inbox(&self, batch: u64) -> Result<Vec<String>, StoreError> {
        let (txn, _gate) = crate::writer::begin(&self.db, &self.write_gate).await?;
        let backend = txn.get_database_backend();
        if backend == DbBackend::Postgres {
            txn.execute_unprepared(&format!(
                "SELECT pg_advisory_xact_lock({SEQUENCER_LOCK_KEY})"
            ))
            .await?;
        }
        let waiting: Vec<(i64, String)> = messages::Entity::find()
            .select_only()
            .column(messages::Column::Id)
            .column(messages::Column::Recipient)
            .filter(messages::Column::Seq.is_null())
            .order_by_asc(messages::Column::Id)
            .limit(batch)
            .into_tuple()
            .all(&txn)
            .await?;
        if waiting.is_empty() {
            txn.rollback().await?;
            return Ok(Vec::new());
        }
        let base = max_seq(&txn).await?;
        let numbered: Vec<(i64, i64)> = (base + 1..)
            .zip(waiting.iter().map(|(id, _)| *id))
            .collect();
        for chunk in numbered.chunks(STATEMENT_ROWS) {
            let mut case = CaseStatement::new();
            for (seq, id) in chunk {
                case = case.case(messages::Column::Id.eq(*id), Expr::val(*seq));
            }
            messages::Entity::update_many()
                .col_expr(messages::Column::Seq, case.into())
                .filter(messages::Column::Id.is_in(chunk.iter().map(|(_, id)| *id)))
                .exec(&txn)
                .await?;
        }
        let recipients: BTreeSet<String> = waiting.into_iter().map(|(_, r)| r).collect();
        if backend == DbBackend::Postgres {
            txn.execute(Statement::from_sql_and_values(
                backend,
                "SELECT pg_notify($1, $2)",
                [CHANNEL.into(), payload(&recipients).into()],
            ))
            .await?;
        }
        txn.commit().await?;
        self.inbox_signals()
            .wake(recipients.iter().map(String::as_str));
        Ok(recipients.into_iter().collect())
    }
}

/// The notification's payload: the recipients, space-separated, or [`EVERYONE`] when they
/// do not fit.
fn payload(recipients: &BTreeSet<String>) -> String {
    let joined = recipients
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ");
    if joined.len() > PAYLOAD_LIMIT {
        EVERYONE.to_owned()
    } else {
        joined
    }
}
