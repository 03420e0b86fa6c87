//! Operator commands that work on the database directly (the server need not run): the
//! erasure of a subject's personal data on request, and revocations ([`revoke`]). Each is
//! itself audited.

pub mod revoke;

use chrono::{DateTime, Utc};
use netral_domain::{CaseId, SubjectId, SubjectIdKind};
use netral_proto::v1 as pb;
use netral_store::Store;

use crate::audit::{AuditKeys, Event, Origin, subject_digest};
use crate::error::Error;

/// The longest erasure reference accepted.
const MAX_REFERENCE: usize = 200;

/// An operator's erasure request.
pub struct Erasure {
    /// The identifier to erase, parsed (so a typo erases nothing).
    pub subject: SubjectId,
    /// The legal reference of the request (a decision or ticket number): recorded in the
    /// audit log as the event's reason, so it must not hold personal data.
    pub reference: String,
}

impl std::fmt::Debug for Erasure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Erasure")
            .field("subject", &self.subject)
            .field("reference", &self.reference)
            .finish()
    }
}

impl Erasure {
    /// Parses an operator's input: the identifier's kind (`NIP`, `NI_PPPK`, `NIK`), its
    /// digits and the reference.
    pub fn parse(kind: &str, id: &str, reference: &str) -> Result<Self, Error> {
        let mut violations = Vec::new();
        let kind = kind.trim().parse::<SubjectIdKind>();
        if kind.is_err() {
            violations.push(("kind", "must be NIP, NI_PPPK or NIK".to_owned()));
        }
        let subject = kind.as_ref().ok().map(|k| SubjectId::parse(*k, id.trim()));
        if let Some(Err(err)) = &subject {
            violations.push(("id", err.to_string()));
        }
        let reference = reference.trim();
        if reference.is_empty()
            || reference.chars().count() > MAX_REFERENCE
            || reference.chars().any(char::is_control)
        {
            violations.push((
                "reference",
                format!("must be 1 to {MAX_REFERENCE} printable characters"),
            ));
        }
        match subject {
            Some(Ok(subject)) if violations.is_empty() => Ok(Self {
                subject,
                reference: reference.to_owned(),
            }),
            _ => Err(Error::Invalid(
                violations
                    .into_iter()
                    .map(|(field, description)| crate::error::FieldViolation {
                        field: field.into(),
                        description,
                    })
                    .collect(),
            )),
        }
    }
}

/// Erases the subject's personal data from every case naming it and records one
/// `ERASE_SUBJECT` audit event per case (with the subject's digest, so it links to the
/// earlier events); answers the cases.
pub async fn erase_subject(
    store: &Store,
    keys: &AuditKeys,
    at: DateTime<Utc>,
    erasure: &Erasure,
) -> Result<Vec<CaseId>, Error> {
    let digest = subject_digest(keys, &erasure.subject);
    let origin = Origin {
        peer: "operator".into(),
        ..Origin::default()
    };
    let records = |cases: &[CaseId]| {
        cases
            .iter()
            .map(|case| {
                Event {
                    case: Some(*case),
                    reason: &erasure.reference,
                    subject_digest: digest.clone(),
                    ..Event::new("ERASE_SUBJECT", pb::AuditOutcome::Success, at, &origin)
                }
                .record()
            })
            .collect()
    };
    Ok(store.erase_subject(&erasure.subject, at, records).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_erasure_request_is_parsed_whole_or_refused_field_by_field() {
        let ok = Erasure::parse("NIP", "199003252015032001", "Putusan 12/2026").unwrap();
        assert_eq!(ok.subject.kind(), SubjectIdKind::Nip);
        let Err(Error::Invalid(violations)) = Erasure::parse("PASSPORT", "x", "") else {
            panic!("a bad request must be refused");
        };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["kind", "reference"]);
        assert!(matches!(
            Erasure::parse("NIP", "123", "ref"),
            Err(Error::Invalid(v)) if v[0].field == "id"
        ));
    }
}
