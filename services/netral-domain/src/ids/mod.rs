//! Identifiers parsed once at the edge: every value of these types is known to be valid.

mod agency;
mod case_id;
mod person;
mod region;

pub use agency::AgencyId;
pub use case_id::CaseId;
pub use person::{Gender, NiPppk, Nik, Nip, SubjectId, SubjectIdKind};
pub use region::RegionCode;

/// Why a string is not a valid identifier. Each variant names the part that is wrong, so an
/// agency engineer can fix the input without guessing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The value has the wrong number of characters.
    #[error("must be {expected} characters long, got {actual}")]
    Length {
        /// How many characters the identifier must have.
        expected: usize,
        /// How many it had.
        actual: usize,
    },
    /// A character outside the allowed set.
    #[error("{part}: must contain only {allowed}")]
    Charset {
        /// Which part of the identifier holds the bad character.
        part: &'static str,
        /// A human description of the allowed characters.
        allowed: &'static str,
    },
    /// A segment parsed but its value is impossible (a 31 February, a gender digit 3, ...).
    #[error("{part}: {reason}")]
    Segment {
        /// Which segment is wrong, e.g. `birth_date`, `appointment`, `gender`.
        part: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}
