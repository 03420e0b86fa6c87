//! Wire requests → validated domain values. Every rule about the *shape* of input lives here
//! and reports all bad fields at once; rules about *who* and *when* live in the domain.

use chrono::NaiveDate;
use netral_domain::case::{
    CancelReason, CaseSource, Command, Election, ElectionPhase, ImposedSanction, NewCase,
    Recommendation, SeparationReason, Subject,
};
use netral_domain::catalogue::{Catalogue, ElectionKind, MoralKind, SanctionLevel, SanctionTrack};
use netral_domain::ids::{SubjectId, SubjectIdKind};
use netral_domain::policy::Role;
use netral_domain::{CaseId, RegionCode};
use netral_proto::v1 as pb;
use uuid::Uuid;

use super::fields::{Fields, present};
use crate::directory::Directory;
use crate::error::Error;

/// Longest registration or letter number accepted.
const NUMBER_MAX: usize = 120;
/// Longest short text (names, positions, titles).
const SHORT_MAX: usize = 200;
/// Longest long text (summaries, rationales, notes).
const LONG_MAX: usize = 4000;

/// What parsing may look up.
pub struct ParseContext<'a> {
    /// Violation forms, sanction codes and regions.
    pub catalogue: &'a Catalogue,
    /// Agencies, to check that a named PPK exists and is one.
    pub directory: &'a Directory,
    /// Today's date in the exchange's calendar.
    pub today: chrono::NaiveDate,
}

/// The common head of every step on an existing case.
#[derive(Debug, Clone)]
pub struct Target {
    /// The case.
    pub case_id: CaseId,
    /// The etag the caller read.
    pub etag: String,
    /// The caller's idempotency key.
    pub request_id: Uuid,
}

/// Parses the head of a step request, recording violations.
pub fn target(
    fields: &mut Fields,
    name: &str,
    etag: &str,
    request_id: &str,
) -> (Option<CaseId>, Option<String>, Option<Uuid>) {
    (
        fields.case_name("name", name),
        fields.etag("etag", etag),
        fields.request_id("request_id", request_id),
    )
}

fn finish_target(
    fields: Fields,
    head: (Option<CaseId>, Option<String>, Option<Uuid>),
) -> Result<Target, Error> {
    fields.finish()?;
    Ok(Target {
        case_id: present(head.0)?,
        etag: present(head.1)?,
        request_id: present(head.2)?,
    })
}

/// A registration request.
pub fn register(
    req: &pb::RegisterCaseRequest,
    cx: &ParseContext<'_>,
) -> Result<(Uuid, NewCase), Error> {
    let mut f = Fields::default();
    let request_id = f.request_id("request_id", &req.request_id);
    let Some(case) = req.r#case.as_ref() else {
        f.violate("case", "is required");
        f.finish()?;
        return Err(Error::Unexpected("unreachable: missing case".into()));
    };
    let registration_number = f.text(
        "case.registration_number",
        &case.registration_number,
        NUMBER_MAX,
    );
    let ppk = f.agency_name("case.ppk", &case.ppk);
    let subject = subject(&mut f, case.subject.as_ref());
    let region = f.parse("case.region_code", case.region_code.parse::<RegionCode>());
    if region.is_some_and(|r| !cx.catalogue.regions.contains(&r)) {
        f.violate(
            "case.region_code",
            "not a Kemendagri province or regency/city code",
        );
    }
    // The PPK is the employing authority of the subject's instance, never a free choice:
    // naming another region's government would hand it the civil servant's data and decree.
    // Judged once the region and the instance are themselves valid (each is its own
    // violation otherwise).
    let region_and_instance = region
        .filter(|r| cx.catalogue.regions.contains(r))
        .zip(subject.as_ref().map(|s| s.employing_instance.as_str()))
        .filter(|(_, instance)| !instance.is_empty());
    if let Some(id) = &ppk {
        match cx.directory.get(id) {
            None => f.violate("case.ppk", "no such agency in the directory"),
            Some(entry) => {
                if let Some((region, instance)) = region_and_instance
                    && let Err(why) = entry.employs(&region, instance, cx.today)
                {
                    f.violate("case.ppk", why);
                } else if !entry.profile.holds(Role::Ppk, cx.today) {
                    f.violate("case.ppk", "this agency does not hold the PPK role");
                }
            }
        }
    }
    let election = election(&mut f, case.election.as_ref());
    let legal_basis = f.text("case.legal_basis", &case.legal_basis, SHORT_MAX);
    let violation_form = u8::try_from(case.violation_form)
        .ok()
        .filter(|n| cx.catalogue.violations.form(*n).is_some());
    if violation_form.is_none() {
        f.violate(
            "case.violation_form",
            format!(
                "must be a form number from 1 to {}",
                cx.catalogue.violations.len()
            ),
        );
    }
    let source = f.enum_value("case.source", case.source, |s: pb::CaseSource| match s {
        pb::CaseSource::Finding => Some(CaseSource::Finding),
        pb::CaseSource::PublicReport => Some(CaseSource::PublicReport),
        pb::CaseSource::Unspecified => None,
    });
    let occurred_on = f.date("case.occurred_date", case.occurred_date.as_ref());
    let reported_on = f.date("case.reported_date", case.reported_date.as_ref());
    if let (Some(o), Some(r)) = (occurred_on, reported_on)
        && o > r
    {
        f.violate("case.occurred_date", "must not be after the reported date");
    }
    if reported_on.is_some_and(|r| r > cx.today) {
        f.violate("case.reported_date", "must not be in the future");
    }
    let summary = f.text("case.summary", &case.summary, LONG_MAX);
    f.finish()?;
    let filing = NewCase {
        registration_number,
        ppk: present(ppk)?,
        subject: present(subject)?,
        region: present(region)?,
        election: present(election)?,
        legal_basis,
        violation_form: present(violation_form)?,
        source: present(source)?,
        occurred_on: present(occurred_on)?,
        reported_on: present(reported_on)?,
        summary,
        overlaps_election_crime: case.overlaps_election_crime,
    };
    Ok((present(request_id)?, filing))
}

