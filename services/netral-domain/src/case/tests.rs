//! Scenario tests of the case aggregate: the record a step leaves behind.

use chrono::{DateTime, NaiveDate, Utc};

use super::*;
use crate::catalogue::{Catalogue, DeadlineStep, ElectionKind, SanctionLevel, SanctionTrack};
use crate::ids::{CaseId, Nip, SubjectId};
use crate::policy::{AgencyProfile, Denial, Role, RoleGrant};
use crate::reason::Reason;
use crate::state::{Action, CaseState, TransitionError};

pub(crate) fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub(crate) fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    day(y, m, d).and_hms_opt(3, 0, 0).unwrap().and_utc()
}

pub(crate) fn agency(id: &str, region: Option<&str>, grants: Vec<RoleGrant>) -> AgencyProfile {
    AgencyProfile {
        id: id.parse().unwrap(),
        jurisdiction: region.map(|r| r.parse().unwrap()),
        grants,
    }
}

/// KASN, the examiner until its last day, 2024-08-23.
pub(crate) fn kasn() -> AgencyProfile {
    agency(
        "kasn",
        None,
        vec![RoleGrant::between(
            Role::Examiner,
            day(2014, 1, 15),
            day(2024, 8, 23),
        )],
    )
}

pub(crate) struct World {
    pub(crate) catalogue: Catalogue,
    pub(crate) bawaslu: AgencyProfile,
    pub(crate) bkn: AgencyProfile,
    pub(crate) ppk: AgencyProfile,
}

pub(crate) fn world() -> World {
    let since = day(2018, 1, 1);
    World {
        catalogue: Catalogue::bundled().unwrap(),
        bawaslu: agency(
            "bawaslu-kotabaru",
            Some("63.02"),
            vec![RoleGrant::since(Role::Bawaslu, since)],
        ),
        bkn: agency(
            "bkn",
            None,
            vec![
                RoleGrant::since(Role::Examiner, day(2024, 8, 24)),
                RoleGrant::since(Role::PersonnelRegistry, since),
            ],
        ),
        ppk: agency(
            "pemkab-kotabaru",
            Some("63.02"),
            vec![RoleGrant::since(Role::Ppk, since)],
        ),
    }
}

pub(crate) fn filing() -> NewCase {
    NewCase {
        registration_number: "001/Reg/TM/PB/Kab/22.02/IX/2024".into(),
        ppk: "pemkab-kotabaru".parse().unwrap(),
        subject: Subject {
            id: SubjectId::from("198503122010011004".parse::<Nip>().unwrap()),
            full_name: "Fiktif Rahmadani".into(),
            position: "Guru".into(),
            employing_instance: "Pemerintah Kabupaten Kotabaru".into(),
        },
        region: "63.02".parse().unwrap(),
        election: Election {
            kind: ElectionKind::Pilkada,
            year: 2024,
            phase: ElectionPhase::AfterCandidateDetermination,
        },
        legal_basis: "SKB 2022".into(),
        violation_form: 6,
        source: CaseSource::Finding,
        occurred_on: day(2024, 9, 2),
        reported_on: day(2024, 9, 3),
        summary: "Menyukai unggahan kampanye".into(),
        overlaps_election_crime: false,
    }
}

pub(crate) fn ctx<'a>(
    w: &'a World,
    actor: &'a AgencyProfile,
    when: DateTime<Utc>,
) -> StepContext<'a> {
    let today = when.date_naive();
    StepContext {
        actor,
        now: when,
        today,
        catalogue: &w.catalogue,
        limits: CaseLimits::default(),
        notices: NoticePolicy::default(),
        ppk_is_regional_head: true,
        // The world's only examiner is BKN, from its first day.
        examiner_today: w.bkn.holds(Role::Examiner, today).then_some(&w.bkn.id),
    }
}

pub(crate) fn registered(w: &World) -> CaseRecord {
    CaseRecord::register(CaseId::new(), filing(), &ctx(w, &w.bawaslu, at(2024, 9, 4)))
        .unwrap()
        .0
}

