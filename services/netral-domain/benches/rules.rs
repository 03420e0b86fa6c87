//! Criterion benches of the hot pure rules every request runs through: parsing a NIP and a
//! NIK, the state machine over every (state, action) pair, a policy decision, working-day
//! arithmetic across Lebaran 2024, and a deadline's due date.
//!
//! Run with `cargo bench -p netral-domain` (reports in `target/criterion/`); `cargo bench -p
//! netral-domain -- --quick` gives rougher figures in a few seconds per bench.

// The inputs are literals known to be valid: a failure to parse one is a broken bench, which
// should stop loudly, as a test would.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::str::FromStr;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_main};
use netral_domain::catalogue::{DeadlineStep, ElectionKind};
use netral_domain::policy::{self, AgencyProfile, CaseParties, Role, RoleGrant};
use netral_domain::state::{self, Action, CaseState};
use netral_domain::{AgencyId, Catalogue, Nik, Nip, RegionCode};

/// A fictional teacher's NIP: born 1990-03-25, appointed 2015-03, female, sequence 001.
const NIP: &str = "199003252015032001";

/// A fictional man's NIK, registered in Hulu Sungai Selatan (63.06), born 1990-05-15.
const NIK: &str = "6306011505900001";

/// A date from a literal the bench controls.
fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

fn parse_ids(c: &mut Criterion) {
    c.bench_function("Nip::from_str", |b| {
        b.iter(|| Nip::from_str(black_box(NIP)))
    });
    c.bench_function("Nik::from_str", |b| {
        b.iter(|| Nik::from_str(black_box(NIK)))
    });
}

fn state_machine(c: &mut Criterion) {
    let pairs: Vec<(CaseState, Action)> = CaseState::ALL
        .iter()
        .flat_map(|s| Action::ALL.iter().map(move |a| (*s, *a)))
        .collect();
    c.bench_function("state::next_state (all 170 pairs)", |b| {
        b.iter(|| {
            pairs
                .iter()
                .filter(|(s, a)| state::next_state(black_box(*s), black_box(*a)).is_ok())
                .count()
        })
    });
}

fn policy_decision(c: &mut Criterion) {
    let agency = |id: &str| -> AgencyId { id.parse().expect("a valid agency id") };
    let region: RegionCode = "63.02".parse().expect("a valid region code");
    let bkn = AgencyProfile {
        id: agency("bkn"),
        jurisdiction: None,
        grants: vec![
            RoleGrant::since(Role::Examiner, day(2024, 8, 24)),
            RoleGrant::since(Role::PersonnelRegistry, day(2000, 1, 1)),
        ],
    };
    let bawaslu = AgencyProfile {
        id: agency("bawaslu-kotabaru"),
        jurisdiction: Some(region),
        grants: vec![RoleGrant::since(Role::Bawaslu, day(2018, 1, 1))],
    };
    let case = CaseParties {
        region,
        reporting_office: bawaslu.id.clone(),
        examiner: Some(bkn.id.clone()),
        forwarded_on: Some(day(2024, 9, 2)),
        ppk: agency("pemkab-kotabaru"),
        state: CaseState::UnderExamination,
        recommended: false,
    };
    let today = day(2024, 9, 10);
    c.bench_function("policy::authorize (examiner recommends)", |b| {
        b.iter(|| {
            policy::authorize(
                black_box(&bkn),
                Action::RecommendSanction,
                black_box(&case),
                today,
            )
        })
    });
    c.bench_function("policy::authorize (regional Bawaslu forwards)", |b| {
        b.iter(|| {
            policy::authorize(
                black_box(&bawaslu),
                Action::Forward,
                black_box(&case),
                today,
            )
        })
    });
}

fn calendar(c: &mut Criterion) {
    let catalogue = Catalogue::bundled().expect("the bundled catalogue loads");
    let calendar = &catalogue.calendar;
    // 20 working days from 1 April 2024 cross Lebaran: 8-12 and 15 April are off.
    let start = day(2024, 4, 1);
    c.bench_function(
        "WorkingCalendar::add_working_days (20 across Lebaran 2024)",
        |b| b.iter(|| calendar.add_working_days(black_box(start), black_box(20))),
    );
    let extended = catalogue
        .deadlines
        .rule(DeadlineStep::BawasluReviewExtended, ElectionKind::Pemilu);
    c.bench_function("DeadlineRule::due (14 working days from 2024-04-05)", |b| {
        b.iter(|| extended.due(black_box(day(2024, 4, 5)), calendar))
    });
    let ppk = catalogue
        .deadlines
        .rule(DeadlineStep::PpkAction, ElectionKind::Pemilu);
    c.bench_function("DeadlineRule::due (10 calendar days)", |b| {
        b.iter(|| ppk.due(black_box(day(2024, 4, 5)), calendar))
    });
}

/// The benches, as criterion registers them (a private module: the function the macro
/// generates is not part of any API).
mod group {
    criterion::criterion_group!(
        benches,
        super::parse_ids,
        super::state_machine,
        super::policy_decision,
        super::calendar
    );
}

criterion_main!(group::benches);
