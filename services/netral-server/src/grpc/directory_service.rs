//! `netral.v1.DirectoryService`: the exchange's reference data, read-only, for every
//! authenticated agency — agencies and their dated roles, regions, the working-day calendar,
//! deadline rules, violation forms and sanction codes.
//!
//! The data is fixed for the life of the process, so a page token is simply a position in a
//! list, bound to the filter it was issued for.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Datelike;
use netral_domain::catalogue::{DayUnit, MoralKind, NonWorkingKind, SanctionTrack};
use netral_domain::policy::Role;
use netral_domain::{AgencyId, RegionCode};
use netral_proto::v1 as pb;
use netral_proto::v1::directory_service_server::DirectoryService;
use tonic::{Request, Response, Status};

use super::{AppState, convert};
use crate::error::Error;

/// Default and maximum page sizes of directory lists.
const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 1000;

/// The `DirectoryService` implementation.
#[derive(Clone)]
pub struct DirectoryApi {
    /// Shared server state (directory and catalogue).
    state: AppState,
}

impl DirectoryApi {
    /// A service over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

/// One page of `items` after the position in `token`, and the token of the next page.
fn page<T>(
    items: Vec<T>,
    page_size: i32,
    token: &str,
    filter: &str,
) -> Result<(Vec<T>, String), Error> {
    if page_size < 0 {
        return Err(Error::invalid("page_size", "must not be negative"));
    }
    let size = match page_size {
        0 => DEFAULT_PAGE,
        n => (n as usize).min(MAX_PAGE),
    };
    let start = if token.is_empty() {
        0
    } else {
        let bad = || {
            Error::invalid(
                "page_token",
                "not a page token of this listing; start again without it",
            )
        };
        let text = URL_SAFE_NO_PAD
            .decode(token)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(bad)?;
        let (offset, bound) = text.split_once('|').ok_or_else(bad)?;
        if bound != filter {
            return Err(Error::invalid(
                "page_token",
                "this page token was issued for a different filter",
            ));
        }
        offset.parse::<usize>().map_err(|_| bad())?
    };
    let end = start.saturating_add(size).min(items.len());
    let next = if end < items.len() {
        URL_SAFE_NO_PAD.encode(format!("{end}|{filter}"))
    } else {
        String::new()
    };
    let page = items
        .into_iter()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect();
    Ok((page, next))
}

/// Splits `key = value` terms joined by ` AND `, unquoting values; only `allowed` keys pass.
fn terms<'a>(filter: &'a str, allowed: &[&str]) -> Result<Vec<(&'a str, &'a str)>, Error> {
    if filter.trim().is_empty() {
        return Ok(Vec::new());
    }
    filter
        .split(" AND ")
        .map(|term| {
            let (k, v) = term.split_once('=').ok_or_else(|| {
                Error::invalid(
                    "filter",
                    format!("`{}` is not a `field = value` term", term.trim()),
                )
            })?;
            let (k, v) = (k.trim(), v.trim());
            let v = v
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .unwrap_or(v);
            if allowed.contains(&k) {
                Ok((k, v))
            } else {
                Err(Error::invalid(
                    "filter",
                    format!(
                        "`{k}` cannot be filtered on here; use one of: {}",
                        allowed.join(", ")
                    ),
                ))
            }
        })
        .collect()
}

fn region_filter(value: &str) -> Result<RegionCode, Error> {
    value
        .parse()
        .map_err(|e| Error::invalid("filter", format!("region code `{value}`: {e}")))
}

fn role(r: Role) -> pb::Role {
    match r {
        Role::Bawaslu => pb::Role::Bawaslu,
        Role::Examiner => pb::Role::Examiner,
        Role::Ppk => pb::Role::Ppk,
        Role::PersonnelRegistry => pb::Role::PersonnelRegistry,
        Role::RegionalOversight => pb::Role::RegionalOversight,
        Role::PolicyOwner => pb::Role::PolicyOwner,
        Role::Auditor => pb::Role::Auditor,
        Role::Migration => pb::Role::Migration,
    }
}

