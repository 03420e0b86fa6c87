//! Every agency's inbox: `inbox_messages` (one row per recipient of a step, written in the
//! step's transaction; `seq` is its place in the feeds, set at insert on SQLite, whose one
//! writer commits in insertion order, and by the inbox sequencer on PostgreSQL, whose
//! transactions commit in any order), `inbox_cursors` (how far each agency has
//! acknowledged) and `inbox_ack_requests` (the first answer to each acknowledgement, so a
//! retried one answers the same).

use sea_orm::ConnectionTrait;
use sea_orm_migration::prelude::*;

/// Creates the inbox's tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum InboxMessages {
    Table,
    Id,
    Seq,
    Recipient,
    CaseId,
    Kind,
    Action,
    Actor,
    CaseState,
    CreatedAt,
    Traceparent,
    Snapshot,
}

#[derive(DeriveIden, Clone, Copy)]
enum InboxCursors {
    Table,
    AgencyId,
    AckedSeq,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum InboxAckRequests {
    Table,
    AgencyId,
    RequestId,
    Cursor,
    AcknowledgedCount,
    CreatedAt,
}

fn text(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).text().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use InboxMessages as M;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .col(
                        ColumnDef::new(M::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(M::Seq).big_integer().null())
                    .col(text(M::Recipient))
                    .col(text(M::CaseId))
                    .col(text(M::Kind))
                    .col(text(M::Action))
                    .col(text(M::Actor))
                    .col(text(M::CaseState))
                    .col(
                        ColumnDef::new(M::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(text(M::Traceparent))
                    .col(ColumnDef::new(M::Snapshot).blob().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("inbox_messages_seq")
                    .table(M::Table)
                    .col(M::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("inbox_messages_recipient")
                    .table(M::Table)
                    .col(M::Recipient)
                    .col(M::Seq)
                    .to_owned(),
            )
            .await?;
        // What the sequencer looks for, without scanning every sequenced message.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX inbox_messages_pending ON inbox_messages (id) WHERE seq IS NULL",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InboxCursors::Table)
                    .col(text(InboxCursors::AgencyId).primary_key())
                    .col(
                        ColumnDef::new(InboxCursors::AckedSeq)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InboxCursors::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        use InboxAckRequests as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(text(A::AgencyId))
                    .col(text(A::RequestId))
                    .col(ColumnDef::new(A::Cursor).big_integer().not_null())
                    .col(
                        ColumnDef::new(A::AcknowledgedCount)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(A::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(Index::create().col(A::AgencyId).col(A::RequestId))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
