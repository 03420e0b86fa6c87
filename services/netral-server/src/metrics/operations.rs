//! The operations gauges beside the inbox's: cases by state (`netral.cases`, per
//! `netral.state`), open deadlines past due (`netral.deadlines.overdue`), audit events
//! waiting for the sequencer (`netral.audit.unsequenced`: the sequencer's lag), the steps per
//! group commit (`netral.store.batch_size`, a histogram the writer lanes record into), and
//! what became of finished spans (`netral.telemetry.spans_exported`, `…_dropped`,
//! `…_failed`: a collector that is down shows here, never in call latency).

use std::sync::{Arc, Mutex};

use netral_store::{Gauges, Store};
use opentelemetry::KeyValue;
use opentelemetry::metrics::{Meter, ObservableCounter, ObservableGauge};

use super::lock;
use crate::telemetry::span_counts;

/// One gauge's data points: a value and its attributes each.
type Points = Vec<(u64, Vec<KeyValue>)>;

/// The instruments kept alive so their callbacks stay registered.
pub(super) struct Operations {
    /// `netral.cases`, `netral.deadlines.overdue`, `netral.audit.unsequenced`.
    _gauges: Vec<ObservableGauge<u64>>,
    /// The span counters.
    _spans: Vec<ObservableCounter<u64>>,
}

/// Registers the instruments on `meter`, reading `latest` (refreshed with the inbox
/// backlogs) and the process's span counts; the store's lanes report batch sizes.
pub(super) fn register(meter: &Meter, latest: &Arc<Mutex<Gauges>>, store: &Store) -> Operations {
    store.report_batch_sizes_to(
        meter
            .u64_histogram("netral.store.batch_size")
            .with_description("Steps committed together by one group commit")
            .with_unit("{step}")
            .with_boundaries(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0])
            .build(),
    );
    let gauge = |name: &'static str, description: &'static str, read: fn(&Gauges, &mut Points)| {
        let latest = latest.clone();
        meter
            .u64_observable_gauge(name)
            .with_description(description)
            .with_callback(move |observer| {
                let mut points = Vec::new();
                read(&lock(&latest), &mut points);
                for (value, attributes) in points {
                    observer.observe(value, &attributes);
                }
            })
            .build()
    };
    let cases = gauge("netral.cases", "Cases per state", |g, points| {
        for (state, count) in &g.cases_by_state {
            points.push((*count, vec![KeyValue::new("netral.state", state.clone())]));
        }
    });
    let overdue = gauge(
        "netral.deadlines.overdue",
        "Open deadlines whose due date has passed",
        |g, points| points.push((g.overdue_deadlines, Vec::new())),
    );
    let unsequenced = gauge(
        "netral.audit.unsequenced",
        "Audit events committed and not yet sequenced into the log (the sequencer's lag)",
        |g, points| points.push((g.audit_waiting, Vec::new())),
    );
    let spans = |name: &'static str, description: &'static str, read: fn() -> u64| {
        meter
            .u64_observable_counter(name)
            .with_description(description)
            .with_unit("{span}")
            .with_callback(move |observer| observer.observe(read(), &[]))
            .build()
    };
    Operations {
        _gauges: vec![cases, overdue, unsequenced],
        _spans: vec![
            spans(
                "netral.telemetry.spans_exported",
                "Finished spans delivered to the collector",
                || span_counts().exported,
            ),
            spans(
                "netral.telemetry.spans_dropped",
                "Finished spans dropped because too many waited for the collector",
                || span_counts().dropped,
            ),
            spans(
                "netral.telemetry.spans_failed",
                "Finished spans the collector did not accept",
                || span_counts().failed,
            ),
        ],
    }
}
