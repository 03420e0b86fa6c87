//! The notice ladder on the record: what the deadline engine may raise, when, and once.

use super::*;
use crate::case::tests::{agency, at, ctx, day, registered, sanction_recommended, world};
use crate::case::{
    Command, DeadlineStatus, EscalationKind, ImposedSanction, StepContext, StepError,
};
use crate::catalogue::DeadlineStep;
use crate::policy::{Role, RoleGrant};
use crate::reason::Reason;

fn notice_ctx(y: i32, m: u32, d: u32) -> NoticeContext {
    NoticeContext {
        now: at(y, m, d),
        today: day(y, m, d),
        policy: NoticePolicy::default(),
        ppk_is_regional_head: true,
    }
}

fn ppk_index(case: &CaseRecord) -> usize {
    case.deadlines
        .iter()
        .position(|d| d.step == DeadlineStep::PpkAction)
        .unwrap()
}

/// Raises everything due on the day, as the engine does (one raise per transaction), and
/// answers the notices in the order they were raised.
fn raise_all(case: &mut CaseRecord, index: usize, ctx: &NoticeContext) -> Vec<Notice> {
    let mut raised = Vec::new();
    while let Some(r) = case.raise_notice(index, ctx).unwrap() {
        raised.push(r.notice);
        assert!(raised.len() <= Notice::ALL.len(), "a ladder has four rungs");
    }
    raised
}

#[test]
fn a_silent_ppk_climbs_the_whole_ladder_in_order_and_once() {
    let w = world();
    let mut case = sanction_recommended(&w);
    let i = ppk_index(&case);
    // Recommended on 10 Sep 2024; ten days: due 20 Sep; the reminder two days before.
    assert_eq!(case.deadlines[i].due, day(2024, 9, 20));
    assert_eq!(case.deadlines[i].notice_on, Some(day(2024, 9, 18)));

    assert_eq!(raise_all(&mut case, i, &notice_ctx(2024, 9, 17)), []);
    let version = case.version;
    assert_eq!(
        raise_all(&mut case, i, &notice_ctx(2024, 9, 18)),
        [Notice::Reminder]
    );
    assert_eq!(case.version, version + 1, "a raise is a step of the case");
    assert_eq!(case.deadlines[i].notice_on, Some(day(2024, 9, 21)));
    assert_eq!(raise_all(&mut case, i, &notice_ctx(2024, 9, 20)), []);
    assert_eq!(
        raise_all(&mut case, i, &notice_ctx(2024, 9, 21)),
        [
            Notice::Overdue,
            Notice::BlockProposal,
            Notice::WarningProposal
        ]
    );
    assert_eq!(case.deadlines[i].notice_on, None, "the ladder is climbed");
    assert_eq!(case.deadlines[i].status, DeadlineStatus::Open);
    assert_eq!(raise_all(&mut case, i, &notice_ctx(2024, 12, 31)), []);

    let kinds: Vec<_> = case.escalations.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EscalationKind::Reminder,
            EscalationKind::Overdue,
            EscalationKind::BlockProposed,
            EscalationKind::WarningProposed
        ]
    );
    assert!(
        case.escalations.iter().all(|e| e.agency.is_none()),
        "netral raised them itself"
    );
}

#[test]
fn a_catch_up_after_downtime_skips_the_stale_reminder_and_fires_the_rest_once() {
    let w = world();
    let mut case = sanction_recommended(&w);
    let i = ppk_index(&case);
    assert_eq!(
        raise_all(&mut case, i, &notice_ctx(2024, 10, 30)),
        [
            Notice::Overdue,
            Notice::BlockProposal,
            Notice::WarningProposal
        ]
    );
    assert_eq!(raise_all(&mut case, i, &notice_ctx(2024, 10, 31)), []);
}

