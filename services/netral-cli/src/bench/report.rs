//! What a lifecycle bench reports: a flat JSON object for machines (`--json FILE`); the
//! table for people is printed by `table`. Latencies are in milliseconds, rates per second,
//! memory in MiB.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use super::drive::{Phase, STEPS, percentile_ms};
use super::lifecycle::ServiceCpu;

/// The result of `netral bench lifecycle`, one flat object. The keys the issue fixed are
/// `database`, `clients`, `cases`, `transitions`, `transitions_per_s`, `p50_ms`, `p99_ms`,
/// `health_per_s`, `floor_per_s`, `ratio_vs_floor`, `ratio_vs_health`, `errors` and
/// `server_peak_rss_mb`; the rest add detail without nesting.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The bench mode, `lifecycle`.
    pub mode: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    /// How the server ran: `spawned`, `in-process` or `external`.
    pub server: String,
    /// How workers share connections: `per-client` or `per-agency`.
    pub connections: String,
    /// Concurrent workers.
    pub clients: u32,
    /// Cases asked for.
    pub cases: u32,
    /// Cases started per second in every phase (`--rate`); `null` for a closed loop, where
    /// each client starts its next case at once and the phases run at saturation.
    pub rate_cases_per_s: Option<f64>,
    /// Paced runs: the load offered, `6 × rate`, in transitions per second.
    pub offered_transitions_per_s: Option<f64>,
    /// Paced runs: the 99th percentile of how late a case started after its due time because
    /// every client was busy (large values mean more clients are needed, and that the
    /// latencies understate what an agency would wait).
    pub start_lag_p99_ms: Option<f64>,
    /// Cases that reached RECORDED.
    pub cases_recorded: u64,
    /// Transitions the service acknowledged (six per recorded case, registration included).
    pub transitions: u64,
    /// Wall time of the lifecycle phase, in seconds.
    pub duration_s: f64,
    /// Acknowledged transitions per second.
    pub transitions_per_s: f64,
    /// Median latency over every RPC of the lifecycle.
    pub p50_ms: f64,
    /// 95th percentile latency over every RPC of the lifecycle.
    pub p95_ms: f64,
    /// 99th percentile latency over every RPC of the lifecycle.
    pub p99_ms: f64,
    /// Failed lifecycle calls, plus steps never sent because the deadline passed.
    pub errors: u64,
    /// The lifecycle's failures by kind (`Aborted:2; Unavailable:1`), empty when none.
    pub error_kinds: String,
    /// Health checks answered SERVING in ceiling (a).
    pub health_calls: u64,
    /// Ceiling (a): health checks per second over the same channels and concurrency.
    pub health_per_s: f64,
    /// Ceiling (a): median latency.
    pub health_p50_ms: f64,
    /// Ceiling (a): 95th percentile latency.
    pub health_p95_ms: f64,
    /// Ceiling (a): 99th percentile latency.
    pub health_p99_ms: f64,
    /// Ceiling (a): failed checks.
    pub health_errors: u64,
    /// Transitions applied in floor (b).
    pub floor_transitions: u64,
    /// Floor (b): transitions per second straight through the store.
    pub floor_per_s: f64,
    /// Floor (b): median latency of one `Store::execute`.
    pub floor_p50_ms: f64,
    /// Floor (b): 95th percentile latency.
    pub floor_p95_ms: f64,
    /// Floor (b): 99th percentile latency.
    pub floor_p99_ms: f64,
    /// Floor (b): failed transitions.
    pub floor_errors: u64,
    /// Transitions written in floor (c).
    pub floor_sql_transitions: u64,
    /// Floor (c): transitions per second as bare prepared SQL, one transaction per step.
    pub floor_sql_per_s: f64,
    /// Floor (c): median latency of one step's transaction.
    pub floor_sql_p50_ms: f64,
    /// Floor (c): 95th percentile latency.
    pub floor_sql_p95_ms: f64,
    /// Floor (c): 99th percentile latency.
    pub floor_sql_p99_ms: f64,
    /// Floor (c): failed transitions.
    pub floor_sql_errors: u64,
    /// `transitions_per_s / floor_per_s`: the share of the persistence floor the service
    /// reaches (target ≥ 0.40).
    pub ratio_vs_floor: f64,
    /// `transitions_per_s / floor_sql_per_s`: the service against the bare rows it writes
    /// (target ≥ 0.5).
    pub ratio_vs_sql_floor: f64,
    /// `transitions_per_s / health_per_s`: the service against gRPC + TLS + HTTP/2 alone.
    pub ratio_vs_health: f64,
    /// Server `VmRSS` after start-up, before load, in MiB; `null` for an external server.
    pub server_idle_rss_mb: Option<f64>,
    /// Server peak resident memory under load, in MiB (the larger of `VmHWM` and the 100 ms
    /// `VmRSS` samples); `null` for an external server. In-process, this is the whole bench
    /// process, client included.
    pub server_peak_rss_mb: Option<f64>,
    /// Server CPU time (user + system) per acknowledged transition, in ms: what one
    /// transition costs the server whatever the contention. In-process, the whole process.
    pub server_cpu_ms_per_transition: Option<f64>,
    /// Server CPU time per health check in (a), in ms.
    pub server_cpu_ms_per_health_call: Option<f64>,
    /// The load generator's own CPU time per transition during the lifecycle, in ms (it
    /// shares the machine's cores with the server).
    pub client_cpu_ms_per_transition: Option<f64>,
    /// CPU time of this process per transition in floor (b), in ms (domain, sea-orm, the
    /// database driver; for PostgreSQL, not the database server's own work).
    pub floor_cpu_ms_per_transition: Option<f64>,
    /// CPU time of this process per transition in floor (c), in ms (sqlx and the driver; for
    /// PostgreSQL, not the database server's own work).
    pub floor_sql_cpu_ms_per_transition: Option<f64>,
    /// The 1-minute load average when the run started (other work on the machine skews it).
    pub load_avg_start: Option<f64>,
    /// The 1-minute load average when the run ended.
    pub load_avg_end: Option<f64>,
    /// Per RPC of the lifecycle: `<rpc>_calls` (acknowledged), `<rpc>_errors` and `<rpc>_p50_ms`,
    /// `<rpc>_p95_ms`, `<rpc>_p99_ms` for `register_case`, `forward_case`, `accept_case`, `recommend_sanction`,
    /// `record_sanction_decree` and `record_in_registry`.
    #[serde(flatten)]
    pub per_rpc: BTreeMap<String, f64>,
}

