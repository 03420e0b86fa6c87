//! Domain values → wire messages. One function per message, no decisions.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use netral_domain::AgencyId;
use netral_domain::case::{
    CancelReason, CaseRecord, CaseSource, DeadlineStatus, ElectionPhase, EscalationKind, Notice,
    SeparationReason,
};
use netral_domain::catalogue::{
    DeadlineStep, ElectionKind, MoralKind, SanctionLevel, SanctionTrack,
};
use netral_domain::ids::SubjectIdKind;
use netral_domain::state::CaseState;
use netral_proto::google::r#type::Date;
use netral_proto::v1 as pb;

/// `agencies/{id}`.
pub fn agency_name(id: &AgencyId) -> String {
    format!("agencies/{id}")
}

/// A calendar date on the wire.
pub fn date(d: NaiveDate) -> Date {
    Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

/// An instant on the wire.
pub fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

/// The wire enum of a case state.
pub fn state(s: CaseState) -> pb::CaseState {
    match s {
        CaseState::Registered => pb::CaseState::Registered,
        CaseState::Forwarded => pb::CaseState::Forwarded,
        CaseState::UnderExamination => pb::CaseState::UnderExamination,
        CaseState::NotProven => pb::CaseState::NotProven,
        CaseState::SanctionRecommended => pb::CaseState::SanctionRecommended,
        CaseState::Sanctioned => pb::CaseState::Sanctioned,
        CaseState::Recorded => pb::CaseState::Recorded,
        CaseState::Dismissed => pb::CaseState::Dismissed,
        CaseState::Cancelled => pb::CaseState::Cancelled,
        CaseState::SubjectSeparated => pb::CaseState::SubjectSeparated,
    }
}

/// The wire enum of an election kind.
pub fn election_kind(k: ElectionKind) -> pb::ElectionKind {
    match k {
        ElectionKind::Pemilu => pb::ElectionKind::Pemilu,
        ElectionKind::Pilkada => pb::ElectionKind::Pilkada,
    }
}

fn subject_kind(k: SubjectIdKind) -> pb::SubjectIdKind {
    match k {
        SubjectIdKind::Nip => pb::SubjectIdKind::Nip,
        SubjectIdKind::NiPppk => pb::SubjectIdKind::NiPppk,
        SubjectIdKind::Nik => pb::SubjectIdKind::Nik,
    }
}

/// The wire enum of a recommended sanction track.
pub fn sanction_track(t: SanctionTrack) -> pb::SanctionLevel {
    match t {
        SanctionTrack::Level(SanctionLevel::Light) => pb::SanctionLevel::Light,
        SanctionTrack::Level(SanctionLevel::Medium) => pb::SanctionLevel::Medium,
        SanctionTrack::Level(SanctionLevel::Severe) => pb::SanctionLevel::Severe,
        SanctionTrack::DishonourableDismissal => pb::SanctionLevel::DishonourableDismissal,
        SanctionTrack::CaseByCase => pb::SanctionLevel::Unspecified,
    }
}

fn moral(m: Option<MoralKind>) -> pb::MoralSanction {
    match m {
        None => pb::MoralSanction::Unspecified,
        Some(MoralKind::Closed) => pb::MoralSanction::ClosedStatement,
        Some(MoralKind::Open) => pb::MoralSanction::OpenStatement,
    }
}

/// The wire enum of a deadline step.
pub fn deadline_step(s: DeadlineStep) -> pb::DeadlineStep {
    match s {
        DeadlineStep::ReportFiling => pb::DeadlineStep::ReportFiling,
        DeadlineStep::BawasluReview => pb::DeadlineStep::BawasluReview,
        DeadlineStep::BawasluReviewExtended => pb::DeadlineStep::BawasluReviewExtended,
        DeadlineStep::ExaminerAction => pb::DeadlineStep::ExaminerAction,
        DeadlineStep::PpkAction => pb::DeadlineStep::PpkAction,
        DeadlineStep::RegionalHeadAfterWarning => pb::DeadlineStep::RegionalHeadAfterWarning,
    }
}

fn deadline_status(s: DeadlineStatus) -> pb::DeadlineStatus {
    match s {
        DeadlineStatus::Open => pb::DeadlineStatus::Open,
        DeadlineStatus::Met => pb::DeadlineStatus::Met,
        DeadlineStatus::Missed => pb::DeadlineStatus::Missed,
        DeadlineStatus::Moot => pb::DeadlineStatus::Moot,
    }
}

fn escalation_kind(k: EscalationKind) -> pb::EscalationKind {
    match k {
        EscalationKind::Reminder => pb::EscalationKind::Reminder,
        EscalationKind::Overdue => pb::EscalationKind::Overdue,
        EscalationKind::PersonnelDataBlocked => pb::EscalationKind::PersonnelDataBlocked,
        EscalationKind::PersonnelDataUnblocked => pb::EscalationKind::PersonnelDataUnblocked,
        EscalationKind::WarningLetter => pb::EscalationKind::WarningLetter,
        EscalationKind::BlockProposed => pb::EscalationKind::BlockProposed,
        EscalationKind::WarningProposed => pb::EscalationKind::WarningProposed,
    }
}

/// The wire form of a deadline's last notice.
pub fn deadline_notice(n: Option<Notice>) -> pb::DeadlineNotice {
    match n {
        None => pb::DeadlineNotice::Unspecified,
        Some(Notice::Reminder) => pb::DeadlineNotice::Reminder,
        Some(Notice::Overdue) => pb::DeadlineNotice::Overdue,
        Some(Notice::BlockProposal) => pb::DeadlineNotice::BlockProposal,
        Some(Notice::WarningProposal) => pb::DeadlineNotice::WarningProposal,
    }
}

fn cancel_reason(r: CancelReason) -> pb::CancelReason {
    match r {
        CancelReason::Duplicate => pb::CancelReason::Duplicate,
        CancelReason::Withdrawn => pb::CancelReason::Withdrawn,
        CancelReason::Other => pb::CancelReason::Other,
    }
}

fn separation_reason(r: SeparationReason) -> pb::SeparationReason {
    match r {
        SeparationReason::Retired => pb::SeparationReason::Retired,
        SeparationReason::Resigned => pb::SeparationReason::Resigned,
        SeparationReason::Died => pb::SeparationReason::Died,
        SeparationReason::DismissedOtherwise => pb::SeparationReason::DismissedOtherwise,
    }
}

fn wire_count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The wire form of a case, subject included (callers have passed the read policy), with
/// whatever child records `c` holds (a BASIC record gives the BASIC view).
/// The case as an inbox message shows it: `basic` (the case in the BASIC view) without
/// personal data (the subject's identifier, name and position) and without the free-text
/// summary, which may name people. A recipient reads those with `GetCase`, which accounts
/// for the disclosure.
pub fn inbox_snapshot(basic: &pb::Case) -> pb::Case {
    let mut snapshot = basic.clone();
    if let Some(subject) = snapshot.subject.as_mut() {
        subject.id.clear();
        subject.full_name.clear();
        subject.position.clear();
    }
    snapshot.summary.clear();
    snapshot
}

/// The case in the wire format, with whatever lists the record holds.
pub fn case(c: &CaseRecord) -> pb::Case {
    let f = &c.filing;
    let outcome = &c.outcome;
    pb::Case {
        name: c.id.resource_name(),
        registration_number: f.registration_number.clone(),
        state: state(c.state) as i32,
        etag: c.etag(),
        create_time: Some(timestamp(c.created_at)),
        update_time: Some(timestamp(c.updated_at)),
        reporting_office: agency_name(&c.reporting_office),
        examiner: c.examiner.as_ref().map(agency_name).unwrap_or_default(),
        ppk: agency_name(&f.ppk),
        subject: Some(pb::Subject {
            id_kind: subject_kind(f.subject.id.kind()) as i32,
            id: f.subject.id.as_str().to_owned(),
            full_name: f.subject.full_name.clone(),
            position: f.subject.position.clone(),
            employing_instance: f.subject.employing_instance.clone(),
            erased: f.subject.id.is_erased(),
        }),
        region_code: f.region.to_string(),
        election: Some(pb::Election {
            kind: election_kind(f.election.kind) as i32,
            year: f.election.year,
            phase: match f.election.phase {
                ElectionPhase::BeforeCandidateDetermination => {
                    pb::ElectionPhase::BeforeCandidateDetermination
                }
                ElectionPhase::AfterCandidateDetermination => {
                    pb::ElectionPhase::AfterCandidateDetermination
                }
            } as i32,
        }),
        legal_basis: f.legal_basis.clone(),
        violation_form: i32::from(f.violation_form),
        source: match f.source {
            CaseSource::Finding => pb::CaseSource::Finding,
            CaseSource::PublicReport => pb::CaseSource::PublicReport,
        } as i32,
        occurred_date: Some(date(f.occurred_on)),
        reported_date: Some(date(f.reported_on)),
        summary: f.summary.clone(),
        forward_date: c.forwarded_on.map(date),
        forward_letter_number: c.forward_letter_number.clone().unwrap_or_default(),
        recommendation: c
            .recommendation
            .as_ref()
            .map(|r| pb::SanctionRecommendation {
                level: sanction_track(r.track) as i32,
                moral_sanction: moral(r.moral) as i32,
                letter_number: r.letter_number.clone(),
                rationale: r.rationale.clone(),
            }),
        imposed_sanctions: c
            .imposed_sanctions
            .iter()
            .map(|s| pb::ImposedSanction {
                code: s.code.clone(),
                decree_number: s.decree_number.clone(),
                decree_date: Some(date(s.decree_date)),
            })
            .collect(),
        recommendation_acknowledged: c.recommendation_acknowledged,
        personnel_data_blocked: c.personnel_data_blocked,
        escalations: c
            .escalations
            .iter()
            .map(|e| pb::Escalation {
                kind: escalation_kind(e.kind) as i32,
                agency: e.agency.as_ref().map(agency_name).unwrap_or_default(),
                reference: e.reference.clone(),
                reason: e.reason.clone(),
                create_time: Some(timestamp(e.at)),
            })
            .collect(),
        deadlines: c
            .deadlines
            .iter()
            .map(|d| pb::Deadline {
                step: deadline_step(d.step) as i32,
                agency: agency_name(&d.agency),
                start_date: Some(date(d.start)),
                due_date: Some(date(d.due)),
                status: deadline_status(d.status) as i32,
                last_notice: deadline_notice(d.notice) as i32,
                next_notice_date: d.notice_on.map(date),
            })
            .collect(),
        attachments: c
            .attachments
            .iter()
            .map(|a| pb::Attachment {
                digest: a.digest.clone(),
                media_type: a.media_type.clone(),
                title: a.title.clone(),
                size_bytes: a.size_bytes,
                agency: agency_name(&a.agency),
                create_time: Some(timestamp(a.at)),
            })
            .collect(),
        notes: c
            .notes
            .iter()
            .map(|n| pb::Note {
                text: n.text.clone(),
                agency: agency_name(&n.agency),
                create_time: Some(timestamp(n.at)),
            })
            .collect(),
        outcome: Some(pb::Outcome {
            rationale: outcome.rationale.clone().unwrap_or_default(),
            cancel_reason: outcome
                .cancel
                .as_ref()
                .map_or(0, |(r, _)| cancel_reason(*r) as i32),
            separation_reason: outcome
                .separation
                .as_ref()
                .map_or(0, |(r, _)| separation_reason(*r) as i32),
            separation_date: outcome.separation.as_ref().map(|(_, d)| date(*d)),
            registry_reference: outcome.registry_reference.clone().unwrap_or_default(),
        }),
        overlaps_election_crime: f.overlaps_election_crime,
        note_count: wire_count(c.size.notes),
        attachment_count: wire_count(c.size.attachments),
        escalation_count: wire_count(c.size.escalations),
        // Only `GetCase` fills it (one index read): replies, snapshots and pages stay as
        // they were.
        related_cases: Vec::new(),
    }
}
