//! The audit log: `audit_events` (appended unsequenced in the transaction of what they
//! record, sequenced later by the one sequencer), `audit_subtrees` (the hash of every
//! complete subtree of two or more leaves, written once), `audit_log_head` (the sequencer's
//! singleton: the tree size and root so far; locking its row is what makes a replica the
//! sequencer) and `audit_checkpoints` (every signed checkpoint). `subjects` gains
//! `erased_at`: an erased subject's row is a tombstone (identifier, name and position
//! blanked), which no proof depends on. Case events written before it kept an unsalted
//! SHA-256 of the subject's identifier in their payload (`subject_digest`), which anyone can
//! reverse by trying every valid NIP: it is removed from them (new events carry a keyed
//! digest instead).

use sea_orm::{ConnectionTrait, StatementBuilder};
use sea_orm_migration::prelude::*;

/// How many case events the scrub reads at a time.
const SCRUB_PAGE: u64 = 500;

#[derive(DeriveIden, Clone, Copy)]
enum CaseEvents {
    Table,
    Id,
    Payload,
}

/// Creates the audit log's tables and its head row.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AuditEvents {
    Table,
    Id,
    Sequence,
    CaseId,
    Action,
    Outcome,
    Actor,
    CreatedAt,
    Leaf,
    LeafHash,
}

#[derive(DeriveIden, Clone, Copy)]
enum Subjects {
    Table,
    ErasedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditSubtrees {
    Table,
    Level,
    Idx,
    Hash,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditLogHead {
    Table,
    Id,
    TreeSize,
    Root,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditCheckpoints {
    Table,
    TreeSize,
    Root,
    CreatedAt,
    KeyId,
    Signature,
    Note,
}

/// Removes the reversible `subject_digest` (`sha256:…`) from every case event's payload.
async fn scrub_unsalted_digests<C: ConnectionTrait>(conn: &C) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let mut after = 0i64;
    loop {
        let page = Query::select()
            .columns([CaseEvents::Id, CaseEvents::Payload])
            .from(CaseEvents::Table)
            .and_where(Expr::col(CaseEvents::Id).gt(after))
            .and_where(Expr::col(CaseEvents::Payload).like("%\"subject_digest\":\"sha256:%"))
            .order_by(CaseEvents::Id, Order::Asc)
            .limit(SCRUB_PAGE)
            .to_owned();
        let rows = conn
            .query_all(StatementBuilder::build(&page, &backend))
            .await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.try_get::<i64>("", "id")?;
        for row in rows {
            let id = row.try_get::<i64>("", "id")?;
            let payload = row.try_get::<String>("", "payload")?;
            let mut value: serde_json::Value = serde_json::from_str(&payload)
                .map_err(|e| DbErr::Migration(format!("case event {id}: payload: {e}")))?;
            if let Some(object) = value.as_object_mut() {
                object.remove("subject_digest");
            }
            let update = Query::update()
                .table(CaseEvents::Table)
                .value(CaseEvents::Payload, value.to_string())
                .and_where(Expr::col(CaseEvents::Id).eq(id))
                .to_owned();
            conn.execute(StatementBuilder::build(&update, &backend))
                .await?;
        }
    }
}

fn index(name: &str, columns: impl IntoIterator<Item = AuditEvents>) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(AuditEvents::Table);
    for column in columns {
        index.col(column);
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        scrub_unsalted_digests(manager.get_connection()).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Subjects::Table)
                    .add_column(
                        ColumnDef::new(Subjects::ErasedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(
                        ColumnDef::new(AuditEvents::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(AuditEvents::Sequence).big_integer().null())
                    .col(ColumnDef::new(AuditEvents::CaseId).text().null())
                    .col(ColumnDef::new(AuditEvents::Action).text().not_null())
                    .col(ColumnDef::new(AuditEvents::Outcome).text().not_null())
                    .col(ColumnDef::new(AuditEvents::Actor).text().null())
                    .col(
                        ColumnDef::new(AuditEvents::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditEvents::Leaf).blob().not_null())
                    .col(ColumnDef::new(AuditEvents::LeafHash).blob().not_null())
                    .to_owned(),
            )
            .await?;
        let mut sequence = index("audit_events_sequence", [AuditEvents::Sequence]);
        manager.create_index(sequence.unique().to_owned()).await?;
        for (name, column) in [
            ("audit_events_case", AuditEvents::CaseId),
            ("audit_events_actor", AuditEvents::Actor),
            ("audit_events_action", AuditEvents::Action),
            ("audit_events_outcome", AuditEvents::Outcome),
            ("audit_events_created_at", AuditEvents::CreatedAt),
        ] {
            manager
                .create_index(index(name, [column, AuditEvents::Sequence]))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AuditSubtrees::Table)
                    .col(
                        ColumnDef::new(AuditSubtrees::Level)
                            .small_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditSubtrees::Idx).big_integer().not_null())
                    .col(ColumnDef::new(AuditSubtrees::Hash).blob().not_null())
                    .primary_key(
                        Index::create()
                            .col(AuditSubtrees::Level)
                            .col(AuditSubtrees::Idx),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLogHead::Table)
                    .col(
                        ColumnDef::new(AuditLogHead::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(AuditLogHead::TreeSize)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditLogHead::Root).blob().not_null())
                    .to_owned(),
            )
            .await?;
        let empty_root = netral_audit::tree::empty_root().to_vec();
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(AuditLogHead::Table)
                    .columns([AuditLogHead::Id, AuditLogHead::TreeSize, AuditLogHead::Root])
                    .values([1.into(), 0i64.into(), empty_root.into()])
                    .map_err(|e| DbErr::Custom(e.to_string()))?
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditCheckpoints::Table)
                    .col(
                        ColumnDef::new(AuditCheckpoints::TreeSize)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(AuditCheckpoints::Root).blob().not_null())
                    .col(
                        ColumnDef::new(AuditCheckpoints::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditCheckpoints::KeyId).text().not_null())
                    .col(
                        ColumnDef::new(AuditCheckpoints::Signature)
                            .blob()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditCheckpoints::Note).text().not_null())
                    .to_owned(),
            )
            .await
    }
}
