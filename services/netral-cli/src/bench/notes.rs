//! `netral bench notes`: does a case that already holds many notes still take a step as fast
//! as a fresh one? (Issue 8: "a case holding 200 notes takes AddNote within 1.5× the p99 of a
//! fresh case".)
//!
//! 1. start the server on a fresh database;
//! 2. **seed**: each client registers its own *heavy* case and adds `--seed-notes` notes of
//!    `--seed-note-chars` characters to it (by default 200 notes of 4,000: the longest note the
//!    contract allows, 800 kB of text, most of the case's 1 MiB text limit);
//! 3. **measure**: each client then alternates, `--samples` times, between
//!    - *fresh*: register a new case (not timed) and add one note to it (timed), and
//!    - *heavy*: add one note to its heavy case (timed),
//!
//!    so both kinds of AddNote are measured under the same load at the same moments;
//! 4. check every heavy case holds exactly the notes sent, stop the server, print (and
//!    `--json`) both latency distributions and the ratio of their p99s.
//!
//! Any refused or failed call ends the run with its error: a run with failures measures
//! nothing.
//!
//! A step reads the case's row and writes only what it appends (issue 8's child tables), so
//! the ratio should stay near 1 however many notes a case holds; a store that rewrote the
//! whole case per step grows with the notes.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use netral_proto::v1 as pb;
use netral_proto::v1::case_service_client::CaseServiceClient;
use serde::Serialize;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tonic::transport::Channel;

use super::database::{DatabaseChoice, FreshDatabase};
use super::drive::percentile_ms;
use super::grpc::{self, Connections};
use super::procfs;
use super::server::{Server, ServerChoice};

/// Arguments of `netral bench notes`.
#[derive(Debug, Clone, Args)]
pub struct NotesArgs {
    /// Concurrent clients; each owns one heavy case.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub clients: u32,
    /// Notes put on each heavy case before measuring.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=400))]
    pub seed_notes: u32,
    /// Characters of each seeded note (ASCII; the contract allows 4,000).
    #[arg(long, default_value_t = 4000, value_parser = clap::value_parser!(u32).range(1..=4000))]
    pub seed_note_chars: u32,
    /// AddNote calls each client times on its heavy case, and as many on fresh cases.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub samples: u32,
    /// `sqlite`, `postgres` (postgres://postgres@127.0.0.1:5432/postgres) or a postgres://
    /// admin URL.
    #[arg(long, default_value = "sqlite", value_name = "sqlite|postgres|URL")]
    pub database: DatabaseChoice,
    /// Serve from a task of this process instead of spawning `netral-server`.
    #[arg(long, conflicts_with = "server_bin")]
    pub in_process: bool,
    /// The `netral-server` binary to spawn [default: the one next to `netral`].
    #[arg(long, value_name = "PATH")]
    pub server_bin: Option<PathBuf>,
    /// Also write the report as one flat JSON object to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// Characters of each note added while measuring: small, so that the samples never push a
/// heavy case over its text limit.
const SAMPLE_NOTE_CHARS: usize = 200;

/// What `netral bench notes` measured (written flat as `--json`).
#[derive(Debug, Serialize)]
pub struct NotesReport {
    /// `sqlite` or `postgres`.
    pub database: &'static str,
    /// `spawned` or `in-process`.
    pub server: &'static str,
    /// Concurrent clients (and heavy cases).
    pub clients: u32,
    /// Notes each heavy case held when measuring began.
    pub seed_notes: u32,
    /// Bytes of note text each heavy case held when measuring began.
    pub heavy_case_text_bytes: u64,
    /// AddNote calls timed on fresh cases (and as many on heavy ones).
    pub samples: u64,
    /// AddNote on a case just registered.
    pub fresh_add_note_p50_ms: f64,
    /// ″
    pub fresh_add_note_p99_ms: f64,
    /// AddNote on a case holding `seed_notes` notes (and up to `samples / clients` more).
    pub heavy_add_note_p50_ms: f64,
    /// ″
    pub heavy_add_note_p99_ms: f64,
    /// Heavy p99 / fresh p99 (issue 8's target: at most 1.5).
    pub ratio_heavy_vs_fresh_p99: f64,
    /// Seconds the seeding took.
    pub seed_s: f64,
    /// Server CPU (user + system) per call during the measurement: each sample is three calls
    /// (a fresh case's registration and AddNote, the heavy case's AddNote); `None` when the
    /// server is in-process.
    pub server_cpu_ms_per_call: Option<f64>,
}

/// One client's timings, in microseconds.
#[derive(Debug, Default)]
struct Timings {
    /// AddNote on fresh cases.
    fresh_us: Vec<u32>,
    /// AddNote on the heavy case.
    heavy_us: Vec<u32>,
}

/// Runs the bench, prints its table to `out`, writes `--json`, and returns the report.
pub async fn run(args: &NotesArgs, out: &mut dyn Write) -> anyhow::Result<NotesReport> {
    let limits = netral_domain::case::CaseLimits::default();
    anyhow::ensure!(
        args.seed_notes + args.samples <= limits.max_notes,
        "--seed-notes + --samples = {} notes, more than a case may hold ({})",
        args.seed_notes + args.samples,
        limits.max_notes
    );
    let text = u64::from(args.seed_notes) * u64::from(args.seed_note_chars)
        + u64::from(args.samples) * SAMPLE_NOTE_CHARS as u64;
    anyhow::ensure!(
        text <= limits.max_text_bytes,
        "--seed-notes × --seed-note-chars + --samples × {SAMPLE_NOTE_CHARS} = {text} bytes of \
         text, more than a case may hold ({})",
        limits.max_text_bytes
    );
    let choice = if args.in_process {
        ServerChoice::InProcess
    } else {
        ServerChoice::Spawn {
            bin: args.server_bin.clone(),
        }
    };
    let database = FreshDatabase::create(&args.database, "notes").await?;
    let measured = measure(&choice, database.url(), args).await;
    let removed = database.remove().await;
    let report = measured?;
    removed.context("cannot remove the bench's database")?;
    print_table(&report, out)?;
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, json).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(report)
}

