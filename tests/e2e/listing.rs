//! `ListCases`: newest first, paginated with opaque tokens that stay stable while new cases
//! arrive, filtered by a small conjunction language, and limited to what the caller may see.

use std::collections::BTreeMap;

use netral_proto::v1 as pb;
use netral_tests::fixtures::{self, Step};
use netral_tests::{TestApp, field_violations, spawn_app};
use tonic::Code;

async fn page(
    app: &TestApp,
    agency: &str,
    size: i32,
    token: &str,
    filter: &str,
) -> pb::ListCasesResponse {
    let request = pb::ListCasesRequest {
        page_size: size,
        page_token: token.to_owned(),
        filter: filter.to_owned(),
        ..Default::default()
    };
    app.list(agency, request)
        .await
        .unwrap_or_else(|status| panic!("{agency} lists: {status:?}"))
}

fn names(cases: &[pb::Case]) -> Vec<String> {
    cases.iter().map(|c| c.name.clone()).collect()
}

#[tokio::test]
async fn cases_are_listed_newest_first_in_stable_pages() {
    let app = spawn_app().await;
    let mut registered = Vec::new();
    for _ in 0..5 {
        let case = app
            .register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
            .await;
        registered.push(case.unwrap().name);
    }
    let newest_first: Vec<String> = registered.iter().rev().cloned().collect();

    let first = page(&app, "bawaslu-kotabaru", 2, "", "").await;
    assert_eq!(names(&first.cases), newest_first[..2]);
    assert!(!first.next_page_token.is_empty());

    // A case registered between two pages does not shift the pages after it.
    let late = app
        .register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
        .await;
    let late = late.unwrap().name;

    let second = page(&app, "bawaslu-kotabaru", 2, &first.next_page_token, "").await;
    assert_eq!(names(&second.cases), newest_first[2..4]);
    assert!(!second.next_page_token.is_empty());
    let third = page(&app, "bawaslu-kotabaru", 2, &second.next_page_token, "").await;
    assert_eq!(names(&third.cases), newest_first[4..]);
    assert_eq!(third.next_page_token, "", "the last page has no next token");

    // A fresh listing starts with the late case; nothing is missing or repeated.
    let mut everything = vec![late];
    everything.extend(newest_first);
    assert_eq!(
        names(&app.list_all("bawaslu-kotabaru", "").await),
        everything
    );
    assert_eq!(names(&app.list_all("bpk", "").await), everything);
}

#[tokio::test]
async fn page_tokens_are_opaque_and_bound_to_their_filter() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
            .await
            .unwrap();
    }
    let first = page(&app, "bpk", 1, "", "region_code = \"63\"").await;
    assert_eq!(first.cases.len(), 1);

    for (token, filter) in [
        (first.next_page_token.as_str(), ""),
        ("bm90LWEtdG9rZW4", "region_code = \"63\""),
        ("%%%", ""),
    ] {
        let request = pb::ListCasesRequest {
            page_size: 1,
            page_token: token.into(),
            filter: filter.into(),
            ..Default::default()
        };
        let status = app.list("bpk", request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{token}: {status:?}");
        assert_eq!(field_violations(&status), ["page_token"]);
    }
    let request = pb::ListCasesRequest {
        page_size: -1,
        ..Default::default()
    };
    let status = app.list("bpk", request).await.unwrap_err();
    assert_eq!(field_violations(&status), ["page_size"]);
}

