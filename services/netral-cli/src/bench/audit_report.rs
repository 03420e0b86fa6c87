//! What `netral bench audit` reports: one flat JSON object (`--json FILE`; latencies in ms,
//! rates per second or MB/s of 10⁶ bytes) and the table people read.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use super::audit_measure::Pair;
use super::audit_verify::{VerifyTimes, median};
use super::drive::percentile_ms;

/// The targets: p99(gRPC) / p99(SQL) at most this.
pub const READ_RATIO_TARGET: f64 = 2.0;
/// The targets: verification at least this fraction of `sha256sum`'s rate.
pub const VERIFY_RATIO_TARGET: f64 = 0.5;

/// The result of `netral bench audit`, one flat object.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditReport {
    /// `audit`.
    pub mode: String,
    /// `sqlite` or `postgres`; empty for `--verify-only`.
    pub database: String,
    /// `spawned` or `in-process`; empty for `--verify-only`.
    pub server: String,
    /// Events in the served log (its signed tree size).
    pub events: u64,
    /// Cases the log concerns.
    pub cases: u64,
    /// Whether this run seeded the log (else it was reused from `--data-dir`).
    pub seeded: bool,
    /// Seconds seeding took, when it ran.
    pub seed_s: Option<f64>,
    /// Events seeded per second, when it ran.
    pub seed_events_per_s: Option<f64>,
    /// The database's size on disk, MB.
    pub database_mb: Option<f64>,
    /// Seconds the restarted server stayed busy (its startup self-check) before measuring.
    pub startup_busy_s: Option<f64>,
    /// Whether `GetCheckpoint(0)` answered the seeded size and root.
    pub checkpoint_accepted: bool,
    /// (a) pairs measured.
    pub history_calls: u64,
    /// (a) events per history, on average.
    pub history_events_mean: f64,
    /// (a) gRPC `GetCaseHistory` median.
    pub history_grpc_p50_ms: f64,
    /// (a) gRPC 99th percentile.
    pub history_grpc_p99_ms: f64,
    /// (a) raw SQL median.
    pub history_sql_p50_ms: f64,
    /// (a) raw SQL 99th percentile.
    pub history_sql_p99_ms: f64,
    /// (a) p99(gRPC) / p99(SQL); target ≤ 2.
    pub history_ratio_p99: f64,
    /// (a) p50(gRPC) / p50(SQL).
    pub history_ratio_p50: f64,
    /// (a) pairs whose answers differed (or were empty).
    pub history_mismatches: u64,
    /// (a) failed calls and queries.
    pub history_errors: u64,
    /// (b) pairs measured.
    pub page_calls: u64,
    /// (b) events per page, on average.
    pub page_events_mean: f64,
    /// (b) gRPC `ListAuditEvents` median.
    pub page_grpc_p50_ms: f64,
    /// (b) gRPC 99th percentile.
    pub page_grpc_p99_ms: f64,
    /// (b) raw SQL median.
    pub page_sql_p50_ms: f64,
    /// (b) raw SQL 99th percentile.
    pub page_sql_p99_ms: f64,
    /// (b) p99(gRPC) / p99(SQL); target ≤ 2.
    pub page_ratio_p99: f64,
    /// (b) p50(gRPC) / p50(SQL).
    pub page_ratio_p50: f64,
    /// (b) pairs whose answers differed.
    pub page_mismatches: u64,
    /// (b) failed calls and queries.
    pub page_errors: u64,
    /// Failures of (a) and (b) by kind, `kind:count; …`.
    pub error_kinds: String,
    /// How the database plans (a)'s query.
    pub history_sql_plan: String,
    /// How the database plans (b)'s query.
    pub page_sql_plan: String,
    /// Where the export came from: `server` (ExportAuditLog) or `file` (`--verify-only`).
    pub export_source: String,
    /// Seconds streaming the export took.
    pub export_s: Option<f64>,
    /// The export file's size, MB.
    pub export_mb: f64,
    /// Bytes of leaves in it, MB.
    pub export_leaf_mb: f64,
    /// Verifications timed.
    pub verify_runs: u64,
    /// Median seconds of the in-process verification.
    pub verify_median_s: f64,
    /// The file's MB per second of verification (median run).
    pub verify_mb_per_s: f64,
    /// Median seconds of `sha256sum FILE`.
    pub sha256sum_median_s: Option<f64>,
    /// The file's MB per second of `sha256sum` (median run).
    pub sha256sum_mb_per_s: Option<f64>,
    /// verify MB/s / sha256sum MB/s; target ≥ 0.5.
    pub verify_ratio_vs_sha256sum: Option<f64>,
    /// Why `sha256sum` did not run, if it did not.
    pub sha256sum_error: Option<String>,
    /// The 1-minute load average when the run began.
    pub load_avg_start: Option<f64>,
    /// The 1-minute load average when it ended.
    pub load_avg_end: Option<f64>,
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// p50 and p99 of microsecond samples, in ms.
fn p50_p99(samples: &[u32]) -> (f64, f64) {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    (percentile_ms(&sorted, 50.0), percentile_ms(&sorted, 99.0))
}

