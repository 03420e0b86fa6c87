//! `netral`: the command line of the netral exchange, for operators and agency engineers.
//!
//! Each subcommand lives in its own module; this file only parses arguments and dispatches.
//!
//! ```text
//! netral pki init  [--data-dir ./netral-data] [--directory FILE]
//! netral pki issue --agency ID [--data-dir ./netral-data]
//! netral bench lifecycle [--clients 64] [--cases 2000] [--database sqlite|postgres|URL]
//!                        [--endpoint URL --pki DIR | --in-process | --server-bin PATH]
//!                        [--connections per-client|per-agency] [--json FILE]
//!
//! netral audit history CASE [--json]                       CASE: cases/<uuid> or <uuid>
//! netral audit export  --out FILE [--tree-size N]          also writes FILE.checkpoint
//! netral audit verify  FILE [--key FILE] [--trusted-checkpoint NOTE_FILE] [--pki DIR]
//! netral audit prove   SEQUENCE [--tree-size N] [--key FILE] [--consistent-with NOTE_FILE]
//!
//! the online audit commands (history, export, prove) connect with
//!   [--endpoint https://127.0.0.1:50051] [--pki ./netral-data/pki] [--agency bpk]
//!   [--ca FILE] [--cert FILE --cert-key FILE] [--server-name localhost]
//! and read the log's verifier key from --key or <pki>/audit-log.pub; `verify` needs no server.
//!
//! netral inbox watch  --agency ID [--after CURSOR] [--no-ack] [--max N] [--json]
//! netral inbox list   --agency ID [--unacknowledged] [--filter EXPR] [--json]
//! netral inbox ack    --agency ID CURSOR
//! netral inbox status --agency ID [--json]
//!
//! netral import FILE.csv [--from-line N] [--report FILE] [--no-progress]   as netral-migrasi
//!
//! netral stats compliance [--filter EXPR] [--group-by province,ppk,...] [--output table|json]
//! netral stats overdue    [--filter EXPR] [--limit N] [--output table|json]
//!
//! netral case register --file case.json|-             RegisterCase (Bawaslu)
//! netral case get CASE [--view basic|full]             GetCase
//! netral case list [--filter EXPR] [--view basic|full] [--page-size N] [--page-token T | --all]
//! netral case extend-review|dismiss|forward|accept|not-proven|recommend|acknowledge|decree|
//!             separated|record|block|unblock|warn|cancel|attach|note CASE [--field ...]
//!             [--etag ETAG] [--request-id UUID]        one verb per step RPC
//! netral directory agencies|agency ID|regions|non-working-days|deadline-rules|
//!                  violation-forms|sanctions [--filter EXPR]
//! netral demo [--endpoint URL --pki DIR]               the seed stories, live
//! netral completions bash|zsh|fish
//!
//! case, directory and demo take the connection profile: flags (--endpoint, --agency, --pki,
//! --ca, --cert, --cert-key, --server-name), over NETRAL_ENDPOINT, NETRAL_AGENCY, NETRAL_PKI,
//! NETRAL_CA, NETRAL_CERT, NETRAL_KEY, over a TOML file (--profile FILE or
//! $XDG_CONFIG_HOME/netral/config.toml); and --output table|json.
//! A failure prints the status code, netral's reason and each field violation on stderr, and
//! exits by class (see `netral --help` and netral_cli::exit).
//! ```

mod pki;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use netral_cli::{audit, bench, case, demo, directory, exit, inbox, stats};