pub(crate) fn recommend() -> Command {
    Command::RecommendSanction(Recommendation {
        track: SanctionTrack::Level(SanctionLevel::Severe),
        moral: None,
        letter_number: "B-123/KASN".into(),
        rationale: String::new(),
    })
}

#[test]
fn registration_starts_bawaslus_review_deadline() {
    let w = world();
    let case = registered(&w);
    assert_eq!(case.state, CaseState::Registered);
    assert_eq!(case.version, 1);
    assert_eq!(case.etag(), "v1");
    let review = &case.deadlines[0];
    assert_eq!(review.step, DeadlineStep::BawasluReview);
    assert_eq!(review.agency.as_str(), "bawaslu-kotabaru");
    assert_eq!(review.status, DeadlineStatus::Open);
    assert!(review.due > review.start);
}

#[test]
fn a_bawaslu_outside_the_region_cannot_register() {
    let w = world();
    let hss = agency(
        "bawaslu-hulu-sungai-selatan",
        Some("63.06"),
        vec![RoleGrant::since(Role::Bawaslu, day(2018, 1, 1))],
    );
    let err =
        CaseRecord::register(CaseId::new(), filing(), &ctx(&w, &hss, at(2024, 9, 4))).unwrap_err();
    assert_eq!(err, StepError::Denied(Denial::OutsideJurisdiction));
}

#[test]
fn forwarding_names_the_examiner_and_starts_its_deadline() {
    let w = world();
    let mut case = registered(&w);
    let out = case
        .apply(
            Command::Forward {
                letter_number: "L-1".into(),
                examiner: w.bkn.id.clone(),
            },
            &ctx(&w, &w.bawaslu, at(2024, 9, 5)),
        )
        .unwrap();
    assert_eq!(
        (out.action, out.from, out.to),
        (Action::Forward, CaseState::Registered, CaseState::Forwarded)
    );
    assert_eq!(case.examiner.as_ref(), Some(&w.bkn.id));
    assert_eq!(case.forwarded_on, Some(day(2024, 9, 5)));
    assert_eq!(case.version, 2);
    assert_eq!(case.deadlines[0].status, DeadlineStatus::Met);
    let exam = case
        .deadlines
        .iter()
        .find(|d| d.step == DeadlineStep::ExaminerAction)
        .unwrap();
    assert_eq!((exam.agency.as_str(), exam.due), ("bkn", day(2024, 9, 19)));
}

#[test]
fn a_refused_step_leaves_the_record_untouched() {
    let w = world();
    let mut case = registered(&w);
    let before = case.clone();
    let err = case
        .apply(recommend(), &ctx(&w, &w.bawaslu, at(2024, 9, 5)))
        .unwrap_err();
    assert_eq!(err, StepError::Denied(Denial::NotTheExaminer));
    let err = case
        .apply(Command::Accept, &ctx(&w, &w.bkn, at(2024, 9, 5)))
        .unwrap_err();
    // Not forwarded yet: the examiner of the day does not see it.
    assert_eq!(err, StepError::Denied(Denial::CaseNotAccessible));
    assert_eq!(case, before);
}

/// A case forwarded to BKN on 5 Sep 2024 and accepted on the 6th.
pub(crate) fn under_examination(w: &World) -> CaseRecord {
    let mut case = registered(w);
    case.apply(
        Command::Forward {
            letter_number: "L-1".into(),
            examiner: w.bkn.id.clone(),
        },
        &ctx(w, &w.bawaslu, at(2024, 9, 5)),
    )
    .unwrap();
    case.apply(Command::Accept, &ctx(w, &w.bkn, at(2024, 9, 6)))
        .unwrap();
    case
}

/// A case BKN recommended a severe sanction for on 10 Sep 2024 (the PPK's ten days end on
/// the 20th).
pub(crate) fn sanction_recommended(w: &World) -> CaseRecord {
    let mut case = under_examination(w);
    case.apply(recommend(), &ctx(w, &w.bkn, at(2024, 9, 10)))
        .unwrap();
    case
}

