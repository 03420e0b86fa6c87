//! The audit log's two secrets: the Ed25519 key that signs checkpoints (a C2SP signed-note
//! key named after the log's origin) and the 32-byte secret behind subject digests. Both
//! come from files named in `[audit]`; left unset, they are generated on first start in
//! `<data_dir>/audit/` (development), and the public verifier key is written beside the
//! agencies' certificates as `audit-log.pub`. Generated keys are the server's user's alone
//! (0600 in a 0700 folder), and a generated key found there that others could read or replace
//! is refused (configured key files are the operator's to protect).

use std::path::{Path, PathBuf};

use netral_audit::LogSigner;
use rand_core::RngCore;
use secrecy::{ExposeSecret, SecretBox};

/// The name of the public verifier key file.
pub const VERIFIER_KEY_FILE: &str = "audit-log.pub";

/// Why the keys could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A key file cannot be read or written.
    #[error("audit key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// A generated key in the data directory could have been read or replaced by someone
    /// else.
    #[error(transparent)]
    UnsafeKey(#[from] crate::files::UnsafeKey),
    /// A key file does not hold a key of the expected form.
    #[error("audit key file {0} is malformed")]
    Malformed(PathBuf),
    /// The signing key is named for another log than `audit.origin`.
    #[error("the audit signing key is for log {found:?}, but audit.origin is {expected:?}")]
    Origin {
        /// `audit.origin`.
        expected: String,
        /// The key's name.
        found: String,
    },
}

/// The loaded keys.
pub struct AuditKeys {
    /// Signs checkpoints.
    signer: LogSigner,
    /// Keys the subject digests.
    subject_secret: SecretBox<[u8; 32]>,
}

impl std::fmt::Debug for AuditKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditKeys")
            .field("key_id", &self.signer.key_id())
            .finish_non_exhaustive()
    }
}

/// Where the keys are, as settings give them.
#[derive(Debug, Clone)]
pub struct KeyFiles {
    /// The log's origin (the signing key's name).
    pub origin: String,
    /// The signing key file; `None`: `<data_dir>/audit/audit-log.key`, generated if missing.
    pub signing_key: Option<PathBuf>,
    /// The subject secret file; `None`: `<data_dir>/audit/subject.key`, generated if missing.
    pub subject_key: Option<PathBuf>,
    /// The data directory.
    pub data_dir: PathBuf,
}

impl KeyFiles {
    /// The key files `settings` name.
    pub fn of(settings: &crate::settings::Settings) -> Self {
        Self {
            origin: settings.audit.origin.clone(),
            signing_key: settings.audit.signing_key_file.clone(),
            subject_key: settings.audit.subject_key_file.clone(),
            data_dir: settings.data_dir.clone(),
        }
    }
}

