//! Bringing in the history (`netral import`): a file of fictional past cases with bad rows of
//! every kind goes in, the good rows all of them, the bad ones reported by line and field; a
//! second run imports nothing twice; an imported case reads back with its original dates and
//! examiner (KASN before 2024-08-24, BKN after), is in the audit log as imported and the log
//! still verifies; only a migration agency may import, and it may do nothing else.

use std::path::{Path, PathBuf};

use netral_cli::import::{Options, Summary, import_file, synth};
use netral_proto::v1 as pb;
use netral_proto::v1::import_service_client::ImportServiceClient;
use netral_tests::fixtures::{self, date};
use netral_tests::{TestApp, reason, spawn_app};
use tonic::Code;

/// The dev directory's migration agency.
const MIGRATION: &str = "netral-migrasi";
/// Rows of the suite's history file; the release-mode measurement imports 10,000
/// (docs/PERFORMANCE.md).
const ROWS: usize = 1_000;
/// One row in a hundred is bad.
const BAD_EVERY: usize = 100;

fn options() -> Options {
    Options {
        from_line: 2,
        batch: 200,
        parallel: 4,
        progress: false,
    }
}

/// A history file of `rows` fictional cases in a fresh directory (kept alive by the guard).
fn history_file(rows: usize, bad_every: Option<usize>) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases.csv");
    synth::write(std::fs::File::create(&path).unwrap(), rows, bad_every).unwrap();
    (dir, path)
}

async fn import(app: &TestApp, agency: &str, path: &Path) -> Summary {
    let client = ImportServiceClient::new(netral_cli::trace::traced(app.channel_for(agency).await));
    import_file(client, path, options()).await.unwrap()
}

async fn import_rows(
    app: &TestApp,
    agency: &str,
    cases: Vec<pb::PastCase>,
) -> Result<Vec<pb::ImportCaseResult>, tonic::Status> {
    let mut client = ImportServiceClient::new(app.channel_for(agency).await);
    client
        .import_cases(pb::ImportCasesRequest { cases })
        .await
        .map(|r| r.into_inner().results)
}

#[tokio::test]
async fn a_history_file_goes_in_but_its_bad_lines_which_are_reported_and_a_rerun_doubles_nothing() {
    let app = spawn_app().await;
    let (_dir, path) = history_file(ROWS, Some(BAD_EVERY));
    let first = import(&app, MIGRATION, &path).await;

    let bad: Vec<usize> = (0..ROWS)
        .filter(|i| synth::is_bad(*i, Some(BAD_EVERY)))
        .collect();
    let good = (ROWS - bad.len()) as u64;
    assert_eq!(first.rows, ROWS as u64);
    assert_eq!(first.imported, good, "{:#?}", &first.refused);
    assert_eq!(first.already_present, 0);
    // Every bad row by its line (the header is line 1), naming the field it got wrong.
    let lines: Vec<u64> = first.refused.iter().map(|r| r.line).collect();
    let expected: Vec<u64> = bad.iter().map(|i| *i as u64 + 2).collect();
    assert_eq!(lines, expected);
    for (n, refusal) in first.refused.iter().enumerate() {
        let (what, field) = synth::BAD_KINDS[n % synth::BAD_KINDS.len()];
        assert!(
            refusal.violations.iter().any(|v| v.field == field),
            "line {} ({what}) should name {field}: {refusal:?}",
            refusal.line
        );
    }
    let counts = app.row_counts().await;
    assert_eq!(counts.cases, good);

    let second = import(&app, MIGRATION, &path).await;
    assert_eq!(second.imported, 0);
    assert_eq!(second.already_present, good);
    assert_eq!(
        second.refused.iter().map(|r| r.line).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(app.row_counts().await, counts, "a re-run wrote something");

    // A resume from a later line skips what is before it.
    let resumed = import_file(
        ImportServiceClient::new(netral_cli::trace::traced(app.channel_for(MIGRATION).await)),
        &path,
        Options {
            from_line: 902,
            ..options()
        },
    )
    .await
    .unwrap();
    assert_eq!(resumed.rows, 100);
    assert_eq!(resumed.imported, 0);
}

#[tokio::test]
async fn the_sample_history_in_the_docs_goes_in_whole() {
    let app = spawn_app().await;
    let sample =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/history-sample.csv");
    let summary = import(&app, MIGRATION, &sample).await;
    assert!(summary.refused.is_empty(), "{:#?}", summary.refused);
    assert_eq!((summary.rows, summary.imported), (20, 20));
}

/// `forwarded` moved by `days`, as a wire date.
fn day(forwarded: &str, days: i64) -> Option<netral_proto::google::r#type::Date> {
    use chrono::Datelike;
    let d = chrono::NaiveDate::parse_from_str(forwarded, "%Y-%m-%d").unwrap()
        + chrono::TimeDelta::days(days);
    Some(date(d.year(), d.month() as i32, d.day() as i32))
}

