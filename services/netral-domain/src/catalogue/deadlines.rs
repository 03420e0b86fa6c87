//! How long each party has to act on a case. Sources disagree (and differ between national and
//! regional elections), so the rules are data: one row per step, either for one election kind or
//! for `any`, with its source quoted so an auditor can see where a deadline came from.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use super::table::DataFile;
use super::{CalendarError, CatalogueError, UnknownKeyword, WorkingCalendar, parse_keyword};

/// The kind of election a case arises in; deadlines and legal bases differ between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ElectionKind {
    /// National elections (*Pemilu*): president, legislatures; UU 7/2017.
    Pemilu,
    /// Regional head elections (*Pilkada*): governor, regent, mayor; UU 1/2015 as amended.
    Pilkada,
}

impl ElectionKind {
    /// Both kinds.
    pub const ALL: [Self; 2] = [Self::Pemilu, Self::Pilkada];

    /// The canonical name: `PEMILU`, `PILKADA` (parsing ignores case, so data files say `pemilu`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pemilu => "PEMILU",
            Self::Pilkada => "PILKADA",
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Pemilu => 0,
            Self::Pilkada => 1,
        }
    }
}

impl FromStr for ElectionKind {
    type Err = UnknownKeyword;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_keyword("election kind", s, &Self::ALL, Self::as_str)
    }
}

impl fmt::Display for ElectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A step of a case that has a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeadlineStep {
    /// A report (*laporan*) is filed after the violation becomes known.
    ReportFiling,
    /// Bawaslu follows a registered report or finding up (*kajian*).
    BawasluReview,
    /// Bawaslu's follow-up when it needs more information.
    BawasluReviewExtended,
    /// The examiner (KASN, then BKN) acts on Bawaslu's recommendation.
    ExaminerAction,
    /// The PPK acts on the examiner's recommendation.
    PpkAction,
    /// A regional head acts after Kemendagri's warning letter (*teguran*).
    RegionalHeadAfterWarning,
}

impl DeadlineStep {
    /// Every step, in the order a case meets them.
    pub const ALL: [Self; 6] = [
        Self::ReportFiling,
        Self::BawasluReview,
        Self::BawasluReviewExtended,
        Self::ExaminerAction,
        Self::PpkAction,
        Self::RegionalHeadAfterWarning,
    ];

    /// The keyword used in data files, e.g. `ppk_action`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReportFiling => "report_filing",
            Self::BawasluReview => "bawaslu_review",
            Self::BawasluReviewExtended => "bawaslu_review_extended",
            Self::ExaminerAction => "examiner_action",
            Self::PpkAction => "ppk_action",
            Self::RegionalHeadAfterWarning => "regional_head_after_warning",
        }
    }

    /// The position in [`DeadlineStep::ALL`].
    fn index(self) -> usize {
        match self {
            Self::ReportFiling => 0,
            Self::BawasluReview => 1,
            Self::BawasluReviewExtended => 2,
            Self::ExaminerAction => 3,
            Self::PpkAction => 4,
            Self::RegionalHeadAfterWarning => 5,
        }
    }
}

impl FromStr for DeadlineStep {
    type Err = UnknownKeyword;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_keyword("deadline step", s, &Self::ALL, Self::as_str)
    }
}

impl fmt::Display for DeadlineStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a deadline's length is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayUnit {
    /// Calendar days: weekends and holidays count.
    Days,
    /// Working days: weekends, national holidays and collective leave do not count.
    WorkingDays,
}

impl DayUnit {
    /// Both units.
    pub const ALL: [Self; 2] = [Self::Days, Self::WorkingDays];

    /// The keyword used in data files: `days`, `working_days`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Days => "days",
            Self::WorkingDays => "working_days",
        }
    }
}

impl FromStr for DayUnit {
    type Err = UnknownKeyword;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_keyword("unit", s, &Self::ALL, Self::as_str)
    }
}

impl fmt::Display for DayUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One deadline: `length` `unit`s after the step starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineRule {
    /// The step it bounds.
    pub step: DeadlineStep,
    /// The election kind it is specific to; `None` for a rule that applies to any.
    pub election: Option<ElectionKind>,
    /// How many days, at least 1.
    pub length: u32,
    /// Calendar or working days.
    pub unit: DayUnit,
    /// Where the rule comes from, quoted to anyone asking why a deadline falls on a date.
    pub source: String,
}

impl DeadlineRule {
    /// The due date for a step that started on `start`: `length` days after it, or the
    /// `length`-th working day after it. Calendar days never consult `calendar`.
    pub fn due(
        &self,
        start: NaiveDate,
        calendar: &WorkingCalendar,
    ) -> Result<NaiveDate, CalendarError> {
        match self.unit {
            DayUnit::Days => WorkingCalendar::add_days(start, self.length),
            DayUnit::WorkingDays => calendar.add_working_days(start, self.length),
        }
    }

    /// Whether this rule applies to cases of `election`.
    pub fn applies_to(&self, election: ElectionKind) -> bool {
        self.election.is_none_or(|kind| kind == election)
    }
}

/// Every deadline rule, checked complete on load: each step resolves for each election kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineRules {
    /// The rows as listed in the file.
    rules: Vec<DeadlineRule>,
    /// For each step (by `DeadlineStep::ALL` order) and election kind, the index in `rules` of
    /// the rule that applies: the election-specific row if there is one, else the `any` row.
    resolved: [[usize; 2]; DeadlineStep::ALL.len()],
}

