//! `revocations`: what operators revoked while the servers run, so every replica refuses it
//! within its refresh interval without a restart. One row per revoked thing, keyed by what it
//! is (`kind`: `agency` or `certificate`) and its name in that kind (`subject`: the agency id,
//! or the lower-case hex SHA-256 of the certificate's DER); revoking it again changes nothing.
//!
//! A revocation is never lifted by deleting its row: a certificate once revoked stays revoked
//! (issue a new one), and the audit log holds the act of revoking.

use sea_orm_migration::prelude::*;

/// Creates `revocations`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Revocations {
    Table,
    Kind,
    Subject,
    AgencyId,
    Serial,
    RevokedAt,
    Reason,
    RecordedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Revocations as R;
        let text = |column: R| ColumnDef::new(column).text().not_null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(text(R::Kind))
                    .col(text(R::Subject))
                    .col(ColumnDef::new(R::AgencyId).text().null())
                    .col(ColumnDef::new(R::Serial).text().null())
                    .col(
                        ColumnDef::new(R::RevokedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(text(R::Reason))
                    .col(text(R::RecordedBy))
                    .primary_key(Index::create().col(R::Kind).col(R::Subject))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Revocations::Table).to_owned())
            .await
    }
}
