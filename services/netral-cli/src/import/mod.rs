//! `netral import FILE.csv`: brings in the history (concluded past cases, 2018–2024) through
//! `ImportService.ImportCases`, as a migration agency (`--agency netral-migrasi` by default).
//!
//! Each CSV line is one case ([`row`] reads it); lines the client can already refuse (a date
//! that is no date) are reported with their column and never sent; the others go in batches,
//! a few batches in flight, and every row comes back imported, already present (a re-run, or a
//! resume: the server derives the case's id from `source_reference`) or refused with its
//! fields. A progress bar with rate and ETA runs on a terminal (`--no-progress` hides it);
//! the summary lists every refused line, and `--report FILE` writes it as JSON.

pub mod row;
pub mod synth;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use netral_proto::v1 as pb;
use netral_proto::v1::import_service_client::ImportServiceClient;

use crate::connect::ConnectArgs;
use row::{CsvViolation, Header};

/// The agency `netral import` acts as unless `--agency` says otherwise: the dev directory's
/// migration agency.
pub const DEFAULT_MIGRATION_AGENCY: &str = "netral-migrasi";

/// The flags of `netral import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The history CSV (header row, one column per field, ISO 8601 dates: docs/OPERATIONS.md).
    pub file: PathBuf,
    /// Start at this line of the file (the header is line 1); earlier lines are skipped.
    /// Re-running from the start is as safe: rows already in come back "already present".
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub from_line: u64,
    /// Rows per `ImportCases` call (at most 500).
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub batch: usize,
    /// Calls in flight at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub parallel: usize,
    /// Writes the summary as JSON to this file, for scripts.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// No progress bar (it is drawn only on a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
    /// Writes N fictional cases to FILE instead of importing it (tests, benchmarks).
    #[arg(long, value_name = "N", hide = true)]
    pub synthesize: Option<usize>,
    /// With `--synthesize`: every K-th row is bad, in one of several ways.
    #[arg(long, value_name = "K", hide = true, requires = "synthesize")]
    pub bad_every: Option<usize>,
    /// The server and the agency to act as.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// How an import run ended.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    /// Data lines read (after `--from-line`).
    pub rows: u64,
    /// Cases imported by this run.
    pub imported: u64,
    /// Rows whose case was imported before.
    pub already_present: u64,
    /// Refused rows, by line.
    pub refused: Vec<Refusal>,
    /// Wall time of the run, in seconds.
    pub seconds: f64,
    /// Rows per second.
    pub rows_per_second: f64,
}

/// One refused line.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Refusal {
    /// The line of the file.
    pub line: u64,
    /// The row's `source_reference`.
    pub source_reference: String,
    /// The server's reason (`INVALID_ARGUMENT`, …) or `CSV` for a client-side refusal.
    pub reason: String,
    /// The bad fields.
    pub violations: Vec<CsvViolation>,
}

/// What [`import_file`] needs besides the file.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// First line to import.
    pub from_line: u64,
    /// Rows per call.
    pub batch: usize,
    /// Calls in flight.
    pub parallel: usize,
    /// Whether to draw a progress bar (only on a terminal).
    pub progress: bool,
}

/// Runs `netral import`.
pub async fn run(mut args: ImportArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if let Some(rows) = args.synthesize {
        let file = std::fs::File::create(&args.file)
            .with_context(|| format!("cannot create {}", args.file.display()))?;
        synth::write(std::io::BufWriter::new(file), rows, args.bad_every)?;
        writeln!(
            out,
            "wrote {rows} fictional cases to {}",
            args.file.display()
        )?;
        return Ok(());
    }
    if args.connect.agency.is_none() {
        args.connect.agency = Some(DEFAULT_MIGRATION_AGENCY.parse()?);
    }
    let client = ImportServiceClient::new(args.connect.channel().await?);
    let options = Options {
        from_line: args.from_line,
        batch: args.batch.clamp(1, 500),
        parallel: args.parallel.max(1),
        progress: !args.no_progress,
    };
    let summary = import_file(client, &args.file, options).await?;
    print_summary(&summary, out)?;
    if let Some(path) = &args.report {
        let json = serde_json::to_vec_pretty(&summary)?;
        std::fs::write(path, json).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if summary.refused.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("{} rows were refused (see above)", summary.refused.len())
    }
}