#[test]
fn a_ministry_ppk_gets_no_warning_proposal() {
    let w = world();
    let mut case = sanction_recommended(&w);
    let i = ppk_index(&case);
    let ministry = NoticeContext {
        ppk_is_regional_head: false,
        ..notice_ctx(2024, 9, 25)
    };
    assert_eq!(
        raise_all(&mut case, i, &ministry),
        [Notice::Overdue, Notice::BlockProposal]
    );
}

#[test]
fn escalation_waits_for_its_grace_days() {
    let w = world();
    let mut case = sanction_recommended(&w);
    let i = ppk_index(&case);
    let grace = |d| NoticeContext {
        policy: NoticePolicy {
            reminder_lead_days: 0,
            escalate_after_days: 3,
        },
        ..notice_ctx(2024, 9, d)
    };
    assert_eq!(raise_all(&mut case, i, &grace(21)), [Notice::Overdue]);
    assert_eq!(case.deadlines[i].notice_on, Some(day(2024, 9, 24)));
    assert_eq!(raise_all(&mut case, i, &grace(23)), []);
    assert_eq!(
        raise_all(&mut case, i, &grace(24)),
        [Notice::BlockProposal, Notice::WarningProposal]
    );
}

#[test]
fn other_deadlines_stop_at_overdue() {
    let w = world();
    let mut case = registered(&w);
    // Bawaslu's review: registered 4 Sep 2024, seven days.
    assert_eq!(case.deadlines[0].due, day(2024, 9, 11));
    assert_eq!(
        raise_all(&mut case, 0, &notice_ctx(2024, 9, 30)),
        [Notice::Overdue]
    );
}

#[test]
fn the_decree_closes_the_deadline_and_nothing_more_is_raised() {
    let w = world();
    let mut case = sanction_recommended(&w);
    let i = ppk_index(&case);
    raise_all(&mut case, i, &notice_ctx(2024, 9, 21));
    let decree = Command::RecordSanctionDecree {
        sanctions: vec![ImposedSanction {
            code: "SEVERE_DEMOTION_12M".into(),
            decree_number: "SK-9".into(),
            decree_date: day(2024, 9, 22),
        }],
    };
    case.apply(decree, &ctx(&w, &w.ppk, at(2024, 9, 22)))
        .unwrap();
    assert_eq!(case.deadlines[i].status, DeadlineStatus::Missed);
    assert_eq!(case.deadlines[i].notice_on, None);
    assert_eq!(raise_all(&mut case, i, &notice_ctx(2024, 9, 30)), []);
}

#[test]
fn a_passed_deadline_stays_missed_when_the_case_ends_later() {
    let w = world();
    let mut case = sanction_recommended(&w);
    let i = ppk_index(&case);
    case.apply(
        Command::ReportSubjectSeparated {
            reason: crate::case::SeparationReason::Retired,
            effective_on: day(2025, 1, 1),
        },
        &ctx(&w, &w.bkn, at(2025, 1, 6)),
    )
    .unwrap();
    assert_eq!(case.deadlines[i].status, DeadlineStatus::Missed);

    // A deadline still running when the case ends is moot.
    let mut early = sanction_recommended(&w);
    early
        .apply(
            Command::ReportSubjectSeparated {
                reason: crate::case::SeparationReason::Retired,
                effective_on: day(2024, 9, 12),
            },
            &ctx(&w, &w.bkn, at(2024, 9, 12)),
        )
        .unwrap();
    assert_eq!(early.deadlines[i].status, DeadlineStatus::Moot);
}

#[test]
fn an_extended_review_runs_fourteen_working_days_from_registration() {
    let w = world();
    let mut case = registered(&w);
    case.apply(
        Command::ExtendReview {
            reason: "butuh keterangan saksi".into(),
        },
        &ctx(&w, &w.bawaslu, at(2024, 9, 6)),
    )
    .unwrap();
    let extended = case.deadlines.last().unwrap();
    assert_eq!(extended.step, DeadlineStep::BawasluReviewExtended);
    assert_eq!(extended.start, day(2024, 9, 4), "registration day");
    // 14 working days after Wed 4 Sep 2024, Mon 16 Sep (Maulid Nabi) not counted: Wed 25 Sep.
    assert_eq!(extended.due, day(2024, 9, 25));
    assert_eq!(case.deadlines[0].status, DeadlineStatus::Moot);
}

