//! A netral server for process tests: the real [`Application`] with the test settings, in a
//! process of its own so a test can kill it with SIGKILL mid-write and start it again on the
//! same data, or stop it with SIGTERM (it drains, then flushes its telemetry). Reads its data
//! directory from `NETRAL_CRASH_DATA_DIR` and, when set, its database from
//! `NETRAL_CRASH_DATABASE_URL` (SQLite in the data directory otherwise); listens on
//! 127.0.0.1 on a free port and writes that address to `<data dir>/addr` once it accepts
//! calls.
//!
//! With `NETRAL_CRASH_NOW` (RFC 3339) its clock stands still at that instant (the system
//! clock otherwise), so several processes agree on the date the fixtures were written for;
//! with `NETRAL_CRASH_DEADLINES` set too, the deadline engine runs and scans at start, so a
//! test can play a case's weeks by restarting it later.
//! With `OTEL_EXPORTER_OTLP_ENDPOINT` it exports traces and metrics there every 100 ms,
//! holding at most `NETRAL_CRASH_TRACE_QUEUE` finished spans (4,096 by default).

use std::path::PathBuf;
use std::process::ExitCode;

use netral_server::clock::Clock;
use netral_server::settings::Settings;
use netral_server::startup::Application;
use netral_server::telemetry;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("netral-crash-server: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let data_dir = PathBuf::from(std::env::var("NETRAL_CRASH_DATA_DIR")?);
    let mut settings = Settings::for_test();
    settings.data_dir = data_dir.clone();
    settings.database.url = std::env::var("NETRAL_CRASH_DATABASE_URL").ok();
    settings.database.max_connections = 5;
    settings.telemetry.trace_export_interval_ms = 100;
    settings.telemetry.export_interval_ms = 100;
    settings.telemetry.backlog_interval_ms = 100;
    if let Ok(queue) = std::env::var("NETRAL_CRASH_TRACE_QUEUE") {
        settings.telemetry.trace_queue_spans = queue.parse()?;
    }
    let clock = match std::env::var("NETRAL_CRASH_NOW") {
        Ok(now) => Clock::manual(now.parse()?),
        Err(_) => Clock::system(),
    };
    settings.deadlines.enabled = std::env::var_os("NETRAL_CRASH_DEADLINES").is_some();
    let telemetry = telemetry::init(&settings.telemetry)?;
    let app = Application::build_with_clock(settings, clock).await?;
    let addr_file = data_dir.join("addr");
    let partial = data_dir.join("addr.partial");
    std::fs::write(&partial, app.local_addr().to_string())?;
    std::fs::rename(partial, addr_file)?;
    let terminated = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    let served = app.run_until(terminated).await;
    telemetry.shutdown().await;
    Ok(served?)
}
