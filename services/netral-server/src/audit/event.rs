//! One audit event as the server builds it, and its leaf: the contract's `AuditLeaf`,
//! deterministically encoded. Personal data enters only as the subject's keyed digest.

use chrono::{DateTime, Utc};
use hmac::{KeyInit, Mac};
use netral_domain::{AgencyId, CaseId, CaseState, SubjectId};
use netral_proto::v1 as pb;
use netral_store::audit::AuditRecord;
use sha2::Sha256;

use super::keys::AuditKeys;
use super::origin::Origin;
use crate::grpc::convert;

/// An audit event before it is encoded. Built with [`Event::new`] and struct update syntax.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// What was done (`FORWARD`, `READ_CASE`, `ListCases` for a refused call, …).
    pub action: &'a str,
    /// How it ended.
    pub outcome: pb::AuditOutcome,
    /// Why it was refused or what an alert says; never personal data.
    pub reason: &'a str,
    /// When the server decided it.
    pub at: DateTime<Utc>,
    /// The acting agency, when identified.
    pub actor: Option<AgencyId>,
    /// Where the request came from.
    pub origin: &'a Origin,
    /// The case concerned.
    pub case: Option<CaseId>,
    /// The caller's idempotency key, for mutations.
    pub request_id: Option<uuid::Uuid>,
    /// The state before a step (none for a registration: the case did not exist).
    pub from_state: Option<CaseState>,
    /// The state after a step.
    pub to_state: Option<CaseState>,
    /// The canonical JSON of the step's parameters.
    pub payload_json: String,
    /// The subject's keyed digest.
    pub subject_digest: String,
}

impl<'a> Event<'a> {
    /// An event with nothing but what every event has.
    pub fn new(
        action: &'a str,
        outcome: pb::AuditOutcome,
        at: DateTime<Utc>,
        origin: &'a Origin,
    ) -> Self {
        Self {
            action,
            outcome,
            reason: "",
            at,
            actor: None,
            origin,
            case: None,
            request_id: None,
            from_state: None,
            to_state: None,
            payload_json: String::new(),
            subject_digest: String::new(),
        }
    }

    /// The same event, done by `actor`.
    pub fn by(self, actor: &AgencyId) -> Self {
        Self {
            actor: Some(actor.clone()),
            ..self
        }
    }

    /// The contract's leaf of this event.
    pub fn leaf(&self) -> pb::AuditLeaf {
        let state = |s: Option<CaseState>| s.map_or(0, |s| convert::state(s) as i32);
        let (from, to) = (state(self.from_state), state(self.to_state));
        pb::AuditLeaf {
            action: self.action.to_owned(),
            outcome: self.outcome as i32,
            reason: self.reason.to_owned(),
            time: Some(convert::timestamp(self.at)),
            actor: self
                .actor
                .as_ref()
                .map(convert::agency_name)
                .unwrap_or_default(),
            certificate_fingerprint: self.origin.certificate_fingerprint.clone(),
            case: self.case.map(case_name).unwrap_or_default(),
            request_id: self.request_id.map(|r| r.to_string()).unwrap_or_default(),
            trace_id: self.origin.trace.trace_id.clone(),
            span_id: self.origin.trace.span_id.clone(),
            peer: self.origin.peer.clone(),
            from_state: from,
            to_state: to,
            payload_json: self.payload_json.clone(),
            subject_digest: self.subject_digest.clone(),
        }
    }

    /// What the store appends: the encoded leaf and the columns that index it.
    pub fn record(&self) -> AuditRecord {
        AuditRecord {
            case_id: self.case,
            action: self.action.to_owned(),
            outcome: outcome_name(self.outcome),
            actor: self.actor.as_ref().map(|a| a.as_str().to_owned()),
            at: self.at,
            leaf: netral_audit::leaf::encode(&self.leaf()),
        }
    }
}

fn case_name(id: CaseId) -> String {
    format!("cases/{id}")
}

/// The outcome's name as stored and filtered on (`SUCCESS`, `DENIED`, …).
pub fn outcome_name(outcome: pb::AuditOutcome) -> &'static str {
    match outcome {
        pb::AuditOutcome::Unspecified => "UNSPECIFIED",
        pb::AuditOutcome::Success => "SUCCESS",
        pb::AuditOutcome::Denied => "DENIED",
        pb::AuditOutcome::Unauthenticated => "UNAUTHENTICATED",
        pb::AuditOutcome::Alert => "ALERT",
    }
}

/// `hmac-sha256:` and the hex HMAC of the subject's identifier kind and value under the
/// server's subject secret: equal subjects give equal digests; without the secret, trying
/// all ≈ 10¹⁰ valid NIPs gives nothing.
/// An erased identifier has no digest (empty): its events stay linked to the earlier ones
/// through the case.
pub fn subject_digest(keys: &AuditKeys, subject: &SubjectId) -> String {
    if subject.is_erased() {
        return String::new();
    }
    // A 32-byte key is zero-padded to the 64-byte block by HMAC itself: padding it here
    // gives the same MAC without a fallible constructor.
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(keys.subject_secret());
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new(&block.into());
    mac.update(subject.kind().as_str().as_bytes());
    mac.update(b":");
    mac.update(subject.as_str().as_bytes());
    format!("hmac-sha256:{}", hex::encode(mac.finalize().into_bytes()))
}
