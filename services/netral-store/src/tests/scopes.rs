//! The store's translation of the policy's read scope (need to know): for every scope an
//! agency can have and cases at every stage, in and out of its jurisdiction, `ListCases`
//! lists exactly the cases [`ListScope::includes`] (and so `GetCase`) lets it read.

use netral_domain::Action;
use netral_domain::case::{CaseRecord, StepOutcome};
use netral_domain::policy::ListScope;
use netral_domain::state::CaseState;

use super::fixtures::*;
use super::support::databases;
use crate::{CaseQuery, Visibility};

/// A case in `region` of `ppk`, registered by `office`, standing at `state`: forwarded to
/// BKN from `FORWARDED` on, with a recommendation from `SANCTION_RECOMMENDED` on.
fn case_at(n: u32, region: &str, office: &str, ppk: &str, state: CaseState) -> CaseRecord {
    let (mut case, _) = rich_case();
    case.id = netral_domain::CaseId::new();
    case.filing = filing_in(n, region, ppk);
    case.reporting_office = agency(office);
    case.state = state;
    if state == CaseState::Registered {
        case.examiner = None;
        case.forwarded_on = None;
    }
    if matches!(state, CaseState::Registered | CaseState::Forwarded) {
        case.recommendation = None;
        case.recommendation_acknowledged = false;
        case.imposed_sanctions.clear();
    }
    case
}

#[tokio::test]
async fn each_scope_lists_exactly_the_cases_it_may_read() {
    for db in databases().await {
        let mut cases = Vec::new();
        let stages = [
            CaseState::Registered,
            CaseState::Forwarded,
            CaseState::SanctionRecommended,
        ];
        let places = [
            ("63.02", "bawaslu-kotabaru", "pemkab-kotabaru"),
            ("63", "bawaslu-kalsel", "pemprov-kalsel"),
            ("15.04", "bawaslu-batang-hari", "pemkab-batang-hari"),
        ];
        for (i, (region, office, ppk)) in places.into_iter().enumerate() {
            for (j, state) in stages.into_iter().enumerate() {
                let n = u32::try_from(10 * i + j).unwrap();
                let case = case_at(n, region, office, ppk, state);
                let outcome = StepOutcome::new(Action::Register, state, state);
                store_as_registration(&db.store, case.clone(), outcome)
                    .await
                    .unwrap();
                cases.push(case);
            }
        }
        let agencies = ["pemkab-kotabaru", "bawaslu-kalsel", "bkn", "kemenpan-rb"];
        let jurisdictions = [None, Some("63"), Some("63.02"), Some("16")];
        let mut checked = 0;
        for id in agencies {
            for jurisdiction in jurisdictions {
                for flags in 0..8u8 {
                    let scope = ListScope {
                        agency: agency(id),
                        jurisdiction: jurisdiction.map(|r| r.parse().unwrap()),
                        every_case: flags & 1 != 0,
                        forwarded: flags & 2 != 0,
                        recommended: flags & 4 != 0,
                    };
                    let query = CaseQuery::new(Visibility::Scope(scope.clone()), 100);
                    let mut listed: Vec<_> = db
                        .store
                        .list_cases(&query)
                        .await
                        .unwrap()
                        .iter()
                        .map(|c| c.id)
                        .collect();
                    let mut readable: Vec<_> = cases
                        .iter()
                        .filter(|c| scope.includes(&c.parties()))
                        .map(|c| c.id)
                        .collect();
                    listed.sort();
                    readable.sort();
                    assert_eq!(listed, readable, "{}: {scope:?}", db.label);
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 4 * 4 * 8);
    }
}
