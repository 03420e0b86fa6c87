//! Reading cases: one case, a filtered page of cases (newest first, keyset-paginated so
//! pages stay stable while cases are registered), a case's events.

use chrono::{DateTime, Utc};
use netral_domain::case::CaseRecord;
use netral_domain::catalogue::ElectionKind;
use netral_domain::policy::ListScope;
use netral_domain::state::{Action, CaseState};
use netral_domain::{AgencyId, CaseId, RegionCode};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::children::{self, CaseView};
use crate::codec::{Keyword, parse};
use crate::convert::case_from_rows;
use crate::entity::case_children::{attachments, deadlines, escalations, notes, sanctions};
use crate::entity::{case_events, cases, idempotency_keys, subjects};
use crate::error::StoreError;
use crate::store::Store;

/// Which cases a caller may see; the server derives it from the policy's list scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Every case (netral's own reads: the deadline engine, benches, tests).
    Everything,
    /// What the policy's scope for one agency holds (need to know, see
    /// [`netral_domain::policy::ListScope`]).
    Scope(ListScope),
}

/// A page request for [`Store::list_cases`]: the visibility, optional filters (all must
/// hold), and the keyset cursor.
#[derive(Debug, Clone)]
pub struct CaseQuery {
    /// What the caller may see; applied before every filter.
    pub visible_to: Visibility,
    /// Only cases in this state.
    pub state: Option<CaseState>,
    /// Only cases in this region (and its regencies, for a province).
    pub region_prefix: Option<RegionCode>,
    /// Only cases of this election kind.
    pub election_kind: Option<ElectionKind>,
    /// Only cases of this election year.
    pub election_year: Option<i32>,
    /// Only cases forwarded to this examiner.
    pub examiner: Option<AgencyId>,
    /// Only cases of this PPK.
    pub ppk: Option<AgencyId>,
    /// Only cases registered by this office.
    pub reporting_office: Option<AgencyId>,
    /// Only cases under this registration number (the cases of one report share it; other
    /// offices may use the same number): the leading column of `idx_cases_registration`.
    pub registration_number: Option<String>,
    /// Only cases changed at or after this instant.
    pub updated_since: Option<DateTime<Utc>>,
    /// Only cases older than this one: the last id of the previous page.
    pub before_id: Option<CaseId>,
    /// At most this many cases.
    pub limit: u64,
    /// Which of each case's records to read.
    pub view: CaseView,
}

impl CaseQuery {
    /// A first page of everything `visible_to` may see, with no filter.
    pub fn new(visible_to: Visibility, limit: u64) -> Self {
        Self {
            visible_to,
            state: None,
            region_prefix: None,
            election_kind: None,
            election_year: None,
            examiner: None,
            ppk: None,
            reporting_office: None,
            registration_number: None,
            updated_since: None,
            before_id: None,
            limit,
            view: CaseView::Basic,
        }
    }
}

/// One accepted step, as recorded in `case_events`.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseEventRow {
    /// Insertion order across all cases.
    pub id: i64,
    /// The case the step changed.
    pub case_id: CaseId,
    /// The case's version after the step.
    pub case_version: i64,
    /// What was done.
    pub action: Action,
    /// Who did it.
    pub actor: AgencyId,
    /// The caller's request id.
    pub request_id: uuid::Uuid,
    /// The state before.
    pub from_state: CaseState,
    /// The state after.
    pub to_state: CaseState,
    /// The step's parameters as the caller recorded them.
    pub payload: serde_json::Value,
    /// When the step was committed.
    pub occurred_at: DateTime<Utc>,
}

/// Row counts of the case tables, so tests can prove that a refused step wrote nothing.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableCounts {
    /// Rows in `cases`.
    pub cases: u64,
    /// Rows in `subjects`.
    pub subjects: u64,
    /// Rows in `case_events`.
    pub case_events: u64,
    /// Rows in `idempotency_keys`.
    pub idempotency_keys: u64,
    /// Rows in all child tables of `cases` together.
    pub child_records: u64,
    /// Rows in `audit_events`, sequenced or not.
    pub audit_events: u64,
    /// Rows in `inbox_messages`, sequenced or not.
    pub inbox_messages: u64,
}

