//! The server's posture, explicit in the `mode` setting, so that a shared deployment cannot
//! quietly run on what is meant for a laptop.
//!
//! - `dev` (the default) needs nothing set up: a generated PKI, the bundled directory, SQLite
//!   in the data directory. Because all of that is for development, it listens on loopback
//!   addresses only ([`Settings::validate`] refuses anything else unless
//!   `allow_non_loopback_dev` says so).
//! - `production` refuses to start until it has the exchange's own certificates, a directory
//!   file, PostgreSQL and the audit keys, each configured and readable, and names everything
//!   missing at once, on one line ([`check`]).

use std::path::Path;

use serde::Deserialize;
use x509_parser::pem::Pem;
use x509_parser::x509::X509Name;

use crate::settings::{Settings, SettingsError};

/// How the server is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A developer's machine: whatever is not configured is generated or bundled, and only
    /// loopback addresses are served.
    #[default]
    Dev,
    /// A deployment agencies call: nothing is generated or bundled, everything is checked
    /// before the server starts.
    Production,
}

/// What production mode needs of the database, as the refusal names it.
pub const NEEDS_POSTGRES: &str = "database.url (or DATABASE_URL) pointing at PostgreSQL";

/// Refuses settings whose mode they do not satisfy: in production, everything
/// [`production_needs`] finds missing, in one error. Dev mode's rule on addresses needs no
/// I/O and is part of [`Settings::validate`].
pub fn check(settings: &Settings) -> Result<(), SettingsError> {
    if settings.mode != Mode::Production {
        return Ok(());
    }
    let needs = production_needs(settings);
    if needs.is_empty() {
        Ok(())
    } else {
        Err(SettingsError::ProductionNeeds(needs))
    }
}

/// Everything production mode lacks, in the order the settings file lists it: each an item
/// the operator can act on, a setting's name and, when it is set but unusable, why.
pub fn production_needs(settings: &Settings) -> Vec<String> {
    let mut needs = Vec::new();
    if !is_postgres(settings.database.url.as_deref()) {
        needs.push(NEEDS_POSTGRES.to_owned());
    }
    if settings.tls.insecure_loopback_dev {
        needs.push("tls.insecure_loopback_dev = false".to_owned());
    }
    let (tls, audit) = (&settings.tls, &settings.audit);
    let files: [(&str, Option<&Path>, Content); 6] = [
        ("tls.ca_cert", tls.ca_cert.as_deref(), Content::Certificate),
        (
            "tls.server_cert",
            tls.server_cert.as_deref(),
            Content::Certificate,
        ),
        ("tls.server_key", tls.server_key.as_deref(), Content::Any),
        (
            "directory.file",
            settings.directory.file.as_deref(),
            Content::Directory,
        ),
        (
            "audit.signing_key_file",
            audit.signing_key_file.as_deref(),
            Content::Any,
        ),
        (
            "audit.subject_key_file",
            audit.subject_key_file.as_deref(),
            Content::Any,
        ),
    ];
    for (key, path, content) in files {
        match path {
            None => needs.push(key.to_owned()),
            Some(path) => {
                if let Some(why) = unreadable(path).or_else(|| content.refusal(path)) {
                    needs.push(format!("{key} ({}: {why})", path.display()));
                }
            }
        }
    }
    needs
}

/// What a configured file must not be in production, beyond readable.
#[derive(Debug, Clone, Copy)]
enum Content {
    /// Anything readable.
    Any,
    /// A certificate from the exchange's own CA, not the development PKI.
    Certificate,
    /// The operator's directory, not a copy of the bundled development seed.
    Directory,
}

impl Content {
    /// Why the file at `path` is refused, if it is.
    fn refusal(self, path: &Path) -> Option<String> {
        match self {
            Self::Any => None,
            Self::Certificate => from_dev_pki(path).then(|| "issued by the development PKI".into()),
            Self::Directory => std::fs::read_to_string(path)
                .is_ok_and(|text| text == crate::directory::DEV_SEED)
                .then(|| "the bundled development directory".into()),
        }
    }
}

/// Whether `url` is a PostgreSQL URL (not SQLite, not unset).
fn is_postgres(url: Option<&str>) -> bool {
    url.is_some_and(|url| url.starts_with("postgres://") || url.starts_with("postgresql://"))
}

/// Why `path` cannot be read as a file, or `None` when it can.
fn unreadable(path: &Path) -> Option<String> {
    let opened = std::fs::File::open(path).and_then(|file| file.metadata());
    match opened {
        Ok(metadata) if metadata.is_file() => None,
        Ok(_) => Some("not a file".into()),
        Err(err) => Some(match err.kind() {
            std::io::ErrorKind::NotFound => "not found".into(),
            std::io::ErrorKind::PermissionDenied => "not readable by this user".into(),
            _ => err.to_string(),
        }),
    }
}

