//! The directory every part of a running server sees, swapped whole when the directory file
//! or the revocations change (see [`super::DirectoryRefresh`]): readers never wait and never
//! see half a change. A call, a step or a stream takes one [`DirectoryHandle::snapshot`] and
//! works on it to its end.

use std::sync::Arc;

use arc_swap::ArcSwap;
use chrono::NaiveDate;
use netral_domain::AgencyId;
use netral_domain::policy::{AgencyProfile, Denial};
use netral_store::{CertificateFingerprint, Revocation, Revoked};

use super::{Directory, DirectoryEntry};
use crate::identity::IdentityError;

/// The current directory, shared by the services, the exchange and the deadline engine.
/// Cheap to clone: every clone sees the same swaps.
#[derive(Debug, Clone)]
pub struct DirectoryHandle {
    /// The directory as of the last refresh, revocations applied.
    current: Arc<ArcSwap<Directory>>,
    /// Counts the replacements, so long-lived work (an open inbox stream) can wake up and
    /// look again at its caller when the directory changes.
    changes: Arc<tokio::sync::watch::Sender<u64>>,
}

impl DirectoryHandle {
    /// A handle on `directory` until the first [`DirectoryHandle::replace`].
    pub fn new(directory: Directory) -> Self {
        Self {
            current: Arc::new(ArcSwap::from_pointee(directory)),
            changes: Arc::new(tokio::sync::watch::Sender::new(0)),
        }
    }

    /// The directory now: one consistent version, kept as long as the caller holds it.
    pub fn snapshot(&self) -> Arc<Directory> {
        self.current.load_full()
    }

    /// Makes `directory` the one every later [`DirectoryHandle::snapshot`] sees.
    pub fn replace(&self, directory: Directory) {
        self.current.store(Arc::new(directory));
        self.changes.send_modify(|n| *n += 1);
    }

    /// Changes whenever the directory is replaced.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// [`Directory::get`] on the current directory.
    pub fn get(&self, id: &AgencyId) -> Option<DirectoryEntry> {
        self.current.load().get(id).cloned()
    }

    /// [`Directory::resolve`] on the current directory.
    pub fn resolve(&self, id: &AgencyId) -> Result<DirectoryEntry, IdentityError> {
        self.current.load().resolve(id).cloned()
    }

    /// [`Directory::examiner_on`] on the current directory.
    pub fn examiner_on(&self, date: NaiveDate) -> Result<AgencyProfile, Denial> {
        self.current.load().examiner_on(date).cloned()
    }

    /// [`Directory::iter`] on the current directory.
    pub fn iter(&self) -> std::vec::IntoIter<DirectoryEntry> {
        let current = self.current.load();
        current.iter().cloned().collect::<Vec<_>>().into_iter()
    }

    /// [`Directory::records`] of the current directory.
    pub fn records(&self) -> Vec<netral_store::AgencyRecord> {
        self.current.load().records()
    }
}

impl Directory {
    /// This directory with `revocations` applied: a revoked agency carries the earlier of its
    /// file's `revoked_at` and its revocation's date (so [`Directory::resolve`] refuses it and
    /// inbox routing leaves it out, as for a revocation written in the file); revoked
    /// certificates are refused by [`Directory::check_certificate`]. A revocation naming an
    /// agency the directory does not know changes nothing (it is unknown already).
    pub fn with_revocations(&self, revocations: &[Revocation]) -> Self {
        let mut applied = self.clone();
        for revocation in revocations {
            match &revocation.revoked {
                Revoked::Agency(id) => {
                    if let Some(shared) = applied.entries.get_mut(id) {
                        let entry = Arc::make_mut(shared);
                        let at = revocation.revoked_at;
                        entry.revoked_at = Some(entry.revoked_at.map_or(at, |r| r.min(at)));
                    }
                }
                Revoked::Certificate { fingerprint, .. } => {
                    applied.revoked_certificates.insert(*fingerprint);
                }
            }
        }
        applied
    }

    /// Refuses a certificate revoked on its own; `agency` is the one it names, if any, for the
    /// refusal's audit event.
    pub fn check_certificate(
        &self,
        fingerprint: &CertificateFingerprint,
        agency: Option<&AgencyId>,
    ) -> Result<(), IdentityError> {
        if self.revoked_certificates.contains(fingerprint) {
            return Err(IdentityError::CertificateRevoked(agency.cloned()));
        }
        Ok(())
    }

