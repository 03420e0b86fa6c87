//! `Store::list_cases`: newest first, keyset pages that stay stable while cases are
//! registered, visibility before every filter.

use netral_domain::CaseId;
use netral_domain::case::{CaseRecord, Command};
use netral_domain::catalogue::ElectionKind;
use netral_domain::policy::ListScope;
use netral_domain::state::CaseState;
use uuid::Uuid;

use super::fixtures::*;
use super::support::databases;
use crate::{CaseQuery, Store, Visibility};

/// Only the cases naming `id`.
fn party_to(id: &str) -> Visibility {
    Visibility::Scope(ListScope {
        agency: agency(id),
        jurisdiction: None,
        every_case: false,
        forwarded: false,
        recommended: false,
    })
}

/// Every case in `region` (everywhere for `None`), and those naming `id`.
fn every_case_in(region: Option<&str>, id: &str) -> Visibility {
    Visibility::Scope(ListScope {
        agency: agency(id),
        jurisdiction: region.map(|r| r.parse().unwrap()),
        every_case: true,
        forwarded: false,
        recommended: false,
    })
}

fn ids(cases: &[CaseRecord]) -> Vec<CaseId> {
    cases.iter().map(|c| c.id).collect()
}

async fn list(store: &Store, query: &CaseQuery) -> Vec<CaseId> {
    ids(&store.list_cases(query).await.unwrap())
}

#[tokio::test]
async fn pages_are_newest_first_and_stable_while_cases_are_registered() {
    let w = world();
    for db in databases().await {
        let mut registered_ids = Vec::new();
        for n in 1..=5 {
            registered_ids.push(registered(&db.store, &w, n).await.id);
        }
        let mut query = CaseQuery::new(Visibility::Everything, 2);
        let first = list(&db.store, &query).await;
        assert_eq!(
            first,
            vec![registered_ids[4], registered_ids[3]],
            "{}",
            db.label
        );

        let newcomer = registered(&db.store, &w, 6).await.id;
        query.before_id = first.last().copied();
        let second = list(&db.store, &query).await;
        assert_eq!(
            second,
            vec![registered_ids[2], registered_ids[1]],
            "{}",
            db.label
        );
        query.before_id = second.last().copied();
        let third = list(&db.store, &query).await;
        assert_eq!(third, vec![registered_ids[0]], "{}", db.label);
        query.before_id = third.last().copied();
        assert!(list(&db.store, &query).await.is_empty(), "{}", db.label);

        let fresh = list(&db.store, &CaseQuery::new(Visibility::Everything, 1)).await;
        assert_eq!(
            fresh,
            vec![newcomer],
            "{}: a new case comes first",
            db.label
        );
    }
}

#[tokio::test]
async fn visibility_and_filters_narrow_the_list() {
    let w = world();
    for db in databases().await {
        let store = &db.store;
        let kotabaru = registered_filing(store, &w, filing_in(1, "63.02", "pemkab-kotabaru")).await;
        let hss = registered_filing(store, &w, filing_in(2, "63.06", "pemkab-hss")).await;
        let mut jambi_filing = filing_in(3, "15.04", "pemkab-kerinci");
        jambi_filing.election.kind = ElectionKind::Pemilu;
        let jambi = applied(
            register_by(
                store,
                &w,
                &w.bawaslu_ri,
                jambi_filing,
                Uuid::new_v4(),
                at(2024, 9, 4),
            )
            .await
            .unwrap(),
        )
        .0;
        let forward = Command::Forward {
            letter_number: "L-1".into(),
            examiner: w.bkn.id.clone(),
        };
        let after = at(2024, 9, 10);
        step(
            store,
            &w,
            &w.bawaslu,
            hss.id,
            "v1",
            forward,
            Uuid::new_v4(),
            after,
        )
        .await
        .unwrap();

        let scoped = |visible_to| CaseQuery::new(visible_to, 50);
        let all = vec![jambi.id, hss.id, kotabaru.id];
        assert_eq!(
            list(store, &scoped(Visibility::Everything)).await,
            all,
            "{}",
            db.label
        );
        let cases_in = |code: &str| scoped(every_case_in(Some(code), "names-no-case"));
        assert_eq!(
            list(store, &cases_in("63")).await,
            vec![hss.id, kotabaru.id]
        );
        assert_eq!(list(store, &cases_in("63.02")).await, vec![kotabaru.id]);
        // A jurisdiction's scope also shows the cases naming the agency outside it.
        let kotabaru_and_own = scoped(every_case_in(Some("63.02"), "pemkab-hss"));
        assert_eq!(
            list(store, &kotabaru_and_own).await,
            vec![hss.id, kotabaru.id],
            "{}",
            db.label
        );
        assert_eq!(list(store, &cases_in("15")).await, vec![jambi.id]);
        assert!(list(store, &cases_in("16")).await.is_empty());
        let party = |id: &str| scoped(party_to(id));
        assert_eq!(list(store, &party("pemkab-hss")).await, vec![hss.id]);
        assert_eq!(
            list(store, &party("bawaslu-kalsel")).await,
            vec![hss.id, kotabaru.id]
        );
        assert_eq!(list(store, &party("bkn")).await, vec![hss.id]);
        assert!(list(store, &party("pemkab-tabalong")).await.is_empty());

        let filtered = |f: &dyn Fn(&mut CaseQuery)| {
            let mut query = scoped(Visibility::Everything);
            f(&mut query);
            query
        };
        let forwarded = filtered(&|q| q.state = Some(CaseState::Forwarded));
        assert_eq!(list(store, &forwarded).await, vec![hss.id], "{}", db.label);
        let in_kalsel = filtered(&|q| q.region_prefix = Some("63".parse().unwrap()));
        assert_eq!(list(store, &in_kalsel).await, vec![hss.id, kotabaru.id]);
        let pemilu = filtered(&|q| q.election_kind = Some(ElectionKind::Pemilu));
        assert_eq!(list(store, &pemilu).await, vec![jambi.id]);
        assert!(
            list(store, &filtered(&|q| q.election_year = Some(2029)))
                .await
                .is_empty()
        );
        assert_eq!(
            list(store, &filtered(&|q| q.election_year = Some(2024))).await,
            all
        );
        let examined_by_bkn = filtered(&|q| q.examiner = Some(agency("bkn")));
        assert_eq!(list(store, &examined_by_bkn).await, vec![hss.id]);
        let of_ppk = filtered(&|q| q.ppk = Some(agency("pemkab-kotabaru")));
        assert_eq!(list(store, &of_ppk).await, vec![kotabaru.id]);
        let by_ri = filtered(&|q| q.reporting_office = Some(agency("bawaslu-ri")));
        assert_eq!(list(store, &by_ri).await, vec![jambi.id]);
        let changed = filtered(&|q| q.updated_since = Some(after));
        assert_eq!(list(store, &changed).await, vec![hss.id], "{}", db.label);

        // Visibility holds under every filter: a regency office never sees another regency.
        let mut narrow = cases_in("63.02");
        narrow.state = Some(CaseState::Forwarded);
        assert!(list(store, &narrow).await.is_empty(), "{}", db.label);
    }
}
