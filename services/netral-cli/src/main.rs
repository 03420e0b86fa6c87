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
//! ```

mod pki;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use netral_cli::bench;

/// The `netral` command.
#[derive(Debug, Parser)]
#[command(name = "netral", version, about, propagate_version = true)]
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
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = std::io::stdout().lock();
    match run(cli, &mut out).await.and_then(|()| Ok(out.flush()?)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // `{:#}` prints the whole cause chain on one line, without a backtrace.
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one parsed command, writing its report to `out`.
async fn run(cli: Cli, out: &mut dyn Write) -> anyhow::Result<()> {
    match cli.command {
        Command::Pki(args) => pki::run(args, out),
        Command::Bench(args) => bench::run(args, out).await,
    }
}

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
