//! The command line of the new client commands, parsed without a server: the case verbs
//! with their fields as flags, the directory commands, and the completion scripts.

use clap::Parser;

use super::*;

#[tokio::test]
async fn completions_generate_for_bash_zsh_and_fish() {
    for shell in ["bash", "zsh", "fish"] {
        let cli = Cli::try_parse_from(["netral", "completions", shell]).unwrap();
        let mut out = Vec::new();
        run(cli, &mut out).await.unwrap();
        let script = String::from_utf8(out).unwrap();
        assert!(script.contains("netral"), "{shell}: {script}");
        assert!(
            script.contains("forward") && script.contains("non-working-days"),
            "{shell}"
        );
    }
    assert!(Cli::try_parse_from(["netral", "completions", "tcsh"]).is_err());
}

#[test]
fn case_verbs_take_their_fields_as_flags() {
    use case::steps::CaseCommand as C;
    let case = "cases/0190f1c2-7a3b-7cde-8f01-23456789abcd";
    let parse = |args: &[&str]| {
        let mut argv = vec!["netral", "case"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv) {
            Ok(Cli {
                command: Command::Case(case),
            }) => Ok(case),
            Ok(other) => panic!("not a case command: {other:?}"),
            Err(err) => Err(err),
        }
    };
    let forward = parse(&[
        "forward",
        case,
        "--letter",
        "045/2024",
        "--agency",
        "bawaslu-kotabaru",
        "--output",
        "json",
    ])
    .unwrap();
    assert_eq!(forward.output, case::Output::Json);
    assert_eq!(forward.profile.agency.unwrap().as_str(), "bawaslu-kotabaru");
    assert!(
        matches!(forward.command, C::Forward { ref letter_number, ref step } if letter_number == "045/2024" && step.etag.is_none())
    );
    let recommend = parse(&[
        "recommend",
        case,
        "--level",
        "severe",
        "--moral",
        "open-statement",
        "--letter",
        "B-1/2024",
    ])
    .unwrap();
    assert!(matches!(
        recommend.command,
        C::Recommend {
            level: netral_proto::v1::SanctionLevel::Severe,
            ..
        }
    ));
    assert!(parse(&["recommend", case, "--level", "harsh", "--letter", "x"]).is_err());
    let decree = parse(&[
        "decree",
        case,
        "--sanction",
        "SEVERE_DEMOTION_12M",
        "--sanction",
        "MORAL_OPEN_STATEMENT",
        "--decree-number",
        "800/1",
        "--decree-date",
        "2024-03-19",
    ])
    .unwrap();
    assert!(matches!(decree.command, C::Decree(ref d) if d.sanctions.len() == 2));
    assert!(
        parse(&["decree", case]).is_err(),
        "a decree needs sanctions or a file"
    );
    assert!(
        parse(&["decree", case, "--sanction", "X"]).is_err(),
        "and their decree"
    );
    assert!(parse(&["accept", "not-a-case"]).is_err());
    assert!(parse(&["list", "--all", "--view", "full"]).is_ok());
    assert!(parse(&["get", case, "--view", "everything"]).is_err());
    let usage = Cli::try_parse_from(["netral", "case", "accept"]).unwrap_err();
    assert_eq!(usage.exit_code(), 2, "usage errors exit 2");
}

#[test]
fn directory_commands_parse() {
    for args in [
        &["agencies", "--filter", "role = ROLE_PPK"][..],
        &["agency", "bkn"],
        &["regions"],
        &["non-working-days", "--filter", "year = 2024"],
        &["deadline-rules"],
        &["violation-forms", "--output", "json"],
        &["sanctions"],
    ] {
        let mut argv = vec!["netral", "directory"];
        argv.extend_from_slice(args);
        assert!(Cli::try_parse_from(argv).is_ok(), "{args:?}");
    }
}
