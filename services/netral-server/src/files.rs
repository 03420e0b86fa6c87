//! What the server keeps on disk is its own user's alone: the folders it creates are 0700 and
//! the files 0600 (the data directory, the development PKI, generated audit keys; the SQLite
//! files are netral-store's), and a private key it finds in its data directory is used only
//! when nobody else could have read or replaced it.
//!
//! Modes are set when a file or folder is created, before a secret is written into it, so
//! there is no moment at which it is readable by others whatever the umask.

use std::fs::{self, DirBuilder, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The mode of every folder the server creates: its user's only.
pub const DIR_MODE: u32 = 0o700;

/// The mode of every file the server creates: its user's only.
pub const FILE_MODE: u32 = 0o600;

/// A private key found in the data directory that others could read or replace: the server
/// refuses to use it rather than trust a key that may have leaked or been swapped.
#[derive(Debug, thiserror::Error)]
#[error(
    "refusing the private key {}: it is {}; a key must be its owner's alone \
     (chown it to this user and chmod 600, or delete it to have a new one generated)",
    path.display(),
    problems.join(", ")
)]
pub struct UnsafeKey {
    /// The key file, so the operator knows which one to fix.
    pub path: PathBuf,
    /// Everything wrong with it, e.g. `readable by its group`.
    pub problems: Vec<String>,
}

/// Creates `dir` and any missing parents, each with [`DIR_MODE`]. Folders that already exist
/// keep their mode: they may be the operator's.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)
}

/// Writes `contents` to `path` with [`FILE_MODE`], creating or replacing it; a file that
/// existed with a wider mode is narrowed before anything is written into it.
pub fn write(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(FILE_MODE)
        .open(path)?;
    file.set_permissions(fs::Permissions::from_mode(FILE_MODE))?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Opens a new file at `path` with [`FILE_MODE`] for writing; fails if it exists.
pub fn create_new(path: &Path) -> io::Result<fs::File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)
}

/// Checks that the private key at `path` is owned by the server's user and neither readable
/// nor writable by its group or others. A key that cannot be inspected is left to the read
/// that follows, which names the I/O error.
pub fn check_private_key(path: &Path) -> Result<(), UnsafeKey> {
    let Ok(metadata) = fs::metadata(path) else {
        return Ok(());
    };
    let me = rustix::process::geteuid().as_raw();
    let problems = key_problems(metadata.uid(), metadata.mode(), me);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(UnsafeKey {
            path: path.to_owned(),
            problems,
        })
    }
}

/// What is wrong with a key file owned by `owner` with `mode`, for a server running as `me`.
fn key_problems(owner: u32, mode: u32, me: u32) -> Vec<String> {
    let mut problems = Vec::new();
    if owner != me {
        problems.push(format!(
            "owned by uid {owner}, not by this server's user (uid {me})"
        ));
    }
    let bits = [
        (0o040, "readable by its group"),
        (0o020, "writable by its group"),
        (0o004, "readable by others"),
        (0o002, "writable by others"),
    ];
    problems.extend(
        bits.iter()
            .filter(|(bit, _)| mode & bit != 0)
            .map(|(_, what)| (*what).to_owned()),
    );
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_key_of_its_owner_alone_passes() {
        assert!(key_problems(1000, 0o100600, 1000).is_empty());
        assert!(key_problems(1000, 0o100400, 1000).is_empty());
        assert!(key_problems(0, 0o100700, 0).is_empty());
    }

    #[test]
    fn every_way_others_reach_a_key_is_named() {
        assert_eq!(key_problems(1000, 0o604, 1000), ["readable by others"]);
        assert_eq!(key_problems(1000, 0o640, 1000), ["readable by its group"]);
        assert_eq!(
            key_problems(1000, 0o622, 1000),
            ["writable by its group", "writable by others"]
        );
        assert_eq!(
            key_problems(1001, 0o600, 1000),
            ["owned by uid 1001, not by this server's user (uid 1000)"]
        );
        assert_eq!(key_problems(0, 0o666, 1000).len(), 5);
    }

    #[test]
    fn an_unsafe_key_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("ca.key");
        write(&key, b"-----BEGIN PRIVATE KEY-----").unwrap();
        check_private_key(&key).unwrap();

        fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
        let refused = check_private_key(&key).unwrap_err();
        assert_eq!(
            refused.problems,
            ["readable by its group", "readable by others"]
        );
        let message = refused.to_string();
        assert!(message.contains(&key.display().to_string()), "{message}");
        assert!(message.contains("readable by others"), "{message}");
        assert!(message.contains("chmod 600"), "{message}");
    }

    #[test]
    fn a_key_owned_by_someone_else_is_refused() {
        let me = rustix::process::geteuid().as_raw();
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("server.key");
        write(&key, b"key").unwrap();
        if me != 0 {
            // Only root can give a file away; the rule itself is proven on metadata above.
            assert_eq!(key_problems(me + 1, 0o600, me).len(), 1);
            return;
        }
        std::os::unix::fs::chown(&key, Some(65534), None).unwrap();
        let refused = check_private_key(&key).unwrap_err();
        assert_eq!(
            refused.problems,
            ["owned by uid 65534, not by this server's user (uid 0)"]
        );
    }

    #[test]
    fn created_folders_and_files_are_private_whatever_existed_before() {
        let root = tempfile::tempdir().unwrap();
        let nested = root.path().join("data/pki/agencies");
        create_dir(&nested).unwrap();
        for dir in ["data", "data/pki", "data/pki/agencies"] {
            assert_eq!(mode(&root.path().join(dir)), DIR_MODE, "{dir}");
        }
        let file = nested.join("bkn.pem");
        fs::write(&file, "old").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        write(&file, b"new").unwrap();
        assert_eq!(mode(&file), FILE_MODE);
        assert_eq!(fs::read(&file).unwrap(), b"new");
        let fresh = create_new(&nested.join("bkn.key")).unwrap();
        drop(fresh);
        assert_eq!(mode(&nested.join("bkn.key")), FILE_MODE);
        assert!(create_new(&nested.join("bkn.key")).is_err());
    }
}