#[test]
fn a_late_decree_marks_the_ppk_deadline_missed() {
    let w = world();
    let mut case = sanction_recommended(&w);
    let ppk_deadline = case
        .deadlines
        .iter()
        .find(|d| d.step == DeadlineStep::PpkAction)
        .unwrap()
        .clone();
    assert_eq!(ppk_deadline.due, day(2024, 9, 20));
    let decree = Command::RecordSanctionDecree {
        sanctions: vec![ImposedSanction {
            code: "SEVERE_DEMOTION_12M".into(),
            decree_number: "SK-9".into(),
            decree_date: day(2024, 10, 1),
        }],
    };
    case.apply(decree, &ctx(&w, &w.ppk, at(2024, 10, 1)))
        .unwrap();
    assert_eq!(case.state, CaseState::Sanctioned);
    let after = case
        .deadlines
        .iter()
        .find(|d| d.step == DeadlineStep::PpkAction)
        .unwrap();
    assert_eq!(after.status, DeadlineStatus::Missed);
}

#[test]
fn a_block_is_lifted_when_bkn_records_the_sanction() {
    let w = world();
    let mut case = sanction_recommended(&w);
    let block = || Command::BlockPersonnelData {
        reason: "PPK deadline missed".into(),
    };
    case.apply(block(), &ctx(&w, &w.bkn, at(2024, 9, 25)))
        .unwrap();
    assert!(case.personnel_data_blocked);
    let err = case
        .apply(block(), &ctx(&w, &w.bkn, at(2024, 9, 25)))
        .unwrap_err();
    assert!(matches!(
        err,
        StepError::Precondition {
            reason: Reason::AlreadyBlocked,
            ..
        }
    ));
    let decree = Command::RecordSanctionDecree {
        sanctions: vec![ImposedSanction {
            code: "SEVERE_DEMOTION_12M".into(),
            decree_number: "SK-9".into(),
            decree_date: day(2024, 10, 1),
        }],
    };
    case.apply(decree, &ctx(&w, &w.ppk, at(2024, 10, 1)))
        .unwrap();
    case.apply(
        Command::RecordInRegistry {
            reference: "IDIS-1".into(),
        },
        &ctx(&w, &w.bkn, at(2024, 10, 2)),
    )
    .unwrap();
    assert_eq!(case.state, CaseState::Recorded);
    assert!(!case.personnel_data_blocked);
    let kinds: Vec<_> = case.escalations.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EscalationKind::PersonnelDataBlocked,
            EscalationKind::PersonnelDataUnblocked
        ]
    );
    assert_eq!(case.outcome.registry_reference.as_deref(), Some("IDIS-1"));
}

#[test]
fn unblocking_what_is_not_blocked_is_refused() {
    let w = world();
    let mut case = sanction_recommended(&w);
    let err = case
        .apply(
            Command::UnblockPersonnelData { reason: "x".into() },
            &ctx(&w, &w.bkn, at(2024, 9, 25)),
        )
        .unwrap_err();
    assert!(matches!(
        err,
        StepError::Precondition {
            reason: Reason::NotBlocked,
            ..
        }
    ));
}

#[test]
fn closing_a_case_moots_its_open_deadlines_and_then_accepts_nothing() {
    let w = world();
    let mut case = registered(&w);
    case.apply(
        Command::Dismiss {
            rationale: "bukan pelanggaran".into(),
        },
        &ctx(&w, &w.bawaslu, at(2024, 9, 5)),
    )
    .unwrap();
    assert_eq!(case.state, CaseState::Dismissed);
    assert!(
        case.deadlines
            .iter()
            .all(|d| d.status != DeadlineStatus::Open)
    );
    let err = case
        .apply(
            Command::AddNote {
                text: "late".into(),
            },
            &ctx(&w, &w.bawaslu, at(2024, 9, 6)),
        )
        .unwrap_err();
    assert_eq!(
        err,
        StepError::Transition(TransitionError::CaseClosed {
            state: CaseState::Dismissed
        })
    );
}

