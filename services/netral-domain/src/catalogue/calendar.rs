//! The Indonesian working-day calendar: weekends, national holidays (voting days included) and
//! collective leave (*cuti bersama*). The government fixes these each year and revises collective
//! leave during the year, so the days are data, overridable at run time, and a date outside the
//! covered years is an error rather than a guess.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::table::DataFile;
use super::{CatalogueError, UnknownKeyword, parse_keyword};

mod overrides;

pub use overrides::CalendarOverride;

/// Why a day is not a working day, besides being a weekend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NonWorkingKind {
    /// A national holiday (*hari libur nasional*), voting days included.
    NationalHoliday,
    /// Collective leave for civil servants (*cuti bersama*), set by the yearly joint decree.
    CollectiveLeave,
}

impl NonWorkingKind {
    /// Both kinds.
    pub const ALL: [Self; 2] = [Self::NationalHoliday, Self::CollectiveLeave];

    /// The keyword used in data files: `national_holiday`, `collective_leave`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NationalHoliday => "national_holiday",
            Self::CollectiveLeave => "collective_leave",
        }
    }
}

impl FromStr for NonWorkingKind {
    type Err = UnknownKeyword;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_keyword("non-working day kind", s, &Self::ALL, Self::as_str)
    }
}

impl fmt::Display for NonWorkingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A listed day off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonWorkingDay {
    /// The day.
    pub date: NaiveDate,
    /// Holiday or collective leave.
    pub kind: NonWorkingKind,
    /// What it is for, e.g. `General Election Day`, to explain a deadline to a person.
    pub name: String,
}

/// Why a working-day computation has no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The date lies in a year the calendar does not list; extend the calendar file.
    #[error("{date} is outside the working-day calendar, which covers {first_year} to {last_year}")]
    YearNotCovered {
        /// The date asked about.
        date: NaiveDate,
        /// The first covered year.
        first_year: i32,
        /// The last covered year.
        last_year: i32,
    },
    /// Adding the days overflows the supported date range.
    #[error("{days} days after {start} is beyond the supported date range")]
    DateOverflow {
        /// The start date.
        start: NaiveDate,
        /// How many days were added.
        days: u32,
    },
    /// An override removes a day that is not listed.
    #[error("{date} is not a listed non-working day, so it cannot be removed")]
    NotListed {
        /// The date of the override.
        date: NaiveDate,
    },
    /// A calendar was built with no year to cover.
    #[error("the calendar covers no year ({first_year} to {last_year})")]
    NoYears {
        /// The first year given.
        first_year: i32,
        /// The last year given, before the first.
        last_year: i32,
    },
}

/// Which days are working days for civil servants, over a contiguous range of years.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    /// Listed non-working days; weekends are implied, not listed.
    days: BTreeMap<NaiveDate, NonWorkingDay>,
    /// The years the list is complete for.
    years: RangeInclusive<i32>,
}

impl WorkingCalendar {
    /// A calendar covering `years` with these listed days off; a later entry for the same date
    /// replaces an earlier one. Fails when `years` is empty or a day lies outside it.
    pub fn new(
        years: RangeInclusive<i32>,
        days: impl IntoIterator<Item = NonWorkingDay>,
    ) -> Result<Self, CalendarError> {
        if years.is_empty() {
            let (first_year, last_year) = years.into_inner();
            return Err(CalendarError::NoYears {
                first_year,
                last_year,
            });
        }
        let mut calendar = Self {
            days: BTreeMap::new(),
            years,
        };
        for day in days {
            calendar.check_covered(day.date)?;
            calendar.days.insert(day.date, day);
        }
        Ok(calendar)
    }

    /// The years this calendar covers.
    pub fn years(&self) -> RangeInclusive<i32> {
        self.years.clone()
    }

    /// The listed day off on `date`, if any (weekends are not listed).
    pub fn non_working(&self, date: NaiveDate) -> Option<&NonWorkingDay> {
        self.days.get(&date)
    }

