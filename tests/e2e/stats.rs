//! The compliance picture over the wire: follow-up figures per group, the overdue list most
//! overdue first, each limited to the cases the caller may see, without personal data.

use netral_proto::v1 as pb;
use netral_proto::v1::stats_service_client::StatsServiceClient;
use netral_tests::fixtures::{self, Step, walk_to, wib};
use netral_tests::{TestApp, field_violations, spawn_app};
use pb::{CaseState, StatsDimension};
use tonic::Code;

async fn stats(app: &TestApp, agency: &str) -> StatsServiceClient<tonic::transport::Channel> {
    StatsServiceClient::new(app.channel_for(agency).await)
}

async fn compliance(
    app: &TestApp,
    agency: &str,
    filter: &str,
    group_by: &[StatsDimension],
) -> Vec<pb::ComplianceRow> {
    stats(app, agency)
        .await
        .get_compliance_stats(pb::GetComplianceStatsRequest {
            filter: filter.into(),
            group_by: group_by.iter().map(|d| *d as i32).collect(),
        })
        .await
        .unwrap_or_else(|status| panic!("{agency} cannot read compliance stats: {status:?}"))
        .into_inner()
        .rows
}

/// Three recommendations to the PPK of Kotabaru on Fri 1 March 2024 (due Mon 11 March):
/// one decreed on the 5th, one on the 20th, one never; and one case still at Bawaslu.
async fn kotabaru_follow_ups(app: &TestApp) -> [pb::Case; 4] {
    let on_time = walk_to(app, CaseState::SanctionRecommended).await;
    let late = walk_to(app, CaseState::SanctionRecommended).await;
    let ignored = walk_to(app, CaseState::SanctionRecommended).await;
    let at_bawaslu = walk_to(app, CaseState::Registered).await;
    app.clock.set(wib("2024-03-05T10:00:00"));
    let on_time = app
        .act("pemkab-kotabaru", Step::RecordSanctionDecree, &on_time)
        .await
        .unwrap();
    let on_time = app
        .act("bkn", Step::RecordInRegistry, &on_time)
        .await
        .unwrap();
    app.clock.set(wib("2024-03-20T10:00:00"));
    let late = app
        .act("pemkab-kotabaru", Step::RecordSanctionDecree, &late)
        .await
        .unwrap();
    app.clock.set(wib("2024-03-25T10:00:00"));
    [on_time, late, ignored, at_bawaslu]
}

#[tokio::test]
async fn the_follow_up_rate_counts_decrees_on_time_late_and_missing() {
    let app = spawn_app().await;
    kotabaru_follow_ups(&app).await;
    let rows = compliance(&app, "kemenpan-rb", "", &[StatsDimension::Province]).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert_eq!(row.key, ["63"]);
    assert_eq!(
        (row.total, row.open, row.sanctioned),
        (4, 3, 2),
        "one recorded, one sanctioned, two open"
    );
    assert_eq!(
        (
            row.recommendations,
            row.followed_on_time,
            row.followed_late,
            row.still_overdue,
            row.pending,
            row.ended_without_decree
        ),
        (3, 1, 1, 1, 0, 0)
    );
    assert!((row.follow_up_rate - 2.0 / 3.0).abs() < 1e-9);
    // Four and nineteen days from recommendation to decree.
    assert_eq!(row.median_days_to_decree, Some(11.5));
    assert_eq!(row.p90_days_to_decree, Some(19.0));
    // Bawaslu's review (7 days) passed for the registered case; the ignored PPK deadline
    // and the late one are missed.
    assert_eq!(row.overdue, 3);

    let by_state = compliance(&app, "kemenpan-rb", "", &[StatsDimension::State]).await;
    let keys: Vec<_> = by_state.iter().map(|r| r.key[0].as_str()).collect();
    assert_eq!(
        keys,
        [
            "CASE_STATE_RECORDED",
            "CASE_STATE_REGISTERED",
            "CASE_STATE_SANCTIONED",
            "CASE_STATE_SANCTION_RECOMMENDED"
        ]
    );
    let filtered = compliance(
        &app,
        "kemenpan-rb",
        "election.year = 2024 AND ppk = \"agencies/pemkab-kotabaru\"",
        &[StatsDimension::Election, StatsDimension::Examiner],
    )
    .await;
    let keys: Vec<_> = filtered.iter().map(|r| r.key.clone()).collect();
    assert_eq!(
        keys,
        [
            vec!["ELECTION_KIND_PEMILU 2024".to_owned(), String::new()],
            vec![
                "ELECTION_KIND_PEMILU 2024".to_owned(),
                "agencies/kasn".to_owned()
            ]
        ]
    );
}

#[tokio::test]
async fn a_regional_bawaslu_counts_only_the_cases_it_may_see() {
    let app = spawn_app().await;
    kotabaru_follow_ups(&app).await;
    app.register("bawaslu-batang-hari", fixtures::batang_hari_shared_post())
        .await
        .unwrap();
    let national = compliance(&app, "kemenpan-rb", "", &[StatsDimension::Region]).await;
    let regions: Vec<_> = national.iter().map(|r| r.key[0].as_str()).collect();
    assert_eq!(regions, ["15.04", "63.02"]);
    let kotabaru = compliance(&app, "bawaslu-kotabaru", "", &[StatsDimension::Region]).await;
    let regions: Vec<_> = kotabaru.iter().map(|r| r.key[0].as_str()).collect();
    assert_eq!(
        regions,
        ["63.02"],
        "Bawaslu Kotabaru sees its own region only"
    );
    let total = compliance(&app, "bawaslu-batang-hari", "", &[]).await;
    assert_eq!(total.len(), 1);
    assert_eq!((total[0].total, total[0].recommendations), (1, 0));
}

