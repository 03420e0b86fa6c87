//! Where a request came from, as an audit event records it: the client certificate's
//! fingerprint, the peer address and the W3C trace id the caller sent.

use sha2::{Digest, Sha256};
use tonic::Request;

/// The request's origin. Holds no personal data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// SHA-256 of the client certificate (DER), hex; empty without one.
    pub certificate_fingerprint: String,
    /// The peer's address as the server saw it; empty if unknown.
    pub peer: String,
    /// The trace id of the caller's `traceparent`, 32 hex digits; empty without a valid one.
    pub trace_id: String,
    /// The caller's whole `traceparent`, lower-case, when valid (inbox messages carry it so
    /// the recipient continues the trace); empty otherwise.
    pub traceparent: String,
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
        let header = headers.get("traceparent").and_then(|v| v.to_str().ok());
        let trace_id = header.and_then(trace_id_of).unwrap_or_default();
        let traceparent = match (header, trace_id.is_empty()) {
            (Some(value), false) => value.trim().to_ascii_lowercase(),
            _ => String::new(),
        };
        Self {
            certificate_fingerprint,
            peer,
            trace_id,
            traceparent,
        }
    }
}

/// The trace id of a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`), if well formed and
/// not all zeros.
fn trace_id_of(traceparent: &str) -> Option<String> {
    let mut parts = traceparent.trim().split('-');
    let (_version, trace, span, _flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex_of_len = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex_of_len(trace, 32) && hex_of_len(span, 16) && trace.bytes().any(|b| b != b'0'))
        .then(|| trace.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_trace_id_of_a_valid_traceparent_only() {
        assert_eq!(
            trace_id_of("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        assert_eq!(
            trace_id_of("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
            None
        );
        assert_eq!(trace_id_of("garbage"), None);
        assert_eq!(trace_id_of("00-4bf92f-00f067aa0ba902b7-01"), None);
    }
}
