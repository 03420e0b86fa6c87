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
