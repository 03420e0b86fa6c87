//! Logging set-up: `tracing` to stderr, filtered by `RUST_LOG` (default `info`), as JSON when
//! `NETRAL_LOG_FORMAT=json`. Personal data (NIP, NIK, names) is never put in a span or event
//! field anywhere in the server; ids in logs are case ids and agency ids only.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls do nothing (tests call it per app).
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("NETRAL_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