/// The `netral` command.
#[derive(Debug, Parser)]
#[command(
    name = "netral",
    version,
    about,
    propagate_version = true,
    after_help = exit::EXIT_CODES_HELP
)]
struct Cli {
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands; agency client commands and the load generator (`bench`) join here.
#[derive(Debug, Subcommand)]
enum Command {
    /// Development PKI: a local CA, a server certificate and one client certificate per agency.
    Pki(pki::PkiArgs),
    /// Load generator: real gRPC over mTLS as the dev PKI's agencies, with a progress bar, a
    /// table at the end and `--json FILE`.
    Bench(bench::BenchArgs),
    /// The audit log: a case's history, exports, offline verification and inclusion proofs.
    Audit(audit::AuditArgs),
    /// An agency's inbox: watch it live (acknowledging as it goes), list, acknowledge, status.
    Inbox(inbox::InboxArgs),
    /// Follow-up compliance per group and the overdue list (no personal data).
    Stats(stats::StatsArgs),
    /// Every CaseService RPC: register, the steps, get, list.
    Case(case::CaseArgs),
    /// The reference data: agencies, regions, calendar, deadline rules, catalogues.
    Directory(directory::DirectoryArgs),
    /// Plays the seed stories against a dev server, then shows the compliance table and one
    /// case's audit timeline.
    Demo(demo::DemoArgs),
    /// Prints a shell completion script: `netral completions bash > /etc/bash_completion.d/netral`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Brings in the history: concluded past cases from a CSV, as a migration agency.
    Import(netral_cli::import::ImportArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = std::io::stdout().lock();
    match run(cli, &mut out).await.and_then(|()| Ok(out.flush()?)) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`netral audit history … --json | head`): not a failure.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // `{:#}` prints the whole cause chain on one line, without a backtrace (a
            // refusal's field violations follow, one per line).
            eprintln!("error: {err:#}");
            ExitCode::from(exit::code_of(&err))
        }
    }
}

/// Whether `err` is a write to a closed pipe, however deep in its chain.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        let kind = cause
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            .or_else(|| cause.downcast_ref::<serde_json::Error>()?.io_error_kind());
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// Runs one parsed command, writing its report to `out`.
async fn run(cli: Cli, out: &mut dyn Write) -> anyhow::Result<()> {
    match cli.command {
        Command::Pki(args) => pki::run(args, out),
        Command::Bench(args) => bench::run(args, out).await,
        Command::Audit(args) => audit::run(args, out).await,
        Command::Inbox(args) => inbox::run(args, out).await,
        Command::Stats(args) => stats::run(args, out).await,
        Command::Case(args) => case::run(args, out, &mut std::io::stderr()).await,
        Command::Directory(args) => directory::run(args, out).await,
        Command::Demo(args) => demo::run(args, out).await,
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "netral", out);
            Ok(())
        }
        Command::Import(args) => netral_cli::import::run(args, out).await,
    }
}