/// A recorded past case of Kotabaru forwarded on `forwarded` (ISO date) and naming
/// `examiner`: occurred 9 days before, registered 7 days before; recommended 30 days after,
/// decreed 45 days after, recorded 55 days after.
fn kotabaru_recorded(source: &str, examiner: &str, forwarded: &str) -> pb::PastCase {
    let mut case = fixtures::kotabaru_social_media_like().r#case.unwrap();
    case.registration_number = format!("{source}/Reg/TM/PL/Kab-KTB");
    case.occurred_date = day(forwarded, -9);
    case.reported_date = day(forwarded, -8);
    let year = forwarded[..4].parse().unwrap();
    case.election = Some(pb::Election {
        kind: pb::ElectionKind::Pilkada as i32,
        year,
        phase: pb::ElectionPhase::AfterCandidateDetermination as i32,
    });
    pb::PastCase {
        request_id: uuid::Uuid::new_v4().to_string(),
        source_reference: source.into(),
        source_line: 7,
        r#case: Some(case),
        reporting_office: "agencies/bawaslu-kotabaru".into(),
        registered_date: day(forwarded, -7),
        outcome: pb::CaseState::Recorded as i32,
        forwarded_date: day(forwarded, 0),
        forward_letter_number: "045/PP.01.02/K.KS-05".into(),
        examiner: format!("agencies/{examiner}"),
        recommendation: Some(pb::SanctionRecommendation {
            level: pb::SanctionLevel::Medium as i32,
            letter_number: "R-1207/KASN".into(),
            ..Default::default()
        }),
        recommended_date: day(forwarded, 30),
        sanctions: vec![pb::ImposedSanction {
            code: "MEDIUM_ALLOWANCE_CUT_25_6M".into(),
            decree_number: "800/117/BKPSDM".into(),
            decree_date: day(forwarded, 45),
        }],
        registry_reference: "IDIS/63.02/000417".into(),
        recorded_date: day(forwarded, 55),
        ..Default::default()
    }
}

#[tokio::test]
async fn an_imported_case_keeps_its_dates_and_its_examiner_of_the_day_and_is_audited_as_imported() {
    let app = spawn_app().await;
    app.clock.set("2025-06-02T03:00:00Z".parse().unwrap());
    let kasn_era = kotabaru_recorded("SIAPNET/2020/000417", "kasn", "2020-10-12");
    let bkn_era = kotabaru_recorded("SBT/2024/000031", "bkn", "2024-09-10");
    let results = import_rows(&app, MIGRATION, vec![kasn_era, bkn_era])
        .await
        .unwrap();
    for r in &results {
        assert_eq!(r.result(), pb::ImportResult::Imported, "{r:?}");
        assert_eq!(r.source_line, 7);
    }

    let case = app.get("bpk", &results[0].r#case).await.unwrap();
    assert_eq!(case.state(), pb::CaseState::Recorded);
    assert_eq!(case.examiner, "agencies/kasn");
    assert_eq!(case.reporting_office, "agencies/bawaslu-kotabaru");
    assert_eq!(case.forward_date, Some(date(2020, 10, 12)));
    assert_eq!(
        case.imposed_sanctions[0].decree_date,
        Some(date(2020, 11, 26))
    );
    let created = case.create_time.unwrap();
    assert_eq!(
        created,
        fixtures::timestamp("2020-10-05T05:00:00Z".parse().unwrap())
    );
    let later = app.get("bpk", &results[1].r#case).await.unwrap();
    assert_eq!(later.examiner, "agencies/bkn");

    // Its steps, each on its original date by the agency of the day.
    let events = app.history(&case).await;
    let steps: Vec<(String, String, String)> = events
        .iter()
        .map(|e| {
            (
                e.action.as_str().to_owned(),
                e.actor.as_str().to_owned(),
                e.occurred_at.date_naive().to_string(),
            )
        })
        .collect();
    let expected = [
        ("REGISTER", "bawaslu-kotabaru", "2020-10-05"),
        ("FORWARD", "bawaslu-kotabaru", "2020-10-12"),
        ("ACCEPT", "kasn", "2020-11-11"),
        ("RECOMMEND_SANCTION", "kasn", "2020-11-11"),
        ("RECORD_SANCTION_DECREE", "pemkab-kotabaru", "2020-11-26"),
        ("RECORD_IN_REGISTRY", "bkn", "2020-12-06"),
    ]
    .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()));
    assert_eq!(steps, expected);
    assert!(events.iter().all(|e| e.payload.get("imported").is_some()));

    // No one is told (the past is not news), no deadline is left open.
    assert!(app.inbox("pemkab-kotabaru").await.is_empty());
    let full = app.read(&case.name).await;
    assert!(
        full.deadlines
            .iter()
            .all(|d| d.status() != pb::DeadlineStatus::Open)
    );

    // One audit event, the import's own, carrying the source and the original dates.
    app.audit_keeper().catch_up().await.unwrap();
    let history = app.audit_history("bpk", &case.name).await;
    let imported: Vec<_> = history
        .iter()
        .filter(|e| e.action == "IMPORT_HISTORY")
        .collect();
    assert_eq!(imported.len(), 1);
    assert_eq!(imported[0].actor, "agencies/netral-migrasi");
    assert!(imported[0].payload_json.contains("SIAPNET/2020/000417"));
    assert!(imported[0].payload_json.contains("2020-10-12"));
    assert!(app.audit_keeper().self_check().await.unwrap().is_empty());
}