fn subject(f: &mut Fields, subject: Option<&pb::Subject>) -> Option<Subject> {
    let Some(s) = subject else {
        f.violate("case.subject", "is required");
        return None;
    };
    let kind = f.enum_value(
        "case.subject.id_kind",
        s.id_kind,
        |k: pb::SubjectIdKind| match k {
            pb::SubjectIdKind::Nip => Some(SubjectIdKind::Nip),
            pb::SubjectIdKind::NiPppk => Some(SubjectIdKind::NiPppk),
            pb::SubjectIdKind::Nik => Some(SubjectIdKind::Nik),
            pb::SubjectIdKind::Unspecified => None,
        },
    );
    // The id's own error names the wrong segment but never repeats the digits.
    let id = kind.and_then(|k| f.parse("case.subject.id", SubjectId::parse(k, s.id.trim())));
    let full_name = f.text("case.subject.full_name", &s.full_name, SHORT_MAX);
    let position = f.optional_text("case.subject.position", &s.position, SHORT_MAX);
    let employing_instance = f.text(
        "case.subject.employing_instance",
        &s.employing_instance,
        SHORT_MAX,
    );
    Some(Subject {
        id: id?,
        full_name,
        position,
        employing_instance,
    })
}

fn election(f: &mut Fields, election: Option<&pb::Election>) -> Option<Election> {
    let Some(e) = election else {
        f.violate("case.election", "is required");
        return None;
    };
    let kind = f.enum_value(
        "case.election.kind",
        e.kind,
        |k: pb::ElectionKind| match k {
            pb::ElectionKind::Pemilu => Some(ElectionKind::Pemilu),
            pb::ElectionKind::Pilkada => Some(ElectionKind::Pilkada),
            pb::ElectionKind::Unspecified => None,
        },
    );
    if !(2004..=2100).contains(&e.year) {
        f.violate(
            "case.election.year",
            "must be an election year from 2004 on",
        );
    }
    let phase = f.enum_value(
        "case.election.phase",
        e.phase,
        |p: pb::ElectionPhase| match p {
            pb::ElectionPhase::BeforeCandidateDetermination => {
                Some(ElectionPhase::BeforeCandidateDetermination)
            }
            pb::ElectionPhase::AfterCandidateDetermination => {
                Some(ElectionPhase::AfterCandidateDetermination)
            }
            pb::ElectionPhase::Unspecified => None,
        },
    );
    Some(Election {
        kind: kind?,
        year: e.year,
        phase: phase?,
    })
}

