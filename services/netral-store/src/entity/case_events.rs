//! `case_events`: one row per accepted step, written in the step's transaction; the history
//! auditors and the audit log are built from.

use sea_orm::entity::prelude::*;

/// One accepted step on one case.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_events")]
pub struct Model {
    /// Insertion order across all cases.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The case the step changed.
    #[sea_orm(column_type = "Text")]
    pub case_id: String,
    /// The case's version after the step; unique per case, so a step is recorded once.
    pub case_version: i64,
    /// The action's wire name (`FORWARD`).
    #[sea_orm(column_type = "Text")]
    pub action: String,
    /// The agency that took the step.
    #[sea_orm(column_type = "Text")]
    pub actor: String,
    /// The caller's request id, linking the event to its idempotency key.
    #[sea_orm(column_type = "Text")]
    pub request_id: String,
    /// The state before the step.
    #[sea_orm(column_type = "Text")]
    pub from_state: String,
    /// The state after the step.
    #[sea_orm(column_type = "Text")]
    pub to_state: String,
    /// The step's parameters as JSON text, chosen by the caller.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// When the step was committed.
    pub occurred_at: DateTimeUtc,
    /// The W3C `traceparent` of the step's span (the call's, or the deadline engine's);
    /// empty for events recorded before it was kept.
    #[sea_orm(column_type = "Text")]
    pub traceparent: String,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("case_events::Model")
            .field("id", &self.id)
            .field("case_id", &self.case_id)
            .field("case_version", &self.case_version)
            .field("action", &self.action)
            .finish_non_exhaustive()
    }
}

/// Relations of `case_events`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The case the event belongs to.
    #[sea_orm(
        belongs_to = "super::cases::Entity",
        from = "Column::CaseId",
        to = "super::cases::Column::Id"
    )]
    Case,
}

impl Related<super::cases::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
