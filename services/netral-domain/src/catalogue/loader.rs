//! Where catalogue files come from: compiled in, or an operator's directory. The only file I/O
//! of this crate; both sources feed the same parsers.

use std::borrow::Cow;
use std::path::Path;

use super::table::DataFile;
use super::{
    Catalogue, CatalogueError, DeadlineRules, RegionCatalogue, SanctionCatalogue,
    ViolationCatalogue, WorkingCalendar,
};

pub(crate) const VIOLATION_FORMS: &str = "violation-forms.csv";
pub(crate) const DISCIPLINARY_SANCTIONS: &str = "disciplinary-sanctions.csv";
pub(crate) const MORAL_SANCTIONS: &str = "moral-sanctions.csv";
pub(crate) const DECREE_LEVELS: &str = "decree-levels.csv";
pub(crate) const DEADLINE_RULES: &str = "deadline-rules.csv";
pub(crate) const NON_WORKING_DAYS: &str = "calendar/id-non-working-days.csv";
pub(crate) const PROVINCES: &str = "regions/id-provinces.csv";
pub(crate) const REGENCIES: &str = "regions/id-regencies.csv";

/// The shipped files, by their path relative to the data directory.
pub(crate) const BUNDLED: [(&str, &str); 8] = [
    (
        VIOLATION_FORMS,
        include_str!("../../data/violation-forms.csv"),
    ),
    (
        DISCIPLINARY_SANCTIONS,
        include_str!("../../data/disciplinary-sanctions.csv"),
    ),
    (
        MORAL_SANCTIONS,
        include_str!("../../data/moral-sanctions.csv"),
    ),
    (DECREE_LEVELS, include_str!("../../data/decree-levels.csv")),
    (
        DEADLINE_RULES,
        include_str!("../../data/deadline-rules.csv"),
    ),
    (
        NON_WORKING_DAYS,
        include_str!("../../data/calendar/id-non-working-days.csv"),
    ),
    (
        PROVINCES,
        include_str!("../../data/regions/id-provinces.csv"),
    ),
    (
        REGENCIES,
        include_str!("../../data/regions/id-regencies.csv"),
    ),
];

/// Where to read the catalogue files from.
pub(crate) enum Source<'a> {
    /// The files compiled into this build.
    Bundled,
    /// An operator's directory with the same relative file names.
    Dir(&'a Path),
}

impl Source<'_> {
    /// Reads one file, named by its path relative to the data directory.
    fn read(&self, relative: &str) -> Result<DataFile, CatalogueError> {
        match self {
            Source::Bundled => {
                let name = format!("data/{relative}");
                BUNDLED
                    .iter()
                    .find(|(path, _)| *path == relative)
                    .map(|(_, text)| DataFile {
                        name: name.clone(),
                        text: Cow::Borrowed(text),
                    })
                    .ok_or_else(|| CatalogueError::in_file(&name, None, "not a shipped file"))
            }
            Source::Dir(dir) => {
                let path = dir.join(relative);
                let name = path.display().to_string();
                std::fs::read_to_string(&path)
                    .map(|text| DataFile {
                        name: name.clone(),
                        text: Cow::Owned(text),
                    })
                    .map_err(|err| {
                        CatalogueError::in_file(&name, None, format!("cannot read: {err}"))
                    })
            }
        }
    }
}

