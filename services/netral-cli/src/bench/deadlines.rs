//! `netral bench deadlines`: what the deadline engine and the compliance figures cost at
//! scale. Registers N cases (100,000 by default) through the server's write path on a fresh
//! database, `--due` of them (1,000) ten days earlier than the rest so that exactly their
//! review deadlines are overdue on the scan day, then measures, each `--runs` times on a
//! copy of the same state where it matters:
//!
//! - the due-index read alone (`Store::due_notices`, every due notice);
//! - one engine scan raising all of them (a transaction each), with its rounds;
//! - the compliance figures over every case (`Store::compliance_facts` and the tally by
//!   province: what `GetComplianceStats` does behind its gRPC hop).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use clap::Args;
use netral_domain::stats::Tally;
use netral_domain::{AgencyId, AgencyProfile, Catalogue};
use netral_server::clock::Clock;
use netral_server::deadline_engine::{DeadlineEngine, DeadlineSettings};
use netral_server::directory::Directory;
use netral_server::exchange::Exchange;
use netral_store::{CaseQuery, Store, Visibility};

use super::database::{DatabaseChoice, FreshDatabase};
use super::grpc::BAWASLU;

/// Arguments of `netral bench deadlines`.
#[derive(Debug, Args)]
pub struct DeadlinesArgs {
    /// How many cases (each with an open review deadline).
    #[arg(long, default_value_t = 100_000)]
    pub cases: usize,
    /// How many of them are overdue on the scan day.
    #[arg(long, default_value_t = 1_000)]
    pub due: usize,
    /// `sqlite` (a fresh file), `postgres` (a fresh database on the local server) or a URL.
    #[arg(long, default_value = "sqlite")]
    pub database: DatabaseChoice,
    /// How many registrations run at once while seeding.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// How many times the read-only measurements repeat (the median is reported).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
}

/// Registers at 10:00 WIB of `day`.
fn at(day: NaiveDate) -> anyhow::Result<DateTime<Utc>> {
    let local = day.and_hms_opt(3, 0, 0).context("a time of day")?;
    Ok(Utc.from_utc_datetime(&local))
}

