//! `netral bench audit`: the audit log at scale (issue 9's targets), in one run:
//!
//! 1. the server starts once on the chosen database (migrations, dev PKI, the log's keys in
//!    `--data-dir`) and stops;
//! 2. unless the database already holds a signed log of at least `--events` events, the
//!    synthetic log is written straight into it ([`super::audit_seed`]): events already
//!    sequenced, subtrees, head and a checkpoint signed with the server's key;
//! 3. the server starts again on it; once its startup self-check is over, `GetCheckpoint(0)`
//!    must answer the seeded size and root;
//! 4. **(a)** `GetCaseHistory` and **(b)** a filtered `ListAuditEvents` page against the
//!    same rows by raw SQL, alternately ([`super::audit_measure`]): p50, p99 and
//!    p99(gRPC)/p99(SQL), target ≤ 2;
//! 5. **(c)** the whole log exported through `ExportAuditLog`, then verified offline
//!    in-process against `sha256sum` of the same file ([`super::audit_verify`]): MB/s and
//!    their ratio, target ≥ 0.5.
//!
//! `--verify-only FILE` runs (c) alone on an existing export. The seeded database (SQLite
//! file, or the name of the PostgreSQL database in `<data-dir>/postgres-url`) and the keys
//! stay in `--data-dir` for the next run; without it everything lives in a temporary
//! directory (and a PostgreSQL database) removed at the end.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use netral_audit::LogSigner;
use netral_proto::v1::GetCheckpointRequest;

use super::audit_measure::{self, Reads};
use super::audit_progress::Progress;
use super::audit_report::AuditReport;
use super::audit_seed;
use super::audit_server::{AuditServer, Launch};
use super::audit_synth::{Rng, Synth};
use super::audit_verify;
use super::database::{DatabaseChoice, FreshDatabase};
use crate::connect::{ConnectArgs, PkiDir, read_verifier_key};

/// How long the restarted server may stay busy with its startup self-check.
const IDLE_LIMIT: Duration = Duration::from_secs(3_600);

/// Arguments of `netral bench audit`.
#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// Events in the log (seeded unless the database already holds at least as many).
    #[arg(long, default_value_t = 10_000_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub events: u64,
    /// `sqlite`, `postgres` (postgres://postgres@127.0.0.1:5432/postgres) or a postgres://
    /// admin URL (a database `netral_bench_audit_<uuid>` is created through it).
    #[arg(long, default_value = "sqlite", value_name = "sqlite|postgres|URL")]
    pub database: DatabaseChoice,
    /// The `netral-server` binary [default: the one next to `netral`].
    #[arg(long, value_name = "PATH")]
    pub server_bin: Option<PathBuf>,
    /// Serve from a task of this process instead of spawning `netral-server`.
    #[arg(long, conflicts_with = "server_bin")]
    pub in_process: bool,
    /// Keep the server's data (dev PKI, audit keys, SQLite file or the PostgreSQL database's
    /// URL) here and reuse a seeded log from an earlier run [default: a temporary directory,
    /// removed afterwards, with its PostgreSQL database].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Pairs (gRPC call + SQL query) measured in (a) and in (b) each.
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub calls: u64,
    /// Pairs measured in (b) [default: --calls]. (b)'s query gets slower as the log grows
    /// (see docs/PERFORMANCE.md), so a large log may need fewer.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub page_calls: Option<u64>,
    /// Stop (a) or (b) after this many seconds even if fewer pairs were measured.
    #[arg(long, default_value_t = 1_800, value_name = "SECS")]
    pub phase_timeout: u64,
    /// Timed verifications (and `sha256sum` runs) in (c); the median is reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub verify_runs: u32,
    /// Where (c) writes the export [default: `<data-dir>/audit-export-<database>.bin`].
    #[arg(long, value_name = "FILE")]
    pub export: Option<PathBuf>,
    /// Keep the export file after (c) (it is deleted by default: it is as large as the log).
    #[arg(long)]
    pub keep_export: bool,
    /// Skip (c).
    #[arg(long, conflicts_with = "verify_only")]
    pub no_verify: bool,
    /// Run only (c) on this existing export (needs --key, or --data-dir holding
    /// `pki/audit-log.pub`).
    #[arg(long, value_name = "FILE")]
    pub verify_only: Option<PathBuf>,
    /// The log's verifier key for --verify-only [default: <data-dir>/pki/audit-log.pub].
    #[arg(long, value_name = "FILE", requires = "verify_only")]
    pub key: Option<PathBuf>,
    /// Seed of the random choice of cases and days measured.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Also write the report as one flat JSON object to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Never show progress (bars on a terminal, lines otherwise).
    #[arg(long)]
    pub no_progress: bool,
}

