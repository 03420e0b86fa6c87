//! One `PastCase` row of `ImportService.ImportCases` → a validated [`PastCase`]. The
//! registration data, the recommendation and the decree go through the very parsers of
//! `RegisterCase`, `RecommendSanction` and `RecordSanctionDecree`, so an imported case obeys
//! the same rules of shape as a live one; every bad field of the row is reported at once.

use netral_domain::CaseId;
use netral_domain::case::{Command, PastCase, PastEnd, PastForwarding};
use netral_proto::v1 as pb;
use uuid::Uuid;

use super::fields::{Fields, present};
use super::parse::{self, ParseContext};
use crate::error::Error;

/// Longest source reference accepted.
const SOURCE_MAX: usize = 120;
/// Longest letter or registry number accepted.
const NUMBER_MAX: usize = 120;
/// Longest rationale accepted.
const LONG_MAX: usize = 4000;

/// The namespace of imported case ids: a case's id is the UUID v5 of its source reference in
/// it, so the same row always names the same case.
const IMPORT_NAMESPACE: Uuid = Uuid::from_u128(0x6e65_7472_616c_4000_8000_696d_706f_7274);

/// A row, validated.
#[derive(Debug, Clone)]
pub struct Row {
    /// The caller's idempotency key for the row.
    pub request_id: Uuid,
    /// The case's id, derived from the source reference.
    pub case_id: CaseId,
    /// The case's key in the source system.
    pub source_reference: String,
    /// The past case.
    pub past: PastCase,
}

/// The id an imported case with `source_reference` gets.
pub fn imported_case_id(source_reference: &str) -> CaseId {
    CaseId::from_uuid(Uuid::new_v5(&IMPORT_NAMESPACE, source_reference.as_bytes()))
}

/// Parses one row; `cx.today` is the import's day (the registration's checks that depend on
/// a day, such as the PPK's role, are judged on the registration date).
pub fn row(row: &pb::PastCase, cx: &ParseContext<'_>, max_sanctions: u32) -> Result<Row, Error> {
    let mut f = Fields::default();
    let source_reference = f.text("source_reference", &row.source_reference, SOURCE_MAX);
    let case_id = imported_case_id(&source_reference);
    let reporting_office = f.agency_name("reporting_office", &row.reporting_office);
    let registered_on = f.date("registered_date", row.registered_date.as_ref());
    let registration = pb::RegisterCaseRequest {
        request_id: row.request_id.clone(),
        r#case: row.r#case.clone(),
    };
    let on_registration = ParseContext {
        today: registered_on.filter(|d| *d <= cx.today).unwrap_or(cx.today),
        ..*cx
    };
    let registered = f.absorb(parse::register(&registration, &on_registration))?;
    let end = end(
        &mut f,
        &Ending {
            row,
            case_id,
            cx,
            max_sanctions,
        },
    )?;
    f.finish()?;
    let (request_id, filing) = present(registered)?;
    Ok(Row {
        request_id,
        case_id,
        source_reference,
        past: PastCase {
            filing,
            reporting_office: present(reporting_office)?,
            registered_on: present(registered_on)?,
            end: present(end)?,
        },
    })
}

/// What parsing a row's ending needs.
struct Ending<'a> {
    /// The row.
    row: &'a pb::PastCase,
    /// The case's id, for the stand-in head of the live steps' parsers.
    case_id: CaseId,
    /// The lookups.
    cx: &'a ParseContext<'a>,
    /// The most sanctions one decree may impose.
    max_sanctions: u32,
}

