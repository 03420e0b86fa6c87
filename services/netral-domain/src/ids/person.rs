//! Personal identifiers of the reported civil servant: NIP, NI PPPK, NIK.
//!
//! These are personal data under UU 27/2022: `Display` gives the full digits (storage and the
//! wire need them) but `Debug` is redacted, so an id never reaches a log line by accident. Error
//! reasons name the wrong segment without echoing its digits, for the same reason.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use super::{IdError, RegionCode};

/// What the digits of an identifier may be, as reported in [`IdError::Charset`].
const DIGITS: &str = "ASCII digits 0-9";

/// NIP segments, each with the offset one past its last digit.
const NIP_LAYOUT: [(&str, usize); 4] = [
    ("birth_date", 8),
    ("appointment", 14),
    ("gender", 15),
    ("sequence", 18),
];

/// NI PPPK layout: unverified, so a single opaque segment.
const NI_PPPK_LAYOUT: [(&str, usize); 1] = [("ni_pppk", 18)];

/// NIK segments, each with the offset one past its last digit.
const NIK_LAYOUT: [(&str, usize); 5] = [
    ("province", 2),
    ("regency", 4),
    ("district", 6),
    ("birth_date", 12),
    ("sequence", 16),
];

/// The gender encoded in a NIP (gender digit) or a NIK (women's birth day + 40).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    /// NIP gender digit `1`; NIK birth day 01..31.
    Male,
    /// NIP gender digit `2`; NIK birth day 41..71.
    Female,
}

/// A PNS civil-servant number (NIP), 18 digits: birth date `YYYYMMDD` · CPNS appointment
/// `YYYYMM` · gender `1`/`2` · sequence `NNN`. Every part has been checked.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Nip {
    /// The 18 digits as issued, for storage and the wire.
    digits: String,
    /// Parsed once at the edge, so callers never re-parse the digits.
    birth_date: NaiveDate,
    /// Year and month of the CPNS appointment, at or after the 18th birthday month.
    appointment: (i32, u32),
    /// From the gender digit.
    gender: Gender,
}

impl Nip {
    /// The date of birth.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// The CPNS appointment as `(year, month)`, month in 1..=12.
    pub fn appointment(&self) -> (i32, u32) {
        self.appointment
    }

    /// The gender recorded in the NIP.
    pub fn gender(&self) -> Gender {
        self.gender
    }

    /// The 18 digits.
    pub fn as_str(&self) -> &str {
        &self.digits
    }
}

impl FromStr for Nip {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let d = ascii_digits(s, &NIP_LAYOUT)?;
        let segment = |part, reason: &str| IdError::Segment {
            part,
            reason: reason.into(),
        };
        let (year, month, day) = (number(&d[0..4]), number(&d[4..6]), number(&d[6..8]));
        let birth_date = NaiveDate::from_ymd_opt(year as i32, month, day)
            .filter(|_| year >= 1900)
            .ok_or_else(|| segment("birth_date", "must be a real date YYYYMMDD from 1900 on"))?;
        let appointment = (number(&d[8..12]) as i32, number(&d[12..14]));
        if !(1..=12).contains(&appointment.1) {
            return Err(segment("appointment", "month must be 01..12"));
        }
        let months = |(y, m): (i32, u32)| i64::from(y) * 12 + i64::from(m);
        if months(appointment) < months((year as i32 + 18, month)) {
            return Err(segment(
                "appointment",
                "must not be before the month the person turns 18",
            ));
        }
        let gender = match d[14] {
            b'1' => Gender::Male,
            b'2' => Gender::Female,
            _ => return Err(segment("gender", "must be 1 (male) or 2 (female)")),
        };
        if number(&d[15..18]) == 0 {
            return Err(segment("sequence", "must be 001..999"));
        }
        Ok(Self {
            digits: s.to_owned(),
            birth_date,
            appointment,
            gender,
        })
    }
}

/// A PPPK contract-staff number, 18 digits. Its layout is unverified, so only the length and
/// the digits are checked.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NiPppk {
    /// The 18 digits as issued, for storage and the wire.
    digits: String,
}

impl NiPppk {
    /// The 18 digits.
    pub fn as_str(&self) -> &str {
        &self.digits
    }
}

impl FromStr for NiPppk {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ascii_digits(s, &NI_PPPK_LAYOUT)?;
        Ok(Self {
            digits: s.to_owned(),
        })
    }
}