/// Runs the bench, prints the table to `out`, writes `--json`, and returns the report.
pub async fn run(args: &AuditArgs, out: &mut dyn Write) -> anyhow::Result<AuditReport> {
    let mut report = AuditReport {
        mode: "audit".into(),
        load_avg_start: load_average(),
        ..AuditReport::default()
    };
    if let Some(file) = &args.verify_only {
        let key_path = match (&args.key, &args.data_dir) {
            (Some(key), _) => key.clone(),
            (None, Some(dir)) => dir.join("pki").join("audit-log.pub"),
            (None, None) => bail!("--verify-only needs --key FILE or --data-dir DIR"),
        };
        let key = read_verifier_key(&key_path)?;
        let times = audit_verify::time_verification(file, &key, args.verify_runs).await?;
        report.export_source = "file".into();
        report.events = times.events;
        report.set_verify(&times);
    } else {
        let (data_dir, _temp) = data_dir(args)?;
        let (url, fresh) = database_url(args, &data_dir).await?;
        // On Ctrl-C the work is dropped (a spawned server is killed with it) and the
        // temporary database still removed.
        let measured = tokio::select! {
            measured = measure(args, &data_dir, &url, &mut report) => measured,
            _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
        };
        let removed = match fresh {
            Some(db) => db.remove().await,
            None => Ok(()),
        };
        measured?;
        removed.context("cannot remove the bench's PostgreSQL database")?;
    }
    report.load_avg_end = load_average();
    report.print_table(out)?;
    if let Some(path) = &args.json {
        report.write_json(path)?;
    }
    Ok(report)
}

/// The data directory (absolute) and, when it is temporary, its guard.
fn data_dir(args: &AuditArgs) -> anyhow::Result<(PathBuf, Option<tempfile::TempDir>)> {
    match &args.data_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            Ok((std::fs::canonicalize(dir)?, None))
        }
        None => {
            let temp = tempfile::Builder::new()
                .prefix("netral-bench-audit-")
                .tempdir()
                .context("cannot create a temporary data directory")?;
            Ok((temp.path().to_owned(), Some(temp)))
        }
    }
}

/// The database's URL and, when this run created a PostgreSQL database that must not
/// outlive it (no `--data-dir`), that database.
async fn database_url(
    args: &AuditArgs,
    dir: &Path,
) -> anyhow::Result<(String, Option<FreshDatabase>)> {
    match &args.database {
        DatabaseChoice::Sqlite => {
            let path = dir.join(netral_store::SQLITE_FILE_NAME);
            let path = path.to_str().context("the data directory is not UTF-8")?;
            Ok((format!("sqlite://{path}?mode=rwc"), None))
        }
        choice @ DatabaseChoice::Postgres { .. } => {
            let file = dir.join("postgres-url");
            if args.data_dir.is_some()
                && let Ok(url) = std::fs::read_to_string(&file)
            {
                return Ok((url.trim().to_owned(), None));
            }
            let db = FreshDatabase::create(choice, "audit").await?;
            let url = db.url().to_owned();
            if args.data_dir.is_some() {
                std::fs::write(&file, format!("{url}\n"))
                    .with_context(|| format!("cannot write {}", file.display()))?;
                return Ok((url, None));
            }
            Ok((url, Some(db)))
        }
    }
}