    /// Every listed day off, in date order.
    pub fn listed_days(&self) -> impl Iterator<Item = &NonWorkingDay> + '_ {
        self.days.values()
    }

    /// Whether civil servants work on `date`: not a Saturday or Sunday, and not listed.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        self.check_covered(date)?;
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        Ok(!weekend && !self.days.contains_key(&date))
    }

    /// The `n`-th working day strictly after `start` (`start` itself when `n` is 0). Every day
    /// examined must lie in a covered year.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let mut date = start;
        let mut remaining = n;
        while remaining > 0 {
            date = date
                .succ_opt()
                .ok_or(CalendarError::DateOverflow { start, days: n })?;
            if self.is_working_day(date)? {
                remaining -= 1;
            }
        }
        Ok(date)
    }

    /// The date `n` calendar days after `start`; holidays play no part.
    pub fn add_days(start: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        start
            .checked_add_days(Days::new(u64::from(n)))
            .ok_or(CalendarError::DateOverflow { start, days: n })
    }

    fn check_covered(&self, date: NaiveDate) -> Result<(), CalendarError> {
        if self.years.contains(&date.year()) {
            Ok(())
        } else {
            Err(CalendarError::YearNotCovered {
                date,
                first_year: *self.years.start(),
                last_year: *self.years.end(),
            })
        }
    }

    /// Parses and validates `calendar/id-non-working-days.csv`: dates unique, and every year
    /// from the first to the last listed has at least one day (no year silently missing).
    pub(crate) fn from_csv(file: &DataFile) -> Result<Self, CatalogueError> {
        let mut days = BTreeMap::new();
        for row in file.rows(&["date", "kind", "name"])? {
            let date = row.date("date")?;
            let day = NonWorkingDay {
                date,
                kind: row.parse("kind", str::parse)?,
                name: row.text("name")?.to_owned(),
            };
            if days.insert(date, day).is_some() {
                return Err(row.error("date", format!("{date} is listed twice")));
            }
        }
        let years: BTreeSet<i32> = days.keys().map(Datelike::year).collect();
        let (Some(&first), Some(&last)) = (years.first(), years.last()) else {
            return Err(CatalogueError::in_file(&file.name, None, "no days listed"));
        };
        if let Some(gap) = (first..=last).find(|y| !years.contains(y)) {
            return Err(CatalogueError::in_file(
                &file.name,
                Some("date"),
                format!("no day listed in {gap}: the calendar must cover contiguous years"),
            ));
        }
        Self::new(first..=last, days.into_values())
            .map_err(|err| CatalogueError::in_file(&file.name, Some("date"), err.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn shipped() -> WorkingCalendar {
        Catalogue::bundled().unwrap().calendar
    }

    #[test]
    fn friday_plus_one_working_day_is_monday() {
        let cal = shipped();
        assert_eq!(
            cal.add_working_days(date("2024-03-01"), 1).unwrap(),
            date("2024-03-04")
        );
        assert!(!cal.is_working_day(date("2024-03-02")).unwrap());
        assert_eq!(
            cal.add_working_days(date("2024-03-02"), 0).unwrap(),
            date("2024-03-02")
        );
    }

    #[test]
    fn idul_fitri_2024_and_its_collective_leave_are_skipped() {
        // Idul Fitri 10-11 Apr 2024; cuti bersama 8, 9, 12 and 15 Apr; weekend 13-14 Apr.
        let cal = shipped();
        for day in ["2024-04-08", "2024-04-09", "2024-04-12", "2024-04-15"] {
            assert_eq!(
                cal.non_working(date(day)).unwrap().kind,
                NonWorkingKind::CollectiveLeave
            );
        }
        assert_eq!(
            cal.non_working(date("2024-04-10")).unwrap().kind,
            NonWorkingKind::NationalHoliday
        );
        // Friday 5 April: the next working day is Tuesday 16 April.
        assert_eq!(
            cal.add_working_days(date("2024-04-05"), 1).unwrap(),
            date("2024-04-16")
        );
        assert_eq!(
            cal.add_working_days(date("2024-04-05"), 3).unwrap(),
            date("2024-04-18")
        );
    }

    #[test]
    fn working_days_cross_the_year_boundary_skipping_new_year() {
        let cal = shipped();
        // Tue 31 Dec 2024; Wed 1 Jan 2025 is New Year's Day.
        assert_eq!(
            cal.add_working_days(date("2024-12-31"), 1).unwrap(),
            date("2025-01-02")
        );
        assert_eq!(
            cal.add_working_days(date("2024-12-31"), 3).unwrap(),
            date("2025-01-06")
        );
        // From Mon 23 Dec 2024: 25 and 26 Dec, the weekend and 1 Jan are skipped.
        assert_eq!(
            cal.add_working_days(date("2024-12-23"), 5).unwrap(),
            date("2025-01-02")
        );
    }

    #[test]
    fn voting_day_2024_02_14_is_not_a_working_day() {
        let cal = shipped();
        assert!(!cal.is_working_day(date("2024-02-14")).unwrap());
        assert!(cal.is_working_day(date("2024-02-13")).unwrap());
        assert_eq!(
            cal.add_working_days(date("2024-02-13"), 1).unwrap(),
            date("2024-02-15")
        );
    }

    #[test]
    fn calendar_days_ignore_holidays() {
        let idul_fitri_eve = date("2024-04-05");
        assert_eq!(
            WorkingCalendar::add_days(idul_fitri_eve, 7).unwrap(),
            date("2024-04-12")
        );
        assert_eq!(
            WorkingCalendar::add_days(date("2030-01-01"), 1).unwrap(),
            date("2030-01-02")
        );
    }

    #[test]
    fn a_year_outside_the_calendar_is_an_error() {
        let cal = shipped();
        let err = cal.is_working_day(date("2017-12-29")).unwrap_err();
        assert_eq!(
            err,
            CalendarError::YearNotCovered {
                date: date("2017-12-29"),
                first_year: 2018,
                last_year: 2027
            }
        );
        let err = cal.add_working_days(date("2027-12-30"), 2).unwrap_err();
        assert!(matches!(err, CalendarError::YearNotCovered { date, .. } if date.year() == 2028));
        assert!(err.to_string().contains("covers 2018 to 2027"), "{err}");
    }

    #[test]
    fn a_synthetic_calendar_checks_its_years() {
        let day = NonWorkingDay {
            date: date("2030-01-01"),
            kind: NonWorkingKind::NationalHoliday,
            name: "New Year's Day".into(),
        };
        let cal = WorkingCalendar::new(2030..=2030, [day.clone()]).unwrap();
        assert_eq!(
            cal.add_working_days(date("2029-12-31"), 1).unwrap(),
            date("2030-01-02")
        );
        assert!(WorkingCalendar::new(2031..=2032, [day]).is_err());
        #[allow(clippy::reversed_empty_ranges)]
        let empty = WorkingCalendar::new(2031..=2030, []);
        assert!(matches!(empty.unwrap_err(), CalendarError::NoYears { .. }));
    }
}