/// Runs the bench and prints its report.
pub async fn run(args: DeadlinesArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    anyhow::ensure!(args.due <= args.cases, "--due must not exceed --cases");
    let database = FreshDatabase::create(&args.database, "deadlines").await?;
    let store = Store::connect(database.url(), 16).await?;
    let directory = Arc::new(Directory::dev_seed()?);
    store.sync_directory(&directory.records()).await?;
    let exchange = Exchange::new(
        store.clone(),
        Arc::new(Catalogue::bundled()?),
        Default::default(),
        Arc::new(netral_server::audit::AuditKeys::ephemeral(
            "netral.bench/audit-log",
        )),
        netral_server::directory::DirectoryHandle::new(Directory::clone(&directory)),
        Default::default(),
    );
    let bawaslu_id: AgencyId = BAWASLU.parse()?;
    let bawaslu = directory
        .get(&bawaslu_id)
        .context("the dev directory has Bawaslu Kotabaru")?
        .profile
        .clone();

    // Old cases on 1 Oct 2024 (review due 8 Oct), the rest on 15 Oct (due 22 Oct); the scan
    // runs on 16 Oct: only the old ones are due (overdue; their reminders are stale).
    let old_day = NaiveDate::from_ymd_opt(2024, 10, 1).context("a date")?;
    let new_day = NaiveDate::from_ymd_opt(2024, 10, 15).context("a date")?;
    let scan_day = NaiveDate::from_ymd_opt(2024, 10, 16).context("a date")?;
    let tag: Arc<str> = uuid::Uuid::new_v4().simple().to_string()[..8].into();
    let seeding = Instant::now();
    seed(
        &exchange,
        &bawaslu,
        &tag,
        0..args.due,
        at(old_day)?,
        args.concurrency,
    )
    .await?;
    seed(
        &exchange,
        &bawaslu,
        &tag,
        args.due..args.cases,
        at(new_day)?,
        args.concurrency,
    )
    .await?;
    let seeded_in = seeding.elapsed();

    let scan_at = at(scan_day)?;
    let mut index_reads = Vec::new();
    let mut found = 0;
    for _ in 0..args.runs.max(1) {
        let started = Instant::now();
        found = store.due_notices(scan_day, u64::MAX).await?.len();
        index_reads.push(started.elapsed());
    }
    let engine = DeadlineEngine::new(
        exchange.clone(),
        store.clone(),
        Clock::manual(scan_at),
        DeadlineSettings {
            scan_batch: u32::try_from(args.due.max(1)).unwrap_or(u32::MAX),
            ..Default::default()
        },
    );
    let report = engine.scan().await?;
    let again = engine.scan().await?;

    let mut compliance = Vec::new();
    let mut counted = 0;
    for _ in 0..args.runs.max(1) {
        let started = Instant::now();
        let query = CaseQuery::new(Visibility::Everything, u64::MAX);
        let facts = store.compliance_facts(&query, scan_day).await?;
        let mut groups: std::collections::BTreeMap<String, Tally> = Default::default();
        for case in &facts {
            groups
                .entry(case.region.to_province().to_string())
                .or_default()
                .add_case(case, scan_day, Clock::date_of);
        }
        counted = groups.values().map(|t| t.cases).sum::<u64>();
        compliance.push(started.elapsed());
    }
    store.close().await?;
    database.remove().await?;

    let median = |mut v: Vec<Duration>| {
        v.sort_unstable();
        v[v.len() / 2]
    };
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    writeln!(
        out,
        "netral bench deadlines on {}: {} cases, {} due",
        args.database.kind(),
        args.cases,
        args.due
    )?;
    writeln!(
        out,
        "seeded in                 {:>10.1} s",
        seeded_in.as_secs_f64()
    )?;
    writeln!(
        out,
        "due-index read            {:>10.1} ms  ({found} due notices, median of {})",
        ms(median(index_reads)),
        args.runs.max(1)
    )?;
    writeln!(
        out,
        "engine scan               {:>10.1} ms  ({} raised, {} failed, {} index reads; {:.2} ms per raise)",
        ms(report.elapsed),
        report.raised,
        report.failed,
        report.rounds,
        ms(report.elapsed) / report.raised.max(1) as f64
    )?;
    writeln!(
        out,
        "scan with nothing due     {:>10.1} ms  ({} raised)",
        ms(again.elapsed),
        again.raised
    )?;
    writeln!(
        out,
        "compliance by province    {:>10.1} ms  ({counted} cases, median of {})",
        ms(median(compliance)),
        args.runs.max(1)
    )?;
    anyhow::ensure!(
        report.raised == args.due as u64 && again.raised == 0 && counted == args.cases as u64,
        "the engine raised {} of {} due notices (then {}), the figures counted {counted} of {} cases",
        report.raised,
        args.due,
        again.raised,
        args.cases
    );
    Ok(())
}

/// Registers cases `range` as `bawaslu` at `at`, `concurrency` at a time.
async fn seed(
    exchange: &Exchange,
    bawaslu: &AgencyProfile,
    tag: &Arc<str>,
    range: std::ops::Range<usize>,
    at: DateTime<Utc>,
    concurrency: usize,
) -> anyhow::Result<()> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(range.start));
    let workers = (0..concurrency.max(1)).map(|_| {
        let (exchange, bawaslu, tag, next) =
            (exchange.clone(), bawaslu.clone(), tag.clone(), next.clone());
        let end = range.end;
        tokio::spawn(async move {
            loop {
                let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if index >= end {
                    return Ok::<_, anyhow::Error>(());
                }
                let filing = super::floor::filing(&tag, index).map_err(anyhow::Error::msg)?;
                let mutation = super::floor::mutation_at(&bawaslu, "RegisterCase", at);
                exchange
                    .register(mutation, filing)
                    .await
                    .map_err(|err| anyhow::anyhow!("registration {index} refused: {err}"))?;
            }
        })
    });
    for worker in futures::future::join_all(workers).await {
        worker??;
    }
    Ok(())
}
