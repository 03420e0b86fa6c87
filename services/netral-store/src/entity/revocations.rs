//! `revocations`: agencies and certificates revoked by an operator, read by every replica on
//! its refresh interval.

use sea_orm::entity::prelude::*;

/// One revoked agency or certificate.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "revocations")]
pub struct Model {
    /// What is revoked: `agency` or `certificate` (see `codec`).
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub kind: String,
    /// Its name within the kind: the agency id, or the certificate's lower-case hex SHA-256;
    /// with `kind`, the key that makes a second revocation of the same thing a no-op.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub subject: String,
    /// The agency a revoked certificate names, when known, so a listing says whose it was;
    /// the agency itself for an agency.
    #[sea_orm(column_type = "Text", nullable)]
    pub agency_id: Option<String>,
    /// The certificate's serial number in hex, when the operator gave the certificate, to
    /// match it against the issuing CA's records.
    #[sea_orm(column_type = "Text", nullable)]
    pub serial: Option<String>,
    /// When the revocation was recorded; it applies from then on.
    pub revoked_at: DateTimeUtc,
    /// Why, as the operator wrote it (a ticket or decision number; no personal data).
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    /// Who recorded it, for the operators' own accountability.
    #[sea_orm(column_type = "Text")]
    pub recorded_by: String,
}

/// `revocations` has no relations the store navigates.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
