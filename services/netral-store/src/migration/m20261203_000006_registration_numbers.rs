//! A registration number belongs to its Bawaslu office, and the cases one report gave rise
//! to (one per ASN named in it) share it. The exchange-wide unique constraint on
//! `cases.registration_number` gives way to a unique index on
//! (`registration_number`, `reporting_office`, `subject_key`), where `subject_key` is a new
//! column: the subject's keyed digest, the same `hmac-sha256:` the audit log holds.
//!
//! Why a digest and not `subject_id`: `subjects` has one row per case under a fresh random
//! id, so the row id never repeats and a unique index over it would refuse nothing (the same
//! ASN registered twice under one number included). The identifier itself stays out of
//! `cases` (personal data, erasable); its keyed digest cannot be tested against a guessed
//! NIP without the server's secret, and survives erasure as the audit log's does.
//!
//! Cases registered before this migration get their key from their registration event's
//! payload (`subject_digest`), when it holds a keyed one; otherwise it stays `NULL`, which
//! the index treats as distinct (such a case was unique by number anyway).
//!
//! The index leads with the number so the `registration_number` filter and the related-cases
//! read (number and office) both use it.
//!
//! SQLite cannot drop a column's `UNIQUE` constraint: `cases` is rebuilt (its own `CREATE`
//! statement without that constraint, its rows copied, its indexes recreated). The runner
//! turns foreign keys off for migrations on SQLite and checks them before committing
//! ([`super::up_to`]), as SQLite's documented table rebuild requires.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::prelude::*;

/// Moves the uniqueness of registration numbers to (number, office, subject key).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Cases {
    Table,
    RegistrationNumber,
    ReportingOffice,
    SubjectKey,
}

/// The new unique index.
const INDEX: &str = "idx_cases_registration";

/// The column as the first migration declared it, in the SQL sea-query wrote for SQLite.
const SQLITE_UNIQUE_COLUMN: &str = r#""registration_number" text NOT NULL UNIQUE"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        match conn.get_database_backend() {
            DbBackend::Sqlite => rebuild_cases_without_unique_number(conn).await?,
            _ => {
                conn.execute_unprepared(
                    "ALTER TABLE cases DROP CONSTRAINT cases_registration_number_key",
                )
                .await?;
            }
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(ColumnDef::new(Cases::SubjectKey).text().null())
                    .to_owned(),
            )
            .await?;
        let digest = match conn.get_database_backend() {
            DbBackend::Sqlite => "json_extract(e.payload, '$.subject_digest')",
            _ => "(CAST(e.payload AS jsonb) ->> 'subject_digest')",
        };
        conn.execute_unprepared(&format!(
            "UPDATE cases SET subject_key = (SELECT {digest} FROM case_events e \
             WHERE e.case_id = cases.id AND e.action = 'REGISTER' \
             AND {digest} LIKE 'hmac-sha256:%' ORDER BY e.id LIMIT 1)"
        ))
        .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Cases::Table)
                    .col(Cases::RegistrationNumber)
                    .col(Cases::ReportingOffice)
                    .col(Cases::SubjectKey)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Cases sharing a number (one report naming several ASN) cannot go back under an
        // exchange-wide unique number.
        Err(DbErr::Migration(
            "registration numbers shared by several cases cannot be made unique again".into(),
        ))
    }
}

/// Rebuilds SQLite's `cases` from its own `CREATE TABLE` statement without the column's
/// `UNIQUE`, keeping its rows and (named) indexes. Foreign keys must be off (the runner's
/// doing): with them on, dropping a parent table counts every child row as a violation.
async fn rebuild_cases_without_unique_number<C: ConnectionTrait>(conn: &C) -> Result<(), DbErr> {
    let schema = |sql: &str| Statement::from_string(DbBackend::Sqlite, sql.to_owned());
    let table = conn
        .query_one(schema(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'cases'",
        ))
        .await?
        .ok_or_else(|| DbErr::Migration("no cases table".into()))?
        .try_get_by_index::<String>(0)?;
    let create = table
        .replacen(
            SQLITE_UNIQUE_COLUMN,
            r#""registration_number" text NOT NULL"#,
            1,
        )
        .replacen(r#"CREATE TABLE "cases""#, r#"CREATE TABLE "cases_next""#, 1);
    if create == table || !create.starts_with(r#"CREATE TABLE "cases_next""#) {
        return Err(DbErr::Migration(
            "cases is not the table this migration knows how to rebuild".into(),
        ));
    }
    let indexes = conn
        .query_all(schema(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cases' \
             AND sql IS NOT NULL",
        ))
        .await?
        .into_iter()
        .map(|row| row.try_get_by_index::<String>(0))
        .collect::<Result<Vec<_>, _>>()?;
    conn.execute_unprepared(&create).await?;
    conn.execute_unprepared("INSERT INTO cases_next SELECT * FROM cases")
        .await?;
    conn.execute_unprepared("DROP TABLE cases").await?;
    conn.execute_unprepared("ALTER TABLE cases_next RENAME TO cases")
        .await?;
    for index in indexes {
        conn.execute_unprepared(&index).await?;
    }
    Ok(())
}