/// The three percentiles of a sorted sample, in milliseconds.
fn p50_95_99(sorted: &[u32]) -> [f64; 3] {
    [50.0, 95.0, 99.0].map(|p| percentile_ms(sorted, p))
}

/// `a / b`, or 0 when `b` is 0.
fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// Rounds to 3 decimals, so the JSON reads as measured and not as float noise.
fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Everything measured in one run, before it becomes a [`Report`].
pub struct Measured {
    /// The run's settings: mode, database, server, connections, clients, cases.
    pub settings: Report,
    /// The service under load.
    pub lifecycle: Phase,
    /// Ceiling (a).
    pub health: Phase,
    /// Floor (b).
    pub floor: Phase,
    /// Idle RSS in KiB.
    pub idle_rss_kib: Option<u64>,
    /// Peak RSS in KiB.
    pub peak_rss_kib: Option<u64>,
    /// CPU seconds used against the server.
    pub cpu: ServiceCpu,
    /// CPU seconds this process used during the floor.
    pub floor_cpu_s: Option<f64>,
    /// Floor (c).
    pub sql_floor: Phase,
    /// CPU seconds this process used during floor (c).
    pub sql_floor_cpu_s: Option<f64>,
}

impl Report {
    /// A report with the run's settings and every measurement zero, to be filled by
    /// [`Report::from_measured`].
    pub fn settings(mode: &str, database: &str, server: &str, connections: &str) -> Self {
        Self {
            mode: mode.into(),
            database: database.into(),
            server: server.into(),
            connections: connections.into(),
            clients: 0,
            cases: 0,
            rate_cases_per_s: None,
            offered_transitions_per_s: None,
            start_lag_p99_ms: None,
            cases_recorded: 0,
            transitions: 0,
            duration_s: 0.0,
            transitions_per_s: 0.0,
            p50_ms: 0.0,
            p95_ms: 0.0,
            p99_ms: 0.0,
            errors: 0,
            error_kinds: String::new(),
            health_calls: 0,
            health_per_s: 0.0,
            health_p50_ms: 0.0,
            health_p95_ms: 0.0,
            health_p99_ms: 0.0,
            health_errors: 0,
            floor_transitions: 0,
            floor_per_s: 0.0,
            floor_p50_ms: 0.0,
            floor_p95_ms: 0.0,
            floor_p99_ms: 0.0,
            floor_errors: 0,
            floor_sql_transitions: 0,
            floor_sql_per_s: 0.0,
            floor_sql_p50_ms: 0.0,
            floor_sql_p95_ms: 0.0,
            floor_sql_p99_ms: 0.0,
            floor_sql_errors: 0,
            ratio_vs_floor: 0.0,
            ratio_vs_sql_floor: 0.0,
            ratio_vs_health: 0.0,
            server_idle_rss_mb: None,
            server_peak_rss_mb: None,
            server_cpu_ms_per_transition: None,
            server_cpu_ms_per_health_call: None,
            client_cpu_ms_per_transition: None,
            floor_cpu_ms_per_transition: None,
            floor_sql_cpu_ms_per_transition: None,
            load_avg_start: None,
            load_avg_end: None,
            per_rpc: BTreeMap::new(),
        }
    }

