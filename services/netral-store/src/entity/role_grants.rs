//! `role_grants`: the dated roles each agency holds (the examiner moved from KASN to BKN on a
//! date, so a role is never just a flag).

use sea_orm::entity::prelude::*;

/// One role held by one agency over a period.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "role_grants")]
pub struct Model {
    /// Surrogate key; grants are replaced as a whole on every directory sync.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The agency holding the role.
    #[sea_orm(column_type = "Text")]
    pub agency_id: String,
    /// The role's wire name (`EXAMINER`).
    #[sea_orm(column_type = "Text")]
    pub role: String,
    /// First day in force.
    pub valid_from: Date,
    /// Last day in force, inclusive; `None` while open-ended.
    pub valid_until: Option<Date>,
}

/// Relations of `role_grants`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The agency holding the grant.
    #[sea_orm(
        belongs_to = "super::agencies::Entity",
        from = "Column::AgencyId",
        to = "super::agencies::Column::Id"
    )]
    Agency,
}

impl Related<super::agencies::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Agency.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
