//! One module per gRPC service, plus what they share: the request context (who is calling,
//! what time it is) and the wire conversions.

pub mod audit_filter;
pub mod audit_service;
pub mod case_reads;
pub mod case_service;
pub mod convert;
pub mod deadline;
pub mod directory_service;
pub mod fields;
pub mod filter;
pub mod identify;
pub mod import_parse;
pub mod import_service;
pub mod inbox_service;
pub mod inbox_stream;
pub mod message_size;
pub mod parse;
pub(crate) mod payload;
pub mod rpc_span;
pub mod stats_service;

use std::sync::Arc;

use netral_domain::Catalogue;
use netral_store::Store;

use crate::clock::Clock;
use crate::directory::{DirectoryEntry, DirectoryHandle};
use crate::error::Error;

/// What every service needs to serve a request, shared by all of them.
#[derive(Clone)]
pub struct AppState {
    /// The database, for reads; every case change goes through `exchange`.
    pub store: Store,
    /// The write path: every step of every case.
    pub exchange: crate::exchange::Exchange,
    /// Appends the audit events that are not steps: disclosures and refusals.
    pub auditor: crate::audit::Auditor,
    /// The agencies and their dated roles, as of the last refresh (file and revocations);
    /// take one [`DirectoryHandle::snapshot`] per request.
    pub directory: DirectoryHandle,
    /// Violation forms, sanctions, deadline rules, the calendar and the regions.
    pub catalogue: Arc<Catalogue>,
    /// The injectable clock: all dates (grants, forwarding, deadlines) come from it.
    pub clock: Clock,
    /// The largest `page_size` honoured by List methods.
    pub max_page_size: u32,
    /// The most sanctions one decree may impose.
    pub max_sanctions_per_decree: u32,
}

/// The metadata key naming the calling agency in insecure loopback development mode only.
pub const DEV_AGENCY_HEADER: &str = "x-netral-dev-agency";

impl AppState {
    /// The calling agency, as the identity layer ([`identify::IdentityLayer`]) resolved
    /// it from the client certificate (or the dev header) for this call: known to the
    /// directory, not revoked, its certificate not revoked. Callers it refused never reach
    /// a handler.
    pub async fn caller<'r, T>(
        &self,
        req: &'r tonic::Request<T>,
    ) -> Result<&'r DirectoryEntry, Error> {
        req.extensions()
            .get::<identify::Caller>()
            .map(|caller| caller.entry.as_ref())
            .ok_or_else(|| Error::Unexpected("no caller: the identity layer is missing".into()))
    }

    /// Audits `result`'s refusal of the caller (`PERMISSION_DENIED` by policy), naming the
    /// case the request was about, and passes the result on.
    pub async fn audited<T, R>(
        &self,
        req: &tonic::Request<R>,
        caller: &DirectoryEntry,
        case: Option<netral_domain::CaseId>,
        result: Result<T, Error>,
    ) -> Result<T, Error> {
        if let Err(err) = &result
            && err.is_refusal()
        {
            let origin = crate::audit::Origin::of(req);
            self.auditor
                .refused(&origin, Some(&caller.profile.id), method_of(req), case, err)
                .await;
        }
        result
    }
}

/// `case` (`None`: no such case) if `actor` may read it on `today`. A case the agency may not
/// see and a case that does not exist get the same refusal, `CASE_NOT_ACCESSIBLE`, so that a
/// caller learns nothing of a case it may not see; only an agency that sees every case is
/// told `NOT_FOUND`, which tells it nothing it could not list.
pub fn readable<'a>(
    actor: &netral_domain::AgencyProfile,
    case: Option<&'a netral_domain::case::CaseRecord>,
    today: chrono::NaiveDate,
) -> Result<&'a netral_domain::case::CaseRecord, Error> {
    readable_parties(actor, case.map(|c| c.parties()), today)?;
    case.ok_or_else(|| Error::NotFound("case".into()))
}

/// [`readable`] for a case known by its parties alone (`None`: no such case).
pub fn readable_parties(
    actor: &netral_domain::AgencyProfile,
    parties: Option<netral_domain::policy::CaseParties>,
    today: chrono::NaiveDate,
) -> Result<netral_domain::policy::CaseParties, Error> {
    use netral_domain::policy;
    match parties {
        Some(parties) => {
            policy::may_read_case(actor, &parties, today)?;
            Ok(parties)
        }
        None if policy::list_scope(actor, today).is_everything() => {
            Err(Error::NotFound("case".into()))
        }
        None => Err(policy::Denial::CaseNotAccessible.into()),
    }
}

/// The gRPC method a request calls (`GetCase`), put into the request's extensions by
/// [`tag_method`] before tonic routes it (tonic's server keeps no record of it).
#[derive(Debug, Clone)]
pub struct RpcMethod(String);

/// Records the called method (the last segment of the HTTP/2 path) in the request's
/// extensions, which tonic hands on to the handler: refusals are audited under it.
pub fn tag_method(mut req: http::Request<tonic::body::Body>) -> http::Request<tonic::body::Body> {
    let method = req.uri().path().rsplit('/').next().unwrap_or_default();
    let method = RpcMethod(method.to_owned());
    req.extensions_mut().insert(method);
    req
}

/// The gRPC method a request calls (`GetCase`), as [`tag_method`] recorded it.
pub fn method_of<T>(req: &tonic::Request<T>) -> &str {
    method_in(req.extensions())
}

/// The gRPC method recorded in a request's extensions by [`tag_method`].
pub fn method_in(extensions: &http::Extensions) -> &str {
    extensions
        .get::<RpcMethod>()
        .map_or("unknown", |m| m.0.as_str())
}
