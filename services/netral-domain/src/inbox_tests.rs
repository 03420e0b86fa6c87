//! The routing table read as scenarios of the Kotabaru case.

use super::*;
use crate::case::tests::{agency, at, ctx, day, registered, sanction_recommended, world};
use crate::case::{CaseRecord, Command};
use crate::policy::{Role, RoleGrant};
use crate::state::Action;

fn kemendagri() -> AgencyProfile {
    agency(
        "kemendagri",
        None,
        vec![RoleGrant::since(Role::RegionalOversight, day(2018, 1, 1))],
    )
}

fn holders(case: &CaseRecord) -> RoleHolders {
    let w = world();
    let oversight = kemendagri();
    RoleHolders::of(
        [&w.bawaslu, &w.bkn, &w.ppk, &oversight],
        &case.filing.region,
        day(2024, 9, 10),
    )
}

fn told(action: Action, case: &CaseRecord, actor: &str) -> Vec<(String, MessageKind)> {
    recipients(action, case, &actor.parse().unwrap(), &holders(case))
        .into_iter()
        .map(|d| (d.agency.to_string(), d.kind))
        .collect()
}

#[test]
fn registration_concerns_nobody_but_bawaslu() {
    let w = world();
    let case = registered(&w);
    assert!(told(Action::Register, &case, "bawaslu-kotabaru").is_empty());
}

#[test]
fn forwarding_reaches_the_examiner_only() {
    let w = world();
    let mut case = registered(&w);
    case.apply(
        Command::Forward {
            letter_number: "L-1".into(),
            examiner: w.bkn.id.clone(),
        },
        &ctx(&w, &w.bawaslu, at(2024, 9, 5)),
    )
    .unwrap();
    assert_eq!(
        told(Action::Forward, &case, "bawaslu-kotabaru"),
        [("bkn".to_owned(), MessageKind::CaseChanged)]
    );
}

#[test]
fn a_recommendation_reaches_the_ppk_and_bawaslu_but_not_the_examiner_who_made_it() {
    let w = world();
    let case = sanction_recommended(&w);
    // BKN is the examiner and the registry: as the actor it is told nothing.
    assert_eq!(
        told(Action::RecommendSanction, &case, "bkn"),
        [
            ("bawaslu-kotabaru".to_owned(), MessageKind::CaseChanged),
            ("pemkab-kotabaru".to_owned(), MessageKind::CaseChanged),
        ]
    );
}

#[test]
fn an_agency_reached_twice_gets_one_message() {
    let w = world();
    let case = sanction_recommended(&w);
    // The decree goes to BKN as the registry and as the examiner: once.
    assert_eq!(
        told(Action::RecordSanctionDecree, &case, "pemkab-kotabaru"),
        [
            ("bawaslu-kotabaru".to_owned(), MessageKind::CaseChanged),
            ("bkn".to_owned(), MessageKind::CaseChanged),
        ]
    );
}

#[test]
fn a_block_is_an_escalation_for_the_ppk_and_kemendagri() {
    let w = world();
    let case = sanction_recommended(&w);
    assert_eq!(
        told(Action::BlockPersonnelData, &case, "bkn"),
        [
            ("kemendagri".to_owned(), MessageKind::Escalation),
            ("pemkab-kotabaru".to_owned(), MessageKind::Escalation),
        ]
    );
}

#[test]
fn a_note_reaches_the_ppk_only_once_a_sanction_is_recommended() {
    let w = world();
    let early = registered(&w);
    assert!(told(Action::AddNote, &early, "bawaslu-kotabaru").is_empty());
    let late = sanction_recommended(&w);
    assert_eq!(
        told(Action::AddNote, &late, "bawaslu-kotabaru"),
        [
            ("bkn".to_owned(), MessageKind::CaseChanged),
            ("pemkab-kotabaru".to_owned(), MessageKind::CaseChanged),
        ]
    );
}

#[test]
fn the_actor_is_never_told_of_its_own_step() {
    let w = world();
    let case = sanction_recommended(&w);
    for action in Action::ALL {
        for actor in ["bawaslu-kotabaru", "bkn", "pemkab-kotabaru", "kemendagri"] {
            assert!(
                told(action, &case, actor).iter().all(|(a, _)| a != actor),
                "{action} by {actor}"
            );
        }
    }
}

