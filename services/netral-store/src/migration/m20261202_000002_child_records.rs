//! Child records: a case's notes, attachments, escalations, deadlines and imposed sanctions
//! move from JSON columns of `cases` into tables of their own (so a step inserts what it
//! appends instead of rewriting the case, and open deadlines can be found by an index), and
//! `cases` gains the counts the per-case limits are checked against. Existing cases are
//! carried over row by row; every case reads back equal (tested on a database built by the
//! first migration, on both backends). Idempotency keys get an index on their age, for
//! their retention.
//!
//! The copy writes the child rows with the crate's row builders: if a later migration
//! changes a child table, this one must keep a frozen copy of the shape it wrote.

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ConnectionTrait, StatementBuilder};
use sea_orm_migration::prelude::*;

use crate::children::{attachment_row, escalation_row, insert_all, note_row, rows, sanction_row};
use crate::codec::Keyword;
use crate::dto;
use crate::entity::case_children::{attachments, escalations, notes, sanctions};
use netral_domain::case::{CaseSize, Deadline};

/// Creates the child tables, copies every case's lists into them, drops the JSON columns.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// How many cases the copy reads at a time.
const COPY_PAGE: u64 = 500;

#[derive(DeriveIden, Clone, Copy)]
enum Cases {
    Table,
    Id,
    ImposedSanctions,
    Escalations,
    Deadlines,
    Attachments,
    Notes,
    NoteCount,
    AttachmentCount,
    EscalationCount,
    SanctionCount,
    TextBytes,
}

#[derive(DeriveIden, Clone, Copy)]
enum CaseNotes {
    Table,
    CaseId,
    Seq,
    Agency,
    Body,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CaseAttachments {
    Table,
    CaseId,
    Seq,
    Digest,
    MediaType,
    Title,
    SizeBytes,
    Agency,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CaseEscalations {
    Table,
    CaseId,
    Seq,
    Kind,
    Agency,
    Reference,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CaseDeadlines {
    Table,
    CaseId,
    Seq,
    Step,
    Agency,
    StartOn,
    DueOn,
    Status,
}

#[derive(DeriveIden, Clone, Copy)]
enum CaseSanctions {
    Table,
    CaseId,
    Seq,
    Code,
    DecreeNumber,
    DecreeDate,
}

#[derive(DeriveIden, Clone, Copy)]
enum IdempotencyKeys {
    Table,
    CreatedAt,
}

fn text(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().not_null().to_owned()
}

fn instant(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn day(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).date().not_null().to_owned()
}

/// A child table of `cases`: `(case_id, seq)` as its key, `columns` after them.
fn child(
    table: impl IntoIden + Clone + 'static,
    case_id: impl IntoIden + Clone + 'static,
    seq: impl IntoIden + Clone + 'static,
    columns: Vec<ColumnDef>,
) -> TableCreateStatement {
    let name = table.clone().into_iden().to_string();
    let mut create = Table::create();
    create
        .table(table.clone())
        .if_not_exists()
        .col(text(case_id.clone()))
        .col(ColumnDef::new(seq.clone()).integer().not_null());
    for mut column in columns {
        create.col(&mut column);
    }
    create
        .primary_key(
            Index::create()
                .name(format!("pk_{name}"))
                .col(case_id.clone())
                .col(seq),
        )
        .foreign_key(
            ForeignKey::create()
                .name(format!("fk_{name}_case"))
                .from(table, case_id)
                .to(Cases::Table, Cases::Id),
        )
        .to_owned()
}

fn child_tables() -> Vec<TableCreateStatement> {
    use CaseAttachments as A;
    use CaseDeadlines as D;
    use CaseEscalations as E;
    use CaseNotes as N;
    use CaseSanctions as S;
    vec![
        child(
            N::Table,
            N::CaseId,
            N::Seq,
            vec![text(N::Agency), text(N::Body), instant(N::CreatedAt)],
        ),
        child(
            A::Table,
            A::CaseId,
            A::Seq,
            vec![
                text(A::Digest),
                text(A::MediaType),
                text(A::Title),
                ColumnDef::new(A::SizeBytes)
                    .big_integer()
                    .not_null()
                    .to_owned(),
                text(A::Agency),
                instant(A::CreatedAt),
            ],
        ),
        child(
            E::Table,
            E::CaseId,
            E::Seq,
            vec![
                text(E::Kind),
                ColumnDef::new(E::Agency).text().null().to_owned(),
                text(E::Reference),
                text(E::Reason),
                instant(E::CreatedAt),
            ],
        ),
        child(
            D::Table,
            D::CaseId,
            D::Seq,
            vec![
                text(D::Step),
                text(D::Agency),
                day(D::StartOn),
                day(D::DueOn),
                text(D::Status),
            ],
        ),
        child(
            S::Table,
            S::CaseId,
            S::Seq,
            vec![text(S::Code), text(S::DecreeNumber), day(S::DecreeDate)],
        ),
    ]
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        // "every open deadline due before D": status first, then the day.
        Index::create()
            .name("idx_case_deadlines_status_due")
            .table(CaseDeadlines::Table)
            .col(CaseDeadlines::Status)
            .col(CaseDeadlines::DueOn)
            .if_not_exists()
            .to_owned(),
        // an agency's own deadlines, open or not.
        Index::create()
            .name("idx_case_deadlines_agency_status")
            .table(CaseDeadlines::Table)
            .col(CaseDeadlines::Agency)
            .col(CaseDeadlines::Status)
            .if_not_exists()
            .to_owned(),
        Index::create()
            .name("idx_idempotency_keys_created_at")
            .table(IdempotencyKeys::Table)
            .col(IdempotencyKeys::CreatedAt)
            .if_not_exists()
            .to_owned(),
    ]
}

/// A new counter of `cases`, 0 for existing rows: `integer` for counts, `bigint` for bytes
/// (the entity's `i32` / `i64`).
fn count_column(col: Cases) -> TableAlterStatement {
    let mut column = ColumnDef::new(col);
    match col {
        Cases::TextBytes => column.big_integer(),
        _ => column.integer(),
    };
    Table::alter()
        .table(Cases::Table)
        .add_column(column.not_null().default(0).to_owned())
        .to_owned()
}

/// Copies the JSON lists of every case into the child tables and sets its counts.
async fn copy_lists<C: ConnectionTrait>(conn: &C) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let mut after = String::new();
    loop {
        let page = Query::select()
            .columns([
                Cases::Id,
                Cases::ImposedSanctions,
                Cases::Escalations,
                Cases::Deadlines,
                Cases::Attachments,
                Cases::Notes,
            ])
            .from(Cases::Table)
            .and_where(Expr::col(Cases::Id).gt(after.as_str()))
            .order_by(Cases::Id, Order::Asc)
            .limit(COPY_PAGE)
            .to_owned();
        let rows = conn
            .query_all(StatementBuilder::build(&page, &backend))
            .await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.try_get::<String>("", "id")?;
        for row in rows {
            let column = |name: &str| row.try_get::<String>("", name);
            let id = column("id")?;
            copy_case(conn, &id, |name| column(name)).await?;
        }
    }
}

/// Inserts a case's deadlines with the columns this migration created (later migrations
/// add columns the entity knows of, so the entity cannot write here).
async fn insert_deadlines<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    list: &[Deadline],
) -> Result<(), DbErr> {
    use CaseDeadlines as D;
    if list.is_empty() {
        return Ok(());
    }
    let mut insert = Query::insert()
        .into_table(D::Table)
        .columns([
            D::CaseId,
            D::Seq,
            D::Step,
            D::Agency,
            D::StartOn,
            D::DueOn,
            D::Status,
        ])
        .to_owned();
    for (index, d) in list.iter().enumerate() {
        let seq = <i32 as std::convert::TryFrom<usize>>::try_from(index + 1)
            .map_err(|_| DbErr::Migration(format!("case {id}: too many deadlines")))?;
        insert
            .values([
                id.into(),
                seq.into(),
                d.step.keyword().into(),
                d.agency.as_str().into(),
                d.start.into(),
                d.due.into(),
                d.status.keyword().into(),
            ])
            .map_err(|e| DbErr::Migration(e.to_string()))?;
    }
    let backend = conn.get_database_backend();
    conn.execute(StatementBuilder::build(&insert, &backend))
        .await?;
    Ok(())
}

