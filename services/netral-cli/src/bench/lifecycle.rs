//! `netral bench lifecycle`: N cases from registration to RECORDED, each step sent by the
//! agency that may take it, by `--clients` concurrent workers — and, in the same run and with
//! the same concurrency and number of calls, the two bounds it is compared with:
//!
//! 1. start the server (fresh database) and read its idle RSS;
//! 2. **(a)** health checks over the very channels the lifecycle then uses: gRPC, TLS and
//!    HTTP/2 with nothing behind them;
//! 3. the **lifecycle** itself, sampling the server's RSS;
//! 4. stop the server and drop its database;
//! 5. **(b)** the same transitions straight through the server's write path (`Exchange`) on
//!    another fresh database of the same kind: the persistence floor;
//! 6. **(c)** the same transitions as bare prepared SQL statements, one transaction per step,
//!    on a third fresh database: the floor of the rows alone;
//! 7. print the table (and write `--json FILE`): transitions/s, p50/p95/p99 per RPC, the
//!    ratios service/(a), service/(b) and service/(c), RSS idle and peak, the load average.

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;

use super::database::{DatabaseChoice, FreshDatabase};
use super::drive::{self, Phase, Plan, Rate};
use super::floor::Floor;
use super::grpc::{self, Connections, HealthRunner, LifecycleRunner};
use super::procfs::{self, PeakSampler};
use super::report::{Measured, Report};
use super::server::{Server, ServerChoice};
use super::sql_floor::SqlFloor;

/// How long the server is left alone after it answers before its idle RSS is read.
const SETTLE: Duration = Duration::from_secs(1);

/// Arguments of `netral bench lifecycle`.
#[derive(Debug, Clone, Args)]
pub struct LifecycleArgs {
    /// Concurrent clients; each drives whole cases, one step after another.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub clients: u32,
    /// Cases to take from registration to RECORDED (six transitions each).
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub cases: u32,
    /// `sqlite`, `postgres` (postgres://postgres@127.0.0.1:5432/postgres) or a postgres://
    /// admin URL. The server and the floor each get a fresh database, dropped afterwards.
    #[arg(long, default_value = "sqlite", value_name = "sqlite|postgres|URL")]
    pub database: DatabaseChoice,
    /// Load a server that is already running at this https:// endpoint (needs --pki).
    #[arg(long, value_name = "URL", requires = "pki")]
    pub endpoint: Option<String>,
    /// The dev PKI directory of the --endpoint server (`ca.pem`, `agencies/<id>.{pem,key}`).
    #[arg(long, value_name = "DIR", requires = "endpoint")]
    pub pki: Option<PathBuf>,
    /// Allow an --endpoint that is not a loopback address.
    #[arg(long, requires = "endpoint")]
    pub allow_remote: bool,
    /// Serve from a task of this process instead of spawning `netral-server` (RSS is then the
    /// whole bench process's).
    #[arg(long, conflicts_with_all = ["endpoint", "server_bin"])]
    pub in_process: bool,
    /// The `netral-server` binary to spawn [default: the one next to `netral`, built first by
    /// cargo when `netral` runs from a cargo target directory].
    #[arg(long, value_name = "PATH", conflicts_with = "endpoint")]
    pub server_bin: Option<PathBuf>,
    /// Whether each client has its own connection per agency, or all share one per agency.
    #[arg(long, value_enum, default_value_t = Connections::PerClient)]
    pub connections: Connections,
    /// Start this many cases per second in every phase (an offered load below saturation, for
    /// the latency an agency sees) instead of each client starting its next case at once.
    #[arg(long, value_name = "CASES_PER_S")]
    pub rate: Option<Rate>,
    /// Stop sending new cases after this many seconds in any one phase.
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    pub timeout: u64,
    /// Also write the report as one flat JSON object to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Never draw progress bars (they are drawn only when stderr is a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
}

/// The plan every phase of this run follows: same cases, same limit, same pacing.
fn plan(args: &LifecycleArgs) -> Plan {
    Plan {
        cases: args.cases as usize,
        limit: Duration::from_secs(args.timeout),
        rate: args.rate,
        show_progress: !args.no_progress,
    }
}

/// What the phases against the server measured.
struct Service {
    /// Ceiling (a).
    health: Phase,
    /// The lifecycle.
    lifecycle: Phase,
    /// Server `VmRSS` before load, KiB.
    idle_rss_kib: Option<u64>,
    /// Server peak RSS under load, KiB.
    peak_rss_kib: Option<u64>,
    /// CPU seconds used during (a) and the lifecycle.
    cpu: ServiceCpu,
}

/// CPU seconds (user + system) the processes used during the phases against the server.
#[derive(Debug, Default, Clone, Copy)]
pub struct ServiceCpu {
    /// The server during (a).
    pub server_health_s: Option<f64>,
    /// The server during the lifecycle.
    pub server_lifecycle_s: Option<f64>,
    /// This process (the clients) during the lifecycle.
    pub client_lifecycle_s: Option<f64>,
}