#[tokio::test]
async fn overdue_cases_come_most_overdue_first_page_by_page() {
    let app = spawn_app().await;
    let [_, _, ignored, at_bawaslu] = kotabaru_follow_ups(&app).await;
    let mut client = stats(&app, "kemenpan-rb").await;
    let page = |token: String| pb::ListOverdueCasesRequest {
        page_size: 1,
        page_token: token,
        filter: String::new(),
    };
    let first = client
        .list_overdue_cases(page(String::new()))
        .await
        .unwrap()
        .into_inner();
    // Bawaslu's review was due 8 March; the PPK's deadline 11 March.
    assert_eq!(first.cases.len(), 1);
    let review = &first.cases[0];
    assert_eq!(review.r#case, at_bawaslu.name);
    assert_eq!(review.step(), pb::DeadlineStep::BawasluReview);
    assert_eq!(review.agency, "agencies/bawaslu-kotabaru");
    assert_eq!(review.days_overdue, 17);
    assert_eq!(review.due_date, Some(fixtures::date(2024, 3, 8)));
    let second = client
        .list_overdue_cases(page(first.next_page_token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.cases.len(), 1);
    let ppk = &second.cases[0];
    assert_eq!(
        (ppk.r#case.as_str(), ppk.step(), ppk.days_overdue),
        (ignored.name.as_str(), pb::DeadlineStep::PpkAction, 14)
    );
    assert_eq!(ppk.state(), CaseState::SanctionRecommended);
    assert!(
        second.next_page_token.is_empty(),
        "two overdue deadlines in all"
    );

    let ppk_only = client
        .list_overdue_cases(pb::ListOverdueCasesRequest {
            filter: "state = CASE_STATE_SANCTION_RECOMMENDED".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ppk_only.cases.len(), 1);
    // A PPK sees its own overdue deadlines; another PPK none of them.
    let elsewhere = stats(&app, "pemkab-batang-hari")
        .await
        .list_overdue_cases(pb::ListOverdueCasesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(elsewhere.cases.is_empty());
}

#[tokio::test]
async fn bad_groupings_and_page_tokens_are_refused_with_their_field() {
    let app = spawn_app().await;
    let mut client = stats(&app, "kemenpan-rb").await;
    for group_by in [
        vec![0],
        vec![99],
        vec![StatsDimension::Ppk as i32, StatsDimension::Ppk as i32],
    ] {
        let refused = client
            .get_compliance_stats(pb::GetComplianceStatsRequest {
                filter: String::new(),
                group_by: group_by.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{group_by:?}");
        assert!(
            field_violations(&refused)
                .iter()
                .any(|f| f.starts_with("group_by[")),
            "{refused:?}"
        );
    }
    let refused = client
        .list_overdue_cases(pb::ListOverdueCasesRequest {
            page_token: "bm90IGEgdG9rZW4".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&refused), ["page_token"]);
    let refused = client
        .get_compliance_stats(pb::GetComplianceStatsRequest {
            filter: "subject.nip = \"198503122010011004\"".into(),
            group_by: Vec::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(field_violations(&refused), ["filter"]);
}

/// `netral stats …` as the command line parses it.
#[derive(Debug, clap::Parser)]
struct Netral {
    #[command(flatten)]
    stats: netral_cli::stats::StatsArgs,
}

async fn netral(app: &TestApp, args: &[&str]) -> String {
    let pki = app.pki_dir.to_str().unwrap().to_owned();
    let endpoint = app.endpoint();
    let connect = ["--endpoint", &endpoint, "--pki", &pki];
    let argv = std::iter::once("netral")
        .chain(args.iter().copied())
        .chain(connect);
    let parsed = <Netral as clap::Parser>::try_parse_from(argv).expect("the arguments parse");
    let mut out = Vec::new();
    netral_cli::stats::run(parsed.stats, &mut out)
        .await
        .expect("the command succeeds");
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn netral_stats_prints_the_table_people_read_and_the_json_scripts_read() {
    let app = spawn_app().await;
    let [_, _, ignored, _] = kotabaru_follow_ups(&app).await;
    let table = netral(
        &app,
        &[
            "compliance",
            "--agency",
            "kemenpan-rb",
            "--filter",
            "election.year = 2024",
            "--group-by",
            "province",
        ],
    )
    .await;
    let lines: Vec<_> = table.lines().collect();
    assert_eq!(lines.len(), 2, "{table}");
    assert!(
        lines[0].starts_with("province  cases  recs  on time  late"),
        "{table}"
    );
    let cells: Vec<_> = lines[1].split_whitespace().collect();
    assert_eq!(
        cells,
        [
            "63", "4", "3", "1", "1", "1", "0", "0", "66.7", "%", "11.5", "19.0"
        ]
    );

    let json = netral(
        &app,
        &["overdue", "--agency", "kemenpan-rb", "--output", "json"],
    )
    .await;
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let cases = value["cases"].as_array().expect("a list");
    assert_eq!(cases.len(), 2);
    assert_eq!(cases[1]["case"], ignored.name.as_str());
    assert_eq!(cases[1]["step"], "PPK_ACTION");
    assert_eq!(cases[1]["days_overdue"], 14);
    assert_eq!(cases[1]["due_date"], "2024-03-11");
}