/// Loads and validates every catalogue from `source`.
pub(crate) fn load(source: &Source<'_>) -> Result<Catalogue, CatalogueError> {
    Ok(Catalogue {
        violations: ViolationCatalogue::from_csv(&source.read(VIOLATION_FORMS)?)?,
        sanctions: SanctionCatalogue::from_csv(
            &source.read(DISCIPLINARY_SANCTIONS)?,
            &source.read(MORAL_SANCTIONS)?,
            &source.read(DECREE_LEVELS)?,
        )?,
        deadlines: DeadlineRules::from_csv(&source.read(DEADLINE_RULES)?)?,
        calendar: WorkingCalendar::from_csv(&source.read(NON_WORKING_DAYS)?)?,
        regions: RegionCatalogue::from_csv(&source.read(PROVINCES)?, &source.read(REGENCIES)?)?,
    })
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Writes the shipped files to a fresh temporary directory, `relative` edited by `edit`,
    /// and loads that directory; the directory is removed afterwards.
    fn load_edited(
        relative: &str,
        edit: impl FnOnce(&str) -> String,
    ) -> Result<Catalogue, CatalogueError> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let unique = format!(
            "netral-catalogue-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let dir = std::env::temp_dir().join(unique);
        let mut edit = Some(edit);
        for (path, text) in BUNDLED {
            let target = dir.join(path);
            fs::create_dir_all(target.parent().unwrap()).unwrap();
            let text = match edit.take_if(|_| path == relative) {
                Some(edit) => edit(text),
                None => text.to_owned(),
            };
            fs::write(&target, text).unwrap();
        }
        let loaded = Catalogue::load_dir(&dir);
        fs::remove_dir_all(&dir).unwrap();
        loaded
    }

    /// The 1-based line of `text` that starts with `prefix`.
    fn line_starting(text: &str, prefix: &str) -> u64 {
        let index = text.lines().position(|l| l.starts_with(prefix)).unwrap();
        u64::try_from(index + 1).unwrap()
    }

    fn shipped(relative: &str) -> &'static str {
        BUNDLED.iter().find(|(p, _)| *p == relative).unwrap().1
    }

    fn assert_names(err: &CatalogueError, file: &str, line: Option<u64>, field: &str, says: &str) {
        assert!(err.file().ends_with(file), "{err}");
        assert_eq!(err.line(), line, "{err}");
        assert_eq!(err.field(), Some(field), "{err}");
        assert!(err.message().contains(says), "{err}");
    }

    #[test]
    fn an_unmodified_copy_loads_like_the_bundled_catalogue() {
        let copy = load_edited(VIOLATION_FORMS, str::to_owned).unwrap();
        let bundled = Catalogue::bundled().unwrap();
        assert_eq!(copy.violations, bundled.violations);
        assert_eq!(copy.regions.len(), bundled.regions.len());
    }

    #[test]
    fn an_unknown_track_names_file_line_and_field() {
        let err = load_edited(VIOLATION_FORMS, |t| {
            t.replace("props\",severe", "props\",heavy")
        })
        .unwrap_err();
        let line = line_starting(shipped(VIOLATION_FORMS), "7,");
        assert_names(
            &err,
            VIOLATION_FORMS,
            Some(line),
            "default_track",
            "unknown track \"heavy\"",
        );
        assert!(
            err.to_string().ends_with(&format!(
                "violation-forms.csv:{line}: field `default_track`: unknown track \"heavy\" \
             (expected one of light, medium, severe, dishonourable_dismissal, case_by_case)"
            )),
            "{err}"
        );
    }

    #[test]
    fn a_bad_calendar_date_names_file_line_and_field() {
        let err = load_edited(NON_WORKING_DAYS, |t| {
            t.replace("2024-02-14,", "2024-02-30,")
        })
        .unwrap_err();
        let line = line_starting(shipped(NON_WORKING_DAYS), "2024-02-14,");
        assert_names(
            &err,
            NON_WORKING_DAYS,
            Some(line),
            "date",
            "\"2024-02-30\" is not a date",
        );
    }

    #[test]
    fn a_duplicate_form_number_names_the_second_row() {
        let err = load_edited(VIOLATION_FORMS, |t| t.replace("\n3,", "\n2,")).unwrap_err();
        let line = line_starting(shipped(VIOLATION_FORMS), "3,");
        assert_names(
            &err,
            VIOLATION_FORMS,
            Some(line),
            "number",
            "form 2 is listed twice",
        );
    }

    #[test]
    fn a_missing_form_13_names_the_file_and_field() {
        let err = load_edited(VIOLATION_FORMS, |t| {
            t.lines()
                .filter(|l| !l.starts_with("13,"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_err();
        assert_names(&err, VIOLATION_FORMS, None, "number", "missing form 13");
    }

    #[test]
    fn a_form_number_out_of_range_names_the_row() {
        let err = load_edited(VIOLATION_FORMS, |t| t.replace("\n13,", "\n14,")).unwrap_err();
        let line = line_starting(shipped(VIOLATION_FORMS), "13,");
        assert_names(
            &err,
            VIOLATION_FORMS,
            Some(line),
            "number",
            "\"14\" is not a whole number in 1..=13",
        );
    }

    #[test]
    fn a_regency_outside_its_province_names_file_line_and_field() {
        let err = load_edited(REGENCIES, |t| t.replace("63.02,63,", "64.01,63,")).unwrap_err();
        let line = line_starting(shipped(REGENCIES), "63.02,");
        assert_names(
            &err,
            REGENCIES,
            Some(line),
            "code",
            "64.01 is not in province 63",
        );
    }

    #[test]
    fn a_regency_of_an_unknown_province_names_its_province_code() {
        let err = load_edited(PROVINCES, |t| t.replace("63,Kalimantan Selatan\n", "")).unwrap_err();
        let line = line_starting(shipped(REGENCIES), "63.01,");
        assert_names(
            &err,
            REGENCIES,
            Some(line),
            "province_code",
            "province 63 is not in",
        );
    }

    #[test]
    fn a_missing_deadline_step_is_reported() {
        let err = load_edited(DEADLINE_RULES, |t| {
            t.lines()
                .filter(|l| !l.starts_with("ppk_action,"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_err();
        assert_names(&err, DEADLINE_RULES, None, "step", "no rule for ppk_action");
    }

    #[test]
    fn a_gap_in_calendar_years_is_reported() {
        let err = load_edited(NON_WORKING_DAYS, |t| {
            t.lines()
                .filter(|l| !l.starts_with("2022-"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_err();
        assert_names(
            &err,
            NON_WORKING_DAYS,
            None,
            "date",
            "no day listed in 2022",
        );
    }

    #[test]
    fn header_mistakes_and_short_rows_are_reported() {
        let err = load_edited(MORAL_SANCTIONS, |t| t.replacen("kind", "type", 1)).unwrap_err();
        assert_names(&err, MORAL_SANCTIONS, Some(1), "type", "unknown column");
        let err =
            load_edited(DEADLINE_RULES, |t| t.replace(",any,3,days,", ",any,3,")).unwrap_err();
        assert!(err.message().contains("expected 5 cells, found 4"), "{err}");
        assert_eq!(
            err.line(),
            Some(line_starting(shipped(DEADLINE_RULES), "regional_head"))
        );
    }

    #[test]
    fn comment_lines_do_not_shift_line_numbers() {
        let err = load_edited(MORAL_SANCTIONS, |t| {
            format!(
                "# operator override, 2026\n{}",
                t.replace(",open,", ",public,")
            )
        })
        .unwrap_err();
        assert_names(
            &err,
            MORAL_SANCTIONS,
            Some(4),
            "kind",
            "unknown moral sanction kind \"public\"",
        );
    }

    #[test]
    fn a_missing_file_is_named() {
        let dir =
            std::env::temp_dir().join(format!("netral-catalogue-missing-{}", std::process::id()));
        let err = Catalogue::load_dir(&dir).unwrap_err();
        assert!(err.file().ends_with(VIOLATION_FORMS), "{err}");
        assert!(err.message().starts_with("cannot read"), "{err}");
    }
}
