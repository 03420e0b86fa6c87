//! A netral server for crash tests: the real [`Application`] with the test settings, in a
//! process of its own so a test can kill it with SIGKILL mid-write and start it again on the
//! same data. Reads its data directory from `NETRAL_CRASH_DATA_DIR` and, when set, its
//! database from `NETRAL_CRASH_DATABASE_URL` (SQLite in the data directory otherwise), and
//! from `NETRAL_CRASH_NOW` (RFC 3339) a clock standing still at that instant (the system
//! clock otherwise), so several processes agree on the date the fixtures were written for;
//! listens on 127.0.0.1 on a free port and writes that address to `<data dir>/addr` once it
//! accepts calls.

use std::path::PathBuf;
use std::process::ExitCode;

use netral_server::clock::Clock;
use netral_server::settings::Settings;
use netral_server::startup::Application;

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
    let clock = match std::env::var("NETRAL_CRASH_NOW") {
        Ok(now) => Clock::manual(now.parse()?),
        Err(_) => Clock::system(),
    };
    let app = Application::build_with_clock(settings, clock).await?;
    let addr_file = data_dir.join("addr");
    let partial = data_dir.join("addr.partial");
    std::fs::write(&partial, app.local_addr().to_string())?;
    std::fs::rename(partial, addr_file)?;
    app.run_until(std::future::pending()).await?;
    Ok(())
}
