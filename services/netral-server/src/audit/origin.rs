//! Where a request came from, as an audit event records it: the client certificate's
//! fingerprint, the peer address and the trace context of the call's server span (which
//! continues the caller's trace when it sent a `traceparent`).

use sha2::{Digest, Sha256};
use tonic::Request;

use crate::telemetry::context::SpanIds;

/// The request's origin. Holds no personal data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// SHA-256 of the client certificate (DER), hex; empty without one.
    pub certificate_fingerprint: String,
    /// The peer's address as the server saw it; empty if unknown.
    pub peer: String,
    /// The call's server span: its ids go into the audit leaf, its `traceparent` with the
    /// step (case event, inbox messages, a registration's case) so later steps and
    /// recipients link to or continue it; empty without a trace context.
    pub trace: SpanIds,
}

impl Origin {
    /// The origin of `req`.
    pub fn of<T>(req: &Request<T>) -> Self {
        Self::from_parts(req.extensions(), req.metadata().as_ref())
    }

    /// The origin of an HTTP/2 request before tonic decoded it (in a tower layer).
    pub fn of_http<B>(req: &http::Request<B>) -> Self {
        Self::from_parts(req.extensions(), req.headers())
    }

    /// The origin told by a request's extensions (connection info) and headers.
    fn from_parts(extensions: &http::Extensions, headers: &http::HeaderMap) -> Self {
        use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
        let tls = extensions.get::<TlsConnectInfo<TcpConnectInfo>>();
        let certificate_fingerprint = tls
            .and_then(TlsConnectInfo::peer_certs)
            .and_then(|certs| {
                certs
                    .first()
                    .map(|c| hex::encode(Sha256::digest(c.as_ref())))
            })
            .unwrap_or_default();
        let peer = extensions
            .get::<TcpConnectInfo>()
            .or_else(|| tls.map(TlsConnectInfo::get_ref))
            .and_then(TcpConnectInfo::remote_addr)
            .map(|a| a.to_string())
            .unwrap_or_default();
        // The call's span (the identity layer's, current in every handler); without an
        // OpenTelemetry layer, the caller's own context as it sent it.
        let mut trace = SpanIds::current();
        if trace.is_empty()
            && let Some(sent) = headers.get("traceparent").and_then(|v| v.to_str().ok())
        {
            trace = SpanIds::parse(sent);
        }
        Self {
            certificate_fingerprint,
            peer,
            trace,
        }
    }
}
