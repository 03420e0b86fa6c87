//! Rows ↔ records: a [`CaseRecord`] becomes a `cases` row plus a `subjects` row and back
//! (its child records are in [`crate::children`]).
//! Reading never panics: a value the code does not understand is [`StoreError::Corrupt`],
//! naming the column and never the value.

use chrono::{DateTime, Timelike, Utc};
use netral_domain::case::{CaseRecord, CaseSize, Election, NewCase, Subject};
use netral_domain::ids::SubjectId;
use netral_domain::{AgencyId, CaseId};

use crate::codec::{Keyword, decode, parse};
use crate::dto;
use crate::entity::{cases, subjects};
use crate::error::StoreError;

/// The `cases` row of `case`, pointing at the subject row `subject_id`.
pub(crate) fn case_row(case: &CaseRecord, subject_id: String) -> Result<cases::Model, StoreError> {
    let filing = &case.filing;
    Ok(cases::Model {
        id: case.id.to_string(),
        registration_number: filing.registration_number.clone(),
        state: case.state.as_str().to_owned(),
        version: case.version,
        created_at: case.created_at,
        updated_at: case.updated_at,
        reporting_office: case.reporting_office.as_str().to_owned(),
        examiner: case.examiner.as_ref().map(|a| a.as_str().to_owned()),
        ppk: filing.ppk.as_str().to_owned(),
        subject_id,
        subject_key: None,
        region_code: filing.region.to_string(),
        election_kind: filing.election.kind.keyword().to_owned(),
        election_year: filing.election.year,
        election_phase: filing.election.phase.keyword().to_owned(),
        legal_basis: filing.legal_basis.clone(),
        violation_form: i32::from(filing.violation_form),
        source: filing.source.keyword().to_owned(),
        occurred_on: filing.occurred_on,
        reported_on: filing.reported_on,
        summary: filing.summary.clone(),
        overlaps_election_crime: filing.overlaps_election_crime,
        forwarded_on: case.forwarded_on,
        forward_letter_number: case.forward_letter_number.clone(),
        review_extended: case.review_extended,
        recommendation: case
            .recommendation
            .as_ref()
            .map(dto::recommendation_to_json)
            .transpose()?,
        recommendation_acknowledged: case.recommendation_acknowledged,
        personnel_data_blocked: case.personnel_data_blocked,
        note_count: stored_count(case.size.notes)?,
        attachment_count: stored_count(case.size.attachments)?,
        escalation_count: stored_count(case.size.escalations)?,
        sanction_count: i32::try_from(case.imposed_sanctions.len())
            .map_err(|_| StoreError::InvalidStep("too many sanctions"))?,
        text_bytes: i64::try_from(case.size.text_bytes)
            .map_err(|_| StoreError::InvalidStep("text size out of range"))?,
        outcome: dto::outcome_to_json(&case.outcome)?,
        traceparent: String::new(),
    })
}

fn stored_count(n: u32) -> Result<i32, StoreError> {
    i32::try_from(n).map_err(|_| StoreError::InvalidStep("child count out of range"))
}

/// The `subjects` row of `subject`, under the fresh row id `id`.
pub(crate) fn subject_row(subject: &Subject, id: String) -> subjects::Model {
    subjects::Model {
        id,
        id_kind: subject.id.kind().keyword().to_owned(),
        id_value: subject.id.as_str().to_owned(),
        full_name: subject.full_name.clone(),
        position: subject.position.clone(),
        employing_instance: subject.employing_instance.clone(),
        erased_at: None,
    }
}

fn subject_from_row(row: subjects::Model) -> Result<Subject, StoreError> {
    const T: &str = "subjects";
    let kind = decode(&row.id_kind, T, "id_kind")?;
    let id = match row.erased_at {
        Some(_) => SubjectId::Erased(kind),
        None => {
            SubjectId::parse(kind, &row.id_value).map_err(|_| StoreError::corrupt(T, "id_value"))?
        }
    };
    Ok(Subject {
        id,
        full_name: row.full_name,
        position: row.position,
        employing_instance: row.employing_instance,
    })
}

fn agency(s: &str, column: &str) -> Result<AgencyId, StoreError> {
    parse(s, "cases", column)
}