#[test]
fn an_extension_after_the_seven_days_leaves_them_missed() {
    let w = world();
    let mut case = registered(&w);
    case.apply(
        Command::ExtendReview {
            reason: "terlambat".into(),
        },
        &ctx(&w, &w.bawaslu, at(2024, 9, 13)),
    )
    .unwrap();
    assert_eq!(case.deadlines[0].status, DeadlineStatus::Missed);
}

#[test]
fn a_working_day_deadline_across_idul_fitri_lands_after_the_collective_leave() {
    let w = world();
    let bawaslu = agency(
        "bawaslu-kotabaru",
        Some("63.02"),
        vec![RoleGrant::since(Role::Bawaslu, day(2018, 1, 1))],
    );
    let mut case = registered(&w);
    // Re-register on Mon 1 Apr 2024: 8–12 and 15 April 2024 are Idul Fitri holidays and
    // collective leave, so the 14th working day is Mon 29 Apr (19 Apr without them).
    case.deadlines[0].start = day(2024, 4, 1);
    case.apply(
        Command::ExtendReview {
            reason: "saksi mudik".into(),
        },
        &ctx(&w, &bawaslu, at(2024, 4, 3)),
    )
    .unwrap();
    let extended = case.deadlines.last().unwrap();
    assert_eq!(extended.due, day(2024, 4, 29));
    assert_eq!(extended.notice_on, Some(day(2024, 4, 27)));
}

#[test]
fn a_block_or_a_warning_needs_an_overdue_ppk() {
    let w = world();
    let mut case = sanction_recommended(&w);
    let block = Command::BlockPersonnelData {
        reason: "early".into(),
    };
    let err = case
        .apply(block, &ctx(&w, &w.bkn, at(2024, 9, 20)))
        .unwrap_err();
    assert!(matches!(
        err,
        StepError::Precondition {
            reason: Reason::PpkNotOverdue,
            ..
        }
    ));
    let kemendagri = agency(
        "kemendagri",
        None,
        vec![RoleGrant::since(Role::RegionalOversight, day(2018, 1, 1))],
    );
    let warn = || Command::SendWarningLetter {
        letter_number: "T-1".into(),
        letter_date: day(2024, 9, 25),
    };
    let err = case
        .apply(warn(), &ctx(&w, &kemendagri, at(2024, 9, 19)))
        .unwrap_err();
    assert!(matches!(
        err,
        StepError::Precondition {
            reason: Reason::PpkNotOverdue,
            ..
        }
    ));
    let ministry = StepContext {
        ppk_is_regional_head: false,
        ..ctx(&w, &kemendagri, at(2024, 9, 25))
    };
    let err = case.apply(warn(), &ministry).unwrap_err();
    assert!(matches!(
        err,
        StepError::Precondition {
            reason: Reason::PpkNotARegionalHead,
            ..
        }
    ));
    case.apply(warn(), &ctx(&w, &kemendagri, at(2024, 9, 25)))
        .unwrap();
}

#[test]
fn notice_names_round_trip() {
    for notice in Notice::ALL {
        assert_eq!(Notice::parse(notice.as_str()), Some(notice));
    }
    assert_eq!(Notice::parse("reminder"), None);
}

#[test]
fn each_raise_counts_one_escalation_and_its_text() {
    let w = world();
    let mut case = sanction_recommended(&w);
    let i = ppk_index(&case);
    let before = case.size;
    raise_all(&mut case, i, &notice_ctx(2024, 9, 21));
    assert_eq!(case.size.escalations, before.escalations + 3);
    let text: usize = case
        .escalations
        .iter()
        .map(|e| e.reason.len() + e.reference.len())
        .sum();
    assert_eq!(case.size.text_bytes, before.text_bytes + text as u64);
}

