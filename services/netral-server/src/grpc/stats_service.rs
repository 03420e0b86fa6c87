//! `netral.v1.StatsService`: the compliance picture the task force publishes and the list of
//! overdue cases, both without personal data. Which cases count follows the read policy: an
//! agency sees figures over the cases it may list (a regional Bawaslu its region, a PPK its
//! own cases, national agencies and the policy owner everything).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use netral_domain::catalogue::ElectionKind;
use netral_domain::policy;
use netral_domain::stats::{CaseFacts, Tally};
use netral_proto::v1 as pb;
use netral_proto::v1::stats_service_server::StatsService;
use netral_store::{CaseQuery, Visibility};
use tonic::{Request, Response, Status};

use super::{AppState, convert, filter};
use crate::clock::Clock;
use crate::error::Error;

/// Default and maximum page sizes of the overdue list.
const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 500;

/// The `StatsService` implementation.
#[derive(Clone)]
pub struct StatsApi {
    /// Shared server state (store, clock, directory).
    state: AppState,
}

impl StatsApi {
    /// The service over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    /// The cases the caller may count, narrowed by `filter`, and today's date.
    async fn scope<T>(
        &self,
        req: &Request<T>,
        filter_text: &str,
    ) -> Result<(CaseQuery, NaiveDate), Error> {
        let caller = self.state.caller(req).await?;
        let today = Clock::date_of(self.state.clock.now());
        let wanted = filter::parse(filter_text)?;
        // Statistics carry no personal data: the policy owner counts every case.
        let visible_to = Visibility::Scope(policy::stats_scope(&caller.profile, today));
        Ok((filter::case_query(wanted, visible_to), today))
    }

    async fn compliance(
        &self,
        req: Request<pb::GetComplianceStatsRequest>,
    ) -> Result<pb::GetComplianceStatsResponse, Error> {
        let as_of = self.state.clock.now();
        let (query, today) = self.scope(&req, &req.get_ref().filter).await?;
        let dimensions = dimensions(&req.get_ref().group_by)?;
        let facts = self.state.store.compliance_facts(&query, today).await?;
        let mut groups: BTreeMap<Vec<String>, Tally> = BTreeMap::new();
        for case in &facts {
            let key = dimensions.iter().map(|d| key_of(*d, case)).collect();
            groups
                .entry(key)
                .or_default()
                .add_case(case, today, Clock::date_of);
        }
        Ok(pb::GetComplianceStatsResponse {
            rows: groups.into_iter().map(|(key, t)| row(key, &t)).collect(),
            as_of_time: Some(convert::timestamp(as_of)),
        })
    }

    async fn overdue(
        &self,
        req: Request<pb::ListOverdueCasesRequest>,
    ) -> Result<pb::ListOverdueCasesResponse, Error> {
        let m = req.get_ref();
        let (query, today) = self.scope(&req, &m.filter).await?;
        let page_size = match m.page_size {
            n if n < 0 => return Err(Error::invalid("page_size", "must not be negative")),
            0 => DEFAULT_PAGE,
            n => (n as u32).min(MAX_PAGE),
        };
        let cursor = filter::parse_cursor_token(&m.page_token, &m.filter, parse_cursor)?;
        let mut rows = self
            .state
            .store
            .overdue_deadlines(&query, today, cursor, u64::from(page_size) + 1)
            .await?;
        let more = rows.len() > page_size as usize;
        rows.truncate(page_size as usize);
        let next_page_token = match (more, rows.last()) {
            (true, Some(last)) => filter::cursor_token(
                &format!("{}~{}~{}", last.due, last.case_id, last.seq),
                &m.filter,
            ),
            _ => String::new(),
        };
        Ok(pb::ListOverdueCasesResponse {
            cases: rows
                .iter()
                .map(|d| pb::OverdueCase {
                    r#case: format!("cases/{}", d.case_id),
                    state: convert::state(d.state) as i32,
                    step: convert::deadline_step(d.step) as i32,
                    agency: convert::agency_name(&d.agency),
                    days_overdue: i32::try_from((today - d.due).num_days()).unwrap_or(i32::MAX),
                    due_date: Some(convert::date(d.due)),
                })
                .collect(),
            next_page_token,
        })
    }
}

/// The overdue list's cursor: `due~case~seq`.
fn parse_cursor(text: &str) -> Option<(NaiveDate, String, i32)> {
    let mut parts = text.split('~');
    let due = parts.next()?.parse().ok()?;
    let case: netral_domain::CaseId = parts.next()?.parse().ok()?;
    let seq = parts.next()?.parse().ok()?;
    parts.next().is_none().then(|| (due, case.to_string(), seq))
}

/// The requested grouping, each dimension once.
fn dimensions(wire: &[i32]) -> Result<Vec<pb::StatsDimension>, Error> {
    let mut out = Vec::new();
    for (i, value) in wire.iter().enumerate() {
        let field = format!("group_by[{i}]");
        match pb::StatsDimension::try_from(*value) {
            Ok(pb::StatsDimension::Unspecified) | Err(_) => {
                return Err(Error::invalid(&field, "not a StatsDimension"));
            }
            Ok(d) if out.contains(&d) => {
                return Err(Error::invalid(&field, "each dimension may appear once"));
            }
            Ok(d) => out.push(d),
        }
    }
    Ok(out)
}

/// A case's value of one grouping dimension.
fn key_of(dimension: pb::StatsDimension, case: &CaseFacts) -> String {
    use pb::StatsDimension as D;
    match dimension {
        D::Province => case.region.to_province().to_string(),
        D::Region => case.region.to_string(),
        D::Election => {
            let kind = match case.election_kind {
                ElectionKind::Pemilu => pb::ElectionKind::Pemilu,
                ElectionKind::Pilkada => pb::ElectionKind::Pilkada,
            };
            format!("{} {}", kind.as_str_name(), case.election_year)
        }
        D::Ppk => convert::agency_name(&case.ppk),
        D::Examiner => case
            .examiner
            .as_ref()
            .map(convert::agency_name)
            .unwrap_or_default(),
        D::State => convert::state(case.state).as_str_name().to_owned(),
        D::Unspecified => String::new(),
    }
}

fn row(key: Vec<String>, tally: &Tally) -> pb::ComplianceRow {
    let figures = tally.figures();
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    pb::ComplianceRow {
        key,
        total: n(tally.cases),
        open: n(tally.open),
        sanctioned: n(tally.sanctioned),
        overdue: n(tally.with_missed_deadline),
        recommendations: n(tally.recommendations),
        followed_on_time: n(tally.on_time),
        followed_late: n(tally.late),
        still_overdue: n(tally.overdue),
        pending: n(tally.pending),
        ended_without_decree: n(tally.ended_without_decree),
        follow_up_rate: figures.follow_up_rate,
        median_days_to_decree: figures.median_days_to_decree,
        p90_days_to_decree: figures.p90_days_to_decree,
    }
}

#[tonic::async_trait]
impl StatsService for StatsApi {
    async fn get_compliance_stats(
        &self,
        req: Request<pb::GetComplianceStatsRequest>,
    ) -> Result<Response<pb::GetComplianceStatsResponse>, Status> {
        self.compliance(req)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn list_overdue_cases(
        &self,
        req: Request<pb::ListOverdueCasesRequest>,
    ) -> Result<Response<pb::ListOverdueCasesResponse>, Status> {
        self.overdue(req)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
}
