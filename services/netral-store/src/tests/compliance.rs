//! The compliance figures over 2,000 generated cases with random step days equal the
//! figures computed here independently, from nothing but the raw case events and the
//! PPK's ten calendar days.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, Utc};
use netral_domain::case::{Command, ImposedSanction, Recommendation, SeparationReason};
use netral_domain::catalogue::{SanctionLevel, SanctionTrack};
use netral_domain::policy::{AgencyProfile, Role, RoleGrant};
use netral_domain::state::Action;
use netral_domain::stats::Tally;
use uuid::Uuid;

use super::fixtures::*;
use super::support::databases;
use crate::{CaseQuery, Executed, Store, Visibility};

/// How many cases the scenario generates.
const CASES: u32 = 2_000;

/// How many cases are driven at once (their steps share group commits).
const PARALLEL: usize = 64;

/// A small deterministic generator (xorshift64*), so a failure replays.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % sides
    }
}

/// What happens to one generated case, in days after 2 September 2024.
#[derive(Debug, Clone, Copy)]
struct Plan {
    registered: u64,
    forwarded_after: Option<u64>,
    recommended_after: Option<u64>,
    decreed_after: Option<u64>,
    separated_after: Option<u64>,
}

fn plan(dice: &mut Dice) -> Plan {
    let forwarded_after = (dice.roll(10) < 8).then(|| dice.roll(6));
    let recommended_after =
        forwarded_after.and_then(|_| (dice.roll(10) < 8).then(|| dice.roll(15)));
    let decreed_after = recommended_after.and_then(|_| (dice.roll(10) < 6).then(|| dice.roll(25)));
    let separated_after = match (recommended_after, decreed_after) {
        (Some(_), None) => (dice.roll(10) < 3).then(|| dice.roll(40)),
        _ => None,
    };
    Plan {
        registered: dice.roll(60),
        forwarded_after,
        recommended_after,
        decreed_after,
        separated_after,
    }
}

fn on(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(3, 0, 0).unwrap().and_utc()
}

/// Drives case `n` through its plan; every step at 10:00 WIB of its day.
async fn drive(store: &Store, w: &World, ppk: &AgencyProfile, n: u32, p: Plan) {
    let start = day(2024, 9, 2) + Days::new(p.registered);
    let mut case = applied(
        register(store, w, filing(10_000 + n), Uuid::new_v4(), on(start))
            .await
            .unwrap(),
    )
    .0;
    let mut today = start;
    let mut act = async |actor: &AgencyProfile, command: Command, day: NaiveDate| match step(
        store,
        w,
        actor,
        case.id,
        &case.etag(),
        command,
        Uuid::new_v4(),
        on(day),
    )
    .await
    {
        Ok(Executed::Applied(next, _)) => case = next,
        other => panic!("case {n}: {other:?}"),
    };
    let Some(after) = p.forwarded_after else {
        return;
    };
    today = today + Days::new(after);
    let forward = Command::Forward {
        letter_number: format!("L-{n}"),
        examiner: w.bkn.id.clone(),
    };
    act(&w.bawaslu, forward, today).await;
    act(&w.bkn, Command::Accept, today).await;
    let Some(after) = p.recommended_after else {
        return;
    };
    today = today + Days::new(after);
    let recommendation = Command::RecommendSanction(Recommendation {
        track: SanctionTrack::Level(SanctionLevel::Light),
        moral: None,
        letter_number: format!("R-{n}"),
        rationale: String::new(),
    });
    act(&w.bkn, recommendation, today).await;
    if let Some(after) = p.decreed_after {
        today = today + Days::new(after);
        let decree = Command::RecordSanctionDecree {
            sanctions: vec![ImposedSanction {
                code: "LIGHT_ORAL_REPRIMAND".into(),
                decree_number: format!("SK-{n}"),
                decree_date: today,
            }],
        };
        act(ppk, decree, today).await;
    } else if let Some(after) = p.separated_after {
        today = today + Days::new(after);
        let separation = Command::ReportSubjectSeparated {
            reason: SeparationReason::Retired,
            effective_on: today,
        };
        act(&w.bkn, separation, today).await;
    }
}

