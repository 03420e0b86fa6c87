//! The first schema: directory, subjects, cases, case events and idempotency keys.
//!
//! Types are chosen to mean the same on both backends: ids are text UUIDs or slugs, instants
//! `timestamp with time zone`, days `date`, lists and nested values JSON in `text` columns.

use sea_orm_migration::prelude::*;

/// Creates every table and index of the first release.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Agencies {
    Table,
    Id,
    DisplayName,
    RegionCode,
    RevokedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RoleGrants {
    Table,
    Id,
    AgencyId,
    Role,
    ValidFrom,
    ValidUntil,
}

#[derive(DeriveIden)]
enum Subjects {
    Table,
    Id,
    IdKind,
    IdValue,
    FullName,
    Position,
    EmployingInstance,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    RegistrationNumber,
    State,
    Version,
    CreatedAt,
    UpdatedAt,
    ReportingOffice,
    Examiner,
    Ppk,
    SubjectId,
    RegionCode,
    ElectionKind,
    ElectionYear,
    ElectionPhase,
    LegalBasis,
    ViolationForm,
    Source,
    OccurredOn,
    ReportedOn,
    Summary,
    OverlapsElectionCrime,
    ForwardedOn,
    ForwardLetterNumber,
    ReviewExtended,
    Recommendation,
    RecommendationAcknowledged,
    PersonnelDataBlocked,
    ImposedSanctions,
    Escalations,
    Deadlines,
    Attachments,
    Notes,
    Outcome,
}

#[derive(DeriveIden)]
enum CaseEvents {
    Table,
    Id,
    CaseId,
    CaseVersion,
    Action,
    Actor,
    RequestId,
    FromState,
    ToState,
    Payload,
    OccurredAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    AgencyId,
    RequestId,
    Method,
    RequestDigest,
    CaseId,
    Response,
    CreatedAt,
}

fn text(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().not_null().to_owned()
}

fn text_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().null().to_owned()
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

fn flag(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).boolean().not_null().to_owned()
}

fn index(
    name: &str,
    table: impl IntoIden + 'static,
    col: impl IntoIden + 'static,
) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table(table)
        .col(col)
        .if_not_exists()
        .to_owned()
}