/// Imports `path` through `client`; the summary of the run.
pub async fn import_file(
    client: ImportServiceClient<crate::trace::Traced>,
    path: &Path,
    options: Options,
) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let (rows, mut summary) = read(path, options.from_line)?;
    let bar = progress_bar(summary.rows, options.progress);
    bar.inc(summary.refused.len() as u64);
    let batches: Vec<Vec<pb::PastCase>> = rows
        .chunks(options.batch)
        .map(<[pb::PastCase]>::to_vec)
        .collect();
    let mut answers = futures::stream::iter(batches)
        .map(|cases| {
            let client = client.clone();
            async move {
                crate::rpc::unary("ImportCases", || {
                    let request = pb::ImportCasesRequest {
                        cases: cases.clone(),
                    };
                    let mut client = client.clone();
                    async move { client.import_cases(request).await }
                })
                .await
            }
        })
        .buffered(options.parallel);
    while let Some(answer) = answers.next().await {
        for result in answer?.results {
            bar.inc(1);
            tally(&mut summary, result);
        }
    }
    bar.finish_and_clear();
    summary.refused.sort_by_key(|r| r.line);
    summary.seconds = started.elapsed().as_secs_f64();
    summary.rows_per_second = summary.rows as f64 / summary.seconds.max(1e-9);
    Ok(summary)
}

/// The file's rows from `from_line` on, with the lines the client already refuses.
fn read(path: &Path, from_line: u64) -> anyhow::Result<(Vec<pb::PastCase>, Summary)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut records = reader.records();
    let header = match records.next() {
        Some(first) => Header::new(&first.context("line 1")?)?,
        None => anyhow::bail!("{} is empty: it needs a header row", path.display()),
    };
    let mut rows = Vec::new();
    let mut summary = Summary::default();
    for record in records {
        let record = record.with_context(|| format!("{} is not valid CSV", path.display()))?;
        let line = record.position().map_or(0, csv::Position::line);
        if line < from_line {
            continue;
        }
        summary.rows += 1;
        match row::past_case(&record, &header, line) {
            Ok(row) => rows.push(row),
            Err(violations) => summary.refused.push(Refusal {
                line,
                source_reference: record.get(0).unwrap_or_default().to_owned(),
                reason: "CSV".into(),
                violations,
            }),
        }
    }
    Ok((rows, summary))
}

/// Counts one server result.
fn tally(summary: &mut Summary, result: pb::ImportCaseResult) {
    match result.result() {
        pb::ImportResult::Imported => summary.imported += 1,
        pb::ImportResult::AlreadyPresent => summary.already_present += 1,
        pb::ImportResult::Refused | pb::ImportResult::Unspecified => {
            let mut violations: Vec<CsvViolation> = result
                .field_violations
                .into_iter()
                .map(|v| CsvViolation {
                    field: v.field,
                    description: v.description,
                })
                .collect();
            if violations.is_empty() {
                violations.push(CsvViolation {
                    field: String::new(),
                    description: result.message,
                });
            }
            summary.refused.push(Refusal {
                line: u64::try_from(result.source_line).unwrap_or_default(),
                source_reference: result.source_reference,
                reason: result.reason,
                violations,
            });
        }
    }
}

/// A bar on stderr when asked for and stderr is a terminal; hidden otherwise.
fn progress_bar(total: u64, show: bool) -> ProgressBar {
    if !show || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let template =
        "importing [{elapsed_precise}] {wide_bar} {pos}/{len} rows ({per_sec}, eta {eta})";
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

/// The summary for people: the counts, then one line per refused row and field.
fn print_summary(summary: &Summary, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "{} rows in {:.1} s ({:.0} rows/s): {} imported, {} already present, {} refused",
        summary.rows,
        summary.seconds,
        summary.rows_per_second,
        summary.imported,
        summary.already_present,
        summary.refused.len()
    )?;
    for refusal in &summary.refused {
        for v in &refusal.violations {
            writeln!(
                out,
                "  line {}: {} {}: {}",
                refusal.line, refusal.reason, v.field, v.description
            )?;
        }
    }
    Ok(())
}
