//! Which agency is calling: read from the URI SAN `netral:agency/<id>` of the client
//! certificate presented over mTLS.
//!
//! The TLS layer (see [`crate::tls`]) has already checked that the certificate chains to the
//! exchange's CA; this module only reads the name out of it. Whether the directory knows the
//! agency, and whether it was revoked, is [`crate::directory::Directory::resolve`]'s question,
//! which reports it with the same [`IdentityError`].

use std::str::FromStr;

use netral_domain::{AgencyId, Reason};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// The prefix of the URI subject alternative name that carries an agency id, e.g.
/// `netral:agency/bawaslu-kotabaru`.
pub const AGENCY_URI_PREFIX: &str = "netral:agency/";

/// The URI SAN naming `id`, as written into agency certificates by [`crate::pki`].
pub fn agency_uri(id: &AgencyId) -> String {
    format!("{AGENCY_URI_PREFIX}{id}")
}

/// Why a call cannot be attributed to a known, active agency. The messages are safe to send
/// to the caller: they describe the caller's own certificate, nothing else.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// The connection carries no client certificate (plain TCP, or TLS without one).
    #[error("no client certificate was presented")]
    NoCertificate,
    /// The certificate has no `netral:agency/<id>` URI SAN.
    #[error("the client certificate carries no `netral:agency/<id>` URI SAN")]
    NoAgencyName,
    /// The certificate cannot be parsed, names several agencies, or names an invalid id.
    #[error("the client certificate is malformed or names its agency ambiguously")]
    MalformedCertificate,
    /// The certificate names an agency the directory does not know.
    #[error("agency `{0}` is not in the directory")]
    UnknownAgency(AgencyId),
    /// The agency's access to the exchange was revoked.
    #[error("agency `{0}` has been revoked")]
    Revoked(AgencyId),
    /// This one certificate was revoked (a leaked key); the agency it names, if it names
    /// one, may still call with its other certificates.
    #[error("this client certificate has been revoked")]
    CertificateRevoked(Option<AgencyId>),
}

impl IdentityError {
    /// The reason sent to agencies in `ErrorInfo.reason` and recorded in the audit log.
    pub const fn reason(&self) -> Reason {
        match self {
            Self::NoCertificate => Reason::NoClientCertificate,
            Self::NoAgencyName => Reason::NoAgencyName,
            Self::MalformedCertificate => Reason::MalformedCertificate,
            Self::UnknownAgency(_) => Reason::UnknownAgency,
            Self::Revoked(_) => Reason::AgencyRevoked,
            Self::CertificateRevoked(_) => Reason::CertificateRevoked,
        }
    }
}

/// The agency named by a DER-encoded certificate: its one URI SAN starting with
/// [`AGENCY_URI_PREFIX`]. Other SANs (DNS names, other URIs) are ignored; two agency names,
/// or a name that is not a valid [`AgencyId`], make the certificate malformed.
pub fn agency_from_certificate(der: &[u8]) -> Result<AgencyId, IdentityError> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|err| {
        tracing::debug!(error = %err, "client certificate does not parse");
        IdentityError::MalformedCertificate
    })?;
    let san = cert.subject_alternative_name().map_err(|err| {
        tracing::debug!(error = %err, "client certificate has an invalid SAN extension");
        IdentityError::MalformedCertificate
    })?;
    let mut names = san
        .iter()
        .flat_map(|ext| ext.value.general_names.iter())
        .filter_map(|name| match name {
            GeneralName::URI(uri) => uri.strip_prefix(AGENCY_URI_PREFIX),
            _ => None,
        });
    let name = names.next().ok_or(IdentityError::NoAgencyName)?;
    if names.next().is_some() {
        tracing::debug!("client certificate names more than one agency");
        return Err(IdentityError::MalformedCertificate);
    }
    AgencyId::from_str(name).map_err(|err| {
        tracing::debug!(error = %err, "client certificate names an invalid agency id");
        IdentityError::MalformedCertificate
    })
}

/// The agency calling with `req`: the name in the first (leaf) certificate the peer
/// presented. Only the server side of a TLS connection carries peer certificates.
pub fn peer_agency<T>(req: &tonic::Request<T>) -> Result<AgencyId, IdentityError> {
    let certs = req.peer_certs().ok_or(IdentityError::NoCertificate)?;
    let leaf = certs.first().ok_or(IdentityError::NoCertificate)?;
    agency_from_certificate(leaf.as_ref())
}

#[cfg(test)]
mod tests {
    use rcgen::{CertificateParams, DnType, KeyPair, SanType};

    use super::*;

    /// A self-signed certificate with the given URI SANs (plus a DNS name, to show it is
    /// ignored).
    fn cert_with_uris(uris: &[&str]) -> Vec<u8> {
        let mut params = CertificateParams::new(vec!["example.test".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "test agency");
        for uri in uris {
            let uri = (*uri).to_owned().try_into().unwrap();
            params.subject_alt_names.push(SanType::URI(uri));
        }
        let key = KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn reads_the_agency_from_its_uri_san() {
        let der = cert_with_uris(&["https://bkn.go.id", "netral:agency/bawaslu-kotabaru"]);
        let agency = agency_from_certificate(&der).unwrap();
        assert_eq!(agency.as_str(), "bawaslu-kotabaru");
    }

    #[test]
    fn a_certificate_without_agency_san_is_refused() {
        let der = cert_with_uris(&[]);
        assert_eq!(
            agency_from_certificate(&der),
            Err(IdentityError::NoAgencyName)
        );
        let key = KeyPair::generate().unwrap();
        let bare = CertificateParams::default().self_signed(&key).unwrap();
        assert_eq!(
            agency_from_certificate(bare.der()),
            Err(IdentityError::NoAgencyName)
        );
    }

    #[test]
    fn two_agency_names_are_malformed() {
        let der = cert_with_uris(&["netral:agency/kasn", "netral:agency/bkn"]);
        assert_eq!(
            agency_from_certificate(&der),
            Err(IdentityError::MalformedCertificate)
        );
    }

    #[test]
    fn an_invalid_agency_id_is_malformed() {
        let der = cert_with_uris(&["netral:agency/BKN--X"]);
        assert_eq!(
            agency_from_certificate(&der),
            Err(IdentityError::MalformedCertificate)
        );
    }

    #[test]
    fn garbage_is_malformed() {
        assert_eq!(
            agency_from_certificate(b"not a certificate"),
            Err(IdentityError::MalformedCertificate)
        );
    }

    #[test]
    fn a_request_without_tls_has_no_certificate() {
        let req = tonic::Request::new(());
        assert_eq!(peer_agency(&req), Err(IdentityError::NoCertificate));
    }

    #[test]
    fn agency_uri_round_trips() {
        let id: AgencyId = "pemkab-kotabaru".parse().unwrap();
        let der = cert_with_uris(&[&agency_uri(&id)]);
        assert_eq!(agency_from_certificate(&der), Ok(id));
    }
}