#[tokio::test]
async fn only_a_migration_agency_may_import_and_it_may_do_nothing_else() {
    let app = spawn_app().await;
    let row = || {
        vec![kotabaru_recorded(
            "SIAPNET/2020/000999",
            "kasn",
            "2020-10-12",
        )]
    };
    let before = app.row_counts().await;
    for agency in [
        "bawaslu-kotabaru",
        "bawaslu-ri",
        "kasn",
        "bkn",
        "pemkab-kotabaru",
        "kemendagri",
        "kemenpan-rb",
        "bpk",
    ] {
        let refused = import_rows(&app, agency, row()).await.unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied, "{agency}");
        assert_eq!(reason(&refused), "ROLE_NOT_HELD", "{agency}");
    }
    assert_eq!(app.row_counts().await.cases, before.cases);

    let results = import_rows(&app, MIGRATION, row()).await.unwrap();
    assert_eq!(results[0].result(), pb::ImportResult::Imported);
    // The migration agency reads nothing and takes no live step.
    let read = app.get(MIGRATION, &results[0].r#case).await.unwrap_err();
    assert_eq!(read.code(), Code::PermissionDenied);
    let register = app
        .register(MIGRATION, fixtures::kotabaru_social_media_like())
        .await
        .unwrap_err();
    assert_eq!(register.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn a_past_case_is_held_to_the_rules_of_a_live_one() {
    let app = spawn_app().await;
    let mut wrong_examiner = kotabaru_recorded("SIAPNET/2020/000001", "bkn", "2020-10-12");
    wrong_examiner.source_line = 3;
    let mut decree_above_level = kotabaru_recorded("SIAPNET/2020/000002", "kasn", "2020-10-12");
    decree_above_level.sanctions[0].code = "SEVERE_DEMOTION_12M".into();
    let mut recorded_before_decree = kotabaru_recorded("SIAPNET/2020/000003", "kasn", "2020-10-12");
    recorded_before_decree.recorded_date = Some(date(2020, 11, 1));
    let mut still_open = kotabaru_recorded("SIAPNET/2020/000004", "kasn", "2020-10-12");
    still_open.outcome = pb::CaseState::SanctionRecommended as i32;
    let results = import_rows(
        &app,
        MIGRATION,
        vec![
            wrong_examiner,
            decree_above_level,
            recorded_before_decree,
            still_open,
        ],
    )
    .await
    .unwrap();
    let fields: Vec<Vec<&str>> = results
        .iter()
        .map(|r| {
            assert_eq!(r.result(), pb::ImportResult::Refused, "{r:?}");
            assert_eq!(r.reason, "INVALID_ARGUMENT");
            r.field_violations
                .iter()
                .map(|v| v.field.as_str())
                .collect()
        })
        .collect();
    assert_eq!(
        fields,
        [
            vec!["examiner"],
            vec!["sanctions"],
            vec!["recorded_date"],
            vec!["outcome"]
        ]
    );
    assert_eq!(results[0].source_line, 3);
    assert_eq!(app.row_counts().await.cases, 0);
}