/// Runs the bench, prints the table to `out`, writes `--json`, and returns the report.
pub async fn run(args: &LifecycleArgs, out: &mut dyn Write) -> anyhow::Result<Report> {
    let choice = server_choice(args)?;
    let load_avg_start = load_average();
    let run_tag: Arc<str> = uuid::Uuid::new_v4().simple().to_string()[..8].into();

    let server_db = match choice {
        ServerChoice::External { .. } => None,
        _ => Some(FreshDatabase::create(&args.database, "server").await?),
    };
    let url = server_db
        .as_ref()
        .map(|db| db.url().to_owned())
        .unwrap_or_default();
    let service = interruptible(measure_service(&choice, &url, args, Arc::clone(&run_tag))).await;
    let removed = match server_db {
        Some(db) => db.remove().await,
        None => Ok(()),
    };
    let service = service?;
    removed.context("cannot remove the server's database")?;

    let floor_db = FreshDatabase::create(&args.database, "floor").await?;
    let floor = interruptible(measure_floor(floor_db.url(), args, Arc::clone(&run_tag))).await;
    let removed = floor_db.remove().await;
    let (floor, floor_cpu_s) = floor?;
    removed.context("cannot remove the floor's database")?;

    let sql_db = FreshDatabase::create(&args.database, "sqlfloor").await?;
    let sql_floor = interruptible(measure_sql_floor(sql_db.url(), args, run_tag)).await;
    let removed = sql_db.remove().await;
    let (sql_floor, sql_floor_cpu_s) = sql_floor?;
    removed.context("cannot remove floor (c)'s database")?;

    let mut settings = Report::settings(
        "lifecycle",
        args.database.kind(),
        choice.kind(),
        args.connections.as_str(),
    );
    settings.clients = args.clients;
    settings.cases = args.cases;
    settings.rate_cases_per_s = args.rate.map(Rate::per_second);
    settings.load_avg_start = load_avg_start;
    settings.load_avg_end = load_average();
    let report = Report::from_measured(&Measured {
        settings,
        lifecycle: service.lifecycle,
        health: service.health,
        floor,
        idle_rss_kib: service.idle_rss_kib,
        peak_rss_kib: service.peak_rss_kib,
        cpu: service.cpu,
        floor_cpu_s,
        sql_floor,
        sql_floor_cpu_s,
    });
    report.print_table(out)?;
    if let Some(path) = &args.json {
        report.write_json(path)?;
    }
    Ok(report)
}

/// Which server the flags ask for.
fn server_choice(args: &LifecycleArgs) -> anyhow::Result<ServerChoice> {
    match (&args.endpoint, &args.pki) {
        (Some(endpoint), Some(pki_dir)) => {
            if !args.allow_remote && !is_loopback(endpoint)? {
                bail!("{endpoint} is not a loopback address; pass --allow-remote to load it");
            }
            Ok(ServerChoice::External {
                endpoint: endpoint.clone(),
                pki_dir: pki_dir.clone(),
            })
        }
        (None, None) if args.in_process => Ok(ServerChoice::InProcess),
        (None, None) => Ok(ServerChoice::Spawn {
            bin: args.server_bin.clone(),
        }),
        _ => bail!("--endpoint and --pki go together"),
    }
}

/// Whether `endpoint`'s host is `localhost` or a loopback address.
fn is_loopback(endpoint: &str) -> anyhow::Result<bool> {
    let uri: tonic::transport::Uri = endpoint
        .parse()
        .with_context(|| format!("`{endpoint}` is not a URL"))?;
    let host = uri.host().context("the endpoint has no host")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Ok(host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()))
}

/// Starts the server, measures (a) and the lifecycle against it, and stops it.
async fn measure_service(
    choice: &ServerChoice,
    database_url: &str,
    args: &LifecycleArgs,
    run_tag: Arc<str>,
) -> anyhow::Result<Service> {
    let server = Server::start(choice, database_url).await?;
    let measured = load_server(&server, args, run_tag).await;
    let stopped = server.stop().await;
    let service = measured?;
    stopped?;
    Ok(service)
}

/// (a) then the lifecycle, over the same channels, sampling the server's memory.
async fn load_server(
    server: &Server,
    args: &LifecycleArgs,
    run_tag: Arc<str>,
) -> anyhow::Result<Service> {
    let clients = args.clients as usize;
    let plan = plan(args);
    let idle = match server.pid {
        Some(pid) => {
            tokio::time::sleep(SETTLE).await;
            procfs::memory(pid)
        }
        None => None,
    };
    let channels = grpc::channels(&server.endpoint, &server.pki_dir, clients, args.connections)
        .await
        .context("cannot connect the clients")?;
    let sampler = server.pid.map(PeakSampler::start);
    let server_cpu = || server.pid.and_then(procfs::cpu_seconds);
    let client_cpu = || procfs::cpu_seconds(std::process::id());

    let server_before_health = server_cpu();
    let runners = channels.iter().cloned().map(HealthRunner::new).collect();
    let health = drive::drive("(a) health", runners, plan).await?;
    let (server_before, client_before) = (server_cpu(), client_cpu());
    let runners = channels
        .iter()
        .map(|c| LifecycleRunner::new(c, Arc::clone(&run_tag)))
        .collect();
    let lifecycle = drive::drive("lifecycle", runners, plan).await?;
    let cpu = ServiceCpu {
        server_health_s: used(server_before_health, server_before),
        server_lifecycle_s: used(server_before, server_cpu()),
        client_lifecycle_s: used(client_before, client_cpu()),
    };

    let sampled = sampler.map(PeakSampler::finish);
    let hwm = server.pid.and_then(procfs::memory).map(|m| m.hwm_kib);
    let peak_rss_kib = match (sampled, hwm) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    Ok(Service {
        health,
        lifecycle,
        idle_rss_kib: idle.map(|m| m.rss_kib),
        peak_rss_kib,
        cpu,
    })
}

