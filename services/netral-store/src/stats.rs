//! Reads behind the statistics: each case's compliance facts (its grouping keys, its PPK
//! deadline and the instant of its decree; no personal data), read in keyset pages of a
//! few thousand cases with two child queries per page, and the overdue deadlines, most
//! overdue first, from the deadlines' `(status, due_on)` index.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use netral_domain::case::DeadlineStatus;
use netral_domain::catalogue::DeadlineStep;
use netral_domain::state::{Action, CaseState};
use netral_domain::stats::{CaseFacts, PpkDeadline};
use netral_domain::{AgencyId, CaseId};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::codec::{Keyword, decode, parse};
use crate::entity::case_children::deadlines;
use crate::entity::{case_events, cases};
use crate::error::StoreError;
use crate::query::{CaseQuery, filters};
use crate::store::Store;

/// How many cases one page of [`Store::compliance_facts`] reads.
const FACTS_PAGE: u64 = 2_000;

/// A case's columns the statistics read: id, region, election kind and year, PPK,
/// examiner, state.
type FactsRow = (String, String, String, i32, String, Option<String>, String);

impl Store {
    /// The facts of every case matching `query`'s visibility and filters (its `limit`,
    /// `before_id` and `view` are ignored), oldest first; `today` decides which open
    /// deadlines have passed.
    pub async fn compliance_facts(
        &self,
        query: &CaseQuery,
        today: NaiveDate,
    ) -> Result<Vec<CaseFacts>, StoreError> {
        let mut query = query.clone();
        query.before_id = None;
        let mut facts = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let rows: Vec<FactsRow> = cases::Entity::find()
                .select_only()
                .column(cases::Column::Id)
                .column(cases::Column::RegionCode)
                .column(cases::Column::ElectionKind)
                .column(cases::Column::ElectionYear)
                .column(cases::Column::Ppk)
                .column(cases::Column::Examiner)
                .column(cases::Column::State)
                .filter(filters(&query))
                .filter(
                    Condition::all()
                        .add_option(after.as_ref().map(|id| cases::Column::Id.gt(id.clone()))),
                )
                .order_by_asc(cases::Column::Id)
                .limit(FACTS_PAGE)
                .into_tuple()
                .all(&self.db)
                .await?;
            let Some(last) = rows.last() else {
                return Ok(facts);
            };
            after = Some(last.0.clone());
            let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
            let mut deadlines = self.deadline_facts(&ids, today).await?;
            let mut decrees = self.decree_instants(&ids).await?;
            const T: &str = "cases";
            for (id, region, kind, year, ppk, examiner, state) in rows {
                let (missed_a_deadline, ppk_deadline) =
                    deadlines.remove(&id).unwrap_or((false, None));
                facts.push(CaseFacts {
                    case_id: parse(&id, T, "id")?,
                    region: parse(&region, T, "region_code")?,
                    election_kind: decode(&kind, T, "election_kind")?,
                    election_year: year,
                    ppk: parse(&ppk, T, "ppk")?,
                    examiner: examiner.map(|e| parse(&e, T, "examiner")).transpose()?,
                    state: parse(&state, T, "state")?,
                    missed_a_deadline,
                    ppk_deadline,
                    decreed_at: decrees.remove(&id),
                });
            }
        }
    }

    /// For each of `ids`: whether a deadline was missed (or passed while open) by `today`,
    /// and its PPK deadline.
    async fn deadline_facts(
        &self,
        ids: &[String],
        today: NaiveDate,
    ) -> Result<HashMap<String, (bool, Option<PpkDeadline>)>, StoreError> {
        const T: &str = "case_deadlines";
        let rows: Vec<(String, String, String, NaiveDate, NaiveDate)> = deadlines::Entity::find()
            .select_only()
            .column(deadlines::Column::CaseId)
            .column(deadlines::Column::Step)
            .column(deadlines::Column::Status)
            .column(deadlines::Column::StartOn)
            .column(deadlines::Column::DueOn)
            .filter(deadlines::Column::CaseId.is_in(ids.iter().cloned()))
            .order_by_asc(deadlines::Column::CaseId)
            .order_by_asc(deadlines::Column::Seq)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut facts: HashMap<String, (bool, Option<PpkDeadline>)> = HashMap::new();
        for (case_id, step, status, start, due) in rows {
            let step: DeadlineStep = decode(&step, T, "step")?;
            let status: DeadlineStatus = decode(&status, T, "status")?;
            let entry = facts.entry(case_id).or_default();
            entry.0 |=
                status == DeadlineStatus::Missed || (status == DeadlineStatus::Open && today > due);
            if step == DeadlineStep::PpkAction {
                entry.1 = Some(PpkDeadline { status, start, due });
            }
        }
        Ok(facts)
    }

    /// The instant each of `ids` had its decree recorded, if it had.
    async fn decree_instants(
        &self,
        ids: &[String],
    ) -> Result<HashMap<String, DateTime<Utc>>, StoreError> {
        let rows: Vec<(String, DateTime<Utc>)> = case_events::Entity::find()
            .select_only()
            .column(case_events::Column::CaseId)
            .column(case_events::Column::OccurredAt)
            .filter(case_events::Column::CaseId.is_in(ids.iter().cloned()))
            .filter(case_events::Column::Action.eq(Action::RecordSanctionDecree.as_str()))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().collect())
    }
}