/// Starts the server, seeds, measures and stops it.
async fn measure(
    choice: &ServerChoice,
    url: &str,
    args: &NotesArgs,
) -> anyhow::Result<NotesReport> {
    let server = Server::start(choice, url).await?;
    let result = measure_on(&server, choice, args).await;
    let stopped = server.stop().await;
    let report = result?;
    stopped?;
    Ok(report)
}

async fn measure_on(
    server: &Server,
    choice: &ServerChoice,
    args: &NotesArgs,
) -> anyhow::Result<NotesReport> {
    let clients = args.clients as usize;
    let channels = grpc::channels(
        &server.endpoint,
        &server.pki_dir,
        clients,
        Connections::PerClient,
    )
    .await?;
    let run_tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let seed_note = "catatan pengawasan ".repeat(args.seed_note_chars as usize / 19 + 1)
        [..args.seed_note_chars as usize]
        .to_owned();

    let seeding = Instant::now();
    let mut seeded = JoinSet::new();
    for (client, channels) in channels.iter().enumerate() {
        let mut api = CaseServiceClient::new(channels.bawaslu());
        let (tag, note, notes) = (run_tag.clone(), seed_note.clone(), args.seed_notes);
        seeded.spawn(async move {
            let mut case = register(&mut api, &tag, client).await?;
            for _ in 0..notes {
                case = add_note(&mut api, &case, &note).await?;
            }
            Ok::<_, anyhow::Error>((client, api, case))
        });
    }
    let mut heavy = Vec::with_capacity(clients);
    while let Some(joined) = seeded.join_next().await {
        heavy.push(joined.context("a seeding client panicked")??);
    }
    let seed_s = seeding.elapsed().as_secs_f64();

    let cpu_before = server.pid.and_then(procfs::cpu_seconds);
    let mut measuring = JoinSet::new();
    for (client, mut api, mut case) in heavy {
        let (tag, samples) = (run_tag.clone(), args.samples as usize);
        let first_fresh = clients + client * samples;
        measuring.spawn(async move {
            let note = "x".repeat(SAMPLE_NOTE_CHARS);
            let mut timings = Timings::default();
            for sample in 0..samples {
                let fresh = register(&mut api, &tag, first_fresh + sample).await?;
                let started = Instant::now();
                add_note(&mut api, &fresh, &note).await?;
                timings.fresh_us.push(micros(started.elapsed()));
                let started = Instant::now();
                case = add_note(&mut api, &case, &note).await?;
                timings.heavy_us.push(micros(started.elapsed()));
            }
            Ok::<_, anyhow::Error>((timings, case))
        });
    }
    let mut all = Timings::default();
    let expected_notes = i64::from(args.seed_notes + args.samples);
    while let Some(joined) = measuring.join_next().await {
        let (timings, case) = joined.context("a measuring client panicked")??;
        if i64::from(case.note_count) != expected_notes {
            bail!(
                "{} holds {} notes, not the {expected_notes} sent",
                case.name,
                case.note_count
            );
        }
        all.fresh_us.extend(timings.fresh_us);
        all.heavy_us.extend(timings.heavy_us);
    }
    let cpu_after = server.pid.and_then(procfs::cpu_seconds);
    all.fresh_us.sort_unstable();
    all.heavy_us.sort_unstable();
    let samples = all.fresh_us.len() as u64;
    let fresh_p99 = percentile_ms(&all.fresh_us, 99.0);
    let heavy_p99 = percentile_ms(&all.heavy_us, 99.0);
    Ok(NotesReport {
        database: args.database.kind(),
        server: choice.kind(),
        clients: args.clients,
        seed_notes: args.seed_notes,
        heavy_case_text_bytes: u64::from(args.seed_notes) * u64::from(args.seed_note_chars),
        samples,
        fresh_add_note_p50_ms: percentile_ms(&all.fresh_us, 50.0),
        fresh_add_note_p99_ms: fresh_p99,
        heavy_add_note_p50_ms: percentile_ms(&all.heavy_us, 50.0),
        heavy_add_note_p99_ms: heavy_p99,
        ratio_heavy_vs_fresh_p99: if fresh_p99 > 0.0 {
            heavy_p99 / fresh_p99
        } else {
            0.0
        },
        seed_s,
        server_cpu_ms_per_call: cpu_before
            .zip(cpu_after)
            .map(|(before, after)| (after - before) * 1e3 / (3 * samples).max(1) as f64),
    })
}