#[test]
fn the_review_can_be_extended_once() {
    let w = world();
    let mut case = registered(&w);
    let extend = || Command::ExtendReview {
        reason: "butuh keterangan saksi".into(),
    };
    case.apply(extend(), &ctx(&w, &w.bawaslu, at(2024, 9, 5)))
        .unwrap();
    assert!(
        case.deadlines
            .iter()
            .any(|d| d.step == DeadlineStep::BawasluReviewExtended
                && d.status == DeadlineStatus::Open)
    );
    let err = case
        .apply(extend(), &ctx(&w, &w.bawaslu, at(2024, 9, 6)))
        .unwrap_err();
    assert!(matches!(
        err,
        StepError::Precondition {
            reason: Reason::ReviewAlreadyExtended,
            ..
        }
    ));
}

#[test]
fn debug_of_a_case_never_shows_the_subject() {
    let w = world();
    let case = registered(&w);
    let debug = format!("{case:?}");
    assert!(!debug.contains("198503122010011004"));
    assert!(!debug.contains("Fiktif Rahmadani"));
}

fn tight(mut ctx: StepContext<'_>) -> StepContext<'_> {
    ctx.limits = CaseLimits {
        max_notes: 2,
        max_attachments: 1,
        max_text_bytes: 64,
    };
    ctx
}

fn note(text: &str) -> Command {
    Command::AddNote { text: text.into() }
}

#[test]
fn the_size_counts_notes_attachments_escalations_and_their_text() {
    let w = world();
    let mut case = registered(&w);
    let c = ctx(&w, &w.bawaslu, at(2024, 9, 5));
    case.apply(note("ada"), &c).unwrap();
    case.apply(
        Command::AttachEvidence {
            digest: format!("sha256:{}", "a".repeat(64)),
            media_type: "application/pdf".into(),
            title: "Tangkapan layar".into(),
            size_bytes: 10,
        },
        &c,
    )
    .unwrap();
    assert_eq!(
        case.size,
        CaseSize {
            notes: 1,
            attachments: 1,
            escalations: 0,
            text_bytes: 3 + 15,
        }
    );
    assert_eq!(
        case.size,
        CaseSize::of(&case.notes, &case.attachments, &case.escalations)
    );
    let basic = case.clone().basic();
    assert!(basic.notes.is_empty() && basic.attachments.is_empty());
    assert_eq!(basic.size, case.size, "the BASIC record still counts them");
}

#[test]
fn a_note_past_the_limit_is_refused_and_changes_nothing() {
    let w = world();
    let mut case = registered(&w);
    let c = tight(ctx(&w, &w.bawaslu, at(2024, 9, 5)));
    case.apply(note("satu"), &c).unwrap();
    case.apply(note("dua"), &c).unwrap();
    let before = case.clone();
    let err = case.apply(note("tiga"), &c).unwrap_err();
    assert_eq!(
        err,
        StepError::LimitReached {
            limit: "notes",
            max: 2
        }
    );
    assert_eq!(case, before);
}

#[test]
fn text_past_the_limit_is_refused_even_under_the_note_count() {
    let w = world();
    let mut case = registered(&w);
    let c = tight(ctx(&w, &w.bawaslu, at(2024, 9, 5)));
    let err = case.apply(note(&"é".repeat(33)), &c).unwrap_err();
    assert_eq!(
        err,
        StepError::LimitReached {
            limit: "text_bytes",
            max: 64
        }
    );
    assert_eq!(case.size, CaseSize::default());
}

#[test]
fn a_full_case_still_moves_on_to_its_end() {
    let w = world();
    let mut case = registered(&w);
    let c = tight(ctx(&w, &w.bawaslu, at(2024, 9, 5)));
    case.apply(note("satu"), &c).unwrap();
    case.apply(note("dua"), &c).unwrap();
    case.apply(
        Command::Dismiss {
            rationale: "tidak terbukti".into(),
        },
        &c,
    )
    .unwrap();
    assert_eq!(case.state, CaseState::Dismissed);
}
