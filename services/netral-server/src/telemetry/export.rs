//! The trace pipeline behind the OpenTelemetry layer: the tracer provider, and when a
//! collector is configured, the OTLP/gRPC exporter behind a batch processor with a hard bound.
//!
//! A collector that is down or slow must never slow a call. The SDK's batch processor already
//! queues on a thread of its own, but it neither says how many spans it dropped nor lets one
//! bound the spans waiting *and* being exported; so [`Bounded`] counts every span handed to
//! it until the exporter is done with it ([`Counted`]), refuses new ones past
//! `trace_queue_spans` without waiting, and counts what it refused
//! (`netral.telemetry.spans_dropped`) and what the collector did not take
//! (`netral.telemetry.spans_failed`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use opentelemetry::Context;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider, Span, SpanData, SpanExporter,
    SpanProcessor,
};

use crate::settings::TelemetrySettings;

/// How long one export may take before it counts as failed.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// Most spans in one export request.
const EXPORT_BATCH: usize = 512;

/// Spans refused because `trace_queue_spans` were already waiting (process-wide: there is one
/// tracer provider per process).
static DROPPED: AtomicU64 = AtomicU64::new(0);
/// Spans the collector did not accept (unreachable, too slow, refused).
static FAILED: AtomicU64 = AtomicU64::new(0);
/// Spans exported.
static EXPORTED: AtomicU64 = AtomicU64::new(0);

/// What happened to the finished spans of this process so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpanCounts {
    /// Delivered to the collector.
    pub exported: u64,
    /// Dropped because the queue was full.
    pub dropped: u64,
    /// Handed to the collector and not accepted.
    pub failed: u64,
}

/// The counts so far.
pub fn span_counts() -> SpanCounts {
    SpanCounts {
        exported: EXPORTED.load(Ordering::Relaxed),
        dropped: DROPPED.load(Ordering::Relaxed),
        failed: FAILED.load(Ordering::Relaxed),
    }
}

/// The tracer provider for `settings`: exporting when a collector is configured (then
/// `Err((endpoint, reason))` if its exporter cannot be built), recording context only
/// otherwise.
pub(super) fn provider(
    settings: &TelemetrySettings,
) -> Result<SdkTracerProvider, (String, String)> {
    let builder = SdkTracerProvider::builder().with_resource(crate::metrics::resource(settings));
    let Some(endpoint) = settings.otlp_endpoint() else {
        return Ok(builder.build());
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint.clone())
        .with_timeout(EXPORT_TIMEOUT)
        .build()
        .map_err(|e| (endpoint, e.to_string()))?;
    Ok(builder
        .with_span_processor(Bounded::new(exporter, settings))
        .build())
}

/// A batch processor that holds at most `limit` spans, dropping (and counting) the rest.
#[derive(Debug)]
pub(super) struct Bounded {
    /// The SDK's batch processor, given a queue larger than `limit` so it never drops itself.
    inner: BatchSpanProcessor,
    /// Spans handed to `inner` whose export has not ended yet.
    pending: Arc<AtomicUsize>,
    /// Most spans pending at once.
    limit: usize,
}

impl Bounded {
    /// Exports through `exporter` every `trace_export_interval_ms`, holding at most
    /// `trace_queue_spans`.
    pub(super) fn new<E: SpanExporter + 'static>(
        exporter: E,
        settings: &TelemetrySettings,
    ) -> Self {
        let limit = settings.trace_queue_spans.max(1);
        let pending = Arc::new(AtomicUsize::new(0));
        let config = BatchConfigBuilder::default()
            .with_max_queue_size(limit + 1)
            .with_max_export_batch_size(EXPORT_BATCH.min(limit))
            .with_scheduled_delay(settings.trace_export_interval())
            .build();
        let exporter = Counted {
            inner: exporter,
            pending: pending.clone(),
        };
        Self {
            inner: BatchSpanProcessor::builder(exporter)
                .with_batch_config(config)
                .build(),
            pending,
            limit,
        }
    }
}

impl SpanProcessor for Bounded {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        self.inner.on_start(span, cx);
    }

    fn on_end(&self, span: SpanData) {
        if self.pending.fetch_add(1, Ordering::AcqRel) >= self.limit {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            DROPPED.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.inner.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        self.inner.set_resource(resource);
    }
}

/// An exporter that tells [`Bounded`] when its spans are done with, and counts the outcome.
#[derive(Debug)]
struct Counted<E> {
    /// The OTLP exporter.
    inner: E,
    /// [`Bounded::pending`].
    pending: Arc<AtomicUsize>,
}

impl<E: SpanExporter> SpanExporter for Counted<E> {
    fn export(
        &self,
        batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        let spans = batch.len();
        let export = self.inner.export(batch);
        let pending = self.pending.clone();
        async move {
            let result = export.await;
            pending.fetch_sub(spans, Ordering::AcqRel);
            let counter = if result.is_ok() { &EXPORTED } else { &FAILED };
            counter.fetch_add(spans as u64, Ordering::Relaxed);
            result
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        self.inner.set_resource(resource);
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};

    use super::*;

    /// An exporter whose exports do not end until the test closes `release`: a collector
    /// that accepted the connection and never answers.
    #[derive(Debug)]
    struct Stuck {
        /// Closed at the end of the test, ending every export.
        release: Arc<tokio::sync::Semaphore>,
    }

    impl SpanExporter for Stuck {
        fn export(
            &self,
            _batch: Vec<SpanData>,
        ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
            let release = self.release.clone();
            async move {
                let _ = release.acquire().await;
                Ok(())
            }
        }
    }

    #[test]
    fn a_stuck_collector_costs_dropped_spans_never_a_wait() {
        let settings = TelemetrySettings {
            trace_queue_spans: 8,
            trace_export_interval_ms: 1,
            ..TelemetrySettings::default()
        };
        let before = span_counts().dropped;
        let release = Arc::new(tokio::sync::Semaphore::new(0));
        let stuck = Stuck {
            release: release.clone(),
        };
        let provider = SdkTracerProvider::builder()
            .with_span_processor(Bounded::new(stuck, &settings))
            .build();
        let tracer = provider.tracer("test");
        // Each span ends at once: `end` never waits for the stuck export, so this loop ends
        // (a blocking processor would hang the test instead).
        for _ in 0..200 {
            tracer.start("call").end();
        }
        let dropped = span_counts().dropped - before;
        assert!(
            (192..=200).contains(&dropped),
            "at most 8 spans wait for a stuck collector, the rest are counted as dropped: {dropped}"
        );
        release.close();
        drop(provider);
    }
}