/// How the row's case ended, with the fields its outcome requires.
fn end(f: &mut Fields, e: &Ending<'_>) -> Result<Option<PastEnd>, Error> {
    let (row, cx) = (e.row, e.cx);
    let outcome = pb::CaseState::try_from(row.outcome).unwrap_or(pb::CaseState::Unspecified);
    let rationale = |f: &mut Fields| f.text("rationale", &row.rationale, LONG_MAX);
    let end = match outcome {
        pb::CaseState::Dismissed => {
            let on = f.date("concluded_date", row.concluded_date.as_ref());
            let rationale = rationale(f);
            on.map(|on| PastEnd::Dismissed { on, rationale })
        }
        pb::CaseState::NotProven => {
            let forwarded = forwarding(f, row, cx);
            let on = f.date("concluded_date", row.concluded_date.as_ref());
            let rationale = rationale(f);
            forwarded.zip(on).map(|(forwarded, on)| PastEnd::NotProven {
                forwarded,
                on,
                rationale,
            })
        }
        pb::CaseState::Recorded => recorded(f, e)?,
        _ => {
            f.violate(
                "outcome",
                "only concluded cases are imported: CASE_STATE_DISMISSED, \
                 CASE_STATE_NOT_PROVEN or CASE_STATE_RECORDED",
            );
            None
        }
    };
    Ok(end)
}

/// The forwarding, and the examiner the row names checked against the forwarding's date.
fn forwarding(f: &mut Fields, row: &pb::PastCase, cx: &ParseContext<'_>) -> Option<PastForwarding> {
    let on = f.date("forwarded_date", row.forwarded_date.as_ref());
    let letter_number = f.text(
        "forward_letter_number",
        &row.forward_letter_number,
        NUMBER_MAX,
    );
    if !row.examiner.is_empty()
        && let Some(named) = f.agency_name("examiner", &row.examiner)
        && let Some(on) = on
    {
        match cx.directory.examiner_on(on) {
            Ok(holder) if holder.id == named => {}
            Ok(holder) => f.violate(
                "examiner",
                format!(
                    "the examiner on the forwarding date {on} was agencies/{}",
                    holder.id.as_str()
                ),
            ),
            Err(denial) => f.violate("forwarded_date", denial.to_string()),
        }
    }
    on.map(|on| PastForwarding { on, letter_number })
}

/// A recorded case: forwarding, recommendation, decree and registry entry.
fn recorded(f: &mut Fields, e: &Ending<'_>) -> Result<Option<PastEnd>, Error> {
    let (row, cx) = (e.row, e.cx);
    let forwarded = forwarding(f, row, cx);
    let recommended_on = f.date("recommended_date", row.recommended_date.as_ref());
    // The live steps' parsers, on a stand-in head (the case does not exist yet).
    let name = e.case_id.resource_name();
    let recommendation = match &row.recommendation {
        None => {
            f.violate("recommendation", "is required for CASE_STATE_RECORDED");
            None
        }
        Some(r) => f.absorb(parse::recommend(&pb::RecommendSanctionRequest {
            name: name.clone(),
            etag: "v1".into(),
            request_id: row.request_id.clone(),
            recommendation: Some(r.clone()),
        }))?,
    };
    let decree = f.absorb(parse::decree(
        &pb::RecordSanctionDecreeRequest {
            name,
            etag: "v1".into(),
            request_id: row.request_id.clone(),
            sanctions: row.sanctions.clone(),
        },
        cx.catalogue,
        e.max_sanctions,
    ))?;
    let registry_reference = f.text("registry_reference", &row.registry_reference, NUMBER_MAX);
    let recorded_on = f.date("recorded_date", row.recorded_date.as_ref());
    let (Some(forwarded), Some(recommended_on), Some(recorded_on)) =
        (forwarded, recommended_on, recorded_on)
    else {
        return Ok(None);
    };
    let (
        Some((_, Command::RecommendSanction(recommendation))),
        Some((_, Command::RecordSanctionDecree { sanctions })),
    ) = (recommendation, decree)
    else {
        return Ok(None);
    };
    Ok(Some(PastEnd::Recorded {
        forwarded,
        recommended_on,
        recommendation,
        sanctions,
        recorded_on,
        registry_reference,
    }))
}
