//! The stored JSON of a case's nested values: the recommendation and the outcome, which
//! are columns of `cases`, and the lists (sanctions, escalations, deadlines, attachments,
//! notes) the first release kept as JSON columns, which the child-records migration reads
//! (their encoders remain for the migration's tests). Private serde types rather than serde on the
//! domain types, so the storage format is written down here and cannot drift with the domain:
//! enum values as the lowercase snake names of [`crate::codec`], days as ISO `YYYY-MM-DD`,
//! instants as RFC 3339 UTC. Unknown fields are refused (a corrupt row), never dropped: an
//! older binary must not read a newer row and write it back without the field it did not know.

use chrono::{DateTime, NaiveDate, Utc};
use netral_domain::case::{
    Attachment, Deadline, Escalation, ImposedSanction, Note, Outcome, Recommendation,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::codec::{Keyword, decode, parse};
use crate::error::StoreError;

const TABLE: &str = "cases";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecommendationDto {
    track: String,
    moral: Option<String>,
    letter_number: String,
    rationale: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImposedSanctionDto {
    code: String,
    decree_number: String,
    decree_date: NaiveDate,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EscalationDto {
    kind: String,
    agency: Option<String>,
    reference: String,
    reason: String,
    at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeadlineDto {
    step: String,
    agency: String,
    start: NaiveDate,
    due: NaiveDate,
    status: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttachmentDto {
    digest: String,
    media_type: String,
    title: String,
    size_bytes: i64,
    agency: String,
    at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteDto {
    text: String,
    agency: String,
    at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CancelDto {
    reason: String,
    detail: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeparationDto {
    reason: String,
    effective_on: NaiveDate,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutcomeDto {
    rationale: Option<String>,
    cancel: Option<CancelDto>,
    separation: Option<SeparationDto>,
    registry_reference: Option<String>,
}

fn to_json<T: Serialize>(value: &T, column: &'static str) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|_| StoreError::corrupt(TABLE, column))
}

fn from_json<T: DeserializeOwned>(text: &str, column: &'static str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|_| StoreError::corrupt(TABLE, column))
}

/// Encodes the recommendation column.
pub(crate) fn recommendation_to_json(r: &Recommendation) -> Result<String, StoreError> {
    let dto = RecommendationDto {
        track: r.track.keyword().to_owned(),
        moral: r.moral.map(|m| m.keyword().to_owned()),
        letter_number: r.letter_number.clone(),
        rationale: r.rationale.clone(),
    };
    to_json(&dto, "recommendation")
}

/// Decodes the recommendation column.
pub(crate) fn recommendation_from_json(text: &str) -> Result<Recommendation, StoreError> {
    const COL: &str = "recommendation";
    let dto: RecommendationDto = from_json(text, COL)?;
    Ok(Recommendation {
        track: decode(&dto.track, TABLE, COL)?,
        moral: dto.moral.map(|m| decode(&m, TABLE, COL)).transpose()?,
        letter_number: dto.letter_number,
        rationale: dto.rationale,
    })
}

/// Encodes the imposed_sanctions column.
#[cfg(test)]
pub(crate) fn sanctions_to_json(list: &[ImposedSanction]) -> Result<String, StoreError> {
    let dtos: Vec<ImposedSanctionDto> = list
        .iter()
        .map(|s| ImposedSanctionDto {
            code: s.code.clone(),
            decree_number: s.decree_number.clone(),
            decree_date: s.decree_date,
        })
        .collect();
    to_json(&dtos, "imposed_sanctions")
}

/// Decodes the imposed_sanctions column.
pub(crate) fn sanctions_from_json(text: &str) -> Result<Vec<ImposedSanction>, StoreError> {
    let dtos: Vec<ImposedSanctionDto> = from_json(text, "imposed_sanctions")?;
    Ok(dtos
        .into_iter()
        .map(|d| ImposedSanction {
            code: d.code,
            decree_number: d.decree_number,
            decree_date: d.decree_date,
        })
        .collect())
}

/// Encodes the escalations column.
#[cfg(test)]
pub(crate) fn escalations_to_json(list: &[Escalation]) -> Result<String, StoreError> {
    let dtos: Vec<EscalationDto> = list
        .iter()
        .map(|e| EscalationDto {
            kind: e.kind.keyword().to_owned(),
            agency: e.agency.as_ref().map(|a| a.as_str().to_owned()),
            reference: e.reference.clone(),
            reason: e.reason.clone(),
            at: e.at,
        })
        .collect();
    to_json(&dtos, "escalations")
}

/// Decodes the escalations column.
pub(crate) fn escalations_from_json(text: &str) -> Result<Vec<Escalation>, StoreError> {
    const COL: &str = "escalations";
    let dtos: Vec<EscalationDto> = from_json(text, COL)?;
    dtos.into_iter()
        .map(|d| {
            Ok(Escalation {
                kind: decode(&d.kind, TABLE, COL)?,
                agency: d.agency.map(|a| parse(&a, TABLE, COL)).transpose()?,
                reference: d.reference,
                reason: d.reason,
                at: d.at,
            })
        })
        .collect()
}

/// Encodes the deadlines column.
#[cfg(test)]
pub(crate) fn deadlines_to_json(list: &[Deadline]) -> Result<String, StoreError> {
    let dtos: Vec<DeadlineDto> = list
        .iter()
        .map(|d| DeadlineDto {
            step: d.step.keyword().to_owned(),
            agency: d.agency.as_str().to_owned(),
            start: d.start,
            due: d.due,
            status: d.status.keyword().to_owned(),
        })
        .collect();
    to_json(&dtos, "deadlines")
}

/// Decodes the deadlines column.
pub(crate) fn deadlines_from_json(text: &str) -> Result<Vec<Deadline>, StoreError> {
    const COL: &str = "deadlines";
    let dtos: Vec<DeadlineDto> = from_json(text, COL)?;
    dtos.into_iter()
        .map(|d| {
            Ok(Deadline {
                step: decode(&d.step, TABLE, COL)?,
                agency: parse(&d.agency, TABLE, COL)?,
                start: d.start,
                due: d.due,
                status: decode(&d.status, TABLE, COL)?,
                notice: None,
                notice_on: None,
            })
        })
        .collect()
}

/// Encodes the attachments column.
#[cfg(test)]
pub(crate) fn attachments_to_json(list: &[Attachment]) -> Result<String, StoreError> {
    let dtos: Vec<AttachmentDto> = list
        .iter()
        .map(|a| AttachmentDto {
            digest: a.digest.clone(),
            media_type: a.media_type.clone(),
            title: a.title.clone(),
            size_bytes: a.size_bytes,
            agency: a.agency.as_str().to_owned(),
            at: a.at,
        })
        .collect();
    to_json(&dtos, "attachments")
}

/// Decodes the attachments column.
pub(crate) fn attachments_from_json(text: &str) -> Result<Vec<Attachment>, StoreError> {
    const COL: &str = "attachments";
    let dtos: Vec<AttachmentDto> = from_json(text, COL)?;
    dtos.into_iter()
        .map(|d| {
            Ok(Attachment {
                digest: d.digest,
                media_type: d.media_type,
                title: d.title,
                size_bytes: d.size_bytes,
                agency: parse(&d.agency, TABLE, COL)?,
                at: d.at,
            })
        })
        .collect()
}

/// Encodes the notes column.
#[cfg(test)]
pub(crate) fn notes_to_json(list: &[Note]) -> Result<String, StoreError> {
    let dtos: Vec<NoteDto> = list
        .iter()
        .map(|n| NoteDto {
            text: n.text.clone(),
            agency: n.agency.as_str().to_owned(),
            at: n.at,
        })
        .collect();
    to_json(&dtos, "notes")
}

/// Decodes the notes column.
pub(crate) fn notes_from_json(text: &str) -> Result<Vec<Note>, StoreError> {
    const COL: &str = "notes";
    let dtos: Vec<NoteDto> = from_json(text, COL)?;
    dtos.into_iter()
        .map(|d| {
            Ok(Note {
                text: d.text,
                agency: parse(&d.agency, TABLE, COL)?,
                at: d.at,
            })
        })
        .collect()
}

/// Encodes the outcome column.
pub(crate) fn outcome_to_json(o: &Outcome) -> Result<String, StoreError> {
    let dto = OutcomeDto {
        rationale: o.rationale.clone(),
        cancel: o.cancel.as_ref().map(|(reason, detail)| CancelDto {
            reason: reason.keyword().to_owned(),
            detail: detail.clone(),
        }),
        separation: o.separation.map(|(reason, effective_on)| SeparationDto {
            reason: reason.keyword().to_owned(),
            effective_on,
        }),
        registry_reference: o.registry_reference.clone(),
    };
    to_json(&dto, "outcome")
}

/// Decodes the outcome column.
pub(crate) fn outcome_from_json(text: &str) -> Result<Outcome, StoreError> {
    const COL: &str = "outcome";
    let dto: OutcomeDto = from_json(text, COL)?;
    Ok(Outcome {
        rationale: dto.rationale,
        cancel: dto
            .cancel
            .map(|c| Ok::<_, StoreError>((decode(&c.reason, TABLE, COL)?, c.detail)))
            .transpose()?,
        separation: dto
            .separation
            .map(|s| Ok::<_, StoreError>((decode(&s.reason, TABLE, COL)?, s.effective_on)))
            .transpose()?,
        registry_reference: dto.registry_reference,
    })
}