/// Registers case `index` of this run as Bawaslu Kotabaru.
async fn register(
    api: &mut CaseServiceClient<Channel>,
    run_tag: &str,
    index: usize,
) -> anyhow::Result<pb::Case> {
    let request = grpc::register_request(&format!("NOTES-{run_tag}"), index);
    let reply = api
        .register_case(request)
        .await
        .context("RegisterCase failed")?;
    reply
        .into_inner()
        .r#case
        .context("RegisterCase answered without the case")
}

/// Adds `text` to `case` with its current etag; returns the case the reply carries.
async fn add_note(
    api: &mut CaseServiceClient<Channel>,
    case: &pb::Case,
    text: &str,
) -> anyhow::Result<pb::Case> {
    let request = pb::AddNoteRequest {
        name: case.name.clone(),
        etag: case.etag.clone(),
        request_id: uuid::Uuid::new_v4().to_string(),
        text: text.to_owned(),
    };
    let reply = api.add_note(request).await.context("AddNote failed")?;
    let updated = reply
        .into_inner()
        .r#case
        .context("AddNote answered without the case")?;
    if updated.note_count != case.note_count + 1 {
        bail!(
            "AddNote left {} with {} notes, not {}",
            updated.name,
            updated.note_count,
            case.note_count + 1
        );
    }
    Ok(updated)
}