/// One overdue deadline of an open case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueDeadline {
    /// The case.
    pub case_id: CaseId,
    /// Its state.
    pub state: CaseState,
    /// The deadline's place among the case's deadlines (from 1), for paging.
    pub seq: i32,
    /// The step that is overdue.
    pub step: DeadlineStep,
    /// The agency expected to act.
    pub agency: AgencyId,
    /// The last day that was on time.
    pub due: NaiveDate,
}

/// Where a page of overdue deadlines continues: after this due day, case and seq.
pub type OverdueCursor = (NaiveDate, String, i32);

impl Store {
    /// Up to `limit` open deadlines past due by `today` of cases matching `query`'s
    /// visibility and filters, most overdue first (earliest due day, then case and seq),
    /// after `cursor`.
    pub async fn overdue_deadlines(
        &self,
        query: &CaseQuery,
        today: NaiveDate,
        cursor: Option<OverdueCursor>,
        limit: u64,
    ) -> Result<Vec<OverdueDeadline>, StoreError> {
        const T: &str = "case_deadlines";
        let mut query = query.clone();
        query.before_id = None;
        let after = cursor.map(|(due, case_id, seq)| {
            Condition::any()
                .add(deadlines::Column::DueOn.gt(due))
                .add(
                    Condition::all()
                        .add(deadlines::Column::DueOn.eq(due))
                        .add(deadlines::Column::CaseId.gt(case_id.clone())),
                )
                .add(
                    Condition::all()
                        .add(deadlines::Column::DueOn.eq(due))
                        .add(deadlines::Column::CaseId.eq(case_id))
                        .add(deadlines::Column::Seq.gt(seq)),
                )
        });
        let rows: Vec<(String, i32, String, String, NaiveDate, String)> = deadlines::Entity::find()
            .select_only()
            .column(deadlines::Column::CaseId)
            .column(deadlines::Column::Seq)
            .column(deadlines::Column::Step)
            .column(deadlines::Column::Agency)
            .column(deadlines::Column::DueOn)
            .column(cases::Column::State)
            .inner_join(cases::Entity)
            .filter(deadlines::Column::Status.eq(DeadlineStatus::Open.keyword()))
            .filter(deadlines::Column::DueOn.lt(today))
            .filter(filters(&query))
            .filter(Condition::all().add_option(after))
            .order_by_asc(deadlines::Column::DueOn)
            .order_by_asc(deadlines::Column::CaseId)
            .order_by_asc(deadlines::Column::Seq)
            .limit(limit.min(i64::MAX as u64))
            .into_tuple()
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|(case_id, seq, step, agency, due, state)| {
                Ok(OverdueDeadline {
                    case_id: parse(&case_id, T, "case_id")?,
                    state: parse(&state, "cases", "state")?,
                    seq,
                    step: decode(&step, T, "step")?,
                    agency: parse(&agency, T, "agency")?,
                    due,
                })
            })
            .collect()
    }
}
