//! The one identity layer in front of every service but health: it names the caller from
//! its client certificate's `netral:agency/<id>` URI SAN (or, in insecure loopback
//! development mode only, the `x-netral-dev-agency` header), refuses unknown and revoked
//! agencies and revoked certificates with the refusal's audit event, and puts the resolved
//! [`Caller`] into the request's extensions, where handlers take it
//! ([`super::AppState::caller`]). Handlers never parse certificates.
//!
//! A certificate is parsed once (its agency cached by the SHA-256 of its DER, so once per
//! certificate, not per call or connection); revocations and the directory are checked on
//! every call against the current [`DirectoryHandle`] snapshot, all in memory.
//!
//! The layer also opens each call's server span and records its outcome
//! ([`super::rpc_span`]): identity and tracing happen in one place, before any handler.
//!
//! `grpc.health.v1.Health` stays open to any client that completed the TLS handshake: load
//! balancers probe it without an agency's certificate. Reflection is behind the layer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use netral_domain::AgencyId;
use netral_store::CertificateFingerprint;
use tonic::Status;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use tower::{Layer, Service};

use super::rpc_span::RpcCall;
use super::{DEV_AGENCY_HEADER, method_in};
use crate::audit::{Auditor, Origin};
use crate::directory::{DirectoryEntry, DirectoryHandle};
use crate::error::Error;
use crate::identity::{IdentityError, agency_from_certificate};
use crate::metrics::RpcInstruments;

/// The path prefixes of the services any TLS client may call without an agency identity.
pub const OPEN_SERVICES: [&str; 1] = ["/grpc.health.v1.Health/"];

/// How many certificates' agencies are remembered; past that the cache starts over (a
/// flood of throw-away certificates costs parsing, never memory).
const NAME_CACHE: usize = 4096;

/// The calling agency as the identity layer resolved it for one call.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The agency's directory entry as of this call (a later refresh does not change it).
    pub entry: Arc<DirectoryEntry>,
    /// The certificate it called with; `None` in insecure loopback development mode.
    pub certificate: Option<CertificateFingerprint>,
}

/// Resolves callers; shared by every connection's copy of the layer.
struct Identify {
    /// The current directory and revocations.
    directory: DirectoryHandle,
    /// Records each refusal.
    auditor: Auditor,
    /// Plaintext loopback development mode: the caller names itself in a header.
    insecure_dev: bool,
    /// Where each call's duration is recorded.
    instruments: RpcInstruments,
    /// The agency (or why there is none) each certificate seen names.
    names: Mutex<HashMap<CertificateFingerprint, Result<AgencyId, IdentityError>>>,
}

impl Identify {
    /// The caller of a request whose peer presented the certificate `leaf` (DER) and sent
    /// `headers`, checked against the directory and revocations now.
    fn caller(
        &self,
        leaf: Option<&[u8]>,
        headers: &http::HeaderMap,
    ) -> Result<Caller, IdentityError> {
        let directory = self.directory.snapshot();
        if self.insecure_dev {
            let id: AgencyId = headers
                .get(DEV_AGENCY_HEADER)
                .and_then(|v| v.to_str().ok())
                .ok_or(IdentityError::NoCertificate)?
                .parse()
                .map_err(|_| IdentityError::MalformedCertificate)?;
            return Ok(Caller {
                entry: directory.resolve_shared(&id)?.clone(),
                certificate: None,
            });
        }
        let leaf = leaf.ok_or(IdentityError::NoCertificate)?;
        let fingerprint = CertificateFingerprint::of_der(leaf);
        let named = self.name_of(fingerprint, leaf);
        directory.check_certificate(&fingerprint, named.as_ref().ok())?;
        Ok(Caller {
            entry: directory.resolve_shared(&named?)?.clone(),
            certificate: Some(fingerprint),
        })
    }

    /// The agency the certificate `der` names, parsed on first sight only.
    fn name_of(
        &self,
        fingerprint: CertificateFingerprint,
        der: &[u8],
    ) -> Result<AgencyId, IdentityError> {
        let cached = self
            .names
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&fingerprint)
            .cloned();
        if let Some(named) = cached {
            return named;
        }
        let named = agency_from_certificate(der);
        let mut names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        if names.len() >= NAME_CACHE {
            names.clear();
        }
        names.insert(fingerprint, named.clone());
        named
    }
}

/// Puts [`Identified`] in front of every service.
#[derive(Clone)]
pub struct IdentityLayer {
    /// The resolver every connection shares.
    identify: Arc<Identify>,
}

impl IdentityLayer {
    /// Resolves callers against `directory`, auditing refusals with `auditor`; with
    /// `insecure_dev`, from the dev header instead of a certificate. Calls' durations go to
    /// `instruments`.
    pub fn new(
        directory: DirectoryHandle,
        auditor: Auditor,
        insecure_dev: bool,
        instruments: RpcInstruments,
    ) -> Self {
        Self {
            identify: Arc::new(Identify {
                directory,
                auditor,
                insecure_dev,
                instruments,
                names: Mutex::default(),
            }),
        }
    }
}

impl<S> Layer<S> for IdentityLayer {
    type Service = Identified<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Identified {
            inner,
            identify: self.identify.clone(),
        }
    }
}

/// Answers a refused caller itself; hands every other call on with its [`Caller`].
#[derive(Clone)]
pub struct Identified<S> {
    /// The services.
    inner: S,
    /// The shared resolver.
    identify: Arc<Identify>,
}

impl<S, B> Service<http::Request<B>> for Identified<S>
where
    S: Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let mut call = RpcCall::start(&request, self.identify.instruments.clone());
        let span = call.span().clone();
        let _entered = span.enter();
        let path = request.uri().path();
        if OPEN_SERVICES.iter().any(|open| path.starts_with(open)) {
            let response = self.inner.call(request);
            return Box::pin(answer(call, response));
        }
        let certs = request
            .extensions()
            .get::<TlsConnectInfo<TcpConnectInfo>>()
            .and_then(TlsConnectInfo::peer_certs);
        let leaf = certs.as_ref().and_then(|c| c.first()).map(|c| c.as_ref());
        match self.identify.caller(leaf, request.headers()) {
            Ok(caller) => {
                call.identified(&caller.entry);
                request.extensions_mut().insert(caller);
                let response = self.inner.call(request);
                Box::pin(answer(call, response))
            }
            Err(refused) => {
                let origin = Origin::of_http(&request);
                let method = method_in(request.extensions()).to_owned();
                let auditor = self.identify.auditor.clone();
                let refusal = async move {
                    let actor = match &refused {
                        IdentityError::Revoked(id)
                        | IdentityError::CertificateRevoked(Some(id)) => Some(id.clone()),
                        _ => None,
                    };
                    let err = Error::Unauthenticated(refused);
                    auditor
                        .refused(&origin, actor.as_ref(), &method, None, &err)
                        .await;
                    Ok(Status::from(err).into_http())
                };
                Box::pin(answer(call, refusal))
            }
        }
    }
}

/// Runs `response` inside `call`'s span and hands its answer on, ending the span with it.
async fn answer<E>(
    call: RpcCall,
    response: impl Future<Output = Result<http::Response<tonic::body::Body>, E>>,
) -> Result<http::Response<tonic::body::Body>, E> {
    use tracing::Instrument;
    let response = response.instrument(call.span().clone()).await?;
    Ok(call.respond(response))
}

#[cfg(test)]
#[path = "identify_tests.rs"]
mod tests;
