//! mTLS configuration: the server demands a client certificate signed by the exchange's CA
//! (its URI SAN then names the calling agency, see [`crate::identity`]); clients (the CLI,
//! the tests) present one.
//!
//! [`load_tls_material`] reads the configured certificate files, or, when none are
//! configured, makes sure the development PKI exists in `data_dir/pki` with a certificate for
//! every directory agency.

use std::fmt;
use std::path::{Path, PathBuf};

use netral_domain::AgencyId;
use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};
use x509_parser::pem::Pem;

use crate::directory::Directory;
use crate::pki::{DevPki, PkiError};
use crate::settings::Settings;

/// The TLS name clients expect the server to present (the dev server certificate's SAN).
pub const DEV_SERVER_NAME: &str = "localhost";

/// A server TLS configuration that requires every client to present a certificate signed
/// by `ca_pem`; connections without one fail during the handshake.
pub fn server_tls_config(
    ca_pem: impl AsRef<[u8]>,
    cert_pem: impl AsRef<[u8]>,
    key_pem: impl AsRef<[u8]>,
) -> ServerTlsConfig {
    ServerTlsConfig::new()
        .identity(Identity::from_pem(cert_pem, key_pem))
        .client_ca_root(Certificate::from_pem(ca_pem))
        .client_auth_optional(false)
}

/// A client TLS configuration for an agency: trusts `ca_pem`, presents `cert_pem`/`key_pem`,
/// and expects the server to be named [`DEV_SERVER_NAME`] whatever address it dials.
pub fn client_tls_config(
    ca_pem: impl AsRef<[u8]>,
    cert_pem: impl AsRef<[u8]>,
    key_pem: impl AsRef<[u8]>,
) -> ClientTlsConfig {
    ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca_pem))
        .identity(Identity::from_pem(cert_pem, key_pem))
        .domain_name(DEV_SERVER_NAME)
}

/// The PEM material the server needs for mTLS.
#[derive(Clone)]
pub struct TlsMaterial {
    /// The CA that agencies' client certificates must chain to.
    pub ca_pem: Vec<u8>,
    /// The server's certificate chain.
    pub cert_pem: Vec<u8>,
    /// The server's private key; kept out of `Debug`.
    pub key_pem: Vec<u8>,
    /// The dev PKI directory when the material was generated there (so `main` can tell the
    /// operator where the agency certificates are); `None` for configured certificates.
    pub dev_pki_dir: Option<PathBuf>,
}

impl TlsMaterial {
    /// The server TLS configuration for this material.
    pub fn server_config(&self) -> ServerTlsConfig {
        server_tls_config(&self.ca_pem, &self.cert_pem, &self.key_pem)
    }
}

impl fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsMaterial")
            .field("ca_pem", &format_args!("{} bytes", self.ca_pem.len()))
            .field("cert_pem", &format_args!("{} bytes", self.cert_pem.len()))
            .field("key_pem", &"[redacted]")
            .field("dev_pki_dir", &self.dev_pki_dir)
            .finish()
    }
}

/// Why the TLS material cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A configured file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// A configured file does not hold what it should.
    #[error("{} does not contain {expected}", path.display())]
    NotPem {
        /// The file.
        path: PathBuf,
        /// What it should contain, e.g. `a PEM certificate`.
        expected: &'static str,
    },
    /// Only some of `tls.ca_cert`, `tls.server_cert`, `tls.server_key` are set.
    #[error("tls.ca_cert, tls.server_cert and tls.server_key must be set together")]
    Incomplete,
    /// The development PKI cannot be created or loaded.
    #[error(transparent)]
    Pki(#[from] PkiError),
    /// The development PKI's server key could have been read or replaced by someone else.
    #[error(transparent)]
    UnsafeKey(#[from] crate::files::UnsafeKey),
}

/// The server's TLS material: the configured files when `tls.ca_cert`, `tls.server_cert`
/// and `tls.server_key` are set, otherwise the dev PKI in [`Settings::pki_dir`], created or
/// completed with a certificate for every agency of `directory`. Files are checked to hold
/// PEM certificates and a key, so a wrong path fails here with its name rather than later
/// inside the TLS stack.
pub fn load_tls_material(
    settings: &Settings,
    directory: &Directory,
) -> Result<TlsMaterial, TlsError> {
    let tls = &settings.tls;
    match (&tls.ca_cert, &tls.server_cert, &tls.server_key) {
        (Some(ca), Some(cert), Some(key)) => read_material(ca, cert, key, None),
        (None, None, None) => {
            let dir = settings.pki_dir();
            let agencies: Vec<AgencyId> = directory.ids().cloned().collect();
            let pki = DevPki::ensure(&dir, &agencies)?;
            read_material(
                &pki.ca_cert_path(),
                &pki.server_cert_path(),
                &pki.server_key_path(),
                Some(dir),
            )
        }
        _ => Err(TlsError::Incomplete),
    }
}

/// Reads and checks the three files. A key from the development PKI (in the data directory)
/// must be the server's user's alone; configured files are the operator's to protect.
fn read_material(
    ca: &Path,
    cert: &Path,
    key: &Path,
    dev_pki_dir: Option<PathBuf>,
) -> Result<TlsMaterial, TlsError> {
    const CERTIFICATE: &str = "a PEM X.509 certificate";
    if dev_pki_dir.is_some() {
        crate::files::check_private_key(key)?;
    }
    Ok(TlsMaterial {
        ca_pem: read_checked(ca, CERTIFICATE, is_certificate)?,
        cert_pem: read_checked(cert, CERTIFICATE, is_certificate)?,
        key_pem: read_checked(key, "a PEM private key", |pem| {
            pem.label.ends_with("PRIVATE KEY")
        })?,
        dev_pki_dir,
    })
}

/// Reads `path` and checks that one of its PEM blocks satisfies `check`.
fn read_checked(
    path: &Path,
    expected: &'static str,
    check: impl Fn(&Pem) -> bool,
) -> Result<Vec<u8>, TlsError> {
    let bytes = std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })?;
    let found = Pem::iter_from_buffer(&bytes)
        .map_while(Result::ok)
        .any(|pem| check(&pem));
    if found {
        Ok(bytes)
    } else {
        Err(TlsError::NotPem {
            path: path.to_owned(),
            expected,
        })
    }
}

