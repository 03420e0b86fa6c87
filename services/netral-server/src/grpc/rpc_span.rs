//! One server span per call, opened by the identity layer ([`super::identify`]) in front of
//! every service, health included, and ended when the call's last frame is sent: named
//! `<service>/<method>`, with OpenTelemetry's RPC attributes (`rpc.system`, `rpc.service`,
//! `rpc.method`, `rpc.grpc.status_code`), the calling agency (`netral.agency`), the case
//! (`netral.case`, recorded by the handlers) and the refusal's reason (`netral.reason`,
//! recorded where an error becomes a status). Its parent is the caller's span when the call
//! carried a W3C `traceparent`. The call's duration goes to the
//! `netral.rpc.server.duration` histogram, by method, agency kind and status code.
//!
//! Never a personal datum in a field: agency ids, case names and reason codes only.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http_body::{Body, Frame, SizeHint};
use tonic::body::Body as GrpcBody;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::directory::DirectoryEntry;
use crate::metrics::RpcInstruments;
use crate::telemetry::context;

/// One call in flight: its span and what its duration is recorded under.
pub struct RpcCall {
    /// The server span; handlers see it as [`tracing::Span::current`].
    span: tracing::Span,
    /// When the call arrived.
    started: Instant,
    /// `netral.v1.CaseService`.
    service: Arc<str>,
    /// `ForwardCase`.
    method: Arc<str>,
    /// The roles the caller holds (`BAWASLU`, `EXAMINER+PERSONNEL_REGISTRY`), once known.
    agency_kind: &'static str,
    /// Where the duration goes.
    instruments: RpcInstruments,
}

impl RpcCall {
    /// Opens the span of `request`, continuing the caller's trace when it sent one.
    pub fn start<B>(request: &http::Request<B>, instruments: RpcInstruments) -> Self {
        let path = request.uri().path().trim_start_matches('/');
        let (service, method) = path.rsplit_once('/').unwrap_or(("unknown", path));
        let span = tracing::info_span!(
            "rpc",
            otel.name = %path,
            otel.kind = "server",
            otel.status_code = Empty,
            rpc.system = "grpc",
            rpc.service = %service,
            rpc.method = %method,
            rpc.grpc.status_code = Empty,
            netral.agency = Empty,
            netral.case = Empty,
            netral.reason = Empty,
        );
        let _ = span.set_parent(context::from_headers(request.headers()));
        Self {
            span,
            started: Instant::now(),
            service: service.into(),
            method: method.into(),
            agency_kind: "none",
            instruments,
        }
    }

    /// The call's span.
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// Records the caller the identity layer resolved.
    pub fn identified(&mut self, caller: &DirectoryEntry) {
        self.span
            .record("netral.agency", caller.profile.id.as_str());
        // Its first role in the directory: a bounded set of values for the metric.
        self.agency_kind = caller
            .profile
            .grants
            .first()
            .map_or("none", |grant| grant.role.as_str());
    }

    /// Hands the response on, ending the span when its status is known: at once for a
    /// trailers-only response (every error), at the body's trailers otherwise.
    pub fn respond(self, response: http::Response<GrpcBody>) -> http::Response<GrpcBody> {
        if let Some(code) = status_in(response.headers()) {
            self.finish(code);
            return response;
        }
        response.map(|body| {
            GrpcBody::new(Watched {
                inner: body,
                call: Some(self),
            })
        })
    }

    /// Ends the call with gRPC status `code`.
    fn finish(self, code: i32) {
        self.span.record("rpc.grpc.status_code", code);
        if is_server_error(code) {
            self.span.record("otel.status_code", "ERROR");
        }
        self.instruments.record(
            &self.service,
            &self.method,
            self.agency_kind,
            code,
            self.started.elapsed(),
        );
    }
}

/// The `grpc-status` in `headers`, if any.
fn status_in(headers: &http::HeaderMap) -> Option<i32> {
    headers
        .get("grpc-status")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
}

/// Whether a server span with this status is an error, per OpenTelemetry's gRPC
/// conventions (a refusal of the caller is not the server's error).
fn is_server_error(code: i32) -> bool {
    use tonic::Code;
    matches!(
        Code::from(code),
        Code::Unknown
            | Code::DeadlineExceeded
            | Code::Unimplemented
            | Code::Internal
            | Code::Unavailable
            | Code::DataLoss
    )
}

/// A response body that ends its call's span at the trailers (or when dropped early: the
/// caller went away, `CANCELLED`).
struct Watched {
    /// The service's body.
    inner: GrpcBody,
    /// The call, until its status is known.
    call: Option<RpcCall>,
}

impl Body for Watched {
    type Data = tonic::codegen::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        let code = match &polled {
            Poll::Ready(Some(Ok(frame))) => frame.trailers_ref().and_then(status_in),
            Poll::Ready(Some(Err(status))) => Some(status.code() as i32),
            Poll::Ready(None) => Some(tonic::Code::Ok as i32),
            Poll::Pending => None,
        };
        if let Some(code) = code
            && let Some(call) = self.call.take()
        {
            call.finish(code);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        if let Some(call) = self.call.take() {
            call.finish(tonic::Code::Cancelled as i32);
        }
    }
}

/// Records the case a call is about on the current call's span (`cases/<uuid>`).
pub fn record_case(case: &netral_domain::CaseId) {
    tracing::Span::current().record("netral.case", format!("cases/{case}").as_str());
}

/// Records the refusal's reason code on the current call's span.
pub fn record_reason(reason: &str) {
    tracing::Span::current().record("netral.reason", reason);
}