/// The figures from the events alone: a recommendation starts ten calendar days; a decree
/// on or before the tenth is on time; no decree and an ended case is "ended"; else overdue
/// or pending by `today`.
async fn from_events(store: &Store, today: NaiveDate) -> (BTreeMap<&'static str, u64>, Vec<u32>) {
    let mut counts = BTreeMap::new();
    let mut days = Vec::new();
    let query = CaseQuery::new(Visibility::Everything, u64::MAX);
    let ids: Vec<_> = store
        .compliance_facts(&query, today)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.case_id)
        .collect();
    assert_eq!(ids.len(), CASES as usize);
    for id in ids {
        let events = store.case_events(id).await.unwrap();
        let wib = |at: DateTime<Utc>| (at + chrono::Duration::hours(7)).date_naive();
        let at_of = |action: Action| {
            events
                .iter()
                .find(|e| e.action == action)
                .map(|e| wib(e.occurred_at))
        };
        let Some(recommended) = at_of(Action::RecommendSanction) else {
            continue;
        };
        let due = recommended + Days::new(10);
        let ended = events.last().is_some_and(|e| e.to_state.is_terminal());
        let kind = match at_of(Action::RecordSanctionDecree) {
            Some(decreed) => {
                days.push((decreed - recommended).num_days() as u32);
                if decreed <= due { "on_time" } else { "late" }
            }
            None if ended => "ended",
            None if today > due => "overdue",
            None => "pending",
        };
        *counts.entry(kind).or_default() += 1;
        *counts.entry("recommendations").or_default() += 1;
    }
    days.sort_unstable();
    (counts, days)
}

#[tokio::test]
async fn compliance_figures_equal_those_computed_from_the_raw_events() {
    let w = Arc::new(world());
    let ppk = Arc::new(AgencyProfile {
        id: agency("pemkab-kotabaru"),
        jurisdiction: Some("63.02".parse().unwrap()),
        grants: vec![RoleGrant::since(Role::Ppk, day(2018, 1, 1))],
    });
    let mut dice = Dice(0x6e65_7472_616c_2024);
    let plans: Vec<Plan> = (0..CASES).map(|_| plan(&mut dice)).collect();
    for db in databases().await {
        for (chunk_index, chunk) in plans.chunks(PARALLEL).enumerate() {
            let drivers = chunk.iter().enumerate().map(|(i, p)| {
                let n = (chunk_index * PARALLEL + i) as u32;
                drive(&db.store, &w, &ppk, n, *p)
            });
            futures::future::join_all(drivers).await;
        }
        let today = day(2024, 11, 15);
        let (expected, mut days) = from_events(&db.store, today).await;
        // "All of them" is a limit too (SQL limits are signed: a u64 past i64 once panicked).
        let due = db.store.due_notices(today, u64::MAX).await.unwrap();
        assert!(!due.is_empty(), "{}", db.label);
        assert!(due.iter().all(|d| d.notice_on <= today), "{}", db.label);
        let everything = CaseQuery::new(Visibility::Everything, u64::MAX);
        assert_eq!(
            db.store.list_cases(&everything).await.unwrap().len(),
            CASES as usize,
            "{}",
            db.label
        );

        let query = CaseQuery::new(Visibility::Everything, u64::MAX);
        let mut tally = Tally::default();
        for case in db.store.compliance_facts(&query, today).await.unwrap() {
            tally.add_case(&case, today, |at| {
                (at + chrono::Duration::hours(7)).date_naive()
            });
        }
        let got: BTreeMap<&'static str, u64> = [
            ("recommendations", tally.recommendations),
            ("on_time", tally.on_time),
            ("late", tally.late),
            ("overdue", tally.overdue),
            ("pending", tally.pending),
            ("ended", tally.ended_without_decree),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
        assert_eq!(got, expected, "{}", db.label);
        assert_eq!(tally.cases, u64::from(CASES), "{}", db.label);
        for kind in ["on_time", "late", "overdue", "ended"] {
            assert!(
                expected.contains_key(kind),
                "{}: the plan never made {kind}",
                db.label
            );
        }

        let figures = tally.figures();
        let followed = expected["on_time"] + expected["late"];
        let rate = followed as f64 / expected["recommendations"] as f64;
        assert!(
            (figures.follow_up_rate - rate).abs() < 1e-12,
            "{}",
            db.label
        );
        days.sort_unstable();
        let n = days.len();
        let median = if n % 2 == 1 {
            f64::from(days[n / 2])
        } else {
            (f64::from(days[n / 2 - 1]) + f64::from(days[n / 2])) / 2.0
        };
        let p90 = f64::from(days[(n * 9).div_ceil(10) - 1]);
        assert_eq!(figures.median_days_to_decree, Some(median), "{}", db.label);
        assert_eq!(figures.p90_days_to_decree, Some(p90), "{}", db.label);
    }
}