async fn copy_case<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    column: impl Fn(&str) -> Result<String, DbErr>,
) -> Result<(), DbErr> {
    let corrupt = |e: crate::StoreError| DbErr::Migration(format!("case {id}: {e}"));
    let sanctions_list =
        dto::sanctions_from_json(&column("imposed_sanctions")?).map_err(corrupt)?;
    let escalations_list = dto::escalations_from_json(&column("escalations")?).map_err(corrupt)?;
    let deadlines_list = dto::deadlines_from_json(&column("deadlines")?).map_err(corrupt)?;
    let attachments_list = dto::attachments_from_json(&column("attachments")?).map_err(corrupt)?;
    let notes_list = dto::notes_from_json(&column("notes")?).map_err(corrupt)?;
    let sanction_rows = rows(id, 0, &sanctions_list, sanction_row).map_err(corrupt)?;
    insert_all::<sanctions::Entity>(conn, sanction_rows).await?;
    let escalation_rows = rows(id, 0, &escalations_list, escalation_row).map_err(corrupt)?;
    insert_all::<escalations::Entity>(conn, escalation_rows).await?;
    insert_deadlines(conn, id, &deadlines_list).await?;
    let attachment_rows = rows(id, 0, &attachments_list, attachment_row).map_err(corrupt)?;
    insert_all::<attachments::Entity>(conn, attachment_rows).await?;
    let note_rows = rows(id, 0, &notes_list, note_row).map_err(corrupt)?;
    insert_all::<notes::Entity>(conn, note_rows).await?;
    let size = CaseSize::of(&notes_list, &attachments_list, &escalations_list);
    let update = Query::update()
        .table(Cases::Table)
        .value(Cases::NoteCount, i64::from(size.notes))
        .value(Cases::AttachmentCount, i64::from(size.attachments))
        .value(Cases::EscalationCount, i64::from(size.escalations))
        .value(Cases::SanctionCount, sanctions_list.len() as i64)
        .value(Cases::TextBytes, size.text_bytes as i64)
        .and_where(Expr::col(Cases::Id).eq(id))
        .to_owned();
    let backend = conn.get_database_backend();
    conn.execute(StatementBuilder::build(&update, &backend))
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in child_tables() {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        for col in [
            Cases::NoteCount,
            Cases::AttachmentCount,
            Cases::EscalationCount,
            Cases::SanctionCount,
            Cases::TextBytes,
        ] {
            manager.alter_table(count_column(col)).await?;
        }
        copy_lists(manager.get_connection()).await?;
        for col in [
            Cases::ImposedSanctions,
            Cases::Escalations,
            Cases::Deadlines,
            Cases::Attachments,
            Cases::Notes,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Cases::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "the child-records migration is not reversible: restore a backup instead".into(),
        ))
    }
}
