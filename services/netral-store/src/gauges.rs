//! What the operator's gauges show, read in one go every backlog interval: cases by state,
//! open deadlines already past due, and audit events waiting for the sequencer. Counts only:
//! no personal data, no case ids.

use chrono::NaiveDate;
use netral_domain::case::DeadlineStatus;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};

use crate::codec::Keyword;
use crate::entity::case_children::deadlines;
use crate::entity::cases;
use crate::error::StoreError;
use crate::store::Store;

/// The counts behind the gauges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gauges {
    /// Cases per state (`FORWARDED`), every state that has any.
    pub cases_by_state: Vec<(String, u64)>,
    /// Open deadlines whose due date is before the day asked about.
    pub overdue_deadlines: u64,
    /// Audit events committed and not yet sequenced into the log.
    pub audit_waiting: u64,
}

impl Store {
    /// The gauges' counts as of `today`: three aggregate reads over indexes
    /// (`cases.state`, `(status, due_on)` of the deadlines, the audit log's unsequenced
    /// events).
    pub async fn gauges(&self, today: NaiveDate) -> Result<Gauges, StoreError> {
        let states: Vec<(String, i64)> = cases::Entity::find()
            .select_only()
            .column(cases::Column::State)
            .column_as(cases::Column::Id.count(), "count")
            .group_by(cases::Column::State)
            .into_tuple()
            .all(&self.db)
            .await?;
        let overdue_deadlines = deadlines::Entity::find()
            .filter(deadlines::Column::Status.eq(DeadlineStatus::Open.keyword()))
            .filter(deadlines::Column::DueOn.lt(today))
            .count(&self.db)
            .await?;
        Ok(Gauges {
            cases_by_state: states
                .into_iter()
                .map(|(state, count)| (state, u64::try_from(count).unwrap_or_default()))
                .collect(),
            overdue_deadlines,
            audit_waiting: self.audit_events_waiting().await?,
        })
    }
}
