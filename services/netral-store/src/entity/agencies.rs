//! `agencies`: the directory's agencies, synced from the directory file or service.

use sea_orm::entity::prelude::*;

/// One agency of the exchange.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agencies")]
pub struct Model {
    /// The agency slug (`bawaslu-kotabaru`), as in its client certificate.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// The human name shown to other agencies.
    #[sea_orm(column_type = "Text")]
    pub display_name: String,
    /// The region a regional office serves; `None` for a national agency.
    #[sea_orm(column_type = "Text", nullable)]
    pub region_code: Option<String>,
    /// When the agency's access was revoked; its history stays.
    pub revoked_at: Option<DateTimeUtc>,
    /// When this row was last synced, for operators checking the directory's freshness.
    pub updated_at: DateTimeUtc,
}

/// Relations of `agencies`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The dated roles the agency holds.
    #[sea_orm(has_many = "super::role_grants::Entity")]
    RoleGrants,
}

impl Related<super::role_grants::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RoleGrants.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
