//! Behaviour the mutation check (`cargo mutants -p netral-domain`, docs/TESTING.md) found
//! unpinned: each test here fails for one or more mutants that survived the rest of the
//! suite. Kept apart so that the list in TESTING.md and these tests can be read together.

use chrono::NaiveDate;

use crate::case::tests::{at, ctx, registered, sanction_recommended, world};
use crate::case::{CaseLimits, CaseSize, Command, Escalation, EscalationKind, Note};
use crate::catalogue::table::DataFile;
use crate::catalogue::{
    Catalogue, DayUnit, DeadlineStep, ElectionKind, MoralKind, NonWorkingKind, SanctionLevel,
    SanctionTrack,
};
use crate::ids::{CaseId, RegionCode, SubjectId, SubjectIdKind};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn a_case_may_hold_exactly_as_much_as_its_limits_allow() {
    let w = world();
    let mut case = registered(&w);
    let mut tight = ctx(&w, &w.bawaslu, at(2024, 9, 5));
    tight.limits = CaseLimits {
        max_notes: 2,
        max_attachments: 5,
        max_text_bytes: 8,
    };
    let note = |t: &str| Command::AddNote { text: t.into() };
    // Two notes of four bytes: exactly the most notes and the most text.
    case.apply(note("abcd"), &tight).unwrap();
    case.apply(note("efgh"), &tight).unwrap();
    assert_eq!((case.size.notes, case.size.text_bytes), (2, 8));
    assert!(
        case.apply(note(""), &tight).is_err(),
        "a third note is one too many"
    );
}

#[test]
fn an_escalation_counts_once_with_its_text() {
    let w = world();
    let mut case = sanction_recommended(&w);
    let before = case.size;
    case.apply(
        Command::BlockPersonnelData {
            reason: "tidak ada SK".into(),
        },
        &ctx(&w, &w.bkn, at(2024, 9, 25)),
    )
    .unwrap();
    assert_eq!(case.size.escalations, before.escalations + 1);
    assert_eq!(
        case.size.text_bytes,
        before.text_bytes + "tidak ada SK".len() as u64
    );
}

#[test]
fn a_size_is_counted_from_its_lists_and_adds_up() {
    let agency = "bkn".parse::<crate::AgencyId>().unwrap();
    let notes = [Note {
        text: "abc".into(),
        agency: agency.clone(),
        at: at(2024, 9, 5),
    }];
    let escalations = [Escalation {
        kind: EscalationKind::Reminder,
        agency: None,
        reference: "RF".into(),
        reason: "late".into(),
        at: at(2024, 9, 5),
    }];
    let size = CaseSize::of(&notes, &[], &escalations);
    assert_eq!(
        size,
        CaseSize {
            notes: 1,
            attachments: 0,
            escalations: 1,
            text_bytes: 3 + 2 + 4,
        }
    );
    let other = CaseSize {
        notes: 10,
        attachments: 20,
        escalations: 30,
        text_bytes: 40,
    };
    assert_eq!(
        size + other,
        CaseSize {
            notes: 11,
            attachments: 20,
            escalations: 31,
            text_bytes: 49,
        }
    );
}

#[test]
fn a_subjects_debug_names_the_type_but_not_the_person() {
    let w = world();
    let case = registered(&w);
    let shown = format!("{:?}", case.filing.subject);
    assert!(shown.starts_with("Subject {"), "{shown}");
    assert!(!shown.contains(&case.filing.subject.full_name));
}

#[test]
fn catalogue_words_display_as_their_data_file_keywords() {
    for kind in NonWorkingKind::ALL {
        assert_eq!(kind.to_string(), kind.as_str());
    }
    for unit in DayUnit::ALL {
        assert_eq!(unit.to_string(), unit.as_str());
    }
    for level in SanctionLevel::ALL {
        assert_eq!(level.to_string(), level.as_str());
    }
    for track in SanctionTrack::ALL {
        assert_eq!(track.to_string(), track.as_str());
    }
    for kind in MoralKind::ALL {
        assert_eq!(kind.to_string(), kind.as_str());
    }
}

#[test]
fn the_bundled_calendar_lists_idul_fitri_2024() {
    let catalogue = Catalogue::bundled().unwrap();
    let listed: Vec<_> = catalogue
        .calendar
        .listed_days()
        .filter(|d| d.date >= day(2024, 4, 8) && d.date <= day(2024, 4, 15))
        .map(|d| d.date)
        .collect();
    assert_eq!(
        listed,
        [
            day(2024, 4, 8),
            day(2024, 4, 9),
            day(2024, 4, 10),
            day(2024, 4, 11),
            day(2024, 4, 12),
            day(2024, 4, 15)
        ]
    );
}