#[cfg(test)]
mod main_tests;

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn agency_ids_are_checked_while_parsing() {
        let parse =
            |agency: &str| Cli::try_parse_from(["netral", "pki", "issue", "--agency", agency]);
        assert!(parse("bawaslu-kotabaru").is_ok());
        assert!(parse("Bawaslu Kotabaru").is_err());
        assert!(Cli::try_parse_from(["netral", "pki", "issue"]).is_err());
    }

    #[test]
    fn bench_lifecycle_parses() {
        let cli = Cli::try_parse_from([
            "netral",
            "bench",
            "lifecycle",
            "--clients",
            "64",
            "--cases",
            "2000",
            "--database",
            "postgres",
            "--json",
            "out.json",
        ]);
        assert!(cli.is_ok(), "{cli:?}");
        let bad = Cli::try_parse_from(["netral", "bench", "lifecycle", "--database", "oracle"]);
        assert!(bad.is_err());
    }

    #[test]
    fn a_closed_pipe_is_not_an_error() {
        let closed = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(is_broken_pipe(
            &anyhow::Error::from(closed).context("writing")
        ));
        let json = serde_json::to_writer(BrokenPipe, &1).unwrap_err();
        assert!(is_broken_pipe(&json.into()));
        assert!(!is_broken_pipe(&anyhow::anyhow!("GetCheckpoint failed")));
    }

    /// A writer whose reader has gone.
    struct BrokenPipe;

    impl Write for BrokenPipe {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn audit_commands_parse() {
        let parse = |args: &[&str]| {
            let mut argv = vec!["netral", "audit"];
            argv.extend_from_slice(args);
            Cli::try_parse_from(argv)
        };
        let audit = |args: &[&str]| match parse(args) {
            Ok(Cli {
                command: Command::Audit(audit::AuditArgs { command }),
            }) => command,
            other => panic!("{args:?} did not parse as an audit command: {other:?}"),
        };
        use audit::AuditCommand as A;

        let case = "cases/0190f1c2-7a3b-7cde-8f01-23456789abcd";
        let A::History(history) = audit(&["history", case, "--json"]) else {
            panic!("not history")
        };
        assert_eq!(history.case.to_string(), case);
        assert!(history.json);
        assert_eq!(history.connect.endpoint, "https://127.0.0.1:50051");
        assert_eq!(history.connect.acting().unwrap().as_str(), "bpk");
        assert_eq!(
            history.connect.pki.pki,
            std::path::Path::new("./netral-data/pki")
        );
        let (ca, cert, key) = history.connect.tls_files().unwrap();
        assert!(ca.ends_with("pki/ca.pem") && cert.ends_with("agencies/bpk.pem"));
        assert!(key.ends_with("agencies/bpk.key"));
        assert!(matches!(
            audit(&["history", "0190f1c2-7a3b-7cde-8f01-23456789abcd"]),
            A::History(h) if !h.json && h.case.to_string() == case
        ));
        assert!(parse(&["history", "not-a-uuid"]).is_err());
        assert!(parse(&["history"]).is_err());

        let A::Export(export) = audit(&[
            "export",
            "--out",
            "log.bin",
            "--tree-size",
            "42",
            "--endpoint",
            "https://10.0.0.5:50051",
            "--ca",
            "ca.pem",
            "--cert",
            "me.pem",
            "--cert-key",
            "me.key",
        ]) else {
            panic!("not export")
        };
        assert_eq!(export.tree_size, Some(42));
        assert_eq!(export.out, std::path::Path::new("log.bin"));
        let (ca, cert, key) = export.connect.tls_files().unwrap();
        assert_eq!(
            (ca.to_str(), cert.to_str(), key.to_str()),
            (Some("ca.pem"), Some("me.pem"), Some("me.key"))
        );
        assert!(parse(&["export"]).is_err());
        assert!(parse(&["export", "--out", "f", "--tree-size", "0"]).is_err());
        assert!(parse(&["export", "--out", "f", "--cert", "me.pem"]).is_err());
        assert!(parse(&["export", "--out", "f", "--agency", "Not An Id"]).is_err());

        let A::Verify(verify) = audit(&[
            "verify",
            "log.bin",
            "--trusted-checkpoint",
            "old.checkpoint",
            "--pki",
            "/srv/pki",
        ]) else {
            panic!("not verify")
        };
        assert_eq!(
            verify.pki.verifier_key_path(verify.key.as_deref()),
            std::path::Path::new("/srv/pki/audit-log.pub")
        );
        assert!(verify.trusted_checkpoint.is_some());
        assert!(matches!(
            audit(&["verify", "log.bin", "--key", "k.pub"]),
            A::Verify(v) if v.key.as_deref() == Some(std::path::Path::new("k.pub"))
        ));
        assert!(parse(&["verify"]).is_err());
        // verify is offline: it takes no connection flags.
        assert!(parse(&["verify", "log.bin", "--endpoint", "https://x:1"]).is_err());

        let A::Prove(prove) = audit(&[
            "prove",
            "7",
            "--tree-size",
            "10",
            "--key",
            "k.pub",
            "--consistent-with",
            "old.checkpoint",
        ]) else {
            panic!("not prove")
        };
        assert_eq!((prove.sequence, prove.tree_size), (7, Some(10)));
        assert!(prove.consistent_with.is_some() && prove.key.is_some());
        assert!(parse(&["prove"]).is_err());
        assert!(parse(&["prove", "-1"]).is_err());
    }

    #[tokio::test]
    async fn dispatches_to_the_pki_commands() {
        let data = tempfile::tempdir().unwrap();
        let dir = data.path().to_str().unwrap();
        let cli = Cli::try_parse_from(["netral", "pki", "init", "--data-dir", dir]).unwrap();
        let mut out = Vec::new();
        run(cli, &mut out).await.unwrap();
        assert!(data.path().join("pki/ca.pem").exists());
    }
}
