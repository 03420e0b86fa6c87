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

use netral_domain::{AgencyId, CaseId};
use netral_proto::v1 as pb;
use netral_store::Store;

use crate::clock::Clock;
use crate::error::Error;

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
        let reason = error.audit_reason();
        let event = Event {
            case,
            reason: &reason,
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