#[test]
fn kinds_round_trip_through_their_names() {
    for kind in [
        MessageKind::CaseChanged,
        MessageKind::DeadlineReminder,
        MessageKind::DeadlineMissed,
        MessageKind::Escalation,
    ] {
        assert_eq!(MessageKind::parse(kind.as_str()), Some(kind));
    }
    assert_eq!(MessageKind::parse("case_changed"), None);
}

mod notices {
    use crate::case::tests::{sanction_recommended, world};
    use crate::case::{Notice, NoticeContext, NoticePolicy};
    use crate::catalogue::DeadlineStep;
    use crate::inbox::{MessageKind, RoleHolders, notice_recipients};

    fn holders() -> RoleHolders {
        RoleHolders {
            registry: vec!["bkn".parse().unwrap()],
            oversight: vec!["kemendagri".parse().unwrap()],
        }
    }

    fn told(notice: Notice) -> Vec<(String, MessageKind)> {
        let w = world();
        let case = sanction_recommended(&w);
        let deadline = case
            .deadlines
            .iter()
            .find(|d| d.step == DeadlineStep::PpkAction)
            .unwrap();
        notice_recipients(notice, deadline, &case, &holders())
            .into_iter()
            .map(|d| (d.agency.to_string(), d.kind))
            .collect()
    }

    fn pair(agency: &str, kind: MessageKind) -> (String, MessageKind) {
        (agency.to_owned(), kind)
    }

    #[test]
    fn each_rung_reaches_the_agency_that_must_act_on_it() {
        use MessageKind::*;
        assert_eq!(
            told(Notice::Reminder),
            [pair("pemkab-kotabaru", DeadlineReminder)]
        );
        // The examiner (BKN here) recommended: it hears the PPK is late.
        assert_eq!(
            told(Notice::Overdue),
            [
                pair("bkn", CaseChanged),
                pair("pemkab-kotabaru", DeadlineMissed)
            ]
        );
        assert_eq!(
            told(Notice::BlockProposal),
            [
                pair("bkn", Escalation),
                pair("pemkab-kotabaru", CaseChanged)
            ]
        );
        assert_eq!(
            told(Notice::WarningProposal),
            [
                pair("kemendagri", Escalation),
                pair("pemkab-kotabaru", CaseChanged)
            ]
        );
    }

    #[test]
    fn an_agency_reached_twice_gets_the_more_urgent_message_once() {
        let w = world();
        let mut case = sanction_recommended(&w);
        // BKN is both examiner and registry: one ESCALATION, not a CASE_CHANGED too.
        let ctx = NoticeContext {
            now: crate::case::tests::at(2024, 9, 21),
            today: crate::case::tests::day(2024, 9, 21),
            policy: NoticePolicy::default(),
            ppk_is_regional_head: true,
        };
        let i = case
            .deadlines
            .iter()
            .position(|d| d.step == DeadlineStep::PpkAction)
            .unwrap();
        let overdue = case.raise_notice(i, &ctx).unwrap().unwrap();
        assert_eq!(overdue.notice, Notice::Overdue);
        let block = case.raise_notice(i, &ctx).unwrap().unwrap();
        let registry_too = RoleHolders {
            registry: vec!["bkn".parse().unwrap(), "pemkab-kotabaru".parse().unwrap()],
            oversight: Vec::new(),
        };
        let got = notice_recipients(block.notice, &block.deadline, &case, &registry_too);
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(|d| d.kind == MessageKind::Escalation));
    }
}

#[test]
fn a_separation_the_registry_reports_reaches_the_ppk_whose_duty_it_ends() {
    let w = world();
    let case = sanction_recommended(&w);
    let told = told(Action::ReportSubjectSeparated, &case, "bkn");
    assert!(
        told.contains(&("pemkab-kotabaru".to_owned(), MessageKind::CaseChanged)),
        "{told:?}"
    );
    assert!(
        told.contains(&("bawaslu-kotabaru".to_owned(), MessageKind::CaseChanged)),
        "{told:?}"
    );
    assert!(
        !told.iter().any(|(agency, _)| agency == "bkn"),
        "not itself"
    );
}

#[test]
fn a_cancellation_reaches_whichever_of_bawaslu_and_the_examiner_did_not_cancel() {
    let w = world();
    let case = crate::case::tests::under_examination(&w);
    assert_eq!(
        told(Action::Cancel, &case, "bkn"),
        [("bawaslu-kotabaru".to_owned(), MessageKind::CaseChanged)]
    );
    assert_eq!(
        told(Action::Cancel, &case, "bawaslu-kotabaru"),
        [("bkn".to_owned(), MessageKind::CaseChanged)]
    );
}
