//! The per-call instruments the identity layer records into ([`crate::grpc::rpc_span`]):
//! `netral.rpc.server.duration`, a histogram of call durations in seconds by service,
//! method, the caller's agency kind (its first role) and gRPC status code. Its count is the
//! number of calls.

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Histogram, Meter};

/// Bucket bounds in seconds: from a cached read (≈ 1 ms) to a slow group commit on a busy
/// PostgreSQL, and long-lived streams at the top.
const BOUNDS: [f64; 14] = [
    0.001, 0.002, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0,
];

/// Records call durations. Cheap to clone.
#[derive(Clone, Debug)]
pub struct RpcInstruments {
    /// `netral.rpc.server.duration`.
    duration: Histogram<f64>,
}

impl RpcInstruments {
    /// The instruments of `meter`.
    pub(super) fn new(meter: &Meter) -> Self {
        Self {
            duration: meter
                .f64_histogram("netral.rpc.server.duration")
                .with_description(
                    "Duration of gRPC calls served, by method, agency kind and status",
                )
                .with_unit("s")
                .with_boundaries(BOUNDS.to_vec())
                .build(),
        }
    }

    /// Instruments that record into a provider without a reader: for tests of the layer.
    pub fn unrecorded() -> Self {
        use opentelemetry::metrics::MeterProvider as _;
        let provider = opentelemetry_sdk::metrics::SdkMeterProvider::builder().build();
        Self::new(&provider.meter("netral-server"))
    }

    /// Records one call of `service`/`method` by an agency of `agency_kind`, ended with gRPC
    /// status `code` after `elapsed`.
    pub fn record(
        &self,
        service: &str,
        method: &str,
        agency_kind: &'static str,
        code: i32,
        elapsed: Duration,
    ) {
        self.duration.record(
            elapsed.as_secs_f64(),
            &[
                KeyValue::new("rpc.system", "grpc"),
                KeyValue::new("rpc.service", service.to_owned()),
                KeyValue::new("rpc.method", method.to_owned()),
                KeyValue::new("netral.agency_kind", agency_kind),
                KeyValue::new("rpc.grpc.status_code", i64::from(code)),
            ],
        );
    }
}
