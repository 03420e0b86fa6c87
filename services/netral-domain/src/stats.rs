//! The compliance picture: how PPKs followed the examiners' recommendations up, the figures
//! the task force publishes ("88.5 % of recommendations followed up"). One case contributes
//! its [`FollowUp`] — decided from its PPK deadline and the day of its decree — to the
//! [`Tally`] of its group. No personal data enters either.

use chrono::{DateTime, NaiveDate, Utc};

use crate::case::DeadlineStatus;
use crate::catalogue::ElectionKind;
use crate::ids::{AgencyId, CaseId, RegionCode};
use crate::state::CaseState;

/// A case's PPK deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PpkDeadline {
    /// Running, met, missed or moot.
    pub status: DeadlineStatus,
    /// The day of the recommendation.
    pub start: NaiveDate,
    /// The last day on time.
    pub due: NaiveDate,
}

/// What the statistics need of one case: its grouping keys and follow-up, no personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    /// The case.
    pub case_id: CaseId,
    /// Its region (a regency or city, or a province).
    pub region: RegionCode,
    /// Its election.
    pub election_kind: ElectionKind,
    /// Its election year.
    pub election_year: i32,
    /// Its PPK.
    pub ppk: AgencyId,
    /// The examiner it was forwarded to, if any.
    pub examiner: Option<AgencyId>,
    /// Its state.
    pub state: CaseState,
    /// Whether any of its deadlines was missed or has passed while open, as of the day the
    /// facts were read for.
    pub missed_a_deadline: bool,
    /// Its PPK deadline, once the examiner has recommended.
    pub ppk_deadline: Option<PpkDeadline>,
    /// When the PPK's decree was recorded, if it was.
    pub decreed_at: Option<DateTime<Utc>>,
}

/// Where one recommendation stands with its PPK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FollowUp {
    /// The PPK decreed a sanction within its deadline.
    OnTime,
    /// The PPK decreed a sanction after its deadline.
    Late,
    /// The deadline passed and the PPK has not decreed; the case is still open.
    Overdue,
    /// The deadline is still running.
    Pending,
    /// The case ended without a decree (the subject left the service, it was cancelled).
    EndedWithoutDecree,
}

impl FollowUp {
    /// The follow-up of a recommendation whose PPK deadline is `status`, due on `due`, and
    /// which was decreed on `decreed_on` (if ever), as of `today`.
    pub fn of(
        status: DeadlineStatus,
        due: NaiveDate,
        decreed_on: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Self {
        match (decreed_on, status) {
            (Some(day), _) if day <= due => Self::OnTime,
            (Some(_), _) => Self::Late,
            (None, DeadlineStatus::Open) if today > due => Self::Overdue,
            (None, DeadlineStatus::Open) => Self::Pending,
            (None, _) => Self::EndedWithoutDecree,
        }
    }
}

/// One group's running counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Cases in the group.
    pub cases: u64,
    /// Of those, still open.
    pub open: u64,
    /// Of those, sanctioned or recorded.
    pub sanctioned: u64,
    /// Of those, with any missed deadline (of any step, passed and still open or closed late).
    pub with_missed_deadline: u64,
    /// Recommendations made to PPKs.
    pub recommendations: u64,
    /// Followed up within the deadline.
    pub on_time: u64,
    /// Followed up after the deadline.
    pub late: u64,
    /// Past the deadline, not followed up, case still open.
    pub overdue: u64,
    /// Deadline still running.
    pub pending: u64,
    /// Ended without a decree.
    pub ended_without_decree: u64,
    /// Days from recommendation to decree, one per followed-up recommendation.
    days_to_decree: Vec<u32>,
}

/// A group's published figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// Followed up (on time or late) per recommendation, 0 to 1; 0 without recommendations.
    pub follow_up_rate: f64,
    /// The median of the days from recommendation to decree; `None` without decrees.
    pub median_days_to_decree: Option<f64>,
    /// The 90th percentile (nearest rank) of the same; `None` without decrees.
    pub p90_days_to_decree: Option<f64>,
}

