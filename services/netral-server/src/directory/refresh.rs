//! Keeps every replica's directory current without a restart: on an interval
//! (`directory.refresh_interval_ms`) each replica re-reads the directory file when its content
//! changed, and the revocations operators recorded in the database, and swaps the result into
//! its [`DirectoryHandle`]. A file that no longer validates is logged once and the last good
//! directory kept; a database that does not answer keeps the last revocations read.
//!
//! Replicas share the database, so a revocation recorded there reaches every replica within
//! one interval; a file edit reaches each replica that reads the same file (a mounted config
//! map) within one interval too.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use netral_domain::Catalogue;
use netral_proto::v1::AuditOutcome;
use netral_store::{Revocation, Store, StoreError};

use super::{Directory, DirectoryError, DirectoryHandle};
use crate::audit::{Event, Origin, changed_agencies};
use crate::clock::Clock;

/// The file as last read.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    /// Its bytes (valid or not): an unchanged file is not parsed again.
    Bytes(Vec<u8>),
    /// Why it could not be read, so the same failure is logged once.
    Unreadable(String),
}

/// What one refresh did, for tests and logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshReport {
    /// The file changed and its new content is now the directory.
    pub reloaded: bool,
    /// The file changed but was refused (the message names file, agency and field); the last
    /// good directory stays.
    pub rejected: Option<String>,
    /// The directory the services see was replaced.
    pub swapped: bool,
}

/// One replica's refresher. Built at start-up, run by [`DirectoryRefresh::spawn`].
pub struct DirectoryRefresh {
    /// What the services, the exchange and the deadline engine read.
    handle: DirectoryHandle,
    /// Where revocations are read, and the directory's stored copy is kept.
    store: Store,
    /// The directory file; `None` for the bundled seed, which never changes.
    file: Option<PathBuf>,
    /// The regions a reloaded directory's jurisdictions must exist in.
    catalogue: Arc<Catalogue>,
    /// The last good directory as its source says, before revocations.
    base: Directory,
    /// Whether the store's copy of the directory matches `base` (a sync that failed is
    /// retried on the next refresh).
    synced: bool,
    /// The file as last read.
    seen: Option<Seen>,
    /// The revocations as last read.
    revocations: Vec<Revocation>,
    /// Whether the last read of the revocations failed (logged once per outage).
    revocations_failing: bool,
    /// The instant of the directory sync's audit event.
    clock: Clock,
    /// How often to refresh.
    interval: Duration,
}

impl DirectoryRefresh {
    /// A refresher of `handle`, whose directory came from `base` (read from `file`, already
    /// synced to the store) with `revocations` applied.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        handle: DirectoryHandle,
        store: Store,
        file: Option<PathBuf>,
        catalogue: Arc<Catalogue>,
        base: Directory,
        revocations: Vec<Revocation>,
        clock: Clock,
        interval: Duration,
    ) -> Self {
        Self {
            handle,
            store,
            file,
            catalogue,
            base,
            synced: true,
            // Read again at the first refresh: the file may have changed since `base` was read.
            seen: None,
            revocations,
            revocations_failing: false,
            clock,
            interval,
        }
    }

    /// Re-reads the file (if it changed) and the revocations, and swaps the directory if
    /// the result differs from what the services see.
    pub async fn refresh_once(&mut self) -> RefreshReport {
        let mut report = RefreshReport::default();
        if let Some(path) = self.file.clone() {
            let seen = match tokio::fs::read(&path).await {
                Ok(bytes) => Seen::Bytes(bytes),
                Err(err) => Seen::Unreadable(err.to_string()),
            };
            if self.seen.as_ref() != Some(&seen) {
                match &seen {
                    Seen::Bytes(bytes) => match self.validate(&path, bytes) {
                        Ok(directory) => {
                            report.reloaded = directory != self.base;
                            if report.reloaded {
                                self.base = directory;
                                self.synced = false;
                            }
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, "the directory file no longer validates; keeping the last good directory");
                            report.rejected = Some(err.to_string());
                        }
                    },
                    Seen::Unreadable(why) => tracing::warn!(
                        path = %path.display(), error = %why,
                        "cannot read the directory file; keeping the last good directory"
                    ),
                }
                self.seen = Some(seen);
            }
        }
        if !self.synced {
            let at = self.clock.now();
            match sync_store(&self.store, &self.base, at, "directory-refresh").await {
                Ok(changed) => {
                    self.synced = true;
                    tracing::info!(changed = changed.len(), "directory file reloaded");
                }
                Err(err) => {
                    tracing::warn!(error = %err, "the reloaded directory could not be stored; retrying at the next refresh")
                }
            }
        }
        match self.store.revocations().await {
            Ok(revocations) => {
                self.revocations = revocations;
                self.revocations_failing = false;
            }
            Err(err) => {
                if !self.revocations_failing {
                    tracing::warn!(error = %err, "cannot read the revocations; keeping the last ones read");
                }
                self.revocations_failing = true;
            }
        }
        let current = self.base.with_revocations(&self.revocations);
        if *self.handle.snapshot() != current {
            tracing::info!(
                agencies = current.len(),
                revoked_certificates = current.revoked_certificate_count(),
                "directory refreshed"
            );
            self.handle.replace(current);
            report.swapped = true;
        }
        report
    }

    /// Refreshes every interval until the task is aborted.
    pub fn spawn(mut self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(self.interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // The first tick completes at once; start-up has just read everything.
            tick.tick().await;
            loop {
                tick.tick().await;
                self.refresh_once().await;
            }
        })
    }

    /// The directory `bytes` of `path` say, checked against the regions.
    fn validate(&self, path: &std::path::Path, bytes: &[u8]) -> Result<Directory, DirectoryError> {
        let origin = path.display().to_string();
        let text = std::str::from_utf8(bytes).map_err(|err| DirectoryError::Syntax {
            origin: origin.clone(),
            message: format!("not UTF-8 text: {err}"),
        })?;
        let directory = Directory::parse(text, &origin)?;
        directory.check_regions(&self.catalogue.regions)?;
        Ok(directory)
    }
}

