//! `netral case` and `netral directory` against a real server, through the library's `run`
//! with parsed arguments: a case walked to RECORDED purely by command, every other verb
//! ending a case its own way, refusals printed with their field violations and exit codes,
//! and the directory as a table and as JSON.

use netral_cli::case::CaseArgs;
use netral_cli::directory::DirectoryArgs;
use netral_proto::v1 as pb;
use netral_tests::fixtures::{self, past_the_ppk_deadline, walk_to};
use netral_tests::{TestApp, spawn_app};
use pb::CaseState;

/// `netral case …` / `netral directory …` as the command line parses them.
#[derive(Debug, clap::Parser)]
enum Netral {
    /// `netral case`.
    Case(CaseArgs),
    /// `netral directory`.
    Directory(DirectoryArgs),
}

/// What a command printed: its answer and its notes (the request id).
struct Printed {
    out: String,
    note: String,
}

/// Runs `netral <args> --endpoint … --pki …`.
async fn try_netral(app: &TestApp, args: &[&str]) -> anyhow::Result<Printed> {
    let pki = app.pki_dir.to_str().unwrap().to_owned();
    let endpoint = app.endpoint();
    let argv = std::iter::once("netral")
        .chain(args.iter().copied())
        .chain(["--endpoint", &endpoint, "--pki", &pki]);
    let parsed = <Netral as clap::Parser>::try_parse_from(argv).expect("the arguments parse");
    let (mut out, mut note) = (Vec::new(), Vec::new());
    match parsed {
        Netral::Case(args) => netral_cli::case::run(args, &mut out, &mut note).await?,
        Netral::Directory(args) => netral_cli::directory::run(args, &mut out).await?,
    }
    Ok(Printed {
        out: String::from_utf8(out).unwrap(),
        note: String::from_utf8(note).unwrap(),
    })
}

/// Runs a command that must succeed.
async fn netral(app: &TestApp, args: &[&str]) -> Printed {
    try_netral(app, args)
        .await
        .unwrap_or_else(|err| panic!("netral {args:?} failed: {err:#}"))
}

/// Runs `netral case <verb> <case> <flags> --agency <agency> --output json` and returns the
/// case it printed.
async fn step(
    app: &TestApp,
    agency: &str,
    verb: &str,
    case: &str,
    flags: &[&str],
) -> serde_json::Value {
    let mut args = vec!["case", verb, case];
    args.extend_from_slice(flags);
    args.extend_from_slice(&["--agency", agency, "--output", "json"]);
    let printed = netral(app, &args).await;
    assert!(printed.note.starts_with("request_id "), "{}", printed.note);
    serde_json::from_str(&printed.out)
        .unwrap_or_else(|err| panic!("{verb}: {err}: {}", printed.out))
}

fn agency(value: &serde_json::Value) -> String {
    value
        .as_str()
        .unwrap()
        .trim_start_matches("agencies/")
        .to_owned()
}

