//! KASN's unfinished cases: the examiner of an open case follows the dated grant, and BKN
//! takes over, audited, what KASN was given on or before its last day (2024-08-23).

use super::tests::{World, at, ctx, day, filing, kasn, recommend, world};
use super::*;
use crate::catalogue::DeadlineStep;
use crate::ids::CaseId;
use crate::inbox::{MessageKind, RoleHolders, step_recipients};
use crate::policy::{AgencyProfile, Denial, Role};
use crate::state::CaseState;

/// A case Bawaslu Kotabaru forwarded to KASN on KASN's last day.
fn forwarded_to_kasn_on_its_last_day(w: &World, kasn: &AgencyProfile) -> CaseRecord {
    let (mut case, _) = CaseRecord::register(
        CaseId::new(),
        filing(),
        &ctx(w, &w.bawaslu, at(2024, 8, 20)),
    )
    .unwrap();
    case.apply(
        Command::Forward {
            letter_number: "L-0823".into(),
            examiner: kasn.id.clone(),
        },
        &ctx(w, &w.bawaslu, at(2024, 8, 23)),
    )
    .unwrap();
    assert_eq!(case.examiner.as_ref(), Some(&kasn.id));
    case
}

fn examiner_deadline(case: &CaseRecord) -> &Deadline {
    case.deadlines
        .iter()
        .find(|d| d.step == DeadlineStep::ExaminerAction)
        .unwrap()
}

#[test]
fn bkn_takes_over_a_case_kasn_left_unfinished() {
    let (w, kasn) = (world(), kasn());
    let mut case = forwarded_to_kasn_on_its_last_day(&w, &kasn);
    let due = examiner_deadline(&case).due;

    let out = case
        .apply(Command::Accept, &ctx(&w, &w.bkn, at(2024, 8, 26)))
        .unwrap();

    assert_eq!(out.to, CaseState::UnderExamination);
    assert_eq!(out.examiner_handed_over_from, Some(kasn.id.clone()));
    assert_eq!(case.examiner.as_ref(), Some(&w.bkn.id));
    assert_eq!(
        case.forwarded_on,
        Some(day(2024, 8, 23)),
        "forwarding is history"
    );
    let deadline = examiner_deadline(&case);
    assert_eq!(
        deadline.agency, w.bkn.id,
        "the open deadline waits for BKN now"
    );
    assert_eq!(
        (deadline.start, deadline.due, deadline.status),
        (day(2024, 8, 23), due, DeadlineStatus::Open)
    );

    // BKN is now the examiner: its recommendation hands nothing over and meets the deadline.
    let out = case
        .apply(recommend(), &ctx(&w, &w.bkn, at(2024, 8, 27)))
        .unwrap();
    assert_eq!(out.examiner_handed_over_from, None);
    assert_eq!(examiner_deadline(&case).status, DeadlineStatus::Met);
    assert_eq!(case.state, CaseState::SanctionRecommended);
}

#[test]
fn kasn_may_no_longer_act_on_a_case_after_its_last_day() {
    let (w, kasn) = (world(), kasn());
    let mut case = forwarded_to_kasn_on_its_last_day(&w, &kasn);
    let before = case.clone();
    // Before the hand-over: KASN no longer holds the role.
    let err = case
        .apply(Command::Accept, &ctx(&w, &kasn, at(2024, 8, 26)))
        .unwrap_err();
    assert_eq!(
        err,
        StepError::Denied(Denial::RoleNotHeld {
            role: Role::Examiner
        })
    );
    assert_eq!(case, before);
    // After it: the case is BKN's, and KASN is not its examiner.
    case.apply(Command::Accept, &ctx(&w, &w.bkn, at(2024, 8, 26)))
        .unwrap();
    let err = case
        .apply(recommend(), &ctx(&w, &kasn, at(2024, 8, 26)))
        .unwrap_err();
    // No longer named on it nor holding the role, KASN may not even see it.
    assert_eq!(err, StepError::Denied(Denial::CaseNotAccessible));
}

#[test]
fn kasn_still_acts_on_its_last_day_and_bkn_takes_nothing_over_early() {
    let (w, kasn) = (world(), kasn());
    let mut case = forwarded_to_kasn_on_its_last_day(&w, &kasn);
    let err = case
        .apply(Command::Accept, &ctx(&w, &w.bkn, at(2024, 8, 23)))
        .unwrap_err();
    // Not yet the examiner: BKN reads KASN's forwarded case as the personnel registry (it
    // could report a separation), but takes nothing over before its examiner grant starts.
    assert_eq!(err, StepError::Denied(Denial::NotTheExaminer));
    let out = case
        .apply(Command::Accept, &ctx(&w, &kasn, at(2024, 8, 23)))
        .unwrap();
    assert_eq!(out.examiner_handed_over_from, None);
    assert_eq!(case.examiner.as_ref(), Some(&kasn.id));
}

#[test]
fn after_the_hand_over_bkn_hears_what_the_examiner_hears() {
    let (w, kasn) = (world(), kasn());
    let mut case = forwarded_to_kasn_on_its_last_day(&w, &kasn);
    case.apply(Command::Accept, &ctx(&w, &w.bkn, at(2024, 8, 26)))
        .unwrap();
    case.apply(recommend(), &ctx(&w, &w.bkn, at(2024, 8, 27)))
        .unwrap();
    let out = case
        .apply(Command::Acknowledge, &ctx(&w, &w.ppk, at(2024, 8, 28)))
        .unwrap();
    let holders = RoleHolders::default();
    let told: Vec<_> = step_recipients(&out, &case, &w.ppk.id, &holders)
        .into_iter()
        .map(|d| (d.agency.to_string(), d.kind))
        .collect();
    assert_eq!(told, [("bkn".to_owned(), MessageKind::CaseChanged)]);
    assert_eq!(
        crate::policy::may_read_case(&w.bkn, &case.parties(), day(2024, 8, 28)),
        Ok(())
    );
}
