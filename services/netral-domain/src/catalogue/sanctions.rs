//! The sanctions a PPK may impose: disciplinary sanctions of PP 94/2021, grouped in three
//! levels, dishonourable dismissal (PTDH, UU 5/2014 art. 87(4)), and the moral sanctions of
//! PP 42/2004. The examiner recommends a **track** (a level or PTDH); the PPK picks the
//! **concrete sanction** within it, so a case stores both. Which tracks a decree may use for
//! each recommended one is data too (`decree-levels.csv`, [`SanctionCatalogue::decree_allows`]).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use super::decree_levels::decree_levels_from_csv;
use super::table::DataFile;
use super::{CatalogueError, UnknownKeyword, parse_keyword};

/// A disciplinary level of PP 94/2021 art. 8(1), ordered from the mildest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SanctionLevel {
    /// *Ringan*: reprimands and a written statement of dissatisfaction.
    Light,
    /// *Sedang*: a 25% cut of the performance allowance for 6, 9 or 12 months.
    Medium,
    /// *Berat*: demotion, release to an executor post, or honourable dismissal.
    Severe,
}

impl SanctionLevel {
    /// Every level, mildest first.
    pub const ALL: [Self; 3] = [Self::Light, Self::Medium, Self::Severe];

    /// The keyword used in data files: `light`, `medium`, `severe`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Light => "light",
            Self::Medium => "medium",
            Self::Severe => "severe",
        }
    }

    /// The Indonesian legal term: `ringan`, `sedang`, `berat`.
    pub fn indonesian(self) -> &'static str {
        match self {
            Self::Light => "ringan",
            Self::Medium => "sedang",
            Self::Severe => "berat",
        }
    }
}

impl FromStr for SanctionLevel {
    type Err = UnknownKeyword;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_keyword("sanction level", s, &Self::ALL, Self::as_str)
    }
}

impl fmt::Display for SanctionLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The discipline track a form of violation leads to by default: a level, dishonourable
/// dismissal, or a decision left to each case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SanctionTrack {
    /// A disciplinary level of PP 94/2021; the PPK picks a sanction of that level.
    Level(SanctionLevel),
    /// Dishonourable dismissal (PTDH), outside the PP 94/2021 levels: party membership, UU 5/2014
    /// art. 87.
    DishonourableDismissal,
    /// No default: the examiner weighs the case.
    CaseByCase,
}

impl SanctionTrack {
    /// Every track, in the order of the data-file keywords.
    pub const ALL: [Self; 5] = [
        Self::Level(SanctionLevel::Light),
        Self::Level(SanctionLevel::Medium),
        Self::Level(SanctionLevel::Severe),
        Self::DishonourableDismissal,
        Self::CaseByCase,
    ];

    /// The keyword used in data files: a level's keyword, `dishonourable_dismissal` or
    /// `case_by_case`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Level(level) => level.as_str(),
            Self::DishonourableDismissal => "dishonourable_dismissal",
            Self::CaseByCase => "case_by_case",
        }
    }

    /// The level, when the track is one.
    pub fn level(self) -> Option<SanctionLevel> {
        match self {
            Self::Level(level) => Some(level),
            Self::DishonourableDismissal | Self::CaseByCase => None,
        }
    }
}

impl FromStr for SanctionTrack {
    type Err = UnknownKeyword;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_keyword("track", s, &Self::ALL, Self::as_str)
    }
}

impl fmt::Display for SanctionTrack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One concrete disciplinary sanction (PP 94/2021, or PTDH), as a PPK imposes it by decree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisciplinarySanction {
    /// Stable code stored in cases and sent on the wire, e.g. `MEDIUM_ALLOWANCE_CUT_25_6M`.
    pub code: String,
    /// The level it belongs to, or dishonourable dismissal (never case by case): what the
    /// examiner's recommendation names.
    pub track: SanctionTrack,
    /// Human title, English with the Indonesian legal wording.
    pub title: String,
    /// Article it rests on, e.g. `PP 94/2021 art. 8(3)(a)`, for the decree and for auditors.
    pub legal_basis: String,
}

/// The two forms of moral sanction of PP 42/2004.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MoralKind {
    /// *Pernyataan secara tertutup*: a statement delivered in a closed meeting.
    Closed,
    /// *Pernyataan secara terbuka*: a statement announced openly.
    Open,
}

impl MoralKind {
    /// Both kinds.
    pub const ALL: [Self; 2] = [Self::Closed, Self::Open];

    /// The keyword used in data files: `closed`, `open`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
        }
    }
}

