//! `subjects`: the reported civil servant's personal data, one row per case, kept apart from
//! the case row so that listing, statistics and exports can work without touching it.

use sea_orm::entity::prelude::*;

/// The personal data of one case's subject. Its `Debug` shows only the row id.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subjects")]
pub struct Model {
    /// A random UUID, so the row id reveals nothing about the person.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// `nip`, `ni_pppk` or `nik`: the digits alone cannot tell a NIP from an NI PPPK.
    #[sea_orm(column_type = "Text")]
    pub id_kind: String,
    /// The identifier's digits.
    #[sea_orm(column_type = "Text")]
    pub id_value: String,
    /// Full name as in the personnel record.
    #[sea_orm(column_type = "Text")]
    pub full_name: String,
    /// Position at the time of the violation.
    #[sea_orm(column_type = "Text")]
    pub position: String,
    /// The employing instance.
    #[sea_orm(column_type = "Text")]
    pub employing_instance: String,
    /// When the subject's personal data was erased; then `id_value`, `full_name` and
    /// `position` are empty (a tombstone).
    pub erased_at: Option<DateTimeUtc>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("subjects::Model")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Relations of `subjects`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The case naming this subject.
    #[sea_orm(has_many = "super::cases::Entity")]
    Cases,
}

impl Related<super::cases::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Cases.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
