//! The development PKI: a local CA, a server certificate for `localhost`, and one client
//! certificate per agency, so that a fresh checkout runs with real mTLS and nothing to set up.
//!
//! Layout of the PKI directory (by default `<data_dir>/pki`):
//!
//! ```text
//! ca.pem  ca.key                  "netral dev CA", signs everything below
//! server.pem  server.key          SANs localhost, 127.0.0.1, ::1; ServerAuth
//! agencies/<id>.pem  <id>.key     URI SAN netral:agency/<id>, CN <id>; ClientAuth
//! ```
//!
//! Keys are PKCS#8 PEM. Everything is the owner's only: folders 0700, files 0600 (see
//! [`crate::files`]); an existing `ca.key` anyone else could read or replace is refused, not
//! trusted. Production uses certificates from the exchange operator's own CA instead (`tls.*`
//! settings, `mode = "production"` refuses this PKI).

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{Datelike, Days, Months, NaiveDate, Utc};
use netral_domain::AgencyId;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose as EKU,
    IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
};

use crate::identity::agency_uri;

/// File name of the CA certificate; its presence means the PKI exists.
const CA_CERT: &str = "ca.pem";
/// File name of the CA key.
const CA_KEY: &str = "ca.key";
/// File name of the server certificate.
const SERVER_CERT: &str = "server.pem";
/// File name of the server key.
const SERVER_KEY: &str = "server.key";
/// Subdirectory holding agency client certificates.
const AGENCIES_DIR: &str = "agencies";
/// Lifetime of server and agency certificates.
const LEAF_MONTHS: u32 = 24;
/// Lifetime of the CA: longer than a leaf, so a leaf re-issued late still chains to it.
const CA_MONTHS: u32 = 120;
/// The organisation in every name this PKI issues, by which production mode recognises its
/// certificates.
pub const DEV_ORGANIZATION: &str = "netral development PKI";

/// A development CA on disk, able to issue agency certificates.
#[derive(Debug)]
pub struct DevPki {
    /// The PKI directory.
    dir: PathBuf,
    /// The CA's name, key identifier and signing key.
    issuer: Issuer<'static, KeyPair>,
    /// Whether this `ensure` created the CA (rather than finding one).
    created_ca: bool,
    /// What this `ensure` issued: `server` and/or agency ids, for the operator to read.
    newly_issued: Vec<String>,
}

