//! The reads of `CaseService`: `GetCase` (parties, national agencies and auditors; FULL view
//! by default; with the related cases of the same report) and `ListCases` (only what the caller may see, newest first,
//! keyset-paginated; BASIC view by default). Both hand out the subject's personal data, so
//! each answer is first put on record as an audit event (disclosure accounting, UU 27/2022),
//! and a refused read is audited too.

use netral_proto::v1 as pb;
use netral_store::{CaseQuery, CaseView};
use tonic::Request;

use super::case_service::CaseApi;
use super::fields::Fields;
use super::{convert, filter};
use crate::audit::Origin;
use crate::clock::Clock;
use crate::error::Error;

impl CaseApi {
    pub(super) async fn get(&self, req: Request<pb::GetCaseRequest>) -> Result<pb::Case, Error> {
        let caller = self.state.caller(&req).await?;
        let mut fields = Fields::default();
        let id = fields.case_name("name", &req.get_ref().name);
        let view = view(&mut fields, req.get_ref().view, CaseView::Full);
        fields.finish()?;
        let id = super::fields::present(id)?;
        let found = self.state.store.get_case(id, view).await?;
        let today = Clock::date_of(self.state.clock.now());
        let allowed = super::readable(&caller.profile, found.as_ref(), today).map(drop);
        self.state.audited(&req, caller, Some(id), allowed).await?;
        let case = found.ok_or_else(|| Error::NotFound("case".into()))?;
        // Disclosure accounting: the read is on record before the data leaves.
        self.state
            .auditor
            .disclosed(
                &Origin::of(&req),
                &caller.profile.id,
                "READ_CASE",
                &[(case.id, &case.filing.subject.id)],
            )
            .await?;
        // The other cases of the same report: ids only (no personal data); reading one is
        // its own GetCase, under its own policy check.
        let related = self
            .state
            .store
            .related_cases(
                case.id,
                &case.reporting_office,
                &case.filing.registration_number,
            )
            .await?;
        Ok(pb::Case {
            related_cases: related.iter().map(|id| id.resource_name()).collect(),
            ..convert::case(&case)
        })
    }

    pub(super) async fn list(
        &self,
        req: Request<pb::ListCasesRequest>,
    ) -> Result<pb::ListCasesResponse, Error> {
        let caller = self.state.caller(&req).await?;
        let m = req.get_ref();
        let mut fields = Fields::default();
        let view = view(&mut fields, m.view, CaseView::Basic);
        fields.finish()?;
        let wanted = filter::parse(&m.filter)?;
        let before_id = filter::parse_page_token(&m.page_token, &m.filter)?;
        if m.page_size < 0 {
            return Err(Error::invalid("page_size", "must not be negative"));
        }
        let page_size = match m.page_size {
            0 => 50.min(self.state.max_page_size),
            n => (n as u32).min(self.state.max_page_size),
        };
        let today = Clock::date_of(self.state.clock.now());
        let visible_to = filter::visibility(&caller.profile, today);
        let query = CaseQuery {
            before_id,
            limit: u64::from(page_size) + 1,
            view,
            ..filter::case_query(wanted, visible_to)
        };
        let mut cases = self.state.store.list_cases(&query).await?;
        let more = cases.len() > page_size as usize;
        cases.truncate(page_size as usize);
        let next_page_token = match (more, cases.last()) {
            (true, Some(last)) => filter::page_token(last.id, &m.filter),
            _ => String::new(),
        };
        let disclosed: Vec<_> = cases.iter().map(|c| (c.id, &c.filing.subject.id)).collect();
        self.state
            .auditor
            .disclosed(
                &Origin::of(&req),
                &caller.profile.id,
                "LIST_CASES",
                &disclosed,
            )
            .await?;
        Ok(pb::ListCasesResponse {
            cases: cases.iter().map(convert::case).collect(),
            next_page_token,
        })
    }
}

/// The view a read asked for, `default` when unspecified.
fn view(fields: &mut Fields, wire: i32, default: CaseView) -> CaseView {
    match pb::CaseView::try_from(wire) {
        Ok(pb::CaseView::Unspecified) => default,
        Ok(pb::CaseView::Basic) => CaseView::Basic,
        Ok(pb::CaseView::Full) => CaseView::Full,
        Err(_) => {
            fields.violate("view", "not a CaseView value");
            default
        }
    }
}
