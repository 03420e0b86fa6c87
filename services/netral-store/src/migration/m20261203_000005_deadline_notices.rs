//! The deadline engine's ladder on each deadline: `notice` (the last notice raised) and
//! `notice_on` (when the next one falls due, indexed: the engine's scan reads "every notice
//! due by today" from this index alone, however many deadlines are open).
//!
//! Deadlines open before this migration get `notice_on = due_on`: the engine looks at them
//! on their due day (a reminder, if still in time) or, if already passed, raises overdue.

use sea_orm::ConnectionTrait;
use sea_orm_migration::prelude::*;

/// Adds the notice columns and their index.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum CaseDeadlines {
    Table,
    Status,
    DueOn,
    Notice,
    NoticeOn,
}

const INDEX: &str = "idx_case_deadlines_notice_on";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use CaseDeadlines as D;
        // SQLite adds one column per ALTER TABLE.
        for column in [
            ColumnDef::new(D::Notice).text().null().to_owned(),
            ColumnDef::new(D::NoticeOn).date().null().to_owned(),
        ] {
            manager
                .alter_table(Table::alter().table(D::Table).add_column(column).to_owned())
                .await?;
        }
        let backfill = Query::update()
            .table(D::Table)
            .value(D::NoticeOn, Expr::col(D::DueOn))
            .and_where(Expr::col(D::Status).eq("open"))
            .to_owned();
        let conn = manager.get_connection();
        conn.execute(conn.get_database_backend().build(&backfill))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(D::Table)
                    .col(D::NoticeOn)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use CaseDeadlines as D;
        manager
            .drop_index(Index::drop().name(INDEX).table(D::Table).to_owned())
            .await?;
        for column in [D::NoticeOn, D::Notice] {
            manager
                .alter_table(
                    Table::alter()
                        .table(D::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