/// Why the development PKI cannot be created, loaded or extended.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// No CA exists where one is required (issuing needs `netral pki init` first).
    #[error("no development CA in {}: run `netral pki init` first", dir.display())]
    NoCa {
        /// The PKI directory looked in.
        dir: PathBuf,
    },
    /// A file or directory cannot be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was attempted (`read`, `write`, `create`).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// Key generation or signing failed.
    #[error("cannot generate {what}: {source}")]
    Generate {
        /// The certificate or key being made.
        what: String,
        /// rcgen's failure.
        #[source]
        source: rcgen::Error,
    },
    /// The stored CA key could have been read or replaced by someone else.
    #[error(transparent)]
    UnsafeKey(#[from] crate::files::UnsafeKey),
    /// The stored CA cannot be used (unparsable, expired, key not matching).
    #[error("development CA in {} is unusable ({reason}); delete the directory to start over", dir.display())]
    BadCa {
        /// The PKI directory.
        dir: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

impl DevPki {
    /// Makes sure `dir` holds a CA, a server certificate and a certificate for each of
    /// `agencies`: creates the CA if `dir/ca.pem` is missing, otherwise loads it. Then issues
    /// every certificate that is missing, expired or unreadable, or all of them when the CA
    /// is new (certificates of an earlier CA would no longer verify). Valid ones are kept.
    pub fn ensure(dir: &Path, agencies: &[AgencyId]) -> Result<Self, PkiError> {
        let mut pki = if dir.join(CA_CERT).exists() {
            Self::open(dir)?
        } else {
            Self::create(dir)?
        };
        let stale = |cert: &Path, key: &Path| pki.created_ca || !key.exists() || !usable(cert);
        let mut issued = Vec::new();
        if stale(&pki.server_cert_path(), &pki.server_key_path()) {
            pki.issue_server()?;
            issued.push("server".to_owned());
        }
        for id in agencies {
            let (cert, key) = pki.agency_cert_paths(id);
            if stale(&cert, &key) {
                pki.issue_agency(id)?;
                issued.push(id.to_string());
            }
        }
        pki.newly_issued = issued;
        Ok(pki)
    }

    /// Loads the existing CA in `dir`, without issuing anything; `NoCa` if there is none.
    pub fn open(dir: &Path) -> Result<Self, PkiError> {
        let ca_path = dir.join(CA_CERT);
        if !ca_path.exists() {
            return Err(PkiError::NoCa {
                dir: dir.to_owned(),
            });
        }
        let bad = |reason: String| PkiError::BadCa {
            dir: dir.to_owned(),
            reason,
        };
        let ca_pem = read(&ca_path)?;
        let key_path = dir.join(CA_KEY);
        crate::files::check_private_key(&key_path)?;
        let key =
            KeyPair::from_pem(&read(&key_path)?).map_err(|err| bad(format!("{CA_KEY}: {err}")))?;
        let (_, pem) = x509_parser::pem::parse_x509_pem(ca_pem.as_bytes())
            .map_err(|err| bad(format!("{CA_CERT}: {err}")))?;
        let cert = pem
            .parse_x509()
            .map_err(|err| bad(format!("{CA_CERT}: {err}")))?;
        if !cert.validity().is_valid() {
            return Err(bad("the CA certificate has expired".into()));
        }
        if cert.public_key().subject_public_key.data.as_ref() != key.public_key_raw() {
            return Err(bad(format!("{CA_KEY} is not the key of {CA_CERT}")));
        }
        let issuer = Issuer::from_ca_cert_pem(&ca_pem, key)
            .map_err(|err| bad(format!("{CA_CERT}: {err}")))?;
        Ok(Self {
            dir: dir.to_owned(),
            issuer,
            created_ca: false,
            newly_issued: Vec::new(),
        })
    }

    /// Issues (or re-issues, replacing the files) the client certificate of `id`, signed by
    /// this CA. Returns the certificate and key paths.
    pub fn issue_agency(&self, id: &AgencyId) -> Result<(PathBuf, PathBuf), PkiError> {
        let what = format!("the certificate of agency {id}");
        let uri = agency_uri(id).try_into().map_err(failed(&what))?;
        let params = leaf_params(id.as_str(), vec![SanType::URI(uri)], EKU::ClientAuth);
        let (cert, key) = self.agency_cert_paths(id);
        self.issue(&params, &what, &cert, &key)?;
        Ok((cert, key))
    }

    /// The PKI directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The CA certificate agencies and the server trust.
    pub fn ca_cert_path(&self) -> PathBuf {
        self.dir.join(CA_CERT)
    }

    /// The server certificate.
    pub fn server_cert_path(&self) -> PathBuf {
        self.dir.join(SERVER_CERT)
    }

    /// The server private key.
    pub fn server_key_path(&self) -> PathBuf {
        self.dir.join(SERVER_KEY)
    }

    /// The certificate and key paths of agency `id` (whether or not they exist yet).
    pub fn agency_cert_paths(&self, id: &AgencyId) -> (PathBuf, PathBuf) {
        let dir = self.dir.join(AGENCIES_DIR);
        (dir.join(format!("{id}.pem")), dir.join(format!("{id}.key")))
    }

    /// Whether [`DevPki::ensure`] created a new CA (agencies' old certificates, if any were
    /// copied elsewhere, no longer verify).
    pub fn created_ca(&self) -> bool {
        self.created_ca
    }

    /// What [`DevPki::ensure`] issued in this call: `server` and/or agency ids.
    pub fn newly_issued(&self) -> &[String] {
        &self.newly_issued
    }

    /// Generates a new CA in `dir`, writing the key before the certificate so that an
    /// existing `ca.pem` always has its key next to it.
    fn create(dir: &Path) -> Result<Self, PkiError> {
        create_dir(dir)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = name("netral dev CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        set_validity(&mut params, CA_MONTHS);
        let what = "the development CA";
        let key = KeyPair::generate().map_err(failed(what))?;
        let cert = params.self_signed(&key).map_err(failed(what))?;
        write(&dir.join(CA_KEY), &key.serialize_pem())?;
        write(&dir.join(CA_CERT), &cert.pem())?;
        Ok(Self {
            dir: dir.to_owned(),
            issuer: Issuer::new(params, key),
            created_ca: true,
            newly_issued: Vec::new(),
        })
    }

    /// Issues the server certificate for local connections.
    fn issue_server(&self) -> Result<(), PkiError> {
        let what = "the server certificate";
        let names = ["localhost", "127.0.0.1", "::1"].map(String::from);
        let sans = CertificateParams::new(names)
            .map_err(failed(what))?
            .subject_alt_names;
        let params = leaf_params("netral dev server", sans, EKU::ServerAuth);
        let (cert, key) = (self.server_cert_path(), self.server_key_path());
        self.issue(&params, what, &cert, &key)
    }

    /// Generates a key, signs `params` with the CA and writes both files.
    fn issue(
        &self,
        params: &CertificateParams,
        what: &str,
        cert_path: &Path,
        key_path: &Path,
    ) -> Result<(), PkiError> {
        let key = KeyPair::generate().map_err(failed(what))?;
        let cert = params.signed_by(&key, &self.issuer).map_err(failed(what))?;
        if let Some(parent) = cert_path.parent() {
            create_dir(parent)?;
        }
        write(key_path, &key.serialize_pem())?;
        write(cert_path, &cert.pem())
    }
}

/// Parameters of a server or client certificate valid for [`LEAF_MONTHS`].
fn leaf_params(common_name: &str, sans: Vec<SanType>, usage: EKU) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(common_name);
    params.subject_alt_names = sans;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![usage];
    params.use_authority_key_identifier_extension = true;
    set_validity(&mut params, LEAF_MONTHS);
    params
}

/// A subject name: the common name, in the development organisation.
fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, DEV_ORGANIZATION);
    dn.push(DnType::CommonName, common_name);
    dn
}