    /// The report of a run.
    pub fn from_measured(m: &Measured) -> Self {
        let mib = |kib: u64| round(kib as f64 / 1024.0);
        let mut report = m.settings.clone();
        let life = &m.lifecycle;
        let [p50, p95, p99] = p50_95_99(&life.sorted_all());
        let [h50, h95, h99] = p50_95_99(&m.health.sorted_all());
        let [f50, f95, f99] = p50_95_99(&m.floor.sorted_all());
        report.cases_recorded = life.sorted_step(STEPS.len() - 1).len() as u64;
        report.transitions = life.tally.acknowledged;
        report.offered_transitions_per_s = report
            .rate_cases_per_s
            .map(|rate| round(rate * STEPS.len() as f64));
        report.start_lag_p99_ms = report
            .rate_cases_per_s
            .map(|_| round(percentile_ms(&life.sorted_start_lag(), 99.0)));
        report.duration_s = round(life.elapsed.as_secs_f64());
        report.transitions_per_s = round(life.per_second());
        (report.p50_ms, report.p95_ms, report.p99_ms) = (round(p50), round(p95), round(p99));
        report.errors = life.tally.error_count();
        report.error_kinds = life
            .tally
            .errors
            .iter()
            .map(|(kind, n)| format!("{kind}:{n}"))
            .collect::<Vec<_>>()
            .join("; ");
        report.health_calls = m.health.tally.acknowledged;
        report.health_per_s = round(m.health.per_second());
        report.health_p50_ms = round(h50);
        report.health_p95_ms = round(h95);
        report.health_p99_ms = round(h99);
        report.health_errors = m.health.tally.error_count();
        report.floor_transitions = m.floor.tally.acknowledged;
        report.floor_per_s = round(m.floor.per_second());
        report.floor_p50_ms = round(f50);
        report.floor_p95_ms = round(f95);
        report.floor_p99_ms = round(f99);
        report.floor_errors = m.floor.tally.error_count();
        let sql = &m.sql_floor;
        let [c50, c95, c99] = p50_95_99(&sql.sorted_all());
        report.floor_sql_transitions = sql.tally.acknowledged;
        report.floor_sql_per_s = round(sql.per_second());
        report.floor_sql_p50_ms = round(c50);
        report.floor_sql_p95_ms = round(c95);
        report.floor_sql_p99_ms = round(c99);
        report.floor_sql_errors = sql.tally.error_count();
        report.ratio_vs_floor = round(ratio(life.per_second(), m.floor.per_second()));
        report.ratio_vs_sql_floor = round(ratio(life.per_second(), sql.per_second()));
        report.ratio_vs_health = round(ratio(life.per_second(), m.health.per_second()));
        report.server_idle_rss_mb = m.idle_rss_kib.map(mib);
        report.server_peak_rss_mb = m.peak_rss_kib.map(mib);
        let per_call = |seconds: Option<f64>, calls: u64| {
            seconds
                .filter(|_| calls > 0)
                .map(|s| round(s * 1000.0 / calls as f64))
        };
        let (transitions, checks) = (life.tally.acknowledged, m.health.tally.acknowledged);
        report.server_cpu_ms_per_transition = per_call(m.cpu.server_lifecycle_s, transitions);
        report.server_cpu_ms_per_health_call = per_call(m.cpu.server_health_s, checks);
        report.client_cpu_ms_per_transition = per_call(m.cpu.client_lifecycle_s, transitions);
        report.floor_cpu_ms_per_transition = per_call(m.floor_cpu_s, m.floor.tally.acknowledged);
        report.floor_sql_cpu_ms_per_transition =
            per_call(m.sql_floor_cpu_s, sql.tally.acknowledged);
        for (step, (_, name)) in STEPS.iter().enumerate() {
            let sorted = life.sorted_step(step);
            report
                .per_rpc
                .insert(format!("{name}_calls"), sorted.len() as f64);
            let failed = life.tally.failures.get(step).copied().unwrap_or_default();
            report
                .per_rpc
                .insert(format!("{name}_errors"), failed as f64);
            let [a, b, c] = p50_95_99(&sorted);
            for (suffix, value) in [("p50", a), ("p95", b), ("p99", c)] {
                report
                    .per_rpc
                    .insert(format!("{name}_{suffix}_ms"), round(value));
            }
        }
        report
    }

    /// Writes the report as one JSON object to `path`.
    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(path, json + "\n")
            .with_context(|| format!("cannot write {}", path.display()))
    }
}
