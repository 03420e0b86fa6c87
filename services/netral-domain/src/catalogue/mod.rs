//! Sanction, violation, deadline, region and calendar catalogues loaded from data files.
//!
//! The law behind a neutrality case changes more often than the code: a new joint decree (SKB)
//! re-maps the forms of violation, the government revises collective leave during a year,
//! sources disagree on deadlines. So every such fact is **data**: CSV files shipped in
//! `services/netral-domain/data/` (see its `README.md` for each file's source and licence) and
//! compiled into the binary, which an operator may replace with a directory of their own.
//!
//! Both paths go through the same parser ([`Catalogue::bundled`] and [`Catalogue::load_dir`]),
//! and every row is validated on load: a bad cell is reported as a [`CatalogueError`] naming
//! the file, the line and the field, so a catalogue that loads is complete and consistent.

mod calendar;
mod deadlines;
pub(crate) mod decree_levels;
mod error;
mod loader;
mod regions;
mod sanctions;
pub(crate) mod table;
mod violations;

use std::path::Path;

pub use calendar::{
    CalendarError, CalendarOverride, NonWorkingDay, NonWorkingKind, WorkingCalendar,
};
pub use deadlines::{DayUnit, DeadlineRule, DeadlineRules, DeadlineStep, ElectionKind};
pub use error::{CatalogueError, UnknownKeyword};
pub use regions::RegionCatalogue;
pub use sanctions::{
    DisciplinarySanction, MoralKind, MoralSanction, SanctionCatalogue, SanctionLevel, SanctionTrack,
};
pub use violations::{ViolationCatalogue, ViolationForm};

/// Everything the rules of a case look up rather than hard-code, loaded and validated together
/// so that no part of the service runs with a half-loaded catalogue.
#[derive(Debug, Clone)]
pub struct Catalogue {
    /// The 13 forms of violation of the 2022 joint decree and their default sanction track.
    pub violations: ViolationCatalogue,
    /// The disciplinary (PP 94/2021) and moral (PP 42/2004) sanctions a PPK may impose.
    pub sanctions: SanctionCatalogue,
    /// How long each party has to act, per election kind.
    pub deadlines: DeadlineRules,
    /// Weekends, national holidays and collective leave, for working-day deadlines.
    pub calendar: WorkingCalendar,
    /// The Kemendagri provinces and regencies/cities, to check region codes against real regions.
    pub regions: RegionCatalogue,
}

impl Catalogue {
    /// The catalogue shipped with this build (the files in `services/netral-domain/data/`,
    /// compiled in), parsed by the same code as [`Catalogue::load_dir`].
    ///
    /// An error here means the shipped data is broken; the test suite loads it on every run.
    pub fn bundled() -> Result<Self, CatalogueError> {
        loader::load(&loader::Source::Bundled)
    }

    /// An operator's catalogue: a directory holding the same file names as the shipped `data/`
    /// directory (`violation-forms.csv`, `calendar/id-non-working-days.csv`, ...). Every file
    /// must be present, so a misspelt file name cannot silently fall back to shipped data.
    pub fn load_dir(dir: &Path) -> Result<Self, CatalogueError> {
        loader::load(&loader::Source::Dir(dir))
    }
}

/// Parses `text` as one of `all`, comparing ASCII case-insensitively with each value's keyword.
pub(crate) fn parse_keyword<T: Copy>(
    what: &'static str,
    text: &str,
    all: &[T],
    keyword: fn(T) -> &'static str,
) -> Result<T, UnknownKeyword> {
    let wanted = text.trim();
    all.iter()
        .copied()
        .find(|value| keyword(*value).eq_ignore_ascii_case(wanted))
        .ok_or_else(|| UnknownKeyword::new(what, text, all.iter().map(|v| keyword(*v)).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RegionCode;

    #[test]
    fn the_shipped_catalogue_loads_and_is_complete() {
        let cat = Catalogue::bundled().unwrap();

        assert_eq!(cat.violations.len(), 13);
        let numbers: Vec<u8> = cat.violations.iter().map(|f| f.number).collect();
        assert_eq!(numbers, (1..=13).collect::<Vec<_>>());

        let levels: std::collections::BTreeSet<_> = cat
            .sanctions
            .disciplinary()
            .iter()
            .map(|s| s.track)
            .collect();
        assert_eq!(levels.len(), 4, "three levels and PTDH");
        assert_eq!(cat.sanctions.disciplinary().len(), 10);
        for level in SanctionLevel::ALL {
            assert_eq!(cat.sanctions.disciplinary_at(level).count(), 3, "{level}");
        }
        assert_eq!(cat.sanctions.moral_sanctions().count(), 2);

        assert_eq!(cat.regions.province_count(), 38);
        assert_eq!(cat.regions.regency_count(), 514);
        assert_eq!(cat.regions.len(), 38 + 514);
        let kotabaru: RegionCode = "63.02".parse().unwrap();
        assert_eq!(cat.regions.name(&kotabaru), Some("Kabupaten Kotabaru"));
        assert_eq!(
            cat.regions.name(&"63".parse().unwrap()),
            Some("Kalimantan Selatan")
        );

        for step in DeadlineStep::ALL {
            for election in ElectionKind::ALL {
                let rule = cat.deadlines.rule(step, election);
                assert_eq!(rule.step, step);
                assert!(rule.applies_to(election), "{step} {election}");
            }
        }

        assert_eq!(cat.calendar.years(), 2018..=2027);
    }

    #[test]
    fn the_shipped_forms_follow_the_kompas_mapping() {
        let cat = Catalogue::bundled().unwrap();
        let track = |n: u8| cat.violations.form(n).unwrap().default_track;
        for n in [1, 2, 4, 6, 7, 8] {
            assert_eq!(
                track(n),
                SanctionTrack::Level(SanctionLevel::Severe),
                "form {n}"
            );
        }
        assert_eq!(track(3), SanctionTrack::Level(SanctionLevel::Medium));
        assert_eq!(track(5), SanctionTrack::DishonourableDismissal);
        for n in 9..=13 {
            assert_eq!(track(n), SanctionTrack::CaseByCase, "form {n}");
        }
        assert!(cat.violations.iter().all(ViolationForm::has_ethics_track));
    }

    #[test]
    fn the_shipped_calendar_lists_every_voting_day() {
        let cat = Catalogue::bundled().unwrap();
        for day in [
            "2018-06-27",
            "2019-04-17",
            "2020-12-09",
            "2024-02-14",
            "2024-11-27",
        ] {
            let date = day.parse().unwrap();
            let listed = cat.calendar.non_working(date).unwrap();
            assert_eq!(listed.kind, NonWorkingKind::NationalHoliday, "{day}");
            assert!(listed.name.contains("Election"), "{day}: {}", listed.name);
            assert!(!cat.calendar.is_working_day(date).unwrap(), "{day}");
        }
    }
}
