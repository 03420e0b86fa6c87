//! Logs and traces. [`init`] installs the process's one `tracing` subscriber: log lines on
//! standard error (text on a terminal, JSON otherwise), filtered by `RUST_LOG` (default
//! `info`), and an OpenTelemetry layer that turns the server's spans into OpenTelemetry
//! spans, exported by OTLP/gRPC when a collector is configured
//! (`[telemetry] otlp_endpoint` or `OTEL_EXPORTER_OTLP_ENDPOINT`).
//!
//! The OpenTelemetry layer is there whether or not anything is exported: every step's trace
//! context (stored with its case event, audit event and inbox messages, see [`context`]) is
//! then a real one, continuing the caller's trace, and a collector switched on later sees the
//! links to cases registered before.
//!
//! Personal data (NIP, NIK, names) is never put in a span, a span attribute or an event
//! field anywhere in the server: ids in logs and traces are case ids and agency ids only.
//! Database statement logging (`sea_orm`, `sqlx`) would print bound values, so it stays off
//! whatever `RUST_LOG` says.

pub mod context;
mod export;

use std::io::IsTerminal;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::settings::{LogFormat, TelemetrySettings};

pub use export::{SpanCounts, span_counts};

/// Directives added to every filter: statement logging would print bound values (personal
/// data among them), and the exporter's own client must not trace its exports.
const ALWAYS: [&str; 6] = [
    "sea_orm=warn",
    "sea_orm_migration=warn",
    "sqlx=warn",
    "opentelemetry=warn",
    "opentelemetry_sdk=warn",
    "opentelemetry_otlp=warn",
];

/// The variable that overrides `[telemetry] log_format` (`text` or `json`).
pub const LOG_FORMAT_VAR: &str = "NETRAL_LOG_FORMAT";

/// The installed pipeline; [`Telemetry::shutdown`] flushes what is pending.
#[derive(Debug, Default)]
pub struct Telemetry {
    /// The tracer provider behind the OpenTelemetry layer, when this call installed one.
    provider: Option<SdkTracerProvider>,
}

/// Why telemetry could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot export traces to {endpoint}: {reason}")]
pub struct TelemetryError {
    /// The collector's address.
    endpoint: String,
    /// What went wrong.
    reason: String,
}

/// Installs the subscriber for this process. The first call wins; later ones (tests start
/// many servers in one process) change nothing and return an empty [`Telemetry`]. Must run
/// inside the tokio runtime when an endpoint is configured (the exporter's channel lives on
/// it).
pub fn init(settings: &TelemetrySettings) -> Result<Telemetry, TelemetryError> {
    let provider = export::provider(settings)
        .map_err(|(endpoint, reason)| TelemetryError { endpoint, reason })?;
    let tracer = provider.tracer("netral-server");
    let traces = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_threads(false)
        .with_location(false)
        .with_filter(trace_filter());
    let json = match std::env::var(LOG_FORMAT_VAR).as_deref() {
        Ok("json") => true,
        Ok("text") => false,
        _ => match settings.log_format {
            LogFormat::Json => true,
            LogFormat::Text => false,
            LogFormat::Auto => !std::io::stderr().is_terminal(),
        },
    };
    let logs = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let logs = if json {
        logs.json().with_filter(log_filter()).boxed()
    } else {
        logs.with_filter(log_filter()).boxed()
    };
    let installed = tracing_subscriber::registry()
        .with(traces)
        .with(logs)
        .try_init()
        .is_ok();
    if installed && settings.otlp_endpoint().is_some() {
        tracing::info!("exporting traces by OTLP");
    }
    Ok(Telemetry {
        provider: installed.then_some(provider),
    })
}

/// Installs logs only, at `RUST_LOG` (default `info`), for tests that start servers in this
/// process; a later [`init`] changes nothing.
pub fn init_for_tests() {
    let _ = init(
        &TelemetrySettings {
            log_format: LogFormat::Text,
            ..TelemetrySettings::default()
        }
        .without_export(),
    );
}

impl Telemetry {
    /// Exports the spans still queued and stops the exporter. Its flush blocks, so it runs on
    /// a blocking thread (on the runtime it would stall the channel it exports through).
    pub async fn shutdown(self) {
        let Some(provider) = self.provider else {
            return;
        };
        let flushed = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        if let Ok(Err(err)) = flushed {
            tracing::debug!(error = %err, "trace exporter shutdown");
        }
        let counts = span_counts();
        if counts.dropped > 0 || counts.failed > 0 {
            tracing::warn!(
                dropped = counts.dropped,
                failed = counts.failed,
                "spans were not delivered to the collector"
            );
        }
    }
}

/// The log lines' filter: `RUST_LOG`, else `info`, with the [`ALWAYS`] directives on top.
fn log_filter() -> EnvFilter {
    always(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
}

/// The spans' filter: `info`, whatever `RUST_LOG` says, so that every call has its span and
/// its trace context even when the log is quiet.
fn trace_filter() -> EnvFilter {
    always(EnvFilter::new("info"))
}

/// `filter` with the [`ALWAYS`] directives on top.
fn always(mut filter: EnvFilter) -> EnvFilter {
    for directive in ALWAYS {
        if let Ok(directive) = directive.parse() {
            filter = filter.add_directive(directive);
        }
    }
    filter
}