/// What the policy needs of the case stored in `row` (its parties and where it stands), read
/// from the case's own row alone.
pub(crate) fn parties_from_row(
    row: &cases::Model,
) -> Result<netral_domain::policy::CaseParties, StoreError> {
    const T: &str = "cases";
    Ok(netral_domain::policy::CaseParties {
        region: parse(&row.region_code, T, "region_code")?,
        reporting_office: agency(&row.reporting_office, "reporting_office")?,
        examiner: row
            .examiner
            .as_deref()
            .map(|a| agency(a, "examiner"))
            .transpose()?,
        forwarded_on: row.forwarded_on,
        ppk: agency(&row.ppk, "ppk")?,
        state: parse(&row.state, T, "state")?,
        recommended: row.recommendation.is_some(),
    })
}

/// The record stored in `row` and its `subject` row, without its child records (the lists
/// are empty, `size` counts them): [`crate::children::fill`] reads those. The flag says
/// whether the case has imposed sanctions to read.
pub(crate) fn case_from_rows(
    row: cases::Model,
    subject: subjects::Model,
) -> Result<(CaseRecord, bool), StoreError> {
    const T: &str = "cases";
    let has_sanctions = row.sanction_count > 0;
    if row.subject_id != subject.id {
        return Err(StoreError::corrupt(T, "subject_id"));
    }
    // The columns the policy reads, parsed once, the same way for both readers.
    let parties = parties_from_row(&row)?;
    let filing = NewCase {
        registration_number: row.registration_number,
        ppk: parties.ppk,
        subject: subject_from_row(subject)?,
        region: parties.region,
        election: Election {
            kind: decode(&row.election_kind, T, "election_kind")?,
            year: row.election_year,
            phase: decode(&row.election_phase, T, "election_phase")?,
        },
        legal_basis: row.legal_basis,
        violation_form: u8::try_from(row.violation_form)
            .map_err(|_| StoreError::corrupt(T, "violation_form"))?,
        source: decode(&row.source, T, "source")?,
        occurred_on: row.occurred_on,
        reported_on: row.reported_on,
        summary: row.summary,
        overlaps_election_crime: row.overlaps_election_crime,
    };
    let case = CaseRecord {
        id: parse::<CaseId>(&row.id, T, "id")?,
        version: row.version,
        state: parties.state,
        created_at: row.created_at,
        updated_at: row.updated_at,
        reporting_office: parties.reporting_office,
        examiner: parties.examiner,
        filing,
        forwarded_on: parties.forwarded_on,
        forward_letter_number: row.forward_letter_number,
        review_extended: row.review_extended,
        recommendation: row
            .recommendation
            .as_deref()
            .map(dto::recommendation_from_json)
            .transpose()?,
        recommendation_acknowledged: row.recommendation_acknowledged,
        imposed_sanctions: Vec::new(),
        personnel_data_blocked: row.personnel_data_blocked,
        escalations: Vec::new(),
        deadlines: Vec::new(),
        attachments: Vec::new(),
        notes: Vec::new(),
        outcome: dto::outcome_from_json(&row.outcome)?,
        size: CaseSize {
            notes: count(row.note_count, "note_count")?,
            attachments: count(row.attachment_count, "attachment_count")?,
            escalations: count(row.escalation_count, "escalation_count")?,
            text_bytes: u64::try_from(row.text_bytes)
                .map_err(|_| StoreError::corrupt(T, "text_bytes"))?,
        },
    };
    Ok((case, has_sanctions))
}

fn count(n: i32, column: &str) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|_| StoreError::corrupt("cases", column))
}

/// Whether `at` is exactly representable in storage (whole microseconds, PostgreSQL's
/// resolution).
pub(crate) fn representable(at: DateTime<Utc>) -> bool {
    at.nanosecond().is_multiple_of(1_000)
}

/// Refuses a record holding an instant the database would round: the stored case must be
/// exactly the one the caller answered with.
pub(crate) fn check_representable(case: &CaseRecord) -> Result<(), StoreError> {
    let checks = [
        ("created_at", representable(case.created_at)),
        ("updated_at", representable(case.updated_at)),
        (
            "escalations.at",
            case.escalations.iter().all(|e| representable(e.at)),
        ),
        (
            "attachments.at",
            case.attachments.iter().all(|a| representable(a.at)),
        ),
        ("notes.at", case.notes.iter().all(|n| representable(n.at))),
    ];
    match checks.into_iter().find(|(_, ok)| !ok) {
        Some((what, _)) => Err(StoreError::Unrepresentable(what)),
        None => Ok(()),
    }
}