#[test]
fn no_reminder_without_a_lead_or_on_the_day_the_deadline_starts() {
    let w = world();
    let recommended_with = |lead: u32| {
        let mut case = registered(&w);
        let mut steps = vec![
            (
                Command::Forward {
                    letter_number: "L-1".into(),
                    examiner: w.bkn.id.clone(),
                },
                &w.bawaslu,
            ),
            (Command::Accept, &w.bkn),
        ];
        steps.push((crate::case::tests::recommend(), &w.bkn));
        for (command, actor) in steps {
            let mut step = ctx(&w, actor, at(2024, 9, 10));
            step.notices.reminder_lead_days = lead;
            case.apply(command, &step).unwrap();
        }
        let i = ppk_index(&case);
        case.deadlines[i].clone()
    };
    // Due 20 Sep: no lead, or a lead reaching back to the first day, means no reminder.
    assert_eq!(recommended_with(0).notice_on, Some(day(2024, 9, 21)));
    assert_eq!(recommended_with(10).notice_on, Some(day(2024, 9, 21)));
    assert_eq!(recommended_with(9).notice_on, Some(day(2024, 9, 11)));
}

#[test]
fn a_notice_is_never_raised_before_its_own_day() {
    let w = world();
    let mut case = sanction_recommended(&w);
    let i = ppk_index(&case);
    // A day stored under a longer lead than today's policy, which sends no reminders.
    case.deadlines[i].notice_on = Some(day(2024, 9, 15));
    let no_lead = NoticeContext {
        policy: NoticePolicy {
            reminder_lead_days: 0,
            escalate_after_days: 0,
        },
        ..notice_ctx(2024, 9, 20)
    };
    assert_eq!(
        raise_all(&mut case, i, &no_lead),
        [],
        "not overdue on its due day"
    );
}

#[test]
fn a_step_on_the_due_day_is_on_time() {
    let w = world();
    let mut case = sanction_recommended(&w);
    let i = ppk_index(&case);
    let decree = Command::RecordSanctionDecree {
        sanctions: vec![ImposedSanction {
            code: "SEVERE_DEMOTION_12M".into(),
            decree_number: "SK-9".into(),
            decree_date: day(2024, 9, 20),
        }],
    };
    case.apply(decree, &ctx(&w, &w.ppk, at(2024, 9, 20)))
        .unwrap();
    assert_eq!(case.deadlines[i].status, DeadlineStatus::Met);
}

#[test]
fn a_closed_deadline_keeps_its_status_when_a_later_step_closes_its_kind() {
    let w = world();
    let mut case = registered(&w);
    case.apply(
        Command::ExtendReview {
            reason: "saksi".into(),
        },
        &ctx(&w, &w.bawaslu, at(2024, 9, 5)),
    )
    .unwrap();
    case.apply(
        Command::Forward {
            letter_number: "L-1".into(),
            examiner: w.bkn.id.clone(),
        },
        &ctx(&w, &w.bawaslu, at(2024, 9, 30)),
    )
    .unwrap();
    assert_eq!(case.deadlines[0].status, DeadlineStatus::Moot, "stays moot");
    assert_eq!(case.deadlines[1].status, DeadlineStatus::Missed);
}

#[test]
fn limits_refuse_growth_only_never_a_step_that_adds_nothing() {
    let w = world();
    let mut case = sanction_recommended(&w);
    for text in ["satu", "dua", "tiga"] {
        case.apply(
            Command::AddNote { text: text.into() },
            &ctx(&w, &w.ppk, at(2024, 9, 11)),
        )
        .unwrap();
    }
    // The limits were lowered below what the case holds: a step adding nothing passes.
    let mut lowered = ctx(&w, &w.ppk, at(2024, 9, 12));
    lowered.limits = crate::case::CaseLimits {
        max_notes: 1,
        max_attachments: 0,
        max_text_bytes: 1,
    };
    case.apply(Command::Acknowledge, &lowered).unwrap();
}