#[tokio::test]
async fn filters_narrow_and_visibility_limits_the_listing() {
    let app = spawn_app().await;
    let mut label = BTreeMap::new();

    let k1 = app
        .register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
        .await
        .unwrap();
    let k2 = app
        .register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
        .await
        .unwrap();
    let k2 = app
        .act("bawaslu-kotabaru", Step::Forward, &k2)
        .await
        .unwrap();
    // A Kotabaru case whose PPK is the governor (a provincial employee).
    let mut provincial = fixtures::kotabaru_social_media_like();
    let provincial_case = provincial.r#case.as_mut().unwrap();
    provincial_case.ppk = "agencies/pemprov-kalsel".into();
    provincial_case.subject.as_mut().unwrap().employing_instance =
        "Pemerintah Provinsi Kalimantan Selatan".into();
    let k3 = app.register("bawaslu-kotabaru", provincial).await.unwrap();
    let hss = fixtures::hulu_sungai_selatan_campaign_team();
    let h1 = app
        .register("bawaslu-hulu-sungai-selatan", hss)
        .await
        .unwrap();
    let h1 = app
        .act("bawaslu-hulu-sungai-selatan", Step::Forward, &h1)
        .await
        .unwrap();
    let b1 = app
        .register("bawaslu-batang-hari", fixtures::batang_hari_shared_post())
        .await
        .unwrap();
    for (name, case) in [
        ("k1", &k1),
        ("k2", &k2),
        ("k3", &k3),
        ("h1", &h1),
        ("b1", &b1),
    ] {
        label.insert(case.name.clone(), name);
    }
    let seen = |cases: Vec<pb::Case>| -> Vec<&str> {
        let mut seen: Vec<&str> = cases.iter().map(|c| label[&c.name]).collect();
        seen.sort_unstable();
        seen
    };

    let expectations: [(&str, &str, &[&str]); 18] = [
        ("bpk", "", &["b1", "h1", "k1", "k2", "k3"]),
        ("bpk", "state = CASE_STATE_FORWARDED", &["h1", "k2"]),
        ("bpk", "region_code = \"63\"", &["h1", "k1", "k2", "k3"]),
        ("bpk", "region_code = \"63.02\"", &["k1", "k2", "k3"]),
        (
            "bpk",
            "state = CASE_STATE_FORWARDED AND region_code = \"63.06\"",
            &["h1"],
        ),
        ("bpk", "ppk = \"agencies/pemkab-kotabaru\"", &["k1", "k2"]),
        ("bpk", "examiner = \"agencies/kasn\"", &["h1", "k2"]),
        ("bpk", "election.kind = ELECTION_KIND_PILKADA", &["h1"]),
        (
            "bpk",
            "reporting_office = \"agencies/bawaslu-batang-hari\"",
            &["b1"],
        ),
        // A PPK sees the cases naming it, not its whole region.
        ("pemkab-kotabaru", "", &["k1", "k2"]),
        ("pemkab-kotabaru", "region_code = \"63\"", &["k1", "k2"]),
        ("pemkab-hulu-sungai-selatan", "", &["h1"]),
        // A Bawaslu office sees its jurisdiction; the province sees its regencies.
        ("bawaslu-kotabaru", "", &["k1", "k2", "k3"]),
        ("bawaslu-kalsel", "", &["h1", "k1", "k2", "k3"]),
        // Need to know: the examiner of the day and the registry see what was forwarded;
        // nothing was recommended yet, so the overseer sees nothing; the policy owner reads
        // no case at all.
        ("kasn", "", &["h1", "k2"]),
        ("bkn", "", &["h1", "k2"]),
        ("kemendagri", "", &[]),
        ("kemenpan-rb", "", &[]),
    ];
    for (agency, filter, expected) in expectations {
        assert_eq!(
            seen(app.list_all(agency, filter).await),
            expected,
            "{agency} lists `{filter}`"
        );
    }

    let thousands_of_terms = vec!["region_code = \"63\""; 2000].join(" AND ");
    for bad in [
        "colour = red",
        "state = FORWARDED",
        "region_code = 6",
        "state",
        "ppk = pemkab-kotabaru",
        "region_code = \"63\" AND region_code = \"15\"",
        thousands_of_terms.as_str(),
    ] {
        let request = pb::ListCasesRequest {
            filter: bad.into(),
            ..Default::default()
        };
        let status = app.list("bpk", request).await.unwrap_err();
        let shown = &bad[..bad.len().min(60)];
        assert_eq!(
            status.code(),
            Code::InvalidArgument,
            "`{shown}`: {status:?}"
        );
        assert_eq!(field_violations(&status), ["filter"], "`{shown}`");
    }
}
