//! `idempotency_keys`: the first answer to every accepted mutation, so a retried request is
//! answered from here and never applied twice.

use sea_orm::entity::prelude::*;

/// One accepted request of one agency.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    /// The calling agency: request ids are unique per agency, not globally.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub agency_id: String,
    /// The caller's `request_id`.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub request_id: String,
    /// The gRPC method first called with this id: a replay must call the same one.
    #[sea_orm(column_type = "Text")]
    pub method: String,
    /// Hex SHA-256 of the first request: a replay must carry the same payload.
    #[sea_orm(column_type = "Text")]
    pub request_digest: String,
    /// The case the request changed, for operators tracing a retry.
    #[sea_orm(column_type = "Text")]
    pub case_id: String,
    /// The encoded first response, replayed byte for byte.
    #[sea_orm(column_type = "Blob")]
    pub response: Vec<u8>,
    /// When the request was accepted, so old keys can be expired by age.
    pub created_at: DateTimeUtc,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("idempotency_keys::Model")
            .field("agency_id", &self.agency_id)
            .field("request_id", &self.request_id)
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

/// `idempotency_keys` has no relations the store navigates.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