impl AuditReport {
    /// Fills (a)'s fields.
    pub fn set_history(&mut self, pair: &Pair) {
        let (g50, g99) = p50_p99(&pair.grpc_us);
        let (s50, s99) = p50_p99(&pair.sql_us);
        self.history_calls = pair.grpc_us.len() as u64;
        self.history_events_mean = ratio(pair.events as f64, pair.grpc_us.len() as f64);
        (self.history_grpc_p50_ms, self.history_grpc_p99_ms) = (g50, g99);
        (self.history_sql_p50_ms, self.history_sql_p99_ms) = (s50, s99);
        self.history_ratio_p99 = ratio(g99, s99);
        self.history_ratio_p50 = ratio(g50, s50);
        self.history_mismatches = pair.mismatches;
        self.history_errors = pair.error_count();
        self.add_errors(pair);
    }

    /// Fills (b)'s fields.
    pub fn set_page(&mut self, pair: &Pair) {
        let (g50, g99) = p50_p99(&pair.grpc_us);
        let (s50, s99) = p50_p99(&pair.sql_us);
        self.page_calls = pair.grpc_us.len() as u64;
        self.page_events_mean = ratio(pair.events as f64, pair.grpc_us.len() as f64);
        (self.page_grpc_p50_ms, self.page_grpc_p99_ms) = (g50, g99);
        (self.page_sql_p50_ms, self.page_sql_p99_ms) = (s50, s99);
        self.page_ratio_p99 = ratio(g99, s99);
        self.page_ratio_p50 = ratio(g50, s50);
        self.page_mismatches = pair.mismatches;
        self.page_errors = pair.error_count();
        self.add_errors(pair);
    }

    fn add_errors(&mut self, pair: &Pair) {
        for (kind, count) in &pair.errors {
            if !self.error_kinds.is_empty() {
                self.error_kinds.push_str("; ");
            }
            self.error_kinds.push_str(&format!("{kind}:{count}"));
        }
    }

    /// Fills (c)'s fields.
    pub fn set_verify(&mut self, times: &VerifyTimes) {
        let mb = times.bytes as f64 / 1e6;
        self.export_mb = mb;
        self.export_leaf_mb = times.leaf_bytes as f64 / 1e6;
        self.verify_runs = times.verify_s.len() as u64;
        self.verify_median_s = median(&times.verify_s);
        self.verify_mb_per_s = ratio(mb, self.verify_median_s);
        if !times.sha256sum_s.is_empty() {
            let sha = median(&times.sha256sum_s);
            self.sha256sum_median_s = Some(sha);
            self.sha256sum_mb_per_s = Some(ratio(mb, sha));
            self.verify_ratio_vs_sha256sum = Some(ratio(self.verify_mb_per_s, ratio(mb, sha)));
        }
        self.sha256sum_error = times.sha256sum_error.clone();
    }

