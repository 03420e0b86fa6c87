//! Rows a batch appends once, after all its steps: the case events, audit events and inbox
//! messages its steps produced, each kind inserted with one multi-row statement just before
//! the batch's commit, instead of three or four statements per step.
//!
//! This is safe because these rows cannot conflict with anything: a case event's
//! `(case_id, case_version)` is unique only because the step's version-guarded update already
//! won; audit events are inserted unsequenced; inbox `seq`s are given from the largest under
//! the write lock the batch holds (SQLite) or by the sequencer after the commit (PostgreSQL).
//! A step adds its rows only once everything it writes itself has succeeded, so a step
//! rolled back to its savepoint appends nothing. If the appends fail anyway (the database
//! failing), the whole batch is rolled back and every step in it is answered that nothing
//! was committed — exactly what a failed commit answers.

use sea_orm::{DatabaseTransaction, DbErr, EntityTrait};

use crate::entity::audit::events as audit_events;
use crate::entity::case_events;
use crate::inbox::record::{self as inbox_record, MessageRow};

/// Most rows one statement inserts: far below SQLite's 32,766 bound variables and
/// PostgreSQL's 65,535 for the widest of the three tables.
const ROWS_PER_STATEMENT: usize = 512;

/// What the steps of one batch append, in the order the steps ran.
#[derive(Default)]
pub(crate) struct Appends {
    /// One row per accepted step (several for an imported case's past).
    pub(crate) events: Vec<case_events::ActiveModel>,
    /// The steps' audit events, and those recorded on their own.
    pub(crate) audit: Vec<audit_events::ActiveModel>,
    /// The steps' inbox messages.
    pub(crate) inbox: Vec<MessageRow>,
}

impl Appends {
    /// Inserts everything in `txn`: events, then audit events, then inbox messages, each in
    /// statements of at most [`ROWS_PER_STATEMENT`] rows; no statement for an empty kind.
    pub(crate) async fn write(self, txn: &DatabaseTransaction) -> Result<(), DbErr> {
        for chunk in chunks(self.events) {
            case_events::Entity::insert_many(chunk)
                .exec_without_returning(txn)
                .await?;
        }
        for chunk in chunks(self.audit) {
            audit_events::Entity::insert_many(chunk)
                .exec_without_returning(txn)
                .await?;
        }
        for chunk in self.inbox.chunks(ROWS_PER_STATEMENT) {
            inbox_record::insert(txn, chunk).await?;
        }
        Ok(())
    }

    /// Adds `other`'s rows after these.
    pub(crate) fn extend(&mut self, other: Appends) {
        self.events.extend(other.events);
        self.audit.extend(other.audit);
        self.inbox.extend(other.inbox);
    }
}

/// `rows` in owned chunks of at most [`ROWS_PER_STATEMENT`], none empty.
fn chunks<T>(mut rows: Vec<T>) -> Vec<Vec<T>> {
    let mut chunks = Vec::with_capacity(rows.len().div_ceil(ROWS_PER_STATEMENT));
    while rows.len() > ROWS_PER_STATEMENT {
        let rest = rows.split_off(ROWS_PER_STATEMENT);
        chunks.push(std::mem::replace(&mut rows, rest));
    }
    if !rows.is_empty() {
        chunks.push(rows);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_chunked_in_order_and_never_empty() {
        assert!(chunks(Vec::<u32>::new()).is_empty());
        let rows: Vec<u32> = (0..1100).collect();
        let split = chunks(rows.clone());
        assert_eq!(
            split.iter().map(Vec::len).collect::<Vec<_>>(),
            [512, 512, 76]
        );
        assert_eq!(split.concat(), rows);
        assert_eq!(chunks(vec![7]), [vec![7]]);
    }
}