/// A PEM block holding a parsable X.509 certificate.
fn is_certificate(pem: &Pem) -> bool {
    pem.label == "CERTIFICATE" && pem.parse_x509().is_ok()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tonic::transport::{Channel, Server};
    use tonic::{Request, Status};
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;

    use super::*;
    use crate::identity::peer_agency;

    fn read(path: &Path) -> Vec<u8> {
        std::fs::read(path).unwrap()
    }

    /// Starts a health service behind mTLS whose interceptor records each caller's agency.
    async fn serve(material: &TlsMaterial) -> (String, Arc<Mutex<Vec<String>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        let interceptor = move |req: Request<()>| {
            let agency = peer_agency(&req).map_err(|e| Status::unauthenticated(e.to_string()))?;
            record.lock().unwrap().push(agency.to_string());
            Ok(req)
        };
        let (_reporter, health) = tonic_health::server::health_reporter();
        let server = Server::builder()
            .tls_config(material.server_config())
            .unwrap()
            .layer(tonic::service::InterceptorLayer::new(interceptor))
            .add_service(health)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
        tokio::spawn(server);
        (url, seen)
    }

    async fn check(url: &str, tls: ClientTlsConfig) -> Result<(), Box<dyn std::error::Error>> {
        let channel = Channel::from_shared(url.to_owned())?
            .tls_config(tls)?
            .connect()
            .await?;
        HealthClient::new(channel)
            .check(HealthCheckRequest::default())
            .await?;
        Ok(())
    }

    #[tokio::test]
    async fn agencies_are_identified_over_mtls_and_strangers_refused() {
        let data = tempfile::tempdir().unwrap();
        let mut settings = Settings::for_test();
        settings.data_dir = data.path().to_owned();
        let directory = Directory::dev_seed().unwrap();
        let material = load_tls_material(&settings, &directory).unwrap();
        assert_eq!(
            material.dev_pki_dir.as_deref(),
            Some(settings.pki_dir().as_path())
        );
        let (url, seen) = serve(&material).await;

        let pki = DevPki::open(&settings.pki_dir()).unwrap();
        let (cert, key) = pki.agency_cert_paths(&"bawaslu-kotabaru".parse().unwrap());
        let agency = client_tls_config(&material.ca_pem, read(&cert), read(&key));
        check(&url, agency).await.unwrap();
        assert_eq!(*seen.lock().unwrap(), ["bawaslu-kotabaru"]);

        let anonymous = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&material.ca_pem))
            .domain_name(DEV_SERVER_NAME);
        assert!(check(&url, anonymous).await.is_err());

        let elsewhere = tempfile::tempdir().unwrap();
        let foreign = DevPki::ensure(elsewhere.path(), &["bkn".parse().unwrap()]).unwrap();
        let (cert, key) = foreign.agency_cert_paths(&"bkn".parse().unwrap());
        let stranger = client_tls_config(&material.ca_pem, read(&cert), read(&key));
        assert!(check(&url, stranger).await.is_err());
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    #[test]
    fn configured_files_are_checked() {
        let data = tempfile::tempdir().unwrap();
        let pki = DevPki::ensure(data.path(), &[]).unwrap();
        let mut settings = Settings::for_test();
        settings.tls.ca_cert = Some(pki.ca_cert_path());
        settings.tls.server_cert = Some(pki.server_cert_path());
        settings.tls.server_key = Some(pki.server_key_path());
        let directory = Directory::dev_seed().unwrap();
        let material = load_tls_material(&settings, &directory).unwrap();
        assert!(material.dev_pki_dir.is_none());
        assert!(!format!("{material:?}").contains("PRIVATE"));

        settings.tls.server_key = Some(pki.server_cert_path());
        let err = load_tls_material(&settings, &directory).unwrap_err();
        assert!(matches!(err, TlsError::NotPem { .. }), "{err}");
        settings.tls.server_key = None;
        let err = load_tls_material(&settings, &directory).unwrap_err();
        assert!(matches!(err, TlsError::Incomplete), "{err}");
    }

    #[test]
    fn a_dev_server_key_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let data = tempfile::tempdir().unwrap();
        let mut settings = Settings::for_test();
        settings.data_dir = data.path().to_owned();
        let directory = Directory::dev_seed().unwrap();
        load_tls_material(&settings, &directory).unwrap();
        let key = settings.pki_dir().join("server.key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o604)).unwrap();
        let err = load_tls_material(&settings, &directory).unwrap_err();
        assert!(matches!(err, TlsError::UnsafeKey(_)), "{err}");
        let message = err.to_string();
        assert!(message.contains(&key.display().to_string()), "{message}");
        assert!(message.contains("readable by others"), "{message}");
    }
}