/// A step request that carries only free text besides its head.
pub fn text_step<T>(
    name: &str,
    etag: &str,
    request_id: &str,
    text_field: &str,
    text: &str,
    build: impl FnOnce(String) -> T,
) -> Result<(Target, T), Error> {
    let mut f = Fields::default();
    let head = target(&mut f, name, etag, request_id);
    let text = f.text(text_field, text, LONG_MAX);
    Ok((finish_target(f, head)?, build(text)))
}

/// A step request with no parameters besides its head.
pub fn bare_step(
    name: &str,
    etag: &str,
    request_id: &str,
    command: Command,
) -> Result<(Target, Command), Error> {
    let mut f = Fields::default();
    let head = target(&mut f, name, etag, request_id);
    Ok((finish_target(f, head)?, command))
}

/// `RecommendSanction`.
pub fn recommend(req: &pb::RecommendSanctionRequest) -> Result<(Target, Command), Error> {
    let mut f = Fields::default();
    let head = target(&mut f, &req.name, &req.etag, &req.request_id);
    let Some(r) = req.recommendation.as_ref() else {
        f.violate("recommendation", "is required");
        f.finish()?;
        return Err(Error::Unexpected(
            "unreachable: missing recommendation".into(),
        ));
    };
    let track = f.enum_value(
        "recommendation.level",
        r.level,
        |l: pb::SanctionLevel| match l {
            pb::SanctionLevel::Light => Some(SanctionTrack::Level(SanctionLevel::Light)),
            pb::SanctionLevel::Medium => Some(SanctionTrack::Level(SanctionLevel::Medium)),
            pb::SanctionLevel::Severe => Some(SanctionTrack::Level(SanctionLevel::Severe)),
            pb::SanctionLevel::DishonourableDismissal => {
                Some(SanctionTrack::DishonourableDismissal)
            }
            pb::SanctionLevel::Unspecified => None,
        },
    );
    let moral = match pb::MoralSanction::try_from(r.moral_sanction) {
        Ok(pb::MoralSanction::Unspecified) => None,
        Ok(pb::MoralSanction::ClosedStatement) => Some(MoralKind::Closed),
        Ok(pb::MoralSanction::OpenStatement) => Some(MoralKind::Open),
        Err(_) => {
            f.violate("recommendation.moral_sanction", "unknown moral sanction");
            None
        }
    };
    let letter_number = f.text("recommendation.letter_number", &r.letter_number, NUMBER_MAX);
    let rationale = f.optional_text("recommendation.rationale", &r.rationale, LONG_MAX);
    let target = finish_target(f, head)?;
    let recommendation = Recommendation {
        track: present(track)?,
        moral,
        letter_number,
        rationale,
    };
    Ok((target, Command::RecommendSanction(recommendation)))
}

/// `RecordSanctionDecree`: every code must be in the catalogue, at most one disciplinary.
pub fn decree(
    req: &pb::RecordSanctionDecreeRequest,
    catalogue: &Catalogue,
    max_sanctions: u32,
) -> Result<(Target, Command), Error> {
    let mut f = Fields::default();
    let head = target(&mut f, &req.name, &req.etag, &req.request_id);
    if req.sanctions.is_empty() {
        f.violate("sanctions", "at least one sanction is required");
    }
    if req.sanctions.len() > max_sanctions as usize {
        f.violate(
            "sanctions",
            format!("one decree may impose at most {max_sanctions} sanctions"),
        );
    }
    let mut disciplinary = 0;
    let mut sanctions = Vec::new();
    for (i, s) in req.sanctions.iter().enumerate() {
        let field = |name: &str| format!("sanctions[{i}].{name}");
        let code = s.code.trim();
        if catalogue.sanctions.disciplinary_by_code(code).is_some() {
            disciplinary += 1;
        } else if catalogue.sanctions.moral_by_code(code).is_none() {
            f.violate(
                &field("code"),
                "not a sanction code of the catalogue (DirectoryService.ListSanctions)",
            );
        }
        let decree_number = f.text(&field("decree_number"), &s.decree_number, NUMBER_MAX);
        let decree_date = f.date(&field("decree_date"), s.decree_date.as_ref());
        if let Some(d) = decree_date {
            sanctions.push(ImposedSanction {
                code: code.to_owned(),
                decree_number,
                decree_date: d,
            });
        }
    }
    if disciplinary > 1 {
        f.violate("sanctions", "at most one disciplinary sanction per decree");
    }
    let target = finish_target(f, head)?;
    Ok((target, Command::RecordSanctionDecree { sanctions }))
}