impl Tally {
    /// Adds one case as of `today`; `date_of` gives the exchange's calendar date of an
    /// instant (the server decides dates in WIB).
    pub fn add_case(
        &mut self,
        case: &CaseFacts,
        today: NaiveDate,
        date_of: impl Fn(DateTime<Utc>) -> NaiveDate,
    ) {
        self.cases += 1;
        self.open += u64::from(!case.state.is_terminal());
        self.sanctioned += u64::from(matches!(
            case.state,
            CaseState::Sanctioned | CaseState::Recorded
        ));
        self.with_missed_deadline += u64::from(case.missed_a_deadline);
        if let Some(deadline) = case.ppk_deadline {
            let decreed_on = case.decreed_at.map(date_of);
            let follow_up = FollowUp::of(deadline.status, deadline.due, decreed_on, today);
            let days = decreed_on
                .map(|day| u32::try_from((day - deadline.start).num_days()).unwrap_or_default());
            self.add_follow_up(follow_up, days);
        }
    }

    /// Adds a recommendation's follow-up; `days_to_decree` when it was decreed.
    pub fn add_follow_up(&mut self, follow_up: FollowUp, days_to_decree: Option<u32>) {
        self.recommendations += 1;
        match follow_up {
            FollowUp::OnTime => self.on_time += 1,
            FollowUp::Late => self.late += 1,
            FollowUp::Overdue => self.overdue += 1,
            FollowUp::Pending => self.pending += 1,
            FollowUp::EndedWithoutDecree => self.ended_without_decree += 1,
        }
        if let Some(days) = days_to_decree {
            self.days_to_decree.push(days);
        }
    }

    /// The figures derived from the counts.
    pub fn figures(&self) -> Figures {
        let followed = self.on_time + self.late;
        let follow_up_rate = if self.recommendations == 0 {
            0.0
        } else {
            followed as f64 / self.recommendations as f64
        };
        let mut days = self.days_to_decree.clone();
        days.sort_unstable();
        Figures {
            follow_up_rate,
            median_days_to_decree: median(&days),
            p90_days_to_decree: nearest_rank(&days, 90),
        }
    }
}

/// The median of sorted `values` (the mean of the two middle ones for an even count).
fn median(sorted: &[u32]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(f64::from(sorted[n / 2])),
        _ => Some((f64::from(sorted[n / 2 - 1]) + f64::from(sorted[n / 2])) / 2.0),
    }
}