    /// Writes the report as one JSON object to `path`.
    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write {}", path.display()))
    }

    /// Prints the table people read.
    pub fn print_table(&self, out: &mut dyn Write) -> anyhow::Result<()> {
        let opt =
            |v: Option<f64>, unit: &str| v.map_or("n/a".to_owned(), |v| format!("{v:.2}{unit}"));
        let met = |ok: bool| if ok { "met" } else { "NOT met" };
        writeln!(
            out,
            "netral bench audit: {} events, {} cases, {}, server {}",
            self.events, self.cases, self.database, self.server
        )?;
        if !self.database.is_empty() {
            writeln!(
                out,
                "log: {}; database {}; server busy {} after start (self-check); \
                 GetCheckpoint(0) {}",
                match self.seed_s {
                    Some(s) => format!(
                        "seeded in {s:.1} s ({:.0} events/s)",
                        self.seed_events_per_s.unwrap_or_default()
                    ),
                    None => "reused from --data-dir".to_owned(),
                },
                opt(self.database_mb, " MB"),
                opt(self.startup_busy_s, " s"),
                if self.checkpoint_accepted {
                    "accepted the seeded log"
                } else {
                    "DISAGREED"
                },
            )?;
            writeln!(
                out,
                "{:<44} {:>6} {:>9} {:>9} {:>9} {:>9} {:>8}",
                "", "pairs", "rows/call", "gRPC p50", "gRPC p99", "SQL p50", "SQL p99"
            )?;
            for (name, calls, rows, p) in [
                (
                    "(a) GetCaseHistory vs case_id SQL",
                    self.history_calls,
                    self.history_events_mean,
                    [
                        self.history_grpc_p50_ms,
                        self.history_grpc_p99_ms,
                        self.history_sql_p50_ms,
                        self.history_sql_p99_ms,
                    ],
                ),
                (
                    "(b) ListAuditEvents FORWARD+time vs SQL",
                    self.page_calls,
                    self.page_events_mean,
                    [
                        self.page_grpc_p50_ms,
                        self.page_grpc_p99_ms,
                        self.page_sql_p50_ms,
                        self.page_sql_p99_ms,
                    ],
                ),
            ] {
                writeln!(
                    out,
                    "{name:<44} {calls:>6} {rows:>9.1} {:>9.2} {:>9.2} {:>9.2} {:>8.2}",
                    p[0], p[1], p[2], p[3]
                )?;
            }
            writeln!(
                out,
                "ratios p99(gRPC)/p99(SQL): (a) {:.2} [{}], (b) {:.2} [{}] (target <= {READ_RATIO_TARGET}); \
                 p50: (a) {:.2}, (b) {:.2}; mismatches {} / {}; errors {} / {}{}",
                self.history_ratio_p99,
                met(self.history_ratio_p99 <= READ_RATIO_TARGET),
                self.page_ratio_p99,
                met(self.page_ratio_p99 <= READ_RATIO_TARGET),
                self.history_ratio_p50,
                self.page_ratio_p50,
                self.history_mismatches,
                self.page_mismatches,
                self.history_errors,
                self.page_errors,
                if self.error_kinds.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", self.error_kinds)
                },
            )?;
            writeln!(out, "plan (a): {}", self.history_sql_plan)?;
            writeln!(out, "plan (b): {}", self.page_sql_plan)?;
        }
        writeln!(
            out,
            "(c) export ({}): {:.1} MB ({:.1} MB of leaves){}",
            self.export_source,
            self.export_mb,
            self.export_leaf_mb,
            self.export_s.map_or(String::new(), |s| format!(
                ", streamed in {s:.1} s ({:.1} MB/s)",
                ratio(self.export_mb, s)
            )),
        )?;
        writeln!(
            out,
            "(c) verify: median {:.3} s = {:.1} MB/s; sha256sum: median {} = {} MB/s; \
             ratio {} [{}] (target >= {VERIFY_RATIO_TARGET}); {} runs each",
            self.verify_median_s,
            self.verify_mb_per_s,
            opt(self.sha256sum_median_s, " s"),
            opt(self.sha256sum_mb_per_s, ""),
            opt(self.verify_ratio_vs_sha256sum, ""),
            met(self
                .verify_ratio_vs_sha256sum
                .is_some_and(|r| r >= VERIFY_RATIO_TARGET)),
            self.verify_runs,
        )?;
        if let Some(err) = &self.sha256sum_error {
            writeln!(out, "sha256sum did not run: {err}")?;
        }
        writeln!(
            out,
            "load average {} -> {}",
            opt(self.load_avg_start, ""),
            opt(self.load_avg_end, "")
        )?;
        Ok(())
    }
}
