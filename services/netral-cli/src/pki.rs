//! `netral pki`: the development PKI, so that a fresh checkout runs with real mTLS.
//!
//! `init` creates (or completes) the CA, the server certificate and one client certificate
//! per directory agency in `<data-dir>/pki`, exactly as `netral-server` does on first start;
//! `issue` adds or renews one agency certificate with the existing CA. These certificates are
//! for development and demos only: production agencies get theirs from the operator's CA.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use netral_domain::AgencyId;
use netral_server::directory::Directory;
use netral_server::identity::agency_uri;
use netral_server::pki::DevPki;
use netral_server::settings::Settings;

/// Arguments of `netral pki`.
#[derive(Debug, Args)]
pub struct PkiArgs {
    /// Which PKI command.
    #[command(subcommand)]
    command: PkiCommand,
}

/// The PKI commands.
#[derive(Debug, Subcommand)]
enum PkiCommand {
    /// Create the dev CA if missing and issue every missing certificate (server and agencies).
    Init {
        /// Where the PKI lives.
        #[command(flatten)]
        data: DataDir,
        /// Issue certificates for the agencies of this directory file instead of the bundled
        /// development directory.
        #[arg(long, value_name = "FILE")]
        directory: Option<PathBuf>,
    },
    /// Issue (or renew) one agency's client certificate with the existing dev CA.
    Issue {
        /// The agency id, e.g. `bawaslu-kotabaru`; it becomes the URI SAN `netral:agency/<id>`.
        #[arg(long, value_name = "ID")]
        agency: AgencyId,
        /// Where the PKI lives.
        #[command(flatten)]
        data: DataDir,
    },
}

/// The server's data directory, whose `pki/` subdirectory holds the dev PKI.
#[derive(Debug, Args)]
struct DataDir {
    /// The netral-server data directory (the same as its `data_dir` setting).
    #[arg(long, env = "NETRAL__DATA_DIR", default_value = "./netral-data")]
    data_dir: PathBuf,
}

impl DataDir {
    /// The PKI directory, derived exactly as the server derives it.
    fn pki_dir(&self) -> PathBuf {
        let settings = Settings {
            data_dir: self.data_dir.clone(),
            ..Settings::default()
        };
        settings.pki_dir()
    }
}

/// Runs a `netral pki` command, writing what it did to `out`.
pub fn run(args: PkiArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    match args.command {
        PkiCommand::Init { data, directory } => init(&data.pki_dir(), directory.as_deref(), out),
        PkiCommand::Issue { agency, data } => issue(&data.pki_dir(), &agency, out),
    }
}

/// `netral pki init`.
fn init(dir: &Path, directory: Option<&Path>, out: &mut dyn Write) -> anyhow::Result<()> {
    let directory = match directory {
        Some(path) => Directory::load(path)?,
        None => Directory::dev_seed()?,
    };
    let agencies: Vec<AgencyId> = directory.ids().cloned().collect();
    let pki = DevPki::ensure(dir, &agencies)
        .with_context(|| format!("cannot set up the development PKI in {}", dir.display()))?;

    let state = if pki.created_ca() { "new" } else { "existing" };
    let dir = pki.dir().display();
    writeln!(out, "Development PKI in {dir} (development only)")?;
    writeln!(
        out,
        "  CA:          {} ({state})",
        pki.ca_cert_path().display()
    )?;
    writeln!(out, "  server cert: {}", pki.server_cert_path().display())?;
    writeln!(out, "  server key:  {}", pki.server_key_path().display())?;
    let issued = match pki.newly_issued() {
        [] => "nothing, every certificate is in place".to_owned(),
        few if few.len() <= 3 => few.join(", "),
        many => format!("{} certificates", many.len()),
    };
    writeln!(out, "  issued now:  {issued}")?;
    let origin = directory.origin();
    writeln!(out, "Agency certificates and keys ({origin}):")?;
    let width = agencies.iter().map(|id| id.as_str().len()).max();
    let width = width.unwrap_or(0);
    for id in &agencies {
        let stem = pki.agency_cert_paths(id).0.with_extension("");
        let id = id.as_str(); // `AgencyId`'s `Display` ignores padding
        writeln!(out, "  {id:<width$}  {}.{{pem,key}}", stem.display())?;
    }
    Ok(())
}

/// `netral pki issue`.
fn issue(dir: &Path, agency: &AgencyId, out: &mut dyn Write) -> anyhow::Result<()> {
    let pki = DevPki::open(dir)?;
    let (cert, key) = pki
        .issue_agency(agency)
        .with_context(|| format!("cannot issue a certificate for {agency}"))?;
    writeln!(
        out,
        "Issued {} (signed by {})",
        agency_uri(agency),
        pki.ca_cert_path().display()
    )?;
    writeln!(out, "  certificate: {}", cert.display())?;
    writeln!(out, "  key:         {}", key.display())?;
    if Directory::dev_seed()?.get(agency).is_none() {
        writeln!(
            out,
            "Note: `{agency}` is not in the bundled development directory; add it to the \
             directory file the server uses, or its calls are refused as UNKNOWN_AGENCY."
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(result: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>) -> String {
        let mut out = Vec::new();
        result(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn init_issues_every_dev_agency_and_is_repeatable() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("pki");
        let first = output(|out| init(&dir, None, out));
        assert!(first.contains("(new)"), "{first}");
        assert!(first.contains("bawaslu-kotabaru"), "{first}");
        for name in [
            "ca.pem",
            "ca.key",
            "server.pem",
            "server.key",
            "agencies/bkn.pem",
        ] {
            assert!(dir.join(name).exists(), "{name}");
        }
        let ca = std::fs::read(dir.join("ca.pem")).unwrap();

        let second = output(|out| init(&dir, None, out));
        assert!(second.contains("(existing)"), "{second}");
        assert!(second.contains("issued now:  nothing"), "{second}");
        assert_eq!(std::fs::read(dir.join("ca.pem")).unwrap(), ca);
    }

    #[test]
    fn issue_needs_an_existing_ca() {
        let tmp = tempfile::tempdir().unwrap();
        let agency = "bkn".parse().unwrap();
        let err = issue(&tmp.path().join("pki"), &agency, &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("netral pki init"), "{err}");
        assert!(!tmp.path().join("pki/agencies/bkn.pem").exists());
    }

    #[test]
    fn issue_adds_an_agency_certificate() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("pki");
        output(|out| init(&dir, None, out));
        let agency = "inspektorat-kalsel".parse().unwrap();
        let report = output(|out| issue(&dir, &agency, out));
        assert!(
            report.contains("netral:agency/inspektorat-kalsel"),
            "{report}"
        );
        assert!(
            report.contains("not in the bundled development directory"),
            "{report}"
        );
        assert!(dir.join("agencies/inspektorat-kalsel.pem").exists());
        assert!(dir.join("agencies/inspektorat-kalsel.key").exists());
    }
}