impl AuditKeys {
    /// Loads the keys, generating the development defaults that are missing; writes the
    /// verifier key to `<data_dir>/audit/` and to each of `publish_to`.
    pub fn load(files: &KeyFiles, publish_to: &[&Path]) -> Result<Self, KeyError> {
        let dev_dir = files.data_dir.join("audit");
        let signing_path = match &files.signing_key {
            Some(path) => path.clone(),
            None => {
                let path = dev_dir.join("audit-log.key");
                if !path.exists() {
                    let (skey, _) = LogSigner::generate(&files.origin);
                    write_secret(&path, skey.as_bytes())?;
                }
                crate::files::check_private_key(&path)?;
                path
            }
        };
        let skey = read(&signing_path)?;
        let signer =
            LogSigner::new(&skey).map_err(|_| KeyError::Malformed(signing_path.clone()))?;
        if signer.origin() != files.origin {
            return Err(KeyError::Origin {
                expected: files.origin.clone(),
                found: signer.origin().to_owned(),
            });
        }
        let subject_path = match &files.subject_key {
            Some(path) => path.clone(),
            None => {
                let path = dev_dir.join("subject.key");
                if !path.exists() {
                    let mut secret = [0u8; 32];
                    rand_core::OsRng.fill_bytes(&mut secret);
                    write_secret(&path, hex::encode(secret).as_bytes())?;
                }
                crate::files::check_private_key(&path)?;
                path
            }
        };
        let subject_secret: [u8; 32] = hex::decode(read(&subject_path)?.trim())
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| KeyError::Malformed(subject_path.clone()))?;
        let keys = Self {
            signer,
            subject_secret: SecretBox::new(Box::new(subject_secret)),
        };
        let public = format!("{}\n", keys.signer.verifier_key());
        let published = std::iter::once(dev_dir.as_path()).chain(publish_to.iter().copied());
        for dir in published {
            let path = dir.join(VERIFIER_KEY_FILE);
            crate::files::create_dir(dir)
                .and_then(|()| crate::files::write(&path, public.as_bytes()))
                .map_err(|source| KeyError::Io { path, source })?;
        }
        Ok(keys)
    }

    /// Throwaway keys held in memory only: for the bench floor and tests, whose logs
    /// nobody verifies later.
    pub fn ephemeral(origin: &str) -> Self {
        let (skey, _) = LogSigner::generate(origin);
        Self {
            signer: LogSigner::new(&skey).unwrap_or_else(|e| panic!("generated key: {e}")),
            subject_secret: SecretBox::new(Box::new([7; 32])),
        }
    }

    /// The checkpoint signer.
    pub fn signer(&self) -> &LogSigner {
        &self.signer
    }

    /// The public verifier key text.
    pub fn verifier_key(&self) -> &str {
        self.signer.verifier_key()
    }

    /// The subject-digest secret.
    pub(crate) fn subject_secret(&self) -> &[u8; 32] {
        self.subject_secret.expose_secret()
    }
}

fn read(path: &Path) -> Result<String, KeyError> {
    std::fs::read_to_string(path).map_err(|source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes a secret readable by its owner only, in a folder only its owner may enter.
fn write_secret(path: &Path, contents: &[u8]) -> Result<(), KeyError> {
    use std::io::Write;
    let io = |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        crate::files::create_dir(dir).map_err(io)?;
    }
    let mut file = crate::files::create_new(path).map_err(io)?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(io)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn dev_files(data_dir: &Path) -> KeyFiles {
        KeyFiles {
            origin: "netral.test/audit-log".into(),
            signing_key: None,
            subject_key: None,
            data_dir: data_dir.to_owned(),
        }
    }

    #[test]
    fn generated_keys_are_private_and_reloaded() {
        let data = tempfile::tempdir().unwrap();
        let publish = data.path().join("pki");
        let first = AuditKeys::load(&dev_files(data.path()), &[&publish]).unwrap();
        let audit = data.path().join("audit");
        assert_eq!(mode(&audit), 0o700);
        for file in ["audit-log.key", "subject.key", VERIFIER_KEY_FILE] {
            assert_eq!(mode(&audit.join(file)), 0o600, "{file}");
        }
        assert_eq!(mode(&publish), 0o700);
        assert_eq!(mode(&publish.join(VERIFIER_KEY_FILE)), 0o600);
        let again = AuditKeys::load(&dev_files(data.path()), &[]).unwrap();
        assert_eq!(again.verifier_key(), first.verifier_key());
    }

    #[test]
    fn a_generated_key_others_can_reach_is_refused() {
        for file in ["audit-log.key", "subject.key"] {
            let data = tempfile::tempdir().unwrap();
            AuditKeys::load(&dev_files(data.path()), &[]).unwrap();
            let key = data.path().join("audit").join(file);
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o620)).unwrap();
            let err = AuditKeys::load(&dev_files(data.path()), &[]).unwrap_err();
            assert!(matches!(err, KeyError::UnsafeKey(_)), "{file}: {err}");
            let message = err.to_string();
            assert!(message.contains(&key.display().to_string()), "{message}");
            assert!(message.contains("writable by its group"), "{message}");
        }
    }
}
