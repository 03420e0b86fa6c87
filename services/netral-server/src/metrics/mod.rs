//! The operator's metrics, exported by OTLP/gRPC to a collector when one is configured
//! (`[telemetry] otlp_endpoint`, else `OTEL_EXPORTER_OTLP_ENDPOINT`) and recorded nowhere
//! otherwise. Attributes name agencies, methods and states only (ids, never people): no
//! personal data ever reaches a metric. The full list is in `docs/TRACING.md`.
//!
//! | metric | what |
//! |---|---|
//! | `netral.rpc.server.duration` | call durations by method, agency kind and status ([`rpc`]) |
//! | `netral.inbox.unacknowledged` | messages an agency has not acknowledged (gauge, per `netral.agency`) |
//! | `netral.inbox.oldest_unacknowledged_age` | seconds since its oldest unacknowledged message (gauge, per agency): an agency that stopped reading grows here |
//! | `netral.inbox.streams` | open `WatchInbox` streams on this replica (gauge) |
//! | `netral.audit.self_checks` | audit log self-checks run (counter, `netral.outcome` = `clean` or `altered`) |
//! | `netral.audit.self_check.findings` | discrepancies self-checks found between the stored log and its signed checkpoints (counter): alert on any increase |
//! | `netral.cases`, `netral.deadlines.overdue`, `netral.audit.unsequenced`, `netral.store.batch_size`, `netral.telemetry.spans_*` | see [`operations`] |

mod operations;
mod rpc;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use netral_store::{InboxBacklog, Store};
use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Meter, MeterProvider as _, ObservableGauge};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::settings::TelemetrySettings;

pub use rpc::RpcInstruments;

/// The variable naming the collector when `[telemetry] otlp_endpoint` is unset.
pub const OTLP_ENDPOINT_VAR: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";

/// How long one export may take.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// The server's instruments and their exporter. Cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    /// The provider: exporting when an endpoint is configured, otherwise without a reader.
    provider: SdkMeterProvider,
    /// Every agency's inbox backlog as last read, for the gauges' callbacks.
    backlogs: Arc<Mutex<Vec<Backlog>>>,
    /// The operations counts as last read, for their gauges' callbacks.
    operations: Arc<Mutex<netral_store::Gauges>>,
    /// The operations instruments, kept so their callbacks stay registered.
    _operations: Arc<operations::Operations>,
    /// Self-checks run.
    self_checks: Counter<u64>,
    /// Discrepancies found.
    findings: Counter<u64>,
    /// The observable gauges, kept so their callbacks stay registered.
    _gauges: Arc<Vec<ObservableGauge<f64>>>,
    /// Whether anything is exported: without a collector nothing reads the backlogs.
    exporting: bool,
    /// Call durations, recorded by the identity layer.
    rpc: RpcInstruments,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// Why the metrics could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot export metrics to {endpoint}: {reason}")]
pub struct MetricsError {
    /// The collector's address.
    endpoint: String,
    /// What went wrong.
    reason: String,
}

