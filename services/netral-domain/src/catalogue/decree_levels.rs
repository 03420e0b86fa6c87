//! `decree-levels.csv`: which disciplinary tracks a PPK's decree may use for each track the
//! examiner recommended ("within the recommended level"), as data an operator can change.

use std::collections::BTreeSet;

use super::CatalogueError;
use super::sanctions::{SanctionLevel, SanctionTrack};
use super::table::DataFile;

/// The tracks an examiner can recommend: every track but case by case.
pub(crate) const RECOMMENDABLE: [SanctionTrack; 4] = [
    SanctionTrack::Level(SanctionLevel::Light),
    SanctionTrack::Level(SanctionLevel::Medium),
    SanctionTrack::Level(SanctionLevel::Severe),
    SanctionTrack::DishonourableDismissal,
];

/// Parses `decree-levels.csv`: `(recommended, decree_may_use)` pairs, no duplicates, no
/// `case_by_case`, and at least one row for every recommendable track.
pub(crate) fn decree_levels_from_csv(
    file: &DataFile,
) -> Result<BTreeSet<(SanctionTrack, SanctionTrack)>, CatalogueError> {
    let mut pairs = BTreeSet::new();
    for row in file.rows(&["recommended", "decree_may_use"])? {
        let track = |column: &'static str| -> Result<SanctionTrack, CatalogueError> {
            let track: SanctionTrack = row.parse(column, str::parse)?;
            if RECOMMENDABLE.contains(&track) {
                Ok(track)
            } else {
                Err(row.error(column, format!("{track} is never recommended or decreed")))
            }
        };
        let pair = (track("recommended")?, track("decree_may_use")?);
        if !pairs.insert(pair) {
            return Err(row.error("decree_may_use", "the pair is listed twice".to_owned()));
        }
    }
    for recommended in RECOMMENDABLE {
        if !pairs.iter().any(|(r, _)| *r == recommended) {
            return Err(CatalogueError::in_file(
                &file.name,
                Some("recommended"),
                format!("no row for {recommended}: its decrees could never be recorded"),
            ));
        }
    }
    Ok(pairs)
}