impl FromStr for MoralKind {
    type Err = UnknownKeyword;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_keyword("moral sanction kind", s, &Self::ALL, Self::as_str)
    }
}

impl fmt::Display for MoralKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A moral sanction (ethics track), a statement by the PPK under PP 42/2004.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoralSanction {
    /// Stable code stored in cases, e.g. `MORAL_OPEN_STATEMENT`.
    pub code: String,
    /// Closed or open statement.
    pub kind: MoralKind,
    /// Human title, English with the Indonesian legal wording.
    pub title: String,
    /// Article it rests on.
    pub legal_basis: String,
}

/// Every sanction a PPK may impose, checked complete on load: three levels of three
/// disciplinary sanctions each, at least one dishonourable dismissal, both moral sanctions,
/// and which tracks a decree may use for each recommended track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SanctionCatalogue {
    /// In file order, which lists each level mildest first.
    disciplinary: Vec<DisciplinarySanction>,
    /// `(recommended, decree may use)` pairs from `decree-levels.csv`.
    decree_levels: BTreeSet<(SanctionTrack, SanctionTrack)>,
    /// The closed-statement moral sanction.
    closed: MoralSanction,
    /// The open-statement moral sanction.
    open: MoralSanction,
}

/// How many disciplinary sanctions PP 94/2021 art. 8 lists per level.
const PER_LEVEL: usize = 3;

impl SanctionCatalogue {
    /// Every disciplinary sanction, in file order.
    pub fn disciplinary(&self) -> &[DisciplinarySanction] {
        &self.disciplinary
    }

    /// The disciplinary sanction with this code.
    pub fn disciplinary_by_code(&self, code: &str) -> Option<&DisciplinarySanction> {
        self.disciplinary.iter().find(|s| s.code == code)
    }

