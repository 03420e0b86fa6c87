//! The rules of ASN neutrality enforcement, with no I/O: identifiers parsed once at the edge,
//! the case state machine, who may do what, the sanction and violation catalogues, deadline
//! rules and the Indonesian working-day calendar, the case aggregate that applies them, and
//! the closed set of reasons netral gives for a refusal ([`Reason`]).
//!
//! Everything here is pure and deterministic (the catalogue loader reads files only when an
//! operator points it at a directory); the server and the store call into this crate so that
//! each rule lives in exactly one place.

pub mod case;
pub mod catalogue;
pub mod ids;
pub mod inbox;
pub mod policy;
pub mod reason;
pub mod state;
pub mod stats;

pub use catalogue::Catalogue;
pub use ids::{AgencyId, CaseId, IdError, NiPppk, Nik, Nip, RegionCode, SubjectId, SubjectIdKind};
pub use policy::{AgencyProfile, CaseParties, Denial, Role, RoleGrant};
pub use reason::Reason;
pub use state::{Action, CaseState, TransitionError};

#[cfg(test)]
mod pinned_tests;