/// Writes `directory` to the store's copy and, when that changed who may do what, appends a
/// `SYNC_DIRECTORY` audit event naming the agencies that changed (from `peer`: `startup` or
/// `directory-refresh`). Answers those agencies.
pub(crate) async fn sync_store(
    store: &Store,
    directory: &Directory,
    at: DateTime<Utc>,
    peer: &str,
) -> Result<Vec<String>, StoreError> {
    let records = directory.records();
    let before = store.agencies().await?;
    store.sync_directory(&records).await?;
    let changed = changed_agencies(&before, &records);
    if !changed.is_empty() {
        // An administrative act: who may do what changed.
        let payload = serde_json::json!({ "changed_agencies": changed }).to_string();
        let origin = Origin {
            peer: peer.into(),
            ..Default::default()
        };
        let event = Event {
            payload_json: payload,
            ..Event::new("SYNC_DIRECTORY", AuditOutcome::Success, at, &origin)
        };
        store.record_audit(event.record()).await?;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use netral_domain::AgencyId;
    use netral_store::{CertificateFingerprint, Revoked};

    use super::*;
    use crate::directory::DEV_SEED;
    use crate::identity::IdentityError;

    const NEW_OFFICE: &str = "\n[[agencies]]\nid = \"bawaslu-kotabaru-baru\"\n\
        display_name = \"Bawaslu Kotabaru (kantor baru)\"\nregion = \"63.02\"\n\
        [[agencies.grants]]\nrole = \"BAWASLU\"\nfrom = 2018-01-01\n";

    fn id(s: &str) -> AgencyId {
        s.parse().unwrap()
    }

    struct World {
        refresh: DirectoryRefresh,
        handle: DirectoryHandle,
        store: Store,
        file: PathBuf,
        _dir: tempfile::TempDir,
    }

    async fn world() -> World {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("directory.toml");
        std::fs::write(&file, DEV_SEED).unwrap();
        let store = Store::sqlite_in(dir.path()).await.unwrap();
        let base = Directory::load(&file).unwrap();
        let at = "2024-09-04T00:00:00Z".parse().unwrap();
        sync_store(&store, &base, at, "startup").await.unwrap();
        let handle = DirectoryHandle::new(base.clone());
        let refresh = DirectoryRefresh::new(
            handle.clone(),
            store.clone(),
            Some(file.clone()),
            Arc::new(Catalogue::bundled().unwrap()),
            base,
            Vec::new(),
            Clock::manual(at),
            Duration::from_millis(10),
        );
        World {
            refresh,
            handle,
            store,
            file,
            _dir: dir,
        }
    }

    #[tokio::test]
    async fn nothing_changed_nothing_swapped() {
        let mut w = world().await;
        let before = w.handle.snapshot();
        assert_eq!(w.refresh.refresh_once().await, RefreshReport::default());
        assert!(std::sync::Arc::ptr_eq(&before, &w.handle.snapshot()));
    }

    #[tokio::test]
    async fn an_edited_file_applies_and_is_stored_and_audited() {
        let mut w = world().await;
        let baru = id("bawaslu-kotabaru-baru");
        assert!(w.handle.resolve(&baru).is_err());
        let audited = w.store.table_counts().await.unwrap().audit_events;
        std::fs::write(&w.file, format!("{DEV_SEED}{NEW_OFFICE}")).unwrap();
        let report = w.refresh.refresh_once().await;
        assert!(report.reloaded && report.swapped, "{report:?}");
        assert!(w.handle.resolve(&baru).is_ok());
        let stored = w.store.agencies().await.unwrap();
        assert!(stored.iter().any(|a| a.id == baru));
        assert_eq!(
            w.store.table_counts().await.unwrap().audit_events,
            audited + 1,
            "one SYNC_DIRECTORY event"
        );
        // Revoked in the file: refused from the next refresh on.
        let revoked = NEW_OFFICE.replace(
            "region = \"63.02\"\n",
            "region = \"63.02\"\nrevoked_at = 2024-09-05T00:00:00Z\n",
        );
        std::fs::write(&w.file, format!("{DEV_SEED}{revoked}")).unwrap();
        assert!(w.refresh.refresh_once().await.swapped);
        assert_eq!(w.handle.resolve(&baru), Err(IdentityError::Revoked(baru)));
    }

    #[tokio::test]
    async fn a_file_that_no_longer_validates_keeps_the_last_good_directory() {
        let mut w = world().await;
        let before = w.handle.snapshot();
        std::fs::write(&w.file, format!("{DEV_SEED}{NEW_OFFICE}{NEW_OFFICE}")).unwrap();
        let report = w.refresh.refresh_once().await;
        let rejected = report.rejected.expect("a duplicate id is refused");
        assert!(rejected.contains("duplicate id"), "{rejected}");
        assert!(!report.swapped);
        assert_eq!(*w.handle.snapshot(), *before);
        // Logged once: the same bad content is not refused again.
        assert_eq!(w.refresh.refresh_once().await, RefreshReport::default());
        // A missing file is no directory either.
        std::fs::remove_file(&w.file).unwrap();
        assert!(!w.refresh.refresh_once().await.swapped);
        assert_eq!(*w.handle.snapshot(), *before);
        // Fixed, it applies.
        std::fs::write(&w.file, format!("{DEV_SEED}{NEW_OFFICE}")).unwrap();
        assert!(w.refresh.refresh_once().await.reloaded);
    }

    #[tokio::test]
    async fn revocations_in_the_database_apply_at_the_next_refresh() {
        let mut w = world().await;
        let leaked = CertificateFingerprint::of_der(b"leaked");
        let kotabaru = id("bawaslu-kotabaru");
        let at = "2024-09-04T01:00:00Z".parse().unwrap();
        let origin = Origin::default();
        let audit = Event::new("REVOKE_CERTIFICATE", AuditOutcome::Success, at, &origin);
        for revoked in [
            Revoked::Certificate {
                fingerprint: leaked,
                agency: Some(kotabaru.clone()),
                serial: None,
            },
            Revoked::Agency(id("kasn")),
        ] {
            let revocation = Revocation {
                revoked,
                revoked_at: at,
                reason: "INC-7".into(),
                recorded_by: "test".into(),
            };
            assert!(w.store.revoke(&revocation, audit.record()).await.unwrap());
        }
        assert!(w.handle.snapshot().check_certificate(&leaked, None).is_ok());
        assert!(w.refresh.refresh_once().await.swapped);
        let now = w.handle.snapshot();
        assert_eq!(
            now.check_certificate(&leaked, Some(&kotabaru)),
            Err(IdentityError::CertificateRevoked(Some(kotabaru.clone())))
        );
        assert!(now.resolve(&kotabaru).is_ok());
        assert_eq!(
            now.resolve(&id("kasn")),
            Err(IdentityError::Revoked(id("kasn")))
        );
        // The store's copy keeps the file's view; revocations live in their own table.
        let stored = w.store.agencies().await.unwrap();
        assert!(stored.iter().all(|a| a.revoked_at.is_none()));
    }
}