/// Whether a certificate in the PEM file at `path` was issued by, or is, the development CA.
fn from_dev_pki(path: &Path) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    Pem::iter_from_buffer(&bytes)
        .map_while(Result::ok)
        .any(|pem| {
            pem.parse_x509()
                .is_ok_and(|cert| is_dev_name(cert.subject()) || is_dev_name(cert.issuer()))
        })
}

/// Whether `name` is in the development PKI's organisation.
fn is_dev_name(name: &X509Name<'_>) -> bool {
    name.iter_organization()
        .any(|o| o.as_str() == Ok(crate::pki::DEV_ORGANIZATION))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::pki::DevPki;

    /// Production settings whose every file exists in `dir` (keys and certificates from an
    /// operator's CA are stood in for by plain files, except where a test needs real ones).
    fn complete(dir: &Path) -> Settings {
        let file = |name: &str, text: &str| -> PathBuf {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let mut settings = Settings::for_test();
        settings.mode = Mode::Production;
        settings.database.url = Some("postgres://netral@db:5432/netral".into());
        settings.tls.ca_cert = Some(file("ca.pem", "operator CA"));
        settings.tls.server_cert = Some(file("server.pem", "operator server"));
        settings.tls.server_key = Some(file("server.key", "key"));
        settings.directory.file = Some(file("directory.toml", "# the operator's"));
        settings.audit.signing_key_file = Some(file("audit-log.key", "key"));
        settings.audit.subject_key_file = Some(file("subject.key", "key"));
        settings
    }

    #[test]
    fn dev_mode_needs_nothing() {
        let settings = Settings::for_test();
        assert_eq!(settings.mode, Mode::Dev);
        check(&settings).unwrap();
    }

    #[test]
    fn a_complete_production_configuration_passes() {
        let dir = tempfile::tempdir().unwrap();
        let settings = complete(dir.path());
        assert_eq!(production_needs(&settings), Vec::<String>::new());
        check(&settings).unwrap();
    }

    #[test]
    fn everything_missing_is_named_at_once_in_one_line() {
        let mut settings = Settings::for_test();
        settings.mode = Mode::Production;
        let err = check(&settings).unwrap_err();
        assert_eq!(
            err.to_string(),
            "production mode needs: database.url (or DATABASE_URL) pointing at PostgreSQL, \
             tls.ca_cert, tls.server_cert, tls.server_key, directory.file, \
             audit.signing_key_file, audit.subject_key_file"
        );
    }

    #[test]
    fn sqlite_is_not_a_production_database() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = complete(dir.path());
        for url in [None, Some("sqlite:///var/lib/netral/netral.db?mode=rwc")] {
            settings.database.url = url.map(str::to_owned);
            assert_eq!(production_needs(&settings), [NEEDS_POSTGRES]);
        }
        settings.database.url = Some("postgresql://netral@db/netral".into());
        assert!(production_needs(&settings).is_empty());
    }

    #[test]
    fn configured_files_must_be_readable_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = complete(dir.path());
        let missing = dir.path().join("nowhere/ca.pem");
        settings.tls.ca_cert = Some(missing.clone());
        settings.directory.file = Some(dir.path().to_owned());
        assert_eq!(
            production_needs(&settings),
            [
                format!("tls.ca_cert ({}: not found)", missing.display()),
                format!("directory.file ({}: not a file)", dir.path().display()),
            ]
        );
    }

    #[test]
    fn the_development_pki_and_directory_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = complete(dir.path());
        let pki = DevPki::ensure(&dir.path().join("pki"), &[]).unwrap();
        settings.tls.ca_cert = Some(pki.ca_cert_path());
        settings.tls.server_cert = Some(pki.server_cert_path());
        settings.tls.server_key = Some(pki.server_key_path());
        let seed = dir.path().join("directory.toml");
        std::fs::write(&seed, crate::directory::DEV_SEED).unwrap();
        assert_eq!(
            production_needs(&settings),
            [
                format!(
                    "tls.ca_cert ({}: issued by the development PKI)",
                    pki.ca_cert_path().display()
                ),
                format!(
                    "tls.server_cert ({}: issued by the development PKI)",
                    pki.server_cert_path().display()
                ),
                format!(
                    "directory.file ({}: the bundled development directory)",
                    seed.display()
                ),
            ]
        );
    }

    #[test]
    fn production_serves_mtls_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = complete(dir.path());
        settings.tls.insecure_loopback_dev = true;
        assert_eq!(
            production_needs(&settings),
            ["tls.insecure_loopback_dev = false"]
        );
    }
}