/// Loads a case with its subject and the child records of `view`, and the subject's row id.
pub(crate) async fn load_case<C: ConnectionTrait>(
    conn: &C,
    id: CaseId,
    view: CaseView,
) -> Result<Option<(CaseRecord, String)>, StoreError> {
    let found = cases::Entity::find_by_id(id.to_string())
        .find_also_related(subjects::Entity)
        .one(conn)
        .await?;
    match found {
        None => Ok(None),
        Some((row, Some(subject))) => {
            let subject_row_id = row.subject_id.clone();
            let (case, has_sanctions) = case_from_rows(row, subject)?;
            let mut case = [case];
            children::fill(conn, &mut case, &[has_sanctions], view).await?;
            let [case] = case;
            Ok(Some((case, subject_row_id)))
        }
        Some((_, None)) => Err(StoreError::corrupt("cases", "subject_id")),
    }
}

/// Cases in `region`: the region itself and, for a province, every regency in it.
fn in_region(region: &RegionCode) -> Condition {
    let code = region.to_string();
    let mut condition = Condition::any().add(cases::Column::RegionCode.eq(code.as_str()));
    if region.is_province() {
        condition = condition.add(cases::Column::RegionCode.like(format!("{code}.%")));
    }
    condition
}

fn visible(visibility: &Visibility) -> Condition {
    let scope = match visibility {
        Visibility::Everything => return Condition::all(),
        Visibility::Scope(scope) if scope.is_everything() => return Condition::all(),
        Visibility::Scope(scope) => scope,
    };
    // Inside the jurisdiction (everywhere for a national agency): every case, or the cases
    // its role needs.
    let inside = |condition: Condition| match &scope.jurisdiction {
        Some(region) => condition.add(in_region(region)),
        None => condition,
    };
    let mut any = Condition::any().add(party_to(&scope.agency));
    if scope.every_case {
        any = any.add(inside(Condition::all()));
    } else {
        if scope.forwarded {
            any = any.add(inside(
                Condition::all().add(cases::Column::ForwardedOn.is_not_null()),
            ));
        }
        if scope.recommended {
            any = any.add(inside(
                Condition::all().add(cases::Column::Recommendation.is_not_null()),
            ));
        }
    }
    any
}

/// Cases naming `agency` as reporting office, examiner or PPK.
fn party_to(agency: &AgencyId) -> Condition {
    Condition::any()
        .add(cases::Column::ReportingOffice.eq(agency.as_str()))
        .add(cases::Column::Examiner.eq(agency.as_str()))
        .add(cases::Column::Ppk.eq(agency.as_str()))
}

pub(crate) fn filters(query: &CaseQuery) -> Condition {
    let agency = |a: &Option<AgencyId>| a.as_ref().map(|a| a.as_str().to_owned());
    Condition::all()
        .add(visible(&query.visible_to))
        .add_option(query.state.map(|s| cases::Column::State.eq(s.as_str())))
        .add_option(query.region_prefix.as_ref().map(in_region))
        .add_option(
            query
                .election_kind
                .map(|k| cases::Column::ElectionKind.eq(k.keyword())),
        )
        .add_option(
            query
                .election_year
                .map(|y| cases::Column::ElectionYear.eq(y)),
        )
        .add_option(agency(&query.examiner).map(|a| cases::Column::Examiner.eq(a)))
        .add_option(agency(&query.ppk).map(|a| cases::Column::Ppk.eq(a)))
        .add_option(agency(&query.reporting_office).map(|a| cases::Column::ReportingOffice.eq(a)))
        .add_option(
            query
                .registration_number
                .as_ref()
                .map(|n| cases::Column::RegistrationNumber.eq(n.as_str())),
        )
        .add_option(query.updated_since.map(|t| cases::Column::UpdatedAt.gte(t)))
        .add_option(
            query
                .before_id
                .map(|id| cases::Column::Id.lt(id.to_string())),
        )
}

fn event_from_row(row: case_events::Model) -> Result<CaseEventRow, StoreError> {
    const T: &str = "case_events";
    Ok(CaseEventRow {
        id: row.id,
        case_id: parse(&row.case_id, T, "case_id")?,
        case_version: row.case_version,
        action: parse(&row.action, T, "action")?,
        actor: parse(&row.actor, T, "actor")?,
        request_id: parse(&row.request_id, T, "request_id")?,
        from_state: parse(&row.from_state, T, "from_state")?,
        to_state: parse(&row.to_state, T, "to_state")?,
        payload: serde_json::from_str(&row.payload)
            .map_err(|_| StoreError::corrupt(T, "payload"))?,
        occurred_at: row.occurred_at,
    })
}

/// A case's own row as a step's pre-check needs it.
#[derive(Debug, Clone)]
pub struct CaseHead {
    /// Its parties and where it stands, for the policy.
    pub parties: netral_domain::policy::CaseParties,
    /// The registration's W3C `traceparent`, which the step links to; empty without one.
    pub traceparent: String,
}

