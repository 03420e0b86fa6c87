//! The parameters of each accepted step as stored in its case event: what an auditor needs
//! to see what was decided, with personal data replaced by a digest.

use netral_domain::case::{Command, NewCase, StepOutcome};
use serde_json::{Value, json};

use crate::audit::AuditKeys;

/// The event payload of a registration. The subject appears only as its keyed digest
/// ([`crate::audit::subject_digest`]): equal ids give equal digests, so an auditor can
/// correlate, and without the server's secret nobody can test a guessed NIP against it.
pub fn registration(filing: &NewCase, keys: &AuditKeys) -> Value {
    json!({
        "registration_number": filing.registration_number,
        "ppk": filing.ppk.as_str(),
        "region_code": filing.region.to_string(),
        "election": {
            "kind": filing.election.kind.as_str(),
            "year": filing.election.year,
            "phase": format!("{:?}", filing.election.phase),
        },
        "violation_form": filing.violation_form,
        "source": format!("{:?}", filing.source),
        "occurred_on": filing.occurred_on.to_string(),
        "reported_on": filing.reported_on.to_string(),
        "overlaps_election_crime": filing.overlaps_election_crime,
        "subject_id_kind": filing.subject.id.kind().as_str(),
        "subject_digest": crate::audit::subject_digest(keys, &filing.subject.id),
    })
}

/// Adds to a step's event payload what the step did beyond its command: the examiner a case
/// was handed over from (`examiner_handed_over_from`), so a hand-over is audited, not silent.
pub fn record_effects(payload: &mut Value, outcome: &StepOutcome) {
    if let (Some(from), Value::Object(fields)) = (&outcome.examiner_handed_over_from, payload) {
        fields.insert(
            "examiner_handed_over_from".to_owned(),
            Value::from(from.as_str()),
        );
    }
}

/// The event payload of a step on an existing case.
pub fn command(command: &Command) -> Value {
    match command {
        Command::ExtendReview { reason } => json!({ "reason": reason }),
        Command::Dismiss { rationale } | Command::ConcludeNotProven { rationale } => {
            json!({ "rationale": rationale })
        }
        Command::Forward {
            letter_number,
            examiner,
        } => {
            json!({ "letter_number": letter_number, "examiner": examiner.as_str() })
        }
        Command::Accept | Command::Acknowledge => json!({}),
        Command::RecommendSanction(r) => json!({
            "track": r.track.as_str(),
            "moral": r.moral.map(|m| m.as_str()),
            "letter_number": r.letter_number,
            "rationale": r.rationale,
        }),
        Command::RecordSanctionDecree { sanctions } => json!({
            "sanctions": sanctions.iter().map(|s| json!({
                "code": s.code,
                "decree_number": s.decree_number,
                "decree_date": s.decree_date.to_string(),
            })).collect::<Vec<_>>(),
        }),
        Command::ReportSubjectSeparated {
            reason,
            effective_on,
        } => {
            json!({ "reason": format!("{reason:?}"), "effective_on": effective_on.to_string() })
        }
        Command::RecordInRegistry { reference } => json!({ "registry_reference": reference }),
        Command::BlockPersonnelData { reason } | Command::UnblockPersonnelData { reason } => {
            json!({ "reason": reason })
        }
        Command::SendWarningLetter {
            letter_number,
            letter_date,
        } => {
            json!({ "letter_number": letter_number, "letter_date": letter_date.to_string() })
        }
        Command::Cancel { reason, detail } => {
            json!({ "reason": format!("{reason:?}"), "detail": detail })
        }
        Command::AttachEvidence {
            digest,
            media_type,
            title,
            size_bytes,
        } => json!({
            "digest": digest, "media_type": media_type, "title": title, "size_bytes": size_bytes,
        }),
        Command::AddNote { text } => json!({ "text": text }),
    }
}
