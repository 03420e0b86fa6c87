//! The server's side of the audit log: the keys (the log's Ed25519 signing key and the
//! secret behind subject digests), where a request came from, the leaf of every event, and
//! the [`Auditor`] that appends events of their own (reads that disclosed personal data,
//! refused calls, administrative acts).

mod event;
mod keeper;
mod keys;
mod origin;

pub use event::{Event, outcome_name, subject_digest};
pub use keeper::LogKeeper;
pub use keys::{AuditKeys, KeyError, KeyFiles, VERIFIER_KEY_FILE};
pub use origin::Origin;

use std::sync::Arc;

use netral_domain::{AgencyId, CaseId, Reason};
use netral_proto::v1 as pb;
use netral_store::Store;

use crate::clock::Clock;
use crate::error::Error;

/// The ids of the agencies in `now` that are new or differ (name, region, revocation,
/// grants) from `before`: what a directory sync changed, for its audit event.
pub fn changed_agencies(
    before: &[netral_store::AgencyRecord],
    now: &[netral_store::AgencyRecord],
) -> Vec<String> {
    let normal = |r: &netral_store::AgencyRecord| {
        let mut r = r.clone();
        r.revoked_at = r.revoked_at.map(netral_store::storage_instant);
        r.grants
            .sort_by_key(|g| (g.role.as_str(), g.valid_from, g.valid_until));
        r
    };
    let before: std::collections::HashMap<_, _> =
        before.iter().map(|r| (r.id.clone(), normal(r))).collect();
    now.iter()
        .filter(|r| before.get(&r.id) != Some(&normal(r)))
        .map(|r| r.id.as_str().to_owned())
        .collect()
}

/// Appends audit events that are not part of a step. Cheap to clone.
#[derive(Clone)]
pub struct Auditor {
    /// Where the log lives.
    store: Store,
    /// The subject-digest secret and the signing key.
    keys: Arc<AuditKeys>,
    /// The instant of each event.
    clock: Clock,
}

impl std::fmt::Debug for Auditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auditor").finish_non_exhaustive()
    }
}

impl Auditor {
    /// An auditor writing to `store`.
    pub fn new(store: Store, keys: Arc<AuditKeys>, clock: Clock) -> Self {
        Self { store, keys, clock }
    }

    /// The keys.
    pub fn keys(&self) -> &AuditKeys {
        &self.keys
    }

    /// Records a read that returned personal data: one event per case disclosed (`GetCase`
    /// one, `ListCases` a page), each naming the case and its subject's digest, so every
    /// case's history shows who read it. Fails closed: if the records cannot be made durable,
    /// the caller must not answer with the data.
    pub async fn disclosed(
        &self,
        origin: &Origin,
        actor: &AgencyId,
        action: &str,
        cases: &[(CaseId, &netral_domain::SubjectId)],
    ) -> Result<(), Error> {
        let at = self.clock.now();
        let records = cases
            .iter()
            .map(|(case, subject)| {
                Event {
                    case: Some(*case),
                    subject_digest: subject_digest(&self.keys, subject),
                    ..Event::new(action, pb::AuditOutcome::Success, at, origin)
                }
                .by(actor)
                .record()
            })
            .collect();
        self.store.record_audits(records).await?;
        Ok(())
    }

    /// Records a refused call (`PERMISSION_DENIED` or `UNAUTHENTICATED`) with its reason and,
    /// when the request named one, its case. A failure to record is logged, not answered:
    /// the caller is refused either way.
    pub async fn refused(
        &self,
        origin: &Origin,
        actor: Option<&AgencyId>,
        method: &str,
        case: Option<CaseId>,
        error: &Error,
    ) {
        let outcome = match error {
            Error::Unauthenticated(_) => pb::AuditOutcome::Unauthenticated,
            _ => pb::AuditOutcome::Denied,
        };
        let event = Event {
            case,
            reason: error.audit_reason().map_or("", Reason::as_str),
            ..Event::new(method, outcome, self.clock.now(), origin)
        };
        let event = match actor {
            Some(actor) => event.by(actor),
            None => event,
        };
        if let Err(err) = self.append(event).await {
            tracing::error!(error = %err, method, "a refused call could not be audited");
        }
    }

    /// Appends `event` and waits until it is durable.
    pub async fn append(&self, event: Event<'_>) -> Result<(), Error> {
        self.store.record_audit(event.record()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use netral_domain::policy::{Role, RoleGrant};
    use netral_store::AgencyRecord;

    use super::changed_agencies;

    fn agency(id: &str, grants: Vec<RoleGrant>) -> AgencyRecord {
        AgencyRecord {
            id: id.parse().unwrap(),
            display_name: id.to_uppercase(),
            region: None,
            revoked_at: None,
            grants,
        }
    }

    fn grant(role: Role, from: &str) -> RoleGrant {
        RoleGrant {
            role,
            valid_from: from.parse().unwrap(),
            valid_until: None,
        }
    }

    #[test]
    fn a_directory_sync_names_new_and_changed_agencies_only() {
        let kasn = agency("kasn", vec![grant(Role::Examiner, "2014-01-15")]);
        let bpk = agency("bpk", vec![grant(Role::Auditor, "2000-01-01")]);
        let before = vec![kasn.clone(), bpk.clone()];
        assert!(changed_agencies(&before, &before).is_empty());
        let mut revoked = kasn.clone();
        revoked.revoked_at = Some("2024-08-24T00:00:00Z".parse().unwrap());
        let bkn = agency("bkn", vec![grant(Role::Examiner, "2024-08-24")]);
        let now = vec![revoked, bpk, bkn];
        assert_eq!(changed_agencies(&before, &now), ["kasn", "bkn"]);
    }
}