impl DirectoryApi {
    fn agency(&self, entry: &crate::directory::DirectoryEntry) -> pb::Agency {
        pb::Agency {
            name: convert::agency_name(&entry.profile.id),
            display_name: entry.display_name.clone(),
            region_code: entry
                .profile
                .jurisdiction
                .map(|r| r.to_string())
                .unwrap_or_default(),
            grants: entry
                .profile
                .grants
                .iter()
                .map(|g| pb::RoleGrant {
                    role: role(g.role) as i32,
                    valid_from: Some(convert::date(g.valid_from)),
                    valid_until: g.valid_until.map(convert::date),
                })
                .collect(),
            revoke_time: entry.revoked_at.map(convert::timestamp),
        }
    }

    fn list_agencies(
        &self,
        m: &pb::ListAgenciesRequest,
    ) -> Result<pb::ListAgenciesResponse, Error> {
        let mut wanted_role = None;
        let mut wanted_region = None;
        for (k, v) in terms(&m.filter, &["role", "region_code"])? {
            match k {
                "role" => {
                    let r = Role::ALL.into_iter().find(|r| role(*r).as_str_name() == v);
                    wanted_role = Some(r.ok_or_else(|| {
                        Error::invalid("filter", format!("`{v}` is not a role such as ROLE_PPK"))
                    })?);
                }
                _ => wanted_region = Some(region_filter(v)?),
            }
        }
        let directory = self.state.directory.snapshot();
        let mut agencies: Vec<_> = directory
            .iter()
            .filter(|e| wanted_role.is_none_or(|r| e.profile.grants.iter().any(|g| g.role == r)))
            .filter(|e| {
                wanted_region.is_none_or(|r| e.profile.jurisdiction.is_some_and(|j| r.covers(&j)))
            })
            .map(|e| self.agency(e))
            .collect();
        agencies.sort_by(|a, b| a.name.cmp(&b.name));
        let (agencies, next_page_token) = page(agencies, m.page_size, &m.page_token, &m.filter)?;
        Ok(pb::ListAgenciesResponse {
            agencies,
            next_page_token,
        })
    }

    fn list_regions(&self, m: &pb::ListRegionsRequest) -> Result<pb::ListRegionsResponse, Error> {
        let mut prefix = None;
        for (_, v) in terms(&m.filter, &["code"])? {
            prefix = Some(region_filter(v)?);
        }
        let regions = &self.state.catalogue.regions;
        let mut all = Vec::with_capacity(regions.len());
        for (province, name) in regions.provinces() {
            all.push((province, name.to_owned()));
            all.extend(
                regions
                    .regencies_in(province)
                    .map(|(c, n)| (c, n.to_owned())),
            );
        }
        let regions: Vec<_> = all
            .into_iter()
            .filter(|(code, _)| prefix.is_none_or(|p| p.covers(code)))
            .map(|(code, name)| pb::Region {
                code: code.to_string(),
                display_name: name,
            })
            .collect();
        let (regions, next_page_token) = page(regions, m.page_size, &m.page_token, &m.filter)?;
        Ok(pb::ListRegionsResponse {
            regions,
            next_page_token,
        })
    }

    fn list_days(
        &self,
        m: &pb::ListNonWorkingDaysRequest,
    ) -> Result<pb::ListNonWorkingDaysResponse, Error> {
        let mut year = None;
        for (_, v) in terms(&m.filter, &["year"])? {
            year = Some(
                v.parse::<i32>()
                    .map_err(|_| Error::invalid("filter", format!("`{v}` is not a year")))?,
            );
        }
        let days: Vec<_> = self
            .state
            .catalogue
            .calendar
            .listed_days()
            .filter(|d| year.is_none_or(|y| d.date.year() == y))
            .map(|d| pb::NonWorkingDay {
                date: Some(convert::date(d.date)),
                kind: match d.kind {
                    NonWorkingKind::NationalHoliday => pb::NonWorkingDayKind::NationalHoliday,
                    NonWorkingKind::CollectiveLeave => pb::NonWorkingDayKind::CollectiveLeave,
                } as i32,
                display_name: d.name.clone(),
            })
            .collect();
        let (days, next_page_token) = page(days, m.page_size, &m.page_token, &m.filter)?;
        Ok(pb::ListNonWorkingDaysResponse {
            days,
            next_page_token,
        })
    }

