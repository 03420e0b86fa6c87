//! Kemendagri region codes: a province `PP` or a regency/city `PP.KK`.

use std::fmt;
use std::str::FromStr;

use super::IdError;

/// A Kemendagri region code: a province (`63`, Kalimantan Selatan) or a regency/city inside
/// it (`63.02`, Kotabaru). Only the shape is checked here; whether the region exists is a
/// question for the region catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode {
    /// The two-digit province code, 11..=99.
    province: u8,
    /// The two-digit regency/city code inside the province, absent for a province.
    regency: Option<u8>,
}

impl RegionCode {
    /// A province-level code.
    pub fn province(code: u8) -> Result<Self, IdError> {
        check_two_digit("province", code)?;
        Ok(Self {
            province: code,
            regency: None,
        })
    }

    /// A regency/city code inside a province.
    pub fn regency(province: u8, regency: u8) -> Result<Self, IdError> {
        check_two_digit("province", province)?;
        if regency == 0 || regency > 99 {
            return Err(IdError::Segment {
                part: "regency",
                reason: format!("must be 01..99, got {regency:02}"),
            });
        }
        Ok(Self {
            province,
            regency: Some(regency),
        })
    }

    /// The province this code is or lies in.
    pub fn province_code(&self) -> u8 {
        self.province
    }

    /// The regency/city part, if this is not a province.
    pub fn regency_code(&self) -> Option<u8> {
        self.regency
    }

    /// The province containing this region (itself for a province).
    pub fn to_province(&self) -> Self {
        Self {
            province: self.province,
            regency: None,
        }
    }

    /// Whether `self` is a province.
    pub fn is_province(&self) -> bool {
        self.regency.is_none()
    }

    /// Whether this region contains `other` (a province contains itself and its regencies;
    /// a regency contains only itself).
    pub fn covers(&self, other: &RegionCode) -> bool {
        match self.regency {
            None => self.province == other.province,
            Some(_) => self == other,
        }
    }
}

fn check_two_digit(part: &'static str, code: u8) -> Result<(), IdError> {
    if (11..=99).contains(&code) {
        Ok(())
    } else {
        Err(IdError::Segment {
            part,
            reason: format!("must be 11..99, got {code:02}"),
        })
    }
}

fn two_digits(part: &'static str, s: &str) -> Result<u8, IdError> {
    if s.len() != 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IdError::Charset {
            part,
            allowed: "two digits",
        });
    }
    s.parse().map_err(|_| IdError::Charset {
        part,
        allowed: "two digits",
    })
}

impl FromStr for RegionCode {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('.') {
            None => Self::province(two_digits("province", s)?),
            Some((p, r)) => Self::regency(two_digits("province", p)?, two_digits("regency", r)?),
        }
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.regency {
            None => write!(f, "{:02}", self.province),
            Some(r) => write!(f, "{:02}.{:02}", self.province, r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_provinces_and_regencies() {
        let kalsel: RegionCode = "63".parse().unwrap();
        let kotabaru: RegionCode = "63.02".parse().unwrap();
        assert!(kalsel.is_province());
        assert_eq!(kotabaru.to_string(), "63.02");
        assert!(kalsel.covers(&kotabaru));
        assert!(kalsel.covers(&kalsel));
        assert!(!kotabaru.covers(&kalsel));
        assert!(!kotabaru.covers(&"63.06".parse().unwrap()));
        assert!(!kalsel.covers(&"15.04".parse().unwrap()));
    }

    #[test]
    fn rejects_malformed_codes_naming_the_part() {
        for (input, part) in [
            ("6", "province"),
            ("6a", "province"),
            ("63.2", "regency"),
            ("63.00", "regency"),
            ("05", "province"),
            ("63.02.01", "regency"),
            ("", "province"),
        ] {
            let err = input.parse::<RegionCode>().unwrap_err();
            let named = match &err {
                IdError::Charset { part, .. } | IdError::Segment { part, .. } => *part,
                IdError::Length { .. } => "length",
            };
            assert_eq!(named, part, "{input}: {err}");
        }
    }
}
