//! Past cases replayed: every step on its original date by the agency of that date, the
//! deadlines closed as they fell, and the live rules refusing what a live case could not do.

use super::tests::{World, day, filing, kasn, world};
use super::*;
use crate::catalogue::{SanctionLevel, SanctionTrack};
use crate::ids::CaseId;
use crate::policy::AgencyProfile;
use crate::state::{Action, CaseState};

/// A case of `filing()` forwarded on `forwarded`, recommended (medium) on `recommended`,
/// decreed 15 days and recorded 25 days after the recommendation.
fn recorded(forwarded: chrono::NaiveDate, recommended: chrono::NaiveDate) -> PastCase {
    let mut filing = filing();
    filing.occurred_on = forwarded - chrono::TimeDelta::days(9);
    filing.reported_on = forwarded - chrono::TimeDelta::days(8);
    PastCase {
        filing,
        reporting_office: "bawaslu-kotabaru".parse().unwrap(),
        registered_on: forwarded - chrono::TimeDelta::days(7),
        end: PastEnd::Recorded {
            forwarded: PastForwarding {
                on: forwarded,
                letter_number: "045/PP.01.02".into(),
            },
            recommended_on: recommended,
            recommendation: Recommendation {
                track: SanctionTrack::Level(SanctionLevel::Medium),
                moral: None,
                letter_number: "R-1".into(),
                rationale: String::new(),
            },
            sanctions: vec![ImposedSanction {
                code: "MEDIUM_ALLOWANCE_CUT_25_6M".into(),
                decree_number: "800/1".into(),
                decree_date: recommended + chrono::TimeDelta::days(15),
            }],
            recorded_on: recommended + chrono::TimeDelta::days(25),
            registry_reference: "IDIS/1".into(),
        },
    }
}

fn replay(
    w: &World,
    kasn: &AgencyProfile,
    past: PastCase,
) -> Result<(CaseRecord, Vec<PastStep>), Vec<HistoryViolation>> {
    let agencies = [&w.bawaslu, &w.bkn, &w.ppk, kasn];
    let cx = HistoryContext {
        agencies: &agencies,
        catalogue: &w.catalogue,
        limits: CaseLimits::default(),
        notices: NoticePolicy::default(),
        ppk_is_regional_head: true,
        today: day(2025, 6, 2),
    };
    past.replay(CaseId::new(), &cx)
}

/// The fields a refused replay names.
fn refused_fields(
    replayed: Result<(CaseRecord, Vec<PastStep>), Vec<HistoryViolation>>,
) -> Vec<&'static str> {
    replayed.unwrap_err().into_iter().map(|v| v.field).collect()
}

#[test]
fn a_kasn_era_case_is_replayed_by_the_agencies_of_its_dates_with_every_deadline_closed() {
    let (w, kasn) = (world(), kasn());
    let (case, steps) = replay(&w, &kasn, recorded(day(2020, 10, 12), day(2020, 11, 11))).unwrap();
    assert_eq!(case.state, CaseState::Recorded);
    assert_eq!(case.examiner, Some(kasn.id.clone()));
    assert_eq!(case.created_at, past_instant(day(2020, 10, 5)));
    assert_eq!(case.version, 6);
    let taken: Vec<(Action, &str, chrono::NaiveDate)> = steps
        .iter()
        .map(|s| (s.outcome.action, s.actor.as_str(), s.at.date_naive()))
        .collect();
    let expected = [
        (Action::Register, "bawaslu-kotabaru", day(2020, 10, 5)),
        (Action::Forward, "bawaslu-kotabaru", day(2020, 10, 12)),
        (Action::Accept, "kasn", day(2020, 11, 11)),
        (Action::RecommendSanction, "kasn", day(2020, 11, 11)),
        (
            Action::RecordSanctionDecree,
            "pemkab-kotabaru",
            day(2020, 11, 26),
        ),
        (Action::RecordInRegistry, "bkn", day(2020, 12, 6)),
    ];
    assert_eq!(taken, expected);
    assert!(
        steps
            .iter()
            .all(|s| s.at == past_instant(s.at.date_naive()))
    );
    assert_eq!(steps.last().map(|s| s.version), Some(case.version));
    assert!(
        case.deadlines
            .iter()
            .all(|d| d.status != DeadlineStatus::Open && d.notice_on.is_none())
    );
}

#[test]
fn a_case_forwarded_to_kasn_and_recommended_after_the_cut_over_is_taken_over_by_bkn() {
    let (w, kasn) = (world(), kasn());
    let (case, steps) = replay(&w, &kasn, recorded(day(2024, 8, 20), day(2024, 9, 10))).unwrap();
    assert_eq!(case.examiner, Some(w.bkn.id.clone()));
    let accept = steps
        .iter()
        .find(|s| s.outcome.action == Action::Accept)
        .unwrap();
    assert_eq!(accept.actor, w.bkn.id);
    assert_eq!(
        accept.outcome.examiner_handed_over_from,
        Some(kasn.id.clone())
    );
}

#[test]
fn dates_out_of_order_or_a_decree_above_the_recommendation_are_refused_by_field() {
    let (w, kasn) = (world(), kasn());
    let mut early = recorded(day(2020, 10, 12), day(2020, 11, 11));
    early.registered_on = day(2020, 10, 1);
    assert_eq!(
        refused_fields(replay(&w, &kasn, early)),
        ["registered_date"]
    );

    let mut above = recorded(day(2020, 10, 12), day(2020, 11, 11));
    if let PastEnd::Recorded { sanctions, .. } = &mut above.end {
        sanctions[0].code = "SEVERE_DEMOTION_12M".into();
    }
    assert_eq!(refused_fields(replay(&w, &kasn, above)), ["sanctions"]);
}