#[tokio::test]
async fn the_kotabaru_case_walks_to_recorded_through_netral_case_commands() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("case.json");
    let case = fixtures::kotabaru_social_media_like().r#case.unwrap();
    let json = netral_cli::protojson::to_value("netral.v1.Case", &case).unwrap();
    std::fs::write(&file, json.to_string()).unwrap();

    let office = "bawaslu-kotabaru";
    let register = [
        "case",
        "register",
        "--file",
        file.to_str().unwrap(),
        "--agency",
        office,
        "--output",
        "json",
    ];
    let registered: serde_json::Value =
        serde_json::from_str(&netral(&app, &register).await.out).unwrap();
    assert_eq!(registered["state"], "CASE_STATE_REGISTERED");
    let name = registered["name"].as_str().unwrap().to_owned();

    step(
        &app,
        office,
        "note",
        &name,
        &["--text", "Klarifikasi dijadwalkan."],
    )
    .await;
    let digest = fixtures::EVIDENCE_DIGEST;
    step(
        &app,
        office,
        "attach",
        &name,
        &[
            "--digest",
            digest,
            "--media-type",
            "image/png",
            "--title",
            "Tangkapan layar",
        ],
    )
    .await;
    step(
        &app,
        office,
        "extend-review",
        &name,
        &["--reason", "Menunggu klarifikasi."],
    )
    .await;
    let forwarded = step(
        &app,
        office,
        "forward",
        &name,
        &["--letter", fixtures::FORWARD_LETTER],
    )
    .await;
    assert_eq!(forwarded["state"], "CASE_STATE_FORWARDED");
    let examiner = agency(&forwarded["examiner"]);
    step(&app, &examiner, "accept", &name, &[]).await;
    let recommended = step(
        &app,
        &examiner,
        "recommend",
        &name,
        &[
            "--level",
            "severe",
            "--moral",
            "open-statement",
            "--letter",
            fixtures::RECOMMENDATION_LETTER,
        ],
    )
    .await;
    assert_eq!(
        recommended["recommendation"]["level"],
        "SANCTION_LEVEL_SEVERE"
    );
    let ppk = "pemkab-kotabaru";
    step(&app, ppk, "acknowledge", &name, &[]).await;
    let decree = [
        "--sanction",
        "SEVERE_DEMOTION_12M",
        "--sanction",
        "MORAL_OPEN_STATEMENT",
        "--decree-number",
        fixtures::DECREE_NUMBER,
        "--decree-date",
        "2024-03-19",
    ];
    let sanctioned = step(&app, ppk, "decree", &name, &decree).await;
    assert_eq!(sanctioned["imposed_sanctions"].as_array().unwrap().len(), 2);
    let recorded = step(
        &app,
        "bkn",
        "record",
        &name,
        &["--registry-reference", fixtures::REGISTRY_REFERENCE],
    )
    .await;
    assert_eq!(recorded["state"], "CASE_STATE_RECORDED");

    // People read a table; the full view names the notes and attachments.
    let table = netral(&app, &["case", "get", &name, "--agency", office])
        .await
        .out;
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("state") && l.ends_with("RECORDED")),
        "{table}"
    );
    assert!(
        table.contains("2 notes, 1 attachments"),
        "the note and the extension's reason: {table}"
    );
    assert!(
        table.contains("SEVERE_DEMOTION_12M (SK 800.1.6.4/117/BKPSDM/2024, 2024-03-19)"),
        "{table}"
    );

    // Scripts read JSON, every page with --all.
    let listed = netral(
        &app,
        &[
            "case",
            "list",
            "--all",
            "--page-size",
            "1",
            "--agency",
            office,
            "--output",
            "json",
        ],
    )
    .await
    .out;
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed["cases"][0]["name"], name.as_str());
    let table = netral(
        &app,
        &[
            "case",
            "list",
            "--filter",
            "state = CASE_STATE_RECORDED",
            "--agency",
            office,
        ],
    )
    .await
    .out;
    assert_eq!(table.lines().count(), 2, "{table}");
    assert!(table.lines().nth(1).unwrap().contains("RECORDED"));
}

