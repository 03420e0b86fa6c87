//! Case identifiers: time-ordered UUIDs assigned by netral at registration.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use super::IdError;

/// The id of a case, a UUIDv7 assigned by netral when Bawaslu registers it. Time-ordered, so
/// newer cases sort after older ones; it appears in resource names as `cases/{case_id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseId(Uuid);

impl CaseId {
    /// A fresh id for a case registered now.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// Wraps a UUID read back from storage.
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    /// The underlying UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }

    /// The resource name, `cases/{id}`.
    pub fn resource_name(&self) -> String {
        format!("cases/{}", self.0)
    }

    /// Parses a resource name `cases/{id}`.
    pub fn from_resource_name(name: &str) -> Result<Self, IdError> {
        let id = name.strip_prefix("cases/").ok_or(IdError::Segment {
            part: "name",
            reason: "must have the form cases/{case_id}".into(),
        })?;
        id.parse()
    }
}

impl Default for CaseId {
    fn default() -> Self {
        Self::new()
    }
}

impl FromStr for CaseId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Only the canonical lowercase hyphenated form, so one case has one name.
        let id = Uuid::try_parse(s).map_err(|_| IdError::Segment {
            part: "case_id",
            reason: "must be a UUID in canonical hyphenated form".into(),
        })?;
        if id.hyphenated().to_string() != s {
            return Err(IdError::Segment {
                part: "case_id",
                reason: "must be a UUID in canonical lowercase hyphenated form".into(),
            });
        }
        Ok(Self(id))
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names_round_trip() {
        let id = CaseId::new();
        assert_eq!(CaseId::from_resource_name(&id.resource_name()).unwrap(), id);
        assert!(CaseId::from_resource_name("case/x").is_err());
        assert!(CaseId::from_resource_name(&id.resource_name().to_uppercase()).is_err());
    }
}