/// CPU seconds used between two readings.
fn used(before: Option<f64>, after: Option<f64>) -> Option<f64> {
    Some(after? - before?)
}

/// (b): the same transitions through the store on a fresh database at `url`; also the CPU
/// seconds this process used meanwhile.
async fn measure_floor(
    url: &str,
    args: &LifecycleArgs,
    run_tag: Arc<str>,
) -> anyhow::Result<(Phase, Option<f64>)> {
    let floor = Floor::open(url, run_tag).await?;
    let runners = (0..args.clients)
        .map(|_| floor.runner())
        .collect::<anyhow::Result<Vec<_>>>()?;
    let own_cpu = || procfs::cpu_seconds(std::process::id());
    let before = own_cpu();
    let phase = drive::drive("(b) floor", runners, plan(args)).await;
    let cpu = used(before, own_cpu());
    let closed = floor.close().await;
    let phase = phase?;
    closed?;
    Ok((phase, cpu))
}

/// (c): the same transitions as bare SQL on a fresh database at `url`; also the CPU seconds
/// this process used meanwhile.
async fn measure_sql_floor(
    url: &str,
    args: &LifecycleArgs,
    run_tag: Arc<str>,
) -> anyhow::Result<(Phase, Option<f64>)> {
    let floor = SqlFloor::open(url, run_tag)
        .await
        .context("floor (c) cannot open its database")?;
    let runners = (0..args.clients).map(|_| floor.runner()).collect();
    let own_cpu = || procfs::cpu_seconds(std::process::id());
    let before = own_cpu();
    let phase = drive::drive("(c) bare SQL", runners, plan(args)).await;
    let cpu = used(before, own_cpu());
    floor.close().await;
    Ok((phase?, cpu))
}

/// `work`, unless Ctrl-C comes first (then an error, so that the caller still cleans up).
async fn interruptible<T>(work: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::select! {
        result = work => result,
        _ = tokio::signal::ctrl_c() => bail!("interrupted"),
    }
}

/// The 1-minute load average from `/proc/loadavg`, where there is one.
fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: LifecycleArgs,
    }

    fn parse(argv: &[&str]) -> Result<LifecycleArgs, clap::Error> {
        let argv = std::iter::once("lifecycle").chain(argv.iter().copied());
        Cli::try_parse_from(argv).map(|cli| cli.args)
    }

    #[test]
    fn defaults_are_the_issues_numbers() {
        let args = parse(&[]).unwrap();
        assert_eq!((args.clients, args.cases), (64, 2000));
        assert_eq!(args.database, DatabaseChoice::Sqlite);
        assert!(matches!(
            server_choice(&args).unwrap(),
            ServerChoice::Spawn { bin: None }
        ));
    }

    #[test]
    fn flags_combine_only_sensibly() {
        assert!(parse(&["--clients", "0"]).is_err());
        assert!(parse(&["--endpoint", "https://127.0.0.1:1"]).is_err());
        assert!(parse(&["--in-process", "--endpoint", "https://x:1", "--pki", "p"]).is_err());
        let args = parse(&["--endpoint", "https://10.1.2.3:50051", "--pki", "p"]).unwrap();
        assert!(server_choice(&args).is_err());
        let args = parse(&["--endpoint", "https://localhost:50051", "--pki", "p"]).unwrap();
        assert!(matches!(
            server_choice(&args).unwrap(),
            ServerChoice::External { .. }
        ));
        assert!(is_loopback("https://[::1]:50051").unwrap());
        assert!(is_loopback("https://127.0.0.2:50051").unwrap());
    }

    #[test]
    fn a_rate_must_be_a_positive_number() {
        let rate = |argv: &[&str]| parse(argv).unwrap().rate.map(Rate::per_second);
        assert_eq!(rate(&[]), None);
        assert_eq!(rate(&["--rate", "150"]), Some(150.0));
        assert_eq!(rate(&["--rate", "0.5"]), Some(0.5));
        for bad in ["0", "-3", "NaN", "inf", "fast"] {
            assert!(parse(&["--rate", bad]).is_err(), "{bad}");
        }
    }
}