/// Steps 1 to 5 on the database at `url`.
async fn measure(
    args: &AuditArgs,
    dir: &Path,
    url: &str,
    report: &mut AuditReport,
) -> anyhow::Result<()> {
    let show = !args.no_progress;
    let launch = match (&args.server_bin, args.in_process) {
        (_, true) => Launch::InProcess,
        (Some(bin), false) => Launch::Spawn(bin.clone()),
        (None, false) => Launch::Spawn(super::audit_server::default_binary()?),
    };
    report.database = args.database.kind().into();
    report.server = match launch {
        Launch::Spawn(_) => "spawned",
        Launch::InProcess => "in-process",
    }
    .into();
    let key_file = dir.join("audit").join("audit-log.key");
    if !key_file.exists() || !audit_seed::migrated(url).await {
        eprintln!("starting the server once to migrate the database and create its keys…");
        AuditServer::start(&launch, dir, url).await?.stop().await?;
    }
    let key = std::fs::read_to_string(&key_file)
        .with_context(|| format!("cannot read the log's signing key {}", key_file.display()))?;
    let signer =
        LogSigner::new(&key).map_err(|e| anyhow::anyhow!("{}: {e}", key_file.display()))?;

    let db = audit_seed::connect(url).await?;
    let synth = match audit_seed::seeded_size(&db, &signer.key_id()).await? {
        Some(size) if size >= args.events => {
            eprintln!("reusing the signed log of {size} events in the database");
            Synth::new(size)
        }
        _ => {
            let synth = Synth::new(args.events);
            let progress = Progress::new("seeding", "events", synth.events, show);
            let seeded = audit_seed::seed(&db, &synth, &signer, &progress).await?;
            progress.finish();
            let secs = seeded.elapsed.as_secs_f64();
            report.seeded = true;
            report.seed_s = Some(secs);
            report.seed_events_per_s = Some(synth.events as f64 / secs.max(1e-9));
            eprintln!("seeded {} events in {secs:.1} s", synth.events);
            synth
        }
    };
    db.close().await?;
    report.events = synth.events;
    report.cases = synth.cases;
    report.database_mb = audit_seed::database_mb(url, dir).await;

    let server = AuditServer::start(&launch, dir, url).await?;
    let served = serve(args, &server, &synth, url, dir, report).await;
    let stopped = server.stop().await;
    let export = served?;
    stopped?;
    if let Some(file) = export {
        let key = read_verifier_key(&dir.join("pki").join("audit-log.pub"))?;
        let times = audit_verify::time_verification(&file, &key, args.verify_runs).await;
        if !args.keep_export {
            let _ = std::fs::remove_file(&file);
            let _ = std::fs::remove_file(crate::audit::export::with_suffix(&file, ".checkpoint"));
        }
        report.set_verify(&times?);
    }
    Ok(())
}

/// Steps 3 to 5a against the running server; the export file, unless `--no-verify`.
async fn serve(
    args: &AuditArgs,
    server: &AuditServer,
    synth: &Synth,
    url: &str,
    dir: &Path,
    report: &mut AuditReport,
) -> anyhow::Result<Option<PathBuf>> {
    let show = !args.no_progress;
    eprintln!("waiting for the server's startup self-check of the log to finish…");
    report.startup_busy_s = Some(server.wait_idle(IDLE_LIMIT).await?.as_secs_f64());
    let connect = ConnectArgs {
        endpoint: server.endpoint.clone(),
        pki: PkiDir {
            pki: server.pki_dir.clone(),
        },
        agency: Some(super::audit_server::AUDITOR.parse()?),
        ca: None,
        cert: None,
        cert_key: None,
        server_name: netral_server::tls::DEV_SERVER_NAME.to_owned(),
    };
    let mut client = connect.client().await?;
    let checkpoint = client
        .get_checkpoint(GetCheckpointRequest { tree_size: 0 })
        .await
        .context("GetCheckpoint(0) failed")?
        .into_inner()
        .checkpoint
        .context("GetCheckpoint(0) answered no checkpoint")?;
    let db = audit_seed::connect(url).await?;
    audit_seed::wait_for_autovacuum(&db, IDLE_LIMIT).await?;
    let root = audit_seed::head_root(&db).await?;
    report.checkpoint_accepted =
        checkpoint.tree_size == synth.events as i64 && checkpoint.root_hash == hex::encode(&root);
    if !report.checkpoint_accepted {
        bail!(
            "the server's latest checkpoint ({} events, root {}) is not the seeded log's ({} \
             events, root {})",
            checkpoint.tree_size,
            checkpoint.root_hash,
            synth.events,
            hex::encode(&root)
        );
    }
    (report.history_sql_plan, report.page_sql_plan) = audit_measure::plans(&db, synth).await?;
    let mut reads = Reads {
        client,
        db: &db,
        synth,
    };
    let limit = Duration::from_secs(args.phase_timeout);
    let mut rng = Rng::new(args.seed);
    let history = reads.histories(args.calls, limit, &mut rng, show).await;
    report.set_history(&history);
    let page_calls = args.page_calls.unwrap_or(args.calls);
    let pages = reads.pages(page_calls, limit, &mut rng, show).await;
    report.set_page(&pages);
    db.close().await?;
    if args.no_verify {
        return Ok(None);
    }
    let file = args
        .export
        .clone()
        .unwrap_or_else(|| dir.join(format!("audit-export-{}.bin", args.database.kind())));
    let exported =
        audit_verify::export(&server.endpoint, &server.pki_dir, &file, synth.events, show).await?;
    if exported.events != synth.events {
        bail!(
            "the export holds {} events, not {}",
            exported.events,
            synth.events
        );
    }
    report.export_source = "server".into();
    report.export_s = Some(exported.elapsed.as_secs_f64());
    Ok(Some(exported.file))
}

/// The 1-minute load average from `/proc/loadavg`, where there is one.
fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}