    /// The disciplinary sanctions of one level, which the PPK chooses from.
    pub fn disciplinary_at(
        &self,
        level: SanctionLevel,
    ) -> impl Iterator<Item = &DisciplinarySanction> + '_ {
        self.disciplinary_on(SanctionTrack::Level(level))
    }

    /// The disciplinary sanctions of one track (a level, or dishonourable dismissal).
    pub fn disciplinary_on(
        &self,
        track: SanctionTrack,
    ) -> impl Iterator<Item = &DisciplinarySanction> + '_ {
        self.disciplinary.iter().filter(move |s| s.track == track)
    }

    /// Whether a decree answering a recommendation of `recommended` may impose a disciplinary
    /// sanction of `decreed` (`decree-levels.csv`). Moral sanctions are always allowed
    /// alongside and are not asked about.
    pub fn decree_allows(&self, recommended: SanctionTrack, decreed: SanctionTrack) -> bool {
        self.decree_levels.contains(&(recommended, decreed))
    }

    /// The moral sanction of this kind.
    pub fn moral(&self, kind: MoralKind) -> &MoralSanction {
        match kind {
            MoralKind::Closed => &self.closed,
            MoralKind::Open => &self.open,
        }
    }

    /// Both moral sanctions, closed first.
    pub fn moral_sanctions(&self) -> impl Iterator<Item = &MoralSanction> + '_ {
        [&self.closed, &self.open].into_iter()
    }

    /// The moral sanction with this code.
    pub fn moral_by_code(&self, code: &str) -> Option<&MoralSanction> {
        self.moral_sanctions().find(|s| s.code == code)
    }

    /// Parses and validates `disciplinary-sanctions.csv`, `moral-sanctions.csv` and
    /// `decree-levels.csv`. Codes must be unique across the first two, since a case stores one
    /// of them.
    pub(crate) fn from_csv(
        disciplinary_file: &DataFile,
        moral_file: &DataFile,
        decree_levels_file: &DataFile,
    ) -> Result<Self, CatalogueError> {
        let mut codes = BTreeSet::new();
        let mut disciplinary = Vec::new();
        for row in disciplinary_file.rows(&["code", "level", "title", "legal_basis"])? {
            let code = row.code("code")?;
            if !codes.insert(code.clone()) {
                return Err(row.error("code", format!("{code} is listed twice")));
            }
            let track: SanctionTrack = row.parse("level", str::parse)?;
            if track == SanctionTrack::CaseByCase {
                return Err(row.error("level", "a sanction is never case by case".to_owned()));
            }
            disciplinary.push(DisciplinarySanction {
                code,
                track,
                title: row.text("title")?.to_owned(),
                legal_basis: row.text("legal_basis")?.to_owned(),
            });
        }
        for level in SanctionLevel::ALL {
            let track = SanctionTrack::Level(level);
            let count = disciplinary.iter().filter(|s| s.track == track).count();
            if count != PER_LEVEL {
                return Err(CatalogueError::in_file(
                    &disciplinary_file.name,
                    Some("level"),
                    format!("{count} sanctions at level {level}, expected {PER_LEVEL}"),
                ));
            }
        }
        let ptdh = SanctionTrack::DishonourableDismissal;
        if !disciplinary.iter().any(|s| s.track == ptdh) {
            return Err(CatalogueError::in_file(
                &disciplinary_file.name,
                Some("level"),
                format!("no {ptdh} sanction: a PTDH must be decreeable"),
            ));
        }
        let decree_levels = decree_levels_from_csv(decree_levels_file)?;

        let (mut closed, mut open) = (None, None);
        for row in moral_file.rows(&["code", "kind", "title", "legal_basis"])? {
            let code = row.code("code")?;
            if !codes.insert(code.clone()) {
                return Err(row.error("code", format!("{code} is listed twice")));
            }
            let kind: MoralKind = row.parse("kind", str::parse)?;
            let sanction = MoralSanction {
                code,
                kind,
                title: row.text("title")?.to_owned(),
                legal_basis: row.text("legal_basis")?.to_owned(),
            };
            let slot = match kind {
                MoralKind::Closed => &mut closed,
                MoralKind::Open => &mut open,
            };
            if slot.replace(sanction).is_some() {
                return Err(row.error("kind", format!("a second {kind} moral sanction")));
            }
        }
        let missing = |kind: MoralKind| {
            CatalogueError::in_file(
                &moral_file.name,
                Some("kind"),
                format!("missing the {kind} moral sanction"),
            )
        };
        Ok(Self {
            disciplinary,
            decree_levels,
            closed: closed.ok_or_else(|| missing(MoralKind::Closed))?,
            open: open.ok_or_else(|| missing(MoralKind::Open))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;
    use crate::catalogue::decree_levels::RECOMMENDABLE;

    #[test]
    fn tracks_and_levels_round_trip_through_their_keywords() {
        for track in SanctionTrack::ALL {
            assert_eq!(track.as_str().parse::<SanctionTrack>().unwrap(), track);
        }
        assert_eq!(
            "SEVERE".parse::<SanctionLevel>().unwrap(),
            SanctionLevel::Severe
        );
        assert_eq!(SanctionLevel::Medium.indonesian(), "sedang");
        assert!(SanctionLevel::Light < SanctionLevel::Severe);
        let err = "heavy".parse::<SanctionTrack>().unwrap_err();
        assert_eq!(err.value(), "heavy");
        assert_eq!(err.expected().len(), 5);
    }

    #[test]
    fn the_ppk_chooses_among_the_sanctions_of_the_recommended_level() {
        let cat = Catalogue::bundled().unwrap();
        let medium: Vec<&str> = cat
            .sanctions
            .disciplinary_at(SanctionLevel::Medium)
            .map(|s| s.code.as_str())
            .collect();
        assert_eq!(
            medium,
            [
                "MEDIUM_ALLOWANCE_CUT_25_6M",
                "MEDIUM_ALLOWANCE_CUT_25_9M",
                "MEDIUM_ALLOWANCE_CUT_25_12M"
            ]
        );
        let dismissal = cat
            .sanctions
            .disciplinary_by_code("SEVERE_HONOURABLE_DISMISSAL")
            .unwrap();
        assert_eq!(dismissal.track, SanctionTrack::Level(SanctionLevel::Severe));
        assert_eq!(
            cat.sanctions.moral(MoralKind::Open).code,
            "MORAL_OPEN_STATEMENT"
        );
        assert_eq!(
            cat.sanctions
                .moral_by_code("MORAL_CLOSED_STATEMENT")
                .map(|s| s.kind),
            Some(MoralKind::Closed)
        );
    }

    #[test]
    fn a_ptdh_is_decreeable_and_a_decree_stays_on_the_recommended_track_by_default() {
        let cat = Catalogue::bundled().unwrap();
        let ptdh = SanctionTrack::DishonourableDismissal;
        let codes: Vec<&str> = cat
            .sanctions
            .disciplinary_on(ptdh)
            .map(|s| s.code.as_str())
            .collect();
        assert_eq!(codes, ["DISHONOURABLE_DISMISSAL"]);
        for recommended in RECOMMENDABLE {
            for decreed in RECOMMENDABLE {
                assert_eq!(
                    cat.sanctions.decree_allows(recommended, decreed),
                    recommended == decreed,
                    "{recommended} recommended, {decreed} decreed"
                );
            }
        }
    }
}