/// `ReportSubjectSeparated` on `today`: the separation must already have happened.
pub fn separated(
    req: &pb::ReportSubjectSeparatedRequest,
    today: NaiveDate,
) -> Result<(Target, Command), Error> {
    let mut f = Fields::default();
    let head = target(&mut f, &req.name, &req.etag, &req.request_id);
    let reason = f.enum_value("reason", req.reason, |r: pb::SeparationReason| match r {
        pb::SeparationReason::Retired => Some(SeparationReason::Retired),
        pb::SeparationReason::Resigned => Some(SeparationReason::Resigned),
        pb::SeparationReason::Died => Some(SeparationReason::Died),
        pb::SeparationReason::DismissedOtherwise => Some(SeparationReason::DismissedOtherwise),
        pb::SeparationReason::Unspecified => None,
    });
    let effective_on = f.past_date("effective_date", req.effective_date.as_ref(), today);
    let target = finish_target(f, head)?;
    Ok((
        target,
        Command::ReportSubjectSeparated {
            reason: present(reason)?,
            effective_on: present(effective_on)?,
        },
    ))
}

/// `SendWarningLetter`.
pub fn warning(req: &pb::SendWarningLetterRequest) -> Result<(Target, Command), Error> {
    let mut f = Fields::default();
    let head = target(&mut f, &req.name, &req.etag, &req.request_id);
    let letter_number = f.text("letter_number", &req.letter_number, NUMBER_MAX);
    let letter_date = f.date("letter_date", req.letter_date.as_ref());
    let target = finish_target(f, head)?;
    Ok((
        target,
        Command::SendWarningLetter {
            letter_number,
            letter_date: present(letter_date)?,
        },
    ))
}

/// `CancelCase`.
pub fn cancel(req: &pb::CancelCaseRequest) -> Result<(Target, Command), Error> {
    let mut f = Fields::default();
    let head = target(&mut f, &req.name, &req.etag, &req.request_id);
    let reason = f.enum_value("reason", req.reason, |r: pb::CancelReason| match r {
        pb::CancelReason::Duplicate => Some(CancelReason::Duplicate),
        pb::CancelReason::Withdrawn => Some(CancelReason::Withdrawn),
        pb::CancelReason::Other => Some(CancelReason::Other),
        pb::CancelReason::Unspecified => None,
    });
    let detail = if reason == Some(CancelReason::Other) {
        f.text("detail", &req.detail, LONG_MAX)
    } else {
        f.optional_text("detail", &req.detail, LONG_MAX)
    };
    let target = finish_target(f, head)?;
    Ok((
        target,
        Command::Cancel {
            reason: present(reason)?,
            detail,
        },
    ))
}

/// `AttachEvidence`.
pub fn attach(req: &pb::AttachEvidenceRequest) -> Result<(Target, Command), Error> {
    let mut f = Fields::default();
    let head = target(&mut f, &req.name, &req.etag, &req.request_id);
    let Some(a) = req.attachment.as_ref() else {
        f.violate("attachment", "is required");
        f.finish()?;
        return Err(Error::Unexpected("unreachable: missing attachment".into()));
    };
    let digest = a.digest.trim().to_owned();
    let hex = digest.strip_prefix("sha256:").unwrap_or_default();
    if hex.len() != 64
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        f.violate(
            "attachment.digest",
            "must be sha256: followed by 64 lowercase hex digits",
        );
    }
    let media_type = f.text("attachment.media_type", &a.media_type, SHORT_MAX);
    if !media_type.is_empty() && !media_type.contains('/') {
        f.violate(
            "attachment.media_type",
            "must be a media type such as application/pdf",
        );
    }
    let title = f.text("attachment.title", &a.title, SHORT_MAX);
    if a.size_bytes < 0 {
        f.violate("attachment.size_bytes", "must not be negative");
    }
    let target = finish_target(f, head)?;
    Ok((
        target,
        Command::AttachEvidence {
            digest,
            media_type,
            title,
            size_bytes: a.size_bytes,
        },
    ))
}