    fn list_rules(
        &self,
        m: &pb::ListDeadlineRulesRequest,
    ) -> Result<pb::ListDeadlineRulesResponse, Error> {
        let mut kind = None;
        for (_, v) in terms(&m.filter, &["election_kind"])? {
            kind = Some(match pb::ElectionKind::from_str_name(v) {
                Some(pb::ElectionKind::Pemilu) => netral_domain::catalogue::ElectionKind::Pemilu,
                Some(pb::ElectionKind::Pilkada) => netral_domain::catalogue::ElectionKind::Pilkada,
                _ => {
                    return Err(Error::invalid(
                        "filter",
                        format!("`{v}` is not ELECTION_KIND_PEMILU or ELECTION_KIND_PILKADA"),
                    ));
                }
            });
        }
        let rules: Vec<_> = self
            .state
            .catalogue
            .deadlines
            .iter()
            .filter(|r| kind.is_none_or(|k| r.applies_to(k)))
            .map(|r| pb::DeadlineRule {
                step: convert::deadline_step(r.step) as i32,
                election_kind: r.election.map_or(0, |k| convert::election_kind(k) as i32),
                length: i32::try_from(r.length).unwrap_or(i32::MAX),
                unit: match r.unit {
                    DayUnit::Days => pb::DayUnit::Days,
                    DayUnit::WorkingDays => pb::DayUnit::WorkingDays,
                } as i32,
                source: r.source.clone(),
            })
            .collect();
        let (rules, next_page_token) = page(rules, m.page_size, &m.page_token, &m.filter)?;
        Ok(pb::ListDeadlineRulesResponse {
            rules,
            next_page_token,
        })
    }

    fn list_forms(
        &self,
        m: &pb::ListViolationFormsRequest,
    ) -> Result<pb::ListViolationFormsResponse, Error> {
        terms(&m.filter, &[])?;
        let forms: Vec<_> = self
            .state
            .catalogue
            .violations
            .iter()
            .map(|f| pb::ViolationForm {
                number: i32::from(f.number),
                code: f.code.clone(),
                title: f.title.clone(),
                default_level: convert::sanction_track(f.default_track) as i32,
            })
            .collect();
        let (forms, next_page_token) = page(forms, m.page_size, &m.page_token, &m.filter)?;
        Ok(pb::ListViolationFormsResponse {
            forms,
            next_page_token,
        })
    }

    fn list_sanctions(
        &self,
        m: &pb::ListSanctionsRequest,
    ) -> Result<pb::ListSanctionsResponse, Error> {
        let mut wanted = None;
        for (_, v) in terms(&m.filter, &["level"])? {
            let l = SanctionTrack::ALL
                .into_iter()
                .filter(|t| *t != SanctionTrack::CaseByCase)
                .find(|t| convert::sanction_track(*t).as_str_name() == v);
            wanted = Some(l.ok_or_else(|| {
                Error::invalid(
                    "filter",
                    format!("`{v}` is not a level such as SANCTION_LEVEL_SEVERE"),
                )
            })?);
        }
        let sanctions = &self.state.catalogue.sanctions;
        let disciplinary = sanctions
            .disciplinary()
            .iter()
            .filter(|s| wanted.is_none_or(|t| s.track == t))
            .map(|s| pb::Sanction {
                code: s.code.clone(),
                level: convert::sanction_track(s.track) as i32,
                moral: 0,
                title: s.title.clone(),
                legal_basis: s.legal_basis.clone(),
            });
        let moral = sanctions
            .moral_sanctions()
            .filter(|_| wanted.is_none())
            .map(|s| pb::Sanction {
                code: s.code.clone(),
                level: 0,
                moral: match s.kind {
                    MoralKind::Closed => pb::MoralSanction::ClosedStatement,
                    MoralKind::Open => pb::MoralSanction::OpenStatement,
                } as i32,
                title: s.title.clone(),
                legal_basis: s.legal_basis.clone(),
            });
        let all: Vec<_> = disciplinary.chain(moral).collect();
        let (sanctions, next_page_token) = page(all, m.page_size, &m.page_token, &m.filter)?;
        Ok(pb::ListSanctionsResponse {
            sanctions,
            next_page_token,
        })
    }
}

