//! A real OTLP/gRPC metrics receiver on `127.0.0.1:0` (the collector service of
//! `opentelemetry-proto`): the server under test exports to it as to any collector, and the
//! test reads back the latest value of a metric.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
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

/// The receiver; stops when dropped.
pub struct OtlpReceiver {
    /// Where it listens: give `http://{addr}` to the exporter.
    pub addr: SocketAddr,
    received: Received,
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
        let service = MetricsServiceServer::new(received.clone());
        let task = tokio::spawn(async move {
            let incoming = tonic::transport::server::TcpIncoming::from(listener);
            let _ = tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(incoming)
                .await;
        });
        Self {
            addr,
            received,
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