impl DeadlineRules {
    /// The rule for `step` in a case of `election`: the election-specific row wins over `any`.
    pub fn rule(&self, step: DeadlineStep, election: ElectionKind) -> &DeadlineRule {
        &self.rules[self.resolved[step.index()][election.index()]]
    }

    /// Every rule as listed in the data file.
    pub fn iter(&self) -> impl Iterator<Item = &DeadlineRule> + '_ {
        self.rules.iter()
    }

    /// Parses and validates `deadline-rules.csv`: no two rows for the same step and election
    /// kind (`any` counting as its own kind), and a rule for every step and election kind.
    pub(crate) fn from_csv(file: &DataFile) -> Result<Self, CatalogueError> {
        let mut rules = Vec::new();
        let mut seen = BTreeMap::new();
        for row in file.rows(&["step", "election_kind", "length", "unit", "source"])? {
            let step: DeadlineStep = row.parse("step", str::parse)?;
            let election = row.parse("election_kind", |s| match s.trim() {
                any if any.eq_ignore_ascii_case("any") => Ok(None),
                kind => kind.parse::<ElectionKind>().map(Some),
            })?;
            if let Some(first) = seen.insert((step, election), row.line()) {
                let kind = election.map_or("any", ElectionKind::as_str);
                return Err(row.error(
                    "election_kind",
                    format!("a second rule for {step} / {kind} (first on line {first})"),
                ));
            }
            rules.push(DeadlineRule {
                step,
                election,
                length: row.number("length", 1..=u32::from(u16::MAX))?,
                unit: row.parse("unit", str::parse)?,
                source: row.text("source")?.to_owned(),
            });
        }

        let mut resolved = [[0; 2]; DeadlineStep::ALL.len()];
        for step in DeadlineStep::ALL {
            for election in ElectionKind::ALL {
                let find = |wanted: Option<ElectionKind>| {
                    rules
                        .iter()
                        .position(|r| r.step == step && r.election == wanted)
                };
                let index = find(Some(election)).or_else(|| find(None)).ok_or_else(|| {
                    CatalogueError::in_file(
                        &file.name,
                        Some("step"),
                        format!(
                            "no rule for {step} in a {election} case (add a row for it or for any)"
                        ),
                    )
                })?;
                resolved[step.index()][election.index()] = index;
            }
        }
        Ok(Self { rules, resolved })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn ppk_action_is_due_ten_calendar_days_later() {
        let cat = Catalogue::bundled().unwrap();
        let rule = cat
            .deadlines
            .rule(DeadlineStep::PpkAction, ElectionKind::Pilkada);
        assert_eq!(
            (rule.length, rule.unit, rule.election),
            (10, DayUnit::Days, None)
        );
        assert!(
            rule.source.contains("14-day"),
            "the unverified variant stays visible"
        );
        // Recommendation on Fri 5 Apr 2024: Idul Fitri leave does not stop the clock.
        assert_eq!(
            rule.due(date("2024-04-05"), &cat.calendar).unwrap(),
            date("2024-04-15")
        );
    }

    #[test]
    fn report_filing_differs_between_pemilu_and_pilkada() {
        let cat = Catalogue::bundled().unwrap();
        let pemilu = cat
            .deadlines
            .rule(DeadlineStep::ReportFiling, ElectionKind::Pemilu);
        let pilkada = cat
            .deadlines
            .rule(DeadlineStep::ReportFiling, ElectionKind::Pilkada);
        assert_eq!((pemilu.length, pemilu.unit), (7, DayUnit::WorkingDays));
        assert_eq!((pilkada.length, pilkada.unit), (7, DayUnit::Days));
        // Known on Mon 12 Feb 2024: 7 working days skip the weekend and voting day 14 Feb.
        let known = date("2024-02-12");
        assert_eq!(
            pemilu.due(known, &cat.calendar).unwrap(),
            date("2024-02-22")
        );
        assert_eq!(
            pilkada.due(known, &cat.calendar).unwrap(),
            date("2024-02-19")
        );
    }

    #[test]
    fn election_specific_rows_win_over_any() {
        let cat = Catalogue::bundled().unwrap();
        let review = cat
            .deadlines
            .rule(DeadlineStep::BawasluReview, ElectionKind::Pemilu);
        assert_eq!(review.election, None);
        let filing = cat
            .deadlines
            .rule(DeadlineStep::ReportFiling, ElectionKind::Pilkada);
        assert_eq!(filing.election, Some(ElectionKind::Pilkada));
        let extended = cat
            .deadlines
            .rule(DeadlineStep::BawasluReviewExtended, ElectionKind::Pemilu);
        assert_eq!((extended.length, extended.unit), (14, DayUnit::WorkingDays));
        assert_eq!(cat.deadlines.iter().count(), 7);
    }

    #[test]
    fn election_kinds_have_canonical_names() {
        assert_eq!(ElectionKind::Pemilu.as_str(), "PEMILU");
        assert_eq!(
            "pilkada".parse::<ElectionKind>().unwrap(),
            ElectionKind::Pilkada
        );
        assert_eq!(
            "PILKADA".parse::<ElectionKind>().unwrap().to_string(),
            "PILKADA"
        );
        assert!("pilpres".parse::<ElectionKind>().is_err());
    }
}