fn micros(elapsed: Duration) -> u32 {
    u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX)
}

fn print_table(report: &NotesReport, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "netral bench notes on {} ({} server): {} clients, heavy cases of {} notes ({} kB of text), {} samples of each kind",
        report.database,
        report.server,
        report.clients,
        report.seed_notes,
        report.heavy_case_text_bytes / 1000,
        report.samples
    )?;
    writeln!(out, "seeded in          {:>8.1} s", report.seed_s)?;
    writeln!(out, "{:<18} {:>9} {:>9}", "AddNote on", "p50 ms", "p99 ms")?;
    writeln!(
        out,
        "{:<18} {:>9.2} {:>9.2}",
        "a fresh case", report.fresh_add_note_p50_ms, report.fresh_add_note_p99_ms
    )?;
    writeln!(
        out,
        "{:<18} {:>9.2} {:>9.2}",
        format!("{} notes", report.seed_notes),
        report.heavy_add_note_p50_ms,
        report.heavy_add_note_p99_ms
    )?;
    writeln!(
        out,
        "ratio heavy / fresh p99 = {:.2} (target ≤ 1.5)",
        report.ratio_heavy_vs_fresh_p99
    )?;
    if let Some(cpu) = report.server_cpu_ms_per_call {
        writeln!(
            out,
            "server CPU per call while measuring (registrations and both AddNotes) {cpu:.2} ms"
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Tiny runs on an in-process server: every call acknowledged, the heavy cases hold what
    //! was sent (checked by the run itself), the report complete. Nothing about speed.

    use super::*;

    async fn tiny(database: DatabaseChoice) -> NotesReport {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("notes.json");
        let args = NotesArgs {
            clients: 2,
            seed_notes: 3,
            seed_note_chars: 50,
            samples: 2,
            database,
            in_process: true,
            server_bin: None,
            json: Some(json.clone()),
        };
        let mut out = Vec::new();
        let report = run(&args, &mut out).await.unwrap();
        let table = String::from_utf8(out).unwrap();
        assert!(table.contains("ratio heavy / fresh p99 = "), "{table}");
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        for key in [
            "fresh_add_note_p99_ms",
            "heavy_add_note_p99_ms",
            "ratio_heavy_vs_fresh_p99",
        ] {
            assert!(value[key].as_f64().unwrap() > 0.0, "{key}: {value}");
        }
        assert_eq!(value["samples"], 4);
        report
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn heavy_and_fresh_cases_take_notes_on_sqlite() {
        let report = tiny(DatabaseChoice::Sqlite).await;
        assert_eq!((report.samples, report.seed_notes), (4, 3));
        assert_eq!(report.heavy_case_text_bytes, 150);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn heavy_and_fresh_cases_take_notes_on_postgres_when_configured() {
        let test = "heavy_and_fresh_cases_take_notes_on_postgres_when_configured";
        let Some(admin_url) = netral_store::testing::postgres_or_skip(test) else {
            return;
        };
        let report = tiny(DatabaseChoice::Postgres { admin_url }).await;
        assert_eq!(report.samples, 4);
    }

    #[tokio::test]
    async fn notes_beyond_a_case_s_limits_are_refused_before_starting() {
        let args = NotesArgs {
            clients: 1,
            seed_notes: 300,
            seed_note_chars: 4000,
            samples: 1,
            database: DatabaseChoice::Sqlite,
            in_process: true,
            server_bin: None,
            json: None,
        };
        let err = run(&args, &mut Vec::new()).await.err().unwrap();
        assert!(err.to_string().contains("bytes of text"), "{err}");

        let too_many = NotesArgs {
            seed_notes: 400,
            seed_note_chars: 1,
            samples: 101,
            ..args
        };
        let err = run(&too_many, &mut Vec::new()).await.err().unwrap();
        assert!(err.to_string().contains("501 notes"), "{err}");
    }
}
