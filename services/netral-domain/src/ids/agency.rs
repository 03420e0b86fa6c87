//! Agency identifiers: the stable slug naming an agency in the directory and in its
//! client certificate (`netral:agency/<id>`).

use std::fmt;
use std::str::FromStr;

use super::IdError;

/// A directory agency id such as `bawaslu-kotabaru` or `bkn`: 2–63 characters of lowercase
/// ASCII letters, digits and single hyphens, starting with a letter. It appears in resource
/// names (`agencies/bkn`) and in the URI SAN of the agency's certificate.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgencyId(String);

impl AgencyId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AgencyId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if !(2..=63).contains(&s.len()) {
            return Err(IdError::Segment {
                part: "agency_id",
                reason: format!("must be 2 to 63 characters, got {}", s.len()),
            });
        }
        let ok_chars = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let starts_with_letter = s.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
        if !ok_chars || !starts_with_letter || s.ends_with('-') || s.contains("--") {
            return Err(IdError::Charset {
                part: "agency_id",
                allowed: "lowercase letters, digits and single inner hyphens, starting with a letter",
            });
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Display for AgencyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_directory_slugs() {
        for id in ["bkn", "bawaslu-kotabaru", "ppk-kab-63-02", "kasn"] {
            assert_eq!(id.parse::<AgencyId>().unwrap().as_str(), id);
        }
    }

    #[test]
    fn rejects_non_slugs() {
        for id in ["", "b", "BKN", "1bkn", "bkn-", "bk--n", "bkn/x", "bkn kasn"] {
            assert!(id.parse::<AgencyId>().is_err(), "{id}");
        }
    }
}
