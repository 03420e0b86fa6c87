//! Trace context kept with the case: `cases.traceparent` is the W3C `traceparent` of the
//! registration's server span, which every later step of the case links to (one case, one
//! connected trace across agencies and weeks); `case_events.traceparent` is each step's own.
//! Cases and events from before keep an empty value: their steps simply carry no link.

use sea_orm_migration::prelude::*;

/// Adds `cases.traceparent` and `case_events.traceparent`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Cases {
    Table,
    Traceparent,
}

#[derive(DeriveIden, Clone, Copy)]
enum CaseEvents {
    Table,
    Traceparent,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let column = |name: DynIden| {
            ColumnDef::new(name)
                .text()
                .not_null()
                .default("")
                .to_owned()
        };
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(column(Cases::Traceparent.into_iden()))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CaseEvents::Table)
                    .add_column(column(CaseEvents::Traceparent.into_iden()))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CaseEvents::Table)
                    .drop_column(CaseEvents::Traceparent)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .drop_column(Cases::Traceparent)
                    .to_owned(),
            )
            .await
    }
}