#[test]
fn an_election_specific_rule_applies_to_its_election_only() {
    let catalogue = Catalogue::bundled().unwrap();
    let pilkada = catalogue
        .deadlines
        .rule(DeadlineStep::ReportFiling, ElectionKind::Pilkada);
    assert!(pilkada.applies_to(ElectionKind::Pilkada));
    assert!(!pilkada.applies_to(ElectionKind::Pemilu));
}

#[test]
fn the_bundled_catalogues_are_not_empty() {
    let catalogue = Catalogue::bundled().unwrap();
    assert!(!catalogue.regions.is_empty());
    assert!(!catalogue.violations.is_empty());
}

#[test]
fn a_missing_column_is_named_as_missing() {
    let file = DataFile {
        name: "t.csv".into(),
        text: std::borrow::Cow::Borrowed("# a comment first\na\n1\n"),
    };
    let err = file.rows(&["a", "b"]).err().unwrap();
    assert_eq!(err.message(), "missing column");
    // The header is on line 2, after the comment.
    assert!(err.to_string().starts_with("t.csv:2:"), "{err}");
}

#[test]
fn a_code_must_be_upper_case_throughout() {
    let file = DataFile {
        name: "t.csv".into(),
        text: std::borrow::Cow::Borrowed("code\nLower_case\n"),
    };
    let rows = file.rows(&["code"]).unwrap();
    assert!(rows.first().unwrap().code("code").is_err());
}

#[test]
fn a_case_id_round_trips_through_its_uuid_and_text() {
    let id = CaseId::new();
    assert_eq!(CaseId::from_uuid(id.as_uuid()), id);
    assert_eq!(id.to_string(), id.as_uuid().to_string());
    assert_ne!(id.as_uuid(), uuid::Uuid::nil());
}

#[test]
fn only_an_erased_subject_is_erased() {
    let nip = SubjectId::parse(SubjectIdKind::Nip, "198503122010011004").unwrap();
    assert!(!nip.is_erased());
    assert!(SubjectId::Erased(SubjectIdKind::Nip).is_erased());
}

#[test]
fn a_regency_code_is_its_second_part() {
    let kotabaru: RegionCode = "63.02".parse().unwrap();
    assert_eq!(kotabaru.regency_code(), Some(2));
    let banjarmasin: RegionCode = "63.71".parse().unwrap();
    assert_eq!(banjarmasin.regency_code(), Some(71));
    let kalsel: RegionCode = "63".parse().unwrap();
    assert_eq!(kalsel.regency_code(), None);
}

fn data(name: &str, text: &'static str) -> DataFile {
    DataFile {
        name: name.into(),
        text: std::borrow::Cow::Borrowed(text),
    }
}

#[test]
fn a_recommendable_track_without_a_decree_row_is_refused() {
    let missing_medium = data(
        "decree-levels.csv",
        "recommended,decree_may_use\nlight,light\nsevere,severe\ndishonourable_dismissal,dishonourable_dismissal\n",
    );
    let err = crate::catalogue::decree_levels::decree_levels_from_csv(&missing_medium)
        .err()
        .unwrap();
    assert!(err.to_string().contains("no row for medium"), "{err}");
}

#[test]
fn a_sanction_catalogue_without_ptdh_is_refused() {
    let bundled = |name: &str| -> &'static str {
        match name {
            "moral" => include_str!("../data/moral-sanctions.csv"),
            "levels" => include_str!("../data/decree-levels.csv"),
            _ => include_str!("../data/disciplinary-sanctions.csv"),
        }
    };
    let without_ptdh: String = bundled("disciplinary")
        .lines()
        .filter(|line| !line.starts_with("DISHONOURABLE_DISMISSAL"))
        .map(|line| format!("{line}\n"))
        .collect();
    let disciplinary = DataFile {
        name: "disciplinary-sanctions.csv".into(),
        text: std::borrow::Cow::Owned(without_ptdh),
    };
    let err = crate::catalogue::SanctionCatalogue::from_csv(
        &disciplinary,
        &data("moral-sanctions.csv", bundled("moral")),
        &data("decree-levels.csv", bundled("levels")),
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("PTDH must be decreeable"), "{err}");
}