/// A citizen id (NIK), 16 digits: province `PP` · regency `KK` · district `DD` · birth
/// `DDMMYY` (women's day + 40) · sequence `NNNN`. Every part has been checked.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Nik {
    /// The 16 digits as issued, for storage and the wire.
    digits: String,
    /// The regency of registration (`PP.KK`), which decides the competent regional PPK.
    region: RegionCode,
    /// From the birth day (+40 for women).
    gender: Gender,
}

impl Nik {
    /// The gender recorded in the NIK.
    pub fn gender(&self) -> Gender {
        self.gender
    }

    /// The regency/city where the NIK was issued (`PP.KK`).
    pub fn region(&self) -> RegionCode {
        self.region
    }

    /// The 16 digits.
    pub fn as_str(&self) -> &str {
        &self.digits
    }
}

impl FromStr for Nik {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let d = ascii_digits(s, &NIK_LAYOUT)?;
        let segment = |part, reason: &str| IdError::Segment {
            part,
            reason: reason.into(),
        };
        let (province, regency) = (number(&d[0..2]), number(&d[2..4]));
        if province < 11 {
            return Err(segment("province", "must be 11..99"));
        }
        if regency == 0 {
            return Err(segment("regency", "must be 01..99"));
        }
        if number(&d[4..6]) == 0 {
            return Err(segment("district", "must be 01..99"));
        }
        let (day, gender) = match number(&d[6..8]) {
            day @ 1..=31 => (day, Gender::Male),
            day @ 41..=71 => (day - 40, Gender::Female),
            _ => {
                return Err(segment(
                    "birth_date",
                    "day must be 01..31, or 41..71 for women",
                ));
            }
        };
        let (month, yy) = (number(&d[8..10]), number(&d[10..12]) as i32);
        // DDMMYY does not say the century: accept the date if it exists in either.
        if [1900, 2000]
            .iter()
            .all(|c| NaiveDate::from_ymd_opt(c + yy, month, day).is_none())
        {
            return Err(segment("birth_date", "must be a real date DDMMYY"));
        }
        if number(&d[12..16]) == 0 {
            return Err(segment("sequence", "must be 0001..9999"));
        }
        // Both codes were range-checked above, so this cannot fail.
        let region = RegionCode::regency(province as u8, regency as u8)?;
        Ok(Self {
            digits: s.to_owned(),
            region,
            gender,
        })
    }
}

/// Which kind of identifier names the reported person; it travels beside the digits because
/// a NIP and an NI PPPK are both 18 digits and cannot be told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubjectIdKind {
    /// A PNS civil servant, identified by NIP.
    Nip,
    /// A PPPK contract employee, identified by NI PPPK.
    NiPppk,
    /// A reported person identified by citizen id (NIK), when no NIP or NI PPPK is known.
    Nik,
}

impl SubjectIdKind {
    /// The wire name: `NIP`, `NI_PPPK` or `NIK`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Nip => "NIP",
            Self::NiPppk => "NI_PPPK",
            Self::Nik => "NIK",
        }
    }
}

impl FromStr for SubjectIdKind {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Nip, Self::NiPppk, Self::Nik]
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| IdError::Segment {
                part: "kind",
                reason: "must be NIP, NI_PPPK or NIK".into(),
            })
    }
}

impl fmt::Display for SubjectIdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The identifier of the reported person, of whichever kind they hold.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum SubjectId {
    /// A PNS civil servant.
    Nip(Nip),
    /// A PPPK contract employee.
    NiPppk(NiPppk),
    /// A person identified by citizen id (NIK) only.
    Nik(Nik),
    /// An identifier erased on request (data-protection erasure): only its kind remains.
    /// Never parsed from input; the store reads it from an erased subject's tombstone.
    Erased(SubjectIdKind),
}

impl SubjectId {
    /// Parses `s` as an identifier of the given kind. The kind is needed: the digits alone do
    /// not tell a NIP from an NI PPPK.
    pub fn parse(kind: SubjectIdKind, s: &str) -> Result<Self, IdError> {
        Ok(match kind {
            SubjectIdKind::Nip => Self::Nip(s.parse()?),
            SubjectIdKind::NiPppk => Self::NiPppk(s.parse()?),
            SubjectIdKind::Nik => Self::Nik(s.parse()?),
        })
    }

