//! One module per gRPC service, plus what they share: the request context (who is calling,
//! what time it is) and the wire conversions.

pub mod case_reads;
pub mod case_service;
pub mod convert;
pub mod directory_service;
pub mod fields;
pub mod filter;
pub mod parse;
pub(crate) mod payload;

use std::sync::Arc;

use netral_domain::Catalogue;
use netral_store::Store;

use crate::clock::Clock;
use crate::directory::{Directory, DirectoryEntry};
use crate::error::Error;
use crate::identity;

/// What every service needs to serve a request, shared by all of them.
#[derive(Clone)]
pub struct AppState {
    /// The database, for reads; every case change goes through `exchange`.
    pub store: Store,
    /// The write path: every step of every case.
    pub exchange: crate::exchange::Exchange,
    /// The agencies and their dated roles, resolved from the client certificate.
    pub directory: Arc<Directory>,
    /// Violation forms, sanctions, deadline rules, the calendar and the regions.
    pub catalogue: Arc<Catalogue>,
    /// The injectable clock: all dates (grants, forwarding, deadlines) come from it.
    pub clock: Clock,
    /// The largest `page_size` honoured by List methods.
    pub max_page_size: u32,
    /// The most sanctions one decree may impose.
    pub max_sanctions_per_decree: u32,
    /// Plaintext loopback development mode: the caller names its agency in the
    /// `x-netral-dev-agency` header because there is no client certificate.
    pub insecure_dev_identity: bool,
}

/// The metadata key naming the calling agency in insecure loopback development mode only.
pub const DEV_AGENCY_HEADER: &str = "x-netral-dev-agency";

impl AppState {
    /// The calling agency: from its client certificate (or, in insecure loopback development
    /// mode only, the dev header), known to the directory and not revoked.
    pub fn caller<T>(&self, req: &tonic::Request<T>) -> Result<&DirectoryEntry, Error> {
        let id = if self.insecure_dev_identity {
            let header = req
                .metadata()
                .get(DEV_AGENCY_HEADER)
                .and_then(|v| v.to_str().ok())
                .ok_or(identity::IdentityError::NoCertificate)?;
            header
                .parse()
                .map_err(|_| identity::IdentityError::MalformedCertificate)?
        } else {
            identity::peer_agency(req)?
        };
        Ok(self.directory.resolve(&id)?)
    }
}
