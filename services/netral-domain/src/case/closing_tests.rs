//! A case that ends while BKN blocks the subject's personnel data: the block is lifted by
//! the step that ends it, recorded, and BKN is told.

use super::tests::{World, agency, at, ctx, day, sanction_recommended, world};
use super::*;
use crate::inbox::{MessageKind, RoleHolders, step_recipients};
use crate::policy::{AgencyProfile, Role, RoleGrant};
use crate::state::{CaseState, TransitionError};

fn kemendagri() -> AgencyProfile {
    agency(
        "kemendagri",
        None,
        vec![RoleGrant::since(Role::RegionalOversight, day(2018, 1, 1))],
    )
}

/// A case whose PPK ignored the recommendation, so BKN blocked the subject's personnel data.
fn blocked_case(w: &World) -> CaseRecord {
    let mut case = sanction_recommended(w);
    case.apply(
        Command::BlockPersonnelData {
            reason: "PPK deadline missed".into(),
        },
        &ctx(w, &w.bkn, at(2024, 9, 25)),
    )
    .unwrap();
    assert!(case.personnel_data_blocked);
    case
}

/// Who the step's inbox messages go to, with BKN as registry and Kemendagri as overseer.
fn told(
    outcome: &StepOutcome,
    case: &CaseRecord,
    actor: &AgencyProfile,
) -> Vec<(String, MessageKind)> {
    let w = world();
    let oversight = kemendagri();
    let holders = RoleHolders::of(
        [&w.bawaslu, &w.bkn, &w.ppk, &oversight],
        &case.filing.region,
        day(2024, 10, 1),
    );
    step_recipients(outcome, case, &actor.id, &holders)
        .into_iter()
        .map(|d| (d.agency.to_string(), d.kind))
        .collect()
}

fn assert_lifted_by_netral(case: &CaseRecord, reason: &str) {
    assert!(!case.personnel_data_blocked, "the block outlived the case");
    let last = case.escalations.last().unwrap();
    assert_eq!(last.kind, EscalationKind::PersonnelDataUnblocked);
    assert_eq!(last.agency, None, "netral lifted it, no agency did");
    assert_eq!(last.reason, reason);
    assert_eq!(last.at, at(2024, 10, 1));
    assert_eq!(
        case.size,
        CaseSize::of(&case.notes, &case.attachments, &case.escalations)
    );
}

#[test]
fn a_retired_subjects_personnel_data_is_unblocked_when_the_registry_reports_the_retirement() {
    let w = world();
    let mut case = blocked_case(&w);
    let out = case
        .apply(
            Command::ReportSubjectSeparated {
                reason: SeparationReason::Retired,
                effective_on: day(2024, 9, 30),
            },
            &ctx(&w, &w.bkn, at(2024, 10, 1)),
        )
        .unwrap();
    assert_eq!(case.state, CaseState::SubjectSeparated);
    assert!(out.block_lifted);
    assert_lifted_by_netral(&case, "case closed: SUBJECT_SEPARATED");
    let messages = told(&out, &case, &w.bkn);
    assert!(
        messages.contains(&("pemkab-kotabaru".to_owned(), MessageKind::CaseChanged)),
        "the PPK must hear that its case ended: {messages:?}"
    );
    assert!(
        messages.contains(&("kemendagri".to_owned(), MessageKind::CaseChanged)),
        "Kemendagri heard of the block and must hear of its end: {messages:?}"
    );
    // Nothing is left for BKN to lift by hand, and a closed case takes no unblocking.
    let err = case
        .apply(
            Command::UnblockPersonnelData {
                reason: "pensiun".into(),
            },
            &ctx(&w, &w.bkn, at(2024, 10, 2)),
        )
        .unwrap_err();
    assert_eq!(
        err,
        StepError::Transition(TransitionError::CaseClosed {
            state: CaseState::SubjectSeparated
        })
    );
}

#[test]
fn a_blocked_case_awaiting_the_ppk_cannot_be_cancelled() {
    let w = world();
    let mut case = blocked_case(&w);
    let before = case.clone();
    let err = case
        .apply(
            Command::Cancel {
                reason: CancelReason::Duplicate,
                detail: "sama dengan laporan 002".into(),
            },
            &ctx(&w, &w.bawaslu, at(2024, 10, 1)),
        )
        .unwrap_err();
    assert_eq!(
        err,
        StepError::Transition(TransitionError::NotAllowed {
            state: CaseState::SanctionRecommended,
            action: crate::state::Action::Cancel,
        })
    );
    assert_eq!(case, before, "the block stands and the PPK's duty with it");
}

#[test]
fn a_case_closed_without_a_block_records_no_unblocking() {
    let w = world();
    let mut case = sanction_recommended(&w);
    let out = case
        .apply(
            Command::ReportSubjectSeparated {
                reason: SeparationReason::Died,
                effective_on: day(2024, 9, 30),
            },
            &ctx(&w, &w.bkn, at(2024, 10, 1)),
        )
        .unwrap();
    assert!(!out.block_lifted);
    assert!(case.escalations.is_empty());
    let messages = told(&out, &case, &w.bkn);
    assert!(
        !messages.iter().any(|(agency, _)| agency == "kemendagri"),
        "no block, nothing for Kemendagri: {messages:?}"
    );
}
