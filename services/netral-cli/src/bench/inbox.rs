//! `netral bench inbox`: every agency's back end holds its `WatchInbox` stream open while the
//! lifecycle runs, and the bench measures how soon each message reaches its stream and
//! what the open streams cost the server in memory:
//!
//! 1. write a directory of `--streams` agencies (the dev directory plus a Bawaslu office and
//!    a PPK per region: about every office in the country) and start `netral-server` on a
//!    fresh database with it; its dev PKI issues every agency a certificate;
//! 2. read the server's idle RSS, open one stream per agency, each over its own mTLS
//!    connection, and read the RSS again;
//! 3. run the lifecycle (`--cases` cases by `--clients` workers, as `netral bench
//!    lifecycle`), sampling the server's RSS, while the streams receive;
//! 4. wait (bounded) for every message the server's database holds (counted there, not
//!    predicted), then report: delivered / expected / duplicated, delivery latency from the step's acknowledgement
//!    (≈ commit → delivery; a message that arrives before its step's answer counts 0) and
//!    from the step's own timestamp (an upper bound: it includes the step's queueing and
//!    commit), p50 / p99 / max, and the RSS figures.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use futures::StreamExt;
use netral_proto::v1 as pb;
use netral_proto::v1::inbox_service_client::InboxServiceClient;
use serde::Serialize;
use tokio::task::JoinSet;
use tonic::transport::Channel;

use super::database::{DatabaseChoice, FreshDatabase};
use super::drive::{self, Plan, Rate, percentile_ms};
use super::grpc::{self, AckLog, Connections, LifecycleRunner};
use super::procfs::{self, PeakSampler};
use super::server::{Server, ServerChoice};

/// How long the server is left alone before an RSS reading.
const SETTLE: Duration = Duration::from_secs(2);
/// How many streams are being opened at once.
const OPENING_AT_ONCE: usize = 32;
/// How long the bench waits, after the lifecycle, for the last messages.
const DRAIN: Duration = Duration::from_secs(30);
/// The lifecycle's actions, by step.
const ACTIONS: [&str; 6] = [
    "REGISTER",
    "FORWARD",
    "ACCEPT",
    "RECOMMEND_SANCTION",
    "RECORD_SANCTION_DECREE",
    "RECORD_IN_REGISTRY",
];

/// Arguments of `netral bench inbox`.
#[derive(Debug, Clone, Args)]
pub struct InboxArgs {
    /// Streams to hold open, one per agency (the directory gets at least this many agencies).
    #[arg(long, default_value_t = 1100, value_parser = clap::value_parser!(u32).range(1..=1200))]
    pub streams: u32,
    /// Concurrent lifecycle clients.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub clients: u32,
    /// Cases the lifecycle takes from registration to RECORDED.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub cases: u32,
    /// `sqlite`, `postgres` or a postgres:// admin URL; the server gets a fresh database.
    #[arg(long, default_value = "sqlite", value_name = "sqlite|postgres|URL")]
    pub database: DatabaseChoice,
    /// The `netral-server` binary to spawn [default: the one next to `netral`].
    #[arg(long, value_name = "PATH")]
    pub server_bin: Option<PathBuf>,
    /// Start this many cases per second instead of a closed loop.
    #[arg(long, value_name = "CASES_PER_S")]
    pub rate: Option<Rate>,
    /// Stop sending new cases after this many seconds.
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    pub timeout: u64,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Never draw progress bars.
    #[arg(long)]
    pub no_progress: bool,
}

/// One message as a stream received it.
struct Receipt {
    agency: String,
    cursor: String,
    case: String,
    action: String,
    created: SystemTime,
    received: SystemTime,
    received_at: Instant,
}

/// What the run measured.
#[derive(Debug, Serialize)]
pub struct InboxReport {
    /// `sqlite` or `postgres`.
    pub database: String,
    /// Streams held open during the lifecycle.
    pub streams: usize,
    /// Lifecycle clients and cases.
    pub clients: u32,
    /// Cases asked for.
    pub cases: u32,
    /// Steps acknowledged.
    pub steps_acknowledged: usize,
    /// Transitions per second of the lifecycle while the streams were open.
    pub transitions_per_s: f64,
    /// Messages the acknowledged steps produced.
    pub messages_expected: usize,
    /// Messages the streams received.
    pub messages_delivered: usize,
    /// Messages received twice by one agency.
    pub messages_duplicated: usize,
    /// Delivery after the step's acknowledgement, ms.
    pub from_ack_p50_ms: f64,
    /// Same, 99th percentile.
    pub from_ack_p99_ms: f64,
    /// Same, maximum.
    pub from_ack_max_ms: f64,
    /// Delivery after the step's own timestamp (an upper bound), ms.
    pub from_step_p50_ms: f64,
    /// Same, 99th percentile.
    pub from_step_p99_ms: f64,
    /// Server RSS before any stream, MiB.
    pub rss_idle_mib: f64,
    /// Server RSS with every stream open, before the lifecycle, MiB.
    pub rss_streams_open_mib: f64,
    /// Server peak RSS during the run, MiB.
    pub rss_peak_mib: f64,
}

