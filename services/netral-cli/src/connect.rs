//! The connection flags of the online `netral` commands (audit, inbox, stats; each flag also
//! read from the profile's environment variable, `NETRAL_ENDPOINT`, `NETRAL_PKI`,
//! `NETRAL_AGENCY`, `NETRAL_CA`, `NETRAL_CERT`, `NETRAL_KEY`, see [`crate::profile`]) and the
//! mTLS channel they describe: the dev PKI's layout (`<pki>/ca.pem`, `<pki>/agencies/<agency>.pem|.key`) by
//! default, or explicit files for an operator-issued certificate. The log's public verifier
//! key (`audit-log.pub`) is read from the same directory unless `--key` names it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use netral_domain::AgencyId;
use netral_proto::v1::audit_service_client::AuditServiceClient;
use netral_server::tls::DEV_SERVER_NAME;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

use crate::trace::Traced;

/// Where the server listens unless `--endpoint` says otherwise.
pub const DEFAULT_ENDPOINT: &str = "https://127.0.0.1:50051";
/// The agency the audit commands act as without `--agency`: BPK, an auditor of the dev
/// directory.
pub const DEFAULT_AUDITOR: &str = "bpk";
/// The name of the log's public verifier key file in the PKI directory.
pub const VERIFIER_KEY_FILE: &str = "audit-log.pub";

/// How long establishing the connection (TCP and TLS) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a call may take to answer (for the export: to start streaming).
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// The PKI directory: the CA, the agencies' certificates and the log's verifier key.
#[derive(Debug, Clone, Args)]
pub struct PkiDir {
    /// The dev PKI directory (`ca.pem`, `agencies/<id>.pem|.key`, `audit-log.pub`).
    #[arg(
        long,
        value_name = "DIR",
        env = "NETRAL_PKI",
        default_value = "./netral-data/pki"
    )]
    pub pki: PathBuf,
}

impl PkiDir {
    /// The verifier key file: `explicit` when given, else `<pki>/audit-log.pub`.
    pub fn verifier_key_path(&self, explicit: Option<&Path>) -> PathBuf {
        explicit.map_or_else(|| self.pki.join(VERIFIER_KEY_FILE), Path::to_path_buf)
    }
}

/// Reads the log's verifier key (one line, a signed-note verifier key).
pub fn read_verifier_key(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the audit log's verifier key {} (the server writes it beside its \
             dev PKI; pass --key FILE)",
            path.display()
        )
    })?;
    let key = text.trim();
    anyhow::ensure!(!key.is_empty(), "{} is empty", path.display());
    Ok(key.to_owned())
}

/// The flags of a command that talks to the server.
#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    /// The server's https:// endpoint.
    #[arg(long, value_name = "URL", env = "NETRAL_ENDPOINT", default_value = DEFAULT_ENDPOINT)]
    pub endpoint: String,
    /// Where the CA, the agency certificates and `audit-log.pub` are.
    #[command(flatten)]
    pub pki: PkiDir,
    /// The agency to act as, presenting its certificate. The audit commands default to
    /// `bpk`, an auditor (another agency asks only about its own cases); the inbox commands
    /// need it: whose inbox.
    #[arg(long, value_name = "ID", env = "NETRAL_AGENCY")]
    pub agency: Option<AgencyId>,
    /// The CA certificate (PEM) the server's certificate must chain to, instead of
    /// `<pki>/ca.pem`.
    #[arg(long, value_name = "FILE", env = "NETRAL_CA")]
    pub ca: Option<PathBuf>,
    /// The client certificate (PEM) to present, instead of `<pki>/agencies/<agency>.pem`.
    #[arg(long, value_name = "FILE", env = "NETRAL_CERT", requires = "cert_key")]
    pub cert: Option<PathBuf>,
    /// The client certificate's private key (PEM), instead of `<pki>/agencies/<agency>.key`.
    #[arg(long, value_name = "FILE", env = "NETRAL_KEY", requires = "cert")]
    pub cert_key: Option<PathBuf>,
    /// The name the server's certificate must carry.
    #[arg(long, value_name = "NAME", default_value = DEV_SERVER_NAME)]
    pub server_name: String,
}

impl ConnectArgs {
    /// The agency these flags act as: `--agency`, or the audit commands' auditor.
    pub fn acting(&self) -> anyhow::Result<AgencyId> {
        match &self.agency {
            Some(agency) => Ok(agency.clone()),
            None => Ok(DEFAULT_AUDITOR.parse()?),
        }
    }

    /// The CA, client certificate and key files these flags name.
    pub fn tls_files(&self) -> anyhow::Result<(PathBuf, PathBuf, PathBuf)> {
        let dir = &self.pki.pki;
        let acting = self.acting()?;
        let agency = acting.as_str();
        let ca = self.ca.clone().unwrap_or_else(|| dir.join("ca.pem"));
        let agencies = dir.join("agencies");
        let cert = self
            .cert
            .clone()
            .unwrap_or_else(|| agencies.join(format!("{agency}.pem")));
        let key = self
            .cert_key
            .clone()
            .unwrap_or_else(|| agencies.join(format!("{agency}.key")));
        Ok((ca, cert, key))
    }

    /// The client TLS configuration these flags describe.
    pub fn tls_config(&self) -> anyhow::Result<ClientTlsConfig> {
        let (ca, cert, key) = self.tls_files()?;
        let read = |path: &Path, what: &str| {
            std::fs::read(path)
                .with_context(|| format!("cannot read the {what} {}", path.display()))
        };
        Ok(ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(read(&ca, "CA certificate")?))
            .identity(Identity::from_pem(
                read(&cert, "client certificate")?,
                read(&key, "client key")?,
            ))
            .domain_name(self.server_name.clone()))
    }

    /// Connects to the server over mTLS; every call carries this command's trace context
    /// ([`crate::trace`]).
    pub async fn channel(&self) -> anyhow::Result<Traced> {
        let endpoint = &self.endpoint;
        let channel = Channel::from_shared(endpoint.clone())
            .with_context(|| format!("`{endpoint}` is not a valid endpoint"))?
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(CALL_TIMEOUT)
            .tls_config(self.tls_config()?)
            .context("the TLS configuration was refused")?
            .connect()
            .await
            .with_context(|| format!("cannot connect to {endpoint}"))?;
        Ok(crate::trace::traced(channel))
    }

    /// An `AuditService` client over a fresh connection.
    pub async fn client(&self) -> anyhow::Result<AuditServiceClient<Traced>> {
        Ok(AuditServiceClient::new(self.channel().await?))
    }
}
