//! The plaintext health listener (`health_listen`): `grpc.health.v1.Health` and nothing else,
//! without TLS, for orchestrators whose probes speak neither TLS nor mTLS (Kubernetes' gRPC
//! probes). It answers from the same reporter as the mTLS port, so readiness there and here is
//! one truth; it reveals serving states only, never a case, an agency or a certificate.

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tonic::transport::Server;
use tonic_health::pb::health_server::HealthServer;
use tonic_health::server::{HealthReporter, HealthService};

/// The health service name that is `SERVING` for as long as the process serves, whatever the
/// database does: the **liveness** probe's. Readiness probes ask for `""` (the whole server),
/// which turns `NOT_SERVING` while the database does not answer and once draining begins.
pub const LIVENESS_SERVICE: &str = "liveness";

/// Serves `reporter`'s statuses on `listener`, in plaintext, until the task is aborted.
pub fn spawn(listener: TcpListener, reporter: HealthReporter) -> JoinHandle<()> {
    let addr = listener.local_addr().ok();
    let service = HealthServer::new(HealthService::from_health_reporter(reporter));
    tokio::spawn(async move {
        let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
        if let Err(err) = Server::builder()
            .add_service(service)
            .serve_with_incoming(incoming)
            .await
        {
            tracing::error!(error = %err, ?addr, "the plaintext health listener stopped");
        }
    })
}