    /// Which kind of identifier this is.
    pub fn kind(&self) -> SubjectIdKind {
        match self {
            Self::Nip(_) => SubjectIdKind::Nip,
            Self::NiPppk(_) => SubjectIdKind::NiPppk,
            Self::Nik(_) => SubjectIdKind::Nik,
            Self::Erased(kind) => *kind,
        }
    }

    /// Whether the identifier was erased.
    pub fn is_erased(&self) -> bool {
        matches!(self, Self::Erased(_))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Nip(id) => id.as_str(),
            Self::NiPppk(id) => id.as_str(),
            Self::Nik(id) => id.as_str(),
            Self::Erased(_) => "",
        }
    }
}

impl From<Nip> for SubjectId {
    fn from(id: Nip) -> Self {
        Self::Nip(id)
    }
}

impl From<NiPppk> for SubjectId {
    fn from(id: NiPppk) -> Self {
        Self::NiPppk(id)
    }
}

impl From<Nik> for SubjectId {
    fn from(id: Nik) -> Self {
        Self::Nik(id)
    }
}

/// `Display` writes the full digits and `Debug` never does: a `{:?}` in a log line or a
/// derived `Debug` of a containing struct prints `Nip(<redacted>)`.
macro_rules! digits_display_redacted_debug {
    ($($ty:ident => $debug:literal),* $(,)?) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($debug)
            }
        }
    )*};
}

digits_display_redacted_debug!(
    Nip => "Nip(<redacted>)",
    NiPppk => "NiPppk(<redacted>)",
    Nik => "Nik(<redacted>)",
);

impl fmt::Display for SubjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for SubjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Spelled out rather than derived, so a new variant cannot leak through its own Debug.
        write!(f, "SubjectId::{:?}(<redacted>)", self.kind())
    }
}

