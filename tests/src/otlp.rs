//! A real OTLP/gRPC receiver on `127.0.0.1:0` (the metrics and trace collector services of
//! `opentelemetry-proto`): the server under test exports to it as to any collector, and the
//! test reads back the latest value of a metric, or every span received.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::metrics::v1::number_data_point;
use tokio::net::TcpListener;
use tonic::{Request, Response, Status};

/// Every export received, oldest first.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<ExportMetricsServiceRequest>>>);

#[tonic::async_trait]
impl MetricsService for Received {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        self.0.lock().unwrap().push(request.into_inner());
        Ok(Response::new(ExportMetricsServiceResponse::default()))
    }
}

/// Every trace export received, oldest first.
#[derive(Clone, Default)]
struct Traces(Arc<Mutex<Vec<ExportTraceServiceRequest>>>);

#[tonic::async_trait]
impl TraceService for Traces {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        self.0.lock().unwrap().push(request.into_inner());
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

/// One span as received, in the terms the tests ask about (ids in lower-case hex).
#[derive(Debug, Clone)]
pub struct ReceivedSpan {
    /// Its trace.
    pub trace_id: String,
    /// Its own id.
    pub span_id: String,
    /// Its parent's id; empty for a root.
    pub parent_span_id: String,
    /// Its name (`netral.v1.CaseService/ForwardCase`, `transaction`, …).
    pub name: String,
    /// Its string and integer attributes, as text.
    pub attributes: Vec<(String, String)>,
    /// The `(trace id, span id)` of every span it links to.
    pub links: Vec<(String, String)>,
}

impl ReceivedSpan {
    /// The attribute `key`, if set.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The receiver; stops when dropped.
pub struct OtlpReceiver {
    /// Where it listens: give `http://{addr}` to the exporter.
    pub addr: SocketAddr,
    received: Received,
    traces: Traces,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl OtlpReceiver {
    /// Starts listening on a free loopback port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Received::default();
        let traces = Traces::default();
        let metrics = MetricsServiceServer::new(received.clone());
        let trace = TraceServiceServer::new(traces.clone());
        let task = tokio::spawn(async move {
            let incoming = tonic::transport::server::TcpIncoming::from(listener);
            let _ = tonic::transport::Server::builder()
                .add_service(metrics)
                .add_service(trace)
                .serve_with_incoming(incoming)
                .await;
        });
        Self {
            addr,
            received,
            traces,
            task,
        }
    }

    /// The endpoint to configure the exporter with.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The latest exported value of `metric` whose attributes include every `(key, value)`
    /// of `attributes` (a sum's or a gauge's data point, as `f64`); `None` before any.
    pub fn latest(&self, metric: &str, attributes: &[(&str, &str)]) -> Option<f64> {
        let received = self.received.0.lock().unwrap();
        let mut latest = None;
        for request in received.iter() {
            let metrics = request
                .resource_metrics
                .iter()
                .flat_map(|r| &r.scope_metrics)
                .flat_map(|s| &s.metrics)
                .filter(|m| m.name == metric);
            for found in metrics {
                let points = match &found.data {
                    Some(Data::Gauge(g)) => &g.data_points,
                    Some(Data::Sum(s)) => &s.data_points,
                    _ => continue,
                };
                for point in points {
                    let matches = attributes.iter().all(|(key, value)| {
                        point.attributes.iter().any(|kv| {
                            kv.key == *key
                                && matches!(
                                    kv.value.as_ref().and_then(|v| v.value.as_ref()),
                                    Some(Value::StringValue(s)) if s == value
                                )
                        })
                    });
                    if matches {
                        latest = match point.value {
                            Some(number_data_point::Value::AsDouble(v)) => Some(v),
                            Some(number_data_point::Value::AsInt(v)) => Some(v as f64),
                            None => latest,
                        };
                    }
                }
            }
        }
        latest
    }

    /// The resource attribute `key` of the latest export.
    pub fn resource_attribute(&self, key: &str) -> Option<String> {
        let received = self.received.0.lock().unwrap();
        let resource = received
            .last()?
            .resource_metrics
            .first()?
            .resource
            .as_ref()?;
        resource
            .attributes
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                Value::StringValue(s) => Some(s.clone()),
                _ => None,
            })
    }
}

impl OtlpReceiver {
    /// Every span received so far.
    pub fn spans(&self) -> Vec<ReceivedSpan> {
        let text = |v: &Option<opentelemetry_proto::tonic::common::v1::AnyValue>| match v
            .as_ref()
            .and_then(|v| v.value.as_ref())
        {
            Some(Value::StringValue(s)) => s.clone(),
            Some(Value::IntValue(i)) => i.to_string(),
            Some(Value::BoolValue(b)) => b.to_string(),
            Some(Value::DoubleValue(d)) => d.to_string(),
            _ => String::new(),
        };
        let received = self.traces.0.lock().unwrap();
        received
            .iter()
            .flat_map(|r| &r.resource_spans)
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| &s.spans)
            .map(|span| ReceivedSpan {
                trace_id: hex::encode(&span.trace_id),
                span_id: hex::encode(&span.span_id),
                parent_span_id: hex::encode(&span.parent_span_id),
                name: span.name.clone(),
                attributes: span
                    .attributes
                    .iter()
                    .map(|kv| (kv.key.clone(), text(&kv.value)))
                    .collect(),
                links: span
                    .links
                    .iter()
                    .map(|l| (hex::encode(&l.trace_id), hex::encode(&l.span_id)))
                    .collect(),
            })
            .collect()
    }

    /// Everything received (traces and metrics) as text, for searching it for data that
    /// must never be there.
    pub fn everything_as_text(&self) -> String {
        format!(
            "{:?}\n{:?}",
            self.traces.0.lock().unwrap(),
            self.received.0.lock().unwrap()
        )
    }
}
