//! Run-time changes to the shipped calendar: the government adds or cancels collective leave
//! during a year, and an operator must not wait for a release to follow it.

use chrono::NaiveDate;

use super::{CalendarError, NonWorkingDay, NonWorkingKind, WorkingCalendar};

/// A change to the shipped calendar, e.g. from the server's configuration when the government
/// adds or cancels collective leave during a year. Deserializes from TOML such as
/// `{ action = "remove", date = "2024-12-26" }` or
/// `{ action = "add", date = "2025-08-18", kind = "collective_leave", name = "..." }`
/// (dates as strings: the `toml` crate hands a bare TOML date to serde as a map).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum CalendarOverride {
    /// Make a day non-working, or rename/re-kind a listed one.
    Add {
        /// The day.
        date: NaiveDate,
        /// Holiday or collective leave.
        kind: NonWorkingKind,
        /// What it is for.
        name: String,
    },
    /// Make a listed day a working day again (cancelled collective leave).
    Remove {
        /// The day, which must be listed.
        date: NaiveDate,
    },
}

impl WorkingCalendar {
    /// A copy with `overrides` applied in order. The covered years do not change: an override
    /// outside them is an error, as is removing a day that is not listed.
    pub fn with_overrides(
        &self,
        overrides: impl IntoIterator<Item = CalendarOverride>,
    ) -> Result<Self, CalendarError> {
        let mut calendar = self.clone();
        for change in overrides {
            match change {
                CalendarOverride::Add { date, kind, name } => {
                    calendar.check_covered(date)?;
                    calendar
                        .days
                        .insert(date, NonWorkingDay { date, kind, name });
                }
                CalendarOverride::Remove { date } => {
                    calendar.check_covered(date)?;
                    calendar
                        .days
                        .remove(&date)
                        .ok_or(CalendarError::NotListed { date })?;
                }
            }
        }
        Ok(calendar)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::catalogue::Catalogue;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn shipped() -> WorkingCalendar {
        Catalogue::bundled().unwrap().calendar
    }

    #[test]
    fn overrides_add_and_cancel_collective_leave() {
        let overrides: Vec<CalendarOverride> = toml::from_str::<BTreeMap<String, Vec<_>>>(
            r#"calendar = [
                { action = "remove", date = "2024-12-26" },
                { action = "add", date = "2024-12-27", kind = "collective_leave", name = "Extra leave" },
            ]"#,
        )
        .unwrap()
        .remove("calendar")
        .unwrap();
        let cal = shipped().with_overrides(overrides).unwrap();
        assert!(cal.is_working_day(date("2024-12-26")).unwrap());
        assert_eq!(
            cal.non_working(date("2024-12-27")).unwrap().name,
            "Extra leave"
        );
        assert_eq!(
            cal.add_working_days(date("2024-12-24"), 2).unwrap(),
            date("2024-12-30")
        );

        let shipped = shipped();
        let not_listed = shipped.with_overrides([CalendarOverride::Remove {
            date: date("2024-12-27"),
        }]);
        assert_eq!(
            not_listed.unwrap_err(),
            CalendarError::NotListed {
                date: date("2024-12-27")
            }
        );
        let outside = shipped.with_overrides([CalendarOverride::Remove {
            date: date("2031-01-01"),
        }]);
        assert!(matches!(
            outside.unwrap_err(),
            CalendarError::YearNotCovered { .. }
        ));
    }
}