#[tokio::test]
async fn every_other_verb_ends_or_escalates_a_case_its_own_way() {
    let app = spawn_app().await;
    let office = "bawaslu-kotabaru";
    let dismissed = walk_to(&app, CaseState::Registered).await;
    let cancelled = walk_to(&app, CaseState::Registered).await;
    let not_proven = walk_to(&app, CaseState::UnderExamination).await;
    // The registry reports a separation once the PPK is asked to act.
    let separated = walk_to(&app, CaseState::SanctionRecommended).await;
    let ignored = walk_to(&app, CaseState::SanctionRecommended).await;
    let by_file = walk_to(&app, CaseState::SanctionRecommended).await;

    let done = step(
        &app,
        office,
        "dismiss",
        &dismissed.name,
        &["--rationale", "Bukan akun terlapor."],
    )
    .await;
    assert_eq!(done["state"], "CASE_STATE_DISMISSED");
    let done = step(
        &app,
        office,
        "cancel",
        &cancelled.name,
        &["--reason", "withdrawn", "--detail", "Dicabut."],
    )
    .await;
    assert_eq!(done["state"], "CASE_STATE_CANCELLED");
    let examiner = fixtures::agency_id(&not_proven.examiner).to_owned();
    let done = step(
        &app,
        &examiner,
        "not-proven",
        &not_proven.name,
        &["--rationale", "Tidak terbukti."],
    )
    .await;
    assert_eq!(done["state"], "CASE_STATE_NOT_PROVEN");
    let done = step(
        &app,
        "bkn",
        "separated",
        &separated.name,
        &["--reason", "retired", "--effective-date", "2024-03-01"],
    )
    .await;
    assert_eq!(done["state"], "CASE_STATE_SUBJECT_SEPARATED");

    // The PPK let its deadline pass: BKN blocks and lifts, Kemendagri warns the regent.
    app.clock.set(past_the_ppk_deadline());
    let blocked = step(
        &app,
        "bkn",
        "block",
        &ignored.name,
        &["--reason", "Lewat tenggat."],
    )
    .await;
    assert_eq!(blocked["personnel_data_blocked"], true);
    let lifted = step(
        &app,
        "bkn",
        "unblock",
        &ignored.name,
        &["--reason", "Jadwal diterima."],
    )
    .await;
    assert!(
        lifted.get("personnel_data_blocked").is_none(),
        "false is left out: {lifted}"
    );
    let warned = step(
        &app,
        "kemendagri",
        "warn",
        &ignored.name,
        &[
            "--letter-number",
            "100.2.2.6/2291/OTDA",
            "--letter-date",
            "2024-03-12",
        ],
    )
    .await;
    let escalations = warned["escalation_count"].as_i64().unwrap();
    assert!(
        escalations >= 3,
        "a block, its lifting and a warning: {warned}"
    );

    // A decree from a JSON file (standard input works the same with `--file -`).
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("decree.json");
    std::fs::write(&file, r#"{"sanctions": [{"code": "SEVERE_DEMOTION_12M", "decree_number": "800/9/2024", "decree_date": {"year": 2024, "month": 3, "day": 12}}]}"#).unwrap();
    let decreed = step(
        &app,
        "pemkab-kotabaru",
        "decree",
        &by_file.name,
        &["--file", file.to_str().unwrap()],
    )
    .await;
    assert_eq!(decreed["state"], "CASE_STATE_SANCTIONED");
    assert_eq!(
        decreed["imposed_sanctions"][0]["decree_number"],
        "800/9/2024"
    );
}

#[tokio::test]
async fn a_refused_step_prints_its_reason_and_field_violations_and_exits_by_class() {
    let app = spawn_app().await;
    let case = walk_to(&app, CaseState::Registered).await;
    let exit = |err: &anyhow::Error| netral_cli::exit::code_of(err);

    let err = try_netral(
        &app,
        &[
            "case",
            "forward",
            &case.name,
            "--letter",
            "",
            "--agency",
            "bawaslu-kotabaru",
        ],
    )
    .await
    .err()
    .expect("an empty letter number is refused");
    let text = format!("{err:#}");
    assert!(
        text.starts_with("ForwardCase failed: INVALID_ARGUMENT"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("letter_number: ")),
        "{text}"
    );
    assert_eq!(exit(&err), 3);

    let err = try_netral(
        &app,
        &[
            "case",
            "dismiss",
            &case.name,
            "--rationale",
            "x",
            "--agency",
            "bawaslu-batang-hari",
        ],
    )
    .await
    .err()
    .unwrap();
    assert!(format!("{err:#}").contains("PERMISSION_DENIED"), "{err:#}");
    assert_eq!(exit(&err), 4);

    let stale = [
        "case",
        "forward",
        &case.name,
        "--letter",
        "1/2024",
        "--etag",
        "stale",
        "--agency",
        "bawaslu-kotabaru",
    ];
    let err = try_netral(&app, &stale).await.err().unwrap();
    assert!(format!("{err:#}").contains("ETAG_MISMATCH"), "{err:#}");
    assert_eq!(exit(&err), 6);

    let unknown = "cases/0190f1c2-7a3b-7cde-8f01-23456789abcd";
    let err = try_netral(&app, &["case", "get", unknown, "--agency", "bpk"])
        .await
        .err()
        .unwrap();
    assert_eq!(exit(&err), 5, "{err:#}");

    // A retry with the printed request id is answered, not applied twice.
    let forward = [
        "case",
        "forward",
        &case.name,
        "--letter",
        "2/2024",
        "--agency",
        "bawaslu-kotabaru",
        "--output",
        "json",
    ];
    let first = netral(&app, &forward).await;
    let request_id = first.note.split_whitespace().nth(1).unwrap().to_owned();
    let etag = &case.etag;
    let mut again = forward.to_vec();
    again.extend_from_slice(&["--request-id", &request_id, "--etag", etag]);
    let replay = netral(&app, &again).await;
    assert_eq!(first.out, replay.out, "the replay answers the first reply");

    let err = try_netral(&app, &forward)
        .await
        .err()
        .expect("a forwarded case is not forwarded again");
    assert!(
        format!("{err:#}").contains("FAILED_PRECONDITION"),
        "{err:#}"
    );
    assert_eq!(exit(&err), 3);
}

#[tokio::test]
async fn the_directory_lists_as_a_table_and_as_json() {
    let app = spawn_app().await;
    let as_bpk = ["--agency", "bpk"];
    let json = |out: &str| serde_json::from_str::<serde_json::Value>(out).unwrap();

    let table = netral(&app, &[&["directory", "agencies"][..], &as_bpk].concat())
        .await
        .out;
    assert!(table.starts_with("agency"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("bawaslu-kotabaru") && l.contains("63.02")),
        "{table}"
    );
    let ppks = netral(
        &app,
        &[
            &[
                "directory",
                "agencies",
                "--filter",
                "role = ROLE_PPK",
                "--output",
                "json",
            ][..],
            &as_bpk,
        ]
        .concat(),
    )
    .await
    .out;
    let ppks = json(&ppks);
    assert!(
        ppks["agencies"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["name"].as_str().unwrap().starts_with("agencies/pem")
                || a["name"].as_str().unwrap().starts_with("agencies/kemen")),
        "{ppks}"
    );

    let one = json(
        &netral(
            &app,
            &[
                &["directory", "agency", "bkn", "--output", "json"][..],
                &as_bpk,
            ]
            .concat(),
        )
        .await
        .out,
    );
    assert_eq!(one["name"], "agencies/bkn");
    let table = netral(
        &app,
        &[&["directory", "agency", "agencies/kasn"][..], &as_bpk].concat(),
    )
    .await
    .out;
    assert!(table.contains("EXAMINER"), "{table}");

    let regions = netral(
        &app,
        &[
            &["directory", "regions", "--filter", "code = \"63\""][..],
            &as_bpk,
        ]
        .concat(),
    )
    .await
    .out;
    assert!(regions.lines().any(|l| l.starts_with("63.02")), "{regions}");
    let days = json(
        &netral(
            &app,
            &[
                &[
                    "directory",
                    "non-working-days",
                    "--filter",
                    "year = 2024",
                    "--output",
                    "json",
                ][..],
                &as_bpk,
            ]
            .concat(),
        )
        .await
        .out,
    );
    assert!(!days["days"].as_array().unwrap().is_empty());
    let rules = netral(
        &app,
        &[&["directory", "deadline-rules"][..], &as_bpk].concat(),
    )
    .await
    .out;
    assert!(rules.contains("PPK_ACTION"), "{rules}");
    let forms = json(
        &netral(
            &app,
            &[
                &["directory", "violation-forms", "--output", "json"][..],
                &as_bpk,
            ]
            .concat(),
        )
        .await
        .out,
    );
    assert_eq!(forms["forms"].as_array().unwrap().len(), 13);
    let sanctions = netral(&app, &[&["directory", "sanctions"][..], &as_bpk].concat())
        .await
        .out;
    assert!(
        sanctions
            .lines()
            .any(|l| l.starts_with("SEVERE_DEMOTION_12M")),
        "{sanctions}"
    );
}

#[tokio::test]
async fn every_call_of_the_command_line_is_a_span_of_its_one_trace() {
    let app = spawn_app().await;
    let case = app
        .register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
        .await
        .unwrap();
    // Two commands, two calls each (the step reads the case for its etag first).
    for text in ["Klarifikasi dijadwalkan.", "Saksi hadir."] {
        step(
            &app,
            "bawaslu-kotabaru",
            "note",
            &case.name,
            &["--text", text],
        )
        .await;
    }
    let command_trace = netral_cli::trace::for_call()
        .split('-')
        .nth(1)
        .unwrap()
        .to_owned();
    // The history shows sequenced events: sequence what is committed first.
    app.audit_keeper().catch_up().await.unwrap();
    let events = app.audit_history("bpk", &case.name).await;
    let by_cli: Vec<&pb::AuditEvent> = events.iter().filter(|e| e.action == "ADD_NOTE").collect();
    assert_eq!(by_cli.len(), 2);
    for event in by_cli {
        assert_eq!(
            event.trace_id, command_trace,
            "the server span continues the command's trace"
        );
        assert_eq!(event.span_id.len(), 16);
    }
    let registration = &events[0];
    assert_ne!(
        registration.trace_id, command_trace,
        "a call without a traceparent starts a trace of its own"
    );
}