impl Metrics {
    /// The instruments, exporting to the configured collector every `export_interval_ms`.
    /// Must be called inside the tokio runtime (the exporter's channel lives on it).
    pub fn start(
        settings: &TelemetrySettings,
        store: &Store,
        clock: &Clock,
    ) -> Result<Self, MetricsError> {
        let mut builder = SdkMeterProvider::builder().with_resource(resource(settings));
        if let Some(endpoint) = settings.otlp_endpoint() {
            let failed = |e: &dyn std::fmt::Display| MetricsError {
                endpoint: endpoint.clone(),
                reason: e.to_string(),
            };
            let exporter = opentelemetry_otlp::MetricExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint.clone())
                .with_timeout(EXPORT_TIMEOUT)
                .build()
                .map_err(|e| failed(&e))?;
            let reader = PeriodicReader::builder(exporter)
                .with_interval(settings.export_interval())
                .build();
            builder = builder.with_reader(reader);
            tracing::info!(%endpoint, "exporting metrics by OTLP");
        }
        let exporting = settings.otlp_endpoint().is_some();
        let provider = builder.build();
        Ok(Self {
            exporting,
            ..Self::with_provider(provider, store, clock)
        })
    }

    fn with_provider(provider: SdkMeterProvider, store: &Store, clock: &Clock) -> Self {
        let meter: Meter = provider.meter("netral-server");
        let backlogs: Arc<Mutex<Vec<Backlog>>> = Arc::default();
        let waiting = {
            let backlogs = backlogs.clone();
            meter
                .f64_observable_gauge("netral.inbox.unacknowledged")
                .with_description("Inbox messages the agency has not acknowledged")
                .with_unit("{message}")
                .with_callback(move |observer| {
                    for backlog in lock(&backlogs).iter() {
                        let agency = KeyValue::new("netral.agency", backlog.agency.clone());
                        observer.observe(backlog.waiting as f64, &[agency]);
                    }
                })
                .build()
        };
        let age = {
            let (backlogs, clock) = (backlogs.clone(), clock.clone());
            meter
                .f64_observable_gauge("netral.inbox.oldest_unacknowledged_age")
                .with_description("Seconds since the agency's oldest unacknowledged message")
                .with_unit("s")
                .with_callback(move |observer| {
                    let now = clock.now();
                    for backlog in lock(&backlogs).iter() {
                        let age = backlog.oldest.map_or(0.0, |oldest| {
                            (now - oldest).num_milliseconds().max(0) as f64 / 1000.0
                        });
                        let agency = KeyValue::new("netral.agency", backlog.agency.clone());
                        observer.observe(age, &[agency]);
                    }
                })
                .build()
        };
        let streams = {
            let store = store.clone();
            meter
                .f64_observable_gauge("netral.inbox.streams")
                .with_description("Open WatchInbox streams on this replica")
                .with_unit("{stream}")
                .with_callback(move |observer| {
                    observer.observe(store.inbox_signals().streams() as f64, &[]);
                })
                .build()
        };
        let latest = Arc::default();
        Self {
            _operations: Arc::new(operations::register(&meter, &latest, store)),
            operations: latest,
            rpc: RpcInstruments::new(&meter),
            self_checks: meter
                .u64_counter("netral.audit.self_checks")
                .with_description("Audit log self-checks run")
                .build(),
            findings: meter
                .u64_counter("netral.audit.self_check.findings")
                .with_description(
                    "Discrepancies between the stored audit log and its signed checkpoints",
                )
                .build(),
            provider,
            backlogs,
            _gauges: Arc::new(vec![waiting, age, streams]),
            exporting: false,
        }
    }

    /// The per-call instruments, for the identity layer.
    pub fn rpc(&self) -> RpcInstruments {
        self.rpc.clone()
    }

    /// Records a self-check of the audit log that found `findings` discrepancies.
    pub fn audit_self_check(&self, findings: usize) {
        let outcome = if findings == 0 { "clean" } else { "altered" };
        self.self_checks
            .add(1, &[KeyValue::new("netral.outcome", outcome)]);
        self.findings.add(findings as u64, &[]);
    }

    /// Reads every agency's inbox backlog and the operations counts (as of `clock`'s day)
    /// now and every `period`, for the gauges, when the metrics are exported (the reads scan
    /// every unacknowledged message and count cases and deadlines). Runs until aborted.
    pub fn spawn_backlog_refresh(
        &self,
        store: Store,
        clock: Clock,
        period: Duration,
    ) -> Option<JoinHandle<()>> {
        if !self.exporting {
            return None;
        }
        let backlogs = self.backlogs.clone();
        let operations = self.operations.clone();
        Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match store.inbox_backlogs().await {
                    Ok(read) => {
                        let mut backlogs = lock(&backlogs);
                        *backlogs = Backlog::merge(&backlogs, read);
                    }
                    Err(err) => tracing::warn!(error = %err, "inbox backlogs could not be read"),
                }
                match store.gauges(Clock::date_of(clock.now())).await {
                    Ok(read) => *lock(&operations) = read,
                    Err(err) => tracing::warn!(error = %err, "operations counts could not be read"),
                }
            }
        }))
    }

    /// Exports what is pending and stops the exporter. Its flush blocks, so it runs on a
    /// blocking thread (on the runtime it would stall the tonic channel it exports through).
    pub async fn shutdown(self) {
        let provider = self.provider.clone();
        let flushed = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        if let Ok(Err(err)) = flushed {
            tracing::debug!(error = %err, "metrics shutdown");
        }
    }
}

/// One agency's backlog as the gauges report it.
#[derive(Debug, Clone, PartialEq)]
struct Backlog {
    /// The agency's id.
    agency: String,
    /// Unacknowledged messages.
    waiting: i64,
    /// When the oldest of them was created; `None` when there is none.
    oldest: Option<chrono::DateTime<chrono::Utc>>,
}

impl Backlog {
    /// The backlogs just `read`, plus a zero for every agency reported before that has none
    /// left (so its gauges fall to 0 instead of keeping their last value).
    fn merge(before: &[Backlog], read: Vec<InboxBacklog>) -> Vec<Backlog> {
        let mut next: Vec<Backlog> = read
            .into_iter()
            .map(|b| Backlog {
                agency: b.agency,
                waiting: b.unacknowledged,
                oldest: Some(b.oldest),
            })
            .collect();
        for old in before {
            if !next.iter().any(|b| b.agency == old.agency) {
                next.push(Backlog {
                    agency: old.agency.clone(),
                    waiting: 0,
                    oldest: None,
                });
            }
        }
        next
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Who is exporting: the service, its version and this replica.
pub(crate) fn resource(settings: &TelemetrySettings) -> Resource {
    Resource::builder()
        .with_service_name("netral-server")
        .with_attributes([
            KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
            KeyValue::new("service.instance.id", settings.instance_id()),
        ])
        .build()
}