impl Store {
    /// The case with its subject and the records of `view`, or `None` if there is no such
    /// case.
    pub async fn get_case(
        &self,
        id: CaseId,
        view: CaseView,
    ) -> Result<Option<CaseRecord>, StoreError> {
        Ok(load_case(&self.db, id, view).await?.map(|(case, _)| case))
    }

    /// The parties of the case `id` and where it stands, as the policy needs them, with the
    /// registration's trace context, or `None` if there is no such case: one read of the
    /// case's own row (no subject, no child records), for the policy's question before a
    /// step queues for its transaction.
    pub async fn case_head(&self, id: CaseId) -> Result<Option<CaseHead>, StoreError> {
        let row = cases::Entity::find_by_id(id.to_string())
            .one(&self.db)
            .await?;
        row.map(|row| {
            Ok(CaseHead {
                parties: crate::convert::parties_from_row(&row)?,
                traceparent: row.traceparent,
            })
        })
        .transpose()
    }

    /// The registration's trace context of the case `id` (empty when it has none), or `None`
    /// if there is no such case.
    pub async fn case_traceparent(&self, id: CaseId) -> Result<Option<String>, StoreError> {
        Ok(cases::Entity::find_by_id(id.to_string())
            .select_only()
            .column(cases::Column::Traceparent)
            .into_tuple()
            .one(&self.db)
            .await?)
    }

    /// The other cases `office` registered under `number` than `id`: the cases one report
    /// gave rise to (one per ASN named in it), in registration order. One range read of
    /// `idx_cases_registration` (number, office).
    pub async fn related_cases(
        &self,
        id: CaseId,
        office: &AgencyId,
        number: &str,
    ) -> Result<Vec<CaseId>, StoreError> {
        let ids: Vec<String> = cases::Entity::find()
            .select_only()
            .column(cases::Column::Id)
            .filter(cases::Column::RegistrationNumber.eq(number))
            .filter(cases::Column::ReportingOffice.eq(office.as_str()))
            .filter(cases::Column::Id.ne(id.to_string()))
            .order_by_asc(cases::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await?;
        ids.iter().map(|c| parse(c, "cases", "id")).collect()
    }

    /// A page of cases matching `query`, newest first (by id, a UUIDv7). Pass the last id of
    /// a page as `before_id` for the next: cases registered meanwhile sort before the first
    /// page and never shift later pages.
    pub async fn list_cases(&self, query: &CaseQuery) -> Result<Vec<CaseRecord>, StoreError> {
        let rows = cases::Entity::find()
            .filter(filters(query))
            .order_by_desc(cases::Column::Id)
            .limit(query.limit.min(i64::MAX as u64))
            .find_also_related(subjects::Entity)
            .all(&self.db)
            .await?;
        let (mut cases, has_sanctions): (Vec<_>, Vec<_>) = rows
            .into_iter()
            .map(|(row, subject)| match subject {
                Some(subject) => case_from_rows(row, subject),
                None => Err(StoreError::corrupt("cases", "subject_id")),
            })
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .unzip();
        children::fill(&self.db, &mut cases, &has_sanctions, query.view).await?;
        Ok(cases)
    }

    /// The case's events, oldest first.
    pub async fn case_events(&self, id: CaseId) -> Result<Vec<CaseEventRow>, StoreError> {
        case_events::Entity::find()
            .filter(case_events::Column::CaseId.eq(id.to_string()))
            .order_by_asc(case_events::Column::CaseVersion)
            .all(&self.db)
            .await?
            .into_iter()
            .map(event_from_row)
            .collect()
    }

    /// Row counts of the case tables (for tests proving nothing was written).
    #[doc(hidden)]
    pub async fn table_counts(&self) -> Result<TableCounts, StoreError> {
        Ok(TableCounts {
            cases: cases::Entity::find().count(&self.db).await?,
            subjects: subjects::Entity::find().count(&self.db).await?,
            case_events: case_events::Entity::find().count(&self.db).await?,
            idempotency_keys: idempotency_keys::Entity::find().count(&self.db).await?,
            child_records: notes::Entity::find().count(&self.db).await?
                + attachments::Entity::find().count(&self.db).await?
                + escalations::Entity::find().count(&self.db).await?
                + deadlines::Entity::find().count(&self.db).await?
                + sanctions::Entity::find().count(&self.db).await?,
            audit_events: crate::entity::audit::events::Entity::find()
                .count(&self.db)
                .await?,
            inbox_messages: crate::entity::inbox::messages::Entity::find()
                .count(&self.db)
                .await?,
        })
    }
}