/// Valid from yesterday (tolerating clock skew between machines) for `months` months.
fn set_validity(params: &mut CertificateParams, months: u32) {
    let today = Utc::now().date_naive();
    let start = today.checked_sub_days(Days::new(1)).unwrap_or(today);
    let end = today
        .checked_add_months(Months::new(months))
        .unwrap_or(today);
    // 00:00 UTC of a valid chrono date: month and day always fit in a u8, and the date
    // exists, so rcgen's own date checks cannot fail.
    let midnight_utc =
        |day: NaiveDate| rcgen::date_time_ymd(day.year(), day.month() as u8, day.day() as u8);
    params.not_before = midnight_utc(start);
    params.not_after = midnight_utc(end);
}

/// Whether `path` holds a certificate that parses and is valid now.
fn usable(path: &Path) -> bool {
    let Ok(bytes) = fs::read(path) else {
        return false;
    };
    x509_parser::pem::parse_x509_pem(&bytes).is_ok_and(|(_, pem)| {
        pem.parse_x509()
            .is_ok_and(|cert| cert.validity().is_valid())
    })
}

/// Maps an rcgen failure while making `what`.
fn failed(what: &str) -> impl Fn(rcgen::Error) -> PkiError + '_ {
    move |source| PkiError::Generate {
        what: what.to_owned(),
        source,
    }
}

/// Creates `dir` and its parents, the owner's only.
fn create_dir(dir: &Path) -> Result<(), PkiError> {
    crate::files::create_dir(dir).map_err(|source| PkiError::Io {
        action: "create",
        path: dir.to_owned(),
        source,
    })
}