macro_rules! answer {
    ($self:ident, $req:ident, $body:expr) => {{
        $self.state.caller(&$req).await?;
        $body.map(Response::new).map_err(Status::from)
    }};
}

#[tonic::async_trait]
impl DirectoryService for DirectoryApi {
    async fn get_agency(
        &self,
        req: Request<pb::GetAgencyRequest>,
    ) -> Result<Response<pb::GetAgencyResponse>, Status> {
        answer!(self, req, {
            let name = &req.get_ref().name;
            let id = name
                .strip_prefix("agencies/")
                .and_then(|id| id.parse::<AgencyId>().ok())
                .ok_or_else(|| {
                    Error::invalid("name", "must be an agency resource name, agencies/{agency}")
                });
            id.and_then(|id| {
                self.state
                    .directory
                    .get(&id)
                    .ok_or_else(|| Error::NotFound("agency".into()))
            })
            .map(|entry| pb::GetAgencyResponse {
                agency: Some(self.agency(&entry)),
            })
        })
    }

    async fn list_agencies(
        &self,
        req: Request<pb::ListAgenciesRequest>,
    ) -> Result<Response<pb::ListAgenciesResponse>, Status> {
        answer!(self, req, self.list_agencies(req.get_ref()))
    }

    async fn list_regions(
        &self,
        req: Request<pb::ListRegionsRequest>,
    ) -> Result<Response<pb::ListRegionsResponse>, Status> {
        answer!(self, req, self.list_regions(req.get_ref()))
    }

    async fn list_non_working_days(
        &self,
        req: Request<pb::ListNonWorkingDaysRequest>,
    ) -> Result<Response<pb::ListNonWorkingDaysResponse>, Status> {
        answer!(self, req, self.list_days(req.get_ref()))
    }

    async fn list_deadline_rules(
        &self,
        req: Request<pb::ListDeadlineRulesRequest>,
    ) -> Result<Response<pb::ListDeadlineRulesResponse>, Status> {
        answer!(self, req, self.list_rules(req.get_ref()))
    }

    async fn list_violation_forms(
        &self,
        req: Request<pb::ListViolationFormsRequest>,
    ) -> Result<Response<pb::ListViolationFormsResponse>, Status> {
        answer!(self, req, self.list_forms(req.get_ref()))
    }

    async fn list_sanctions(
        &self,
        req: Request<pb::ListSanctionsRequest>,
    ) -> Result<Response<pb::ListSanctionsResponse>, Status> {
        answer!(self, req, self.list_sanctions(req.get_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_walk_a_list_without_gaps_and_bind_the_filter() {
        let items: Vec<u32> = (0..7).collect();
        let (first, token) = page(items.clone(), 3, "", "f").unwrap();
        assert_eq!(first, [0, 1, 2]);
        let (second, token) = page(items.clone(), 3, &token, "f").unwrap();
        assert_eq!(second, [3, 4, 5]);
        let (third, token) = page(items.clone(), 3, &token, "f").unwrap();
        assert_eq!((third, token.as_str()), (vec![6], ""));
        let (_, token) = page(items.clone(), 3, "", "f").unwrap();
        assert!(page(items.clone(), 3, &token, "other").is_err());
        assert!(page(items, -1, "", "f").is_err());
    }

    #[test]
    fn filters_accept_only_their_fields() {
        assert_eq!(
            terms(r#"code = "63""#, &["code"]).unwrap(),
            [("code", "63")]
        );
        assert!(terms("colour = red", &["code"]).is_err());
        assert!(terms("code", &["code"]).is_err());
        assert!(terms("", &[]).unwrap().is_empty());
    }
}