/// Runs the bench, prints the report to `out` and writes `--json`.
pub async fn run(args: &InboxArgs, out: &mut dyn Write) -> anyhow::Result<InboxReport> {
    let db = FreshDatabase::create(&args.database, "inbox").await?;
    let measured = measure(args, db.url()).await;
    let removed = db.remove().await;
    let report = measured?;
    removed.context("cannot remove the server's database")?;
    print(&report, out)?;
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(report)
}

async fn measure(args: &InboxArgs, database_url: &str) -> anyhow::Result<InboxReport> {
    let dir = tempfile::tempdir()?;
    let (text, _) = super::inbox_directory::directory(args.streams as usize)?;
    let file = dir.path().join("directory.toml");
    std::fs::write(&file, &text)?;
    let choice = ServerChoice::Spawn {
        bin: args.server_bin.clone(),
    };
    let settings = [("NETRAL__DIRECTORY__FILE", file.display().to_string())];
    let server = Server::start_with(&choice, database_url, &settings).await?;
    let measured = load(args, &server, &text, database_url).await;
    let stopped = server.stop().await;
    let report = measured?;
    stopped?;
    Ok(report)
}

async fn load(
    args: &InboxArgs,
    server: &Server,
    directory: &str,
    database_url: &str,
) -> anyhow::Result<InboxReport> {
    let pid = server.pid.context("the spawned server has no pid")?;
    let mib = |kib: u64| kib as f64 / 1024.0;
    tokio::time::sleep(SETTLE).await;
    let idle = procfs::memory(pid).map_or(0, |m| m.rss_kib);

    let agencies: Vec<String> = super::inbox_directory::ids(directory)
        .into_iter()
        .take(args.streams as usize)
        .collect();
    let receipts = Arc::new(Mutex::new(Vec::new()));
    let mut streams = open_streams(server, &agencies, &receipts).await?;
    tokio::time::sleep(SETTLE).await;
    let open = procfs::memory(pid).map_or(0, |m| m.rss_kib);

    let acks: AckLog = Arc::default();
    let channels = grpc::channels(
        &server.endpoint,
        &server.pki_dir,
        args.clients as usize,
        Connections::PerClient,
    )
    .await?;
    let run_tag: Arc<str> = uuid::Uuid::new_v4().simple().to_string()[..8].into();
    let runners = channels
        .iter()
        .map(|c| LifecycleRunner::new(c, Arc::clone(&run_tag)).logging_acks(acks.clone()))
        .collect();
    let sampler = PeakSampler::start(pid);
    let plan = Plan {
        cases: args.cases as usize,
        limit: Duration::from_secs(args.timeout),
        rate: args.rate,
        show_progress: !args.no_progress,
    };
    let lifecycle = drive::drive("lifecycle with open inboxes", runners, plan).await?;
    let acks = acks.lock().unwrap_or_else(|p| p.into_inner()).clone();
    // Every message the steps wrote, as the server's database holds them.
    let store = netral_store::Store::connect(database_url, 2)
        .await
        .context("cannot open the server's database to count its messages")?;
    let expected = usize::try_from(store.table_counts().await?.inbox_messages)?;
    store.close().await?;
    let give_up = Instant::now() + DRAIN;
    while receipts.lock().unwrap_or_else(|p| p.into_inner()).len() < expected
        && Instant::now() < give_up
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let peak = sampler
        .finish()
        .max(procfs::memory(pid).map_or(0, |m| m.hwm_kib));
    let streams_alive = streams.len();
    streams.abort_all();
    let receipts = std::mem::take(&mut *receipts.lock().unwrap_or_else(|p| p.into_inner()));
    let latency = Latency::of(&receipts, &acks);
    let mut seen = HashSet::new();
    let duplicated = receipts
        .iter()
        .filter(|r| !seen.insert((r.agency.as_str(), r.cursor.as_str())))
        .count();
    Ok(InboxReport {
        database: if database_url.starts_with("postgres") {
            "postgres"
        } else {
            "sqlite"
        }
        .into(),
        streams: streams_alive,
        clients: args.clients,
        cases: args.cases,
        steps_acknowledged: acks.len(),
        transitions_per_s: lifecycle.per_second(),
        messages_expected: expected,
        messages_delivered: receipts.len(),
        messages_duplicated: duplicated,
        from_ack_p50_ms: percentile_ms(&latency.from_ack_us, 50.0),
        from_ack_p99_ms: percentile_ms(&latency.from_ack_us, 99.0),
        from_ack_max_ms: percentile_ms(&latency.from_ack_us, 100.0),
        from_step_p50_ms: percentile_ms(&latency.from_step_us, 50.0),
        from_step_p99_ms: percentile_ms(&latency.from_step_us, 99.0),
        rss_idle_mib: mib(idle),
        rss_streams_open_mib: mib(open),
        rss_peak_mib: mib(peak),
    })
}