/// Reads a PEM file.
fn read(path: &Path) -> Result<String, PkiError> {
    fs::read_to_string(path).map_err(|source| PkiError::Io {
        action: "read",
        path: path.to_owned(),
        source,
    })
}

/// Writes `contents` to `path` through a temporary file and a rename, so a crash never
/// leaves a half-written key; the file is the owner's only (certificates too: they sit
/// beside their keys, and nobody else needs them).
fn write(path: &Path, contents: &str) -> Result<(), PkiError> {
    let io = |source| PkiError::Io {
        action: "write",
        path: path.to_owned(),
        source,
    };
    let tmp = path.with_extension("tmp");
    crate::files::write(&tmp, contents.as_bytes()).map_err(io)?;
    fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use x509_parser::prelude::{GeneralName, X509Certificate};

    use super::*;
    use crate::identity::agency_from_certificate;

    fn ids(list: &[&str]) -> Vec<AgencyId> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    fn der(path: &Path) -> Vec<u8> {
        let text = fs::read(path).unwrap();
        let (_, pem) = x509_parser::pem::parse_x509_pem(&text).unwrap();
        pem.contents
    }

    fn parse(der: &[u8]) -> X509Certificate<'_> {
        x509_parser::parse_x509_certificate(der).unwrap().1
    }

    #[test]
    fn generated_certificates_parse_and_carry_the_agency() {
        let tmp = tempfile::tempdir().unwrap();
        let pki = DevPki::ensure(tmp.path(), &ids(&["bawaslu-kotabaru", "bkn"])).unwrap();
        assert!(pki.created_ca());
        assert_eq!(pki.newly_issued(), ["server", "bawaslu-kotabaru", "bkn"]);

        let ca_der = der(&pki.ca_cert_path());
        let ca = parse(&ca_der);
        assert!(ca.is_ca());
        assert!(ca.subject().to_string().contains("netral dev CA"));

        let (cert_path, key_path) = pki.agency_cert_paths(&"bkn".parse().unwrap());
        let client_der = der(&cert_path);
        assert_eq!(
            agency_from_certificate(&client_der).unwrap().as_str(),
            "bkn"
        );
        let client = parse(&client_der);
        assert!(client.subject().to_string().contains("CN=bkn"));
        assert_eq!(client.issuer(), ca.subject());
        assert!(client.verify_signature(Some(ca.public_key())).is_ok());
        let eku = client.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.client_auth && !eku.server_auth);
        let lifetime =
            client.validity().not_after.timestamp() - client.validity().not_before.timestamp();
        assert!((729..=733).contains(&(lifetime / 86_400)), "{lifetime}");
        assert!(KeyPair::from_pem(&fs::read_to_string(key_path).unwrap()).is_ok());

        let server_der = der(&pki.server_cert_path());
        let server = parse(&server_der);
        let eku = server.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.server_auth && !eku.client_auth);
        let sans = &server
            .subject_alternative_name()
            .unwrap()
            .unwrap()
            .value
            .general_names;
        assert!(sans.contains(&GeneralName::DNSName("localhost")));
        assert!(sans.contains(&GeneralName::IPAddress(&[127, 0, 0, 1])));
        assert_eq!(sans.len(), 3);
    }

    #[test]
    fn ensure_twice_keeps_the_ca_and_issues_only_what_is_missing() {
        let tmp = tempfile::tempdir().unwrap();
        let first = DevPki::ensure(tmp.path(), &ids(&["kasn"])).unwrap();
        let ca = fs::read(first.ca_cert_path()).unwrap();
        let kasn = fs::read(first.agency_cert_paths(&"kasn".parse().unwrap()).0).unwrap();

        let second = DevPki::ensure(tmp.path(), &ids(&["kasn", "bpk"])).unwrap();
        assert!(!second.created_ca());
        assert_eq!(second.newly_issued(), ["bpk"]);
        assert_eq!(fs::read(second.ca_cert_path()).unwrap(), ca);
        let kasn_again = fs::read(second.agency_cert_paths(&"kasn".parse().unwrap()).0).unwrap();
        assert_eq!(kasn_again, kasn);

        let bpk_der = der(&second.agency_cert_paths(&"bpk".parse().unwrap()).0);
        let ca_der = der(&second.ca_cert_path());
        let ca_cert = parse(&ca_der);
        assert!(
            parse(&bpk_der)
                .verify_signature(Some(ca_cert.public_key()))
                .is_ok()
        );
    }

    #[test]
    fn a_new_ca_reissues_everything_and_damaged_certificates_are_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let pki = DevPki::ensure(tmp.path(), &ids(&["bkn", "bpk"])).unwrap();
        fs::write(pki.agency_cert_paths(&"bpk".parse().unwrap()).0, "garbage").unwrap();
        let again = DevPki::ensure(tmp.path(), &ids(&["bkn", "bpk"])).unwrap();
        assert_eq!(again.newly_issued(), ["bpk"]);
        fs::remove_file(again.ca_cert_path()).unwrap();
        let fresh = DevPki::ensure(tmp.path(), &ids(&["bkn", "bpk"])).unwrap();
        assert!(fresh.created_ca());
        assert_eq!(fresh.newly_issued(), ["server", "bkn", "bpk"]);
    }

    #[test]
    fn reissuing_replaces_the_certificate() {
        let tmp = tempfile::tempdir().unwrap();
        let pki = DevPki::ensure(tmp.path(), &ids(&["bkn"])).unwrap();
        let bkn = "bkn".parse().unwrap();
        let before = fs::read(pki.agency_cert_paths(&bkn).0).unwrap();
        let (cert, _) = DevPki::open(tmp.path())
            .unwrap()
            .issue_agency(&bkn)
            .unwrap();
        assert_ne!(fs::read(cert).unwrap(), before);
    }

    #[test]
    fn open_without_a_ca_fails() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(matches!(
            DevPki::open(tmp.path()),
            Err(PkiError::NoCa { .. })
        ));
    }

    #[test]
    fn a_foreign_ca_key_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        DevPki::ensure(tmp.path(), &[]).unwrap();
        let other = KeyPair::generate().unwrap().serialize_pem();
        fs::write(tmp.path().join(CA_KEY), other).unwrap();
        assert!(matches!(
            DevPki::open(tmp.path()),
            Err(PkiError::BadCa { .. })
        ));
    }

    #[test]
    fn the_pki_is_private_to_the_owner() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data/pki");
        let pki = DevPki::ensure(&dir, &ids(&["bpk"])).unwrap();
        let (cert, key) = pki.agency_cert_paths(&"bpk".parse().unwrap());
        for folder in [tmp.path().join("data"), dir.clone(), dir.join(AGENCIES_DIR)] {
            assert_eq!(mode(&folder), 0o700, "{}", folder.display());
        }
        let files = [
            dir.join(CA_KEY),
            pki.ca_cert_path(),
            pki.server_key_path(),
            pki.server_cert_path(),
            cert,
            key,
        ];
        for path in files {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }

    #[test]
    fn a_ca_key_others_can_read_is_refused_not_trusted() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        DevPki::ensure(tmp.path(), &[]).unwrap();
        let key = tmp.path().join(CA_KEY);
        fs::set_permissions(&key, fs::Permissions::from_mode(0o640)).unwrap();
        for attempt in [DevPki::open(tmp.path()), DevPki::ensure(tmp.path(), &[])] {
            let err = attempt.unwrap_err();
            assert!(matches!(err, PkiError::UnsafeKey(_)), "{err}");
            let message = err.to_string();
            assert!(message.contains(&key.display().to_string()), "{message}");
            assert!(message.contains("readable by its group"), "{message}");
        }
        fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).unwrap();
        DevPki::open(tmp.path()).unwrap();
    }
}