/// The `percent`-th percentile of sorted `values` by the nearest-rank method.
fn nearest_rank(sorted: &[u32], percent: usize) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).map(|v| f64::from(*v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 9, d).unwrap()
    }

    #[test]
    fn a_follow_up_is_judged_by_the_decree_day_against_the_due_day() {
        use DeadlineStatus as S;
        let due = day(20);
        assert_eq!(
            FollowUp::of(S::Met, due, Some(day(20)), day(30)),
            FollowUp::OnTime
        );
        assert_eq!(
            FollowUp::of(S::Missed, due, Some(day(21)), day(30)),
            FollowUp::Late
        );
        assert_eq!(FollowUp::of(S::Open, due, None, day(21)), FollowUp::Overdue);
        assert_eq!(FollowUp::of(S::Open, due, None, day(20)), FollowUp::Pending);
        assert_eq!(
            FollowUp::of(S::Missed, due, None, day(30)),
            FollowUp::EndedWithoutDecree
        );
        assert_eq!(
            FollowUp::of(S::Moot, due, None, day(10)),
            FollowUp::EndedWithoutDecree
        );
    }

    #[test]
    fn the_rate_median_and_p90_follow_their_definitions() {
        let mut tally = Tally::default();
        for days in [3, 1, 10, 7] {
            tally.add_follow_up(FollowUp::OnTime, Some(days));
        }
        tally.add_follow_up(FollowUp::Late, Some(30));
        tally.add_follow_up(FollowUp::Overdue, None);
        tally.add_follow_up(FollowUp::Pending, None);
        tally.add_follow_up(FollowUp::EndedWithoutDecree, None);
        let figures = tally.figures();
        assert_eq!(tally.recommendations, 8);
        assert_eq!(figures.follow_up_rate, 5.0 / 8.0);
        // 1 3 7 10 30: median 7; nearest rank of 90 % of 5 is the 5th.
        assert_eq!(figures.median_days_to_decree, Some(7.0));
        assert_eq!(figures.p90_days_to_decree, Some(30.0));
        tally.add_follow_up(FollowUp::OnTime, Some(2));
        // 1 2 3 7 10 30: median (3 + 7) / 2; rank ceil(5.4) = 6.
        assert_eq!(tally.figures().median_days_to_decree, Some(5.0));
        assert_eq!(tally.figures().p90_days_to_decree, Some(30.0));
    }

    fn facts(state: CaseState, missed: bool, ppk: Option<(DeadlineStatus, u32)>) -> CaseFacts {
        CaseFacts {
            case_id: CaseId::new(),
            region: "63.02".parse().unwrap(),
            election_kind: ElectionKind::Pilkada,
            election_year: 2024,
            ppk: "pemkab-kotabaru".parse().unwrap(),
            examiner: Some("bkn".parse().unwrap()),
            state,
            missed_a_deadline: missed,
            ppk_deadline: ppk.map(|(status, _)| PpkDeadline {
                status,
                start: day(10),
                due: day(20),
            }),
            decreed_at: ppk.and_then(|(_, decreed)| {
                (decreed > 0).then(|| day(decreed).and_hms_opt(3, 0, 0).unwrap().and_utc())
            }),
        }
    }

    #[test]
    fn each_case_counts_once_in_every_column_it_belongs_to() {
        let mut tally = Tally::default();
        let today = day(30);
        let date_of = |at: DateTime<Utc>| at.date_naive();
        tally.add_case(&facts(CaseState::Registered, true, None), today, date_of);
        tally.add_case(
            &facts(
                CaseState::Sanctioned,
                false,
                Some((DeadlineStatus::Met, 14)),
            ),
            today,
            date_of,
        );
        tally.add_case(
            &facts(
                CaseState::Recorded,
                true,
                Some((DeadlineStatus::Missed, 25)),
            ),
            today,
            date_of,
        );
        tally.add_case(
            &facts(
                CaseState::SanctionRecommended,
                true,
                Some((DeadlineStatus::Open, 0)),
            ),
            today,
            date_of,
        );
        assert_eq!(
            (
                tally.cases,
                tally.open,
                tally.sanctioned,
                tally.with_missed_deadline
            ),
            (4, 3, 2, 3)
        );
        assert_eq!(
            (
                tally.recommendations,
                tally.on_time,
                tally.late,
                tally.overdue
            ),
            (3, 1, 1, 1)
        );
        let running = facts(
            CaseState::SanctionRecommended,
            false,
            Some((DeadlineStatus::Open, 0)),
        );
        tally.add_case(&running, day(15), date_of);
        let retired = facts(
            CaseState::SubjectSeparated,
            true,
            Some((DeadlineStatus::Missed, 0)),
        );
        tally.add_case(&retired, today, date_of);
        assert_eq!(
            (
                tally.recommendations,
                tally.pending,
                tally.ended_without_decree
            ),
            (5, 1, 1)
        );
        // Four and fifteen days from the recommendation on the 10th.
        assert_eq!(tally.figures().median_days_to_decree, Some(9.5));
    }

    #[test]
    fn an_empty_group_has_a_zero_rate_and_no_durations() {
        let figures = Tally::default().figures();
        assert_eq!(figures.follow_up_rate, 0.0);
        assert_eq!(figures.median_days_to_decree, None);
        assert_eq!(figures.p90_days_to_decree, None);
    }
}