/// Checks the length (in characters) and that every character is an ASCII digit, naming the
/// segment of the first bad one; returns the bytes, one digit each.
fn ascii_digits<'a>(s: &'a str, layout: &[(&'static str, usize)]) -> Result<&'a [u8], IdError> {
    let expected = layout.last().map_or(0, |&(_, end)| end);
    let actual = s.chars().count();
    if actual != expected {
        return Err(IdError::Length { expected, actual });
    }
    match s.chars().position(|c| !c.is_ascii_digit()) {
        None => Ok(s.as_bytes()),
        Some(at) => {
            let part = layout
                .iter()
                .find(|&&(_, end)| at < end)
                .map_or("", |&(part, _)| part);
            Err(IdError::Charset {
                part,
                allowed: DIGITS,
            })
        }
    }
}

/// The value of a run of ASCII digits already checked by [`ascii_digits`].
fn number(digits: &[u8]) -> u32 {
    digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'))
}

#[cfg(test)]
mod tests {
    use std::ops::Range;

    use proptest::prelude::*;
    use proptest::sample::Index;

    use super::*;

    // The layouts again, written independently of the parser so a wrong offset there fails here.
    const NIP_SEGMENTS: [(&str, Range<usize>); 4] = [
        ("birth_date", 0..8),
        ("appointment", 8..14),
        ("gender", 14..15),
        ("sequence", 15..18),
    ];
    const NIK_SEGMENTS: [(&str, Range<usize>); 5] = [
        ("province", 0..2),
        ("regency", 2..4),
        ("district", 4..6),
        ("birth_date", 6..12),
        ("sequence", 12..16),
    ];

    fn segment_at(layout: &[(&'static str, Range<usize>)], at: usize) -> &'static str {
        layout
            .iter()
            .find(|(_, r)| r.contains(&at))
            .map(|(p, _)| *p)
            .unwrap()
    }

    fn is_leap(y: u32) -> bool {
        y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400))
    }

    fn days_in_month(y: u32, m: u32) -> u32 {
        match m {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if is_leap(y) => 29,
            2 => 28,
            _ => 0,
        }
    }

    /// A NIK's `DDMMYY` is valid if the day exists in 19YY or in 20YY.
    fn nik_days_in_month(yy: u32, m: u32) -> u32 {
        days_in_month(1900 + yy, m).max(days_in_month(2000 + yy, m))
    }

    /// The part an error blames, prefixed by its variant, e.g. `segment:gender`.
    fn blame<T>(parsed: Result<T, IdError>) -> Result<(), String> {
        parsed.map(|_| ()).map_err(|err| match err {
            IdError::Length { expected, actual } => format!("length:{expected}/{actual}"),
            IdError::Charset { part, .. } => format!("charset:{part}"),
            IdError::Segment { part, .. } => format!("segment:{part}"),
        })
    }

    fn segment(part: &str) -> Result<(), String> {
        Err(format!("segment:{part}"))
    }

    fn num(s: &str, r: Range<usize>) -> u32 {
        s[r].parse().unwrap()
    }

    fn splice(s: &str, r: Range<usize>, with: &str) -> String {
        let mut out = s.to_owned();
        out.replace_range(r, with);
        out
    }

    /// One of `bad`, which lists its boundary values first (day 00, day 32, month 13, ...):
    /// those are drawn as often as all the others together, so every run tries them.
    fn pick(bad: &[u32], sel: u8, i: &Index) -> u32 {
        bad.get(usize::from(sel))
            .copied()
            .filter(|_| sel < 2)
            .unwrap_or_else(|| *i.get(bad))
    }

    /// Impossible months: 00 and 13..99.
    fn bad_months() -> Vec<u32> {
        [0].into_iter().chain(13..=99).collect()
    }

    /// Impossible days of the month `y`-`m` (days in month `dim`): 00 and past the end.
    fn bad_days(dim: u32) -> Vec<u32> {
        [0].into_iter().chain(dim + 1..=99).collect()
    }

    #[derive(Debug, Clone)]
    struct NipParts {
        birth: (u32, u32, u32),
        appointment: (u32, u32),
        female: bool,
        sequence: u32,
    }

    impl NipParts {
        fn digits(&self) -> String {
            let ((y, m, d), (ay, am)) = (self.birth, self.appointment);
            let g = if self.female { 2 } else { 1 };
            format!("{y:04}{m:02}{d:02}{ay:04}{am:02}{g}{:03}", self.sequence)
        }
    }

    /// Month number (from year 0) of the 18th birthday; appointments must be at or after it.
    fn month_of_18th(p: &NipParts) -> u32 {
        (p.birth.0 + 18) * 12 + p.birth.1 - 1
    }

    fn nip_parts() -> impl Strategy<Value = NipParts> {
        (
            1900u32..=2010,
            1u32..=12,
            any::<Index>(),
            0u32..=40 * 12,
            any::<bool>(),
            1u32..=999,
        )
            .prop_map(|(y, m, day, later, female, sequence)| {
                let d = day.index(days_in_month(y, m) as usize) as u32 + 1;
                let month = (y + 18) * 12 + m - 1 + later;
                NipParts {
                    birth: (y, m, d),
                    appointment: (month / 12, month % 12 + 1),
                    female,
                    sequence,
                }
            })
    }

    /// What a NIP parse must report, by a straightforward reading of the rules.
    fn nip_model(s: &str) -> Result<(), String> {
        let (y, m, d) = (num(s, 0..4), num(s, 4..6), num(s, 6..8));
        if y < 1900 || d == 0 || d > days_in_month(y, m) {
            return segment("birth_date");
        }
        let (ay, am) = (num(s, 8..12), num(s, 12..14));
        if !(1..=12).contains(&am) || ay * 12 + am < (y + 18) * 12 + m {
            return segment("appointment");
        }
        if !matches!(num(s, 14..15), 1 | 2) {
            return segment("gender");
        }
        if num(s, 15..18) == 0 {
            return segment("sequence");
        }
        Ok(())
    }

    #[derive(Debug, Clone)]
    struct NikParts {
        province: u32,
        regency: u32,
        district: u32,
        birth: (u32, u32, u32),
        female: bool,
        sequence: u32,
    }

    impl NikParts {
        fn digits(&self) -> String {
            let (d, m, yy) = self.birth;
            let dd = if self.female { d + 40 } else { d };
            let (p, k, s) = (self.province, self.regency, self.district);
            format!("{p:02}{k:02}{s:02}{dd:02}{m:02}{yy:02}{:04}", self.sequence)
        }
    }

    fn nik_parts() -> impl Strategy<Value = NikParts> {
        let region = (11u32..=99, 1u32..=99, 1u32..=99);
        let birth = (any::<Index>(), 1u32..=12, 0u32..=99, any::<bool>());
        (region, birth, 1u32..=9999).prop_map(
            |((province, regency, district), (day, m, yy, female), sequence)| {
                let d = day.index(nik_days_in_month(yy, m) as usize) as u32 + 1;
                NikParts {
                    province,
                    regency,
                    district,
                    birth: (d, m, yy),
                    female,
                    sequence,
                }
            },
        )
    }

    fn nik_model(s: &str) -> Result<(), String> {
        if num(s, 0..2) < 11 {
            return segment("province");
        }
        if num(s, 2..4) == 0 {
            return segment("regency");
        }
        if num(s, 4..6) == 0 {
            return segment("district");
        }
        let (dd, m, yy) = (num(s, 6..8), num(s, 8..10), num(s, 10..12));
        let day = if dd > 40 { dd - 40 } else { dd };
        let day_field_ok = (1..=31).contains(&dd) || (41..=71).contains(&dd);
        if !day_field_ok || day > nik_days_in_month(yy, m) {
            return segment("birth_date");
        }
        if num(s, 12..16) == 0 {
            return segment("sequence");
        }
        Ok(())
    }

    fn non_digit() -> impl Strategy<Value = char> {
        any::<char>().prop_filter("not an ASCII digit", |c| !c.is_ascii_digit())
    }

    fn nip(s: &str) -> Nip {
        s.parse().unwrap()
    }

    fn nik(s: &str) -> Nik {
        s.parse().unwrap()
    }

    #[test]
    fn nip_of_a_woman_appointed_at_23_parses() {
        let id = nip("199005142014012001");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1990, 5, 14).unwrap()
        );
        assert_eq!(id.appointment(), (2014, 1));
        assert_eq!(id.gender(), Gender::Female);
        assert_eq!(id.as_str(), "199005142014012001");
        assert_eq!(id.to_string(), "199005142014012001");
    }

    #[test]
    fn nip_appointed_in_the_month_of_the_18th_birthday_parses() {
        let id = nip("200007312018071005");
        assert_eq!((id.appointment(), id.gender()), ((2018, 7), Gender::Male));
    }

    #[test]
    fn nip_appointed_before_age_18_is_rejected() {
        assert_eq!(
            blame("200007312018061005".parse::<Nip>()),
            segment("appointment")
        );
    }

    #[test]
    fn nip_birth_date_must_be_a_real_date_from_1900() {
        assert!(
            "199602292020011001".parse::<Nip>().is_ok(),
            "29 Feb 1996 exists"
        );
        for bad in [
            "190002292020011001",
            "199002302015011001",
            "199013012015011001",
            "199001002015011001",
            "189912312015011001",
            "000001012015011001",
        ] {
            assert_eq!(blame(bad.parse::<Nip>()), segment("birth_date"), "{bad}");
        }
    }

    #[test]
    fn nip_gender_digit_and_sequence_are_checked() {
        assert_eq!(
            blame("199005142014013001".parse::<Nip>()),
            segment("gender")
        );
        assert_eq!(
            blame("199005142014010001".parse::<Nip>()),
            segment("gender")
        );
        assert_eq!(
            blame("199005142014011000".parse::<Nip>()),
            segment("sequence")
        );
        assert_eq!(
            blame("199005142014131001".parse::<Nip>()),
            segment("appointment")
        );
    }

    #[test]
    fn length_is_counted_in_characters_and_checked_first() {
        assert_eq!(blame("1990".parse::<Nip>()), Err("length:18/4".into()));
        assert_eq!(blame("".parse::<Nik>()), Err("length:16/0".into()));
        assert_eq!(
            blame(" 199005142014012001".parse::<Nip>()),
            Err("length:18/19".into())
        );
        // An Arabic-Indic digit is one character but not an ASCII digit.
        assert_eq!(
            blame("1990051420140120\u{0661}1".parse::<Nip>()),
            Err("charset:sequence".into())
        );
    }

    #[test]
    fn nik_of_a_man_carries_his_regency() {
        let id = nik("6306011505900001");
        assert_eq!(id.gender(), Gender::Male);
        assert_eq!(id.region(), "63.06".parse().unwrap());
        assert_eq!(id.to_string(), "6306011505900001");
    }

    #[test]
    fn nik_of_a_woman_has_day_plus_40() {
        let id = nik("6371025505900002");
        assert_eq!(id.gender(), Gender::Female);
        assert_eq!(id.region(), "63.71".parse().unwrap());
        for bad in ["6371023205900002", "6371024005900002", "6371027205900002"] {
            assert_eq!(blame(bad.parse::<Nik>()), segment("birth_date"), "{bad}");
        }
    }

    #[test]
    fn nik_29_february_needs_a_leap_year() {
        // 00 is valid through 2000 (1900 was not leap), 96 through 1996.
        for good in ["6302012902000001", "6302012902960001", "6302016902960001"] {
            assert!(good.parse::<Nik>().is_ok(), "{good}");
        }
        for bad in ["6302012902010001", "6302012902970001", "6302013002000001"] {
            assert_eq!(blame(bad.parse::<Nik>()), segment("birth_date"), "{bad}");
        }
    }

    #[test]
    fn nik_region_codes_are_checked() {
        assert_eq!(
            blame("1004011505900001".parse::<Nik>()),
            segment("province")
        );
        assert_eq!(blame("1500011505900001".parse::<Nik>()), segment("regency"));
        assert_eq!(
            blame("1504001505900001".parse::<Nik>()),
            segment("district")
        );
        assert_eq!(
            blame("1504011505900000".parse::<Nik>()),
            segment("sequence")
        );
    }

    #[test]
    fn ni_pppk_checks_only_length_and_digits() {
        let id: NiPppk = "000000000000000000".parse().unwrap();
        assert_eq!(id.to_string(), "000000000000000000");
        assert_eq!(
            blame("00000000000000000x".parse::<NiPppk>()),
            Err("charset:ni_pppk".into())
        );
        assert_eq!(blame("0".parse::<NiPppk>()), Err("length:18/1".into()));
    }

    #[test]
    fn subject_id_takes_its_kind_from_the_caller() {
        let digits = "199005142014012001";
        let as_nip = SubjectId::parse(SubjectIdKind::Nip, digits).unwrap();
        let as_pppk = SubjectId::parse(SubjectIdKind::NiPppk, digits).unwrap();
        assert_eq!(
            (as_nip.kind(), as_pppk.kind()),
            (SubjectIdKind::Nip, SubjectIdKind::NiPppk)
        );
        assert_ne!(as_nip, as_pppk);
        assert_eq!(
            (as_nip.as_str(), as_nip.to_string()),
            (digits, digits.to_owned())
        );
        assert_eq!(SubjectId::from(nip(digits)), as_nip);
        let as_nik = SubjectId::parse(SubjectIdKind::Nik, "6306011505900001").unwrap();
        assert_eq!(as_nik.kind(), SubjectIdKind::Nik);
        assert!(SubjectId::parse(SubjectIdKind::Nik, digits).is_err());
    }

    #[test]
    fn subject_id_kinds_have_wire_names() {
        for kind in [
            SubjectIdKind::Nip,
            SubjectIdKind::NiPppk,
            SubjectIdKind::Nik,
        ] {
            assert_eq!(kind.as_str().parse::<SubjectIdKind>().unwrap(), kind);
            assert_eq!(kind.to_string(), kind.as_str());
        }
        assert_eq!(SubjectIdKind::NiPppk.as_str(), "NI_PPPK");
        for bad in ["nip", "NIPPPK", "NI PPPK", ""] {
            assert_eq!(
                blame(bad.parse::<SubjectIdKind>()),
                segment("kind"),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_of_subject_id_is_redacted() {
        let ids = [
            SubjectId::parse(SubjectIdKind::Nip, "199005142014012001").unwrap(),
            SubjectId::parse(SubjectIdKind::NiPppk, "123456789012345678").unwrap(),
            SubjectId::parse(SubjectIdKind::Nik, "6306011505900001").unwrap(),
        ];
        assert_eq!(format!("{:?}", ids[0]), "SubjectId::Nip(<redacted>)");
        assert_eq!(format!("{:?}", ids[1]), "SubjectId::NiPppk(<redacted>)");
        assert_eq!(format!("{:?}", ids[2]), "SubjectId::Nik(<redacted>)");
        let logged = format!("{ids:?} {ids:#?} {:?}", Some(&ids[0]));
        assert!(!logged.contains(|c: char| c.is_ascii_digit()), "{logged}");
    }

    /// Anything that may be logged: plain, pretty and nested inside a derived `Debug`.
    fn assert_redacted(id: &dyn fmt::Debug) {
        let logged = format!("{id:?} {id:#?} {:?}", (Some(id), [id]));
        assert!(!logged.contains(|c: char| c.is_ascii_digit()), "{logged}");
        assert!(logged.contains("<redacted>"), "{logged}");
    }

    proptest! {
        #[test]
        fn valid_nips_round_trip_with_their_parts(p in nip_parts()) {
            let id = nip(&p.digits());
            prop_assert_eq!(&nip(&id.to_string()), &id);
            let (y, m, d) = p.birth;
            prop_assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(y as i32, m, d).unwrap());
            prop_assert_eq!(id.appointment(), (p.appointment.0 as i32, p.appointment.1));
            let gender = if p.female { Gender::Female } else { Gender::Male };
            prop_assert_eq!(id.gender(), gender);
            prop_assert_eq!(id.as_str(), p.digits());
        }

        #[test]
        fn valid_niks_round_trip_with_their_parts(p in nik_parts()) {
            let id = nik(&p.digits());
            prop_assert_eq!(&nik(&id.to_string()), &id);
            let gender = if p.female { Gender::Female } else { Gender::Male };
            prop_assert_eq!(id.gender(), gender);
            let region = RegionCode::regency(p.province as u8, p.regency as u8).unwrap();
            prop_assert_eq!(id.region(), region);
            prop_assert_eq!(id.as_str(), p.digits());
        }

        #[test]
        fn a_non_digit_anywhere_is_blamed_on_its_segment(
            n in nip_parts(), k in nik_parts(), c in non_digit(),
        ) {
            let c = c.to_string();
            for (at, _) in n.digits().char_indices() {
                let bad = splice(&n.digits(), at..at + 1, &c);
                let want = format!("charset:{}", segment_at(&NIP_SEGMENTS, at));
                prop_assert_eq!(blame(bad.parse::<Nip>()), Err(want));
                prop_assert_eq!(blame(bad.parse::<NiPppk>()), Err("charset:ni_pppk".into()));
            }
            for (at, _) in k.digits().char_indices() {
                let bad = splice(&k.digits(), at..at + 1, &c);
                let want = format!("charset:{}", segment_at(&NIK_SEGMENTS, at));
                prop_assert_eq!(blame(bad.parse::<Nik>()), Err(want));
            }
        }

        /// Every digit at every position: the parser agrees with the model, and blames only the
        /// segment it changed (or the appointment, when a new birth date moves the 18th birthday).
        #[test]
        fn every_single_digit_change_is_accepted_or_blamed_on_its_segment(
            n in nip_parts(), k in nik_parts(),
        ) {
            for (base, is_nip) in [(n.digits(), true), (k.digits(), false)] {
                for at in 0..base.len() {
                    for digit in '0'..='9' {
                        let changed = splice(&base, at..at + 1, &digit.to_string());
                        let (got, want, own) = if is_nip {
                            let own = segment_at(&NIP_SEGMENTS, at);
                            (blame(changed.parse::<Nip>()), nip_model(&changed), own)
                        } else {
                            let own = segment_at(&NIK_SEGMENTS, at);
                            (blame(changed.parse::<Nik>()), nik_model(&changed), own)
                        };
                        prop_assert_eq!(&got, &want, "{}", changed);
                        if let Err(blamed) = got {
                            let appointment = is_nip && own == "birth_date"
                                && blamed == "segment:appointment";
                            prop_assert!(blamed == format!("segment:{}", own) || appointment, "{}", changed);
                        }
                    }
                }
            }
        }

        #[test]
        fn impossible_nip_birth_dates_are_blamed_on_birth_date(
            p in nip_parts(), what in 0u8..3, feb in any::<bool>(), y in 0u32..=1899,
            sel in 0u8..4, i in any::<Index>(),
        ) {
            let (by, bm, bd) = p.birth;
            let date = match what {
                0 => format!("{by:04}{:02}{bd:02}", pick(&bad_months(), sel, &i)),
                // Day 00 or past the month's end: 32 Jan, 31 Apr, 30 Feb, 29 Feb 1900, ...
                1 => {
                    let m = if feb { 2 } else { bm };
                    format!("{by:04}{m:02}{:02}", pick(&bad_days(days_in_month(by, m)), sel, &i))
                }
                // A real date, but before 1900.
                _ => format!("{y:04}{bm:02}{:02}", bd.min(days_in_month(y, bm))),
            };
            let bad = splice(&p.digits(), 0..8, &date);
            prop_assert_eq!(blame(bad.parse::<Nip>()), segment("birth_date"), "{}", bad);
        }

        #[test]
        fn impossible_nip_appointments_are_blamed_on_appointment(
            p in nip_parts(), y in 0u32..=9999, month_bad in any::<bool>(),
            sel in 0u8..4, i in any::<Index>(),
        ) {
            let appointment = if month_bad {
                format!("{y:04}{:02}", pick(&bad_months(), sel, &i))
            } else {
                // Any month before the 18th birthday's, the month just before it most often.
                let before = match sel {
                    0 | 1 => month_of_18th(&p) - 1,
                    _ => i.index(month_of_18th(&p) as usize) as u32,
                };
                format!("{:04}{:02}", before / 12, before % 12 + 1)
            };
            let bad = splice(&p.digits(), 8..14, &appointment);
            prop_assert_eq!(blame(bad.parse::<Nip>()), segment("appointment"), "{}", bad);
        }

        #[test]
        fn impossible_nip_genders_and_sequences_are_blamed_on_them(p in nip_parts()) {
            for g in (0..=9).filter(|g| *g != 1 && *g != 2) {
                let bad = splice(&p.digits(), 14..15, &g.to_string());
                prop_assert_eq!(blame(bad.parse::<Nip>()), segment("gender"), "{}", bad);
            }
            let bad = splice(&p.digits(), 15..18, "000");
            prop_assert_eq!(blame(bad.parse::<Nip>()), segment("sequence"), "{}", bad);
        }

        #[test]
        fn impossible_nik_segments_are_blamed_on_their_segment(
            k in nik_parts(), what in 0u8..3, feb in any::<bool>(),
            sel in 0u8..4, i in any::<Index>(),
        ) {
            let base = k.digits();
            let provinces: Vec<u32> = [10, 0].into_iter().chain(1..=9).collect();
            let province = format!("{:02}", pick(&provinces, sel, &i));
            prop_assert_eq!(blame(splice(&base, 0..2, &province).parse::<Nik>()), segment("province"));
            prop_assert_eq!(blame(splice(&base, 2..4, "00").parse::<Nik>()), segment("regency"));
            prop_assert_eq!(blame(splice(&base, 4..6, "00").parse::<Nik>()), segment("district"));
            prop_assert_eq!(blame(splice(&base, 12..16, "0000").parse::<Nik>()), segment("sequence"));

            let (d, m, yy) = k.birth;
            let dd = |day: u32| if k.female { day + 40 } else { day };
            let birth = match what {
                // Neither a man's day (01..31) nor a woman's (41..71).
                0 => {
                    let fields: Vec<u32> = [32, 0].into_iter().chain(33..=40).chain(72..=99).collect();
                    format!("{:02}{m:02}{yy:02}", pick(&fields, sel, &i))
                }
                1 => format!("{:02}{:02}{yy:02}", dd(d), pick(&bad_months(), sel, &i)),
                // Past the month's end in both centuries: 31 Apr, 30 Feb, 29 Feb 01, ...
                _ => {
                    let m = if feb { 2 } else { m };
                    let past_end: Vec<u32> = (nik_days_in_month(yy, m) + 1..=31).collect();
                    // A month with 31 days has no day past its end: draw another case
                    // rather than count this one as passed.
                    prop_assume!(!past_end.is_empty());
                    format!("{:02}{m:02}{yy:02}", dd(pick(&past_end, sel, &i)))
                }
            };
            let bad = splice(&base, 6..12, &birth);
            prop_assert_eq!(blame(bad.parse::<Nik>()), segment("birth_date"), "{}", bad);
        }

        #[test]
        fn debug_never_shows_the_digits(
            n in nip_parts(), k in nik_parts(), pppk in "[0-9]{18}",
        ) {
            let (n, k, pppk) = (nip(&n.digits()), nik(&k.digits()), pppk.parse::<NiPppk>().unwrap());
            assert_redacted(&n);
            assert_redacted(&k);
            assert_redacted(&pppk);
            for id in [SubjectId::from(n), SubjectId::from(k), SubjectId::from(pppk)] {
                assert_redacted(&id);
            }
        }
    }
}