/// Opens one `WatchInbox` stream per agency, each over its own connection, and returns
/// their reader tasks once every stream has answered.
async fn open_streams(
    server: &Server,
    agencies: &[String],
    receipts: &Arc<Mutex<Vec<Receipt>>>,
) -> anyhow::Result<JoinSet<()>> {
    let opened = futures::stream::iter(agencies.iter().cloned())
        .map(|agency| async move {
            let tls = grpc::tls_for(&server.pki_dir, &agency)?;
            let channel = Channel::from_shared(server.endpoint.clone())?
                .tcp_nodelay(true)
                .tls_config(tls)?
                .connect()
                .await
                .with_context(|| format!("{agency} cannot connect"))?;
            let stream = InboxServiceClient::new(channel)
                .watch_inbox(pb::WatchInboxRequest::default())
                .await
                .with_context(|| format!("{agency} cannot watch its inbox"))?
                .into_inner();
            Ok::<_, anyhow::Error>((agency, stream))
        })
        .buffer_unordered(OPENING_AT_ONCE)
        .collect::<Vec<_>>()
        .await;
    let mut tasks = JoinSet::new();
    for opened in opened {
        let (agency, mut stream) = opened?;
        let receipts = receipts.clone();
        tasks.spawn(async move {
            while let Ok(Some(reply)) = stream.message().await {
                let Some(message) = reply.message else {
                    continue;
                };
                let created = message
                    .create_time
                    .and_then(|t| SystemTime::try_from(t).ok())
                    .unwrap_or(SystemTime::UNIX_EPOCH);
                let receipt = Receipt {
                    agency: agency.clone(),
                    cursor: message.cursor,
                    case: message.case,
                    action: message.action,
                    created,
                    received: SystemTime::now(),
                    received_at: Instant::now(),
                };
                receipts
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(receipt);
            }
        });
    }
    if tasks.len() != agencies.len() {
        bail!("only {} of {} streams opened", tasks.len(), agencies.len());
    }
    Ok(tasks)
}

/// Delivery latencies, sorted, in microseconds.
struct Latency {
    from_ack_us: Vec<u32>,
    from_step_us: Vec<u32>,
}

impl Latency {
    fn of(receipts: &[Receipt], acks: &HashMap<(String, usize), Instant>) -> Self {
        let micros = |d: Duration| u32::try_from(d.as_micros()).unwrap_or(u32::MAX);
        let mut from_ack_us = Vec::with_capacity(receipts.len());
        let mut from_step_us = Vec::with_capacity(receipts.len());
        for receipt in receipts {
            let step = ACTIONS.iter().position(|a| *a == receipt.action);
            if let Some(acked) = step.and_then(|s| acks.get(&(receipt.case.clone(), s))) {
                from_ack_us.push(micros(
                    receipt.received_at.saturating_duration_since(*acked),
                ));
            }
            let since = receipt
                .received
                .duration_since(receipt.created)
                .unwrap_or_default();
            from_step_us.push(micros(since));
        }
        from_ack_us.sort_unstable();
        from_step_us.sort_unstable();
        Self {
            from_ack_us,
            from_step_us,
        }
    }
}

fn print(r: &InboxReport, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "netral bench inbox ({}, {} open streams)",
        r.database, r.streams
    )?;
    writeln!(
        out,
        "  lifecycle          {} clients, {} steps acknowledged, {:.0} transitions/s",
        r.clients, r.steps_acknowledged, r.transitions_per_s
    )?;
    writeln!(
        out,
        "  messages           {} delivered of {} expected, {} duplicated",
        r.messages_delivered, r.messages_expected, r.messages_duplicated
    )?;
    writeln!(
        out,
        "  after step's ack   p50 {:.1} ms   p99 {:.1} ms   max {:.1} ms",
        r.from_ack_p50_ms, r.from_ack_p99_ms, r.from_ack_max_ms
    )?;
    writeln!(
        out,
        "  after step's start p50 {:.1} ms   p99 {:.1} ms   (upper bound)",
        r.from_step_p50_ms, r.from_step_p99_ms
    )?;
    writeln!(
        out,
        "  server RSS         idle {:.0} MiB, streams open {:.0} MiB, peak {:.0} MiB",
        r.rss_idle_mib, r.rss_streams_open_mib, r.rss_peak_mib
    )?;
    Ok(())
}