fn directory_tables() -> Vec<TableCreateStatement> {
    let agencies = Table::create()
        .table(Agencies::Table)
        .if_not_exists()
        .col(text(Agencies::Id).primary_key())
        .col(text(Agencies::DisplayName))
        .col(text_null(Agencies::RegionCode))
        .col(
            ColumnDef::new(Agencies::RevokedAt)
                .timestamp_with_time_zone()
                .null(),
        )
        .col(instant(Agencies::UpdatedAt))
        .to_owned();
    let grants = Table::create()
        .table(RoleGrants::Table)
        .if_not_exists()
        .col(
            ColumnDef::new(RoleGrants::Id)
                .big_integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(text(RoleGrants::AgencyId))
        .col(text(RoleGrants::Role))
        .col(day(RoleGrants::ValidFrom))
        .col(ColumnDef::new(RoleGrants::ValidUntil).date().null())
        .foreign_key(
            ForeignKey::create()
                .name("fk_role_grants_agency")
                .from(RoleGrants::Table, RoleGrants::AgencyId)
                .to(Agencies::Table, Agencies::Id),
        )
        .to_owned();
    vec![agencies, grants]
}

fn case_tables() -> Vec<TableCreateStatement> {
    let subjects = Table::create()
        .table(Subjects::Table)
        .if_not_exists()
        .col(text(Subjects::Id).primary_key())
        .col(text(Subjects::IdKind))
        .col(text(Subjects::IdValue))
        .col(text(Subjects::FullName))
        .col(text(Subjects::Position))
        .col(text(Subjects::EmployingInstance))
        .to_owned();
    let cases = Table::create()
        .table(Cases::Table)
        .if_not_exists()
        .col(text(Cases::Id).primary_key())
        .col(text(Cases::RegistrationNumber).unique_key())
        .col(text(Cases::State))
        .col(ColumnDef::new(Cases::Version).big_integer().not_null())
        .col(instant(Cases::CreatedAt))
        .col(instant(Cases::UpdatedAt))
        .col(text(Cases::ReportingOffice))
        .col(text_null(Cases::Examiner))
        .col(text(Cases::Ppk))
        .col(text(Cases::SubjectId))
        .col(text(Cases::RegionCode))
        .col(text(Cases::ElectionKind))
        .col(ColumnDef::new(Cases::ElectionYear).integer().not_null())
        .col(text(Cases::ElectionPhase))
        .col(text(Cases::LegalBasis))
        .col(ColumnDef::new(Cases::ViolationForm).integer().not_null())
        .col(text(Cases::Source))
        .col(day(Cases::OccurredOn))
        .col(day(Cases::ReportedOn))
        .col(text(Cases::Summary))
        .col(flag(Cases::OverlapsElectionCrime))
        .col(ColumnDef::new(Cases::ForwardedOn).date().null())
        .col(text_null(Cases::ForwardLetterNumber))
        .col(flag(Cases::ReviewExtended))
        .col(text_null(Cases::Recommendation))
        .col(flag(Cases::RecommendationAcknowledged))
        .col(flag(Cases::PersonnelDataBlocked))
        .col(text(Cases::ImposedSanctions))
        .col(text(Cases::Escalations))
        .col(text(Cases::Deadlines))
        .col(text(Cases::Attachments))
        .col(text(Cases::Notes))
        .col(text(Cases::Outcome))
        .foreign_key(
            ForeignKey::create()
                .name("fk_cases_subject")
                .from(Cases::Table, Cases::SubjectId)
                .to(Subjects::Table, Subjects::Id),
        )
        .to_owned();
    let events = Table::create()
        .table(CaseEvents::Table)
        .if_not_exists()
        .col(
            ColumnDef::new(CaseEvents::Id)
                .big_integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(text(CaseEvents::CaseId))
        .col(
            ColumnDef::new(CaseEvents::CaseVersion)
                .big_integer()
                .not_null(),
        )
        .col(text(CaseEvents::Action))
        .col(text(CaseEvents::Actor))
        .col(text(CaseEvents::RequestId))
        .col(text(CaseEvents::FromState))
        .col(text(CaseEvents::ToState))
        .col(text(CaseEvents::Payload))
        .col(instant(CaseEvents::OccurredAt))
        .foreign_key(
            ForeignKey::create()
                .name("fk_case_events_case")
                .from(CaseEvents::Table, CaseEvents::CaseId)
                .to(Cases::Table, Cases::Id),
        )
        .to_owned();
    let keys = Table::create()
        .table(IdempotencyKeys::Table)
        .if_not_exists()
        .col(text(IdempotencyKeys::AgencyId))
        .col(text(IdempotencyKeys::RequestId))
        .col(text(IdempotencyKeys::Method))
        .col(text(IdempotencyKeys::RequestDigest))
        .col(text(IdempotencyKeys::CaseId))
        .col(ColumnDef::new(IdempotencyKeys::Response).blob().not_null())
        .col(instant(IdempotencyKeys::CreatedAt))
        .primary_key(
            Index::create()
                .name("pk_idempotency_keys")
                .col(IdempotencyKeys::AgencyId)
                .col(IdempotencyKeys::RequestId),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_idempotency_keys_case")
                .from(IdempotencyKeys::Table, IdempotencyKeys::CaseId)
                .to(Cases::Table, Cases::Id),
        )
        .to_owned();
    vec![subjects, cases, events, keys]
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        index(
            "idx_role_grants_agency",
            RoleGrants::Table,
            RoleGrants::AgencyId,
        ),
        index("idx_cases_state", Cases::Table, Cases::State),
        index("idx_cases_region_code", Cases::Table, Cases::RegionCode),
        index("idx_cases_examiner", Cases::Table, Cases::Examiner),
        index("idx_cases_ppk", Cases::Table, Cases::Ppk),
        index(
            "idx_cases_reporting_office",
            Cases::Table,
            Cases::ReportingOffice,
        ),
        index("idx_cases_updated_at", Cases::Table, Cases::UpdatedAt),
        index("idx_cases_subject", Cases::Table, Cases::SubjectId),
        index(
            "idx_idempotency_keys_case",
            IdempotencyKeys::Table,
            IdempotencyKeys::CaseId,
        ),
        Index::create()
            .name("uq_case_events_case_version")
            .table(CaseEvents::Table)
            .col(CaseEvents::CaseId)
            .col(CaseEvents::CaseVersion)
            .unique()
            .if_not_exists()
            .to_owned(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in directory_tables().into_iter().chain(case_tables()) {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            IdempotencyKeys::Table.into_iden(),
            CaseEvents::Table.into_iden(),
            Cases::Table.into_iden(),
            Subjects::Table.into_iden(),
            RoleGrants::Table.into_iden(),
            Agencies::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
