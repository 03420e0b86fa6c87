//! A PPK's decree against the examiner's recommendation: within the recommended track it is
//! recorded, outside it refused, and a PTDH can be decreed where a PTDH was recommended.

use super::tests::{World, at, ctx, day, sanction_recommended, under_examination, world};
use super::*;
use crate::catalogue::{MoralKind, SanctionTrack};
use crate::reason::Reason;
use crate::state::CaseState;

/// A case whose examiner (BKN) recommended `track`, e.g. PTDH for party membership.
fn recommended(w: &World, track: SanctionTrack) -> CaseRecord {
    let mut case = under_examination(w);
    let recommendation = Recommendation {
        track,
        moral: Some(MoralKind::Open),
        letter_number: "B-77/BKN".into(),
        rationale: "anggota partai politik".into(),
    };
    case.apply(
        Command::RecommendSanction(recommendation),
        &ctx(w, &w.bkn, at(2024, 9, 10)),
    )
    .unwrap();
    case
}

fn decree(codes: &[&str]) -> Command {
    Command::RecordSanctionDecree {
        sanctions: codes
            .iter()
            .map(|code| ImposedSanction {
                code: (*code).into(),
                decree_number: "SK-800/2024".into(),
                decree_date: day(2024, 9, 16),
            })
            .collect(),
    }
}

#[test]
fn a_ptdh_recommended_for_party_membership_is_decreed_as_ptdh() {
    let w = world();
    let mut case = recommended(&w, SanctionTrack::DishonourableDismissal);
    case.apply(
        decree(&["DISHONOURABLE_DISMISSAL", "MORAL_OPEN_STATEMENT"]),
        &ctx(&w, &w.ppk, at(2024, 9, 16)),
    )
    .unwrap();
    assert_eq!(case.state, CaseState::Sanctioned);
    let codes: Vec<_> = case.imposed_sanctions.iter().map(|s| &s.code).collect();
    assert_eq!(codes, ["DISHONOURABLE_DISMISSAL", "MORAL_OPEN_STATEMENT"]);
}

#[test]
fn a_light_decree_for_a_severe_recommendation_is_refused() {
    let w = world();
    let mut case = sanction_recommended(&w); // berat
    let before = case.clone();
    let err = case
        .apply(
            decree(&["LIGHT_WRITTEN_REPRIMAND"]),
            &ctx(&w, &w.ppk, at(2024, 9, 16)),
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            StepError::Precondition {
                reason: Reason::SanctionOutsideRecommendedLevel,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(case, before, "nothing is written");
}

#[test]
fn a_ptdh_is_not_decreed_where_only_a_severe_level_was_recommended() {
    let w = world();
    let mut case = sanction_recommended(&w);
    let err = case
        .apply(
            decree(&["DISHONOURABLE_DISMISSAL"]),
            &ctx(&w, &w.ppk, at(2024, 9, 16)),
        )
        .unwrap_err();
    assert!(matches!(
        err,
        StepError::Precondition {
            reason: Reason::SanctionOutsideRecommendedLevel,
            ..
        }
    ));
}

#[test]
fn a_sanction_of_the_recommended_level_or_a_moral_sanction_alone_is_within() {
    let w = world();
    for codes in [
        &["SEVERE_RELEASE_TO_EXECUTOR_12M", "MORAL_CLOSED_STATEMENT"][..],
        &["MORAL_OPEN_STATEMENT"][..],
    ] {
        let mut case = sanction_recommended(&w);
        case.apply(decree(codes), &ctx(&w, &w.ppk, at(2024, 9, 16)))
            .unwrap();
        assert_eq!(case.state, CaseState::Sanctioned, "{codes:?}");
    }
}
