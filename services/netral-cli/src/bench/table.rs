//! The table people read: one line per phase and per RPC, then the ratios, the CPU per call,
//! the server's memory and the load average.

use std::io::Write;

use super::drive::STEPS;
use super::report::Report;

impl Report {
    /// Prints the table people read.
    pub fn print_table(&self, out: &mut dyn Write) -> anyhow::Result<()> {
        let rss = |mb: Option<f64>| mb.map_or("n/a".to_owned(), |mb| format!("{mb:.1} MiB"));
        let load = |l: Option<f64>| l.map_or("n/a".to_owned(), |l| format!("{l:.2}"));
        let cpu = |ms: Option<f64>| ms.map_or("n/a".to_owned(), |ms| format!("{ms:.3} ms"));
        writeln!(
            out,
            "netral bench lifecycle: {} cases, {} clients ({} connections), {}, server {}",
            self.cases, self.clients, self.connections, self.database, self.server
        )?;
        if let Some(rate) = self.rate_cases_per_s {
            let offered = self.offered_transitions_per_s.unwrap_or_default();
            let lag = self.start_lag_p99_ms.unwrap_or_default();
            writeln!(
                out,
                "paced: {rate} cases/s in every phase ({offered} transitions/s offered); \
                 case start lag p99 {lag:.2} ms; rates and ratios show the offered load, \
                 latencies what it costs"
            )?;
        }
        writeln!(
            out,
            "{:<36} {:>7} {:>9} {:>8} {:>8} {:>8} {:>7}",
            "", "calls", "per s", "p50 ms", "p95 ms", "p99 ms", "errors"
        )?;
        let lifecycle = Row {
            name: "lifecycle (every RPC)".into(),
            calls: self.transitions,
            rate: Some(self.transitions_per_s),
            p: [self.p50_ms, self.p95_ms, self.p99_ms],
            errors: self.errors,
        };
        lifecycle.print(out)?;
        for (method, name) in STEPS {
            let get = |suffix: &str| {
                let key = format!("{name}_{suffix}");
                self.per_rpc.get(&key).copied().unwrap_or_default()
            };
            Row {
                name: format!("  {method}"),
                calls: get("calls") as u64,
                rate: None,
                p: [get("p50_ms"), get("p95_ms"), get("p99_ms")],
                errors: get("errors") as u64,
            }
            .print(out)?;
        }
        Row {
            name: "(a) health Check, same channels".into(),
            calls: self.health_calls,
            rate: Some(self.health_per_s),
            p: [self.health_p50_ms, self.health_p95_ms, self.health_p99_ms],
            errors: self.health_errors,
        }
        .print(out)?;
        Row {
            name: "(b) floor: Store::execute, no gRPC".into(),
            calls: self.floor_transitions,
            rate: Some(self.floor_per_s),
            p: [self.floor_p50_ms, self.floor_p95_ms, self.floor_p99_ms],
            errors: self.floor_errors,
        }
        .print(out)?;
        Row {
            name: "(c) bare SQL, one txn per step".into(),
            calls: self.floor_sql_transitions,
            rate: Some(self.floor_sql_per_s),
            p: [
                self.floor_sql_p50_ms,
                self.floor_sql_p95_ms,
                self.floor_sql_p99_ms,
            ],
            errors: self.floor_sql_errors,
        }
        .print(out)?;
        if !self.error_kinds.is_empty() {
            writeln!(out, "lifecycle errors by kind: {}", self.error_kinds)?;
        }
        writeln!(
            out,
            "ratios: service/(a) health = {:.3}   service/(b) floor = {:.3}   \
             service/(c) bare SQL = {:.3}",
            self.ratio_vs_health, self.ratio_vs_floor, self.ratio_vs_sql_floor
        )?;
        writeln!(
            out,
            "CPU per call: server {} per transition, {} per health check; client {}; \
             floor (b) {}; floor (c) {}",
            cpu(self.server_cpu_ms_per_transition),
            cpu(self.server_cpu_ms_per_health_call),
            cpu(self.client_cpu_ms_per_transition),
            cpu(self.floor_cpu_ms_per_transition),
            cpu(self.floor_sql_cpu_ms_per_transition),
        )?;
        writeln!(
            out,
            "server RSS: idle {}, peak {}; load average {} -> {}",
            rss(self.server_idle_rss_mb),
            rss(self.server_peak_rss_mb),
            load(self.load_avg_start),
            load(self.load_avg_end)
        )?;
        Ok(())
    }
}

/// One line of the table.
struct Row {
    /// What was measured.
    name: String,
    /// Acknowledged calls.
    calls: u64,
    /// Calls per second, for whole phases.
    rate: Option<f64>,
    /// p50, p95, p99 in ms.
    p: [f64; 3],
    /// Failed calls.
    errors: u64,
}

impl Row {
    /// Writes the line.
    fn print(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let rate = self.rate.map_or(String::new(), |r| format!("{r:.1}"));
        let [p50, p95, p99] = self.p;
        writeln!(
            out,
            "{:<36} {:>7} {rate:>9} {p50:>8.2} {p95:>8.2} {p99:>8.2} {:>7}",
            self.name, self.calls, self.errors
        )
    }
}
