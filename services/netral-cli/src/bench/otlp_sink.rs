//! `netral bench otlp-sink`: an OTLP/gRPC receiver that accepts traces and metrics and only
//! counts them, for measuring what exporting costs the server (run the lifecycle bench with
//! `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at it, then without). Prints the counts every
//! second while it runs (`--for SECS` bounds it) and once more at the end.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clap::Args;
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
use tonic::{Request, Response, Status};

/// Arguments of `netral bench otlp-sink`.
#[derive(Debug, Args)]
pub struct SinkArgs {
    /// Where to listen (loopback only: this is a measuring tool).
    #[arg(long, default_value = "127.0.0.1:4317")]
    pub listen: SocketAddr,
    /// Stop after this many seconds (at most a day).
    #[arg(long = "for", value_name = "SECS", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub duration: u64,
}

/// What was received.
#[derive(Debug, Default)]
struct Counts {
    /// Spans in every trace export.
    spans: AtomicU64,
    /// Metric export requests.
    metric_exports: AtomicU64,
}

/// The services, sharing the counts.
#[derive(Debug, Clone, Default)]
struct Sink(Arc<Counts>);

#[tonic::async_trait]
impl TraceService for Sink {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let spans: usize = request
            .get_ref()
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .map(|s| s.spans.len())
            .sum();
        self.0.spans.fetch_add(spans as u64, Ordering::Relaxed);
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Sink {
    async fn export(
        &self,
        _request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        self.0.metric_exports.fetch_add(1, Ordering::Relaxed);
        Ok(Response::new(ExportMetricsServiceResponse::default()))
    }
}

/// Runs the sink until `--for` elapses or Ctrl-C.
pub async fn run(args: SinkArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.listen.ip().is_loopback(),
        "the sink listens on a loopback address only, not {}",
        args.listen
    );
    let sink = Sink::default();
    let server = tonic::transport::Server::builder()
        .add_service(TraceServiceServer::new(sink.clone()))
        .add_service(MetricsServiceServer::new(sink.clone()))
        .serve_with_shutdown(args.listen, async move {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(args.duration)) => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        });
    let report = |out: &mut dyn std::io::Write| {
        writeln!(
            out,
            "spans {} metric exports {}",
            sink.0.spans.load(Ordering::Relaxed),
            sink.0.metric_exports.load(Ordering::Relaxed)
        )
    };
    tokio::pin!(server);
    let mut every = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            served = &mut server => {
                served?;
                break;
            }
            _ = every.tick() => {
                report(out)?;
                out.flush()?;
            }
        }
    }
    report(out)?;
    Ok(())
}