    /// How many certificates are revoked one by one.
    pub fn revoked_certificate_count(&self) -> usize {
        self.revoked_certificates.len()
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;

    fn id(s: &str) -> AgencyId {
        s.parse().unwrap()
    }

    fn revocation(revoked: Revoked, at: &str) -> Revocation {
        Revocation {
            revoked,
            revoked_at: at.parse::<DateTime<Utc>>().unwrap(),
            reason: "INC-1".into(),
            recorded_by: "operator".into(),
        }
    }

    #[test]
    fn revocations_apply_to_the_agency_or_to_the_one_certificate() {
        let dir = Directory::dev_seed().unwrap();
        let leaked = CertificateFingerprint::of_der(b"leaked");
        let other = CertificateFingerprint::of_der(b"other");
        let kotabaru = id("bawaslu-kotabaru");
        let applied = dir.with_revocations(&[
            revocation(
                Revoked::Certificate {
                    fingerprint: leaked,
                    agency: Some(kotabaru.clone()),
                    serial: None,
                },
                "2024-09-04T00:00:00Z",
            ),
            revocation(
                Revoked::Agency(id("pemkab-kotabaru")),
                "2024-09-05T00:00:00Z",
            ),
            revocation(
                Revoked::Agency(id("pemkab-atlantis")),
                "2024-09-05T00:00:00Z",
            ),
        ]);
        assert_eq!(
            applied.check_certificate(&leaked, Some(&kotabaru)),
            Err(IdentityError::CertificateRevoked(Some(kotabaru.clone())))
        );
        assert_eq!(applied.check_certificate(&other, Some(&kotabaru)), Ok(()));
        assert!(
            applied.resolve(&kotabaru).is_ok(),
            "the agency stays active"
        );
        assert_eq!(
            applied.resolve(&id("pemkab-kotabaru")),
            Err(IdentityError::Revoked(id("pemkab-kotabaru")))
        );
        let revoked_at = applied.get(&id("pemkab-kotabaru")).unwrap().revoked_at;
        assert_eq!(revoked_at, Some("2024-09-05T00:00:00Z".parse().unwrap()));
        assert_eq!(applied.len(), dir.len(), "an unknown agency is not added");
        assert_eq!(
            dir.check_certificate(&leaked, None),
            Ok(()),
            "the base is untouched"
        );
    }

    #[test]
    fn the_earlier_revocation_date_wins() {
        let text = "[[agencies]]\nid = \"pemkab-lama\"\ndisplay_name = \"Lama\"\n\
            revoked_at = 2025-01-01T00:00:00Z\n[[agencies.grants]]\nrole = \"PPK\"\nfrom = 2018-01-01\n";
        let dir = Directory::parse(text, "test.toml").unwrap();
        let lama = id("pemkab-lama");
        let later = dir.with_revocations(&[revocation(
            Revoked::Agency(lama.clone()),
            "2026-01-01T00:00:00Z",
        )]);
        let earlier = dir.with_revocations(&[revocation(
            Revoked::Agency(lama.clone()),
            "2024-01-01T00:00:00Z",
        )]);
        let at = |d: &Directory| d.get(&lama).unwrap().revoked_at.unwrap().to_rfc3339();
        assert_eq!(at(&later), "2025-01-01T00:00:00+00:00");
        assert_eq!(at(&earlier), "2024-01-01T00:00:00+00:00");
    }

    #[test]
    fn a_replaced_directory_is_seen_by_every_clone_and_a_snapshot_stays_as_it_was() {
        let handle = DirectoryHandle::new(Directory::dev_seed().unwrap());
        let clone = handle.clone();
        let before = handle.snapshot();
        let changes = clone.subscribe();
        let kasn = id("kasn");
        assert!(clone.resolve(&kasn).is_ok());
        handle.replace(before.with_revocations(&[revocation(
            Revoked::Agency(kasn.clone()),
            "2024-09-05T00:00:00Z",
        )]));
        assert_eq!(
            clone.resolve(&kasn),
            Err(IdentityError::Revoked(kasn.clone()))
        );
        assert!(changes.has_changed().unwrap(), "subscribers are told");
        assert!(before.resolve(&kasn).is_ok(), "a snapshot does not change");
        assert_eq!(clone.iter().count(), before.len());
        assert!(clone.get(&kasn).unwrap().revoked_at.is_some());
        assert_eq!(clone.records().len(), before.len());
        let date = "2024-03-01".parse().unwrap();
        assert_eq!(clone.examiner_on(date).unwrap().id, kasn);
    }
}
